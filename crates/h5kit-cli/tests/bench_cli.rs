//! `h5 bench` argument handling: help and unknown options never create a benchmark
//! directory named after the option.
#![allow(clippy::unwrap_used)]

use std::process::Command;

fn h5_bench(args: &[&str], dir: &std::path::Path) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_h5"))
        .arg("bench")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

#[test]
fn help_and_bad_options_create_nothing() {
    let dir = std::env::temp_dir().join(format!("h5kit-bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let (stdout, _, code) = h5_bench(&["--help"], &dir);
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("usage: h5 bench DIR [--scale S]"), "{stdout}");

    let (_, stderr, code) = h5_bench(&["--bogus"], &dir);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unknown option \"--bogus\""), "{stderr}");

    let (_, stderr, code) = h5_bench(&["a", "b"], &dir);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("more than one DIR"), "{stderr}");

    let (_, stderr, code) = h5_bench(&["--scale", "-1", "x"], &dir);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--scale needs a positive number"), "{stderr}");

    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "h5 bench created {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

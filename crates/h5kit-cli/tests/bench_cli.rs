//! `h5 bench` argument handling: help and unknown options never create a benchmark
//! directory named after the option.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::process::Command;

use h5kit::write::{dtype, DatasetSpec};
use h5kit::{File, Object};

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

    let (_, stderr, code) = h5_bench(&["x", "--only", "write_contiguous,nope"], &dir);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unknown workload \"nope\""), "{stderr}");

    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "h5 bench created {left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--only` runs the named workloads alone, on the files already in DIR: read_groups on the
/// meta.h5 a first run left, and append_flush on a large.h5 written by another program
/// (here a small one written through the public API), then checked.
#[test]
fn only_runs_named_workloads_on_existing_files() {
    let dir = std::env::temp_dir().join(format!("h5kit-bench-only-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();

    let (stdout, stderr, code) = h5_bench(&[d, "--scale", "0.0001", "--only", "write_groups"], &dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("write_groups "), "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let (stdout, stderr, code) = h5_bench(&[d, "--scale", "0.0001", "--only=read_groups"], &dir);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.starts_with("read_groups "), "{stdout}");

    // A file with no meta.h5: the read fails, nothing is written.
    let (_, _, code) = h5_bench(&[dir.join("empty").to_str().unwrap(), "--scale", "0.0001", "--only", "read_groups"], &dir);
    assert_eq!(code, Some(1));

    let large = dir.join("large.h5");
    let f = File::create(&large).unwrap();
    f.create_dataset("x", DatasetSpec::new(dtype::float64(), &[100])).unwrap();
    f.write("x", &[1.5f64; 100]).unwrap();
    f.close().unwrap();
    let (stdout, stderr, code) = h5_bench(&[d, "--scale", "0.0001", "--only", "append_flush"], &dir);
    assert_eq!(code, Some(0), "{stderr}");
    let f: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(f.len(), 3, "{stdout}");
    assert_eq!(f[0], "append_flush");
    let f = File::open(&large).unwrap();
    let Object::Dataset(log) = f.object("log").unwrap() else { panic!() };
    assert_eq!(log.shape(), [1000, 16]);
    let Object::Dataset(x) = f.object("x").unwrap() else { panic!() };
    assert_eq!(x.read::<f64>().unwrap().data, vec![1.5; 100]);
    // "log" exists now: a second run fails as h5py's would.
    let (_, _, code) = h5_bench(&[d, "--scale", "0.0001", "--only", "append_flush"], &dir);
    assert_eq!(code, Some(1));
    std::fs::remove_dir_all(&dir).unwrap();
}

//! `h5 repack`: the copy prints the same `h5 dump` as the original (and `h5diff` finds no
//! difference when installed), with the default format, `-L`, and `-f`/`-l` options.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

fn h5(args: &[&str], dir: &std::path::Path) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_h5")).args(args).current_dir(dir).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
}

fn body(dump: &str) -> String {
    dump.lines().skip(1).collect::<Vec<_>>().join("\n")
}

#[test]
fn repack_sample_keeps_the_content() {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data"));
    let out = std::env::temp_dir().join(format!("h5kit-repack-cli-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(data.join("sample.h5"), out.join("sample.h5")).unwrap();
    let (orig, st) = h5(&["dump", "sample.h5"], &out);
    assert_eq!(st, 0);
    for (name, extra) in [
        ("plain.h5", vec![]),
        ("latest.h5", vec!["-L"]),
        ("gzip.h5", vec!["-f", "GZIP=1", "-f", "SHUF"]),
        ("conti.h5", vec!["-l", "CONTI", "-f", "NONE"]),
    ] {
        let mut args = vec!["repack"];
        args.extend(extra.iter().copied());
        args.extend(["sample.h5", name]);
        let (_, st) = h5(&args, &out);
        assert_eq!(st, 0, "h5 {:?}", args);
        let (copy, st) = h5(&["dump", name], &out);
        assert_eq!(st, 0);
        assert_eq!(body(&copy), body(&orig), "h5 dump of {} differs from the original", name);
        if let Ok(d) = Command::new("h5diff").arg("sample.h5").arg(name).current_dir(&out).output() {
            assert!(d.status.success(), "h5diff sample.h5 {}: {}", name, String::from_utf8_lossy(&d.stdout));
        }
    }
    let (_, st) = h5(&["repack", "-f", "BOGUS", "sample.h5", "x.h5"], &out);
    assert_eq!(st, 1);
}

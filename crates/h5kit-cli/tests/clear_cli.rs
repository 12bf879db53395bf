//! `h5 clear -s`: the status flags a SWMR writer that never closed leaves in the superblock are
//! cleared (checksum recomputed), after which libhdf5's h5dump opens the file it refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(unix, not(target_family = "wasm")))]

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::LibVer;
use h5kit::{File, Mode};
use h5kit_testkit::oracle;

fn h5(args: &[&str], file: &Path) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_h5")).args(args).arg(file).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code().unwrap_or(-1))
}

/// A latest-format file left open for SWMR writing (the writer's state leaked, as a killed
/// writer leaves it: flags set, lock released).
fn marked_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-clear-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let ds = f.new_dataset::<i32>().shape([0]).maxshape([None]).chunk([4]).create("x").unwrap();
    f.start_swmr_write().unwrap();
    ds.resize([6]).unwrap();
    ds.write(&[1, 2, 3, 4, 5, 6]).unwrap();
    f.flush().unwrap();
    std::mem::forget(ds);
    std::mem::forget(f);
    p
}

#[test]
fn h5_clear_clears_the_status_flags_once() {
    let p = marked_file("marked.h5");
    assert_eq!(File::open(&p).unwrap().superblock().file_consistency_flags, 0x5);
    // h5 ls refuses it as h5ls 1.10.8 does, and says why.
    let (out, err, code) = h5(&["ls"], &p);
    assert_eq!((code, out.as_str()), (1, ""), "{}", err);
    assert!(err.contains("marked open for SWMR writing (superblock status flags 0x5)") && err.contains("h5 clear -s"), "{}", err);
    let refused = oracle::check(oracle::H5DUMP, 2, "h5dump before and after h5 clear")
        && !Command::new("h5dump").arg(&p).output().unwrap().status.success();
    let (out, err, code) = h5(&["clear", "-s"], &p);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, format!("{}: cleared status flags 0x5\n", p.display()));
    let f = File::open(&p).unwrap();
    assert_eq!(f.superblock().file_consistency_flags, 0);
    assert_eq!(f.dataset("/x").unwrap().read::<i32>().unwrap().data, [1, 2, 3, 4, 5, 6]);
    let (out, _, code) = h5(&["clear"], &p);
    assert_eq!((code, out), (0, format!("{}: no status flags set\n", p.display())));
    let (out, err, code) = h5(&["ls"], &p);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with("x "), "{}", out);
    if oracle::installed(oracle::H5DUMP) {
        assert!(refused, "h5dump opened the file before it was cleared");
        let out = Command::new("h5dump").args(["-d", "/x"]).arg(&p).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).contains("1, 2, 3, 4, 5, 6"));
        oracle::compared(oracle::H5DUMP, 2);
    }
}

#[test]
fn h5_clear_of_a_missing_file_fails_with_a_message() {
    let (out, err, code) = h5(&["clear", "-s"], Path::new("/nonexistent/none.h5"));
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("h5 clear error: /nonexistent/none.h5: "), "{}", err);
}

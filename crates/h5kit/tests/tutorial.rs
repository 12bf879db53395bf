//! The tutorial database (examples/tutorial.rs) gives the same `h5dump` output as the file
//! h5py writes from the same steps (examples/tutorial.py). The expected output is kept as a
//! golden file so the test also runs where h5dump and h5py are missing; when they are
//! present the golden itself is checked against a fresh h5py file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::process::Command;

use h5kit_testkit::oracle;

#[path = "../../../examples/tutorial.rs"]
mod tutorial;

fn run_example(out: &std::path::Path) {
    tutorial::write(out).unwrap();
}

fn h5dump(dir: &std::path::Path, name: &str) -> Option<String> {
    let out = Command::new("h5dump").arg(name).current_dir(dir).output().ok()?;
    assert!(out.status.success(), "h5dump failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn tutorial_matches_h5py() {
    let root = std::env::temp_dir().join(format!("h5kit-tutorial-{}", std::process::id()));
    let (ours, theirs) = (root.join("ours"), root.join("h5py"));
    std::fs::create_dir_all(&ours).unwrap();
    std::fs::create_dir_all(&theirs).unwrap();
    run_example(&ours.join("tutorial.h5"));
    // Our file reads back with our reader.
    let f = h5kit::File::open(ours.join("tutorial.h5")).unwrap();
    let log = f.dataset("/log").unwrap();
    assert_eq!(log.shape().unwrap(), [10, 3]);
    assert_eq!(log.maxshape().unwrap(), [None, Some(3)]);
    assert_eq!(log.read_slice::<f64>([9..10, 0..3]).unwrap().data, [9.0, 13.5, -9.0]);
    assert_eq!(f.group("vegetables").unwrap().attrs().get::<i64>("count").unwrap(), 3);
    assert_eq!(f.dataset("fruits/pear").unwrap().attrs().get_string("unit").unwrap(), "kg");
    let golden = include_str!("golden/tutorial.h5dump.txt");
    if !oracle::check(oracle::H5DUMP, 2, "h5dump of the tutorial files (ours and h5py's)") {
        return; // the reader was checked
    }
    let dump = h5dump(&ours, "tutorial.h5").unwrap();
    assert_eq!(dump, golden, "h5dump of our file differs from the golden");
    oracle::compared(oracle::H5DUMP, 1);
    if !oracle::check(oracle::H5PY, 1, "h5py writes the tutorial file (examples/tutorial.py)") {
        oracle::skipped(oracle::H5DUMP, 1, "h5dump of h5py's tutorial file: h5py not installed");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/tutorial.py");
    let py = Command::new("python3").arg(script).arg(theirs.join("tutorial.h5")).output().unwrap();
    assert!(py.status.success(), "examples/tutorial.py failed: {}", String::from_utf8_lossy(&py.stderr));
    oracle::compared(oracle::H5PY, 1);
    assert_eq!(h5dump(&theirs, "tutorial.h5").unwrap(), golden, "h5py's file no longer matches the golden");
    oracle::compared(oracle::H5DUMP, 1);
}

//! examples/modes.rs (the five file modes and the error list of the tutorial, with h5kit)
//! against examples/modes.py (the same steps with h5py): every step gives the same result,
//! every error is of the kind of h5py's exception, and the files h5dump the same. The lines
//! are kept as goldens so the test also runs where h5py and h5dump are missing; when they
//! are present the goldens are checked against fresh h5py output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::path::Path;
use std::process::Command;

use h5kit_testkit::oracle;

#[path = "../../../examples/modes.rs"]
mod modes;

/// The h5kit error kind each h5py exception of the steps corresponds to.
fn kind_of(exception: &str) -> &'static str {
    match exception {
        "FileNotFoundError" | "KeyError" => "NotFound",
        // Name exists, wrong mode, wrong shape, past maxshape or the end, no write intent.
        "FileExistsError" | "ValueError" | "TypeError" | "RuntimeError" | "IndexError" | "OSError" => "Usage",
        other => panic!("no h5kit kind for h5py's {}", other),
    }
}

/// Checks our lines against h5py's: equal results, errors of the corresponding kind.
fn compare(ours: &[String], h5py: &[&str]) {
    assert_eq!(ours.len(), h5py.len(), "ours:\n{}\nh5py:\n{}", ours.join("\n"), h5py.join("\n"));
    for (o, p) in ours.iter().zip(h5py) {
        match (o.split_once(": error "), p.split_once(": error ")) {
            (Some((step, rest)), Some((pstep, exception))) => {
                let kind = rest.split(':').next().unwrap();
                assert_eq!((step, kind), (pstep, kind_of(exception)), "{} / {}", o, p);
            }
            _ => assert_eq!(o, p),
        }
    }
}

fn h5dump(path: &Path) -> String {
    let out = Command::new("h5dump").arg(path.file_name().unwrap()).current_dir(path.parent().unwrap()).output().unwrap();
    assert!(out.status.success(), "h5dump failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn modes_and_errors_match_h5py() {
    let root = std::env::temp_dir().join(format!("h5kit-tutorial-modes-{}", std::process::id()));
    let (ours, theirs) = (root.join("ours"), root.join("h5py"));
    std::fs::create_dir_all(&ours).unwrap();
    std::fs::create_dir_all(&theirs).unwrap();
    let lines: Vec<String> =
        modes::run(&ours).unwrap().into_iter().map(|l| l.replace(&ours.display().to_string(), "DIR")).collect();
    // Our lines, messages included, as kept; and against h5py's kept lines.
    let golden: Vec<&str> = include_str!("golden/tutorial_modes.txt").lines().collect();
    assert_eq!(lines, golden, "ours:\n{}", lines.join("\n"));
    let golden_h5py: Vec<&str> = include_str!("golden/tutorial_modes.h5py.txt").lines().collect();
    compare(&lines, &golden_h5py);
    let files = ["modes.h5", "appended.h5", "excl.h5", "x.h5"];
    let dumps = include_str!("golden/tutorial_modes.h5dump.txt");
    if !oracle::check(oracle::H5DUMP, files.len() as u64, "h5dump of the modes example's files") {
        return;
    }
    let ours_dump: String = files.iter().map(|n| h5dump(&ours.join(n)).replace(&ours.display().to_string(), "DIR")).collect();
    assert_eq!(ours_dump, dumps, "h5dump of our files differs from the golden");
    oracle::compared(oracle::H5DUMP, files.len() as u64);
    if !oracle::check(oracle::H5PY, 1, "h5py runs examples/modes.py") {
        oracle::skipped(oracle::H5DUMP, files.len() as u64, "h5dump of h5py's modes files: h5py not installed");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/modes.py");
    let py = Command::new("python3").arg(script).arg(&theirs).output().unwrap();
    assert!(py.status.success(), "examples/modes.py failed: {}", String::from_utf8_lossy(&py.stderr));
    let stdout = String::from_utf8(py.stdout).unwrap();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), golden_h5py, "h5py's lines no longer match the golden");
    oracle::compared(oracle::H5PY, 1);
    let theirs_dump: String = files.iter().map(|n| h5dump(&theirs.join(n)).replace(&theirs.display().to_string(), "DIR")).collect();
    assert_eq!(theirs_dump, dumps, "h5dump of h5py's files differs from ours");
    oracle::compared(oracle::H5DUMP, files.len() as u64);
    std::fs::remove_dir_all(&root).unwrap();
}

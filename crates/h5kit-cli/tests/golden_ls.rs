//! `h5 ls -v`, `-r -v`, `-d`, `-v -d` and `-d -l -w50` compared byte for byte with h5ls 1.10.8's output on
//! the interop files, recorded by `tests/make_ls_goldens.sh` into `tests/golden_ls/<mode>/`
//! (`<group>__<file>.txt`, or `.fnv` — an FNV-1a 64 hash and length — for outputs over
//! 512 KiB). Like h5ls, `h5` runs from the file's directory with the bare file name.
//!
//! Ratchet: `tests/golden_ls/known_failures.txt` lists `<mode> <group>__<file>` pairs that do
//! not match yet; any other mismatch fails the test, and listed pairs that now match are
//! reported so they can be removed from the list.
//!
//! `H5KIT_LIVE_H5LS=1` compares against live `h5ls` (when on PATH, run with TZ=UTC) instead
//! of the goldens.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const H5: &str = env!("CARGO_BIN_EXE_h5");

/// (mode, arguments after `ls`).
const MODES: &[(&str, &[&str])] =
    &[("v", &["-v"]), ("rv", &["-r", "-v"]), ("d", &["-d"]), ("vd", &["-v", "-d"]), ("dlw", &["-d", "-l", "-w50"])];

/// The interop files (the repository's `tests/data/interop`).
fn interop_dir() -> PathBuf {
    h5kit_testkit::interop_dir()
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden_ls")
}

fn fnv1a64(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn known_failures() -> BTreeSet<String> {
    let text = std::fs::read_to_string(golden_dir().join("known_failures.txt")).unwrap_or_default();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// Whether `h5ls` can be run (for the live mode).
fn have_h5ls() -> bool {
    Command::new("h5ls").arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

#[test]
fn ls_options_match_h5ls() {
    let interop = interop_dir();
    if !interop.join("jhdf").is_dir() {
        eprintln!("golden_ls: skipped ({} not present)", interop.display());
        return;
    }
    let live = std::env::var_os("H5KIT_LIVE_H5LS").is_some() && have_h5ls();
    if std::env::var_os("H5KIT_LIVE_H5LS").is_some() && !live {
        eprintln!("golden_ls: h5ls not on PATH, comparing with the recorded goldens");
    }
    let known = known_failures();
    let mut unexpected = Vec::new();
    let mut newly_matching = Vec::new();
    for (mode, args) in MODES {
        let dir = golden_dir().join(mode);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        let (mut matched, mut total) = (0, 0);
        for golden in entries {
            let fname = golden.file_name().unwrap().to_string_lossy().into_owned();
            let Some(stem) = fname.strip_suffix(".txt").or_else(|| fname.strip_suffix(".fnv")) else { continue };
            let Some((group, file)) = stem.split_once("__") else { continue };
            let cwd = interop.join(group);
            if !cwd.join(file).exists() {
                continue;
            }
            total += 1;
            let ours = Command::new(H5).arg("ls").args(*args).arg(file).current_dir(&cwd).output().unwrap();
            assert!(ours.status.code().is_some_and(|c| c != 101), "h5 ls {} {} crashed", args.join(" "), stem);
            let same = if live {
                let theirs = Command::new("h5ls").args(*args).arg(file).env("TZ", "UTC").current_dir(&cwd).output().unwrap();
                theirs.stdout == ours.stdout
            } else if fname.ends_with(".fnv") {
                let want = std::fs::read_to_string(&golden).unwrap();
                let got = format!("fnv1a64 {:016x} {}", fnv1a64(&ours.stdout), ours.stdout.len());
                want.trim() == got
            } else {
                std::fs::read(&golden).unwrap() == ours.stdout
            };
            let key = format!("{} {}", mode, stem);
            match (same, known.contains(&key)) {
                (true, true) => newly_matching.push(key),
                (true, false) => {}
                (false, true) => {}
                (false, false) => unexpected.push(key),
            }
            if same {
                matched += 1;
            }
        }
        eprintln!("golden_ls {}: {} of {} files match h5ls {}", mode, matched, total, args.join(" "));
    }
    if !newly_matching.is_empty() {
        eprintln!("golden_ls: now matching, remove from known_failures.txt:\n  {}", newly_matching.join("\n  "));
    }
    assert!(unexpected.is_empty(), "h5 ls differs from h5ls on:\n  {}", unexpected.join("\n  "));
}

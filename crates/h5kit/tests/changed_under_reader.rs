//! A file that another program truncates or rewrites while h5kit reads it: `File::open` reads
//! by positioned reads, so reads fail with an error (or see the new bytes), and the process
//! lives (issue 15). The readers run as child processes of this test binary, so a SIGBUS (what
//! reading a truncated memory map raises) fails the parent test instead of killing the run.
//! `File::open_mapped` keeps the memory map's contract; a child shows that breaking it is
//! still a signal, which also shows this test would see one.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{dtype, DatasetSpec, LayoutKind};
use h5kit::{File, Object};

const N: usize = 1 << 19; // 4 MiB of float64: above the 1 MiB of one large read
const CHILD_ENV: &str = "H5KIT_CHANGED_UNDER_READER";

fn values() -> Vec<f64> {
    (0..N).map(|i| i as f64 * 0.25).collect()
}

/// A file with a large contiguous dataset, a small one and a chunked gzip one.
fn write_file(path: &Path) {
    let f = File::create(path).unwrap();
    let mut spec = DatasetSpec::new(dtype::float64(), &[N as u64]);
    spec.layout = Some(LayoutKind::Contiguous);
    f.create_dataset("big", spec).unwrap();
    f.write("big", &values()).unwrap();
    f.write_new("small", &[100], &values()[..100]).unwrap();
    let mut spec = DatasetSpec::new(dtype::float64(), &[N as u64]);
    spec.chunks = Some(vec![16384]);
    spec.deflate = Some(1);
    f.create_dataset("gz", spec).unwrap();
    f.write("gz", &values()).unwrap();
    f.close().unwrap();
}

fn dataset(file: &File, path: &str) -> h5kit::Result<h5kit::snapshot::Dataset> {
    match file.object(path)? {
        Object::Dataset(d) => Ok(d),
        other => panic!("{path} is {other:?}"),
    }
}

/// Reads every dataset; Ok(true) when all values are the ones written.
fn read_all(file: &File) -> h5kit::Result<bool> {
    let want = values();
    let mut same = true;
    for name in ["big", "small", "gz"] {
        let d = dataset(file, name)?;
        let got = d.read::<f64>()?.data;
        same &= got.as_slice() == &want[..got.len()];
        let view = d.read_view::<f64>()?;
        same &= view.last() == want.get(view.len() - 1);
    }
    Ok(same)
}

fn run_child(test: &str, path: &Path) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {test}: {e}"))
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-changed-{}-{}", std::process::id(), name));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("f.h5")
}

/// Child: opens the file by positioned reads, then truncates it (to half, to 8 bytes past the
/// superblock, to 0), rewrites it from a copy, while reading everything after each change;
/// then a thread truncates and restores it in a loop while this one reads. Prints a summary.
#[test]
fn child_positioned_reader() {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return };
    let path = PathBuf::from(path);
    let original = std::fs::read(&path).unwrap();
    let file = File::open(&path).unwrap();
    assert!(read_all(&file).unwrap(), "values before any change");

    let mut errors = Vec::new();
    for len in [original.len() as u64 / 2, 2048, 0] {
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(len).unwrap();
        match read_all(&file) {
            Ok(_) => panic!("read a file truncated to {len} bytes without an error"),
            Err(e) => errors.push(e.to_string()),
        }
    }
    // Rewritten with the same bytes: reads work again.
    std::fs::write(&path, &original).unwrap();
    assert!(read_all(&file).unwrap(), "values after the file is rewritten");

    // Concurrently: truncations and rewrites while reading, each read Ok or an error.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let changer = {
        let (path, original, stop) = (path.clone(), original.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut rounds = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
                f.set_len(original.len() as u64 / 3).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
                std::os::unix::fs::FileExt::write_all_at(&f, &original, 0).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(20));
                rounds += 1;
            }
            rounds
        })
    };
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..200 {
        match read_all(&file) {
            Ok(_) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let rounds = changer.join().unwrap();
    println!();
    for e in &errors {
        println!("error: {e}");
    }
    println!("concurrent: {ok} reads ok, {failed} errors, {rounds} truncations");
    println!("child done");
}

/// Child: the same first truncation with the file memory-mapped (`File::open_mapped`): the
/// contract is broken, and reading the view of the truncated part raises SIGBUS.
#[test]
fn child_mapped_reader() {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return };
    let path = PathBuf::from(path);
    let file = File::open_mapped(&path).unwrap();
    let view = dataset(&file, "big").unwrap().read_view::<f64>().unwrap();
    assert!(view.is_borrowed());
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(0).unwrap();
    let sum: f64 = view.iter().sum();
    println!("sum {sum}");
    println!("child done");
}

#[test]
fn a_file_truncated_while_open_is_an_error_not_a_signal() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let path = temp("pread");
    write_file(&path);
    let out = run_child("child_positioned_reader", &path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    assert_eq!(out.status.signal(), None, "the reader was killed by a signal:\n{stdout}");
    assert!(out.status.success() && stdout.contains("child done"), "the reader failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // The errors name what happened.
    let errors: Vec<&str> = stdout.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 3, "{stdout}");
    assert!(errors.iter().any(|e| e.contains("truncated by another program")), "{stdout}");
    eprintln!("{}", stdout.lines().filter(|l| l.starts_with("error") || l.starts_with("concurrent")).collect::<Vec<_>>().join("\n"));
}

#[test]
fn a_mapped_file_truncated_while_viewed_is_sigbus_as_documented() {
    if std::env::var_os(CHILD_ENV).is_some() || cfg!(not(target_os = "linux")) {
        return;
    }
    let path = temp("mapped");
    write_file(&path);
    let out = run_child("child_mapped_reader", &path);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    assert_eq!(out.status.signal(), Some(7), "SIGBUS expected; status {:?}, stdout:\n{}", out.status, String::from_utf8_lossy(&out.stdout));
}

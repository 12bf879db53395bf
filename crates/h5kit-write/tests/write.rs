//! End-to-end tests: files written here are checked with libhdf5's tools (h5dump, h5py) when
//! they are installed; committed goldens keep the tests asserting without them.

use h5kit_write::{dtype, DatasetSpec, FileWriter, LayoutKind, LibVer, UNLIMITED};
use std::path::PathBuf;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

fn have_h5py() -> bool {
    Command::new("python3").args(["-c", "import h5py"]).output().map(|o| o.status.success()).unwrap_or(false)
}

/// h5dump output with the file name line normalized.
fn h5dump(args: &[&str], path: &PathBuf) -> Option<String> {
    if !have("h5dump") {
        eprintln!("h5dump absent: skipping the libhdf5 check");
        return None;
    }
    let out = Command::new("h5dump").args(args).arg(path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "h5dump failed: {}\n{}", text, String::from_utf8_lossy(&out.stderr));
    Some(text.lines().skip(1).collect::<Vec<_>>().join("\n"))
}

/// Runs python3 with h5py: `code` sees `f` (the open file) and prints; returns stdout.
fn h5py(path: &PathBuf, code: &str) -> Option<String> {
    if !have_h5py() {
        eprintln!("h5py absent: skipping the libhdf5 check");
        return None;
    }
    let script = format!("import h5py, numpy as np\nf = h5py.File({:?}, 'r')\n{}\n", path.to_str().unwrap(), code);
    let out = Command::new("python3").args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn i32s(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn both(f: impl Fn(LibVer, &str)) {
    f(LibVer::Earliest, "earliest");
    f(LibVer::Latest, "latest");
}

#[test]
fn contiguous_int32() {
    both(|lv, tag| {
        let path = tmp(&format!("contig-{}.h5", tag));
        let mut w = FileWriter::create(&path, lv).unwrap();
        w.create_dataset("d", DatasetSpec::new(dtype::int(4, true), &[2, 3])).unwrap();
        w.write_dataset("d", &i32s(&[0, 1, 2, 3, 4, 5])).unwrap();
        w.close().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89HDF\r\n\x1a\n");
        assert_eq!(bytes[8], if lv == LibVer::Earliest { 0 } else { 3 });
        if let Some(text) = h5dump(&[], &path) {
            let golden = include_str!("golden/contig.ddl");
            assert_eq!(text.trim(), golden.trim());
        }
    });
}

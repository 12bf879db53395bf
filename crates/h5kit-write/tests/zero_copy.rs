//! The copy-free write paths of issue #7: data shared with or handed over to the writer, and
//! a file kept open from creation and rewritten in place by each flush.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_write::{dtype, DatasetSpec, FileWriter, LayoutKind, LibVer};
use std::sync::Arc;

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn contiguous(w: &mut FileWriter, name: &str, n: u64) {
    let mut spec = DatasetSpec::new(dtype::float64(), &[n]);
    spec.layout = Some(LayoutKind::Contiguous);
    w.create_dataset(name, spec).unwrap();
}

#[test]
fn shared_owned_and_borrowed_writes_give_the_same_file() {
    let data = f64s(&[1.5, -2.0, 3.25, 1e300]);
    let mut files = Vec::new();
    for how in 0..3 {
        let mut w = FileWriter::in_memory(LibVer::Earliest);
        contiguous(&mut w, "x", 4);
        match how {
            0 => w.write_dataset("x", &data).unwrap(),
            1 => w.write_dataset_owned("x", data.clone()).unwrap(),
            _ => w.write_dataset_shared("x", Arc::new(data.clone())).unwrap(),
        }
        let bytes = w.to_bytes().unwrap();
        // The raw data block is in the file as given.
        assert!(bytes.windows(data.len()).any(|win| win == data.as_slice()));
        files.push(bytes);
    }
    assert_eq!(files[0], files[1]);
    assert_eq!(files[0], files[2]);
}

#[test]
fn shared_data_is_copied_before_a_change() {
    let shared = Arc::new(f64s(&[1.0, 2.0, 3.0]));
    let mut w = FileWriter::in_memory(LibVer::Earliest);
    contiguous(&mut w, "x", 3);
    w.write_dataset_shared("x", shared.clone()).unwrap();
    w.write_slice("x", &[1], &[1], &f64s(&[9.0])).unwrap();
    // The caller's bytes are unchanged; the file has the change.
    assert_eq!(*shared, f64s(&[1.0, 2.0, 3.0]));
    let bytes = w.to_bytes().unwrap();
    assert!(bytes.windows(24).any(|win| win == f64s(&[1.0, 9.0, 3.0]).as_slice()));
}

#[test]
fn wrong_sizes_are_refused_alike() {
    let mut w = FileWriter::in_memory(LibVer::Earliest);
    contiguous(&mut w, "x", 3);
    let short = f64s(&[1.0, 2.0]);
    let a = w.write_dataset("x", &short).unwrap_err().to_string();
    let b = w.write_dataset_owned("x", short.clone()).unwrap_err().to_string();
    let c = w.write_dataset_shared("x", Arc::new(short)).unwrap_err().to_string();
    assert!(a.contains("data size mismatch"), "{}", a);
    assert_eq!(a, b);
    assert_eq!(a, c);
}

#[test]
fn each_flush_rewrites_the_open_file_whole() {
    let dir = std::env::temp_dir().join(format!("h5kit-write-zero-copy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("flush.h5");
    // An older, longer file at the path is replaced at creation.
    std::fs::write(&path, vec![0xAAu8; 100_000]).unwrap();
    let mut w = FileWriter::create(&path, LibVer::Earliest).unwrap();
    let empty = std::fs::read(&path).unwrap();
    assert_eq!(empty, FileWriter::in_memory(LibVer::Earliest).to_bytes().unwrap());
    contiguous(&mut w, "big", 5000);
    w.write_dataset_owned("big", f64s(&vec![0.5; 5000])).unwrap();
    w.flush().unwrap();
    let big = std::fs::read(&path).unwrap();
    assert_eq!(big, w.clone().to_bytes().unwrap());
    // The file shrinks: no stale tail after the new end of file.
    w.delete_link("big").unwrap();
    w.create_group("g").unwrap();
    w.close().unwrap();
    let small = std::fs::read(&path).unwrap();
    let mut expect = FileWriter::in_memory(LibVer::Earliest);
    expect.create_group("g").unwrap();
    assert_eq!(small, expect.to_bytes().unwrap());
    assert!(small.len() < big.len());
    let _ = std::fs::remove_dir_all(&dir);
}

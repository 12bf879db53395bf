//! Raw data written by the on-disk writer goes to the file as given (issue #7, issue 14): a
//! contiguous dataset's bytes are one block of the file, the caller's buffer is never
//! changed, and a wrong size is refused before anything is written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use h5kit_core::{Limits, Storage, WritableMemory, WritableStorage};
use h5kit_write::edit::Editor;
use h5kit_write::{dtype, DatasetSpec, LayoutKind, LibVer};

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn editor() -> Editor {
    let storage: Arc<dyn WritableStorage> = Arc::new(WritableMemory::default());
    Editor::create_format(storage, Limits::default(), LibVer::Earliest).unwrap()
}

fn contiguous(w: &mut Editor, name: &str, n: u64) {
    let mut spec = DatasetSpec::new(dtype::float64(), &[n]);
    spec.layout = Some(LayoutKind::Contiguous);
    w.create_dataset(name, spec).unwrap();
}

fn bytes(w: &mut Editor) -> Vec<u8> {
    w.flush().unwrap();
    let n = usize::try_from(w.storage().len()).unwrap();
    w.storage().bytes(0, n).unwrap().into_owned()
}

#[test]
fn contiguous_data_is_in_the_file_as_given() {
    let data = f64s(&[1.5, -2.0, 3.25, 1e300]);
    let mut w = editor();
    contiguous(&mut w, "x", 4);
    w.write_dataset("x", &data).unwrap();
    assert!(bytes(&mut w).windows(data.len()).any(|win| win == data.as_slice()));
}

#[test]
fn a_slice_write_changes_the_file_not_the_callers_bytes() {
    let first = f64s(&[1.0, 2.0, 3.0]);
    let mut w = editor();
    contiguous(&mut w, "x", 3);
    w.write_dataset("x", &first).unwrap();
    let nine = f64s(&[9.0]);
    w.write_slice("x", &[1], &[1], &nine).unwrap();
    assert_eq!(first, f64s(&[1.0, 2.0, 3.0]));
    assert_eq!(nine, f64s(&[9.0]));
    assert!(bytes(&mut w).windows(24).any(|win| win == f64s(&[1.0, 9.0, 3.0]).as_slice()));
}

#[test]
fn wrong_sizes_are_refused_before_writing() {
    let mut w = editor();
    contiguous(&mut w, "x", 3);
    w.write_dataset("x", &f64s(&[1.0, 2.0, 3.0])).unwrap();
    let before = bytes(&mut w);
    let e = w.write_dataset("x", &f64s(&[7.0, 8.0])).unwrap_err().to_string();
    assert!(e.contains("mismatch") || e.contains("size"), "{}", e);
    assert_eq!(bytes(&mut w), before);
}

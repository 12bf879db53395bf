//! Every argument is checked when the call is made, not when the file is written: a bad call
//! fails alone, with a clear message, and the file goes on being written as if it had not
//! been made (h5py and libhdf5 refuse the same arguments at `create_dataset`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use h5kit_core::{Limits, Storage, WritableMemory, WritableStorage};
use h5kit_write::edit::Editor;
use h5kit_write::{dtype, DatasetSpec, LayoutKind, LibVer, UNLIMITED};

/// The on-disk writer on a new file in memory.
fn editor(libver: LibVer) -> Editor {
    let storage: Arc<dyn WritableStorage> = Arc::new(WritableMemory::default());
    Editor::create_format(storage, Limits::default(), libver).unwrap()
}

/// `spec` is refused at creation with a message containing `words`; the writer then still
/// creates and writes a good dataset, and flushes.
fn refused(spec: DatasetSpec, words: &str) {
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let mut w = editor(libver);
        let e = w.create_dataset("bad", spec.clone()).expect_err("the bad spec was accepted");
        assert!(e.message.contains(words), "{:?}: {}", words, e);
        assert!(w.create_dataset("bad", DatasetSpec::new(dtype::int(4, true), &[2])).is_ok(), "the name was taken");
        w.write_dataset("bad", &[1, 0, 0, 0, 2, 0, 0, 0]).unwrap();
        w.flush().unwrap();
        let bytes = w.storage().bytes(0, 4).unwrap();
        assert_eq!(&bytes[..4], b"\x89HDF");
    }
}

#[test]
fn deflate_levels_past_nine_are_refused() {
    let mut spec = DatasetSpec::new(dtype::float64(), &[10]);
    spec.deflate = Some(10);
    refused(spec.clone(), "deflate (gzip) level 10 is not in 0-9");
    spec.deflate = Some(9);
    assert!(editor(LibVer::Earliest).create_dataset("ok", spec).is_ok());
}

#[test]
fn chunks_of_4_gib_or_more_are_refused() {
    let mut spec = DatasetSpec::new(dtype::float64(), &[0]);
    spec.maxshape = Some(vec![UNLIMITED]);
    spec.chunks = Some(vec![1 << 29]);
    refused(spec.clone(), "chunks must be under 4 GiB");
    spec.chunks = Some(vec![(1 << 29) - 1]);
    assert!(editor(LibVer::Latest).create_dataset("ok", spec).is_ok());
}

#[test]
fn compact_data_over_a_header_message_is_refused() {
    let mut spec = DatasetSpec::new(dtype::int(1, false), &[65_532]);
    spec.layout = Some(LayoutKind::Compact);
    refused(spec.clone(), "bigger than a header message can hold (65531 bytes at most)");
    spec.shape = Some(vec![65_531]);
    assert!(editor(LibVer::Earliest).create_dataset("ok", spec).is_ok());
}

#[test]
fn overlapping_or_outside_compound_members_are_refused() {
    let overlap = dtype::compound(8, vec![("a", 0, dtype::int(4, true)), ("b", 2, dtype::int(4, true))]);
    refused(DatasetSpec::new(overlap, &[1]), "compound members \"a\" and \"b\" overlap");
    let outside = dtype::compound(8, vec![("a", 0, dtype::int(4, true)), ("b", 6, dtype::int(4, true))]);
    refused(DatasetSpec::new(outside, &[1]), "compound member \"b\" (bytes 6..10) lies outside the compound's 8 bytes");
    // Nested: the inner compound is checked too.
    let inner = dtype::compound(4, vec![("x", 0, dtype::int(4, true)), ("y", 3, dtype::int(1, true))]);
    refused(DatasetSpec::new(dtype::compound(4, vec![("in", 0, inner)]), &[1]), "overlap");
    let fine = dtype::compound(8, vec![("b", 4, dtype::int(4, true)), ("a", 0, dtype::int(4, true))]);
    assert!(editor(LibVer::Earliest).create_dataset("ok", DatasetSpec::new(fine, &[1])).is_ok());
}

#[test]
fn a_dataset_larger_than_memory_is_sparse() {
    // A chunked dataset of 2^40 float64 values (8 TiB): created at once, no chunk allocated
    // (the in-memory writer before issue 14 aborted the process here).
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let mut w = editor(libver);
        let mut spec = DatasetSpec::new(dtype::float64(), &[1 << 40]);
        spec.chunks = Some(vec![1 << 16]);
        // Unlimited: the latest format's extensible array grows with the chunks written (a
        // fixed array, as libhdf5's, takes space for every chunk's address at creation).
        spec.maxshape = Some(vec![UNLIMITED]);
        w.create_dataset("big", spec).unwrap();
        w.write_slice("big", &[(1 << 40) - 2], &[2], &[0u8; 16]).unwrap();
        w.flush().unwrap();
        assert!(w.storage().len() < 1 << 20, "{:?}: {} bytes", libver, w.storage().len());
    }
}

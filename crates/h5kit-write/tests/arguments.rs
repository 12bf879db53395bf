//! Every argument is checked when the call is made, not when the file is written: a bad call
//! fails alone, with a clear message, and the file goes on being written as if it had not
//! been made (h5py and libhdf5 refuse the same arguments at `create_dataset`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_write::{dtype, DatasetSpec, FileWriter, LayoutKind, LibVer, UNLIMITED};

/// `spec` is refused at creation with a message containing `words`; the writer then still
/// creates and writes a good dataset, and serializes.
fn refused(spec: DatasetSpec, words: &str) {
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let mut w = FileWriter::in_memory(libver);
        let e = w.create_dataset("bad", spec.clone()).expect_err("the bad spec was accepted");
        assert!(e.message.contains(words), "{:?}: {}", words, e);
        assert!(w.create_dataset("bad", DatasetSpec::new(dtype::int(4, true), &[2])).is_ok(), "the name was taken");
        w.write_dataset("bad", &[1, 0, 0, 0, 2, 0, 0, 0]).unwrap();
        let bytes = w.to_bytes().unwrap();
        assert_eq!(&bytes[..4], b"\x89HDF");
    }
}

#[test]
fn deflate_levels_past_nine_are_refused() {
    let mut spec = DatasetSpec::new(dtype::float64(), &[10]);
    spec.deflate = Some(10);
    refused(spec.clone(), "deflate (gzip) level 10 is not in 0-9");
    spec.deflate = Some(9);
    assert!(FileWriter::in_memory(LibVer::Earliest).create_dataset("ok", spec).is_ok());
}

#[test]
fn chunks_of_4_gib_or_more_are_refused() {
    let mut spec = DatasetSpec::new(dtype::float64(), &[0]);
    spec.maxshape = Some(vec![UNLIMITED]);
    spec.chunks = Some(vec![1 << 29]);
    refused(spec.clone(), "chunks must be under 4 GiB");
    spec.chunks = Some(vec![(1 << 29) - 1]);
    assert!(FileWriter::in_memory(LibVer::Latest).create_dataset("ok", spec).is_ok());
}

#[test]
fn compact_data_over_a_header_message_is_refused() {
    let mut spec = DatasetSpec::new(dtype::int(1, false), &[65_532]);
    spec.layout = Some(LayoutKind::Compact);
    refused(spec.clone(), "bigger than a header message can hold (65531 bytes at most)");
    spec.shape = Some(vec![65_531]);
    assert!(FileWriter::in_memory(LibVer::Earliest).create_dataset("ok", spec).is_ok());
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
    assert!(FileWriter::in_memory(LibVer::Earliest).create_dataset("ok", DatasetSpec::new(fine, &[1])).is_ok());
}

#[test]
fn a_dataset_too_large_for_memory_is_an_error_not_an_abort() {
    // Today's writer keeps every dataset's values in memory: a chunked dataset of 2^40
    // float64 values (8 TiB) cannot be held, and creating it must say so instead of aborting
    // the process. (The on-disk writer of issue 14 makes this dataset sparse and instant.)
    let mut spec = DatasetSpec::new(dtype::float64(), &[1 << 40]);
    spec.chunks = Some(vec![1 << 16]);
    refused(spec, "cannot allocate 8796093022208 bytes");
}

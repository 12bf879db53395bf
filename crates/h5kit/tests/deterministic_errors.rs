//! Chunks are decoded on several threads; when several chunks of one read are damaged, the
//! error reported must not depend on which thread finished first (the `same_result` fuzz
//! target found it did: 182 "crashes" in 10 minutes, each two walks of the same bytes naming
//! different chunks). The rule now: the error of the lowest chunk index, as a sequential read.
//! The file is that fuzzer input (a mutated jhdf file whose deflated chunks are damaged).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit::{File, Object};

#[test]
fn damaged_chunks_give_the_same_error_every_time() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/robustness/same_result-parallel-errors-16a4dfbb.h5");
    let bytes = std::fs::read(path).unwrap();
    let mut seen_raw = None;
    let mut seen_typed = None;
    for _ in 0..40 {
        let f = File::from_bytes(bytes.clone()).unwrap();
        let Object::Dataset(d) = f.object("/8D_int16").unwrap() else { panic!("not a dataset") };
        let raw = d.read_raw().unwrap_err().to_string();
        let typed = d.read::<i16>().unwrap_err().to_string();
        assert_eq!(seen_raw.get_or_insert_with(|| raw.clone()), &raw, "read_raw reported another chunk");
        assert_eq!(seen_typed.get_or_insert_with(|| typed.clone()), &typed, "read::<i16> reported another chunk");
    }
    // The first damaged chunk in index order, found one chunk at a time: what a one-thread
    // read reports.
    let f = File::from_bytes(bytes).unwrap();
    let Object::Dataset(d) = f.object("/8D_int16").unwrap() else { panic!("not a dataset") };
    let h5kit_object_header::Layout::Chunked { chunk_dims, .. } = &d.layout().layout else { panic!("not chunked") };
    let shape = d.shape().to_vec();
    let first_bad = d
        .chunk_locations()
        .unwrap()
        .iter()
        .find_map(|c| {
            let count: Vec<u64> = c.offset.iter().zip(chunk_dims).zip(&shape).map(|((o, k), s)| (*k).min(s - o)).collect();
            d.read_raw_selection(&h5kit::Hyperslab::new(&c.offset, &count)).err().map(|e| e.to_string())
        })
        .unwrap();
    let raw = seen_raw.unwrap();
    assert_eq!(raw, first_bad);
    assert!(raw.contains("chunk at address 11491"), "{}", raw);
}

/// A damaged v1 B-tree (fuzzer input: a mutated netCDF file) lists two chunks of "/time_bnds"
/// (12 x 2, chunks 1 x 2) for the same elements. Decoded in parallel, whichever chunk landed
/// last won, so two reads of the same bytes differed (found by the `whole_file` target
/// comparing `read_view` with `read`). Such an index is now an error naming the chunk.
#[test]
fn chunks_claiming_the_same_elements_are_an_error() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/robustness/whole_file-overlapping-chunks-e7f9a144.h5");
    let bytes = std::fs::read(path).unwrap();
    let f = File::from_bytes(bytes).unwrap();
    let Object::Dataset(d) = f.object("/time_bnds").unwrap() else { panic!("not a dataset") };
    let e = d.read::<f64>().unwrap_err().to_string();
    eprintln!("{e}");
    assert!(e.contains("twice") || e.contains("not on the grid"), "{e}");
    assert!(e.contains("/time_bnds"), "{e}");
    for _ in 0..20 {
        assert_eq!(d.read::<f64>().unwrap_err().to_string(), e);
        assert_eq!(d.read_view::<f64>().unwrap_err().to_string(), e);
        assert!(d.read_raw().is_err());
        assert!(d.chunk_locations().is_err());
    }
}

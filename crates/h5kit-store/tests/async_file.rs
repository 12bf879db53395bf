//! `AsyncFile`: reads from async code (driven here by `futures_executor`, no tokio) through
//! the fetch-and-retry protocol, equal to local reads; a selection's chunks are fetched in one
//! round.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use futures_executor::block_on;
use h5kit::{File, Object};
use common::walk;
use h5kit_store::{AsyncFile, Options};
use h5kit_testkit::interop;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::ObjectStoreExt;

const FILES: &[&str] = &[
    "jhdf/test_file.hdf5",
    "jhdf/test_chunked_datasets_latest.hdf5",
    "jhdf/test_compressed_chunked_datasets_earliest.hdf5",
    "jhdf/test_compact_datasets_latest.hdf5",
    "jhdf/fixed_array_paged_datasets.hdf5",
];

#[test]
fn async_reads_equal_local_reads() {
    let store = Arc::new(InMemory::new());
    let mut compared = 0;
    for rel in FILES {
        let bytes = std::fs::read(interop(rel)).unwrap();
        block_on(store.put(&Path::from(*rel), bytes.into())).unwrap();
        let opts = Options { block_size: 1024, cache_blocks: 8, read_around: 4096, ..Options::default() };
        let af = block_on(AsyncFile::open(store.clone(), &Path::from(*rel), &opts)).unwrap();
        let local = File::open(interop(rel)).unwrap();
        assert_eq!(block_on(af.keys("/")).unwrap(), local.root().unwrap().keys().unwrap());
        for p in walk(&local) {
            let read = |f: &File| match f.object(&p) {
                Ok(Object::Dataset(d)) => Ok(Some(d.read_raw()?)),
                Ok(_) => Ok(None),
                Err(e) => Err(e),
            };
            let ours = block_on(af.run(read)).map_err(|e| e.to_string());
            let theirs = read(&local).map_err(|e| e.to_string());
            assert_eq!(ours, theirs, "{}: {}", rel, p);
            compared += usize::from(matches!(theirs, Ok(Some(_))));
        }
    }
    assert!(compared >= 20, "{} datasets compared", compared);
}

#[test]
fn a_selections_chunks_come_in_one_round() {
    let rel = "jhdf/test_chunked_datasets_latest.hdf5";
    let store = Arc::new(InMemory::new());
    block_on(store.put(&Path::from(rel), std::fs::read(interop(rel)).unwrap().into())).unwrap();
    let local = File::open(interop(rel)).unwrap();
    // The dataset with the most chunks.
    let mut best = (0usize, String::new());
    for p in walk(&local) {
        if let Ok(n) = local.dataset(&p).and_then(|h| h.iter_chunks()).map(|c| c.len()) {
            if n > best.0 {
                best = (n, p);
            }
        }
    }
    let (n_chunks, path) = best;
    assert!(n_chunks >= 4, "{} chunks in {}", n_chunks, path);
    // Blocks small enough that the chunks span many of them, no read-around.
    let opts = Options { block_size: 512, cache_blocks: 4096, read_around: 0, coalesce_gap: 0, ..Options::default() };
    let af = block_on(AsyncFile::open(store, &Path::from(rel), &opts)).unwrap();
    block_on(af.run(|f| f.object(&path).map(|_| ()))).unwrap();
    let before = af.io_stats();
    let ours = block_on(af.run(|f| f.dataset(&path)?.read_raw())).unwrap();
    assert_eq!(ours, local.dataset(&path).unwrap().read_raw().unwrap());
    let after = af.io_stats();
    h5kit_testkit::say(&format!("{} ({} chunks): {:?} -> {:?}", path, n_chunks, before, after));
    // The chunk index, then every chunk announced at once (contiguous chunks merged into
    // one range): a few requests, not one per chunk (measured: 3 for 100 chunks).
    assert!(after.requests - before.requests <= 5, "{:?} -> {:?}", before, after);
}

//! Reading through object_store's in-memory and local-file stores and through the HTTP
//! client: every dataset of interop files (libhdf5-written, tests/data/interop) read through
//! a store equals the local read; symbol-table lookups by name find every link and no other;
//! bad servers and bad objects give clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{python, temp_dir, walk, RangeServer};
use h5kit::{File, Object};
use h5kit_store::{open_store, open_store_with, open_url, open_url_with, Options};
use h5kit_testkit::{interop, oracle};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

/// Interop files with chunked, compressed, compact, contiguous, string and compound data in
/// both group formats (symbol tables; compact and dense links).
const FILES: &[&str] = &[
    "jhdf/test_file.hdf5",
    "jhdf/test_chunked_datasets_earliest.hdf5",
    "jhdf/test_chunked_datasets_latest.hdf5",
    "jhdf/test_compressed_chunked_datasets_earliest.hdf5",
    "jhdf/test_compact_datasets_latest.hdf5",
    "jhdf/compound_datasets_earliest.hdf5",
    "jhdf/implicit_index_datasets.hdf5",
    "jhdf/fixed_array_paged_datasets.hdf5",
];

/// Reads every dataset of `local` and `remote` raw and compares (errors compared as text).
fn same_content(local: &File, remote: &File, what: &str) -> usize {
    let paths = walk(local);
    assert_eq!(paths, walk(remote), "{}: object tree", what);
    let mut n = 0;
    for p in &paths {
        let read = |f: &File| match f.object(p) {
            Ok(Object::Dataset(d)) => Some(d.read_raw().map_err(|e| e.to_string())),
            _ => None,
        };
        let (a, b) = (read(local), read(remote));
        assert_eq!(a, b, "{}: {}", what, p);
        n += usize::from(a.is_some());
    }
    n
}

async fn put(store: &dyn ObjectStore, name: &str, data: Vec<u8>) {
    store.put(&Path::from(name), data.into()).await.unwrap();
}

#[test]
fn in_memory_store_reads_interop_files_like_local_reads() {
    let store = Arc::new(InMemory::new());
    let mut datasets = 0;
    for rel in FILES {
        let bytes = std::fs::read(interop(rel)).unwrap();
        futures_executor::block_on(put(store.as_ref(), rel, bytes));
        // Small blocks and cache: many misses, evictions and coalesced prefetches.
        let opts = Options { block_size: 1024, cache_blocks: 8, read_around: 4096, ..Options::default() };
        let remote = open_store_with(store.clone(), &Path::from(*rel), &opts).unwrap();
        let local = File::open(interop(rel)).unwrap();
        datasets += same_content(&local, &remote, rel);
        let s = remote.io_stats();
        assert!(s.requests >= 1 && s.bytes > 0, "{:?}", s);
        assert!(s.cached_blocks <= 8 + 4, "{:?}", s);
    }
    assert!(datasets >= 40, "only {} datasets compared", datasets);
}

#[test]
fn local_file_system_store_reads_like_local_reads() {
    let dir = interop("jhdf");
    let store = Arc::new(LocalFileSystem::new_with_prefix(&dir).unwrap());
    for name in ["test_file.hdf5", "test_compressed_chunked_datasets_latest.hdf5"] {
        let remote = open_store(store.clone(), &Path::from(name)).unwrap();
        let local = File::open(dir.join(name)).unwrap();
        assert!(same_content(&local, &remote, name) > 0);
        // The first request is the first 64 KiB (or the whole file if smaller).
        let len = std::fs::metadata(dir.join(name)).unwrap().len();
        assert!(remote.io_stats().bytes <= len.max(64 * 1024) + len, "{:?}", remote.io_stats());
    }
    let missing = open_store(store, &Path::from("no-such-file.h5")).err().unwrap().to_string();
    assert!(missing.contains("no-such-file.h5"), "{}", missing);
}

#[test]
fn http_reads_interop_files_like_local_reads() {
    let server = RangeServer::start();
    for rel in FILES {
        server.add(rel, std::fs::read(interop(rel)).unwrap());
        let opts = Options { block_size: 2048, cache_blocks: 16, read_around: 8192, max_in_flight: 3, ..Options::default() };
        let remote = open_url_with(&server.url(rel), &opts).unwrap();
        let local = File::open(interop(rel)).unwrap();
        same_content(&local, &remote, rel);
        let (req, bytes) = server.take_counts();
        let s = remote.io_stats();
        assert_eq!((s.requests, s.bytes), (req, bytes), "{}", rel);
    }
}

#[test]
fn http_survives_servers_without_ranges_or_keep_alive() {
    let rel = "jhdf/test_file.hdf5";
    let data = std::fs::read(interop(rel)).unwrap();
    let local = File::open(interop(rel)).unwrap();
    let server = RangeServer::start();
    server.add("f.h5", data.clone());
    server.set_close_always(true);
    let remote = open_url(&server.url("f.h5")).unwrap();
    same_content(&local, &remote, "Connection: close");
    server.set_close_always(false);
    // A server ignoring Range: the size comes from Content-Length; only wanted bytes kept.
    server.set_ignore_range(true);
    let remote = open_url_with(&server.url("f.h5"), &Options { block_size: 1024, ..Options::default() }).unwrap();
    same_content(&local, &remote, "no Range support");
    let s = remote.io_stats();
    assert!(s.bytes >= data.len() as u64, "{:?}", s);
}

#[test]
fn http_errors_are_clear() {
    let server = RangeServer::start();
    let e = open_url(&server.url("missing.h5")).err().unwrap().to_string();
    assert!(e.contains("404") && e.contains("missing.h5"), "{}", e);
    server.add("junk.bin", vec![7u8; 5000]);
    let e = open_url(&server.url("junk.bin")).err().unwrap().to_string();
    assert!(e.to_lowercase().contains("superblock") || e.to_lowercase().contains("signature"), "{}", e);
    server.add("empty.bin", Vec::new());
    assert!(open_url(&server.url("empty.bin")).is_err());
    let e = open_url("https://127.0.0.1:1/x.h5").err().unwrap().to_string();
    assert!(e.contains("plain http"), "{}", e);
    // Nothing listens on this port (bound then dropped).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = open_url(&format!("http://127.0.0.1:{}/x.h5", port)).err().unwrap().to_string();
    assert!(e.contains("connecting"), "{}", e);
    // A file cut short: opening or reading fails with an error, never a panic.
    let full = std::fs::read(interop("jhdf/test_file.hdf5")).unwrap();
    server.add("cut.h5", full[..full.len() / 2].to_vec());
    if let Ok(f) = open_url(&server.url("cut.h5")) {
        let _ = walk(&f).iter().map(|p| f.object(p).and_then(|o| match o {
            Object::Dataset(d) => d.read_raw().map(|_| ()),
            _ => Ok(()),
        })).collect::<Vec<_>>();
    }
}

/// Names looked up one by one in a group of 305 links made by h5py, stored as a symbol table
/// (several B-tree and symbol table nodes; libhdf5's default format) and as dense storage
/// (fractal heap + v2 B-tree name index; libver='latest'): each is found at its object, other
/// names are not.
#[test]
fn name_lookups_find_every_link_and_no_other() {
    if !oracle::check(oracle::H5PY, 2, "305-link groups, symbol table and dense") {
        return;
    }
    let dir = temp_dir("lookup");
    for libver in ["earliest", "latest"] {
        let path = dir.join(format!("names_{}.h5", libver));
        python(
            r#"
import sys, h5py, random
random.seed(5)
names = ['n%03d' % i for i in range(300)] + ['a', 'zz', 'n100x', 'N050']
random.shuffle(names)
with h5py.File(sys.argv[1], 'w', libver=sys.argv[2]) as f:
    g = f.create_group('g')
    for n in names:
        g.create_dataset(n, data=[len(n), ord(n[0]), ord(n[-1])])
    g['soft'] = h5py.SoftLink('/g/n007')
"#,
            &[path.to_str().unwrap(), libver],
        );
        let bytes = std::fs::read(&path).unwrap();
        let local = File::open(&path).unwrap();
        let keys = match local.object("/g").unwrap() {
            Object::Group(g) => g.keys().unwrap(),
            _ => panic!("/g is not a group"),
        };
        assert_eq!(keys.len(), 305, "{}", libver);
        let store = Arc::new(InMemory::new());
        futures_executor::block_on(put(store.as_ref(), "names.h5", bytes));
        let remote = open_store(store, &Path::from("names.h5")).unwrap();
        let before = remote.io_stats();
        for k in &keys {
            let p = format!("/g/{}", k);
            let (a, b) = (local.object(&p).unwrap(), remote.object(&p).unwrap());
            assert_eq!(a.address(), b.address(), "{}: {}", libver, p);
        }
        assert_eq!(remote.object("/g/soft").unwrap().address(), local.object("/g/n007").unwrap().address());
        for absent in ["0", "A", "n", "n000 ", "n1000", "n299a", "zzz", "n100y", "\u{7f}", "soft2"] {
            let p = format!("/g/{}", absent);
            let e = remote.object(&p).err().unwrap_or_else(|| panic!("{}: {} found", libver, p));
            assert!(e.to_string().contains("no object named"), "{}: {}: {}", libver, p, e);
        }
        h5kit_testkit::say(&format!("305 lookups by name ({}): {:?} -> {:?}", libver, before, remote.io_stats()));
        oracle::compared(oracle::H5PY, 1);
    }
}

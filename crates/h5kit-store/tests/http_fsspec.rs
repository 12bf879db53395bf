//! Issue 16's "done when" for object-store storage: over an HTTP server on 127.0.0.1, opening
//! a libhdf5-written file with 1,000 datasets (made by h5py at test time) and reading one chunk
//! takes fewer requests and fewer bytes than h5py + fsspec on the same file and server; both
//! figures are printed; the values equal a local read's (and h5py's through fsspec).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use common::{python, temp_dir, RangeServer};
use h5kit::{File, Hyperslab};
use h5kit_store::{open_url_with, Options};
use h5kit_testkit::oracle;

/// 1,000 chunked float64 datasets of 4,096 values (chunks of 512), as h5py writes them by
/// default (libhdf5's earliest format: a symbol-table root group).
const MAKE: &str = r#"
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    for i in range(1000):
        f.create_dataset('d%04d' % i, data=i * 10000.0 + np.arange(4096) * 0.5 + np.sin(np.arange(4096) + i), chunks=(512,))
"#;

/// h5py reading `name[lo:hi]` through fsspec's HTTP file system: prints the seconds, then one
/// value per line (repr: exact).
const FSSPEC_READ: &str = r#"
import sys, time, fsspec, h5py
url, name, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t = time.perf_counter()
fs = fsspec.filesystem('http')
with fs.open(url, 'rb') as f, h5py.File(f, 'r') as h:
    v = h[name][lo:hi]
t = time.perf_counter() - t
print(t)
for x in v:
    print(repr(float(x)))
"#;

const OPEN_AND_READ: &str = "open a 1,000-dataset file over HTTP and read one chunk";

fn make_file(test: &str) -> Option<(std::path::PathBuf, Vec<u8>)> {
    if !oracle::check(oracle::H5PY, 1, "making the 1,000-dataset file") {
        return None;
    }
    let dir = temp_dir(test);
    let path = dir.join("thousand.h5");
    python(MAKE, &[path.to_str().unwrap()]);
    let bytes = std::fs::read(&path).unwrap();
    Some((path, bytes))
}

#[test]
fn one_chunk_of_a_thousand_datasets_costs_less_than_h5py_fsspec() {
    let Some((path, bytes)) = make_file("fsspec") else { return };
    let size = bytes.len();
    let server = RangeServer::start();
    server.add("thousand.h5", bytes);
    let url = server.url("thousand.h5");
    let (name, lo, n) = ("d0500", 1536u64, 512u64);

    // Ours.
    let _ = server.take_counts();
    let t = Instant::now();
    let file = h5kit_store::open_url(&url).unwrap();
    let ours = file.dataset(&format!("/{}", name)).unwrap().read_slice::<f64>(Hyperslab::new(&[lo], &[n])).unwrap();
    let ours_time = t.elapsed().as_secs_f64();
    let stats = file.io_stats();
    let (ours_req, ours_bytes) = server.take_counts();
    let ours_log = server.take_log();
    assert_eq!((stats.requests, stats.bytes), (ours_req, ours_bytes), "io_stats disagrees with the server's count");

    // The same read from the local file.
    let local = File::open(&path).unwrap();
    let expect = local.dataset(&format!("/{}", name)).unwrap().read_slice::<f64>(Hyperslab::new(&[lo], &[n])).unwrap();
    assert_eq!(ours.shape, vec![n]);
    assert_eq!(ours.data.len(), n as usize);
    assert!(ours.data.iter().zip(&expect.data).all(|(a, b)| a.to_bits() == b.to_bits()), "store read differs from the local read");

    // h5py + fsspec on the same server.
    if !oracle::check(oracle::FSSPEC, 1, OPEN_AND_READ) {
        h5kit_testkit::say(&format!("h5kit-store: {} requests, {} bytes, {:.1} ms (file {} bytes)", ours_req, ours_bytes, ours_time * 1e3, size));
        return;
    }
    let out = python(FSSPEC_READ, &[&url, name, &lo.to_string(), &(lo + n).to_string()]);
    let (their_req, their_bytes) = server.take_counts();
    let their_log = server.take_log();
    h5kit_testkit::say(&format!("  h5kit-store requests: {:?}\n  h5py+fsspec requests: {:?}", ours_log, their_log));
    let mut lines = out.lines();
    let their_time: f64 = lines.next().unwrap().trim().parse().unwrap();
    let theirs: Vec<f64> = lines.map(|l| l.trim().parse::<f64>().unwrap()).collect();
    assert_eq!(theirs.len(), n as usize);
    assert!(theirs.iter().zip(&ours.data).all(|(a, b)| a.to_bits() == b.to_bits()), "h5py through fsspec read other values");
    oracle::compared(oracle::FSSPEC, 1);

    h5kit_testkit::say(&format!(
        "open + read one chunk of /{} in a file of 1,000 datasets ({} bytes) over HTTP:\n  h5kit-store:  {:>4} requests, {:>10} bytes, {:>7.1} ms\n  h5py+fsspec:  {:>4} requests, {:>10} bytes, {:>7.1} ms",
        name, size, ours_req, ours_bytes, ours_time * 1e3, their_req, their_bytes, their_time * 1e3
    ));
    assert!(ours_req < their_req, "{} requests, h5py+fsspec {}", ours_req, their_req);
    assert!(ours_bytes < their_bytes, "{} bytes, h5py+fsspec {}", ours_bytes, their_bytes);
}

#[test]
fn whole_datasets_over_http_are_prefetched_and_exact() {
    let Some((path, bytes)) = make_file("prefetch") else { return };
    let server = RangeServer::start();
    server.add("thousand.h5", bytes);
    let local = File::open(&path).unwrap();
    let file = h5kit_store::open_url(&server.url("thousand.h5")).unwrap();
    let before = file.io_stats().requests;
    // Eight chunks of 4 KiB each, contiguous in the file: announced together, fetched in one
    // coalesced request (plus the dataset's metadata).
    let a = file.dataset("/d0999").unwrap().read::<f64>().unwrap();
    let b = local.dataset("/d0999").unwrap().read::<f64>().unwrap();
    assert_eq!(a.shape, b.shape);
    assert!(a.data.iter().zip(&b.data).all(|(x, y)| x.to_bits() == y.to_bits()));
    let used = file.io_stats().requests - before;
    assert!(used <= 4, "{} requests for one 8-chunk dataset", used);
    // Every 37th dataset, whole: equal to the local reads.
    for i in (0..1000).step_by(37) {
        let p = format!("/d{:04}", i);
        let a = file.dataset(&p).unwrap().read::<f64>().unwrap();
        let b = local.dataset(&p).unwrap().read::<f64>().unwrap();
        assert!(a.data.iter().zip(&b.data).all(|(x, y)| x.to_bits() == y.to_bits()), "{}", p);
    }
    let s = file.io_stats();
    assert_eq!(s.requests, server.take_counts().0);
    assert!(s.cached_blocks <= 512);
}

/// Chunks that are not next to each other in the file (two datasets written chunk by chunk in
/// turn, by h5py) are fetched concurrently: with 20 ms per reply, the server sees several
/// requests at once, and the read takes far less than one latency per chunk.
#[test]
fn scattered_chunks_are_fetched_concurrently() {
    if !oracle::check(oracle::H5PY, 1, "interleaved chunks") {
        return;
    }
    let dir = temp_dir("concurrent");
    let path = dir.join("interleaved.h5");
    python(
        r#"
import sys, h5py, numpy as np
# No chunk cache: each chunk is allocated when written, so a's and b's alternate in the file.
with h5py.File(sys.argv[1], 'w', rdcc_nbytes=0) as f:
    a = f.create_dataset('a', shape=(32 * 1024,), dtype='f8', chunks=(1024,))
    b = f.create_dataset('b', shape=(32 * 1024,), dtype='f8', chunks=(1024,))
    for i in range(32):
        a[i * 1024:(i + 1) * 1024] = np.arange(1024) + i * 1e6
        b[i * 1024:(i + 1) * 1024] = -np.arange(1024) - i * 1e6
"#,
        &[path.to_str().unwrap()],
    );
    let server = RangeServer::start();
    server.add("interleaved.h5", std::fs::read(&path).unwrap());
    let local = File::open(&path).unwrap();
    // 8 KiB chunks 16 KiB apart: no read-around, no coalescing, 4 KiB blocks; at most
    // `in_flight` requests at once.
    let read = |in_flight: usize| {
        let opts = Options { block_size: 4096, read_around: 0, coalesce_gap: 0, max_in_flight: in_flight, ..Options::default() };
        let file = open_url_with(&server.url("interleaved.h5"), &opts).unwrap();
        file.dataset("/a").unwrap().shape().unwrap();
        server.set_delay_ms(20);
        let _ = server.take_max_in_flight();
        let before = file.io_stats().requests;
        let t = Instant::now();
        let ours = file.dataset("/a").unwrap().read::<f64>().unwrap();
        let took = t.elapsed().as_secs_f64();
        server.set_delay_ms(0);
        (ours, file.io_stats().requests - before, server.take_max_in_flight(), took)
    };
    let expect = local.dataset("/a").unwrap().read::<f64>().unwrap();
    let (ours, requests, at_once, took) = read(8);
    let (one_by_one, requests_1, at_once_1, took_1) = read(1);
    for v in [&ours, &one_by_one] {
        assert_eq!(v.data.len(), 32 * 1024);
        assert!(v.data.iter().zip(&expect.data).all(|(x, y)| x.to_bits() == y.to_bits()));
    }
    h5kit_testkit::say(&format!(
        "32 scattered chunks, 20 ms per reply: {} requests, {} at once, {:.0} ms; with max_in_flight 1: {} requests, {:.0} ms",
        requests, at_once, took * 1e3, requests_1, took_1 * 1e3
    ));
    assert!(requests >= 32, "{} requests: were the chunks merged?", requests);
    assert!((4..=8).contains(&at_once), "{} requests at once (max_in_flight 8)", at_once);
    assert_eq!(at_once_1, 1);
}

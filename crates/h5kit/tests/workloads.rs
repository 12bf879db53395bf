//! examples/workloads.rs (the h5py calls of shared/bench/h5py_bench.py through the handles)
//! at small sizes: every file equals, by h5diff, the file h5py writes with the same calls, and
//! the read workloads give h5py's results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::process::Command;

use h5kit_testkit::oracle;

#[path = "../../../examples/workloads.rs"]
mod workloads;

use workloads::*;

const SIZES: Sizes = Sizes { n: 5000, rows: 50, groups: 3, items: 4, flushes: 20 };

/// h5py_bench.py's calls at SIZES with the example's data formula; prints the two read
/// results.
const H5PY_MIRROR: &str = r#"
import sys, numpy as np, h5py
d, N, ROWS, G, ITEMS, FLUSHES = sys.argv[1], *map(int, sys.argv[2:7])
plain = ((np.arange(N, dtype=np.int64) * 7919) % 1000) / 8.0 - 60.0
smooth = np.cumsum(plain)
with h5py.File(f"{d}/contig.h5", "w") as f:
    f.create_dataset("x", data=plain)
with h5py.File(f"{d}/gzip.h5", "w") as f:
    f.create_dataset("x", data=smooth, chunks=(min(32768, N),), compression="gzip", compression_opts=4, shuffle=True)
with h5py.File(f"{d}/gzip.h5", "r") as f:
    x = f["x"]; s = 0.0
    for k in range(10000):
        i = (k * 104729) % (max(N, 17) - 16)
        s += x[i:i + 16].sum()
print(repr(float(s)))
row = np.arange(16, dtype="<f4")
with h5py.File(f"{d}/append.h5", "w") as f:
    x = f.create_dataset("rows", shape=(0, 16), maxshape=(None, 16), dtype="<f4", chunks=(1024, 16))
    for i in range(ROWS):
        x.resize((i + 1, 16)); x[i] = row
with h5py.File(f"{d}/meta.h5", "w") as f:
    for c in range(G):
        g = f.create_group(f"cat{c:03d}")
        g.attrs["label"] = f"category {c}"
        for i in range(ITEMS):
            ds = g.create_dataset(f"item{i:03d}", data=np.arange(10, dtype="<i8"))
            ds.attrs["id"] = c * 100 + i
            ds.attrs["score"] = 0.5
with h5py.File(f"{d}/meta.h5", "r") as f:
    n = 0
    for c in f.values():
        _ = c.attrs["label"]
        for ds in c.values():
            n += int(ds.attrs["id"]) + int(ds[9])
print(n)
with h5py.File(f"{d}/large.h5", "w") as f:
    x = f.create_dataset("x", shape=(16 * N,), dtype="<f8", chunks=(min(2**20, 16 * N),))
    for k in range(16):
        x[k * N:(k + 1) * N] = plain
with h5py.File(f"{d}/large.h5", "a") as f:
    x = f.create_dataset("log", shape=(0, 16), maxshape=(None, 16), dtype="<f4", chunks=(1024, 16))
    for i in range(FLUSHES):
        x.resize((i + 1, 16)); x[i] = row; f.flush()
"#;

#[test]
fn workloads_match_h5py() {
    let root = std::env::temp_dir().join(format!("h5kit-workloads-{}", std::process::id()));
    let (ours, theirs) = (root.join("ours"), root.join("h5py"));
    std::fs::create_dir_all(&ours).unwrap();
    std::fs::create_dir_all(&theirs).unwrap();
    let s = SIZES;
    let (p, sm) = (plain(s.n), smooth(s.n));
    w_contig(&ours, &p).unwrap();
    r_contig(&ours, &p).unwrap();
    w_gzip(&ours, &sm).unwrap();
    r_gzip(&ours, &sm).unwrap();
    let random_sum = r_random(&ours, s.n).unwrap();
    w_append(&ours, s.rows).unwrap();
    w_meta(&ours, s.groups, s.items).unwrap();
    let meta_sum = r_meta(&ours).unwrap();
    // Sum of ids (c * 100 + i) and of ds[9] over every dataset: the reader checked by formula.
    let want_meta: i64 = (0..s.groups as i64).flat_map(|c| (0..s.items as i64).map(move |i| c * 100 + i + 9)).sum();
    assert_eq!(meta_sum, want_meta);
    w_large(&ours, &p).unwrap();
    w_append_flush(&ours, s.flushes).unwrap();
    let f = h5kit::File::open(ours.join("large.h5")).unwrap();
    assert_eq!(f.dataset("x").unwrap().read_slice::<f64>(15 * s.n..15 * s.n + 3).unwrap().data, p[..3]);
    assert_eq!(f.dataset("log").unwrap().shape().unwrap(), [s.flushes, 16]);
    drop(f);

    if !oracle::check(oracle::H5PY, 1, "h5py writes the workloads' files") {
        oracle::skipped(oracle::H5DIFF, 5, "h5diff of the workloads' files: h5py not installed");
        return;
    }
    let args: Vec<String> = [s.n, s.rows, s.groups, s.items, s.flushes].iter().map(|v| v.to_string()).collect();
    let out = Command::new("python3").arg("-c").arg(H5PY_MIRROR).arg(&theirs).args(&args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines, [format!("{:?}", random_sum), meta_sum.to_string()], "read results differ from h5py's");
    oracle::compared(oracle::H5PY, 1);
    if !oracle::check(oracle::H5DIFF, 5, "h5diff of the workloads' files against h5py's") {
        return;
    }
    for name in ["contig.h5", "gzip.h5", "append.h5", "meta.h5", "large.h5"] {
        let out = Command::new("h5diff").arg("-r").arg(ours.join(name)).arg(theirs.join(name)).output().unwrap();
        assert!(out.status.success(), "h5diff {}: {}{}", name, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        oracle::compared(oracle::H5DIFF, 1);
    }
    std::fs::remove_dir_all(&root).unwrap();
}

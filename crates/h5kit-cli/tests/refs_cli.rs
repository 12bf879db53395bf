//! `h5 refs` (kerchunk reference manifests). Goldens in `tests/golden_refs/` (made with
//! `h5 refs NAME --url NAME` in the file's directory) check the output without Python; with
//! the `kerchunk` oracle (python3 + kerchunk, zarr 2, fsspec, h5py, hdf5plugin),
//! `tests/refs_check.py` reads every manifest through fsspec's reference filesystem + zarr and
//! compares each covered dataset's values with h5py, on every interop file, on files it
//! generates (gzip+shuffle, Fletcher-32, zstd, LZ4, compact, contiguous, sparse, userblock,
//! latest-format indexes), on `tests/data/refs/lz4_bitshuffle.h5` (LZ4 and bitshuffle, made by
//! `make_refs_fixtures.py`) and on the goldens; it also runs kerchunk's own scanner on the same
//! files, prints datasets covered and time of both, and fails if kerchunk gives h5py's values
//! for a dataset h5 refs leaves out. With feature `parquet` the same files' parquet manifests
//! (`--format kerchunk-parquet`) are read the same way.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use h5kit_testkit::oracle;
use serde_json::Value;

const H5: &str = env!("CARGO_BIN_EXE_h5");

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden_refs")
}

const GOLDENS: &[&str] = &[
    "jhdf/test_compressed_chunked_datasets_latest.hdf5",
    "jhdf/test_compact_datasets_earliest.hdf5",
    "pyfive/fletcher32.hdf5",
];

/// Runs `h5 refs NAME --url NAME` in the file's directory.
fn refs_in_dir(rel: &str) -> Value {
    let path = h5kit_testkit::interop(rel);
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    let out = Command::new(H5).args(["refs", &name, "--url", &name]).current_dir(path.parent().unwrap()).output().unwrap();
    assert!(out.status.success(), "h5 refs {}: {}", rel, String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn golden_path(rel: &str) -> PathBuf {
    let stem = Path::new(rel).file_stem().unwrap().to_str().unwrap();
    golden_dir().join(format!("{}.json", stem))
}

#[test]
fn goldens() {
    for rel in GOLDENS {
        let got = refs_in_dir(rel);
        let want: Value = serde_json::from_str(&std::fs::read_to_string(golden_path(rel)).unwrap()).unwrap();
        assert_eq!(got, want, "{}", rel);
    }
}

#[test]
fn skipped_reasons_and_output_file() {
    // bitshuffle+LZ4 with 20 elements per chunk: the last 4 are stored raw after the LZ4
    // blocks, which imagecodecs_lz4h5 cannot skip: listed with the reason, exit 0.
    let dir = std::env::temp_dir().join(format!("h5kit-refs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join("m.json");
    let f = h5kit_testkit::interop("jhdf/bitshuffle_datasets.hdf5");
    let out = Command::new(H5).arg("refs").arg(&f).arg("-o").arg(&out_path).output().unwrap();
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("skipped /float32_bs0_comp2: bitshuffle+LZ4 chunk [0]: element count not a multiple of 8"), "{}", stderr);
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    assert!(doc["refs"].get("float32_bs0_comp2/.zarray").is_none());
    // bitshuffle without compression and LZ4: imagecodecs' codecs
    let zarray: Value = serde_json::from_str(doc["refs"]["float32_bs8_comp0/.zarray"].as_str().unwrap()).unwrap();
    assert_eq!(zarray["filters"], serde_json::json!([{"id": "imagecodecs_bitshuffle", "itemsize": 4, "blocksize": 8}]));
    let lz4 = Command::new(H5).arg("refs").arg(h5kit_testkit::interop("jhdf/lz4_datasets.hdf5")).output().unwrap();
    let doc: Value = serde_json::from_slice(&lz4.stdout).unwrap();
    let zarray: Value = serde_json::from_str(doc["refs"]["float32_bs0/.zarray"].as_str().unwrap()).unwrap();
    assert_eq!(zarray["filters"], serde_json::json!([{"id": "imagecodecs_lz4h5"}]));
    assert_eq!(doc["h5kit:skipped"], serde_json::json!({}));
    // variable-length strings embedded as kerchunk does (json2 codec, one inline chunk)
    let s = Command::new(H5).arg("refs").arg(h5kit_testkit::interop("jhdf/test_string_datasets_latest.hdf5")).output().unwrap();
    let doc: Value = serde_json::from_slice(&s.stdout).unwrap();
    let zarray: Value = serde_json::from_str(doc["refs"]["variable_length_2d/.zarray"].as_str().unwrap()).unwrap();
    assert_eq!(zarray["dtype"], "|O");
    assert_eq!(zarray["filters"][0]["id"], "json2");
    let zarray: Value = serde_json::from_str(doc["refs"]["fixed_length_ascii/.zarray"].as_str().unwrap()).unwrap();
    assert!(zarray["dtype"].as_str().unwrap().starts_with("|S"), "{}", zarray);
    // unknown format: usage error
    let bad = Command::new(H5).arg("refs").arg(&f).args(["--format", "parquet"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    // parquet: a directory (-o DIR), and only with the `parquet` feature
    let pq = Command::new(H5).arg("refs").arg(&f).args(["--format", "kerchunk-parquet"]).output().unwrap();
    assert_eq!(pq.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&pq.stderr);
    if cfg!(feature = "parquet") {
        assert!(msg.contains("-o DIR"), "{}", msg);
    } else {
        assert!(msg.contains("`parquet` feature"), "{}", msg);
    }
    // missing file: error naming it
    let missing = Command::new(H5).args(["refs", "/nonexistent/x.h5"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.h5"));
    let _ = std::fs::remove_dir_all(&dir);
}

fn dir_size(d: &Path) -> u64 {
    std::fs::read_dir(d)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() {
                dir_size(&p)
            } else {
                std::fs::metadata(&p).unwrap().len()
            }
        })
        .sum()
}

fn all_interop() -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("hdf5" | "h5" | "nc")) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&h5kit_testkit::interop_dir(), &mut out);
    out.push(fixture());
    out.sort();
    out
}

/// LZ4 and bitshuffle datasets written by h5py + hdf5plugin (tests/make_refs_fixtures.py).
fn fixture() -> PathBuf {
    h5kit_testkit::interop_dir().parent().unwrap().join("refs").join("lz4_bitshuffle.h5")
}

#[test]
fn lz4_and_bitshuffle_covered() {
    // every LZ4 and bitshuffle dataset of the fixture but those with a precise reason
    let out = Command::new(H5).arg("refs").arg(fixture()).output().unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let skipped: BTreeSet<&str> = doc["h5kit:skipped"].as_object().unwrap().keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = ["/bitshuffle/lz4/lef4_7x7", "/bitshuffle/zstd/lef4_7x7", "/bitshuffle/zstd/lei4_24"].into();
    assert_eq!(skipped, want);
    let refs = doc["refs"].as_object().unwrap();
    let covered: Vec<&String> = refs.keys().filter(|k| k.ends_with("/.zarray")).collect();
    assert_eq!(covered.len(), 24, "{:?}", covered);
    for k in covered {
        let z: Value = serde_json::from_str(refs[k].as_str().unwrap()).unwrap();
        let ids: Vec<&str> = z["filters"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
        let want: &[&str] = if k.starts_with("bitshuffle/lz4/") {
            &["imagecodecs_bitshuffle", "imagecodecs_lz4h5"]
        } else if k.starts_with("bitshuffle/none/") {
            &["imagecodecs_bitshuffle"]
        } else if k == "lz4/sparse/.zarray" {
            &["shuffle", "imagecodecs_lz4h5"]
        } else {
            &["imagecodecs_lz4h5"]
        };
        assert_eq!(ids, want, "{}", k);
    }
}

#[test]
fn values_equal_h5py_through_fsspec_zarr() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("refs_check.py");
    let files = all_interop();
    if !oracle::check(oracle::KERCHUNK, files.len() as u64, "h5 refs manifests read by fsspec+zarr vs h5py") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("h5kit-refs-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let made = Command::new("python3").arg(&script).arg("--make").arg(&dir).output().unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let generated: Vec<PathBuf> = String::from_utf8_lossy(&made.stdout).lines().map(PathBuf::from).collect();
    let mut args: Vec<PathBuf> = Vec::new();
    let mut h5kit_time = Duration::ZERO;
    let mut skipped_total = 0usize;
    let (mut json_bytes, mut parquet_bytes, mut parquet_time) = (0u64, 0u64, Duration::ZERO);
    let mut parquet_args: Vec<PathBuf> = Vec::new();
    for (i, f) in files.iter().chain(&generated).enumerate() {
        let m = dir.join(format!("{}.json", i));
        let t = Instant::now();
        let out = Command::new(H5).arg("refs").arg(f).arg("-o").arg(&m).output().unwrap();
        h5kit_time += t.elapsed();
        assert!(out.status.success(), "h5 refs {}: {}", f.display(), String::from_utf8_lossy(&out.stderr));
        skipped_total += String::from_utf8_lossy(&out.stderr).lines().count();
        args.push(f.clone());
        args.push(m.clone());
        json_bytes += std::fs::metadata(&m).unwrap().len();
        if cfg!(feature = "parquet") {
            let pq = dir.join(format!("{}.parq", i));
            let t = Instant::now();
            let out = Command::new(H5).arg("refs").arg(f).args(["--format", "kerchunk-parquet", "-o"]).arg(&pq).output().unwrap();
            parquet_time += t.elapsed();
            assert!(out.status.success(), "h5 refs --format kerchunk-parquet {}: {}", f.display(), String::from_utf8_lossy(&out.stderr));
            parquet_bytes += dir_size(&pq);
            parquet_args.push(f.clone());
            parquet_args.push(pq);
        }
    }
    // the goldens, read with their bare-name URLs from their own directories
    let mut runs: Vec<(PathBuf, Vec<PathBuf>)> = vec![(std::env::current_dir().unwrap(), args.clone())];
    for rel in GOLDENS {
        let f = h5kit_testkit::interop(rel);
        runs.push((f.parent().unwrap().to_path_buf(), vec![f.clone(), golden_path(rel)]));
    }
    let mut results = Vec::new();
    let mut parquet_results = Vec::new();
    if !parquet_args.is_empty() {
        let out = Command::new("python3").arg(&script).arg("--no-kerchunk").args(parquet_args.iter()).output().unwrap();
        assert!(out.status.success(), "refs_check.py (parquet): {}", String::from_utf8_lossy(&out.stderr));
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            parquet_results.push(serde_json::from_str::<Value>(line).unwrap());
        }
        assert_eq!(parquet_results.len(), parquet_args.len() / 2, "one result per parquet manifest");
    }
    for (cwd, a) in &runs {
        let out = Command::new("python3").arg(&script).args(a.iter()).current_dir(cwd).output().unwrap();
        assert!(out.status.success(), "refs_check.py: {}", String::from_utf8_lossy(&out.stderr));
        let before = results.len();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            results.push(serde_json::from_str::<Value>(line).unwrap());
        }
        assert_eq!(results.len() - before, a.len() / 2, "one result per manifest");
    }
    let (mut covered, mut equal, mut kerchunk, mut kerchunk_secs) = (0usize, 0u64, 0usize, 0f64);
    let mut kerchunk_only = Vec::new();
    let mut kerchunk_only_right = Vec::new();
    let mut problems = Vec::new();
    let mut not_compared = 0usize;
    for r in &results {
        let file = r["file"].as_str().unwrap_or("?");
        assert!(r.get("error").is_none(), "refs_check.py: {}", r);
        if r.get("crash").is_some() || r.get("h5py_error").is_some() {
            eprintln!("not compared (h5py cannot read it): {} {}", file, r);
            continue;
        }
        let unreadable = r.get("h5py_unreadable").and_then(Value::as_array).map_or(0, Vec::len);
        if unreadable > 0 {
            eprintln!("not compared (h5py cannot read them): {} {}", file, r["h5py_unreadable"]);
            not_compared += unreadable;
        }
        let mine: BTreeSet<&str> = r["h5kit"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        covered += mine.len();
        equal += r["equal"].as_u64().unwrap();
        for m in r["mismatch"].as_array().unwrap() {
            problems.push(format!("{}: {}", file, m));
        }
        if let Some(k) = r["kerchunk"].as_array() {
            kerchunk += k.len();
            kerchunk_secs += r["kerchunk_seconds"].as_f64().unwrap_or(0.0);
            for p in k.iter().filter_map(Value::as_str) {
                if !mine.contains(p) {
                    kerchunk_only.push(format!("{}:{}", file, p));
                }
            }
            for p in r["kerchunk_only_equal"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                kerchunk_only_right.push(format!("{}:{}", file, p));
            }
            for w in r["kerchunk_only_wrong"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                eprintln!("kerchunk only, kerchunk's values wrong: {}:{}", file, w);
            }
            for w in r["kerchunk_only_unreadable"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                eprintln!("kerchunk only, h5py cannot read it: {}:{}", file, w);
            }
        }
    }
    oracle::compared(oracle::KERCHUNK, equal);
    eprintln!(
        "h5 refs: {} datasets covered ({} that h5py cannot read), {} equal to h5py through fsspec+zarr, {} skipped with a reason; {:.2} s for {} files (process runs)",
        covered,
        not_compared,
        equal,
        skipped_total,
        h5kit_time.as_secs_f64(),
        args.len() / 2
    );
    eprintln!("kerchunk SingleHdf5ToZarr: {} datasets, {:.2} s (in-process, same files)", kerchunk, kerchunk_secs);
    eprintln!("covered by kerchunk only: {} ({})", kerchunk_only.len(), kerchunk_only.join(", "));
    eprintln!("json manifests: {} bytes", json_bytes);
    assert!(problems.is_empty(), "values differ from h5py:\n{}", problems.join("\n"));
    // kerchunk covers nothing that h5 refs leaves out, unless kerchunk's values are wrong there
    assert!(kerchunk_only_right.is_empty(), "kerchunk gives h5py's values, h5 refs skips: {}", kerchunk_only_right.join(", "));
    if !parquet_results.is_empty() {
        // the parquet manifests cover the same datasets with the same values
        let json_by_file: std::collections::HashMap<&str, &Value> = results.iter().map(|r| (r["file"].as_str().unwrap_or(""), r)).collect();
        let mut pq_equal = 0u64;
        for r in &parquet_results {
            let file = r["file"].as_str().unwrap_or("?");
            assert!(r.get("crash").is_none() && r.get("error").is_none(), "parquet: {}", r);
            assert!(r["mismatch"].as_array().is_none_or(Vec::is_empty), "parquet {}: {}", file, r["mismatch"]);
            if r.get("h5py_error").is_some() {
                continue;
            }
            let j = json_by_file[file];
            assert_eq!(r["h5kit"], j["h5kit"], "{}", file);
            assert_eq!(r["equal"], j["equal"], "{}", file);
            pq_equal += r["equal"].as_u64().unwrap();
        }
        oracle::compared(oracle::KERCHUNK, pq_equal);
        eprintln!(
            "parquet manifests: {} datasets equal to h5py through fsspec's LazyReferenceMapper+zarr; {} bytes (json {}); {:.2} s",
            pq_equal,
            parquet_bytes,
            json_bytes,
            parquet_time.as_secs_f64()
        );
    }
    assert!(covered > 100, "only {} datasets covered", covered);
    assert_eq!(equal as usize + not_compared, covered);
    let _ = std::fs::remove_dir_all(&dir);
}

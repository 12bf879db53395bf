//! Every chunk of the datasets listed in tests/data/filters.manifest (written by
//! tests/data/gen_filters.py with h5py + hdf5plugin, plus interop files), decoded with
//! `decode_pipeline`, must hold exactly the bytes h5py reads for its part of the dataset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use h5kit_core::Limits;
use h5kit_dataset::decode_pipeline;
use h5kit_object_header::{Filter, FilterPipeline};

struct Dataset {
    label: String,
    name: String,
    shape: Vec<u64>,
    chunk: Vec<u64>,
    elem: usize,
    expected: String,
    filters: Vec<Filter>,
    chunks: Vec<(u64, u64, u32, Vec<u64>)>,
}

fn dims(s: &str) -> Vec<u64> {
    s.split(',').map(|v| v.parse().unwrap()).collect()
}

fn manifest() -> Vec<Dataset> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let text = std::fs::read_to_string(format!("{}/filters.manifest", dir)).unwrap();
    let mut out: Vec<Dataset> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "dataset" => out.push(Dataset {
                label: f[1].into(),
                name: f[2].into(),
                shape: dims(f[3]),
                chunk: dims(f[4]),
                elem: f[6].parse().unwrap(),
                expected: f[7].into(),
                filters: vec![],
                chunks: vec![],
            }),
            "filter" => {
                let cd = if f[2] == "-" { vec![] } else { f[2].split(',').map(|v| v.parse().unwrap()).collect() };
                out.last_mut().unwrap().filters.push(Filter { id: f[1].parse().unwrap(), name: None, flags: 0, client_data: cd });
            }
            "chunk" => out.last_mut().unwrap().chunks.push((f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap(), dims(f[4]))),
            other => panic!("bad manifest line {:?}", other),
        }
    }
    out
}

mod common;

fn file_of(label: &str) -> String {
    match label.strip_prefix("interop:") {
        Some(rel) => common::interop(rel),
        None => concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/filters.h5").to_string(),
    }
}

/// Checks one decoded chunk against the expected dataset bytes (elements inside the extent).
fn check_chunk(d: &Dataset, coords: &[u64], decoded: &[u8], expected: &[u8]) {
    let n_chunk: u64 = d.chunk.iter().product();
    assert_eq!(decoded.len() as u64, n_chunk * d.elem as u64, "{} {} chunk {:?}: decoded size", d.label, d.name, coords);
    let rank = d.chunk.len();
    let mut idx = vec![0u64; rank];
    for k in 0..n_chunk as usize {
        // Row-major index within the chunk -> dataset coordinates.
        let mut rem = k as u64;
        for r in (0..rank).rev() {
            idx[r] = rem % d.chunk[r];
            rem /= d.chunk[r];
        }
        let pos: Vec<u64> = (0..rank).map(|r| coords[r] + idx[r]).collect();
        if pos.iter().zip(&d.shape).any(|(p, s)| p >= s) {
            continue;
        }
        let lin = pos.iter().zip(&d.shape).fold(0u64, |acc, (p, s)| acc * s + p);
        let e = d.elem;
        let want = &expected[lin as usize * e..(lin as usize + 1) * e];
        let got = &decoded[k * e..(k + 1) * e];
        assert_eq!(got, want, "{} {} chunk {:?} element {:?}", d.label, d.name, coords, pos);
    }
}

#[test]
fn all_manifest_chunks_decode_to_h5py_values() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/expected");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut per_filter: BTreeMap<u16, usize> = BTreeMap::new();
    let mut skipped_by_mask = 0;
    let limits = Limits::default();
    for d in manifest() {
        let path = file_of(&d.label);
        let bytes = files.entry(path.clone()).or_insert_with(|| std::fs::read(&path).unwrap());
        let expected = std::fs::read(format!("{}/{}", dir, d.expected)).unwrap();
        let pipeline = FilterPipeline { version: 2, filters: d.filters.clone() };
        for (addr, size, mask, coords) in &d.chunks {
            let raw = bytes[*addr as usize..(*addr + *size) as usize].to_vec();
            let decoded = decode_pipeline(&pipeline, *mask, raw, d.elem, &limits, *addr)
                .unwrap_or_else(|e| panic!("{} {} chunk at {}: {}", d.label, d.name, addr, e));
            check_chunk(&d, coords, &decoded, &expected);
            if *mask != 0 {
                skipped_by_mask += 1;
            }
            for f in &d.filters {
                *per_filter.entry(f.id).or_default() += 1;
            }
        }
    }
    // Every filter is exercised on real chunks.
    for id in [1u16, 2, 3, 5, 6, 32000, 32004, 32008, 32015] {
        assert!(per_filter.get(&id).copied().unwrap_or(0) >= 3, "filter {} exercised on {:?} chunks", id, per_filter.get(&id));
    }
    assert!(skipped_by_mask >= 4, "expected LZF chunks stored unfiltered (mask bit set)");
}

#[test]
fn corrupted_fletcher32_chunk_names_its_address() {
    let d = manifest().into_iter().find(|d| d.name == "int/int16" && d.label.contains("fletcher32_datasets_latest")).unwrap();
    let bytes = std::fs::read(file_of(&d.label)).unwrap();
    let (addr, size, mask, _) = d.chunks[3].clone();
    let mut raw = bytes[addr as usize..(addr + size) as usize].to_vec();
    raw[0] ^= 1;
    let pipeline = FilterPipeline { version: 2, filters: d.filters.clone() };
    let e = decode_pipeline(&pipeline, mask, raw, d.elem, &Limits::default(), addr).unwrap_err();
    assert_eq!(e.kind, h5kit_core::ErrorKind::Format);
    assert_eq!(e.offset, Some(addr));
    assert!(e.message.contains(&addr.to_string()), "{}", e);
}

#[test]
fn truncated_and_corrupt_chunks_never_panic() {
    let limits = Limits { max_alloc: 1 << 24, ..Limits::default() };
    for d in manifest() {
        let bytes = std::fs::read(file_of(&d.label)).unwrap();
        let pipeline = FilterPipeline { version: 2, filters: d.filters.clone() };
        let (addr, size, mask, _) = d.chunks[0].clone();
        let raw = &bytes[addr as usize..(addr + size) as usize];
        for cut in [0, 1, raw.len() / 2, raw.len().saturating_sub(1)] {
            let _ = decode_pipeline(&pipeline, mask, raw[..cut].to_vec(), d.elem, &limits, addr);
        }
        for i in (0..raw.len()).step_by(7) {
            let mut r = raw.to_vec();
            r[i] ^= 0xa5;
            let _ = decode_pipeline(&pipeline, mask, r, d.elem, &limits, addr);
        }
    }
}

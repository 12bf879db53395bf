//! The encoders against chunks libhdf5 / h5py + hdf5plugin wrote (tests/data/filters.manifest):
//! every chunk of a dataset whose filters h5kit can write is decoded, encoded again with the
//! same client data through `encode_pipeline`, and must decode to the same bytes; where the
//! plugins' output is deterministic (shuffle, Fletcher-32, uncompressed bitshuffle, the LZ4 and
//! bitshuffle framings, LZF: liblzf's compressor as h5py builds it) the bytes must be the same.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use h5kit_core::Limits;
use h5kit_dataset::decode_pipeline;
use h5kit_dataset::filter::{can_encode, encode_pipeline, BITSHUFFLE, DEFLATE, LZ4, LZF, NBIT, SCALEOFFSET, ZSTD};
use h5kit_object_header::{Filter, FilterPipeline};

#[allow(dead_code)]
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

#[test]
fn reencoded_chunks_match_the_plugins() {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let limits = Limits::default();
    let mut per_filter: BTreeMap<u16, usize> = BTreeMap::new();
    let (mut exact, mut declined) = (0, 0);
    for d in manifest() {
        if !d.filters.iter().all(|f| can_encode(f.id)) {
            continue;
        }
        // Scale-offset encodes integers only (floats: the optional filter is skipped).
        if d.filters.iter().any(|f| f.id == SCALEOFFSET && f.client_data.get(3) == Some(&1)) {
            continue;
        }
        let path = file_of(&d.label);
        let bytes = files.entry(path.clone()).or_insert_with(|| std::fs::read(&path).unwrap());
        // LZF is registered optional by h5py (flags bit 0).
        let filters: Vec<Filter> = d.filters.iter().map(|f| Filter { flags: u16::from(f.id == LZF), ..f.clone() }).collect();
        let pipeline = FilterPipeline { version: 2, filters };
        for (addr, size, mask, coords) in &d.chunks {
            let stored = &bytes[*addr as usize..(*addr + *size) as usize];
            let data = decode_pipeline(&pipeline, *mask, stored.to_vec(), d.elem, &limits, *addr).unwrap();
            let (enc, our_mask) = encode_pipeline(&pipeline, data.clone(), d.elem).unwrap();
            let what = format!("{} {} chunk {:?}", d.label, d.name, coords);
            assert_eq!(our_mask, *mask, "{}: filter mask", what);
            assert_eq!(decode_pipeline(&pipeline, our_mask, enc.clone(), d.elem, &limits, 0).unwrap(), data, "{}", what);
            let ids: Vec<u16> = pipeline.filters.iter().map(|f| f.id).collect();
            let compressing = |id: &u16| matches!(*id, DEFLATE | LZF | LZ4 | ZSTD);
            let bs_comp = pipeline.filters.iter().any(|f| f.id == BITSHUFFLE && f.client_data.get(4).copied().unwrap_or(0) != 0);
            // LZF is liblzf's algorithm as h5py builds it: the same bytes.
            let exact_lzf = ids == [LZF];
            if (!ids.iter().any(compressing) && !bs_comp) || *mask != 0 || exact_lzf {
                assert_eq!(enc, stored, "{}: bytes", what);
                exact += 1;
                if *mask != 0 {
                    declined += 1;
                }
            } else if ids == [LZ4] || bs_comp {
                // Same framing header: total size and block size.
                assert_eq!(enc[..12], stored[..12], "{}: header", what);
            }
            for id in ids {
                *per_filter.entry(id).or_default() += 1;
            }
        }
    }
    for id in [1u16, 2, 3, NBIT, SCALEOFFSET, 32000, 32004, 32008, 32015] {
        assert!(per_filter.get(&id).copied().unwrap_or(0) >= 1, "filter {} not exercised", id);
    }
    assert!(exact >= 40, "{} byte-exact chunks", exact);
    assert_eq!(declined, 4, "LZF chunks stored raw by h5py");
}

/// Pseudo-random data of several shapes (runs, ramps, noise) through every encoder with
/// valid client data: each encode decodes to the input (or declines, for optional filters);
/// garbage client data gives errors, never panics (debug build: overflow checks on).
#[test]
fn random_roundtrips_and_garbage_client_data() {
    use h5kit_dataset::filter::{encode_filter, SHUFFLE};
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let limits = Limits::default();
    for round in 0..300 {
        let es = [1usize, 2, 4, 8][(next() % 4) as usize];
        let n = (next() % 1200) as usize;
        let kind = next() % 3;
        let data: Vec<u8> = (0..n * es)
            .map(|i| match kind {
                0 => ((i / (1 + (round % 17))) % 7) as u8,
                1 => (i as u8).wrapping_mul(3),
                _ => next() as u8,
            })
            .collect();
        let n32 = n as u32;
        let es32 = es as u32;
        let order = 0u32;
        let cases: Vec<(u16, Vec<u32>)> = vec![
            (DEFLATE, vec![(next() % 10) as u32]),
            (SHUFFLE, vec![es32]),
            (3, vec![]),
            (LZF, vec![4, 261, n32 * es32]),
            (LZ4, vec![(next() % 3000) as u32]),
            (BITSHUFFLE, vec![0, 4, es32, 8 * (next() % 100) as u32, 0]),
            (BITSHUFFLE, vec![0, 4, es32, 0, 2]),
            (BITSHUFFLE, vec![0, 4, es32, 16, 3, 1]),
            (ZSTD, vec![3]),
            (NBIT, vec![8, 0, n32, 1, es32, order, (8 * es32).min(1 + (next() % 64) as u32), 0]),
            (SCALEOFFSET, vec![2, 0, n32, 0, es32, (next() % 2) as u32, 0, (next() % 2) as u32, next() as u32, 0]),
        ];
        for (id, cd) in cases {
            let f = Filter { id, name: None, flags: 1, client_data: cd.clone() };
            let pipe = FilterPipeline { version: 2, filters: vec![f.clone()] };
            let Some(enc) = encode_filter(&f, data.clone(), es).unwrap_or_else(|e| panic!("filter {} {:?}: {}", id, cd, e)) else {
                assert_eq!(id, LZF, "only LZF declines");
                continue;
            };
            let dec = decode_pipeline(&pipe, 0, enc, es, &limits, 0).unwrap_or_else(|e| panic!("filter {} {:?}: {}", id, cd, e));
            if id == NBIT {
                // Only the precision bits are kept.
                let prec = cd[6];
                let mask: u64 = if prec >= 64 { u64::MAX } else { (1u64 << prec) - 1 };
                for (a, b) in data.chunks_exact(es).zip(dec.chunks_exact(es)) {
                    let mut x = [0u8; 8];
                    x[..es].copy_from_slice(a);
                    let want = u64::from_le_bytes(x) & mask;
                    x[..es].copy_from_slice(b);
                    assert_eq!(u64::from_le_bytes(x), want, "n-bit {:?}", cd);
                }
            } else {
                assert_eq!(dec, data, "filter {} {:?} round {}", id, cd, round);
            }
        }
        // Garbage client data: errors or output, never a panic.
        for id in [DEFLATE, SHUFFLE, LZF, LZ4, BITSHUFFLE, ZSTD, NBIT, SCALEOFFSET] {
            let cd: Vec<u32> = (0..(next() % 12)).map(|_| if next() % 2 == 0 { next() as u32 } else { (next() % 70) as u32 }).collect();
            let f = Filter { id, name: None, flags: 0, client_data: cd };
            let _ = encode_filter(&f, data.clone(), es);
        }
    }
}

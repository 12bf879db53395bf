//! Hyperslab reads through the per-dataset chunk map and decoded-chunk cache
//! (`Dataset::read_slice`): shuffled chunks are cached as byte planes and unshuffled per
//! copied element, so every box, cache size and filter combination must give the bytes of
//! the whole-dataset read. Fixture: tests/data/slabs/slabs.h5 (gen_slabs.py, h5py); values
//! follow the formulas of gen_slabs.py, spot-checked against h5dump 1.10.8 below.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use h5kit::{File, Hyperslab, Object};
use h5kit::snapshot::Dataset;

fn fixture() -> File {
    File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/slabs/slabs.h5")).unwrap()
}

fn ds(f: &File, name: &str) -> Dataset {
    match f.object(name).unwrap() {
        Object::Dataset(d) => d,
        _ => panic!("{} is not a dataset", name),
    }
}

fn f64_at(i: u64) -> f64 {
    ((i * 2654435761) % 1000003) as f64 / 7.0 - 5000.0
}

/// Every `elem`-byte element of the box `start + count` of a row-major array of `dims`.
fn extract(all: &[u8], dims: &[u64], start: &[u64], count: &[u64], elem: usize) -> Vec<u8> {
    let n: u64 = count.iter().product();
    let mut out = Vec::new();
    for k in 0..n {
        let (mut rem, mut lin) = (k, 0u64);
        let mut idx = vec![0u64; dims.len()];
        for r in (0..dims.len()).rev() {
            idx[r] = rem % count[r];
            rem /= count[r];
        }
        for r in 0..dims.len() {
            lin = lin * dims[r] + start[r] + idx[r];
        }
        out.extend_from_slice(&all[lin as usize * elem..(lin as usize + 1) * elem]);
    }
    out
}

/// splitmix64: deterministic boxes.
fn next(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[test]
fn whole_reads_match_the_formulas_and_h5dump() {
    let f = fixture();
    let a = ds(&f, "f64_1d").read::<f64>().unwrap().into_vec();
    assert_eq!(a.len(), 5000);
    assert!(a.iter().enumerate().all(|(i, &v)| v == f64_at(i as u64)));
    // h5dump -m %.17g: (4997): 95741.71428571429
    assert_eq!(a[4997], 95741.71428571429);
    let b = ds(&f, "i32_2d").read::<i32>().unwrap().into_vec();
    assert!(b.iter().enumerate().all(|(i, &v)| v as i64 == (i as i64 * 7919) % 100003 - 50000));
    assert_eq!(b[36 * 23 + 20], -34889); // h5dump (36,20)
    let c = ds(&f, "f32_shuffle_only").read::<f32>().unwrap().into_vec();
    assert!(c.iter().enumerate().all(|(i, &v)| v == (((i as u64 * 40503) % 65521) as f64 / 4.0 - 1000.0) as f32));
    assert_eq!(c[19 * 30 + 27], -239.5); // h5dump (19,27)
    let d = ds(&f, "u16_fletcher").read::<u16>().unwrap().into_vec();
    assert!(d.iter().enumerate().all(|(i, &v)| v as u64 == (i as u64 * 31337) % 65536));
    assert_eq!(d[997], 47853); // h5dump (997)
    let e = ds(&f, "f64_3d").read::<f64>().unwrap().into_vec();
    assert!(e.iter().enumerate().all(|(i, &v)| v == f64_at(i as u64)));
    assert_eq!(e[4 * 42 + 5 * 7 + 4], 74161.28571428571); // h5dump (4,5,4)
    let p = ds(&f, "f64_partial").read::<f64>().unwrap().into_vec();
    assert!(p[..900].iter().enumerate().all(|(i, &v)| v == f64_at(i as u64)));
    assert!(p[900..].iter().all(|&v| v == -1.5)); // never written: the fill value
    assert_eq!(p[898].to_bits(), 0x40d1c436db6db6db); // h5dump -m %.17g (898): 18192.857142857141
}

#[test]
fn every_box_through_the_cache_matches_the_whole_read() {
    let f = fixture();
    for name in ["f64_1d", "i32_2d", "f32_shuffle_only", "u16_fletcher", "f64_3d", "f64_partial"] {
        let d = ds(&f, name);
        let all = d.read_raw().unwrap();
        let dims = d.shape().to_vec();
        let elem = d.datatype().size as usize;
        let h5kit::Layout::Chunked { chunk_dims, .. } = &d.layout().layout else { panic!("{} not chunked", name) };
        let chunk_bytes = chunk_dims.iter().product::<u64>() as usize * elem;
        // No cache, room for exactly one chunk (every read evicts), the default.
        for cap in [0, chunk_bytes, h5kit_dataset::DEFAULT_CHUNK_CACHE_BYTES] {
            d.set_chunk_cache_bytes(cap);
            assert_eq!(d.chunk_cache_bytes(), cap);
            let mut seed = cap as u64 ^ 0x5eed;
            for k in 0..300 {
                let start: Vec<u64> = dims.iter().map(|&n| next(&mut seed) % n).collect();
                let count: Vec<u64> = dims.iter().zip(&start).map(|(&n, &s)| 1 + next(&mut seed) % (n - s).min(if k % 3 == 0 { n } else { 20 })).collect();
                let got = d.read_raw_selection(&Hyperslab::new(&start, &count)).unwrap();
                let want = extract(&all, &dims, &start, &count, elem);
                assert!(got == want, "{} cache {}: box {:?}+{:?}", name, cap, start, count);
            }
            // The whole extent as one selection.
            let zero = vec![0u64; dims.len()];
            assert!(d.read_raw_selection(&Hyperslab::new(&zero, &dims)).unwrap() == all, "{} cache {}: whole", name, cap);
        }
    }
}

#[test]
fn random_slabs_like_the_benchmark() {
    // The shape of issue #7's read_random_slabs: 16 consecutive float64 at random offsets.
    let f = fixture();
    let d = ds(&f, "f64_1d");
    let mut seed = 1u64;
    for _ in 0..2000 {
        let o = next(&mut seed) % (5000 - 16);
        let v = d.read_slice::<f64>(&Hyperslab::new(&[o], &[16])).unwrap().into_vec();
        assert_eq!(v, (o..o + 16).map(f64_at).collect::<Vec<f64>>(), "offset {}", o);
    }
    assert_eq!(d.chunk_cache_bytes(), h5kit_dataset::DEFAULT_CHUNK_CACHE_BYTES);
}

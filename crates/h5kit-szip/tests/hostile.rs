//! The decoder on hostile bytes (the body of fuzz/fuzz_targets/szip.rs, run on pseudo-random
//! and mutated streams): errors, never panics; output never over the size asked for; a
//! truncated valid stream is an error naming where it ended.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use h5kit_szip::{decode, decode_upto, encode, flags, hdf5, Params};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn body(data: &[u8]) {
    if data.len() < 6 {
        return;
    }
    let p = Params {
        bits_per_sample: u32::from(data[0] % 32) + 1,
        block_size: [8, 16, 32, 64][usize::from(data[1] % 4)],
        rsi: u32::from(data[2]) + 1,
        flags: u32::from(data[3] & 0x3f),
    };
    let want = usize::from(u16::from_le_bytes([data[4], data[5]]));
    let stream = &data[6..];
    if let Ok(out) = decode(&p, stream, want) {
        assert_eq!(out.len(), want);
    }
    if let Ok(out) = decode_upto(&p, stream, want) {
        assert!(out.len() <= want);
    }
    let cd = [u32::from(data[3]), u32::from(data[1] & 0x3e).max(2), u32::from(data[0] % 65), u32::from(data[2]) * 4 + 1];
    if let Ok(out) = hdf5::decode_chunk(&cd, stream, 1 << 20) {
        assert!(out.len() <= 1 << 20);
    }
}

#[test]
fn random_and_mutated_streams_never_panic() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let n = if h5kit_testkit::long::enabled() { 200_000 } else { 20_000 };
    for i in 0..n {
        let len = 6 + (rng.next() % 200) as usize;
        let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Mostly-zero and mostly-one streams reach the zero-block and uncompressed paths.
        match i % 4 {
            1 => d[6..].iter_mut().for_each(|b| *b &= (rng.next() as u8) & 0x11),
            2 => d[6..].iter_mut().for_each(|b| *b |= 0xee),
            _ => {}
        }
        body(&d);
    }
    // Mutations of valid streams.
    for i in 0..n / 10 {
        let p = Params { bits_per_sample: [8, 12, 16, 24, 32][i % 5], block_size: [8, 16, 32, 64][i % 4], rsi: 1 + (i % 7) as u32, flags: flags::DATA_PREPROCESS | (i as u32 & 5) };
        let bytes = match p.bits_per_sample { 8 => 1, 12 | 16 => 2, _ => 4 };
        let samples: Vec<u8> = (0..300 * bytes).map(|j| if j % bytes == bytes - 1 && !p.bits_per_sample.is_multiple_of(8) { 0 } else { ((j / 7) % 13) as u8 }).collect();
        let mut enc = encode(&p, &samples).unwrap();
        let k = (rng.next() as usize) % enc.len();
        enc[k] ^= 1 << (rng.next() % 8);
        let _ = decode(&p, &enc, samples.len());
        let _ = decode_upto(&p, &enc, samples.len());
    }
}

#[test]
fn truncated_streams_and_bad_parameters_are_errors() {
    let p = Params { bits_per_sample: 16, block_size: 16, rsi: 4, flags: flags::DATA_PREPROCESS };
    let samples: Vec<u8> = (0..4000u32).flat_map(|v| ((v * 37) as u16).to_le_bytes()).collect();
    let enc = encode(&p, &samples).unwrap();
    assert_eq!(decode(&p, &enc, samples.len()).unwrap(), samples);
    for cut in [0, 1, enc.len() / 2, enc.len() - 8] {
        let e = decode(&p, &enc[..cut], samples.len()).unwrap_err();
        assert!(e.to_string().contains("ends"), "{}", e);
    }
    for bad in [
        Params { bits_per_sample: 0, ..p },
        Params { bits_per_sample: 33, ..p },
        Params { block_size: 12, ..p },
        Params { rsi: 0, ..p },
        Params { rsi: 5000, ..p },
        Params { bits_per_sample: 5, flags: flags::RESTRICTED, ..p },
    ] {
        assert!(decode(&bad, &enc, 16).is_err(), "{:?}", bad);
        assert!(encode(&bad, &samples).is_err(), "{:?}", bad);
    }
    // Output size not a whole number of samples.
    assert!(decode(&p, &enc, 3).is_err());
    // A zero-block run longer than its interval.
    let z = Params { bits_per_sample: 8, block_size: 8, rsi: 2, flags: 0 };
    // id 000, bit 0 (zero block), FS of 9 (10 blocks): 0000 0000000001
    let e = decode(&z, &[0x00, 0x04, 0x00], 16).unwrap_err();
    assert!(e.to_string().contains("zero blocks"), "{}", e);
    // A second-extension value past the table: id 000, bit 1, FS of 100.
    let mut w = vec![0x10u8];
    w.extend([0u8; 12]);
    w.push(0x80);
    let e = decode(&z, &w, 16).unwrap_err();
    assert!(e.to_string().contains("second-extension"), "{}", e);
}

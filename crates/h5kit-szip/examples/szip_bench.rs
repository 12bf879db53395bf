//! Speed of the szip coder on a ~100 MB buffer of 16-bit samples (a smooth signal with a few
//! bits of noise), for comparison with libaec's `aec` on the same files:
//! `cargo run --release -p h5kit-szip --example szip_bench -- DIR` writes DIR/bench.raw and
//! DIR/bench.sz (h5kit's stream), prints MB/s of encode and decode (MB of raw samples), then
//! `time aec -n 16 -j 32 -r 128 DIR/bench.raw out; time aec -d -n 16 -j 32 -r 128 DIR/bench.sz out`.
//! `szip_bench DIR enc` / `szip_bench DIR dec` run only the encode of DIR/bench.raw / the
//! decode of DIR/bench.sz (file in, file out, as `aec` does), for `/usr/bin/time` CPU times
//! comparable with aec's on a loaded machine.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::time::Instant;

use h5kit_szip::{decode, encode, flags, Params};

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    let p = Params { bits_per_sample: 16, block_size: 32, rsi: 128, flags: flags::DATA_PREPROCESS };
    match std::env::args().nth(2).as_deref() {
        Some("enc") => {
            let raw = std::fs::read(format!("{}/bench.raw", dir)).unwrap();
            std::fs::write(format!("{}/bench.enc", dir), encode(&p, &raw).unwrap()).unwrap();
            return;
        }
        Some("dec") => {
            let sz = std::fs::read(format!("{}/bench.sz", dir)).unwrap();
            std::fs::write(format!("{}/bench.dec", dir), decode(&p, &sz, 100_000_000).unwrap()).unwrap();
            return;
        }
        _ => {}
    }
    let n = 50_000_000usize;
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut raw = Vec::with_capacity(2 * n);
    for i in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let s = 20000.0 + 8000.0 * ((i as f64) / 3000.0).sin();
        let v = (s as i64 + (x % 64) as i64) as u16;
        raw.extend_from_slice(&v.to_le_bytes());
    }
    let t = Instant::now();
    let enc = encode(&p, &raw).unwrap();
    let te = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let dec = decode(&p, &enc, raw.len()).unwrap();
    let td = t.elapsed().as_secs_f64();
    assert!(dec == raw);
    let mb = raw.len() as f64 / 1e6;
    println!("{} MB raw -> {} MB szip; encode {:.0} MB/s ({:.2} s), decode {:.0} MB/s ({:.2} s)", mb, enc.len() as f64 / 1e6, mb / te, te, mb / td, td);
    std::fs::write(format!("{}/bench.raw", dir), &raw).unwrap();
    std::fs::write(format!("{}/bench.sz", dir), &enc).unwrap();
}

//! Times reading a dataset (native, or wasm32-wasip1 through scripts/wasi-runner.mjs) and the
//! inflate step alone, to see where time goes:
//! `cargo run --release -p h5kit-wasm --example bench_read -- FILE DATASET`
use std::io::Read;
use std::time::Instant;

fn main() -> h5kit::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/tmp/h5kit-compare/gzip64.h5".into());
    let ds = args.next().unwrap_or_else(|| "/data".into());
    for _ in 0..2 {
        let t = Instant::now();
        let f = h5kit::File::from_bytes(std::fs::read(&path).map_err(|e| h5kit::Error::io(e, "read"))?)?;
        let d = h5kit_wasm::inspect::dataset(&f, &ds)?;
        let t1 = t.elapsed();
        let r = h5kit_wasm::inspect::read_typed(&d, None)?;
        println!("open {:?} read {:?} ({} bytes)", t1, t.elapsed() - t1, r.bytes().len());
    }
    // The fill-value initialisation h5kit-dataset's read_all/read_block do before reading.
    let pattern = [0u8; 8];
    let t = Instant::now();
    let v: Vec<u8> = pattern.iter().copied().cycle().take(64 << 20).collect();
    println!("fill 64 MiB with pattern.iter().cycle().take().collect(): {:?} ({})", t.elapsed(), v.len());
    let t = Instant::now();
    let v = vec![0u8; 64 << 20];
    println!("fill 64 MiB with vec![0; n]: {:?} ({})", t.elapsed(), v.len());
    // Inflate alone: 64 chunks of 1 MiB like the file's.
    let chunk: Vec<u8> = (0..131072u64)
        .flat_map(|i| (((i as f64 / 5000.0).sin() * 10000.0).round() / 10.0 + (i % 7) as f64).to_le_bytes())
        .collect();
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(4));
    std::io::Write::write_all(&mut enc, &chunk).map_err(|e| h5kit::Error::io(e, "enc"))?;
    let z = enc.finish().map_err(|e| h5kit::Error::io(e, "enc"))?;
    let t = Instant::now();
    for _ in 0..64 {
        let mut out = Vec::with_capacity(z.len() * 4);
        flate2::read::ZlibDecoder::new(&z[..]).read_to_end(&mut out).map_err(|e| h5kit::Error::io(e, "dec"))?;
        assert_eq!(out.len(), chunk.len());
    }
    println!("inflate 64 x 1 MiB, read::ZlibDecoder + read_to_end: {:?}", t.elapsed());
    let t = Instant::now();
    for _ in 0..64 {
        let mut out = Vec::with_capacity(chunk.len());
        let mut d = flate2::Decompress::new(true);
        d.decompress_vec(&z, &mut out, flate2::FlushDecompress::Finish).map_err(|e| h5kit::Error::usage(e.to_string()))?;
        assert_eq!(out.len(), chunk.len());
    }
    println!("inflate 64 x 1 MiB, Decompress::decompress_vec (exact size): {:?}", t.elapsed());
    Ok(())
}

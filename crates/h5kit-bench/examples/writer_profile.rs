//! Repeats the two writer workloads (write_contiguous, write_gzip_shuffle) on data generated
//! once, for profiling without the data generation in the profile:
//! `writer_profile DIR [--scale S] [--reps N] [--only contig|gzip] [--threads T] [--borrowed]`;
//! prints each run's time (`--borrowed`: `write_dataset(&[u8])` instead of the shared
//! buffer of `write_dataset_shared`, its copy into the model timed).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::path::PathBuf::from(args.first().cloned().unwrap_or_else(|| "/tmp/h5kit-writer-profile".into()));
    let get = |k: &str| args.iter().position(|a| a == k).and_then(|i| args.get(i + 1)).cloned();
    let scale: f64 = get("--scale").map(|s| s.parse().unwrap()).unwrap_or(0.25);
    let reps: usize = get("--reps").map(|s| s.parse().unwrap()).unwrap_or(5);
    let only = get("--only");
    let threads: Option<usize> = get("--threads").map(|s| s.parse().unwrap());
    let borrowed = args.iter().any(|a| a == "--borrowed");
    std::fs::create_dir_all(&dir).unwrap();
    let p = h5kit_bench::Params::new(scale);
    let (smooth, plain) = h5kit_bench::generate(p.n);
    let smooth_bytes = Arc::new(bytemuck::cast_slice::<f64, u8>(&smooth).to_vec());
    let plain_bytes = Arc::new(bytemuck::cast_slice::<f64, u8>(&plain).to_vec());
    for _ in 0..reps {
        if only.as_deref() != Some("gzip") {
            let data = plain_bytes.clone();
            let t = Instant::now();
            write(&dir.join("contig.h5"), data, p.n, false, threads, borrowed);
            println!("write_contiguous {:.4}", t.elapsed().as_secs_f64());
        }
        if only.as_deref() != Some("contig") {
            let data = smooth_bytes.clone();
            let t = Instant::now();
            write(&dir.join("gzip.h5"), data, p.n, true, threads, borrowed);
            println!("write_gzip_shuffle {:.4}", t.elapsed().as_secs_f64());
        }
    }
}

/// `h5kit_bench::write_x_internal` with a thread count and the choice of the borrowing call.
fn write(path: &std::path::Path, data: Arc<Vec<u8>>, n: usize, gzip: bool, threads: Option<usize>, borrowed: bool) {
    use h5kit::write::{FileWriter, LibVer};
    if threads.is_none() && !borrowed {
        return h5kit_bench::write_x_internal(path, data, n, gzip).unwrap();
    }
    let mut w = FileWriter::create(path, LibVer::Earliest).unwrap();
    w.set_threads(threads);
    w.create_dataset("x", h5kit_bench::x_spec(n, gzip)).unwrap();
    if borrowed {
        w.write_dataset("x", &data).unwrap();
    } else {
        w.write_dataset_shared("x", data).unwrap();
    }
    w.close().unwrap();
}

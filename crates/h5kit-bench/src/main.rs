//! `h5kit-bench DIR [--scale S]`: runs the workloads of WORKLOADS.md with h5kit and prints
//! `NAME SECONDS MB_PER_S` per workload (then the peak resident memory on stderr).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir = None;
    let mut scale = 1.0f64;
    let mut i = 0;
    while i < args.len() {
        match args.get(i).map(String::as_str) {
            Some("--scale") => {
                i += 1;
                scale = match args.get(i).and_then(|s| s.parse::<f64>().ok()) {
                    Some(s) if s > 0.0 => s,
                    _ => {
                        eprintln!("--scale needs a positive number");
                        std::process::exit(2);
                    }
                };
            }
            Some(a) if dir.is_none() && !a.starts_with('-') => dir = Some(a.to_string()),
            _ => {
                eprintln!("usage: h5kit-bench DIR [--scale S]");
                std::process::exit(2);
            }
        }
        i += 1;
    }
    let Some(dir) = dir else {
        eprintln!("usage: h5kit-bench DIR [--scale S]");
        std::process::exit(2);
    };
    let print = |r: &h5kit_bench::WorkloadResult| {
        println!("{}", r.line());
        if let Some(kb) = r.peak_rss_kib {
            eprintln!("{} peak_rss_kib {}", r.name, kb);
        }
        if let Some(kb) = r.base_rss_kib {
            eprintln!("{} base_rss_kib {}", r.name, kb);
        }
    };
    // H5KIT_BENCH_ONLY=name,name: run only these workloads (for profiling).
    let only: Option<Vec<String>> =
        std::env::var("H5KIT_BENCH_ONLY").ok().map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    if let Err(e) = h5kit_bench::run_selected(std::path::Path::new(&dir), scale, only.as_deref(), print) {
        eprintln!("h5kit-bench: {}", e);
        std::process::exit(1);
    }
    // H5KIT_BENCH_DIRECT=CACHE_BYTES: then the lower-level fast paths (stderr, "direct" lines).
    if let Some(cache) = std::env::var("H5KIT_BENCH_DIRECT").ok().and_then(|v| v.parse::<usize>().ok()) {
        match h5kit_bench::run_direct(std::path::Path::new(&dir), scale, cache) {
            Ok(rs) => {
                for r in rs {
                    eprintln!("direct {}", r.line());
                    if let Some(kb) = r.peak_rss_kib {
                        eprintln!("{} peak_rss_kib {}", r.name, kb);
                    }
                    if let Some(kb) = r.base_rss_kib {
                        eprintln!("{} base_rss_kib {}", r.name, kb);
                    }
                }
            }
            Err(e) => {
                eprintln!("h5kit-bench: direct: {}", e);
                std::process::exit(1);
            }
        }
    }
}

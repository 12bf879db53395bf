//! `h5kit-bench DIR [--scale S] [--large] [--only NAME[,NAME..]]`: runs the workloads of
//! WORKLOADS.md with the public h5kit API and prints `NAME SECONDS MB_PER_S` per workload
//! (then the peak resident memory on stderr).
//!
//! `H5KIT_BENCH_DIRECT=CACHE_BYTES` (when no `--only` is given): then the other ways to do
//! the same work ([`h5kit_bench::run_direct`]: `+owned` and `+direct`
//! reads), on stderr as `direct NAME SECONDS MB_PER_S` lines. `H5KIT_BENCH_ONLY=a,b` is the
//! old spelling of `--only a,b`.

use h5kit_bench::{Options, Parsed};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Ok(v) = std::env::var("H5KIT_BENCH_ONLY") {
        args.push("--only".into());
        args.push(v);
    }
    let opts = match Options::parse(&args) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            print!("{}", h5kit_bench::usage("h5kit-bench"));
            return;
        }
        Err(e) => {
            eprintln!("h5kit-bench: {}\n{}", e, h5kit_bench::usage("h5kit-bench"));
            std::process::exit(2);
        }
    };
    let print_rss = |r: &h5kit_bench::WorkloadResult| {
        if let Some(kb) = r.peak_rss_kib {
            eprintln!("{} peak_rss_kib {}", r.name, kb);
        }
        if let Some(kb) = r.base_rss_kib {
            eprintln!("{} base_rss_kib {}", r.name, kb);
        }
    };
    let print = |r: &h5kit_bench::WorkloadResult| {
        println!("{}", r.line());
        print_rss(r);
    };
    if let Err(e) = h5kit_bench::run_options(&opts, print) {
        eprintln!("h5kit-bench: {}", e);
        std::process::exit(1);
    }
    let cache = std::env::var("H5KIT_BENCH_DIRECT").ok().and_then(|v| v.parse::<usize>().ok());
    if let (Some(cache), None) = (cache, &opts.only) {
        match h5kit_bench::run_direct(&opts.dir, opts.scale, cache) {
            Ok(rs) => {
                for r in rs {
                    eprintln!("direct {}", r.line());
                    print_rss(&r);
                }
            }
            Err(e) => {
                eprintln!("h5kit-bench: direct: {}", e);
                std::process::exit(1);
            }
        }
    }
}

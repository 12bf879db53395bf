//! `h5 bench DIR [--scale S]`: the workloads of shared/bench/WORKLOADS.md, printed as
//! `NAME SECONDS MB_PER_S` lines like h5py_bench.py (see crates/h5kit-bench).

/// The text `h5 bench --help` prints.
const BENCH_USAGE: &str = "usage: h5 bench DIR [--scale S]
  Runs the workloads of shared/bench/WORKLOADS.md in DIR (created if missing; its files are
  overwritten) and prints one line per workload, as h5py_bench.py does.
  --scale S   multiply every workload's size by S (default 1)
";

/// Runs the subcommand; returns the exit status.
pub fn run(args: &[String]) -> i32 {
    let mut dir = None;
    let mut scale = 1.0f64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--scale" {
            match it.next().and_then(|v| v.parse::<f64>().ok()) {
                Some(s) if s > 0.0 => scale = s,
                _ => {
                    eprintln!("h5 bench: --scale needs a positive number");
                    return 1;
                }
            }
        } else if let Some(v) = a.strip_prefix("--scale=") {
            match v.parse::<f64>() {
                Ok(s) if s > 0.0 => scale = s,
                _ => {
                    eprintln!("h5 bench: --scale needs a positive number");
                    return 1;
                }
            }
        } else if a == "-h" || a == "--help" {
            print!("{}", BENCH_USAGE);
            return 0;
        } else if a.starts_with('-') {
            eprintln!("h5 bench: unknown option {:?}\n{}", a, BENCH_USAGE);
            return 1;
        } else if dir.is_some() {
            eprintln!("h5 bench: more than one DIR given\n{}", BENCH_USAGE);
            return 1;
        } else {
            dir = Some(a.clone());
        }
    }
    let Some(dir) = dir else {
        eprint!("{}", BENCH_USAGE);
        return 1;
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("h5 bench: cannot create {}: {}", dir, e);
        return 1;
    }
    match h5kit_bench::run(std::path::Path::new(&dir), scale) {
        Ok(results) => {
            for r in results {
                println!("{}", r.line());
            }
            0
        }
        Err(e) => {
            eprintln!("h5 bench: {}", e);
            1
        }
    }
}

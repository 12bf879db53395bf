//! `h5 bench DIR [--scale S] [--large] [--only NAME[,NAME..]]`: the workloads of
//! shared/bench/WORKLOADS.md through the public h5kit API, printed as `NAME SECONDS MB_PER_S`
//! lines like h5py_bench.py. The options are parsed by crates/h5kit-bench
//! ([`h5kit_bench::Options`]), which `h5kit-bench` and bench/peers share.

/// Runs the subcommand; returns the exit status.
pub fn run(args: &[String]) -> i32 {
    let opts = match h5kit_bench::Options::parse(args) {
        Ok(h5kit_bench::Parsed::Run(o)) => o,
        Ok(h5kit_bench::Parsed::Help) => {
            print!("{}", h5kit_bench::usage("h5 bench"));
            return 0;
        }
        Err(e) => {
            eprintln!("h5 bench: {}\n{}", e, h5kit_bench::usage("h5 bench"));
            return 1;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&opts.dir) {
        eprintln!("h5 bench: cannot create {}: {}", opts.dir.display(), e);
        return 1;
    }
    match h5kit_bench::run_options(&opts, |r| println!("{}", r.line())) {
        Ok(_) => 0,
        Err(e) => {
            eprintln!("h5 bench: {}", e);
            1
        }
    }
}

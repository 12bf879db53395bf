//! `h5`: command-line tools over h5kit, modelled on libhdf5's: `h5 dump` (h5dump 1.10.8's
//! DDL output, or HDF5/JSON with `--json`), `h5 ls` (h5ls), `h5 repack` (h5repack), `h5 refs` (kerchunk chunk manifests), `h5 clear` (h5clear -s) and
//! `h5 bench`. The command line is declared in [`cli`] (clap); usage errors exit 2, other
//! errors 1, both with the message on stderr.

mod bench;
mod clear;
mod cli;
mod dump;
mod json;
mod ls;
mod progress;
mod refs;
mod repack;

use std::io::Write;
use std::path::Path;

use clap::{CommandFactory, FromArgMatches};

use cli::{Cli, Command};

fn write_out(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.flush();
}

fn dump(args: &cli::DumpArgs, m: &clap::ArgMatches) -> i32 {
    let opts = match cli::dump_options(args, m) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("h5dump error: {}", e);
            return 1;
        }
    };
    let mut status = 0;
    for f in &args.files {
        clear::note_marked(f);
        let (out, st) = if args.json { json::run(Path::new(f), f) } else { dump::run_with(Path::new(f), f, &opts, true) };
        write_out(&out);
        status = status.max(st);
    }
    status
}

fn ls(args: &cli::LsArgs) -> i32 {
    let opts =
        ls::Options { recursive: args.recursive, verbose: args.verbose, data: args.data, label: args.label, width: args.width };
    let mut status = 0;
    for f in &args.files {
        clear::note_marked(f);
        let (out, st) = ls::run(Path::new(f), f, &opts);
        write_out(&out);
        status = status.max(st);
    }
    status
}

fn main() {
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => e.exit(),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let sub = matches.subcommand().map(|(_, m)| m);
    let status = match (&cli.command, sub) {
        (Command::Dump(a), Some(m)) => dump(a, m),
        (Command::Dump(a), None) => dump(a, &matches),
        (Command::Ls(a), _) => ls(a),
        (Command::Repack(a), _) => repack::run(a),
        (Command::Refs(a), _) => refs::run(a),
        (Command::Clear(a), _) => clear::run(a),
        (Command::Bench(a), _) => bench::run(&a.args),
        (Command::Completions { shell }, _) => {
            clap_complete::generate(*shell, &mut Cli::command(), "h5", &mut std::io::stdout());
            0
        }
    };
    std::process::exit(status);
}

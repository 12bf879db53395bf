//! `h5 repack [-L] [-f [OBJ,..:]FILTER]... [-l [OBJ,..:]LAYOUT]... IN OUT`: h5repack's job
//! done by h5kit's reader and writer ([`h5kit::repack::repack_file`]). Filters: `GZIP=N`,
//! `SHUF`, `FLET`, `NBIT`, `SOFF=factor,IN|DS`, `UD=id,flags,n,values..`, `NONE`; layouts:
//! `CHUNK=AxB..`, `CONTI`, `COMPA`; `-L` writes the latest format. The source's filters are
//! kept unless `-f` replaces them. The copy streams (bounded memory, unchanged chunks copied
//! as stored) unless the file needs what only the in-memory writer does yet
//! (spec-notes/repack.md); `H5KIT_REPACK_VERBOSE=1` prints which and how many chunks.
//!
//! Progress (on a terminal only): `repack_file` has no per-object hook, so the CLI counts the
//! source's objects first and shows a spinner with that count and the elapsed time while the
//! copy runs.

use std::collections::HashSet;

use h5kit::repack::{needs_latest_format, repack_file, RepackOptions};
use h5kit::write::LibVer;
use h5kit::{LinkTarget, Object};

use crate::cli::RepackArgs;
use crate::progress;

/// The number of objects reachable from the root (each counted once).
fn count_objects(file: &h5kit::File) -> h5kit::Result<u64> {
    let root = file.root()?;
    let mut seen = HashSet::from([root.address()]);
    let mut stack = vec![root];
    while let Some(g) = stack.pop() {
        for l in g.links()? {
            let LinkTarget::Hard { address } = l.target else { continue };
            if !seen.insert(address) {
                continue;
            }
            if let Ok(Object::Group(child)) = file.object_at(address, &l.name) {
                stack.push(child);
            }
        }
    }
    Ok(seen.len() as u64)
}

/// Runs the subcommand; returns the exit status.
pub fn run(args: &RepackArgs) -> i32 {
    let mut opts = RepackOptions::default();
    for f in &args.filter {
        if let Err(e) = opts.parse_filter(f) {
            eprintln!("h5repack error: {}", e);
            return 1;
        }
    }
    for l in &args.layout {
        if let Err(e) = opts.parse_layout(l) {
            eprintln!("h5repack error: {}", e);
            return 1;
        }
    }
    let libver = if args.latest { LibVer::Latest } else { LibVer::Earliest };
    let show = progress::enabled(args.no_progress);
    let (input, output) = (&args.input, &args.output);
    let job = |libver: LibVer| -> h5kit::Result<()> {
        let total = if show { h5kit::File::open(input).and_then(|f| count_objects(&f)).unwrap_or(0) } else { 0 };
        let spin = progress::spinner(show, &format!("copying {} objects of {}", total, input));
        let report = repack_file(input, output, &opts, libver);
        spin.finish_and_clear();
        let report = report?;
        for w in &report.warnings {
            eprintln!("h5repack warning: {}", w);
        }
        if std::env::var_os("H5KIT_REPACK_VERBOSE").is_some_and(|v| v == "1") {
            eprintln!("h5 repack: streamed: {} chunks copied as stored, {} datasets rewritten", report.raw_chunks, report.rewritten);
        }
        Ok(())
    };
    let mut result = job(libver);
    // The earliest format cannot hold a header message over 64 KiB (a large attribute needs
    // dense attribute storage, a version-2 object header): h5repack stops there; we write the
    // file in the latest format instead and say so.
    if let Err(e) = &result {
        if libver == LibVer::Earliest && needs_latest_format(e) {
            eprintln!("h5repack warning: {}: the earliest format cannot hold it; writing the latest format (-L)", e);
            result = job(LibVer::Latest);
        }
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("h5repack error: {}", e);
            1
        }
    }
}

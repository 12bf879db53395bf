//! `h5 repack [-L] [-f [OBJ,..:]FILTER]... [-l [OBJ,..:]LAYOUT]... IN OUT`: h5repack's job
//! done by h5kit's reader and writer ([`h5kit::repack`]). Filters: `GZIP=N`, `SHUF`, `FLET`,
//! `NBIT`, `SOFF=factor,IN|DS`, `UD=id,flags,n,values..`, `NONE`; layouts: `CHUNK=AxB..`,
//! `CONTI`, `COMPA`; `-L` writes the latest format. The source's filters are kept unless
//! `-f` replaces them.
//!
//! Progress (on a terminal only): `h5kit::repack::copy_file` has no per-object hook, so the
//! CLI counts the source's objects first, shows a spinner with that count and the elapsed time
//! while the copy runs, and a byte bar while the output is written. A callback in
//! `copy_file` (called per object copied) would turn the spinner into a bar.

use std::collections::HashSet;
use std::io::Write;

use h5kit::repack::{copy_file, RepackOptions};
use h5kit::write::{FileWriter, LibVer};
use h5kit::{LinkTarget, Object};

use crate::cli::RepackArgs;
use crate::progress;

fn io_err(output: &str, e: std::io::Error) -> h5kit::Error {
    h5kit::Error::new(h5kit::ErrorKind::Io, format!("writing {}: {}", output, e))
}

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

/// Writes `bytes` to `output` in slices, advancing a byte bar.
fn write_with_progress(output: &str, bytes: &[u8], show: bool) -> h5kit::Result<()> {
    let pb = progress::bar(show, bytes.len() as u64, "writing", true);
    let mut f = std::fs::File::create(output).map_err(|e| io_err(output, e))?;
    for part in bytes.chunks(1 << 20) {
        f.write_all(part).map_err(|e| io_err(output, e))?;
        pb.inc(part.len() as u64);
    }
    f.flush().map_err(|e| io_err(output, e))?;
    pb.finish_and_clear();
    Ok(())
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
        let src = h5kit::File::open(input)?;
        let total = if show { count_objects(&src).unwrap_or(0) } else { 0 };
        let spin = progress::spinner(show, &format!("copying {} objects of {}", total, input));
        let mut dst = FileWriter::in_memory(libver);
        let report = copy_file(&src, &mut dst, &opts);
        spin.finish_and_clear();
        let report = report?;
        for w in &report.warnings {
            eprintln!("h5repack warning: {}", w);
        }
        let spin = progress::spinner(show, &format!("encoding {}", output));
        let bytes = dst.to_bytes();
        spin.finish_and_clear();
        write_with_progress(output, &bytes?, show)
    };
    let mut result = job(libver);
    // The earliest format cannot hold a header message over 64 KiB (a large attribute needs
    // dense attribute storage, a version-2 object header): h5repack stops there; we write the
    // file in the latest format instead and say so.
    if let Err(e) = &result {
        if libver == LibVer::Earliest && e.to_string().contains("larger than 64 KiB") {
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

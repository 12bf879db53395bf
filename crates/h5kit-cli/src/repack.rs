//! `h5 repack [-L] [-f [OBJ,..:]FILTER]... [-l [OBJ,..:]LAYOUT]... IN OUT`: h5repack's job
//! done by h5kit's reader and writer ([`h5kit::repack`]). Filters: `GZIP=N`, `SHUF`, `FLET`,
//! `NBIT`, `SOFF=factor,IN|DS`, `UD=id,flags,n,values..`, `NONE`; layouts: `CHUNK=AxB..`,
//! `CONTI`, `COMPA`; `-L` writes the latest format. The source's filters are kept unless
//! `-f` replaces them.

use h5kit::repack::{copy_file, RepackOptions};
use h5kit::write::{FileWriter, LibVer};

fn parse_filter(spec: &str, opts: &mut RepackOptions) -> Result<(), String> {
    opts.parse_filter(spec).map_err(|e| e.to_string())
}

fn parse_layout(spec: &str, opts: &mut RepackOptions) -> Result<(), String> {
    opts.parse_layout(spec).map_err(|e| e.to_string())
}

const USAGE: &str = "usage: h5 repack [-L] [-f [OBJ,..:]GZIP=N|SHUF|FLET|NBIT|SOFF=f,IN|DS|UD=id,flags,n,v..|NONE]... [-l [OBJ,..:]CHUNK=AxB|CONTI|COMPA]... IN OUT\n  -L  write the latest format (default: the earliest format that holds the content)";

/// Runs the subcommand; returns the exit status.
pub fn run(args: &[String]) -> i32 {
    let mut opts = RepackOptions::default();
    let mut libver = LibVer::Earliest;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let result = match a.as_str() {
            "-h" | "--help" => {
                println!("{}", USAGE);
                return 0;
            }
            "-L" | "--latest" => {
                libver = LibVer::Latest;
                Ok(())
            }
            "-f" | "--filter" => it.next().ok_or_else(|| "-f needs a value".to_string()).and_then(|v| parse_filter(v, &mut opts)),
            "-l" | "--layout" => it.next().ok_or_else(|| "-l needs a value".to_string()).and_then(|v| parse_layout(v, &mut opts)),
            f if f.starts_with("--filter=") => parse_filter(&f["--filter=".len()..], &mut opts),
            f if f.starts_with("--layout=") => parse_layout(&f["--layout=".len()..], &mut opts),
            f if f.starts_with('-') && f.len() > 1 => Err(format!("unknown option {:?}", f)),
            f => {
                files.push(f.to_string());
                Ok(())
            }
        };
        if let Err(e) = result {
            eprintln!("h5repack error: {}", e);
            return 1;
        }
    }
    let [input, output] = files.as_slice() else {
        eprintln!("{}", USAGE);
        return 1;
    };
    let job = |libver: LibVer| -> h5kit::Result<()> {
        let src = h5kit::File::open(input)?;
        let mut dst = FileWriter::in_memory(libver);
        let report = copy_file(&src, &mut dst, &opts)?;
        for w in &report.warnings {
            eprintln!("h5repack warning: {}", w);
        }
        let bytes = dst.to_bytes()?;
        std::fs::write(output, bytes).map_err(|e| h5kit::Error::new(h5kit::ErrorKind::Io, format!("writing {}: {}", output, e)))
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

//! `h5 repack [-L] [-f FILTER]... [-l LAYOUT] IN OUT`: h5repack's job done by h5kit's reader
//! and writer. Filters: `GZIP=N`, `SHUF`, `NONE`; layouts: `CHUNK=AxB..`, `CONTI`, `COMPA`;
//! `-L` writes the latest format.

use h5kit::repack::{copy_file, RepackOptions};
use h5kit::write::{FileWriter, LayoutKind, LibVer};

fn parse_filter(spec: &str, opts: &mut RepackOptions) -> Result<(), String> {
    let up = spec.to_ascii_uppercase();
    if up == "NONE" {
        opts.deflate = Some(None);
        opts.shuffle = Some(false);
    } else if up == "SHUF" {
        opts.shuffle = Some(true);
    } else if let Some(level) = up.strip_prefix("GZIP=") {
        let n: u8 = level.parse().map_err(|_| format!("bad gzip level {:?}", level))?;
        if n > 9 {
            return Err(format!("gzip level {} is not 0-9", n));
        }
        opts.deflate = Some(Some(n));
    } else {
        return Err(format!("unsupported filter {:?} (GZIP=N, SHUF, NONE)", spec));
    }
    Ok(())
}

fn parse_layout(spec: &str, opts: &mut RepackOptions) -> Result<(), String> {
    let up = spec.to_ascii_uppercase();
    match up.as_str() {
        "CONTI" => opts.layout = Some(LayoutKind::Contiguous),
        "COMPA" => opts.layout = Some(LayoutKind::Compact),
        _ => {
            let dims = up.strip_prefix("CHUNK=").ok_or_else(|| format!("unsupported layout {:?}", spec))?;
            let chunks = dims
                .split('x')
                .map(|d| d.parse::<u64>().map_err(|_| format!("bad chunk dimension {:?}", d)))
                .collect::<Result<Vec<u64>, String>>()?;
            opts.layout = Some(LayoutKind::Chunked);
            opts.chunks = Some(chunks);
        }
    }
    Ok(())
}

/// Runs the subcommand; returns the exit status.
pub fn run(args: &[String]) -> i32 {
    let mut opts = RepackOptions::default();
    let mut libver = LibVer::Earliest;
    let mut files = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let result = match a.as_str() {
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
        eprintln!("usage: h5 repack [-L] [-f GZIP=N|SHUF|NONE] [-l CHUNK=AxB|CONTI|COMPA] IN OUT");
        return 1;
    };
    let job = || -> h5kit::Result<()> {
        let src = h5kit::File::open(input)?;
        let mut dst = FileWriter::in_memory(libver);
        let report = copy_file(&src, &mut dst, &opts)?;
        for w in &report.warnings {
            eprintln!("h5repack warning: {}", w);
        }
        let bytes = dst.to_bytes()?;
        std::fs::write(output, bytes).map_err(|e| h5kit::Error::new(h5kit::ErrorKind::Io, format!("writing {}: {}", output, e)))
    };
    match job() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("h5repack error: {}", e);
            1
        }
    }
}

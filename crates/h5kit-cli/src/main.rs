//! `h5`: command-line tools over h5kit, modelled on libhdf5's: `h5 dump` (h5dump 1.10.8's
//! DDL output) and `h5 ls` (h5ls).

mod bench;
mod dump;
mod ls;
mod repack;

use std::io::Write;
use std::path::Path;

const USAGE: &str = "usage: h5 <command> [options] FILE\n\ncommands:\n  dump [-H] [-p] [-n] [-A] [-d PATH] [-g PATH] [-w N] [-m FMT] [-r] FILE   print like h5dump\n  ls [-r] FILE                                               list like h5ls\n  repack [-L] [-f [OBJ:]FILTER].. [-l [OBJ:]LAYOUT].. IN OUT      copy like h5repack (repack -h: options)\n  bench DIR [--scale S]                                      the benchmark workloads\n";

/// `-m FMT`: a printf floating-point format.
fn parse_float_format(v: &str) -> Result<dump::printf::FloatFormat, String> {
    dump::printf::FloatFormat::parse(v).ok_or_else(|| format!("bad float format {:?} (expected e.g. %.3f, %e, %.10g)", v))
}

/// `-w N`: columns; like h5dump, N <= 0 means no wrapping (65535 columns).
fn parse_width(v: &str) -> Result<usize, String> {
    let n: i64 = v.trim().parse().map_err(|_| format!("bad width {:?}", v))?;
    Ok(if n <= 0 { 65535 } else { usize::try_from(n).unwrap_or(65535) })
}

fn parse_dump(args: &[String]) -> Result<(dump::Options, Vec<String>), String> {
    let mut opts = dump::Options::default();
    let mut files = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let mut take_value = |name: &str| -> Result<String, String> {
            let v = args.get(i).cloned().ok_or_else(|| format!("option {} needs a value", name))?;
            i += 1;
            Ok(v)
        };
        match arg.as_str() {
            "--header" => opts.header_only = true,
            "--noindex" => opts.no_index = true,
            "--escape" => opts.escape = true,
            "--properties" => opts.properties = true,
            "--contents" => opts.contents = true,
            "--onlyattr" => opts.attrs_only = true,
            "-d" | "--dataset" => {
                let v = take_value("-d")?;
                opts.objects.push(('d', v));
            }
            "-g" | "--group" => {
                let v = take_value("-g")?;
                opts.objects.push(('g', v));
            }
            "-a" | "--attribute" => {
                let v = take_value("-a")?;
                opts.objects.push(('a', v));
            }
            "-w" | "--width" => {
                let v = take_value("-w")?;
                opts.width = Some(parse_width(&v)?);
            }
            "-m" | "--format" => {
                let v = take_value("-m")?;
                opts.float_format = Some(parse_float_format(&v)?);
                // h5dump 1.10.8 sets its column count to 0 with -m (one element per line)
                // unless a later -w changes it.
                opts.width = Some(0);
            }
            "--string" => opts.as_chars = true,
            a if a.starts_with("--format=") => {
                opts.float_format = Some(parse_float_format(a.trim_start_matches("--format="))?);
                opts.width = Some(0);
            }
            a if a.starts_with("--dataset=") => opts.objects.push(('d', a.trim_start_matches("--dataset=").to_string())),
            a if a.starts_with("--group=") => opts.objects.push(('g', a.trim_start_matches("--group=").to_string())),
            a if a.starts_with("--attribute=") => {
                opts.objects.push(('a', a.trim_start_matches("--attribute=").to_string()))
            }
            a if a.starts_with("--width=") => {
                let v = a.trim_start_matches("--width=");
                opts.width = Some(parse_width(v)?);
            }
            a if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") => {
                for c in a.chars().skip(1) {
                    match c {
                        'H' => opts.header_only = true,
                        'p' => opts.properties = true,
                        'n' => opts.contents = true,
                        'A' => opts.attrs_only = true,
                        'y' => opts.no_index = true,
                        'e' => opts.escape = true,
                        'r' => opts.as_chars = true,
                        'B' | 'R' => {}
                        other => return Err(format!("unknown option -{}", other)),
                    }
                }
            }
            a if a.starts_with("--") => return Err(format!("unknown option {}", a)),
            a => files.push(a.to_string()),
        }
    }
    Ok((opts, files))
}

fn write_out(text: &str) {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.flush();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else {
        eprint!("{}", USAGE);
        std::process::exit(1);
    };
    let rest = args.get(1..).unwrap_or(&[]);
    let status = match cmd.as_str() {
        "dump" => match parse_dump(rest) {
            Ok((opts, files)) if !files.is_empty() => {
                let mut status = 0;
                for f in &files {
                    let (out, st) = dump::run_with(Path::new(f), f, &opts, true);
                    write_out(&out);
                    status = status.max(st);
                }
                status
            }
            Ok(_) => {
                eprintln!("h5dump error: missing file name");
                1
            }
            Err(e) => {
                eprintln!("h5dump error: {}", e);
                1
            }
        },
        "ls" => {
            let recursive = rest.iter().any(|a| a == "-r" || a == "--recursive");
            let files: Vec<&String> = rest.iter().filter(|a| !a.starts_with('-')).collect();
            let mut status = 0;
            if files.is_empty() {
                eprintln!("h5ls: missing file name");
                status = 1;
            }
            for f in files {
                let (out, st) = ls::run(Path::new(f), f, recursive);
                write_out(&out);
                status = status.max(st);
            }
            status
        }
        "repack" => repack::run(rest),
        "bench" => bench::run(rest),
        "-h" | "--help" | "help" => {
            print!("{}", USAGE);
            0
        }
        other => {
            eprintln!("h5: unknown command {:?}\n{}", other, USAGE);
            1
        }
    };
    std::process::exit(status);
}

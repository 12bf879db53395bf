//! The command line, declared with clap's derive API: `h5 dump|ls|repack|refs|clear|bench|completions`.
//!
//! The h5dump/h5ls/h5repack options keep their libhdf5 spelling (`-p -H`, `-pH`, `-d PATH`
//! repeated, `-w N`, `-m FMT`, `--header`, ...). Where the order of options matters (h5dump
//! prints `-d`/`-g`/`-a` selections in command-line order; `-m` sets the width to 0 unless a
//! later `-w` changes it), [`dump_options`] reads the argument indices from clap's matches.

use clap::{ArgMatches, Args, Parser, Subcommand};

use crate::dump;

#[derive(Parser, Debug)]
#[command(
    name = "h5",
    version,
    about = "Read, list, dump and repack HDF5 files (pure Rust, h5dump/h5ls/h5repack compatible)",
    propagate_version = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a file like h5dump 1.10.8 (DDL), or as HDF5/JSON with --json
    Dump(DumpArgs),
    /// List a file's members like h5ls 1.10.8
    Ls(LsArgs),
    /// Copy a file like h5repack, changing filters and layouts
    Repack(RepackArgs),
    /// Print a chunk manifest (kerchunk references, Zarr v2 metadata) of a file
    Refs(RefsArgs),
    /// Clear the superblock status flags left by a killed writer, like h5clear -s
    Clear(ClearArgs),
    /// Run the benchmark workloads (shared/bench/WORKLOADS.md) in DIR
    #[command(disable_help_flag = true)]
    Bench(BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct DumpArgs {
    /// Print the header only, no data
    #[arg(short = 'H', long = "header")]
    pub header: bool,
    /// Print dataset creation properties (filters, storage layout, fill value)
    #[arg(short = 'p', long = "properties")]
    pub properties: bool,
    /// Print a list of the file's contents
    #[arg(short = 'n', long = "contents")]
    pub contents: bool,
    /// Print the header and attribute values only, no dataset data
    #[arg(short = 'A', long = "onlyattr")]
    pub onlyattr: bool,
    /// Do not print array indices with the data
    #[arg(short = 'y', long = "noindex")]
    pub noindex: bool,
    /// Escape non-printing characters in strings
    #[arg(short = 'e', long = "escape")]
    pub escape: bool,
    /// Print 1-byte integer datasets as characters
    #[arg(short = 'r', long = "string")]
    pub string: bool,
    /// Print the dataset PATH (may be repeated)
    #[arg(short = 'd', long = "dataset", value_name = "PATH")]
    pub dataset: Vec<String>,
    /// Print the group PATH and its members (may be repeated)
    #[arg(short = 'g', long = "group", value_name = "PATH")]
    pub group: Vec<String>,
    /// Print the attribute PATH (may be repeated)
    #[arg(short = 'a', long = "attribute", value_name = "PATH")]
    pub attribute: Vec<String>,
    /// Wrap data at N columns (N <= 0: no wrapping)
    #[arg(short = 'w', long = "width", value_name = "N", allow_negative_numbers = true)]
    pub width: Option<String>,
    /// printf format for floating-point data, e.g. %.3f (one element per line unless -w)
    #[arg(short = 'm', long = "format", value_name = "FMT")]
    pub format: Option<String>,
    /// Accepted for h5dump compatibility (ignored)
    #[arg(short = 'B', long = "superblock", hide = true)]
    pub superblock: bool,
    /// Accepted for h5dump compatibility (ignored)
    #[arg(short = 'R', long = "region", hide = true)]
    pub region: bool,
    /// Print the file as HDF5/JSON (the HDF Group's hdf5-json format, as h5tojson writes it)
    #[arg(long = "json")]
    pub json: bool,
    /// The files to dump
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// List all groups recursively
    #[arg(short = 'r', long = "recursive")]
    pub recursive: bool,
    /// Verbose: addresses, storage, filters, types and attributes
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Print the values of datasets
    #[arg(short = 'd', long = "data")]
    pub data: bool,
    /// Label members of compound datasets (with -d)
    #[arg(short = 'l', long = "label")]
    pub label: bool,
    /// Columns of -d output (default 80)
    #[arg(short = 'w', long = "width", value_name = "N")]
    pub width: Option<usize>,
    /// The files to list
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RefsArgs {
    /// Output format: kerchunk-json (kerchunk's reference spec version 1) or kerchunk-parquet
    /// (kerchunk's parquet directory, needs -o DIR and the `parquet` feature)
    #[arg(long = "format", value_name = "FORMAT", default_value = "kerchunk-json", value_parser = ["kerchunk-json", "kerchunk-parquet"])]
    pub format: String,
    /// The URL the references point at (default: FILE as given)
    #[arg(long = "url", value_name = "URL")]
    pub url: Option<String>,
    /// Write the manifest to OUT instead of stdout (the directory, for kerchunk-parquet)
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    pub output: Option<String>,
    /// The file to describe
    #[arg(value_name = "FILE")]
    pub file: String,
}

#[derive(Args, Debug)]
pub struct ClearArgs {
    /// Clear the status flags (write / SWMR write access) in the superblock (the default)
    #[arg(short = 's', long = "status")]
    pub status: bool,
    /// The files to clear
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RepackArgs {
    /// Write the latest format (default: the earliest format that holds the content)
    #[arg(short = 'L', long = "latest")]
    pub latest: bool,
    /// [OBJ,..:]FILTER with FILTER GZIP=N, SHUF, FLET, NBIT, SOFF=f,IN|DS, UD=id,flags,n,v.., NONE
    #[arg(short = 'f', long = "filter", value_name = "[OBJ:]FILTER")]
    pub filter: Vec<String>,
    /// [OBJ,..:]LAYOUT with LAYOUT CHUNK=AxB.., CONTI, COMPA
    #[arg(short = 'l', long = "layout", value_name = "[OBJ:]LAYOUT")]
    pub layout: Vec<String>,
    /// Do not show a progress bar (none is shown when stderr is not a terminal)
    #[arg(long = "no-progress")]
    pub no_progress: bool,
    /// The file to read
    #[arg(value_name = "IN")]
    pub input: String,
    /// The file to write
    #[arg(value_name = "OUT")]
    pub output: String,
}

/// `h5 bench`'s arguments are handed to [`crate::bench::run`] as they are (its own parser
/// prints its usage and errors).
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// DIR [--scale S] (see `h5 bench --help`)
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<String>,
}

/// `-m FMT`: a printf floating-point format.
fn parse_float_format(v: &str) -> Result<dump::printf::FloatFormat, String> {
    dump::printf::FloatFormat::parse(v).ok_or_else(|| format!("bad float format {:?} (expected e.g. %.3f, %e, %.10g)", v))
}

/// `-w N`: columns; like h5dump, N <= 0 means no wrapping (65535 columns).
fn parse_width(v: &str) -> Result<usize, String> {
    let n: i64 = v.trim().parse().map_err(|_| format!("bad width {:?}", v))?;
    Ok(if n <= 0 { 65535 } else { usize::try_from(n).unwrap_or(65535) })
}

/// The last command-line index of option `id` in `m`, if given.
fn last_index(m: &ArgMatches, id: &str) -> Option<usize> {
    m.indices_of(id).and_then(|i| i.max())
}

/// The dump options of `a`, with the order-dependent parts read from `m` (the `dump`
/// subcommand's matches).
pub fn dump_options(a: &DumpArgs, m: &ArgMatches) -> Result<dump::Options, String> {
    let mut opts = dump::Options {
        header_only: a.header,
        attrs_only: a.onlyattr,
        properties: a.properties,
        contents: a.contents,
        no_index: a.noindex,
        escape: a.escape,
        as_chars: a.string,
        ..dump::Options::default()
    };
    let mut objects: Vec<(usize, char, String)> = Vec::new();
    for (id, kind, values) in [("dataset", 'd', &a.dataset), ("group", 'g', &a.group), ("attribute", 'a', &a.attribute)] {
        let idx: Vec<usize> = m.indices_of(id).map(|i| i.collect()).unwrap_or_default();
        for (k, v) in values.iter().enumerate() {
            objects.push((idx.get(k).copied().unwrap_or(usize::MAX), kind, v.clone()));
        }
    }
    objects.sort_by_key(|o| o.0);
    opts.objects = objects.into_iter().map(|(_, k, v)| (k, v)).collect();
    if let Some(f) = &a.format {
        opts.float_format = Some(parse_float_format(f)?);
    }
    let width = a.width.as_deref().map(parse_width).transpose()?;
    // h5dump 1.10.8 sets its column count to 0 with -m (one element per line) unless a later
    // -w changes it.
    opts.width = match (last_index(m, "format"), last_index(m, "width")) {
        (Some(fi), Some(wi)) if wi > fi => width,
        (Some(_), _) => Some(0),
        _ => width,
    };
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn parse(args: &[&str]) -> Result<dump::Options, String> {
        let m = Cli::command().try_get_matches_from(args).map_err(|e| e.to_string())?;
        let cli = Cli::from_arg_matches(&m).map_err(|e| e.to_string())?;
        let Command::Dump(d) = cli.command else { return Err("not dump".into()) };
        let sub = m.subcommand_matches("dump").ok_or("no dump")?;
        dump_options(&d, sub)
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn combined_flags_and_order() {
        let o = parse(&["h5", "dump", "-pH", "-d", "/a", "-g", "/g", "--dataset=/b", "f.h5"]).unwrap();
        assert!(o.properties && o.header_only);
        assert_eq!(o.objects, vec![('d', "/a".into()), ('g', "/g".into()), ('d', "/b".into())]);
        let o = parse(&["h5", "dump", "-m", "%.3f", "f.h5"]).unwrap();
        assert_eq!(o.width, Some(0));
        let o = parse(&["h5", "dump", "-m", "%.3f", "-w", "60", "f.h5"]).unwrap();
        assert_eq!(o.width, Some(60));
        let o = parse(&["h5", "dump", "-w", "60", "-m", "%.3f", "f.h5"]).unwrap();
        assert_eq!(o.width, Some(0));
        let o = parse(&["h5", "dump", "-w", "0", "f.h5"]).unwrap();
        assert_eq!(o.width, Some(65535));
        let o = parse(&["h5", "dump", "-w60", "f.h5"]).unwrap();
        assert_eq!(o.width, Some(60));
        assert!(parse(&["h5", "dump", "-m", "bogus", "f.h5"]).is_err());
    }
}

//! `h5 refs`: a chunk manifest of the file (kerchunk references, built by the `h5kit-refs`
//! crate) as kerchunk JSON on stdout or in `-o OUT`, or as kerchunk's parquet directory
//! (`--format kerchunk-parquet -o DIR`, feature `parquet`). Each dataset left out is named on
//! stderr with its reason. Design: spec-notes/kerchunk.md.

use std::path::Path;

use h5kit::File;

/// Runs `h5 refs`; returns the exit status.
pub fn run(args: &crate::cli::RefsArgs) -> i32 {
    let parquet = args.format == "kerchunk-parquet";
    if parquet && !cfg!(feature = "parquet") {
        eprintln!("h5 refs: --format kerchunk-parquet needs h5 built with the `parquet` feature (cargo install h5kit-cli --features parquet, or cargo build -p h5kit-cli --features parquet)");
        return 2;
    }
    if parquet && args.output.is_none() {
        eprintln!("h5 refs: --format kerchunk-parquet writes a directory: give it with -o DIR");
        return 2;
    }
    let path = Path::new(&args.file);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("h5 refs: {}: {}", args.file, e);
            return 1;
        }
    };
    let url = args.url.clone().unwrap_or_else(|| args.file.clone());
    let refs = match h5kit_refs::manifest(&file, &h5kit_refs::Options::new(url)) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("h5 refs: {}: {}", args.file, e);
            return 1;
        }
    };
    for (p, r) in &refs.skipped {
        eprintln!("h5 refs: skipped {}: {}", p, r);
    }
    if parquet {
        return write_parquet(&refs, args.output.as_deref().unwrap_or_default());
    }
    let text = refs.to_json().to_string() + "\n";
    match &args.output {
        Some(o) => {
            if let Err(e) = std::fs::write(o, text) {
                eprintln!("h5 refs: {}: {}", o, e);
                return 1;
            }
        }
        None => crate::write_out(&text),
    }
    0
}

#[cfg(feature = "parquet")]
fn write_parquet(refs: &h5kit_refs::Refs, dir: &str) -> i32 {
    match refs.write_parquet(Path::new(dir), &h5kit_refs::ParquetOptions::default()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("h5 refs: {}: {}", dir, e);
            1
        }
    }
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(_: &h5kit_refs::Refs, _: &str) -> i32 {
    2
}

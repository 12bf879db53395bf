//! Copies a file with h5kit's reader and writer: `cargo run -p h5kit --example repack -- IN OUT [latest]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(input), Some(output)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: repack IN OUT [latest]");
        std::process::exit(2);
    };
    let libver = if args.get(3).map(|s| s == "latest").unwrap_or(false) {
        h5kit::write::LibVer::Latest
    } else {
        h5kit::write::LibVer::Earliest
    };
    let run = || -> h5kit::Result<()> {
        let report = h5kit::repack::repack_file(input, output, &Default::default(), libver)?;
        for w in &report.warnings {
            eprintln!("warning: {}", w);
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("error: {}", e);
        std::process::exit(1);
    }
}

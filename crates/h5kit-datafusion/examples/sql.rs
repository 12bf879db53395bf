//! SQL over a directory or glob of HDF5 files: the table `t` is the files' 1-D datasets of
//! `/` (or of `--group PATH`, or the members of the compound dataset `--compound PATH`).
//!
//! ```text
//! cargo run -p h5kit-datafusion --example sql -- 'data/*.h5' "SELECT k, count(*), avg(x) FROM t GROUP BY k ORDER BY k"
//! cargo run -p h5kit-datafusion --example sql -- --compound /events runs/ "SELECT * FROM t LIMIT 5"
//! ```
//!
//! Local paths and `file://` URLs are read with h5kit's file reader; URLs of other object
//! stores (`s3://...`) need the store registered on the context first
//! (`ctx.register_object_store(&url, store)`, see the crate docs).

use datafusion::prelude::{SessionConfig, SessionContext};
use h5kit_datafusion::{register, H5Format};

#[tokio::main]
async fn main() -> datafusion::common::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut format = H5Format::new();
    if let Some(i) = args.iter().position(|a| a == "--group" || a == "--compound") {
        if i + 1 >= args.len() {
            return usage();
        }
        let path = args.remove(i + 1);
        format = if args.remove(i) == "--group" { H5Format::with_group(path) } else { H5Format::with_compound(path) };
    }
    let [url, sql] = args.as_slice() else { return usage() };
    // Small files are split across partitions too (DataFusion's default minimum is 10 MiB).
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_repartition_file_min_size(0));
    register(&ctx, "t", url, format).await?;
    let df = ctx.sql(sql).await?;
    df.show().await?;
    Ok(())
}

fn usage() -> datafusion::common::Result<()> {
    eprintln!("usage: sql [--group PATH | --compound PATH] FILES SQL   (FILES: a file, a directory or a glob; the table is `t`)");
    std::process::exit(2)
}

//! HDF5 files as DataFusion tables: [`H5Format`] is a DataFusion `FileFormat`, so a
//! `ListingTable` reads a directory or glob of HDF5 files (local, or in any object store
//! registered with the session) as one table, with h5kit as the reader.
//!
//! - A table is the 1-D datasets of a group, all of one length (the columns; default `/`),
//!   or one 1-D compound dataset (its members are the columns) — [`TableLayout`]. Column
//!   types are [`h5kit::arrow`]'s: numbers, strings, enums as dictionaries, compounds as
//!   structs. The schema comes from the first file.
//! - Scans split along chunk boundaries: DataFusion's byte ranges of a file map onto whole
//!   chunks ([`table`]), each read by one partition on tokio's blocking pool; only the
//!   columns a query needs are read. Known bug: with 2 partitions one of them gets no chunk
//!   (test `partitions_of_the_scan_read_every_row_once`, ignored; spec-notes/datafusion.md).
//! - Statistics: exact row counts from the dataspaces, exact null counts; no min/max
//!   (HDF5 keeps none, and computing them would read the data).
//!
//! ```no_run
//! # async fn run() -> datafusion::common::Result<()> {
//! let ctx = datafusion::prelude::SessionContext::new();
//! h5kit_datafusion::register(&ctx, "t", "data/*.h5", h5kit_datafusion::H5Format::new()).await?;
//! let df = ctx.table("t").await?;
//! df.show().await?;
//! # Ok(()) }
//! ```

pub mod format;
pub mod source;
mod store;
pub mod table;

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::SessionContext;

pub use format::{H5Format, H5FormatFactory};
pub use source::H5Source;
pub use table::TableLayout;

/// A `ListingTable` of the HDF5 files at `url` (a file, a directory: its `.h5` files, or a
/// glob such as `data/*.h5`; local paths or URLs of stores registered with the context).
pub async fn listing_table(ctx: &SessionContext, url: &str, format: H5Format) -> Result<ListingTable> {
    let table_url = ListingTableUrl::parse(url)?;
    let ext = if url.contains(['*', '?', '[']) || !table_url.is_collection() { "" } else { ".h5" };
    let options = ListingOptions::new(Arc::new(format))
        .with_file_extension(ext);
    let config = ListingTableConfig::new(table_url).with_listing_options(options).infer_schema(&ctx.state()).await?;
    ListingTable::try_new(config)
}

/// Registers the HDF5 files at `url` (see [`listing_table`]) as table `name` of `ctx`.
pub async fn register(ctx: &SessionContext, name: &str, url: &str, format: H5Format) -> Result<()> {
    let table = listing_table(ctx, url, format).await?;
    ctx.register_table(name, Arc::new(table))?;
    Ok(())
}

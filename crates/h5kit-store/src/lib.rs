//! h5kit over object stores and HTTP: open an HDF5 file kept in an [`object_store`] store
//! (local files, memory, or S3/GCS/Azure stores the caller builds) or at an `http://` URL, and
//! read it by byte ranges through a bounded block cache ([`h5kit_core::ranged`], shared with
//! the WebAssembly build).
//!
//! - Opening reads the first block (64 KiB: superblock, root group and usually more metadata)
//!   in one request, which also tells the object's size (no `HEAD`).
//! - Metadata and small reads go through the cache in block-aligned ranges; a miss fetches
//!   the aligned window around it ([`Options::read_around`], 256 KiB: an object header, its
//!   chunk index and its first chunks are usually written together); a large cold read
//!   (4 blocks or more) goes straight to the store.
//! - The chunks a selection needs are announced by the reader ([`h5kit_core::Storage::prefetch`])
//!   and fetched together: ranges closer than [`Options::coalesce_gap`] merged, up to
//!   [`Options::max_in_flight`] requests at once.
//! - [`StoreFile::io_stats`] reports the requests and bytes so far.
//!
//! The API is synchronous and needs no tokio runtime: the store's futures run on the calling
//! thread. From async code, [`AsyncFile`] reads without blocking (any executor): operations
//! run against the cache and what they miss is fetched with the store's async calls between
//! attempts. [`open_store_async`] gives a synchronous [`StoreFile`] after an awaited first
//! request.
//!
//! No C: `object_store` is used without its cloud features (they bring reqwest and ring);
//! `http://` is this crate's own HTTP/1.1 client on `std::net` ([`http`]).
//!
//! ```no_run
//! use std::sync::Arc;
//! let store = Arc::new(object_store::local::LocalFileSystem::new_with_prefix("/data")?);
//! let file = h5kit_store::open_store(store, &"run1/out.h5".into())?;
//! let v = file.dataset("/temperature")?.read::<f64>()?;
//! println!("{} values, {:?}", v.data.len(), file.io_stats());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod async_file;
pub mod http;
pub mod source;
pub mod stats;

use std::sync::Arc;
use std::time::Duration;

use h5kit::{File, Limits};
use h5kit_core::ranged::{CacheConfig, CacheHandle, RangeSource, RangedStorage};
use h5kit_core::Result;
use object_store::path::Path;
use object_store::ObjectStore;

pub use crate::async_file::AsyncFile;
pub use crate::http::HttpUrl;
pub use crate::source::{HttpSource, ObjectSource};
pub use crate::stats::IoStats;
use crate::stats::Counters;

/// How a store-backed file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Cache block size and the size of the first request (bytes).
    pub block_size: u64,
    /// Blocks the cache keeps (memory bound: `block_size * cache_blocks`).
    pub cache_blocks: usize,
    /// Requests in flight at once when fetching the chunks of a selection.
    pub max_in_flight: usize,
    /// Chunks closer than this are fetched in one request, the gap included (bytes).
    pub coalesce_gap: u64,
    /// Largest read-ahead on sequential misses (bytes).
    pub max_readahead: u64,
    /// A metadata miss fetches the aligned window of this many bytes around it (what is not
    /// cached): structures written together are read together (bytes; 0: off).
    pub read_around: u64,
    /// HTTP connect/read/write timeout.
    pub timeout: Duration,
    /// Bounds on what the file may claim (allocation sizes, item counts).
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            block_size: 64 * 1024,
            cache_blocks: 512,
            max_in_flight: 8,
            coalesce_gap: 256 * 1024,
            max_readahead: 8 << 20,
            read_around: 256 * 1024,
            timeout: Duration::from_secs(30),
            limits: Limits::default(),
        }
    }
}

/// An HDF5 file read from a store or URL: an [`h5kit::File`] (through `Deref`) plus its
/// request and byte counts.
pub struct StoreFile {
    file: File,
    cache: CacheHandle,
    counters: Arc<Counters>,
}

impl std::ops::Deref for StoreFile {
    type Target = File;
    fn deref(&self) -> &File {
        &self.file
    }
}

impl StoreFile {
    /// Requests and bytes so far (opening included), and the block cache's hits and misses.
    pub fn io_stats(&self) -> IoStats {
        IoStats::now(&self.counters, &self.cache)
    }

    /// The file (it keeps reading through the store).
    pub fn file(&self) -> &File {
        &self.file
    }

    pub fn into_file(self) -> File {
        self.file
    }
}

fn cache_config(o: &Options) -> CacheConfig {
    CacheConfig {
        block_size: o.block_size.max(512),
        max_blocks: o.cache_blocks.max(4),
        max_readahead: o.max_readahead,
        coalesce_gap: o.coalesce_gap,
        read_around: o.read_around,
    }
}

/// Opens the file whose size is `len` and whose first bytes are `first` (already fetched).
fn open_source(source: Box<dyn RangeSource>, len: u64, first: &[u8], name: String, o: &Options, counters: Arc<Counters>) -> Result<StoreFile> {
    let storage = RangedStorage::new(len, source, cache_config(o));
    let cache = storage.handle();
    if !first.is_empty() {
        cache.supply(0, first)?;
    }
    let file = File::from_storage(Box::new(storage), name, o.limits)?;
    Ok(StoreFile { file, cache, counters })
}

/// Opens the HDF5 file at `path` in `store` (default [`Options`]).
pub fn open_store(store: Arc<dyn ObjectStore>, path: &Path) -> Result<StoreFile> {
    open_store_with(store, path, &Options::default())
}

/// Opens the HDF5 file at `path` in `store`.
pub fn open_store_with(store: Arc<dyn ObjectStore>, path: &Path, options: &Options) -> Result<StoreFile> {
    let counters = Arc::new(Counters::default());
    let source = ObjectSource::new(store, path.clone(), options.max_in_flight, counters.clone());
    let (len, first) = source.first_block(options.block_size.max(512))?;
    open_source(Box::new(source), len, &first, path.to_string(), options, counters)
}

/// As [`open_store_with`], the first request awaited (for callers in an async runtime).
/// Later reads through the returned file block the calling thread.
pub async fn open_store_async(store: Arc<dyn ObjectStore>, path: &Path, options: &Options) -> Result<StoreFile> {
    let counters = Arc::new(Counters::default());
    let source = ObjectSource::new(store, path.clone(), options.max_in_flight, counters.clone());
    let (len, first) = source.first_block_async(options.block_size.max(512)).await?;
    open_source(Box::new(source), len, &first, path.to_string(), options, counters)
}

/// Opens the HDF5 file at an `http://` URL (default [`Options`]); the server must answer
/// `Range` requests (`206` with `Content-Range`).
pub fn open_url(url: &str) -> Result<StoreFile> {
    open_url_with(url, &Options::default())
}

/// Opens the HDF5 file at an `http://` URL.
pub fn open_url_with(url: &str, options: &Options) -> Result<StoreFile> {
    let parsed = HttpUrl::parse(url)?;
    let counters = Arc::new(Counters::default());
    let client = http::HttpClient::new(parsed, options.timeout, counters.clone());
    let source = HttpSource::new(client, options.max_in_flight);
    let (len, first) = source.first_block(options.block_size.max(512))?;
    open_source(Box::new(source), len, &first, url.to_string(), options, counters)
}

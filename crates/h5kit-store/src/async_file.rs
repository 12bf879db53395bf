//! [`AsyncFile`]: an HDF5 file in an object store, read from async code without blocking a
//! thread. The parser is synchronous; it runs against a block cache whose source never has
//! bytes (`SuppliedOnly`): an operation that needs uncached blocks fails, listing them
//! ([`h5kit_core::ranged::CacheHandle::take_missing`]), the blocks are fetched with the
//! store's async `get_range` calls (up to `max_in_flight` at once), supplied, and the
//! operation runs again: the protocol of the WebAssembly build (`spec-notes/wasm.md`). Blocks
//! used by the running operation stay cached, so every round makes progress; the chunks a
//! selection needs are announced before the first failure and fetched in one round.

use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt, TryStreamExt};
use h5kit::{Array, File, H5Type, Hyperslab};
use h5kit_core::ranged::{CacheHandle, RangedStorage, SuppliedOnly};
use h5kit_core::{Error, ErrorKind, Result};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::source::ObjectSource;
use crate::stats::{Counters, IoStats};
use crate::{cache_config, Options};

/// Rounds of fetching one operation may take before it is given up (each round fetches
/// everything the failed attempt listed).
const MAX_ROUNDS: u32 = 10_000;

/// An HDF5 file in an object store with async reads (any executor: no tokio needed).
pub struct AsyncFile {
    store: Arc<dyn ObjectStore>,
    path: Path,
    file: File,
    cache: CacheHandle,
    counters: Arc<Counters>,
    max_in_flight: usize,
}

impl AsyncFile {
    /// Opens the file at `path` in `store`: the first block in one request, then the rounds
    /// the superblock and root group need.
    pub async fn open(store: Arc<dyn ObjectStore>, path: &Path, options: &Options) -> Result<AsyncFile> {
        let counters = Arc::new(Counters::default());
        let first = ObjectSource::new(store.clone(), path.clone(), 1, counters.clone());
        let (len, data) = first.first_block_async(options.block_size.max(512)).await?;
        let cache = RangedStorage::new(len, Box::new(SuppliedOnly), cache_config(options)).handle();
        if !data.is_empty() {
            cache.supply(0, &data)?;
        }
        let max_in_flight = options.max_in_flight.max(1);
        let name = path.to_string();
        let limits = options.limits;
        let file = run(&store, path, &cache, &counters, max_in_flight, || {
            let storage = RangedStorage::with_handle(&cache, Box::new(SuppliedOnly));
            File::from_storage(Box::new(storage), name.clone(), limits)
        })
        .await?;
        Ok(AsyncFile { store, path: path.clone(), file, cache, counters, max_in_flight })
    }

    /// Runs `op` on the file, fetching what it needs between attempts. `op` may run several
    /// times: it should only read.
    pub async fn run<T>(&self, op: impl FnMut(&File) -> Result<T>) -> Result<T> {
        let mut op = op;
        let file = &self.file;
        run(&self.store, &self.path, &self.cache, &self.counters, self.max_in_flight, || op(file)).await
    }

    /// The whole dataset at `path`.
    pub async fn read<T: H5Type>(&self, path: &str) -> Result<Array<T>> {
        self.run(|f| f.dataset(path)?.read::<T>()).await
    }

    /// A selection of the dataset at `path`.
    pub async fn read_slice<T: H5Type>(&self, path: &str, selection: &Hyperslab) -> Result<Array<T>> {
        self.run(|f| f.dataset(path)?.read_slice::<T>(selection.clone())).await
    }

    /// Names of the links of the group at `path`.
    pub async fn keys(&self, path: &str) -> Result<Vec<String>> {
        self.run(|f| f.group(path)?.keys()).await
    }

    /// Requests and bytes so far, cache hits and misses.
    pub fn io_stats(&self) -> IoStats {
        IoStats::now(&self.counters, &self.cache)
    }
}

/// The retry loop: attempt, fetch what the attempt listed as missing, supply, again.
async fn run<T>(
    store: &Arc<dyn ObjectStore>,
    path: &Path,
    cache: &CacheHandle,
    counters: &Counters,
    max_in_flight: usize,
    mut op: impl FnMut() -> Result<T>,
) -> Result<T> {
    cache.begin_operation()?;
    let mut last: Vec<(u64, u64)> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let err = match op() {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        let missing = cache.take_missing()?;
        if missing.is_empty() {
            return Err(err);
        }
        if missing == last {
            return Err(Error::new(ErrorKind::Io, format!("{}: the same ranges are missing after fetching them: {:?}", path, missing)));
        }
        // Block-aligned ranges, sorted; overlapping or touching ones merged.
        let mut ranges: Vec<Range<u64>> = Vec::new();
        for &(o, n) in &missing {
            let r = o..o.saturating_add(n);
            match ranges.last_mut() {
                Some(l) if r.start <= l.end => l.end = l.end.max(r.end),
                _ => ranges.push(r),
            }
        }
        let fetched: Vec<bytes::Bytes> = stream::iter(ranges.iter().cloned().map(|r| async move {
            counters.requests.fetch_add(1, Ordering::Relaxed);
            let what = format!("reading bytes {}..{}", r.start, r.end);
            let data = store.get_range(path, r).await.map_err(|e| Error::new(ErrorKind::Io, format!("object store {}: {}: {}", path, what, e)))?;
            counters.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
            Ok::<_, Error>(data)
        }))
        .buffered(max_in_flight)
        .try_collect()
        .await?;
        for (r, data) in ranges.iter().zip(&fetched) {
            cache.supply(r.start, data)?;
        }
        last = missing;
    }
    Err(Error::new(ErrorKind::Io, format!("{}: an operation needed more than {} rounds of fetching", path, MAX_ROUNDS)))
}

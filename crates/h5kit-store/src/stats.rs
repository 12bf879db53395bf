//! Request and byte counters of a file opened through a store, and the figures
//! [`crate::StoreFile::io_stats`] reports.

use std::sync::atomic::{AtomicU64, Ordering};

use h5kit_core::ranged::CacheHandle;

/// Counters shared by a source and the file it feeds.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests sent (HTTP `GET`s, object-store `get` calls).
    pub requests: AtomicU64,
    /// Body bytes received.
    pub bytes: AtomicU64,
}

/// What reading a file has cost so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoStats {
    /// Requests sent to the store or server (the first block included).
    pub requests: u64,
    /// Bytes received.
    pub bytes: u64,
    /// Reads served from the block cache.
    pub cache_hits: u64,
    /// Reads that needed the store.
    pub cache_misses: u64,
    /// Blocks in the cache now.
    pub cached_blocks: u64,
}

impl IoStats {
    /// The figures now: `counters` of the file's source, `cache` its block cache.
    pub(crate) fn now(counters: &Counters, cache: &CacheHandle) -> IoStats {
        let cache = cache.stats().unwrap_or_default();
        IoStats {
            requests: counters.requests.load(Ordering::Relaxed),
            bytes: counters.bytes.load(Ordering::Relaxed),
            cache_hits: cache.hits,
            cache_misses: cache.misses,
            cached_blocks: cache.cached_blocks,
        }
    }
}

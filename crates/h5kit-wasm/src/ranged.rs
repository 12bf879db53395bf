//! Ranged storage: a [`Storage`] whose bytes come from a [`RangeSource`] on demand (a browser
//! `Blob`, HTTP range requests, `fs.readSync` in node), through a small block cache, so that
//! browsing a large file reads only its metadata and the chunks actually shown.
//!
//! Two ways to feed it:
//! - synchronous: the source returns the bytes when asked (`FileReaderSync` in a worker,
//!   `fs.readSync`, a synchronous range request);
//! - asynchronous: the source answers "not available yet" (`Ok(false)`); the read fails, the
//!   blocks it needed are listed by [`CacheHandle::take_missing`], the caller fetches them
//!   (e.g. `await blob.slice(a, b).arrayBuffer()`), hands them over with
//!   [`CacheHandle::supply`] and runs the operation again. Blocks used by the current
//!   operation (since [`CacheHandle::begin_operation`]) are never evicted, so every retry
//!   makes progress. Consecutive misses grow a read-ahead window (chunks are usually stored
//!   one after the other), so reading N chunks takes O(log N) round trips, not N.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use h5kit_core::{Error, ErrorKind, Result, Storage};

/// Where the bytes of a ranged storage come from.
pub trait RangeSource: Send + Sync {
    /// Fills `buf` with the bytes at `offset`. `Ok(false)` means "not available now": the
    /// caller will fetch them asynchronously and supply them (see [`CacheHandle`]).
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<bool>;
}

/// A source that never has bytes: everything is supplied through [`CacheHandle::supply`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SuppliedOnly;

impl RangeSource for SuppliedOnly {
    fn read(&self, _offset: u64, _buf: &mut [u8]) -> Result<bool> {
        Ok(false)
    }
}

/// Cache geometry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// Block size in bytes (a power of two is best; at least 512).
    pub block_size: u64,
    /// Blocks kept between operations (more are kept while one operation needs them).
    pub max_blocks: usize,
    /// Largest read-ahead window in bytes.
    pub max_readahead: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { block_size: 64 * 1024, max_blocks: 256, max_readahead: 8 << 20 }
    }
}

/// Counters, for showing how little of a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Calls to the source that returned bytes, plus supplied ranges.
    pub fetches: u64,
    /// Bytes obtained from the source or supplied.
    pub bytes_fetched: u64,
    /// Reads served entirely from the cache.
    pub hits: u64,
    /// Reads that needed the source.
    pub misses: u64,
    /// Blocks currently cached.
    pub cached_blocks: u64,
}

#[derive(Debug)]
struct Block {
    data: Vec<u8>,
    last_use: u64,
}

#[derive(Debug, Default)]
struct State {
    blocks: HashMap<u64, Block>,
    tick: u64,
    /// Blocks used at or after this tick belong to the current operation (pinned).
    op_start: u64,
    /// Block-aligned ranges (offset -> length) a failed read needed and nobody supplied yet.
    missing: BTreeMap<u64, u64>,
    readahead: u64,
    last_miss_end: Option<u64>,
    stats: Stats,
}

/// The shared control of a [`RangedStorage`] (which the opened file owns).
#[derive(Debug, Clone)]
pub struct CacheHandle {
    state: Arc<Mutex<State>>,
    len: u64,
    config: CacheConfig,
}

fn lock(state: &Mutex<State>) -> Result<MutexGuard<'_, State>> {
    state.lock().map_err(|_| Error::new(ErrorKind::Io, "block cache lock poisoned"))
}

impl CacheHandle {
    /// Starts an API operation: trims the cache to its size and forgets missing ranges.
    pub fn begin_operation(&self) -> Result<()> {
        let mut st = lock(&self.state)?;
        st.tick = st.tick.saturating_add(1);
        st.op_start = st.tick;
        st.missing.clear();
        let keep = self.config.max_blocks;
        if st.blocks.len() > keep {
            let mut ages: Vec<(u64, u64)> = st.blocks.iter().map(|(k, b)| (b.last_use, *k)).collect();
            ages.sort_unstable();
            let excess = st.blocks.len() - keep;
            for (_, k) in ages.into_iter().take(excess) {
                st.blocks.remove(&k);
            }
        }
        st.stats.cached_blocks = st.blocks.len() as u64;
        Ok(())
    }

    /// Ranges `(offset, length)` the last failed reads needed; clears the list.
    pub fn take_missing(&self) -> Result<Vec<(u64, u64)>> {
        let mut st = lock(&self.state)?;
        let m = std::mem::take(&mut st.missing);
        Ok(m.into_iter().collect())
    }

    /// Hands over the bytes at `offset` (block-aligned, as listed by [`Self::take_missing`];
    /// the last block may end at the end of the file).
    pub fn supply(&self, offset: u64, data: &[u8]) -> Result<()> {
        let bs = self.config.block_size;
        if bs == 0 || !offset.is_multiple_of(bs) {
            return Err(Error::usage(format!("supplied range at {} is not aligned to the block size {}", offset, bs)));
        }
        let end = offset.checked_add(data.len() as u64).filter(|e| *e <= self.len).ok_or_else(|| {
            Error::usage(format!("supplied range of {} bytes at {} runs past the end ({} bytes)", data.len(), offset, self.len))
        })?;
        let mut st = lock(&self.state)?;
        st.stats.fetches = st.stats.fetches.saturating_add(1);
        st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(data.len() as u64);
        insert_blocks(&mut st, offset, data, bs, self.len, end);
        Ok(())
    }

    /// Counters so far.
    pub fn stats(&self) -> Result<Stats> {
        let st = lock(&self.state)?;
        let mut s = st.stats;
        s.cached_blocks = st.blocks.len() as u64;
        Ok(s)
    }

    /// Size of the storage.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn config(&self) -> CacheConfig {
        self.config
    }
}

/// Stores the whole blocks of `data` (starting at block-aligned `offset`, ending at `end`).
/// A partial last block is kept only when it ends at the end of the file.
fn insert_blocks(st: &mut State, offset: u64, data: &[u8], bs: u64, len: u64, end: u64) {
    let tick = st.tick;
    let mut pos = 0usize;
    let mut block_off = offset;
    while block_off < end {
        let block_end = block_off.saturating_add(bs).min(len);
        let n = (block_end - block_off) as usize;
        let Some(slice) = data.get(pos..pos.saturating_add(n)) else { break };
        st.blocks.insert(block_off / bs, Block { data: slice.to_vec(), last_use: tick });
        pos += n;
        block_off = block_end;
    }
}

/// A [`Storage`] reading through a block cache from a [`RangeSource`].
pub struct RangedStorage {
    len: u64,
    source: Box<dyn RangeSource>,
    handle: CacheHandle,
}

impl RangedStorage {
    /// A storage of `len` bytes read from `source`.
    pub fn new(len: u64, source: Box<dyn RangeSource>, config: CacheConfig) -> RangedStorage {
        let config = CacheConfig { block_size: config.block_size.max(512), max_blocks: config.max_blocks.max(4), ..config };
        let handle = CacheHandle { state: Arc::new(Mutex::new(State::default())), len, config };
        RangedStorage { len, source, handle }
    }

    /// A storage sharing the cache of `handle` (to retry opening a file after supplying
    /// the blocks it was missing).
    pub fn with_handle(handle: &CacheHandle, source: Box<dyn RangeSource>) -> RangedStorage {
        RangedStorage { len: handle.len, source, handle: handle.clone() }
    }

    /// The control shared with the caller (keep a clone before handing the storage over).
    pub fn handle(&self) -> CacheHandle {
        self.handle.clone()
    }

    fn not_loaded(offset: u64, len: usize) -> Error {
        Error::new(ErrorKind::Io, format!("{} bytes at address {} are not loaded yet", len, offset)).at(offset)
    }
}

impl Storage for RangedStorage {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset.checked_add(buf.len() as u64).filter(|e| *e <= self.len).ok_or_else(|| {
            Error::format(
                offset,
                format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, self.len),
            )
        })?;
        if buf.is_empty() {
            return Ok(());
        }
        let cfg = self.handle.config;
        let bs = cfg.block_size;
        let first = offset / bs;
        let last = (end - 1) / bs;
        let mut st = lock(&self.handle.state)?;
        st.tick = st.tick.saturating_add(1);
        let tick = st.tick;

        // Runs of consecutive missing blocks.
        let mut runs: Vec<(u64, u64)> = Vec::new();
        for b in first..=last {
            if !st.blocks.contains_key(&b) {
                match runs.last_mut() {
                    Some((_, e)) if *e == b => *e = b + 1,
                    _ => runs.push((b, b + 1)),
                }
            }
        }

        if !runs.is_empty() {
            st.stats.misses = st.stats.misses.saturating_add(1);
            // A large read with nothing cached goes straight to the source (no cache pollution).
            let whole = runs.len() == 1 && runs.first() == Some(&(first, last + 1));
            if whole && buf.len() as u64 >= 4 * bs && self.source.read(offset, buf)? {
                st.stats.fetches = st.stats.fetches.saturating_add(1);
                st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(buf.len() as u64);
                return Ok(());
            }
            // Read-ahead on sequential misses.
            let run_start = runs.first().map(|r| r.0 * bs).unwrap_or(0);
            let sequential = st.last_miss_end == Some(run_start);
            st.readahead = if sequential { (st.readahead.saturating_mul(2)).clamp(bs, cfg.max_readahead.max(bs)) } else { 0 };
            if let Some(lr) = runs.last_mut() {
                let extra = st.readahead / bs;
                let max_block = (self.len - 1) / bs;
                let mut e = lr.1;
                while e <= max_block && e < lr.1.saturating_add(extra) && !st.blocks.contains_key(&e) {
                    e += 1;
                }
                lr.1 = e;
            }
            let mut pending = false;
            for (b0, b1) in runs {
                let r_off = b0 * bs;
                let r_end = (b1.saturating_mul(bs)).min(self.len);
                let n = (r_end - r_off) as usize;
                let mut data = vec![0u8; n];
                if self.source.read(r_off, &mut data)? {
                    st.stats.fetches = st.stats.fetches.saturating_add(1);
                    st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(n as u64);
                    insert_blocks(&mut st, r_off, &data, bs, self.len, r_end);
                } else {
                    pending = true;
                    st.missing.insert(r_off, n as u64);
                }
                st.last_miss_end = Some(r_end);
            }
            if pending {
                return Err(Self::not_loaded(offset, buf.len()));
            }
        } else {
            st.stats.hits = st.stats.hits.saturating_add(1);
        }

        // Copy from the cached blocks.
        let buf_len = buf.len();
        let mut written = 0usize;
        for b in first..=last {
            let block = st.blocks.get_mut(&b).ok_or_else(|| Self::not_loaded(offset, buf_len))?;
            block.last_use = tick;
            let block_off = b * bs;
            let from = offset.max(block_off) - block_off;
            let to = end.min(block_off + bs) - block_off;
            let src = block.data.get(from as usize..to as usize).ok_or_else(|| Self::not_loaded(offset, buf_len))?;
            let dst = buf.get_mut(written..written + src.len()).ok_or_else(|| Self::not_loaded(offset, buf_len))?;
            dst.copy_from_slice(src);
            written += src.len();
        }
        // Evict least recently used blocks not used by the current operation.
        if st.blocks.len() > cfg.max_blocks {
            let op_start = st.op_start;
            let mut old: Vec<(u64, u64)> =
                st.blocks.iter().filter(|(_, b)| b.last_use < op_start).map(|(k, b)| (b.last_use, *k)).collect();
            old.sort_unstable();
            let excess = st.blocks.len() - cfg.max_blocks;
            for (_, k) in old.into_iter().take(excess) {
                st.blocks.remove(&k);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A synchronous source over a byte vector that counts calls.
    struct VecSource {
        data: Vec<u8>,
        calls: Arc<AtomicU64>,
    }
    impl RangeSource for VecSource {
        fn read(&self, offset: u64, buf: &mut [u8]) -> Result<bool> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            let s = self.data.get(offset as usize..offset as usize + buf.len()).ok_or_else(|| Error::usage("past end"))?;
            buf.copy_from_slice(s);
            Ok(true)
        }
    }

    fn pattern(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 % 251) as u8).collect()
    }

    fn small() -> CacheConfig {
        CacheConfig { block_size: 512, max_blocks: 4, max_readahead: 4096 }
    }

    #[test]
    fn sync_reads_are_cached_and_exact() {
        let data = pattern(5000);
        let calls = Arc::new(AtomicU64::new(0));
        let s = RangedStorage::new(5000, Box::new(VecSource { data: data.clone(), calls: calls.clone() }), small());
        let h = s.handle();
        h.begin_operation().unwrap();
        let mut b = vec![0u8; 100];
        s.read_at(1000, &mut b).unwrap();
        assert_eq!(b, data[1000..1100]);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Same block again: a hit, no new call.
        s.read_at(1024 - 10, &mut b[..10]).unwrap();
        assert_eq!(&b[..10], &data[1014..1024]);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Spanning two blocks, one cached, and the short last block.
        let mut c = vec![0u8; 600];
        s.read_at(4400, &mut c).unwrap();
        assert_eq!(c, data[4400..5000]);
        assert!(s.read_at(4999, &mut [0u8; 2]).is_err());
        assert!(s.read_at(u64::MAX - 1, &mut [0u8; 4]).is_err());
        let st = h.stats().unwrap();
        assert_eq!(st.hits, 1);
        assert_eq!(st.misses, 2);
    }

    #[test]
    fn eviction_keeps_the_cache_small_between_operations() {
        let data = pattern(20_000);
        let calls = Arc::new(AtomicU64::new(0));
        let s = RangedStorage::new(20_000, Box::new(VecSource { data: data.clone(), calls }), small());
        let h = s.handle();
        for i in 0..30u64 {
            h.begin_operation().unwrap();
            let mut b = [0u8; 8];
            let off = (i * 613) % 19_000;
            s.read_at(off, &mut b).unwrap();
            assert_eq!(&b[..], &data[off as usize..off as usize + 8]);
        }
        h.begin_operation().unwrap();
        assert!(h.stats().unwrap().cached_blocks <= 4);
    }

    #[test]
    fn large_cold_read_bypasses_the_cache() {
        let data = pattern(10_000);
        let calls = Arc::new(AtomicU64::new(0));
        let s = RangedStorage::new(10_000, Box::new(VecSource { data: data.clone(), calls: calls.clone() }), small());
        let mut b = vec![0u8; 9000];
        s.read_at(500, &mut b).unwrap();
        assert_eq!(b, data[500..9500]);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(s.handle().stats().unwrap().cached_blocks, 0);
    }

    #[test]
    fn async_mode_lists_missing_blocks_and_retries() {
        let data = pattern(5000);
        let s = RangedStorage::new(5000, Box::new(SuppliedOnly), small());
        let h = s.handle();
        h.begin_operation().unwrap();
        let mut b = vec![0u8; 300];
        let err = s.read_at(900, &mut b).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Io);
        let missing = h.take_missing().unwrap();
        assert_eq!(missing, vec![(512, 1024)]);
        for (o, l) in missing {
            h.supply(o, &data[o as usize..(o + l) as usize]).unwrap();
        }
        s.read_at(900, &mut b).unwrap();
        assert_eq!(b, data[900..1200]);
        // A sequential miss right after grows the read-ahead window.
        let err = s.read_at(1536, &mut b[..10]);
        assert!(err.is_err());
        assert_eq!(h.take_missing().unwrap(), vec![(1536, 1024)]);
        // Misaligned or out-of-range supplies are refused.
        assert!(h.supply(3, &[0; 4]).is_err());
        assert!(h.supply(4608, &[0; 512]).is_err());
        // The final short block (4608..5000) can be supplied.
        h.supply(4608, &data[4608..]).unwrap();
        s.read_at(4990, &mut b[..10]).unwrap();
        assert_eq!(&b[..10], &data[4990..5000]);
    }

    /// The retry protocol the JS layer runs: on failure, supply what is missing and retry.
    fn run_async<T>(h: &CacheHandle, data: &[u8], mut op: impl FnMut() -> Result<T>) -> (T, u32) {
        h.begin_operation().unwrap();
        let mut rounds = 0;
        loop {
            match op() {
                Ok(v) => return (v, rounds),
                Err(e) => {
                    let missing = h.take_missing().unwrap();
                    assert!(!missing.is_empty(), "failed without missing blocks: {}", e);
                    rounds += 1;
                    for (o, l) in missing {
                        h.supply(o, &data[o as usize..(o + l) as usize]).unwrap();
                    }
                }
            }
        }
    }

    #[test]
    fn opens_and_reads_an_interop_file_through_the_async_protocol() {
        let path = crate::interop_path("jhdf/test_file.hdf5");
        let data = std::fs::read(path).unwrap();
        let len = data.len() as u64;
        let cfg = CacheConfig { block_size: 1024, max_blocks: 8, max_readahead: 1 << 16 };
        let h = RangedStorage::new(len, Box::new(SuppliedOnly), cfg).handle();
        let (file, rounds) = run_async(&h, &data, || {
            let st = RangedStorage::with_handle(&h, Box::new(SuppliedOnly));
            h5kit::File::from_storage(Box::new(st), "t".into(), h5kit::Limits::default())
        });
        assert!(rounds >= 1);
        let (keys, _) = run_async(&h, &data, || file.root()?.keys());
        assert_eq!(keys, vec!["datasets_group", "links_group", "nD_Datasets"]);
        // Missing blocks while opening the children propagate (they are not "broken links").
        let (listing, _) = run_async(&h, &data, || crate::inspect::list(&file, "/datasets_group/int"));
        assert_eq!(listing.matches(r#""kind":"dataset""#).count(), 3, "{}", listing);
        // h5dump -d /datasets_group/float/float32 test_file.hdf5: -10, -9, ... 10
        let (values, _) = run_async(&h, &data, || match file.object("/datasets_group/float/float32")? {
            h5kit::Object::Dataset(d) => d.read::<f64>(),
            _ => Err(Error::usage("not a dataset")),
        });
        assert_eq!(values.data.len(), 21);
        assert_eq!(values.data[0], -10.0);
        assert_eq!(values.data[20], 10.0);
        let st = h.stats().unwrap();
        assert!(st.bytes_fetched <= len, "fetched {} of {}", st.bytes_fetched, len);
    }
}

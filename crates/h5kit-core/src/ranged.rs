//! Ranged storage: a [`Storage`] whose bytes come from a [`RangeSource`] on demand (a browser
//! `Blob`, HTTP range requests, an object store, `fs.readSync` in node), through a bounded
//! block cache (block-aligned, least recently used blocks dropped first), so that browsing a
//! large file reads only its metadata and the chunks actually shown. The WebAssembly build
//! (h5kit-wasm) and the object-store storage (h5kit-store) both read through it.
//!
//! The cache lock is never held while the source reads, so threads decoding chunks in
//! parallel fetch in parallel; [`Storage::prefetch`] (the chunks a selection needs) fetches
//! missing blocks in one [`RangeSource::read_many`], close ranges coalesced.
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

use crate::{Error, ErrorKind, Result, Storage};

/// Where the bytes of a ranged storage come from.
pub trait RangeSource: Send + Sync {
    /// Fills `buf` with the bytes at `offset`. `Ok(false)` means "not available now": the
    /// caller will fetch them asynchronously and supply them (see [`CacheHandle`]).
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<bool>;

    /// Fills every buffer with the bytes at its offset (ranges sorted by offset, not
    /// overlapping), concurrently where the source can (an HTTP or object-store source runs
    /// several requests in flight). `Ok(false)`: not available now (nothing is cached).
    fn read_many(&self, requests: &mut [(u64, &mut [u8])]) -> Result<bool> {
        for (offset, buf) in requests.iter_mut() {
            if !self.read(*offset, buf)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
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
    /// Prefetched ranges ([`Storage::prefetch`]) closer than this many bytes are fetched as
    /// one range, the gap included.
    pub coalesce_gap: u64,
    /// A miss that is not sequential fetches the whole aligned window of this many bytes
    /// around the blocks it needs (those not cached): objects written together lie together,
    /// so the next structure a lookup needs is often there. 0: only the needed blocks.
    pub read_around: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { block_size: 64 * 1024, max_blocks: 256, max_readahead: 8 << 20, coalesce_gap: 256 * 1024, read_around: 0 }
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

impl RangedStorage {
    /// Fetches the missing blocks of `ranges` (`(offset, length)`, any order) into the cache,
    /// ranges closer than [`CacheConfig::coalesce_gap`] merged, all through one
    /// [`RangeSource::read_many`] (concurrent where the source is). At most half the cache is
    /// filled, the ranges taken in offset order. Returns the bytes fetched. With an
    /// asynchronous source the merged ranges are listed as missing instead
    /// ([`CacheHandle::take_missing`]).
    pub fn prefetch_ranges(&self, ranges: &[(u64, u64)]) -> Result<u64> {
        let cfg = self.handle.config;
        let bs = cfg.block_size;
        if self.len == 0 || ranges.is_empty() {
            return Ok(0);
        }
        let budget = (cfg.max_blocks / 2).max(1);
        let gap_blocks = cfg.coalesce_gap / bs;
        let max_block = (self.len - 1) / bs;
        let mut sorted: Vec<(u64, u64)> = ranges.iter().copied().filter(|r| r.1 > 0 && r.0 < self.len).collect();
        sorted.sort_unstable();
        let mut runs: Vec<(u64, u64)> = Vec::new();
        {
            let st = lock(&self.handle.state)?;
            let mut taken = 0usize;
            'ranges: for (off, n) in sorted {
                let first = off / bs;
                let last = (off.saturating_add(n).min(self.len) - 1) / bs;
                for b in first..=last.min(max_block) {
                    if st.blocks.contains_key(&b) || runs.last().is_some_and(|r| r.1 > b) {
                        continue;
                    }
                    if taken >= budget {
                        break 'ranges;
                    }
                    match runs.last_mut() {
                        Some(r) if b - r.1 <= gap_blocks => {
                            taken += (b + 1 - r.1) as usize;
                            r.1 = b + 1;
                        }
                        _ => {
                            taken += 1;
                            runs.push((b, b + 1));
                        }
                    }
                }
            }
        }
        if runs.is_empty() {
            return Ok(0);
        }
        let mut bufs: Vec<(u64, Vec<u8>)> =
            runs.iter().map(|&(b0, b1)| (b0 * bs, vec![0u8; ((b1 * bs).min(self.len) - b0 * bs) as usize])).collect();
        let mut requests: Vec<(u64, &mut [u8])> = bufs.iter_mut().map(|(o, v)| (*o, v.as_mut_slice())).collect();
        if !self.source.read_many(&mut requests)? {
            // An asynchronous source: the ranges join the missing list, so that the next
            // failed read asks for all of the selection's chunks in one round.
            let mut st = lock(&self.handle.state)?;
            for (off, data) in &bufs {
                st.missing.insert(*off, data.len() as u64);
            }
            return Ok(0);
        }
        let mut st = lock(&self.handle.state)?;
        st.tick = st.tick.saturating_add(1);
        let mut total = 0u64;
        for (off, data) in &bufs {
            let n = data.len() as u64;
            st.stats.fetches = st.stats.fetches.saturating_add(1);
            st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(n);
            insert_blocks(&mut st, *off, data, bs, self.len, off + n);
            total += n;
        }
        Ok(total)
    }
}

/// Runs `[b0, b1)` of the blocks `first..=last` not in the cache.
fn missing_runs(st: &State, first: u64, last: u64) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for b in first..=last {
        if !st.blocks.contains_key(&b) {
            match runs.last_mut() {
                Some((_, e)) if *e == b => *e = b + 1,
                _ => runs.push((b, b + 1)),
            }
        }
    }
    runs
}

/// Copies `offset .. offset + buf.len()` from the cached blocks `first..=last`, marking them
/// used; `false` (nothing guaranteed about `buf`) when one is not cached.
fn copy_cached(st: &mut State, bs: u64, offset: u64, buf: &mut [u8]) -> bool {
    let end = offset + buf.len() as u64;
    let tick = st.tick;
    let mut written = 0usize;
    for b in offset / bs..=(end - 1) / bs {
        let Some(block) = st.blocks.get_mut(&b) else { return false };
        block.last_use = tick;
        let block_off = b * bs;
        let from = (offset.max(block_off) - block_off) as usize;
        let to = (end.min(block_off + bs) - block_off) as usize;
        let Some(src) = block.data.get(from..to) else { return false };
        let Some(dst) = buf.get_mut(written..written + src.len()) else { return false };
        dst.copy_from_slice(src);
        written += src.len();
    }
    written == buf.len()
}

/// Drops the least recently used blocks past `max_blocks`. Blocks used by the current
/// operation (since [`CacheHandle::begin_operation`], or by the current read when no
/// operation was begun) stay.
fn evict(st: &mut State, max_blocks: usize) {
    if st.blocks.len() <= max_blocks {
        return;
    }
    let keep_from = if st.op_start > 0 { st.op_start } else { st.tick };
    let mut old: Vec<(u64, u64)> = st.blocks.iter().filter(|(_, b)| b.last_use < keep_from).map(|(k, b)| (b.last_use, *k)).collect();
    old.sort_unstable();
    let excess = st.blocks.len() - max_blocks;
    for (_, k) in old.into_iter().take(excess) {
        st.blocks.remove(&k);
    }
}

impl Storage for RangedStorage {
    fn len(&self) -> u64 {
        self.len
    }

    fn prefetch(&self, ranges: &[(u64, u64)]) {
        // A hint: a failure here shows again (with its context) when the range is read.
        let _ = self.prefetch_ranges(ranges);
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
        // The lock is held while looking at the cache, never while the source reads: other
        // threads (parallel chunk decoding) fetch at the same time.
        let mut runs = {
            let mut st = lock(&self.handle.state)?;
            st.tick = st.tick.saturating_add(1);
            let runs = missing_runs(&st, first, last);
            if runs.is_empty() && copy_cached(&mut st, bs, offset, buf) {
                st.stats.hits = st.stats.hits.saturating_add(1);
                return Ok(());
            }
            st.stats.misses = st.stats.misses.saturating_add(1);
            runs
        };
        // A large read with nothing cached goes straight to the source (no cache pollution).
        let whole = runs.len() == 1 && runs.first() == Some(&(first, last + 1));
        if whole && buf.len() as u64 >= 4 * bs && self.source.read(offset, buf)? {
            let mut st = lock(&self.handle.state)?;
            st.stats.fetches = st.stats.fetches.saturating_add(1);
            st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(buf.len() as u64);
            return Ok(());
        }
        {
            // Read-ahead on sequential misses.
            let mut st = lock(&self.handle.state)?;
            let run_start = runs.first().map(|r| r.0 * bs).unwrap_or(0);
            let sequential = st.last_miss_end == Some(run_start);
            st.readahead = if sequential { (st.readahead.saturating_mul(2)).clamp(bs, cfg.max_readahead.max(bs)) } else { 0 };
            let max_block = (self.len - 1) / bs;
            if let Some(lr) = runs.last_mut() {
                let extra = st.readahead / bs;
                let mut e = lr.1;
                while e <= max_block && e < lr.1.saturating_add(extra) && !st.blocks.contains_key(&e) {
                    e += 1;
                }
                lr.1 = e;
            }
            let window = cfg.read_around / bs;
            if !sequential && window > 1 {
                if let Some(fr) = runs.first_mut() {
                    let start = fr.0 / window * window;
                    while fr.0 > start && !st.blocks.contains_key(&(fr.0 - 1)) {
                        fr.0 -= 1;
                    }
                }
                if let Some(lr) = runs.last_mut() {
                    let end = ((lr.1 - 1) / window).saturating_add(1).saturating_mul(window);
                    while lr.1 < end && lr.1 <= max_block && !st.blocks.contains_key(&lr.1) {
                        lr.1 += 1;
                    }
                }
            }
            if let Some(lr) = runs.last() {
                st.last_miss_end = Some((lr.1.saturating_mul(bs)).min(self.len));
            }
        }
        let mut fetched: Vec<(u64, u64, Option<Vec<u8>>)> = Vec::with_capacity(runs.len());
        for (b0, b1) in runs {
            let r_off = b0 * bs;
            let r_end = (b1.saturating_mul(bs)).min(self.len);
            let mut data = vec![0u8; (r_end - r_off) as usize];
            let got = self.source.read(r_off, &mut data)?;
            fetched.push((r_off, r_end - r_off, got.then_some(data)));
        }
        let mut st = lock(&self.handle.state)?;
        st.tick = st.tick.saturating_add(1);
        let mut pending = false;
        for (r_off, r_len, data) in fetched {
            match data {
                Some(data) => {
                    let n = data.len() as u64;
                    st.stats.fetches = st.stats.fetches.saturating_add(1);
                    st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(n);
                    insert_blocks(&mut st, r_off, &data, bs, self.len, r_off + n);
                }
                None => {
                    // The caller fetches it and supplies it (asynchronous sources).
                    pending = true;
                    st.missing.insert(r_off, r_len);
                }
            }
        }
        if pending {
            return Err(Self::not_loaded(offset, buf.len()));
        }
        if !copy_cached(&mut st, bs, offset, buf) {
            // Another thread evicted a block between the two looks: read straight through.
            drop(st);
            if !self.source.read(offset, buf)? {
                return Err(Self::not_loaded(offset, buf.len()));
            }
            let mut st = lock(&self.handle.state)?;
            st.stats.fetches = st.stats.fetches.saturating_add(1);
            st.stats.bytes_fetched = st.stats.bytes_fetched.saturating_add(buf.len() as u64);
            return Ok(());
        }
        evict(&mut st, cfg.max_blocks);
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
        CacheConfig { block_size: 512, max_blocks: 4, max_readahead: 4096, coalesce_gap: 1024, read_around: 0 }
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


    #[test]
    fn prefetch_coalesces_close_ranges_and_serves_later_reads() {
        let data = pattern(8000);
        let calls = Arc::new(AtomicU64::new(0));
        let cfg = CacheConfig { block_size: 512, max_blocks: 64, max_readahead: 0, coalesce_gap: 1024, read_around: 0 };
        let s = RangedStorage::new(8000, Box::new(VecSource { data: data.clone(), calls: calls.clone() }), cfg);
        // Blocks 0-1 and 3 (one block apart: merged, block 2 fetched too) and 10 (apart).
        s.prefetch(&[(5120, 100), (100, 900), (1600, 10)]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(s.handle().stats().unwrap().bytes_fetched, 4 * 512 + 512);
        for (off, n) in [(100u64, 900usize), (1600, 10), (5120, 100), (1100, 20)] {
            let mut b = vec![0u8; n];
            s.read_at(off, &mut b).unwrap();
            assert_eq!(b, data[off as usize..off as usize + n]);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 2, "reads after the prefetch hit the cache");
        // Already cached: nothing fetched; past the end or empty: ignored.
        s.prefetch(&[(0, 2048), (9000, 10), (100, 0)]);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn prefetch_fills_at_most_half_the_cache() {
        let data = pattern(20_000);
        let calls = Arc::new(AtomicU64::new(0));
        let cfg = CacheConfig { block_size: 512, max_blocks: 8, max_readahead: 0, coalesce_gap: 0, read_around: 0 };
        let s = RangedStorage::new(20_000, Box::new(VecSource { data, calls }), cfg);
        let _ = s.prefetch_ranges(&[(0, 20_000)]).unwrap();
        assert_eq!(s.handle().stats().unwrap().cached_blocks, 4);
    }

    #[test]
    fn prefetch_on_an_async_source_lists_the_ranges_as_missing() {
        let cfg = CacheConfig { block_size: 512, max_blocks: 64, max_readahead: 0, coalesce_gap: 0, read_around: 0 };
        let s = RangedStorage::new(8000, Box::new(SuppliedOnly), cfg);
        let h = s.handle();
        h.begin_operation().unwrap();
        s.prefetch(&[(3000, 100), (600, 10)]);
        assert_eq!(h.take_missing().unwrap(), vec![(512, 512), (2560, 1024)]);
    }
}

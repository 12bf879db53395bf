//! Chunk lookup and decoded-chunk caching for repeated partial reads of one chunked dataset
//! (spec VII "Appendix C: Types of Indexes for Dataset Chunks" gives the indexes walked once
//! here; libhdf5's "chunk cache" (H5Pset_chunk_cache) is the model for [`ChunkCache`]).
//!
//! [`crate::read_block`] walks the whole chunk index on every call. A reader that reads many
//! small selections of one dataset builds a [`ChunkMap`] once (keyed by scaled chunk
//! coordinates: element offsets divided by the chunk dimensions) and passes it, with an
//! optional [`ChunkCache`], to [`read_block_mapped`]; only the chunks the selection meets
//! are looked up, and recently decoded chunks are reused.
#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use h5kit_core::{Context, Error, Result};
use h5kit_object_header::{Dataspace, FillValue, FilterPipeline, Layout, LayoutMessage};

use crate::scratch::ChunkScratch;
use crate::read::{chunk_locations, chunk_part, copy_box, decode_chunk, deferred_shuffle, selection_end, ChunkLocation, Src};

/// Every allocated chunk of a chunked dataset, by scaled chunk coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkMap {
    chunk_dims: Vec<u64>,
    chunks: HashMap<Vec<u64>, ChunkLocation>,
}

impl ChunkMap {
    /// Walks the chunk index of `layout` once (`filtered`: the dataset has filters).
    pub fn build(ctx: Context, layout: &LayoutMessage, dataspace: &Dataspace, element_size: usize, filtered: bool) -> Result<ChunkMap> {
        let Layout::Chunked { chunk_dims, .. } = &layout.layout else {
            return Err(Error::usage("ChunkMap::build: layout is not chunked"));
        };
        if chunk_dims.contains(&0) {
            return Err(Error::format(0, "chunk dimension 0"));
        }
        let mut chunks = HashMap::new();
        for c in chunk_locations(ctx, layout, dataspace, element_size, filtered)? {
            let scaled: Vec<u64> = c.offsets.iter().zip(chunk_dims).map(|(o, d)| o / d).collect();
            chunks.insert(scaled, c);
        }
        Ok(ChunkMap { chunk_dims: chunk_dims.clone(), chunks })
    }

    /// The chunk at scaled coordinates `scaled`, if allocated.
    pub fn get(&self, scaled: &[u64]) -> Option<&ChunkLocation> {
        self.chunks.get(scaled)
    }

    /// Chunk dimensions (elements).
    pub fn chunk_dims(&self) -> &[u64] {
        &self.chunk_dims
    }

    /// Number of allocated chunks.
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

/// Recently decoded chunks (least recently used evicted first), bounded in bytes. Shared
/// through `&` (internally locked), so one cache can live beside a dataset handle.
///
/// Chunks whose leading filter is shuffle, decoded for a read that copies less than 1/8 of
/// them, are kept still shuffled (byte planes): a read unshuffles only the elements it
/// copies, so such a miss costs the inflate alone. The buffer of the last evicted chunk is
/// reused for the next one decoded, as are the buffer stored chunks are read into and the
/// inflate state ([`ChunkScratch`]): a miss allocates and zeroes nothing.
#[derive(Debug)]
pub struct ChunkCache {
    state: Mutex<CacheState>,
}

#[derive(Debug, Default)]
struct CacheState {
    capacity: usize,
    /// Bytes held by `entries`.
    used: usize,
    /// Most recently used last.
    entries: Vec<Entry>,
    /// An evicted chunk's buffer, for the next decode.
    spare: Vec<u8>,
    /// Stored-bytes buffer and inflate state, for the next decode.
    scratch: ChunkScratch,
}

#[derive(Debug, Clone)]
struct Entry {
    address: u64,
    data: Arc<Vec<u8>>,
    layout: Src,
}

/// Default capacity of [`ChunkCache::default`]: 16 MiB per dataset handle (libhdf5 1.10's
/// default is 1 MiB). It is a bound, not an allocation: only chunks decoded by partial
/// reads are kept (whole-dataset reads bypass the cache), plus one spare chunk buffer, the
/// stored (compressed) bytes of the last chunk read and one inflate state (about 40 KiB).
/// 16 MiB holds 64 chunks of 256 KiB or 16 of 1 MiB (the upper end of the 10 KiB - 1 MiB
/// chunk size h5py's guide recommends). Change it per dataset with `set_capacity`
/// (`h5kit::snapshot::Dataset::set_chunk_cache_bytes`); see spec-notes/performance.md for the cost of
/// a miss and the measured effect of the size.
pub const DEFAULT_CHUNK_CACHE_BYTES: usize = 16 << 20;

impl Default for ChunkCache {
    fn default() -> Self {
        ChunkCache::new(DEFAULT_CHUNK_CACHE_BYTES)
    }
}

impl ChunkCache {
    /// A cache holding at most `capacity` bytes of decoded chunks (0: caches nothing).
    pub fn new(capacity: usize) -> ChunkCache {
        ChunkCache { state: Mutex::new(CacheState { capacity, ..CacheState::default() }) }
    }

    fn lock(&self) -> Option<std::sync::MutexGuard<'_, CacheState>> {
        self.state.lock().ok()
    }

    fn get(&self, address: u64) -> Option<(Arc<Vec<u8>>, Src)> {
        let mut st = self.lock()?;
        let i = st.entries.iter().rposition(|e| e.address == address)?;
        let entry = st.entries.remove(i);
        let found = (entry.data.clone(), entry.layout);
        st.entries.push(entry);
        Some(found)
    }

    fn put(&self, address: u64, data: Arc<Vec<u8>>, layout: Src) {
        let Some(mut st) = self.lock() else { return };
        if data.len() > st.capacity {
            return;
        }
        if let Some(i) = st.entries.iter().position(|e| e.address == address) {
            let old = st.entries.remove(i);
            st.used = st.used.saturating_sub(old.data.len());
        }
        while st.used.saturating_add(data.len()) > st.capacity && !st.entries.is_empty() {
            let old = st.entries.remove(0);
            st.used = st.used.saturating_sub(old.data.len());
            // Keep the buffer for the next decode unless a reader still holds it.
            if let Ok(v) = Arc::try_unwrap(old.data) {
                st.spare = v;
            }
        }
        st.used = st.used.saturating_add(data.len());
        st.entries.push(Entry { address, data, layout });
    }

    /// A buffer to decode into (the last evicted chunk's, or a new one).
    fn take_spare(&self) -> Vec<u8> {
        self.lock().map(|mut st| std::mem::take(&mut st.spare)).unwrap_or_default()
    }

    /// The scratch of the last decode (or a new one), to hand back with [`Self::put_scratch`].
    /// Taken out of the lock so that decoding runs unlocked; concurrent readers of one cache
    /// each get one (the later ones a new one).
    fn take_scratch(&self) -> ChunkScratch {
        self.lock().map(|mut st| std::mem::take(&mut st.scratch)).unwrap_or_default()
    }

    fn put_scratch(&self, scratch: ChunkScratch) {
        if let Some(mut st) = self.lock() {
            if st.capacity > 0 {
                st.scratch = scratch;
            }
        }
    }

    /// Bytes held.
    pub fn used(&self) -> usize {
        self.lock().map(|st| st.used).unwrap_or(0)
    }

    /// The capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.lock().map(|st| st.capacity).unwrap_or(0)
    }

    /// Changes the capacity (evicting least recently used chunks down to it).
    pub fn set_capacity(&self, capacity: usize) {
        if let Some(mut st) = self.lock() {
            st.capacity = capacity;
            while st.used > capacity && !st.entries.is_empty() {
                let old = st.entries.remove(0);
                st.used = st.used.saturating_sub(old.data.len());
            }
            if capacity == 0 {
                st.spare = Vec::new();
                st.scratch = ChunkScratch::default();
            }
        }
    }

    /// Drops every entry (after the dataset's chunks changed).
    pub fn clear(&self) {
        if let Some(mut st) = self.lock() {
            st.entries.clear();
            st.used = 0;
            st.spare = Vec::new();
            st.scratch = ChunkScratch::default();
        }
    }
}

/// The block `start .. start + count` of a chunked dataset, as [`crate::read_block`] returns
/// it, finding chunks in `map` (built for this dataset) and reusing decoded chunks from
/// `cache`. Chunks missing from the map read as the fill value.
#[allow(clippy::too_many_arguments)]
pub fn read_block_mapped(
    ctx: Context,
    layout: &LayoutMessage,
    dataspace: &Dataspace,
    element_size: usize,
    filters: &FilterPipeline,
    fill: Option<&FillValue>,
    map: &ChunkMap,
    cache: Option<&ChunkCache>,
    start: &[u64],
    count: &[u64],
) -> Result<Vec<u8>> {
    let Layout::Chunked { chunk_dims, flags, .. } = &layout.layout else {
        return Err(Error::usage("read_block_mapped: layout is not chunked"));
    };
    let dims = &dataspace.dims;
    let rank = dims.len();
    if chunk_dims.len() != rank || map.chunk_dims() != chunk_dims.as_slice() {
        return Err(Error::usage(format!("chunk map of rank {} for a dataset of rank {}", map.chunk_dims().len(), rank)));
    }
    let hi = selection_end(dims, start, count)?;
    let n_elems = count.iter().try_fold(1u64, |a, &c| a.checked_mul(c)).ok_or_else(|| Error::usage("selection size overflows"))?;
    let total = n_elems.checked_mul(element_size as u64).ok_or_else(|| Error::usage("selection size overflows"))?;
    let n = ctx.limits.check_alloc(total, 0, "selection")?;
    let mut out = crate::read::filled(&crate::read::fill_pattern(fill, element_size), n);
    if n == 0 || rank == 0 {
        return Ok(out);
    }
    let filtered = !filters.filters.is_empty();
    let full = chunk_dims
        .iter()
        .try_fold(element_size as u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::format(0, "chunk size overflows"))?;
    let no_edge_filter = flags & 1 != 0;
    // The chunks the box meets: scaled coordinates first..=last per dimension (each one holds
    // at least one selected element, so their number is bounded by the selection size).
    // ChunkMap::build rejected chunk dimensions of 0; hi > start as n > 0.
    let first: Vec<u64> = start.iter().zip(chunk_dims).map(|(s, c)| s / c.max(&1)).collect();
    let last: Vec<u64> = hi.iter().zip(chunk_dims).map(|(h, c)| h.saturating_sub(1) / c.max(&1)).collect();
    let mut scaled = first.clone();
    loop {
        if let Some(c) = map.get(&scaled) {
            let edge = c.offsets.iter().zip(chunk_dims).zip(dims).any(|((o, cd), d)| o.saturating_add(*cd) > *d);
            let apply = filtered && !(no_edge_filter && edge);
            let (lo_c, hi_c) = chunk_part(&c.offsets, chunk_dims, start, &hi);
            let cached = cache.and_then(|k| k.get(c.address));
            let (data, src) = match cached {
                Some(found) => found,
                None => {
                    // Shuffle is undone per copied element only when the read copies a small
                    // part of the chunk (below 1/8); otherwise the whole-chunk kernel is faster.
                    let part = lo_c.iter().zip(&hi_c).fold(1u64, |a, (l, h)| a.saturating_mul(h.saturating_sub(*l)));
                    let small = part.saturating_mul(8) < full / (element_size as u64).max(1);
                    let (data, src) = decode_for_cache(ctx, c, filters, apply, small, full, element_size, cache)?;
                    let data = Arc::new(data);
                    if let Some(k) = cache {
                        k.put(c.address, data.clone(), src);
                    }
                    (data, src)
                }
            };
            copy_box(&data, src, chunk_dims, &c.offsets, &mut out, count, start, &lo_c, &hi_c, element_size)
                .map_err(|e| e.at(c.address))?;
        }
        // Next scaled coordinate, last dimension fastest.
        let mut done = true;
        for ((s, &f), &l) in scaled.iter_mut().zip(&first).zip(&last).rev() {
            if *s < l {
                *s += 1;
                done = false;
                break;
            }
            *s = f;
        }
        if done {
            return Ok(out);
        }
    }
}

/// One chunk decoded for the cache: still shuffled when `defer` and shuffle can be undone
/// per copied element (see [`ChunkCache`]), into the cache's spare buffer when it has one.
#[allow(clippy::too_many_arguments)]
fn decode_for_cache(
    ctx: Context,
    c: &ChunkLocation,
    filters: &FilterPipeline,
    apply: bool,
    defer: bool,
    full: u64,
    element_size: usize,
    cache: Option<&ChunkCache>,
) -> Result<(Vec<u8>, Src)> {
    if !apply {
        return Ok((ctx.read(c.address, full, "chunk")?.into_owned(), Src::Plain));
    }
    let spare = cache.map(|k| k.take_spare()).unwrap_or_default();
    let mut scratch = cache.map(|k| k.take_scratch()).unwrap_or_default();
    let deferred = deferred_shuffle(filters, c.filter_mask, element_size).filter(|_| defer);
    let data = decode_chunk(ctx, c, filters, deferred.unwrap_or(0), full, element_size, spare, &mut scratch);
    if let Some(k) = cache {
        k.put_scratch(scratch);
    }
    let data = data?;
    if (data.len() as u64) < full {
        return Err(Error::format(c.address, format!("chunk decoded to {} bytes, expected {}", data.len(), full)));
    }
    match deferred {
        // Planes are laid out over the decoded length: only the exact size is read as planes.
        Some(_) if data.len() as u64 == full => Ok((data, Src::Planes)),
        Some(_) => Ok((crate::filter::shuffle::decode(&data, element_size)?, Src::Plain)),
        None => Ok((data, Src::Plain)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn cache_evicts_least_recently_used_within_capacity() {
        let c = ChunkCache::new(250);
        let p = Src::Plain;
        c.put(1, Arc::new(vec![1; 100]), p);
        c.put(2, Arc::new(vec![2; 100]), Src::Planes);
        assert_eq!(c.get(1).unwrap().0[0], 1); // 1 is now the most recent
        assert_eq!(c.get(2).unwrap().1, Src::Planes);
        assert_eq!(c.get(1).unwrap().0[0], 1);
        c.put(3, Arc::new(vec![3; 100]), p); // evicts 2
        assert!(c.get(2).is_none());
        assert_eq!(c.take_spare(), vec![2; 100]); // its buffer is kept for the next decode
        assert!(c.take_spare().is_empty());
        assert_eq!(c.get(1).unwrap().0[0], 1);
        assert_eq!(c.get(3).unwrap().0[0], 3);
        assert_eq!(c.used(), 200);
        c.put(4, Arc::new(vec![4; 300]), p); // larger than the cache: not kept
        assert!(c.get(4).is_none());
        assert_eq!(c.used(), 200);
        c.put(3, Arc::new(vec![5; 50]), p); // replaces 3
        assert_eq!(c.used(), 150);
        c.set_capacity(60); // evicts 1
        assert!(c.get(1).is_none());
        assert_eq!(c.get(3).unwrap().0[0], 5);
        assert_eq!((c.used(), c.capacity()), (50, 60));
        c.clear();
        assert_eq!(c.used(), 0);
        let none = ChunkCache::new(0);
        none.put(1, Arc::new(vec![1]), p);
        assert!(none.get(1).is_none());
    }
}

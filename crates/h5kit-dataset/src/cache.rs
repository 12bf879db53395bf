//! Chunk lookup and decoded-chunk caching for repeated partial reads of one chunked dataset
//! (spec VII "Appendix C: Types of Indexes for Dataset Chunks" gives the indexes walked once
//! here; libhdf5's "chunk cache" (H5Pset_chunk_cache) is the model for [`ChunkCache`]).
//!
//! [`crate::read_block`] walks the whole chunk index on every call. A reader that reads many
//! small selections of one dataset builds a [`ChunkMap`] once (keyed by scaled chunk
//! coordinates: element offsets divided by the chunk dimensions) and passes it, with an
//! optional [`ChunkCache`], to [`read_block_mapped`]; only the chunks the selection meets
//! are looked up, and recently decoded chunks are reused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use h5kit_core::{Context, Error, Result};
use h5kit_object_header::{Dataspace, FillValue, FilterPipeline, Layout, LayoutMessage};

use crate::read::{chunk_locations, ChunkLocation};

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
#[derive(Debug)]
pub struct ChunkCache {
    capacity: usize,
    /// Most recently used last: (chunk address, decoded bytes).
    entries: Mutex<Vec<(u64, Arc<Vec<u8>>)>>,
}

/// Default capacity of [`ChunkCache::default`]: 8 MiB (libhdf5 1.10 uses 1 MiB, h5py's
/// libhdf5 2.x 8 MiB).
pub const DEFAULT_CHUNK_CACHE_BYTES: usize = 8 << 20;

impl Default for ChunkCache {
    fn default() -> Self {
        ChunkCache::new(DEFAULT_CHUNK_CACHE_BYTES)
    }
}

impl ChunkCache {
    /// A cache holding at most `capacity` bytes of decoded chunks (0: caches nothing).
    pub fn new(capacity: usize) -> ChunkCache {
        ChunkCache { capacity, entries: Mutex::new(Vec::new()) }
    }

    fn get(&self, address: u64) -> Option<Arc<Vec<u8>>> {
        let mut e = self.entries.lock().ok()?;
        let i = e.iter().rposition(|(a, _)| *a == address)?;
        let entry = e.remove(i);
        let data = entry.1.clone();
        e.push(entry);
        Some(data)
    }

    fn put(&self, address: u64, data: Arc<Vec<u8>>) {
        if data.len() > self.capacity {
            return;
        }
        let Ok(mut e) = self.entries.lock() else { return };
        e.retain(|(a, _)| *a != address);
        let mut used: usize = e.iter().map(|(_, d)| d.len()).sum();
        while used.saturating_add(data.len()) > self.capacity && !e.is_empty() {
            let (_, old) = e.remove(0);
            used = used.saturating_sub(old.len());
        }
        e.push((address, data));
    }

    /// Bytes held.
    pub fn used(&self) -> usize {
        self.entries.lock().map(|e| e.iter().map(|(_, d)| d.len()).sum()).unwrap_or(0)
    }

    /// Drops every entry (after the dataset's chunks changed).
    pub fn clear(&self) {
        if let Ok(mut e) = self.entries.lock() {
            e.clear();
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
    if start.len() != rank || count.len() != rank || chunk_dims.len() != rank || map.chunk_dims() != chunk_dims.as_slice() {
        return Err(Error::usage(format!("selection of rank {} on a dataset of rank {}", start.len(), rank)));
    }
    let mut hi = Vec::with_capacity(rank);
    for r in 0..rank {
        let end = start[r].checked_add(count[r]).ok_or_else(|| Error::usage("selection overflows"))?;
        if end > dims[r] {
            return Err(Error::usage(format!("selection {}..{} outside dimension {} of size {}", start[r], end, r, dims[r])));
        }
        hi.push(end);
    }
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
    let first: Vec<u64> = (0..rank).map(|r| start[r] / chunk_dims[r]).collect();
    let last: Vec<u64> = (0..rank).map(|r| (hi[r] - 1) / chunk_dims[r]).collect();
    let mut scaled = first.clone();
    loop {
        if let Some(c) = map.get(&scaled) {
            let edge = c.offsets.iter().zip(chunk_dims).zip(dims).any(|((o, cd), d)| o.saturating_add(*cd) > *d);
            let apply = filtered && !(no_edge_filter && edge);
            let lo_c: Vec<u64> = (0..rank).map(|r| c.offsets[r].max(start[r])).collect();
            let hi_c: Vec<u64> = (0..rank).map(|r| c.offsets[r].saturating_add(chunk_dims[r]).min(hi[r])).collect();
            let cached = cache.and_then(|k| k.get(c.address));
            let data: Arc<Vec<u8>> = match cached {
                Some(d) => d,
                None => {
                    let d = Arc::new(crate::read::chunk_data(ctx, c, filters, apply, full, element_size)?.into_owned());
                    if let Some(k) = cache {
                        k.put(c.address, d.clone());
                    }
                    d
                }
            };
            crate::read::copy_box(&data, chunk_dims, &c.offsets, &mut out, count, start, &lo_c, &hi_c, element_size)
                .map_err(|e| e.at(c.address))?;
        }
        // Next scaled coordinate, last dimension fastest.
        let mut r = rank;
        loop {
            if r == 0 {
                return Ok(out);
            }
            r -= 1;
            if scaled[r] < last[r] {
                scaled[r] += 1;
                break;
            }
            scaled[r] = first[r];
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cache_evicts_least_recently_used_within_capacity() {
        let c = ChunkCache::new(250);
        c.put(1, Arc::new(vec![1; 100]));
        c.put(2, Arc::new(vec![2; 100]));
        assert_eq!(c.get(1).unwrap()[0], 1); // 1 is now the most recent
        c.put(3, Arc::new(vec![3; 100])); // evicts 2
        assert!(c.get(2).is_none());
        assert_eq!(c.get(1).unwrap()[0], 1);
        assert_eq!(c.get(3).unwrap()[0], 3);
        assert_eq!(c.used(), 200);
        c.put(4, Arc::new(vec![4; 300])); // larger than the cache: not kept
        assert!(c.get(4).is_none());
        assert_eq!(c.used(), 200);
        c.clear();
        assert_eq!(c.used(), 0);
        let none = ChunkCache::new(0);
        none.put(1, Arc::new(vec![1]));
        assert!(none.get(1).is_none());
    }
}

//! The raw data chunk write-back cache of a chunked dataset being written (libhdf5's chunk
//! cache, `H5Pset_chunk_cache`; spec III.A.1 / IV.A.2.i for chunked storage).
//!
//! A write of a box of elements touches a set of chunks. Chunks the box covers entirely are
//! gathered from the caller's buffer and handed to the [`ChunkBackend`] at once, in batches
//! (the backend filters them on every core, allocates space and updates the chunk index), so
//! streaming a large array holds only a batch, whatever the dataset's size. Chunks the box
//! covers in part are read (or made from the fill value when never written), changed, and
//! kept here until the cache is over its byte budget (least recently used go first) or the
//! file is flushed. The bytes a chunk holds outside the dataset's extent are the fill value,
//! as libhdf5 keeps them, so growing the dataset later shows fill there.

use std::collections::HashMap;

use h5kit_core::{Error, Result};

use crate::{copy_box, sat_prod};

/// Where whole chunks come from and go to: the chunk index and file space of one dataset.
pub trait ChunkBackend {
    /// The unfiltered bytes of the stored chunk at chunk index `index` (chunk offsets divided
    /// by the chunk dimensions), or `None` when it was never written.
    fn load(&mut self, index: &[u64]) -> Result<Option<Vec<u8>>>;
    /// Stores whole chunks (unfiltered, [`ChunkGrid::chunk_bytes`] each, borrowed: often
    /// straight from the caller's buffer): filtered, written into file space, and entered in
    /// the chunk index.
    fn store(&mut self, chunks: &[ChunkToStore<'_>]) -> Result<()>;
}

/// A whole chunk handed to [`ChunkBackend::store`].
#[derive(Debug, Clone)]
pub struct ChunkToStore<'a> {
    /// Chunk offsets divided by the chunk dimensions.
    pub index: &'a [u64],
    /// Its unfiltered bytes.
    pub data: &'a [u8],
    /// The bytes that changed since the chunk was last read from or written to the file (all
    /// of them for a chunk not in the file): an unfiltered chunk that stays where it is needs
    /// only these written.
    pub changed: std::ops::Range<usize>,
}

/// The shape of a chunked dataset: its extent, chunk dimensions and element size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkGrid {
    pub extent: Vec<u64>,
    pub chunk: Vec<u64>,
    pub element_size: usize,
}

impl ChunkGrid {
    /// Checks the dimensions: same rank, chunk dimensions > 0, a chunk's bytes addressable.
    pub fn new(extent: &[u64], chunk: &[u64], element_size: usize) -> Result<ChunkGrid> {
        if extent.len() != chunk.len() || chunk.contains(&0) || element_size == 0 {
            return Err(Error::usage(format!(
                "chunk dimensions {:?} do not fit a dataset of shape {:?} (element size {})",
                chunk, extent, element_size
            )));
        }
        let grid = ChunkGrid { extent: extent.to_vec(), chunk: chunk.to_vec(), element_size };
        grid.chunk_bytes_checked()?;
        Ok(grid)
    }

    fn chunk_bytes_checked(&self) -> Result<usize> {
        sat_prod(&self.chunk)
            .checked_mul(self.element_size as u64)
            .and_then(|b| usize::try_from(b).ok())
            .filter(|&b| (b as u64) < (1u64 << 32))
            .ok_or_else(|| Error::usage(format!("chunk {:?} is 4 GiB or more", self.chunk)))
    }

    /// Bytes of one unfiltered chunk.
    pub fn chunk_bytes(&self) -> usize {
        self.chunk_bytes_checked().unwrap_or(0)
    }

    /// A chunk filled with the element `fill` (zeros when empty).
    pub fn fill_chunk(&self, fill: &[u8]) -> Vec<u8> {
        let n = self.chunk_bytes();
        if fill.is_empty() || fill.iter().all(|&b| b == 0) {
            return vec![0u8; n];
        }
        fill.iter().copied().cycle().take(n).collect()
    }

    /// Chunk indexes of the chunks the box `start`/`count` touches, row-major.
    pub fn chunks_of_box(&self, start: &[u64], count: &[u64]) -> Vec<Vec<u64>> {
        if count.contains(&0) {
            return Vec::new();
        }
        let first: Vec<u64> = start.iter().zip(&self.chunk).map(|(s, c)| s / c).collect();
        let last: Vec<u64> = start.iter().zip(count).zip(&self.chunk).map(|((s, n), c)| (s + n - 1) / c).collect();
        if first == last {
            return vec![first];
        }
        let span: Vec<u64> = first.iter().zip(&last).map(|(f, l)| l - f + 1).collect();
        let mut out = Vec::new();
        let mut idx = vec![0u64; span.len()];
        loop {
            out.push(first.iter().zip(&idx).map(|(f, i)| f + i).collect());
            if !crate::next_index(&mut idx, &span) {
                return out;
            }
        }
    }

    /// The part of the box `start`/`count` inside chunk `index`: (start in the chunk, start in
    /// the box, count).
    fn overlap(&self, index: &[u64], start: &[u64], count: &[u64]) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
        let rank = self.chunk.len();
        let (mut in_chunk, mut in_box, mut n) = (Vec::with_capacity(rank), Vec::with_capacity(rank), Vec::with_capacity(rank));
        for (((&c, &i), &s), &k) in self.chunk.iter().zip(index).zip(start).zip(count) {
            let lo = (i * c).max(s);
            let hi = ((i + 1) * c).min(s + k);
            in_chunk.push(lo - i * c);
            in_box.push(lo - s);
            n.push(hi.saturating_sub(lo));
        }
        (in_chunk, in_box, n)
    }

    /// Whether the box covers every element of chunk `index` that lies inside the extent.
    fn covers(&self, index: &[u64], start: &[u64], count: &[u64]) -> bool {
        self.chunk.iter().zip(index).zip(&self.extent).zip(start.iter().zip(count)).all(|(((&c, &i), &x), (&s, &k))| {
            let lo = i * c;
            let hi = ((i + 1) * c).min(x);
            s <= lo && s + k >= hi
        })
    }
}

struct Entry {
    data: Vec<u8>,
    last_use: u64,
    /// The bytes changed since it was loaded or last stored (`None`: unchanged).
    changed: Option<std::ops::Range<usize>>,
}

impl Entry {
    fn touch(&mut self, r: std::ops::Range<usize>) {
        self.changed = Some(match self.changed.take() {
            Some(c) => c.start.min(r.start)..c.end.max(r.end),
            None => r,
        });
    }
}

/// The bytes of a chunk of `chunk` dimensions that the box `start`/`n` (in the chunk) covers:
/// from its first element to past its last.
fn touched(chunk: &[u64], start: &[u64], n: &[u64], esize: usize) -> std::ops::Range<usize> {
    let st = crate::strides(chunk);
    let first: u64 = st.iter().zip(start).map(|(s, o)| s * o).sum();
    let last: u64 = st.iter().zip(start.iter().zip(n)).map(|(s, (o, k))| s * (o + k.saturating_sub(1))).sum();
    (first as usize * esize)..((last as usize + 1) * esize)
}

/// A whole chunk on its way to the backend: a slice of the caller's buffer when its bytes are
/// consecutive there, else gathered.
enum Piece<'a> {
    Borrowed(&'a [u8]),
    Gathered(Vec<u8>),
}

impl Piece<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Piece::Borrowed(b) => b,
            Piece::Gathered(v) => v,
        }
    }
}

/// Hands a batch of whole chunks (every byte changed) to the backend.
fn store_batch(backend: &mut dyn ChunkBackend, batch: &[(Vec<u64>, Piece<'_>)]) -> Result<()> {
    let refs: Vec<ChunkToStore<'_>> = batch
        .iter()
        .map(|(i, p)| ChunkToStore { index: i.as_slice(), data: p.bytes(), changed: 0..p.bytes().len() })
        .collect();
    backend.store(&refs)
}

/// Chunks written in part, waiting to be stored.
pub struct ChunkCache {
    capacity: usize,
    held: usize,
    tick: u64,
    entries: HashMap<Vec<u64>, Entry>,
}

/// Whole chunks gathered from one write before they are handed to the backend together.
const BATCH_BYTES: usize = 64 << 20;

impl ChunkCache {
    /// A cache holding at most `capacity` bytes of chunks (a chunk larger than that is still
    /// held while it is being written: libhdf5 bypasses its cache there; the effect is the same
    /// memory, one chunk).
    pub fn new(capacity: usize) -> ChunkCache {
        ChunkCache { capacity, held: 0, tick: 0, entries: HashMap::new() }
    }

    /// Bytes of chunks held.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Whether nothing waits to be stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Writes the box `start`/`count` (inside the extent) from `data` (row-major, packed).
    pub fn write(
        &mut self,
        backend: &mut dyn ChunkBackend,
        grid: &ChunkGrid,
        fill: &[u8],
        start: &[u64],
        count: &[u64],
        data: &[u8],
    ) -> Result<()> {
        let rank = grid.extent.len();
        if start.len() != rank || count.len() != rank {
            return Err(Error::usage(format!("selection of rank {} for a dataset of rank {}", start.len(), rank)));
        }
        for ((&s, &k), &x) in start.iter().zip(count).zip(&grid.extent) {
            if s.checked_add(k).is_none_or(|e| e > x) {
                return Err(Error::usage(format!(
                    "selection start {:?} count {:?} is outside the dataset's shape {:?}",
                    start, count, grid.extent
                )));
            }
        }
        let want = sat_prod(count).checked_mul(grid.element_size as u64);
        if want != Some(data.len() as u64) {
            return Err(Error::usage(format!(
                "{} bytes given for a selection of {:?} elements of {} bytes",
                data.len(),
                count,
                grid.element_size
            )));
        }
        let mut batch: Vec<(Vec<u64>, Piece<'_>)> = Vec::new();
        let mut batch_bytes = 0usize;
        for index in grid.chunks_of_box(start, count) {
            let (in_chunk, in_box, n) = grid.overlap(&index, start, count);
            self.tick += 1;
            if let Some(e) = self.entries.get_mut(&index) {
                copy_box(data, count, &in_box, &mut e.data, &grid.chunk, &in_chunk, &n, grid.element_size);
                e.last_use = self.tick;
                e.touch(touched(&grid.chunk, &in_chunk, &n, grid.element_size));
                continue;
            }
            if grid.covers(&index, start, count) {
                let piece = match consecutive(count, &in_box, &n, &grid.chunk, grid.element_size) {
                    Some(range) => Piece::Borrowed(data.get(range).ok_or_else(|| Error::usage("internal error: chunk past the data"))?),
                    None => {
                        let mut chunk = grid.fill_chunk(fill);
                        copy_box(data, count, &in_box, &mut chunk, &grid.chunk, &in_chunk, &n, grid.element_size);
                        Piece::Gathered(chunk)
                    }
                };
                batch_bytes += piece.bytes().len();
                batch.push((index, piece));
                if batch_bytes >= BATCH_BYTES {
                    store_batch(backend, &batch)?;
                    batch.clear();
                    batch_bytes = 0;
                }
                continue;
            }
            let (mut chunk, stored) = match backend.load(&index)? {
                Some(c) if c.len() == grid.chunk_bytes() => (c, true),
                Some(c) => {
                    return Err(Error::format(
                        0,
                        format!("chunk {:?} holds {} bytes once unfiltered, {} expected", index, c.len(), grid.chunk_bytes()),
                    ))
                }
                None => (grid.fill_chunk(fill), false),
            };
            copy_box(data, count, &in_box, &mut chunk, &grid.chunk, &in_chunk, &n, grid.element_size);
            self.held += chunk.len();
            // A chunk not in the file is written whole.
            let changed = if stored { touched(&grid.chunk, &in_chunk, &n, grid.element_size) } else { 0..chunk.len() };
            self.entries.insert(index, Entry { data: chunk, last_use: self.tick, changed: Some(changed) });
        }
        if !batch.is_empty() {
            store_batch(backend, &batch)?;
        }
        self.evict_to(backend, self.capacity)
    }

    /// Stores every changed chunk (a flush); they stay held, unchanged, for later writes.
    pub fn flush(&mut self, backend: &mut dyn ChunkBackend) -> Result<()> {
        let mut dirty: Vec<(&Vec<u64>, &mut Entry)> = self.entries.iter_mut().filter(|(_, e)| e.changed.is_some()).collect();
        if dirty.is_empty() {
            return Ok(());
        }
        dirty.sort_by(|a, b| a.0.cmp(b.0));
        let refs: Vec<ChunkToStore<'_>> = dirty
            .iter()
            .map(|(i, e)| ChunkToStore { index: i.as_slice(), data: e.data.as_slice(), changed: e.changed.clone().unwrap_or(0..0) })
            .collect();
        backend.store(&refs)?;
        for (_, e) in dirty {
            e.changed = None;
        }
        Ok(())
    }

    /// Drops the chunk at `index`, changed or not (its bytes were stored another way, e.g.
    /// by a direct chunk write: what the cache held is stale).
    pub fn discard(&mut self, index: &[u64]) {
        if let Some(e) = self.entries.remove(index) {
            self.held = self.held.saturating_sub(e.data.len());
        }
    }

    /// Whether chunks changed since they were last stored.
    pub fn has_changes(&self) -> bool {
        self.entries.values().any(|e| e.changed.is_some())
    }

    /// Drops held chunks that lie wholly outside `extent` (a dataset that shrank) and refills
    /// the parts of the others outside it with `fill`, as libhdf5 prunes chunks on a shrink.
    pub fn shrink(&mut self, grid: &ChunkGrid, fill: &[u8]) {
        let fill_chunk = grid.fill_chunk(fill);
        let mut dropped = 0usize;
        self.entries.retain(|index, e| {
            let inside = index.iter().zip(&grid.chunk).zip(&grid.extent).all(|((i, c), x)| i * c < *x);
            if !inside {
                dropped += e.data.len();
                return false;
            }
            // Elements of this chunk past the extent get the fill value back.
            let kept: Vec<u64> = grid
                .chunk
                .iter()
                .zip(index)
                .zip(&grid.extent)
                .map(|((&c, &i), &x)| x.saturating_sub(i * c).min(c))
                .collect();
            let mut refilled = fill_chunk.clone();
            let zero = vec![0u64; kept.len()];
            copy_box(&e.data, &grid.chunk, &zero, &mut refilled, &grid.chunk, &zero, &kept, grid.element_size);
            if refilled != e.data {
                e.touch(0..refilled.len());
            }
            e.data = refilled;
            true
        });
        self.held -= dropped;
    }

    /// Drops least recently used chunks (storing the changed ones) until at most `limit`
    /// bytes are held.
    fn evict_to(&mut self, backend: &mut dyn ChunkBackend, limit: usize) -> Result<()> {
        if self.held <= limit {
            return Ok(());
        }
        let mut order: Vec<(u64, Vec<u64>)> = self.entries.iter().map(|(k, e)| (e.last_use, k.clone())).collect();
        order.sort_unstable();
        let mut out = Vec::new();
        for (_, index) in order {
            if self.held <= limit {
                break;
            }
            if let Some(e) = self.entries.remove(&index) {
                self.held -= e.data.len();
                if let Some(c) = e.changed {
                    out.push((index, e.data, c));
                }
            }
        }
        if out.is_empty() {
            return Ok(());
        }
        let refs: Vec<ChunkToStore<'_>> =
            out.iter().map(|(i, d, c)| ChunkToStore { index: i.as_slice(), data: d.as_slice(), changed: c.clone() }).collect();
        backend.store(&refs)
    }
}

/// The byte range of `data` (the packed box `count`) holding the sub-box at `in_box` of
/// `n` elements when its elements are consecutive there and make a whole chunk of `chunk`:
/// the sub-box is one element thick before some dimension and spans the box after it.
fn consecutive(count: &[u64], in_box: &[u64], n: &[u64], chunk: &[u64], esize: usize) -> Option<std::ops::Range<usize>> {
    if n != chunk {
        return None;
    }
    let j = n.iter().position(|&x| x > 1).unwrap_or(n.len().saturating_sub(1));
    let spans = n.iter().zip(count).zip(in_box).skip(j + 1).all(|((&a, &c), &o)| a == c && o == 0);
    if !spans {
        return None;
    }
    let start = crate::strides(count).iter().zip(in_box).map(|(s, o)| s * o).sum::<u64>();
    let start = usize::try_from(start).ok()?.checked_mul(esize)?;
    let len = usize::try_from(sat_prod(n)).ok()?.checked_mul(esize)?;
    Some(start..start.checked_add(len)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A backend keeping chunks in a map, counting loads and stores.
    #[derive(Default)]
    struct MapBackend {
        chunks: BTreeMap<Vec<u64>, Vec<u8>>,
        loads: usize,
        stores: usize,
        changed: Vec<std::ops::Range<usize>>,
    }

    impl ChunkBackend for MapBackend {
        fn load(&mut self, index: &[u64]) -> Result<Option<Vec<u8>>> {
            self.loads += 1;
            Ok(self.chunks.get(index).cloned())
        }
        fn store(&mut self, chunks: &[ChunkToStore<'_>]) -> Result<()> {
            for c in chunks {
                self.stores += 1;
                self.changed.push(c.changed.clone());
                self.chunks.insert(c.index.to_vec(), c.data.to_vec());
            }
            Ok(())
        }
    }

    /// The dataset as a dense row-major array of u8 elements, read back from the chunks.
    fn dense(b: &MapBackend, grid: &ChunkGrid, fill: u8) -> Vec<u8> {
        let (r, c) = (grid.extent[0] as usize, grid.extent[1] as usize);
        let (cr, cc) = (grid.chunk[0] as usize, grid.chunk[1] as usize);
        let mut out = vec![fill; r * c];
        for (i, v) in out.iter_mut().enumerate() {
            let (y, x) = (i / c, i % c);
            if let Some(ch) = b.chunks.get(&vec![(y / cr) as u64, (x / cc) as u64]) {
                *v = ch[(y % cr) * cc + x % cc];
            }
        }
        out
    }

    #[test]
    fn whole_chunks_go_straight_through_partial_ones_wait() {
        let grid = ChunkGrid::new(&[4, 6], &[2, 3], 1).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(1 << 20);
        // Rows 0-1 entirely: chunks (0,0) and (0,1) whole.
        let data: Vec<u8> = (1..=12).collect();
        cache.write(&mut b, &grid, &[], &[0, 0], &[2, 6], &data).unwrap();
        assert_eq!((b.stores, b.loads), (2, 0));
        assert!(cache.is_empty());
        // One element of chunk (1,1): loaded (never written: fill), held.
        cache.write(&mut b, &grid, &[9], &[3, 5], &[1, 1], &[77]).unwrap();
        assert_eq!((b.stores, b.loads, cache.held_bytes()), (2, 1, 6));
        // Another element of the same chunk: no new load.
        cache.write(&mut b, &grid, &[9], &[2, 3], &[1, 1], &[55]).unwrap();
        assert_eq!(b.loads, 1);
        cache.flush(&mut b).unwrap();
        assert!(!cache.has_changes());
        // Still held: another write into the chunk needs no load, and a flush without changes
        // stores nothing.
        cache.write(&mut b, &grid, &[9], &[2, 4], &[1, 1], &[56]).unwrap();
        cache.write(&mut b, &grid, &[9], &[2, 4], &[1, 1], &[55]).unwrap();
        assert_eq!(b.loads, 1);
        cache.flush(&mut b).unwrap();
        let stores = b.stores;
        cache.flush(&mut b).unwrap();
        assert_eq!(b.stores, stores);
        let mut want: Vec<u8> = (1..=12).collect();
        want.extend([9, 9, 9, 55, 55, 9, 9, 9, 9, 9, 9, 77]);
        // Chunk (1,0) was never written: the dense view shows its fill.
        assert_eq!(dense(&b, &grid, 9), want);
        assert_eq!(b.chunks[&vec![1, 1]], vec![55, 55, 9, 9, 9, 77]);
    }

    #[test]
    fn only_the_bytes_changed_are_reported_for_a_stored_chunk() {
        // Chunks of 4 x 4 two-byte elements; the chunk is in the "file" first.
        let grid = ChunkGrid::new(&[8, 4], &[4, 4], 2).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(1 << 20);
        cache.write(&mut b, &grid, &[], &[0, 0], &[4, 4], &[1; 32]).unwrap();
        assert_eq!(b.changed, vec![0..32]);
        // Row 2 of chunk (0,0), then an element of row 3.
        cache.write(&mut b, &grid, &[], &[2, 0], &[1, 4], &[2; 8]).unwrap();
        cache.write(&mut b, &grid, &[], &[3, 1], &[1, 1], &[3; 2]).unwrap();
        cache.flush(&mut b).unwrap();
        assert_eq!(b.changed[1], 16..28);
        // A chunk made from the fill value is written whole.
        cache.write(&mut b, &grid, &[], &[5, 1], &[1, 1], &[4; 2]).unwrap();
        cache.flush(&mut b).unwrap();
        assert_eq!(b.changed[2], 0..32);
        assert_eq!(touched(&[4, 4], &[1, 1], &[2, 2], 1), 5..11);
    }

    #[test]
    fn consecutive_whole_chunks_are_borrowed_from_the_callers_buffer() {
        // Rows of 6 in chunks of 2 x 6: every chunk is two whole rows, consecutive in the data.
        assert_eq!(consecutive(&[4, 6], &[2, 0], &[2, 6], &[2, 6], 1), Some(12..24));
        // Chunks of 2 x 3 are not consecutive in rows of 6.
        assert_eq!(consecutive(&[4, 6], &[0, 3], &[2, 3], &[2, 3], 1), None);
        // One row of a 1 x 3 chunk is.
        assert_eq!(consecutive(&[4, 6], &[1, 3], &[1, 3], &[1, 3], 2), Some(18..24));
        // An edge chunk (fewer elements than the chunk) is never borrowed.
        assert_eq!(consecutive(&[5], &[4], &[1], &[2], 1), None);
        assert_eq!(consecutive(&[8], &[4], &[4], &[4], 8), Some(32..64));
    }

    #[test]
    fn a_partial_write_into_a_stored_chunk_reads_it_first() {
        let grid = ChunkGrid::new(&[2, 2], &[2, 2], 1).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(0);
        cache.write(&mut b, &grid, &[], &[0, 0], &[2, 2], &[1, 2, 3, 4]).unwrap();
        cache.write(&mut b, &grid, &[], &[1, 0], &[1, 1], &[30]).unwrap();
        // Capacity 0: stored at once.
        assert!(cache.is_empty());
        assert_eq!(b.chunks[&vec![0, 0]], vec![1, 2, 30, 4]);
        assert_eq!(b.loads, 1);
    }

    #[test]
    fn edge_chunks_count_as_whole_when_the_extent_part_is_covered() {
        // Extent 5 with chunks of 2: the last chunk has one element inside.
        let grid = ChunkGrid::new(&[5], &[2], 2).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(1 << 20);
        let data: Vec<u8> = (0..10).collect();
        cache.write(&mut b, &grid, &[0xAA, 0xBB], &[0], &[5], &data).unwrap();
        assert_eq!(b.loads, 0);
        assert!(cache.is_empty());
        assert_eq!(b.chunks[&vec![2]], vec![8, 9, 0xAA, 0xBB]);
    }

    #[test]
    fn lru_eviction_keeps_the_budget() {
        let grid = ChunkGrid::new(&[100], &[10], 1).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(25);
        for i in 0..10u64 {
            cache.write(&mut b, &grid, &[], &[i * 10], &[1], &[i as u8]).unwrap();
            assert!(cache.held_bytes() <= 25);
        }
        // Two chunks held (20 bytes), eight stored, oldest first.
        assert_eq!(b.stores, 8);
        assert!(b.chunks.contains_key(&vec![0]) && !b.chunks.contains_key(&vec![9]));
        cache.flush(&mut b).unwrap();
        assert_eq!(b.chunks.len(), 10);
    }

    #[test]
    fn bad_selections_fail_alone() {
        let grid = ChunkGrid::new(&[4], &[2], 4).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(1 << 20);
        assert!(cache.write(&mut b, &grid, &[], &[3], &[2], &[0; 8]).is_err());
        assert!(cache.write(&mut b, &grid, &[], &[0], &[2], &[0; 7]).is_err());
        assert!(cache.write(&mut b, &grid, &[], &[u64::MAX], &[2], &[0; 8]).is_err());
        assert!(cache.write(&mut b, &grid, &[], &[0, 0], &[1, 1], &[0; 4]).is_err());
        assert!(ChunkGrid::new(&[4], &[0], 4).is_err());
        assert!(ChunkGrid::new(&[1 << 40], &[1 << 31], 2).is_err());
        assert_eq!((b.loads, b.stores), (0, 0));
    }

    #[test]
    fn shrinking_drops_and_refills() {
        let grid = ChunkGrid::new(&[6], &[3], 1).unwrap();
        let mut b = MapBackend::default();
        let mut cache = ChunkCache::new(1 << 20);
        cache.write(&mut b, &grid, &[0], &[2], &[2], &[1, 2]).unwrap();
        assert_eq!(cache.held_bytes(), 6);
        let smaller = ChunkGrid::new(&[2], &[3], 1).unwrap();
        cache.shrink(&smaller, &[0]);
        assert_eq!(cache.held_bytes(), 3);
        cache.flush(&mut b).unwrap();
        assert_eq!(b.chunks[&vec![0]], vec![0, 0, 0]);
        assert!(!b.chunks.contains_key(&vec![1]));
    }
}

//! Raw data read path (spec IV.A.2.i "The Data Layout Message", IV.B "Disk Format: Level 2B -
//! Data Object Data Storage", VII "Appendix C: Types of Indexes for Dataset Chunks"):
//! compact, contiguous (also in external files) and chunked storage with every chunk index,
//! filtered chunks, partial edge chunks and unallocated chunks read as the fill value.
//!
//! `clippy::indexing_slicing` is denied here: every access into file-sized data goes through
//! `get`/iterators (the odometer loops walk zipped slices of checked equal length).
#![deny(clippy::indexing_slicing)]

use h5kit_btree::{fixed_array, v1, v2};
use h5kit_core::{Context, Error, Result};
use h5kit_object_header::{
    ChunkIndex, Dataspace, DataspaceKind, ExternalFiles, FillValue, FilterPipeline, Layout, LayoutMessage, UNLIMITED,
};

use crate::filter::{decode_pipeline_sized, deflate, DEFLATE, SHUFFLE};
use crate::scratch::ChunkScratch;

/// One allocated chunk: its first element's coordinates, address, stored size, filter mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkLocation {
    /// Element coordinates of the chunk's first element (multiples of the chunk dimensions).
    pub offsets: Vec<u64>,
    pub address: u64,
    /// Stored (filtered) size in bytes.
    pub size: u64,
    pub filter_mask: u32,
}

/// Tells the storage which chunks are read next ([`h5kit_core::Storage::prefetch`]: a storage
/// reading over a network fetches them together, concurrently).
fn prefetch_chunks(ctx: Context, chunks: &[ChunkLocation]) {
    if chunks.len() < 2 {
        return;
    }
    let ranges: Vec<(u64, u64)> =
        chunks.iter().filter_map(|c| Some((c.address.checked_add(ctx.base_address)?, c.size))).collect();
    ctx.storage.prefetch(&ranges);
}

fn overflow(what: &str) -> Error {
    Error::format(0, format!("{} overflows", what))
}

/// Bytes of one whole chunk.
fn chunk_bytes(chunk_dims: &[u64], element_size: usize) -> Result<u64> {
    chunk_dims
        .iter()
        .try_fold(element_size as u64, |a, &d| a.checked_mul(d))
        .ok_or_else(|| overflow("chunk size"))
}

/// Width of the "Chunk Size" field of filtered chunk index entries (layout v4): one byte more
/// than needed to hold the unfiltered chunk size, at most 8 (libhdf5's rule).
pub fn chunk_size_len(unfiltered_chunk_bytes: u64) -> usize {
    let log2 = 63u32.saturating_sub(unfiltered_chunk_bytes.max(1).leading_zeros()) as usize;
    (1 + (log2 + 8) / 8).min(8)
}

/// Number of chunks along each dimension for extent `dims`.
fn grid(dims: &[u64], chunk_dims: &[u64]) -> Result<Vec<u64>> {
    dims.iter()
        .zip(chunk_dims)
        .map(|(&d, &c)| if c == 0 { Err(overflow("chunk dimension 0")) } else { Ok(d.div_ceil(c)) })
        .collect()
}

/// Coordinates of chunk number `index` of a row-major chunk grid.
fn coords_of(mut index: u64, grid: &[u64], chunk_dims: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; grid.len()];
    for ((o, &g), &c) in out.iter_mut().zip(grid).zip(chunk_dims).rev() {
        let g = g.max(1);
        *o = (index % g).saturating_mul(c);
        index /= g;
    }
    out
}

/// Like [`coords_of`], but the first (slowest) dimension of the grid is unbounded.
fn coords_of_unbounded_first(index: u64, grid: &[u64], chunk_dims: &[u64]) -> Result<Vec<u64>> {
    let mut out = vec![0u64; grid.len()];
    let mut rem = index;
    for ((o, &g), &c) in out.iter_mut().zip(grid).zip(chunk_dims).skip(1).rev() {
        let g = g.max(1);
        *o = (rem % g).saturating_mul(c);
        rem /= g;
    }
    if let (Some(first), Some(&c)) = (out.first_mut(), chunk_dims.first()) {
        *first = rem.checked_mul(c).ok_or_else(|| overflow("chunk offset"))?;
    }
    Ok(out)
}

/// The dimensions that fix a chunk index's linear order: maximum dimensions when all are
/// fixed, else the current ones.
fn index_dims(dataspace: &Dataspace) -> Vec<u64> {
    match &dataspace.max_dims {
        Some(m) if m.len() == dataspace.dims.len() && m.iter().all(|&d| d != UNLIMITED) => m.clone(),
        _ => dataspace.dims.clone(),
    }
}

/// Every allocated chunk of a chunked layout.
pub fn chunk_locations(
    ctx: Context,
    layout: &LayoutMessage,
    dataspace: &Dataspace,
    element_size: usize,
    filtered: bool,
) -> Result<Vec<ChunkLocation>> {
    let Layout::Chunked { chunk_dims, index, .. } = &layout.layout else {
        return Err(Error::usage("chunk_locations: layout is not chunked"));
    };
    let rank = dataspace.dims.len();
    if chunk_dims.len() != rank {
        return Err(Error::format(0, format!("chunk rank {} differs from the dataspace rank {}", chunk_dims.len(), rank)));
    }
    let full = chunk_bytes(chunk_dims, element_size)?;
    // Filtered entries' "Chunk Size" width: layout v5 uses "Size of Offsets" (spec VII,
    // III.A.2 type 11), v4 one byte more than the unfiltered chunk size needs.
    let size_len = if layout.version >= 5 { ctx.sizes.offset as usize } else { chunk_size_len(full) };
    let mut out = Vec::new();
    match index {
        ChunkIndex::BTreeV1 { address: Some(a) } => {
            for rec in v1::read_chunk_records(ctx, *a, rank)? {
                out.push(ChunkLocation { offsets: rec.offsets, address: rec.address, size: rec.size, filter_mask: rec.filter_mask });
            }
        }
        ChunkIndex::SingleChunk { address: Some(a), filtered: f } => {
            let (size, filter_mask) = f.unwrap_or((full, 0));
            out.push(ChunkLocation { offsets: vec![0; rank], address: *a, size, filter_mask });
        }
        ChunkIndex::Implicit { address: Some(a) } => {
            let g = grid(&index_dims(dataspace), chunk_dims)?;
            let n = g.iter().try_fold(1u64, |x, &y| x.checked_mul(y)).ok_or_else(|| overflow("chunk count"))?;
            if n > ctx.limits.max_items {
                return Err(Error::limit(*a, format!("implicit index of {} chunks", n)));
            }
            for i in 0..n {
                let address = i.checked_mul(full).and_then(|o| o.checked_add(*a)).ok_or_else(|| overflow("chunk address"))?;
                out.push(ChunkLocation { offsets: coords_of(i, &g, chunk_dims), address, size: full, filter_mask: 0 });
            }
        }
        ChunkIndex::FixedArray { address: Some(a), .. } => {
            let g = grid(&index_dims(dataspace), chunk_dims)?;
            for e in fixed_array::read_chunks(ctx, *a, filtered, size_len)? {
                let size = if filtered { e.size } else { full };
                out.push(ChunkLocation { offsets: coords_of(e.index, &g, chunk_dims), address: e.address, size, filter_mask: e.filter_mask });
            }
        }
        ChunkIndex::BTreeV2 { address: Some(a), .. } => {
            let tree = v2::BTreeV2::open(ctx, *a)?;
            let params = v2::ChunkParams { rank, chunk_size_len: size_len };
            for rec in tree.records(ctx, Some(params))? {
                if let v2::Record::Chunk(c) = rec {
                    let offsets = c
                        .scaled_offsets
                        .iter()
                        .zip(chunk_dims)
                        .map(|(&s, &d)| s.checked_mul(d).ok_or_else(|| overflow("chunk offset")))
                        .collect::<Result<Vec<u64>>>()?;
                    let size = if filtered { c.size } else { full };
                    out.push(ChunkLocation { offsets, address: c.address, size, filter_mask: c.filter_mask });
                }
            }
        }
        ChunkIndex::ExtensibleArray { address: Some(a), .. } => {
            // libhdf5 (H5Dearray.c) numbers chunks row-major over the maximum chunk grid with
            // the unlimited dimension moved first ("swizzled"); it is the slowest-changing one.
            let max = match &dataspace.max_dims {
                Some(m) if m.len() == rank => m.clone(),
                _ => dataspace.dims.clone(),
            };
            let unlim = max.iter().position(|&d| d == UNLIMITED).unwrap_or(0);
            let mut order: Vec<usize> = vec![unlim];
            order.extend((0..rank).filter(|&r| r != unlim));
            // `order` holds each r < rank once; chunk_dims and max have `rank` entries.
            let swz_chunk: Vec<u64> = order.iter().map(|&r| chunk_dims.get(r).copied().unwrap_or(1)).collect();
            let swz_max: Vec<u64> = order
                .iter()
                .map(|&r| match max.get(r).copied().unwrap_or(1) {
                    UNLIMITED => 1,
                    m => m,
                })
                .collect();
            let g = grid(&swz_max, &swz_chunk)?;
            for e in h5kit_btree::extensible_array::read_chunks(ctx, *a, filtered, size_len)? {
                let swz = coords_of_unbounded_first(e.index, &g, &swz_chunk)?;
                let mut offsets = vec![0u64; rank];
                for (&r, &o) in order.iter().zip(&swz) {
                    if let Some(slot) = offsets.get_mut(r) {
                        *slot = o;
                    }
                }
                let size = if filtered { e.size } else { full };
                out.push(ChunkLocation { offsets, address: e.address, size, filter_mask: e.filter_mask });
            }
        }
        // Undefined index address: no chunk was ever written.
        _ => {}
    }
    check_chunk_grid(&out, chunk_dims)?;
    Ok(out)
}

/// A damaged index can list a chunk twice or at an offset off the chunk grid; either would
/// make two chunks claim the same elements (and parallel decoding pick a winner at random).
/// libhdf5 only ever writes one entry per grid position, so both are errors.
fn check_chunk_grid(chunks: &[ChunkLocation], chunk_dims: &[u64]) -> Result<()> {
    for c in chunks {
        if c.offsets.len() != chunk_dims.len() || c.offsets.iter().zip(chunk_dims).any(|(&o, &d)| d == 0 || o % d != 0) {
            return Err(Error::format(
                c.address,
                format!("chunk index: chunk offset {:?} is not on the grid of chunk dimensions {:?}", c.offsets, chunk_dims),
            ));
        }
    }
    let mut order: Vec<&ChunkLocation> = chunks.iter().collect();
    order.sort_unstable_by(|a, b| a.offsets.cmp(&b.offsets));
    if let Some(w) = order.windows(2).find(|w| matches!(w, [a, b] if a.offsets == b.offsets)) {
        let (first, second) = (w.first().map(|c| c.address), w.get(1).map(|c| c.address));
        let offsets = w.first().map(|c| c.offsets.clone()).unwrap_or_default();
        return Err(Error::format(
            second.unwrap_or(0),
            format!("chunk index lists the chunk at {:?} twice (at addresses {:?} and {:?})", offsets, first, second),
        ));
    }
    Ok(())
}

/// The fill pattern of one element.
pub(crate) fn fill_pattern(fill: Option<&FillValue>, element_size: usize) -> Vec<u8> {
    match fill.and_then(|f| f.value.as_ref()) {
        Some(v) if v.len() == element_size => v.clone(),
        _ => vec![0u8; element_size],
    }
}

/// `n` bytes of the repeated fill `pattern` (zeros come from a zeroed allocation).
pub(crate) fn filled(pattern: &[u8], n: usize) -> Vec<u8> {
    if pattern.is_empty() || n == 0 {
        return Vec::new();
    }
    if pattern.iter().all(|&b| b == 0) {
        return vec![0u8; n];
    }
    let mut out = pattern.repeat(n / pattern.len());
    out.extend_from_slice(pattern.get(..n - out.len()).unwrap_or(&[]));
    out
}

/// One chunk's bytes after the filter pipeline (`apply`), borrowed from the file when no
/// filter applies. At least `full` bytes long.
pub(crate) fn chunk_data<'a>(
    ctx: Context<'a>,
    c: &ChunkLocation,
    filters: &FilterPipeline,
    apply: bool,
    full: u64,
    element_size: usize,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    let data = if apply {
        std::borrow::Cow::Owned(decode_chunk(ctx, c, filters, 0, full, element_size, Vec::new(), &mut ChunkScratch::default())?)
    } else {
        ctx.read(c.address, full, "chunk")?
    };
    if (data.len() as u64) < full {
        return Err(Error::format(c.address, format!("chunk decoded to {} bytes, expected {}", data.len(), full)));
    }
    Ok(data)
}

/// Runs a stored chunk through the filters of `filters` not masked by its filter mask or by
/// `extra_mask` (bit i: skip filter i), reading the stored bytes in place: when the first
/// filter to undo is deflate it inflates straight from the file's bytes into `spare` (a
/// buffer to reuse; its allocation is kept when large enough) instead of copying them out
/// first; a file that is not in memory is read into `scratch`'s buffer, and its inflate
/// state is reused. `full` is the unfiltered chunk size (a hint for the output allocation).
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_chunk(
    ctx: Context,
    c: &ChunkLocation,
    filters: &FilterPipeline,
    extra_mask: u32,
    full: u64,
    element_size: usize,
    spare: Vec<u8>,
    scratch: &mut ChunkScratch,
) -> Result<Vec<u8>> {
    let mask = c.filter_mask | extra_mask;
    let expected = usize::try_from(full).unwrap_or(0);
    // Filters are undone last to first; at most 32 (decode_pipeline_sized reports more).
    let first = filters.filters.iter().enumerate().rev().find(|(i, _)| *i < 32 && mask & (1u32 << i) == 0);
    match first {
        Some((i, f)) if f.id == DEFLATE && filters.filters.len() <= 32 => {
            let mut out = spare;
            let mut stored = std::mem::take(&mut scratch.stored);
            let inflated = ctx.read_reusing(c.address, c.size, "chunk", &mut stored).and_then(|raw| {
                deflate::decode_with(scratch.inflate(), raw, &mut out, expected, ctx.limits, c.address)
                    .map_err(|e| e.at(c.address).context(format!("chunk at address {}", c.address)))
            });
            scratch.stored = stored;
            inflated?;
            decode_pipeline_sized(filters, mask | (1u32 << i), out, element_size, expected, ctx.limits, c.address)
        }
        _ => {
            let raw = ctx.read(c.address, c.size, "chunk")?;
            decode_pipeline_sized(filters, mask, raw.into_owned(), element_size, expected, ctx.limits, c.address)
        }
    }
}

/// Whether the shuffle filter of a chunk can be left undone and applied per element while
/// copying (the leading filter is shuffle of `element_size`-byte elements, not masked out).
/// Returns the mask bit to pass as `extra_mask` to [`decode_chunk`].
pub(crate) fn deferred_shuffle(filters: &FilterPipeline, filter_mask: u32, element_size: usize) -> Option<u32> {
    let f = filters.filters.first()?;
    let size = f.client_data.first().map(|&s| s as usize).filter(|&s| s > 0).unwrap_or(element_size);
    (f.id == SHUFFLE && size == element_size && element_size > 1 && filter_mask & 1 == 0).then_some(1)
}

/// Worker threads for decoding `jobs` filtered chunks (1: decode on the calling thread).
fn worker_count(jobs: usize) -> usize {
    #[cfg(target_family = "wasm")]
    {
        let _ = jobs;
        1
    }
    #[cfg(not(target_family = "wasm"))]
    {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        cores.min(jobs).min(64)
    }
}

/// Decodes every chunk of `chunks` with `decode` and hands each result to `place`, in order
/// of completion. Decoding runs on up to [`worker_count`] threads (sequentially on wasm32);
/// `place` always runs on the calling thread. At most two decoded chunks per worker wait to
/// be placed. An error stops the work; the one returned is that of the lowest chunk index,
/// as the sequential loop would return (chunks are taken in index order, so every lower one
/// is already in flight and still placed): results never depend on thread timing.
fn decode_chunks<'a, D, P>(chunks: &[ChunkLocation], parallel: bool, decode: D, mut place: P) -> Result<()>
where
    D: Fn(&ChunkLocation) -> Result<std::borrow::Cow<'a, [u8]>> + Sync,
    P: FnMut(&ChunkLocation, &[u8]) -> Result<()>,
{
    let workers = if parallel { worker_count(chunks.len()) } else { 1 };
    if workers <= 1 {
        for c in chunks {
            let data = decode(c)?;
            place(c, &data)?;
        }
        return Ok(());
    }
    #[cfg(target_family = "wasm")]
    {
        unreachable_sequential(chunks, decode, place)
    }
    #[cfg(not(target_family = "wasm"))]
    {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<std::borrow::Cow<'a, [u8]>>)>(2 * workers);
            for _ in 0..workers {
                let tx = tx.clone();
                let (next, stop, decode) = (&next, &stop, &decode);
                scope.spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(c) = chunks.get(i) else { break };
                        let r = decode(c);
                        let failed = r.is_err();
                        if tx.send((i, r)).is_err() || failed {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            let mut failure: Option<(usize, Error)> = None;
            for (i, r) in rx.iter() {
                if failure.as_ref().is_some_and(|(f, _)| i > *f) {
                    continue;
                }
                let placed = r.and_then(|data| match chunks.get(i) {
                    Some(c) => place(c, &data),
                    None => Ok(()),
                });
                if let Err(e) = placed {
                    stop.store(true, Ordering::Relaxed);
                    if failure.as_ref().is_none_or(|(f, _)| i < *f) {
                        failure = Some((i, e));
                    }
                }
            }
            // The workers have all stopped (the channel is closed); the scope joins them.
            match failure {
                Some((_, e)) => Err(e),
                None => Ok(()),
            }
        })
    }
}

#[cfg(target_family = "wasm")]
fn unreachable_sequential<'a, D, P>(chunks: &[ChunkLocation], decode: D, mut place: P) -> Result<()>
where
    D: Fn(&ChunkLocation) -> Result<std::borrow::Cow<'a, [u8]>>,
    P: FnMut(&ChunkLocation, &[u8]) -> Result<()>,
{
    for c in chunks {
        let data = decode(c)?;
        place(c, &data)?;
    }
    Ok(())
}

/// `out` filled with the repeated element `pattern`.
fn fill_with(out: &mut [u8], pattern: &[u8]) {
    if pattern.iter().all(|&b| b == 0) {
        out.fill(0);
    } else {
        for e in out.chunks_mut(pattern.len().max(1)) {
            let k = e.len();
            e.copy_from_slice(pattern.get(..k).unwrap_or(&[]));
        }
    }
}

/// Where one chunk's in-extent elements go in the row-major result: one run of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    chunk: usize,
    start: usize,
    len: usize,
}

/// The run of each chunk (sorted by position), when every chunk's in-extent part is one run
/// of the row-major result: the chunks span all of the trailing dimensions (always so for
/// 1-D datasets). `None` otherwise, or when runs overlap (duplicate chunks in a corrupt
/// index): the general placement handles those.
fn run_plan(chunks: &[ChunkLocation], dims: &[u64], chunk_dims: &[u64], elem: usize) -> Option<Vec<Run>> {
    let (&d0, rest_dims) = dims.split_first()?;
    let (&c0, rest_chunk) = chunk_dims.split_first()?;
    if rest_dims != rest_chunk {
        return None;
    }
    // Bytes of one index of dimension 0.
    let row = rest_dims.iter().try_fold(elem as u64, |a, &x| a.checked_mul(x))?;
    let mut plan = Vec::with_capacity(chunks.len());
    for (i, c) in chunks.iter().enumerate() {
        let (&o0, rest_off) = c.offsets.split_first()?;
        if c.offsets.len() != dims.len() || rest_off.iter().any(|&o| o != 0) {
            return None;
        }
        if o0 >= d0 {
            continue; // wholly outside the current extent (dataset shrunk)
        }
        let rows = c0.min(d0 - o0);
        let start = usize::try_from(o0.checked_mul(row)?).ok()?;
        let len = usize::try_from(rows.checked_mul(row)?).ok()?;
        plan.push(Run { chunk: i, start, len });
    }
    plan.sort_by_key(|r| r.start);
    let disjoint = plan.windows(2).all(|w| match w {
        [a, b] => a.start.checked_add(a.len).is_some_and(|end| end <= b.start),
        _ => true,
    });
    disjoint.then_some(plan)
}

/// Decodes each chunk of `plan` into its run of `out` with `decode(chunk, run, scratch)`,
/// on up to [`worker_count`] threads (each with its own scratch buffer, reused from chunk
/// to chunk), and fills the gaps between runs (unallocated chunks) with `pattern`.
fn decode_into_runs<D>(chunks: &[ChunkLocation], plan: Vec<Run>, out: &mut [u8], pattern: &[u8], decode: D) -> Result<()>
where
    D: Fn(&ChunkLocation, &mut [u8], &mut ChunkScratch) -> Result<()> + Sync,
{
    let mut jobs: Vec<(&ChunkLocation, &mut [u8])> = Vec::with_capacity(plan.len());
    let mut rest: &mut [u8] = out;
    let mut pos = 0usize;
    for r in plan {
        let c = chunks.get(r.chunk).ok_or_else(|| overflow("chunk number"))?;
        let (gap, tail) = rest.split_at_mut_checked(r.start.saturating_sub(pos)).ok_or_else(|| overflow("chunk run"))?;
        fill_with(gap, pattern);
        let (run, tail) = tail.split_at_mut_checked(r.len).ok_or_else(|| overflow("chunk run"))?;
        jobs.push((c, run));
        rest = tail;
        pos = r.start.saturating_add(r.len);
    }
    fill_with(rest, pattern);
    let workers = worker_count(jobs.len());
    if workers <= 1 {
        let mut scratch = ChunkScratch::default();
        for (c, run) in jobs {
            decode(c, run, &mut scratch)?;
        }
        return Ok(());
    }
    #[cfg(target_family = "wasm")]
    {
        Err(Error::usage("no threads on this target"))
    }
    #[cfg(not(target_family = "wasm"))]
    {
        use std::sync::atomic::{AtomicBool, Ordering};
        // Jobs are taken in order: when one fails, every lower one is already taken and runs
        // to its end, so the error kept (the lowest index) is the sequential loop's.
        let queue = std::sync::Mutex::new(jobs.into_iter().enumerate());
        let stop = AtomicBool::new(false);
        let first_error: std::sync::Mutex<Option<(usize, Error)>> = std::sync::Mutex::new(None);
        let work = || {
            let mut scratch = ChunkScratch::default();
            while !stop.load(Ordering::Relaxed) {
                let Some((i, (c, run))) = queue.lock().ok().and_then(|mut q| q.next()) else { break };
                if let Err(e) = decode(c, run, &mut scratch) {
                    stop.store(true, Ordering::Relaxed);
                    if let Ok(mut slot) = first_error.lock() {
                        if slot.as_ref().is_none_or(|(f, _)| i < *f) {
                            *slot = Some((i, e));
                        }
                    }
                    break;
                }
            }
        };
        // The calling thread is one of the workers.
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(work);
            }
            work();
        });
        match first_error.into_inner() {
            Ok(Some((_, e))) => Err(e),
            Ok(None) => Ok(()),
            Err(_) => Err(Error::usage("a chunk decoding thread failed")),
        }
    }
}

/// Decodes one chunk (`apply`: through the filter pipeline) and writes its first
/// `dst.len()` bytes (the in-extent part, a prefix of the chunk) into `dst`. A leading
/// shuffle is undone straight into `dst`; `scratch` (its `decoded` buffer holds the
/// inflated bytes) is reused.
#[allow(clippy::too_many_arguments)]
fn decode_chunk_into(
    ctx: Context,
    c: &ChunkLocation,
    filters: &FilterPipeline,
    apply: bool,
    full: u64,
    elem: usize,
    dst: &mut [u8],
    scratch: &mut ChunkScratch,
) -> Result<()> {
    let short = |len: usize| Error::format(c.address, format!("chunk decoded to {} bytes, expected {}", len, full));
    if !apply {
        let raw = ctx.read(c.address, full, "chunk")?;
        dst.copy_from_slice(raw.get(..dst.len()).ok_or_else(|| short(raw.len()))?);
        return Ok(());
    }
    let deferred = deferred_shuffle(filters, c.filter_mask, elem);
    let data = decode_chunk(ctx, c, filters, deferred.unwrap_or(0), full, elem, std::mem::take(&mut scratch.decoded), scratch)?;
    if (data.len() as u64) < full {
        return Err(short(data.len()));
    }
    match deferred {
        Some(_) if data.len() as u64 == full && data.len() == dst.len() => crate::filter::shuffle::decode_into(&data, elem, dst)?,
        Some(_) if data.len() as u64 == full => {
            // An edge chunk: its first dst.len() / elem elements, gathered from the planes.
            let (n, m) = ((data.len() / elem) as u64, (dst.len() / elem) as u64);
            copy_box(&data, Src::Planes, &[n], &[0], dst, &[m], &[0], &[0], &[m], elem)?;
        }
        Some(_) => {
            let plain = crate::filter::shuffle::decode(&data, elem)?;
            dst.copy_from_slice(plain.get(..dst.len()).ok_or_else(|| short(plain.len()))?);
        }
        None => dst.copy_from_slice(data.get(..dst.len()).ok_or_else(|| short(data.len()))?),
    }
    scratch.decoded = data;
    Ok(())
}

/// Copies the in-extent part of a decoded chunk at `offsets` into the row-major `out`.
fn place_chunk(out: &mut [u8], dims: &[u64], chunk_dims: &[u64], offsets: &[u64], chunk: &[u8], elem: usize) -> Result<()> {
    let rank = dims.len();
    if rank == 0 {
        let n = elem.min(chunk.len()).min(out.len());
        if let (Some(d), Some(s)) = (out.get_mut(..n), chunk.get(..n)) {
            d.copy_from_slice(s);
        }
        return Ok(());
    }
    if offsets.len() != rank || offsets.iter().zip(dims).any(|(o, d)| o >= d) {
        return Ok(()); // a chunk wholly outside the current extent (dataset shrunk): ignore
    }
    if chunk_dims.len() != rank {
        return Err(Error::format(0, "chunk rank differs from the dataspace rank"));
    }
    // The part of the chunk inside the dataset's extent.
    let hi: Vec<u64> = offsets.iter().zip(chunk_dims).zip(dims).map(|((o, c), d)| o.saturating_add(*c).min(*d)).collect();
    let origin = vec![0u64; rank];
    copy_box(chunk, Src::Plain, chunk_dims, offsets, out, dims, &origin, offsets, &hi, elem)
}

/// All raw data of a dataset (row-major, `element_size` bytes each), filling unallocated
/// chunks / never-written contiguous storage with the fill value (or zeros).
pub fn read_all(
    ctx: Context,
    layout: &LayoutMessage,
    dataspace: &Dataspace,
    element_size: usize,
    filters: &FilterPipeline,
    fill: Option<&FillValue>,
    external: Option<(&ExternalFiles, &[String])>,
) -> Result<Vec<u8>> {
    if dataspace.kind == DataspaceKind::Null || element_size == 0 {
        return Ok(Vec::new());
    }
    let count = dataspace.element_count().ok_or_else(|| overflow("dataspace element count"))?;
    let total = count.checked_mul(element_size as u64).ok_or_else(|| overflow("dataset size"))?;
    let n = ctx.limits.check_alloc(total, 0, "dataset")?;
    let mut out = vec![0u8; n];
    read_all_into(ctx, layout, dataspace, element_size, filters, fill, external, &mut out)?;
    Ok(out)
}

/// As [`read_all`], into the caller's buffer `out`, which must be exactly the dataset's
/// size (element count x `element_size` bytes; 0 for a null dataspace). Nothing is copied
/// twice: contiguous data is copied once from the file, chunks are decoded (in parallel
/// where threads exist) and placed into `out`.
#[allow(clippy::too_many_arguments)]
pub fn read_all_into(
    ctx: Context,
    layout: &LayoutMessage,
    dataspace: &Dataspace,
    element_size: usize,
    filters: &FilterPipeline,
    fill: Option<&FillValue>,
    external: Option<(&ExternalFiles, &[String])>,
    out: &mut [u8],
) -> Result<()> {
    let count = if dataspace.kind == DataspaceKind::Null {
        0
    } else {
        dataspace.element_count().ok_or_else(|| overflow("dataspace element count"))?
    };
    let total = count.checked_mul(element_size as u64).ok_or_else(|| overflow("dataset size"))?;
    if out.len() as u64 != total {
        return Err(Error::usage(format!("read_all_into: buffer of {} bytes for a dataset of {} bytes", out.len(), total)));
    }
    let n = out.len();
    if n == 0 {
        return Ok(());
    }
    // Allocated contiguous storage in the file: one copy straight into `out`.
    if let (Layout::Contiguous { address: Some(a), size }, None) = (&layout.layout, external) {
        if *size < total {
            return Err(Error::format(*a, format!("contiguous storage of {} bytes, the dataset needs {}", size, total)));
        }
        let abs = a.checked_add(ctx.base_address).ok_or_else(|| overflow("address"))?;
        return ctx.storage.read_at(abs, out).map_err(|e| e.context("reading contiguous raw data"));
    }
    let pattern = fill_pattern(fill, element_size);
    // Filtered chunks that each fill one run of `out` (1-D datasets, or chunks spanning the
    // trailing dimensions): decoded in parallel straight into their runs, only the gaps
    // filled.
    if let Layout::Chunked { chunk_dims, flags, .. } = &layout.layout {
        if !filters.filters.is_empty() {
            let chunks = chunk_locations(ctx, layout, dataspace, element_size, true)?;
            if let Some(plan) = run_plan(&chunks, &dataspace.dims, chunk_dims, element_size) {
                prefetch_chunks(ctx, &chunks);
                let full = chunk_bytes(chunk_dims, element_size)?;
                let no_edge_filter = flags & 1 != 0;
                let dims = &dataspace.dims;
                let apply = |c: &ChunkLocation| {
                    let edge = c.offsets.iter().zip(chunk_dims).zip(dims).any(|((o, cd), d)| o.saturating_add(*cd) > *d);
                    !(no_edge_filter && edge)
                };
                return decode_into_runs(&chunks, plan, out, &pattern, |c, dst, buf| {
                    decode_chunk_into(ctx, c, filters, apply(c), full, element_size, dst, buf).map_err(|e| e.at(c.address))
                });
            }
        }
    }
    fill_with(out, &pattern);
    match &layout.layout {
        Layout::Compact { data } => {
            let src = data
                .get(..n)
                .ok_or_else(|| Error::format(0, format!("compact data has {} bytes, the dataset needs {}", data.len(), n)))?;
            out.copy_from_slice(src);
        }
        Layout::Contiguous { address, size } => {
            if let Some((ext, names)) = external {
                read_external(out, ext, names)?;
            } else if let Some(a) = address {
                if *size < total {
                    return Err(Error::format(*a, format!("contiguous storage of {} bytes, the dataset needs {}", size, total)));
                }
                out.copy_from_slice(&ctx.read(*a, total, "contiguous raw data")?);
            }
        }
        Layout::Chunked { chunk_dims, flags, .. } => {
            let filtered = !filters.filters.is_empty();
            let full = chunk_bytes(chunk_dims, element_size)?;
            let no_edge_filter = flags & 1 != 0;
            let chunks = chunk_locations(ctx, layout, dataspace, element_size, filtered)?;
            prefetch_chunks(ctx, &chunks);
            let dims = &dataspace.dims;
            let apply = |c: &ChunkLocation| {
                let edge = c.offsets.iter().zip(chunk_dims).zip(dims).any(|((o, cd), d)| o.saturating_add(*cd) > *d);
                filtered && !(no_edge_filter && edge)
            };
            decode_chunks(
                &chunks,
                filtered,
                |c| chunk_data(ctx, c, filters, apply(c), full, element_size),
                |c, data| place_chunk(out, dims, chunk_dims, &c.offsets, data, element_size).map_err(|e| e.at(c.address)),
            )?;
        }
        Layout::Virtual { heap_address, .. } => {
            return Err(Error::unsupported(heap_address.unwrap_or(0), "virtual dataset storage"));
        }
    }
    Ok(())
}

/// How a decoded chunk's bytes are arranged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    /// Row-major elements.
    Plain,
    /// Still shuffled: byte `j` of element `i` at `j * n + i`, `n` = bytes / element size
    /// (the shuffle filter is undone while copying, for the copied elements only).
    Planes,
}

/// Copies the box `lo..hi` (global coordinates) from `src` (a row-major block of `src_dims`
/// whose first element is at global `src_origin`, arranged as `layout` says) into `dst`
/// (block `dst_dims` at `dst_origin`). Every coordinate list has the same length (checked).
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_box(
    src: &[u8],
    layout: Src,
    src_dims: &[u64],
    src_origin: &[u64],
    dst: &mut [u8],
    dst_dims: &[u64],
    dst_origin: &[u64],
    lo: &[u64],
    hi: &[u64],
    elem: usize,
) -> Result<()> {
    let rank = lo.len();
    if [src_dims.len(), src_origin.len(), dst_dims.len(), dst_origin.len(), hi.len()].iter().any(|&l| l != rank) {
        return Err(Error::format(0, "box copy between blocks of different ranks"));
    }
    if rank == 0 || lo.iter().zip(hi).any(|(l, h)| h <= l) || elem == 0 {
        return Ok(());
    }
    let ext: Vec<u64> = lo.iter().zip(hi).map(|(l, h)| h - l).collect();
    let Some((&run_elems, outer)) = ext.split_last() else { return Ok(()) };
    let run_elems = usize::try_from(run_elems).map_err(|_| overflow("run"))?;
    let run = run_elems.checked_mul(elem).ok_or_else(|| overflow("run"))?;
    let rows = outer.iter().try_fold(1u64, |a, &e| a.checked_mul(e)).ok_or_else(|| overflow("row count"))?;
    let plane = src.len() / elem;
    // Odometer over the outer dimensions (the last one is the run).
    let mut idx = vec![0u64; rank - 1];
    for _ in 0..rows {
        let (mut s_lin, mut d_lin) = (0u64, 0u64);
        let dims = lo.iter().zip(src_dims).zip(src_origin).zip(dst_dims).zip(dst_origin);
        for (r, ((((&l, &sd), &so), &dd), &d0)) in dims.enumerate() {
            let g = l.saturating_add(idx.get(r).copied().unwrap_or(0));
            s_lin = g.checked_sub(so).and_then(|o| s_lin.checked_mul(sd)?.checked_add(o)).ok_or_else(|| overflow("offset"))?;
            d_lin = g.checked_sub(d0).and_then(|o| d_lin.checked_mul(dd)?.checked_add(o)).ok_or_else(|| overflow("offset"))?;
        }
        let s = usize::try_from(s_lin).map_err(|_| overflow("offset"))?;
        let d = usize::try_from(d_lin).ok().and_then(|d| d.checked_mul(elem)).ok_or_else(|| overflow("offset"))?;
        let to = dst.get_mut(d..d.saturating_add(run)).ok_or_else(|| overflow("selection offset"))?;
        let short = || Error::format(0, "source block too short");
        match layout {
            Src::Plain => {
                let s = s.checked_mul(elem).ok_or_else(|| overflow("offset"))?;
                to.copy_from_slice(src.get(s..s.saturating_add(run)).ok_or_else(short)?);
            }
            Src::Planes => {
                for j in 0..elem {
                    let at = j.checked_mul(plane).and_then(|p| p.checked_add(s)).ok_or_else(|| overflow("offset"))?;
                    let bytes = src.get(at..at.saturating_add(run_elems)).ok_or_else(short)?;
                    if s.saturating_add(run_elems) > plane {
                        return Err(short());
                    }
                    for (e, &b) in to.chunks_exact_mut(elem).zip(bytes) {
                        if let Some(o) = e.get_mut(j) {
                            *o = b;
                        }
                    }
                }
            }
        }
        for (i, &e) in idx.iter_mut().zip(outer).rev() {
            *i += 1;
            if *i < e {
                break;
            }
            *i = 0;
        }
    }
    Ok(())
}

/// The block `start .. start + count` of a dataset (row-major, `element_size` bytes each),
/// touching only the chunks (or contiguous rows) that intersect it. Unallocated parts read as
/// the fill value.
#[allow(clippy::too_many_arguments)]
pub fn read_block(
    ctx: Context,
    layout: &LayoutMessage,
    dataspace: &Dataspace,
    element_size: usize,
    filters: &FilterPipeline,
    fill: Option<&FillValue>,
    external: Option<(&ExternalFiles, &[String])>,
    start: &[u64],
    count: &[u64],
) -> Result<Vec<u8>> {
    let dims = &dataspace.dims;
    let rank = dims.len();
    let hi = selection_end(dims, start, count)?;
    let n_elems = count.iter().try_fold(1u64, |a, &c| a.checked_mul(c)).ok_or_else(|| overflow("selection size"))?;
    let total = n_elems.checked_mul(element_size as u64).ok_or_else(|| overflow("selection size"))?;
    let n = ctx.limits.check_alloc(total, 0, "selection")?;
    let pattern = fill_pattern(fill, element_size);
    let mut out: Vec<u8> = filled(&pattern, n);
    if n == 0 || rank == 0 {
        return if rank == 0 { read_all(ctx, layout, dataspace, element_size, filters, fill, external) } else { Ok(out) };
    }
    let zero = vec![0u64; rank];
    match &layout.layout {
        Layout::Chunked { chunk_dims, flags, .. } => {
            let filtered = !filters.filters.is_empty();
            let full = chunk_bytes(chunk_dims, element_size)?;
            let no_edge_filter = flags & 1 != 0;
            let mut wanted = Vec::new();
            for c in chunk_locations(ctx, layout, dataspace, element_size, filtered)? {
                if c.offsets.len() != rank || chunk_dims.len() != rank {
                    return Err(Error::format(c.address, "chunk rank differs from the dataspace rank"));
                }
                let (lo_c, hi_c) = chunk_part(&c.offsets, chunk_dims, start, &hi);
                if lo_c.iter().zip(&hi_c).all(|(l, h)| l < h) {
                    wanted.push(c);
                }
            }
            let apply = |c: &ChunkLocation| {
                let edge = c.offsets.iter().zip(chunk_dims).zip(dims).any(|((o, cd), d)| o.saturating_add(*cd) > *d);
                filtered && !(no_edge_filter && edge)
            };
            prefetch_chunks(ctx, &wanted);
            decode_chunks(
                &wanted,
                filtered,
                |c| chunk_data(ctx, c, filters, apply(c), full, element_size),
                |c, data| {
                    let (lo_c, hi_c) = chunk_part(&c.offsets, chunk_dims, start, &hi);
                    copy_box(data, Src::Plain, chunk_dims, &c.offsets, &mut out, count, start, &lo_c, &hi_c, element_size)
                        .map_err(|e| e.at(c.address))
                },
            )?;
        }
        Layout::Contiguous { address: Some(a), size } if external.is_none() => {
            let need = dims.iter().try_fold(element_size as u64, |x, &d| x.checked_mul(d)).ok_or_else(|| overflow("dataset size"))?;
            if *size < need {
                return Err(Error::format(*a, format!("contiguous storage of {} bytes, the dataset needs {}", size, need)));
            }
            // One read per row of the last dimension (the selection is inside the extent,
            // whose byte size was checked above, so the offsets below cannot overflow).
            let Some((&run_elems, outer)) = count.split_last() else { return Ok(out) };
            let run = run_elems.saturating_mul(element_size as u64);
            let rows: u64 = outer.iter().product();
            let mut idx = vec![0u64; rank - 1];
            for row in 0..rows {
                let mut lin = 0u64;
                for (r, (&d, &s)) in dims.iter().zip(start).enumerate() {
                    lin = lin.saturating_mul(d).saturating_add(s).saturating_add(idx.get(r).copied().unwrap_or(0));
                }
                let off = lin.checked_mul(element_size as u64).and_then(|o| o.checked_add(*a)).ok_or_else(|| overflow("address"))?;
                let bytes = ctx.read(off, run, "contiguous raw data")?;
                let d = usize::try_from(row.saturating_mul(run)).map_err(|_| overflow("offset"))?;
                out.get_mut(d..d.saturating_add(bytes.len())).ok_or_else(|| overflow("selection offset"))?.copy_from_slice(&bytes);
                for (i, &e) in idx.iter_mut().zip(outer).rev() {
                    *i += 1;
                    if *i < e {
                        break;
                    }
                    *i = 0;
                }
            }
        }
        Layout::Contiguous { address: None, .. } if external.is_none() => {}
        _ => {
            let all = read_all(ctx, layout, dataspace, element_size, filters, fill, external)?;
            copy_box(&all, Src::Plain, dims, &zero, &mut out, count, start, start, &hi, element_size)?;
        }
    }
    Ok(out)
}

/// The exclusive end of the selection `start .. start + count` in each dimension, checked
/// against the extent `dims`.
pub(crate) fn selection_end(dims: &[u64], start: &[u64], count: &[u64]) -> Result<Vec<u64>> {
    if start.len() != dims.len() || count.len() != dims.len() {
        return Err(Error::usage(format!("selection of rank {} on a dataset of rank {}", start.len(), dims.len())));
    }
    let mut hi = Vec::with_capacity(dims.len());
    for (r, ((&s, &c), &d)) in start.iter().zip(count).zip(dims).enumerate() {
        let end = s.checked_add(c).ok_or_else(|| Error::usage("selection overflows"))?;
        if end > d {
            return Err(Error::usage(format!("selection {}..{} outside dimension {} of size {}", s, end, r, d)));
        }
        hi.push(end);
    }
    Ok(hi)
}

/// The part `lo..hi` of the chunk at `offsets` inside the selection `start..end` (empty in
/// some dimension when they do not meet).
pub(crate) fn chunk_part(offsets: &[u64], chunk_dims: &[u64], start: &[u64], end: &[u64]) -> (Vec<u64>, Vec<u64>) {
    let lo = offsets.iter().zip(start).map(|(o, s)| *o.max(s)).collect();
    let hi = offsets.iter().zip(chunk_dims).zip(end).map(|((o, c), e)| o.saturating_add(*c).min(*e)).collect();
    (lo, hi)
}

fn read_external(out: &mut [u8], ext: &ExternalFiles, names: &[String]) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut pos = 0usize;
    for (i, f) in ext.files.iter().enumerate() {
        if pos >= out.len() {
            break;
        }
        let name = names.get(i).ok_or_else(|| Error::usage(format!("no name given for external file {}", i)))?;
        let want = (out.len() - pos).min(usize::try_from(f.size).unwrap_or(usize::MAX));
        let mut file = std::fs::File::open(name).map_err(|e| Error::io(e, format!("cannot open external file {}", name)))?;
        file.seek(SeekFrom::Start(f.file_offset)).map_err(|e| Error::io(e, format!("seek in external file {}", name)))?;
        // A short external file reads as fill (libhdf5 reads zeros past its end).
        let mut got = 0usize;
        while got < want {
            let Some(buf) = out.get_mut(pos.saturating_add(got)..pos.saturating_add(want)) else { break };
            match file.read(buf) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) => return Err(Error::io(e, format!("reading external file {}", name))),
            }
        }
        pos += want;
    }
    Ok(())
}

/// The bytes of storage allocated (h5dump -p "SIZE").
pub fn storage_size(ctx: Context, layout: &LayoutMessage, dataspace: &Dataspace, element_size: usize) -> Result<u64> {
    Ok(match &layout.layout {
        Layout::Compact { data } => data.len() as u64,
        Layout::Contiguous { address: Some(_), size } => *size,
        Layout::Contiguous { address: None, .. } => 0,
        Layout::Chunked { index, .. } => {
            let filtered = match index {
                ChunkIndex::SingleChunk { filtered, .. } => filtered.is_some(),
                ChunkIndex::FixedArray { address: Some(a), .. } => fixed_array::FixedArrayHeader::read(ctx, *a)?.client_id == 1,
                ChunkIndex::BTreeV2 { address: Some(a), .. } => v2::BTreeV2::open(ctx, *a)?.record_type == 11,
                ChunkIndex::ExtensibleArray { address: Some(a), .. } => {
                    h5kit_btree::extensible_array::ExtensibleArrayHeader::read(ctx, *a)?.client_id == 1
                }
                _ => true,
            };
            let mut sum = 0u64;
            for c in chunk_locations(ctx, layout, dataspace, element_size, filtered)? {
                sum = sum.checked_add(c.size).ok_or_else(|| overflow("storage size"))?;
            }
            sum
        }
        Layout::Virtual { .. } => 0,
    })
}

/// Address printed by h5dump -p as "OFFSET" (contiguous storage), when allocated.
pub fn data_address(layout: &LayoutMessage) -> Option<u64> {
    match &layout.layout {
        Layout::Contiguous { address, .. } => *address,
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_len_rule() {
        assert_eq!(chunk_size_len(1), 2);
        assert_eq!(chunk_size_len(255), 2);
        assert_eq!(chunk_size_len(256), 3);
        assert_eq!(chunk_size_len(65535), 3);
        assert_eq!(chunk_size_len(65536), 4);
        assert_eq!(chunk_size_len(u64::MAX), 8);
    }

    #[test]
    fn place_edge_chunk() {
        // 3x5 dataset, 2x2 chunks; chunk at (2,4) has a single in-extent element.
        let mut out = vec![0u8; 15];
        place_chunk(&mut out, &[3, 5], &[2, 2], &[2, 4], &[9, 8, 7, 6], 1).unwrap();
        assert_eq!(out[14], 9);
        assert_eq!(out.iter().filter(|&&b| b != 0).count(), 1);
        place_chunk(&mut out, &[3, 5], &[2, 2], &[0, 2], &[1, 2, 3, 4], 1).unwrap();
        assert_eq!(&out[2..4], &[1, 2]);
        assert_eq!(&out[7..9], &[3, 4]);
        assert!(place_chunk(&mut out, &[3, 5], &[2, 2], &[0, 0], &[1, 2], 1).is_err());
    }

    #[test]
    fn run_plan_for_chunks_spanning_trailing_dimensions() {
        let loc = |offsets: Vec<u64>| ChunkLocation { offsets, address: 0, size: 0, filter_mask: 0 };
        // 10 x 3 dataset, chunks 4 x 3: runs of 4 rows (the edge chunk 2 rows), any order;
        // a chunk past the extent is left out.
        let chunks = vec![loc(vec![8, 0]), loc(vec![0, 0]), loc(vec![12, 0]), loc(vec![4, 0])];
        let plan = run_plan(&chunks, &[10, 3], &[4, 3], 2).unwrap();
        let runs: Vec<(usize, usize, usize)> = plan.iter().map(|r| (r.chunk, r.start, r.len)).collect();
        assert_eq!(runs, [(1, 0, 24), (3, 24, 24), (0, 48, 12)]);
        // Chunks narrower than a trailing dimension, duplicates, or a bad rank: no plan.
        assert!(run_plan(&chunks, &[10, 6], &[4, 3], 2).is_none());
        assert!(run_plan(&[loc(vec![0, 0]), loc(vec![0, 0])], &[10, 3], &[4, 3], 2).is_none());
        assert!(run_plan(&[loc(vec![0])], &[10, 3], &[4, 3], 2).is_none());
        assert!(run_plan(&[loc(vec![0, 3])], &[10, 3], &[4, 3], 2).is_none());
        // Gaps are filled with the pattern, runs decoded into place.
        let mut out = vec![0xA5u8; 10];
        let chunks = vec![loc(vec![2]), loc(vec![6])];
        let plan = run_plan(&chunks, &[5], &[1], 2).unwrap();
        decode_into_runs(&chunks, plan, &mut out, &[7, 9], |c, run, _| {
            run.fill(c.offsets[0] as u8);
            Ok(())
        })
        .unwrap();
        assert_eq!(out, [7, 9, 7, 9, 2, 2, 7, 9, 7, 9]);
    }

    #[test]
    fn coords_row_major() {
        assert_eq!(coords_of(5, &[2, 3], &[10, 4]), vec![10, 8]);
    }
}

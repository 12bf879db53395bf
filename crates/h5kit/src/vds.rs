//! Virtual datasets: spec IV.A.2.i "Data Layout Message" layout class 3 ("Virtual Storage"),
//! III.F "Disk Format: Level 1F - Global Heap Block for Virtual Datasets" (versions 0 and 1)
//! and the selection encodings of VIII "Dataspace Selection" (none, all, points, regular and
//! irregular hyperslabs, unlimited counts and blocks).
//!
//! A read fills the output with the dataset's fill value, then, mapping by mapping, copies the
//! source selection's elements (in libhdf5's iteration order: row-major over the selected
//! coordinates) onto the virtual selection's elements in the same order. As libhdf5 does, a
//! source file or dataset that cannot be opened leaves its part at the fill value. Source file
//! names are resolved against the virtual dataset's file directory first, then the current
//! directory; `.` is the virtual dataset's own file. Unlimited mappings are clipped to the
//! source's current extent; printf-style names (`%b`) map block `i` of the virtual selection to
//! the source named with `i`, up to the first missing source.

use std::cell::Cell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use h5kit_core::{Error, Reader, Result};
use h5kit_object_header::{Layout, UNLIMITED};

use crate::object::{Dataset, Object};
use crate::File;

/// One dimension of a regular hyperslab; `count` or `block` may be [`UNLIMITED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegularDim {
    /// First element.
    pub start: u64,
    /// Distance between block starts.
    pub stride: u64,
    /// Number of blocks.
    pub count: u64,
    /// Elements per block.
    pub block: u64,
}

/// A dataspace selection (spec VIII "Dataspace Selection").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// No element.
    None,
    /// Every element.
    All,
    /// Points, each with `rank` coordinates, in the stored order.
    Points(Vec<Vec<u64>>),
    /// Irregular hyperslab: blocks as (start, end) coordinates, both inclusive.
    Blocks(Vec<(Vec<u64>, Vec<u64>)>),
    /// Regular hyperslab: start, stride, count and block per dimension.
    Regular(Vec<RegularDim>),
}

/// One mapping of a virtual dataset (one entry of the global heap block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    /// Source file name as stored (`.` = the virtual dataset's own file).
    pub file: String,
    /// Source dataset path (may hold printf-style `%b`).
    pub dataset: String,
    /// The elements of the source dataset.
    pub source: Selection,
    /// Where they go in the virtual dataset.
    pub virtual_selection: Selection,
}

/// Most mappings, points or blocks decoded (hostile files).
const MAX_ITEMS: u64 = 1 << 24;
/// Deepest chain of virtual datasets read through virtual datasets.
const MAX_NESTING: u32 = 16;
/// Most printf-style source datasets probed for one mapping.
const MAX_PRINTF_BLOCKS: u64 = 1 << 20;

thread_local! {
    static NESTING: Cell<u32> = const { Cell::new(0) };
}

fn uint(r: &mut Reader, n: usize, unlim: bool) -> Result<u64> {
    let v = r.uint(n)?;
    let all_ones = if n >= 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
    if unlim && n > 0 && v == all_ones {
        return Ok(UNLIMITED);
    }
    Ok(v)
}

fn check_count(r: &Reader, n: u64, rank: u64) -> Result<()> {
    if rank > 32 || n.saturating_mul(rank.max(1)) > MAX_ITEMS {
        return Err(r.error(format!("selection of {} items of rank {} is too large", n, rank)));
    }
    Ok(())
}

fn blocks(r: &mut Reader, enc: usize, rank: u64, n: u64) -> Result<Selection> {
    check_count(r, n, rank)?;
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = Vec::new();
        let mut e = Vec::new();
        for _ in 0..rank {
            s.push(uint(r, enc, false)?);
        }
        for _ in 0..rank {
            e.push(uint(r, enc, false)?);
        }
        out.push((s, e));
    }
    Ok(Selection::Blocks(out))
}

fn regular(r: &mut Reader, enc: usize, rank: u64) -> Result<Selection> {
    check_count(r, 1, rank)?;
    let mut dims = Vec::new();
    for _ in 0..rank {
        let start = uint(r, enc, false)?;
        let stride = uint(r, enc, false)?;
        let count = uint(r, enc, true)?;
        let block = uint(r, enc, true)?;
        dims.push(RegularDim { start, stride, count, block });
    }
    Ok(Selection::Regular(dims))
}

/// Decodes one encoded selection (spec VIII "Dataspace Selection": selection type, version,
/// then the type's fields), leaving `r` after it.
pub fn decode_selection(r: &mut Reader) -> Result<Selection> {
    let sel_type = r.u32()?;
    match sel_type {
        0 | 3 => {
            let _version = r.u32()?;
            r.bytes(8)?;
            Ok(if sel_type == 0 { Selection::None } else { Selection::All })
        }
        1 => {
            let version = r.u32()?;
            let (enc, rank, n) = match version {
                1 => {
                    let _reserved = r.u32()?;
                    let _length = r.u32()?;
                    let rank = u64::from(r.u32()?);
                    (4usize, rank, u64::from(r.u32()?))
                }
                2 => {
                    let enc = usize::from(r.u8()?);
                    let rank = u64::from(r.u32()?);
                    (enc, rank, uint(r, enc, false)?)
                }
                v => return Err(r.error(format!("unknown point selection version {}", v))),
            };
            check_enc(r, enc)?;
            check_count(r, n, rank)?;
            let mut pts = Vec::new();
            for _ in 0..n {
                let mut c = Vec::new();
                for _ in 0..rank {
                    c.push(uint(r, enc, false)?);
                }
                pts.push(c);
            }
            Ok(Selection::Points(pts))
        }
        2 => match r.u32()? {
            1 => {
                let _reserved = r.u32()?;
                let _length = r.u32()?;
                let rank = u64::from(r.u32()?);
                let n = u64::from(r.u32()?);
                blocks(r, 4, rank, n)
            }
            2 => {
                let _flags = r.u8()?;
                let _length = r.u32()?;
                let rank = u64::from(r.u32()?);
                regular(r, 8, rank)
            }
            3 => {
                let flags = r.u8()?;
                let enc = usize::from(r.u8()?);
                check_enc(r, enc)?;
                let rank = u64::from(r.u32()?);
                if flags & 1 != 0 {
                    regular(r, enc, rank)
                } else {
                    let n = uint(r, enc, false)?;
                    blocks(r, enc, rank, n)
                }
            }
            v => Err(r.error(format!("unknown hyperslab selection version {}", v))),
        },
        t => Err(r.error(format!("unknown selection type {}", t))),
    }
}

fn check_enc(r: &Reader, enc: usize) -> Result<()> {
    if matches!(enc, 2 | 4 | 8) {
        Ok(())
    } else {
        Err(r.error(format!("selection encoding size {} is not 2, 4 or 8", enc)))
    }
}

/// Decodes the global heap block of a virtual layout (spec III.F): (block version, mappings).
pub fn decode_mappings(data: &[u8], address: u64, sizes: h5kit_core::Sizes) -> Result<(u8, Vec<Mapping>)> {
    let mut r = Reader::new(data, address, sizes);
    let version = r.u8()?;
    if version > 1 {
        return Err(r.error(format!("unknown virtual dataset global heap block version {}", version)));
    }
    let n = r.length()?;
    if n > MAX_ITEMS {
        return Err(r.error(format!("{} virtual mappings is too many", n)));
    }
    let mut out: Vec<Mapping> = Vec::new();
    for _ in 0..n {
        let flags = if version >= 1 { r.u8()? } else { 0 };
        let shared = |r: &mut Reader, out: &[Mapping], what: &str| -> Result<usize> {
            let i = r.length()?;
            usize::try_from(i)
                .ok()
                .filter(|&i| i < out.len())
                .ok_or_else(|| r.error(format!("shared {} index {} does not name an earlier mapping", what, i)))
        };
        let file = if flags & 4 != 0 {
            ".".to_string()
        } else if flags & 1 != 0 {
            let i = shared(&mut r, &out, "source file name")?;
            out.get(i).map(|m| m.file.clone()).unwrap_or_default()
        } else {
            String::from_utf8_lossy(r.cstr()?).into_owned()
        };
        let dataset = if flags & 2 != 0 {
            let i = shared(&mut r, &out, "source dataset name")?;
            out.get(i).map(|m| m.dataset.clone()).unwrap_or_default()
        } else {
            String::from_utf8_lossy(r.cstr()?).into_owned()
        };
        let source = decode_selection(&mut r)?;
        let virtual_selection = decode_selection(&mut r)?;
        out.push(Mapping { file, dataset, source, virtual_selection });
    }
    Ok((version, out))
}

/// Per-dimension coordinate lists of a regular hyperslab, clipped to `dims` (unlimited
/// counts or blocks run to the extent).
fn regular_positions(d: &[RegularDim], dims: &[u64], limit: u64) -> Result<Vec<Vec<u64>>> {
    let mut out = Vec::with_capacity(d.len());
    for (k, rd) in d.iter().enumerate() {
        let extent = dims.get(k).copied().unwrap_or(0);
        let stride = rd.stride.max(1);
        let mut v = Vec::new();
        let mut i = 0u64;
        'blocks: while rd.count == UNLIMITED || i < rd.count {
            let Some(b0) = i.checked_mul(stride).and_then(|x| x.checked_add(rd.start)) else {
                break;
            };
            if b0 >= extent {
                break;
            }
            let mut j = 0u64;
            while rd.block == UNLIMITED || j < rd.block {
                let Some(p) = b0.checked_add(j) else {
                    break 'blocks;
                };
                if p >= extent {
                    break;
                }
                v.push(p);
                if v.len() as u64 > limit {
                    return Err(Error::limit(0, "virtual selection has too many coordinates"));
                }
                j += 1;
            }
            i += 1;
        }
        // Overlapping blocks (block > stride) select a position once.
        v.sort_unstable();
        v.dedup();
        out.push(v);
    }
    Ok(out)
}

/// The selected points of `sel` over a dataspace of `dims`, flattened (`rank` coordinates each),
/// in libhdf5's iteration order (row-major; points in stored order), clipped to `dims`.
fn points(sel: &Selection, dims: &[u64], limit: u64) -> Result<Vec<u64>> {
    let rank = dims.len();
    let too_many = || Error::limit(0, "virtual selection has too many points");
    match sel {
        Selection::None => Ok(Vec::new()),
        Selection::All => {
            let all: Vec<RegularDim> =
                dims.iter().map(|_| RegularDim { start: 0, stride: 1, count: 1, block: UNLIMITED }).collect();
            product(&regular_positions(&all, dims, limit)?, limit)
        }
        Selection::Regular(d) => {
            if d.len() != rank {
                return Err(Error::format(0, "hyperslab rank differs from the dataspace rank"));
            }
            product(&regular_positions(d, dims, limit)?, limit)
        }
        Selection::Points(p) => {
            let mut out = Vec::new();
            for c in p {
                if c.len() != rank {
                    return Err(Error::format(0, "point rank differs from the dataspace rank"));
                }
                out.extend_from_slice(c);
                if out.len() as u64 > limit.saturating_mul(rank as u64) {
                    return Err(too_many());
                }
            }
            Ok(out)
        }
        Selection::Blocks(b) => {
            let mut pts: Vec<Vec<u64>> = Vec::new();
            for (s, e) in b {
                if s.len() != rank || e.len() != rank {
                    return Err(Error::format(0, "hyperslab block rank differs from the dataspace rank"));
                }
                let d: Vec<RegularDim> = s
                    .iter()
                    .zip(e)
                    .map(|(&a, &z)| RegularDim {
                        start: a,
                        stride: 1,
                        count: 1,
                        block: z.saturating_sub(a).saturating_add(1),
                    })
                    .collect();
                let flat = product(&regular_positions(&d, dims, limit)?, limit)?;
                for c in flat.chunks(rank.max(1)) {
                    pts.push(c.to_vec());
                }
                if pts.len() as u64 > limit {
                    return Err(too_many());
                }
            }
            pts.sort_unstable();
            pts.dedup();
            Ok(pts.concat())
        }
    }
}

/// Row-major cartesian product of per-dimension coordinates, flattened.
fn product(pos: &[Vec<u64>], limit: u64) -> Result<Vec<u64>> {
    let rank = pos.len();
    let n = pos
        .iter()
        .try_fold(1u64, |a, v| a.checked_mul(v.len() as u64))
        .ok_or_else(|| Error::limit(0, "selection size overflows"))?;
    if rank == 0 || n == 0 {
        return Ok(Vec::new());
    }
    if n > limit {
        return Err(Error::limit(0, format!("virtual selection of {} points exceeds the limit", n)));
    }
    let mut out = Vec::with_capacity((n as usize).saturating_mul(rank));
    let mut idx = vec![0usize; rank];
    // `idx` and `pos` have `rank` entries; the odometer keeps `idx[d] < pos[d].len()`.
    #[allow(clippy::indexing_slicing)]
    for _ in 0..n {
        for (d, v) in pos.iter().enumerate() {
            out.push(v.get(idx[d]).copied().unwrap_or(0));
        }
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < pos[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(out)
}

fn linear(c: &[u64], dims: &[u64]) -> Option<u64> {
    let mut lin = 0u64;
    for (x, d) in c.iter().zip(dims) {
        if x >= d {
            return None;
        }
        lin = lin.checked_mul(*d)?.checked_add(*x)?;
    }
    Some(lin)
}

/// Substitutes printf-style `%b` (block number) and `%%` in a source name.
fn printf_name(name: &str, block: u64) -> String {
    let mut out = String::new();
    let mut it = name.chars().peekable();
    while let Some(c) = it.next() {
        if c == '%' {
            match it.peek() {
                Some('b') => {
                    it.next();
                    out.push_str(&block.to_string());
                    continue;
                }
                Some('%') => {
                    it.next();
                    out.push('%');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

fn is_printf(name: &str) -> bool {
    name.replace("%%", "").contains("%b")
}

/// Opens source files once per read.
struct Sources {
    this: File,
    dir: Option<PathBuf>,
    files: HashMap<String, Option<File>>,
}

impl Sources {
    fn file(&mut self, name: &str) -> Option<File> {
        if name == "." {
            return Some(self.this.clone());
        }
        if let Some(f) = self.files.get(name) {
            return f.clone();
        }
        let p = Path::new(name);
        let mut candidates = Vec::new();
        if p.is_relative() {
            if let Some(d) = &self.dir {
                candidates.push(d.join(p));
            }
        }
        candidates.push(p.to_path_buf());
        let f = candidates.into_iter().find_map(|c| File::open(c).ok());
        self.files.insert(name.to_string(), f.clone());
        f
    }

    fn dataset(&mut self, file: &str, path: &str) -> Option<Dataset> {
        let f = self.file(file)?;
        match f.object(path).ok()? {
            Object::Dataset(d) => Some(d),
            _ => None,
        }
    }
}

/// Copies a source dataset's selected elements onto the virtual points `vpts` (flattened,
/// rank of `vdims`) of `out`, pairing them in order.
#[allow(clippy::too_many_arguments)]
fn copy_mapping(
    vtype: &h5kit_object_header::Datatype,
    src: &Dataset,
    ssel: &Selection,
    vpts: &[u64],
    vdims: &[u64],
    out: &mut [u8],
    es: usize,
    limit: u64,
) -> Result<()> {
    let same_type = src.datatype().size as usize == es && src.datatype().class == vtype.class;
    let sdims = src.shape().to_vec();
    let srank = sdims.len();
    let vrank = vdims.len();
    let spts = points(ssel, &sdims, limit)?;
    if srank == 0 || vrank == 0 || spts.is_empty() || vpts.is_empty() {
        return Ok(());
    }
    // Read the source's bounding box of the selected points.
    let mut lo = vec![u64::MAX; srank];
    let mut hi = vec![0u64; srank];
    // `points` returns whole points: `spts` is a multiple of `srank` long, `lo`/`hi` have
    // `srank` entries.
    #[allow(clippy::indexing_slicing)]
    for c in spts.chunks(srank) {
        for d in 0..srank {
            lo[d] = lo[d].min(c[d]);
            hi[d] = hi[d].max(c[d]);
        }
    }
    let count: Vec<u64> = lo.iter().zip(&hi).map(|(l, h)| h.saturating_sub(*l).saturating_add(1)).collect();
    let block = src.read_raw_selection(&crate::Hyperslab::new(&lo, &count))?;
    // A source of another numeric type is converted as libhdf5 does.
    let block = if same_type {
        block
    } else {
        crate::typed::convert_to_type(&block, src.datatype(), vtype)
            .map_err(|e| Error::unsupported(src.address(), format!("source dataset {}: {}", src.path(), e.message)))?
    };
    let mut rel = vec![0u64; srank];
    for (sc, vc) in spts.chunks(srank).zip(vpts.chunks(vrank)) {
        for ((r, s), l) in rel.iter_mut().zip(sc).zip(&lo) {
            *r = s.saturating_sub(*l);
        }
        let (Some(si), Some(vi)) = (linear(&rel, &count), linear(vc, vdims)) else {
            continue;
        };
        let (Some(so), Some(vo)) = ((si as usize).checked_mul(es), (vi as usize).checked_mul(es)) else {
            continue;
        };
        if let (Some(s), Some(d)) = (block.get(so..so.saturating_add(es)), out.get_mut(vo..vo.saturating_add(es))) {
            d.copy_from_slice(s);
        }
    }
    Ok(())
}

/// Whether a regular selection has an unlimited count or block; returns that dimension.
fn unlimited_dim(sel: &Selection) -> Option<usize> {
    match sel {
        Selection::Regular(d) => d.iter().position(|x| x.count == UNLIMITED || x.block == UNLIMITED),
        _ => None,
    }
}

/// Number of selected positions along dimension `k` of a regular selection clipped to `dims`.
/// Counted arithmetically (source extents can be huge).
fn positions_along(sel: &Selection, dims: &[u64], k: usize, _limit: u64) -> Result<u64> {
    let (Selection::Regular(d), Some(extent)) = (sel, dims.get(k)) else { return Ok(0) };
    let Some(rd) = d.get(k) else { return Ok(0) };
    Ok(count_positions(rd, *extent))
}

/// Number of positions of one regular hyperslab dimension below `extent`.
fn count_positions(rd: &RegularDim, extent: u64) -> u64 {
    if extent <= rd.start || rd.count == 0 || rd.block == 0 {
        return 0;
    }
    let len = extent - rd.start;
    if rd.block == UNLIMITED {
        return len;
    }
    let s = rd.stride.max(1);
    // block starts below the extent, capped by the count
    let mut nb = len / s + u64::from(!len.is_multiple_of(s));
    if rd.count != UNLIMITED {
        nb = nb.min(rd.count);
    }
    // overlapping blocks (block > stride) cover the stride between starts
    let b = if nb > 1 { rd.block.min(s) } else { rd.block };
    let last_start = (nb - 1).saturating_mul(s);
    (nb - 1).saturating_mul(b).saturating_add(rd.block.min(len - last_start))
}

/// Keeps the first `n` positions along dimension `k` of a regular selection: a finite
/// selection with the same start and stride (libhdf5's "clip extent match").
fn clip_virtual(d: &[RegularDim], k: usize, n: u64) -> Vec<RegularDim> {
    let mut out = d.to_vec();
    if let Some(rd) = out.get_mut(k) {
        if rd.block == UNLIMITED {
            rd.block = n;
            rd.count = 1;
        } else if let (Some(full), Some(rest)) = (n.checked_div(rd.block), n.checked_rem(rd.block)) {
            // A partial last block: the pairing stops at the last source element.
            rd.count = if rest == 0 { full } else { full.saturating_add(1) };
        } else {
            rd.count = 0;
        }
    }
    out
}

/// Reads every element of a virtual dataset, row-major, in the file's datatype encoding.
pub(crate) fn read_all(ds: &Dataset) -> Result<Vec<u8>> {
    let depth = NESTING.with(|n| n.get());
    if depth >= MAX_NESTING {
        return Err(Error::limit(ds.address(), "virtual datasets nested deeper than 16 (a cycle?)"));
    }
    NESTING.with(|n| n.set(depth + 1));
    let r = read_all_inner(ds);
    NESTING.with(|n| n.set(depth));
    r
}

fn fill_bytes(ds: &Dataset, es: usize) -> Vec<u8> {
    match ds.fill_value() {
        Some(f) if f.defined => match &f.value {
            Some(v) if v.len() == es => v.clone(),
            _ => vec![0; es],
        },
        _ => vec![0; es],
    }
}

fn read_all_inner(ds: &Dataset) -> Result<Vec<u8>> {
    let Layout::Virtual { heap_address, heap_index } = &ds.layout().layout else {
        return Err(Error::usage("not a virtual dataset"));
    };
    let inner = ds.core.file.clone();
    let es = ds.datatype().size as usize;
    let n = ds.dataspace().element_count().ok_or_else(|| Error::format(ds.address(), "dataset size overflows"))?;
    let total = n.checked_mul(es as u64).ok_or_else(|| Error::format(ds.address(), "dataset size overflows"))?;
    let total = inner.limits.check_alloc(total, ds.address(), "virtual dataset")?;
    let fill = fill_bytes(ds, es);
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        out.extend_from_slice(&fill);
    }
    out.truncate(total);
    if ds.dataspace().kind == h5kit_object_header::DataspaceKind::Null {
        return Ok(Vec::new());
    }
    let Some(addr) = heap_address else {
        return Ok(out);
    };
    let this = File::from_inner(inner.clone());
    let data = this.global_heap_object(*addr, *heap_index)?;
    let (_, maps) = decode_mappings(&data, *addr, inner.sizes())?;
    let vdims: Vec<u64> =
        if ds.dataspace().kind == h5kit_object_header::DataspaceKind::Scalar { vec![1] } else { ds.shape().to_vec() };
    // No mapping can pair more elements than the virtual dataset holds.
    let limit = inner.limits.max_items.min(n.max(1));
    let mut sources = Sources { this, dir: inner.dir.clone(), files: HashMap::new() };
    for m in &maps {
        let printf = is_printf(&m.file) || is_printf(&m.dataset);
        if printf {
            read_printf(ds.datatype(), m, &mut sources, &vdims, &mut out, es, limit)?;
            continue;
        }
        let Some(src) = sources.dataset(&m.file, &m.dataset) else {
            continue;
        };
        let vsel = match (unlimited_dim(&m.source), unlimited_dim(&m.virtual_selection), &m.virtual_selection) {
            (Some(sk), Some(vk), Selection::Regular(vd)) => {
                let n = positions_along(&m.source, src.shape(), sk, limit)?;
                Selection::Regular(clip_virtual(vd, vk, n))
            }
            _ => m.virtual_selection.clone(),
        };
        let vpts = points(&vsel, &vdims, limit)?;
        copy_mapping(ds.datatype(), &src, &m.source, &vpts, &vdims, &mut out, es, limit)?;
    }
    Ok(out)
}

/// A printf-style mapping: block `i` of the virtual selection's unlimited dimension takes the
/// whole source selection of the source named with `i`, for `i` = 0, 1, ... up to the first
/// source that cannot be opened or the first block beyond the virtual extent.
#[allow(clippy::too_many_arguments)]
fn read_printf(
    vtype: &h5kit_object_header::Datatype,
    m: &Mapping,
    sources: &mut Sources,
    vdims: &[u64],
    out: &mut [u8],
    es: usize,
    limit: u64,
) -> Result<()> {
    let (Some(k), Selection::Regular(vd)) = (unlimited_dim(&m.virtual_selection), &m.virtual_selection) else {
        return Err(Error::unsupported(0, "printf-style virtual mapping without an unlimited virtual hyperslab"));
    };
    let Some(rd) = vd.get(k).copied() else {
        return Ok(());
    };
    for i in 0..MAX_PRINTF_BLOCKS {
        let Some(start) = i.checked_mul(rd.stride.max(1)).and_then(|x| x.checked_add(rd.start)) else {
            break;
        };
        if start >= vdims.get(k).copied().unwrap_or(0) {
            break;
        }
        let (file, dataset) = (printf_name(&m.file, i), printf_name(&m.dataset, i));
        let Some(src) = sources.dataset(&file, &dataset) else {
            break;
        };
        let mut one = vd.clone();
        if let Some(x) = one.get_mut(k) {
            *x = RegularDim { start, stride: 1, count: 1, block: if rd.block == UNLIMITED { 1 } else { rd.block } };
        }
        let vpts = points(&Selection::Regular(one), vdims, limit)?;
        copy_mapping(vtype, &src, &m.source, &vpts, vdims, out, es, limit)?;
    }
    Ok(())
}

/// Reads a hyperslab of a virtual dataset (through a full read).
pub(crate) fn read_selection(ds: &Dataset, selection: &crate::Hyperslab) -> Result<Vec<u8>> {
    let full = read_all(ds)?;
    let dims = ds.shape().to_vec();
    let es = ds.datatype().size as usize;
    let rank = dims.len();
    let sel: Vec<RegularDim> = (0..rank)
        .map(|d| RegularDim {
            start: selection.start.get(d).copied().unwrap_or(0),
            stride: selection.stride.get(d).copied().unwrap_or(1),
            count: selection.count.get(d).copied().unwrap_or(0),
            block: selection.block.get(d).copied().unwrap_or(1),
        })
        .collect();
    // Hyperslab blocks in selection order (row-major over the selection's shape).
    let mut pos = Vec::with_capacity(rank);
    for (d, rd) in sel.iter().enumerate() {
        let mut v = Vec::new();
        for i in 0..rd.count {
            for j in 0..rd.block {
                let p = i
                    .checked_mul(rd.stride.max(1))
                    .and_then(|x| x.checked_add(rd.start))
                    .and_then(|x| x.checked_add(j))
                    .filter(|&p| p < dims.get(d).copied().unwrap_or(0))
                    .ok_or_else(|| Error::usage("selection outside the dataset's extent"))?;
                v.push(p);
                if v.len() as u64 > ds.core.file.limits.max_items {
                    return Err(Error::limit(0, "selection too large"));
                }
            }
        }
        pos.push(v);
    }
    let pts = product(&pos, ds.core.file.limits.max_items)?;
    let mut out = Vec::with_capacity(pts.len() / rank.max(1) * es);
    for c in pts.chunks(rank.max(1)) {
        let i = linear(c, &dims).ok_or_else(|| Error::usage("selection outside the dataset's extent"))?;
        let o = (i as usize).saturating_mul(es);
        out.extend_from_slice(
            full.get(o..o.saturating_add(es)).ok_or_else(|| Error::format(ds.address(), "selection outside data"))?,
        );
    }
    Ok(out)
}

impl Dataset {
    /// The mappings of a virtual dataset (spec III.F), or an empty list for other layouts.
    pub fn virtual_mappings(&self) -> Result<Vec<Mapping>> {
        let Layout::Virtual { heap_address: Some(addr), heap_index } = &self.layout().layout else {
            return Ok(Vec::new());
        };
        let inner = self.core.file.clone();
        let this = File::from_inner(inner.clone());
        let data = this.global_heap_object(*addr, *heap_index)?;
        Ok(decode_mappings(&data, *addr, inner.sizes())?.1)
    }
}

/// Position of the `i`-th selected coordinate along one regular hyperslab dimension.
fn nth_position(rd: &RegularDim, i: u64) -> Option<u64> {
    if rd.block == UNLIMITED {
        return rd.start.checked_add(i);
    }
    let b = rd.block.max(1);
    let (q, r) = (i / b, i % b);
    q.checked_mul(rd.stride.max(1))?.checked_add(rd.start)?.checked_add(r)
}

/// Highest coordinate + 1 along dimension `k` of a (finite) selection, `all` for "all".
fn bound_along(sel: &Selection, k: usize, all: u64) -> u64 {
    match sel {
        Selection::None => 0,
        Selection::All => all,
        Selection::Points(p) => p.iter().filter_map(|c| c.get(k)).map(|x| x.saturating_add(1)).max().unwrap_or(0),
        Selection::Blocks(b) => b.iter().filter_map(|(_, e)| e.get(k)).map(|x| x.saturating_add(1)).max().unwrap_or(0),
        Selection::Regular(d) => d
            .get(k)
            .map(|rd| {
                if rd.count == 0 || rd.block == 0 {
                    0
                } else if rd.count == UNLIMITED || rd.block == UNLIMITED {
                    UNLIMITED
                } else {
                    (rd.count - 1).saturating_mul(rd.stride.max(1)).saturating_add(rd.start).saturating_add(rd.block)
                }
            })
            .unwrap_or(0),
    }
}

/// The current extent of a virtual dataset with unlimited mappings, as libhdf5 computes it for
/// its default view (`H5D_VDS_LAST_AVAILABLE`): along each dimension where a virtual
/// selection is unlimited, one past the last element any mapping reaches given the sources'
/// current extents (printf-style mappings: the blocks up to the first missing source). `None`
/// when the dataset has no unlimited mapping (the stored dimensions stand) or on any error.
pub(crate) fn current_extent(ds: &Dataset) -> Option<Vec<u64>> {
    if !matches!(ds.layout().layout, Layout::Virtual { .. }) {
        return None;
    }
    // Opening a source opens its extent too: bound the chain (a dataset mapping itself).
    let depth = NESTING.with(|n| n.get());
    if depth >= MAX_NESTING {
        return None;
    }
    NESTING.with(|n| n.set(depth + 1));
    let r = current_extent_inner(ds);
    NESTING.with(|n| n.set(depth));
    r
}

fn current_extent_inner(ds: &Dataset) -> Option<Vec<u64>> {
    let maps = ds.virtual_mappings().ok()?;
    let stored = ds.shape().to_vec();
    let unlimited: Vec<usize> = maps.iter().filter_map(|m| unlimited_dim(&m.virtual_selection)).collect();
    if unlimited.is_empty() {
        return None;
    }
    let inner = ds.core.file.clone();
    let limit = inner.limits.max_items;
    let this = File::from_inner(inner.clone());
    let mut sources = Sources { this, dir: inner.dir.clone(), files: HashMap::new() };
    let mut dims = stored.clone();
    for (k, dim) in dims.iter_mut().enumerate() {
        if !unlimited.contains(&k) {
            continue;
        }
        let mut extent = 0u64;
        for m in &maps {
            let reach = match (unlimited_dim(&m.virtual_selection), &m.virtual_selection) {
                (Some(vk), Selection::Regular(vd)) if vk == k => {
                    let rd = vd.get(k)?;
                    if is_printf(&m.file) || is_printf(&m.dataset) {
                        let mut found = 0u64;
                        while found < MAX_PRINTF_BLOCKS
                            && sources.dataset(&printf_name(&m.file, found), &printf_name(&m.dataset, found)).is_some()
                        {
                            found += 1;
                        }
                        if found == 0 {
                            0
                        } else {
                            let block = if rd.block == UNLIMITED { 1 } else { rd.block };
                            (found - 1).checked_mul(rd.stride.max(1))?.checked_add(rd.start)?.checked_add(block)?
                        }
                    } else {
                        let n = match (sources.dataset(&m.file, &m.dataset), unlimited_dim(&m.source)) {
                            (Some(src), Some(sk)) => positions_along(&m.source, src.shape(), sk, limit).ok()?,
                            _ => 0,
                        };
                        if n == 0 {
                            0
                        } else {
                            nth_position(rd, n - 1)?.checked_add(1)?
                        }
                    }
                }
                _ => bound_along(&m.virtual_selection, k, *dim),
            };
            extent = extent.max(reach);
        }
        if extent != UNLIMITED {
            *dim = extent;
        }
    }
    (dims != stored).then_some(dims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rd(start: u64, stride: u64, count: u64, block: u64) -> RegularDim {
        RegularDim { start, stride, count, block }
    }

    #[test]
    fn counted_positions_match_the_enumeration() {
        let cases = [
            rd(0, 2, UNLIMITED, 1),
            rd(1, 3, UNLIMITED, 2),
            rd(0, 1, 1, UNLIMITED),
            rd(2, 4, 3, 3),
            rd(0, 2, 5, 3), // overlapping blocks
            rd(5, 1, 2, 2),
            rd(0, 3, UNLIMITED, 5),
        ];
        for c in cases {
            for extent in 0..30 {
                let listed = regular_positions(&[c], &[extent], 1 << 20).unwrap()[0].len() as u64;
                assert_eq!(count_positions(&c, extent), listed, "{:?} extent {}", c, extent);
            }
        }
        // a huge source extent is counted, not listed
        assert_eq!(count_positions(&rd(0, 2, UNLIMITED, 1), 1 << 62), 1 << 61);
    }

    #[test]
    fn hostile_selections_are_errors_not_panics() {
        let sizes = h5kit_core::Sizes::new(8, 8).unwrap();
        // hyperslab v3 regular, encode size 8, rank 1, all-ones fields
        let mut b = vec![2, 0, 0, 0, 3, 0, 0, 0, 1, 8, 1, 0, 0, 0];
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&[0xff; 24]);
        let mut r = Reader::new(&b, 0, sizes);
        let sel = decode_selection(&mut r).unwrap();
        assert_eq!(sel, Selection::Regular(vec![rd(0, u64::MAX, UNLIMITED, UNLIMITED)]));
        assert!(points(&sel, &[u64::MAX], 1000).is_err());
        assert_eq!(points(&sel, &[3], 1000).unwrap(), vec![0, 1, 2]);
        // a block list claiming 2^40 blocks
        let mut b = vec![2, 0, 0, 0, 3, 0, 0, 0, 0, 8, 1, 0, 0, 0];
        b.extend_from_slice(&(1u64 << 40).to_le_bytes());
        assert!(decode_selection(&mut Reader::new(&b, 0, sizes)).is_err());
        // unknown selection type and truncated input
        assert!(decode_selection(&mut Reader::new(&[9, 0, 0, 0, 1, 0, 0, 0], 0, sizes)).is_err());
        assert!(decode_selection(&mut Reader::new(&[2, 0, 0, 0], 0, sizes)).is_err());
        // mapping block: shared-name index beyond the earlier mappings
        let mut b = vec![1];
        b.extend_from_slice(&1u64.to_le_bytes());
        b.push(1);
        b.extend_from_slice(&5u64.to_le_bytes());
        assert!(decode_mappings(&b, 0, sizes).is_err());
        assert_eq!(printf_name("d%b_%%b", 12), "d12_%b");
        assert!(is_printf("x%b") && !is_printf("x%%b"));
    }
}

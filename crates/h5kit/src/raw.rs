//! Raw data reads (spec IV.A.2.i "The Data Layout Message", VII "Types of Indexes for
//! Dataset Chunks"): compact, contiguous and chunked storage with every chunk index, unallocated
//! storage read as the fill value, and hyperslab selections that touch only the chunks they
//! intersect.

use std::collections::HashMap;

use h5kit_core::{Context, Error, Result};
use h5kit_object_header::{Dataspace, FillValue, FilterPipeline, Layout, LayoutMessage};

/// Where one chunk is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkLocation {
    pub address: u64,
    /// Stored (possibly filtered) size in bytes.
    pub size: u64,
    pub filter_mask: u32,
}

/// Everything a read needs to know about one dataset's storage.
pub(crate) struct Storage<'a> {
    pub ctx: Context<'a>,
    pub layout: &'a LayoutMessage,
    pub dataspace: &'a Dataspace,
    pub element_size: usize,
    pub filters: Option<&'a FilterPipeline>,
    pub fill: Option<&'a FillValue>,
}

/// One selected range per dimension: `start`, `count` points `stride` apart, each a `block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperslab {
    pub start: Vec<u64>,
    pub stride: Vec<u64>,
    pub count: Vec<u64>,
    pub block: Vec<u64>,
}

impl Hyperslab {
    /// A contiguous box: `count[d]` elements from `start[d]`.
    pub fn new(start: &[u64], count: &[u64]) -> Hyperslab {
        Hyperslab { start: start.to_vec(), stride: vec![1; start.len()], count: count.to_vec(), block: vec![1; start.len()] }
    }
    /// The shape of the selection (count x block per dimension).
    pub fn shape(&self) -> Vec<u64> {
        self.count.iter().zip(&self.block).map(|(c, b)| c.saturating_mul(*b)).collect()
    }
}

fn product(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d))
}

/// Bytes a chunk occupies before filtering.
fn chunk_bytes(chunk_dims: &[u64], element_size: usize) -> Option<u64> {
    product(chunk_dims)?.checked_mul(element_size as u64)
}

impl<'a> Storage<'a> {
    fn fill_element(&self) -> Vec<u8> {
        match self.fill.and_then(|f| f.value.as_ref()) {
            Some(v) if v.len() == self.element_size => v.clone(),
            _ => vec![0u8; self.element_size],
        }
    }

    fn element_count(&self) -> Result<u64> {
        self.dataspace.element_count().ok_or_else(|| Error::format(0, "dataspace element count overflows"))
    }

    /// The allocated chunks, keyed by scaled chunk coordinates (chunk offset / chunk dims).
    pub fn chunk_map(&self) -> Result<HashMap<Vec<u64>, ChunkLocation>> {
        let Layout::Chunked { chunk_dims, .. } = &self.layout.layout else {
            return Ok(HashMap::new());
        };
        if chunk_dims.iter().any(|&d| d == 0) {
            return Err(Error::format(0, "chunk dimension of size 0"));
        }
        let filtered = self.filters.map(|f| !f.filters.is_empty()).unwrap_or(false);
        let mut map = HashMap::new();
        for c in h5kit_dataset::read::chunk_locations(self.ctx, self.layout, self.dataspace, self.element_size, filtered)? {
            let coords = c.offsets.iter().zip(chunk_dims).map(|(o, d)| o / d).collect();
            map.insert(coords, ChunkLocation { address: c.address, size: c.size, filter_mask: c.filter_mask });
        }
        Ok(map)
    }

    /// Reads and unfilters one chunk; `None` when it is not allocated.
    fn chunk_data(&self, loc: &ChunkLocation, unfiltered: usize, unfiltered_edge: bool) -> Result<Vec<u8>> {
        let stored = if unfiltered_edge { unfiltered as u64 } else { loc.size };
        let raw = self.ctx.read(loc.address, stored, "chunk")?.into_owned();
        let data = match self.filters {
            Some(f) if !f.filters.is_empty() && !unfiltered_edge => {
                h5kit_dataset::decode_pipeline(f, loc.filter_mask, raw, self.element_size, self.ctx.limits, loc.address)?
            }
            _ => raw,
        };
        if data.len() < unfiltered {
            return Err(Error::format(loc.address, format!("chunk holds {} bytes, expected {}", data.len(), unfiltered)));
        }
        Ok(data)
    }

    /// The elements of a hyperslab selection, row-major over the selection's shape.
    pub fn read_selection(&self, sel: &Hyperslab) -> Result<Vec<u8>> {
        let dims = &self.dataspace.dims;
        let rank = dims.len();
        if sel.start.len() != rank || sel.count.len() != rank || sel.stride.len() != rank || sel.block.len() != rank {
            return Err(Error::usage(format!("selection rank differs from dataset rank {}", rank)));
        }
        // Selected coordinates per dimension.
        let mut coords: Vec<Vec<u64>> = Vec::with_capacity(rank);
        for d in 0..rank {
            let (s, st, c, b) = (sel.start[d], sel.stride[d].max(1), sel.count[d], sel.block[d]);
            if b > st && c > 1 {
                return Err(Error::usage("hyperslab blocks overlap (block larger than stride)"));
            }
            let mut v = Vec::new();
            for i in 0..c {
                for j in 0..b {
                    let x = i.checked_mul(st).and_then(|o| o.checked_add(s)).and_then(|o| o.checked_add(j));
                    match x {
                        Some(x) if x < dims[d] => v.push(x),
                        _ => return Err(Error::usage(format!("selection exceeds dimension {} of size {}", d, dims[d]))),
                    }
                }
            }
            coords.push(v);
        }
        let out_elems = coords.iter().try_fold(1u64, |a, v| a.checked_mul(v.len() as u64)).ok_or_else(|| Error::usage("selection too large"))?;
        let es = self.element_size;
        let out_bytes = out_elems.checked_mul(es as u64).ok_or_else(|| Error::usage("selection too large"))?;
        let out_len = self.ctx.limits.check_alloc(out_bytes, 0, "dataset read")?;
        let mut out = vec![0u8; out_len];
        let fill = self.fill_element();
        if fill.iter().any(|&b| b != 0) {
            for chunk in out.chunks_exact_mut(es.max(1)) {
                chunk.copy_from_slice(&fill);
            }
        }
        if out_len == 0 {
            return Ok(out);
        }
        // Output strides (in elements).
        let shape: Vec<usize> = coords.iter().map(|v| v.len()).collect();
        let mut out_stride = vec![1usize; rank];
        for d in (0..rank.saturating_sub(1)).rev() {
            out_stride[d] = out_stride[d + 1] * shape[d + 1];
        }
        match &self.layout.layout {
            Layout::Compact { data } => self.copy_from_block(data, dims, &coords, &out_stride, &mut out, None),
            Layout::Contiguous { address: None, .. } => Ok(()),
            Layout::Contiguous { address: Some(a), size } => {
                let total = self.element_count()?.checked_mul(es as u64).ok_or_else(|| Error::format(*a, "size overflows"))?;
                if *size < total {
                    return Err(Error::format(*a, format!("contiguous storage of {} bytes holds less than the {} the dataspace needs", size, total)));
                }
                // Whole dataset: one read; otherwise read only the rows needed.
                let data = self.ctx.read(*a, total, "contiguous raw data")?;
                self.copy_from_block(&data, dims, &coords, &out_stride, &mut out, None)
            }
            Layout::Chunked { chunk_dims, flags, .. } => {
                let no_edge_filter = flags & 1 != 0;
                let map = self.chunk_map()?;
                let unfiltered = chunk_bytes(chunk_dims, es).ok_or_else(|| Error::format(0, "chunk size overflows"))?;
                let unfiltered = usize::try_from(unfiltered).map_err(|_| Error::format(0, "chunk too large"))?;
                // Group selected coordinates by chunk along each dimension.
                let mut per_dim: Vec<Vec<(u64, Vec<(usize, u64)>)>> = Vec::with_capacity(rank);
                for d in 0..rank {
                    let mut groups: Vec<(u64, Vec<(usize, u64)>)> = Vec::new();
                    for (i, &x) in coords[d].iter().enumerate() {
                        let ci = x / chunk_dims[d];
                        match groups.last_mut() {
                            Some((c, v)) if *c == ci => v.push((i, x % chunk_dims[d])),
                            _ => groups.push((ci, vec![(i, x % chunk_dims[d])])),
                        }
                    }
                    per_dim.push(groups);
                }
                let mut idx = vec![0usize; rank];
                loop {
                    let key: Vec<u64> = (0..rank).map(|d| per_dim[d][idx[d]].0).collect();
                    if let Some(loc) = map.get(&key) {
                        let edge = key.iter().zip(chunk_dims).zip(dims).any(|((k, c), d)| k.saturating_add(1).saturating_mul(*c) > *d);
                        let data = self.chunk_data(loc, unfiltered, edge && no_edge_filter)?;
                        let parts: Vec<&[(usize, u64)]> = (0..rank).map(|d| &per_dim[d][idx[d]].1[..]).collect();
                        copy_points(&data, chunk_dims, &parts, &out_stride, &mut out, es);
                    }
                    // Advance the multi-index over chunk groups.
                    let mut d = rank;
                    loop {
                        if d == 0 {
                            return Ok(out);
                        }
                        d -= 1;
                        idx[d] += 1;
                        if idx[d] < per_dim[d].len() {
                            break;
                        }
                        idx[d] = 0;
                    }
                }
            }
            Layout::Virtual { .. } => Err(Error::new(h5kit_core::ErrorKind::Unsupported, "virtual dataset layout is not read yet")),
        }?;
        Ok(out)
    }

    /// Copies selected points out of a block holding the whole dataset (compact/contiguous).
    fn copy_from_block(
        &self,
        data: &[u8],
        dims: &[u64],
        coords: &[Vec<u64>],
        out_stride: &[usize],
        out: &mut [u8],
        _unused: Option<()>,
    ) -> Result<()> {
        let es = self.element_size;
        let needed = product(dims).and_then(|n| n.checked_mul(es as u64)).unwrap_or(u64::MAX);
        if (data.len() as u64) < needed {
            return Err(Error::format(0, format!("raw data holds {} bytes, the dataspace needs {}", data.len(), needed)));
        }
        if dims.is_empty() {
            out[..es].copy_from_slice(&data[..es]);
            return Ok(());
        }
        let parts: Vec<Vec<(usize, u64)>> = coords.iter().map(|v| v.iter().enumerate().map(|(i, &x)| (i, x)).collect()).collect();
        let parts_ref: Vec<&[(usize, u64)]> = parts.iter().map(|v| &v[..]).collect();
        copy_points(data, dims, &parts_ref, out_stride, out, es);
        Ok(())
    }
}

/// Copies the points `parts[d]` = (output index, index within block) of a row-major block of
/// shape `block_dims` into `out`. Runs consecutive in both are copied at once.
fn copy_points(block: &[u8], block_dims: &[u64], parts: &[&[(usize, u64)]], out_stride: &[usize], out: &mut [u8], es: usize) {
    let rank = block_dims.len();
    if rank == 0 {
        return;
    }
    let mut in_stride = vec![1usize; rank];
    for d in (0..rank - 1).rev() {
        in_stride[d] = in_stride[d + 1] * block_dims[d + 1] as usize;
    }
    let last = parts[rank - 1];
    // Split the last dimension into runs consecutive in input and output.
    let mut runs: Vec<(usize, usize, usize)> = Vec::new(); // (out idx, in idx, len)
    for &(o, i) in last {
        let i = i as usize;
        match runs.last_mut() {
            Some((ro, ri, len)) if *ro + *len == o && *ri + *len == i => *len += 1,
            _ => runs.push((o, i, 1)),
        }
    }
    let mut idx = vec![0usize; rank.saturating_sub(1)];
    loop {
        let mut out_base = 0usize;
        let mut in_base = 0usize;
        for d in 0..rank - 1 {
            let (o, i) = parts[d][idx[d]];
            out_base += o * out_stride[d];
            in_base += i as usize * in_stride[d];
        }
        for &(o, i, len) in &runs {
            let src = (in_base + i) * es;
            let dst = (out_base + o) * es;
            if let (Some(s), Some(dd)) = (block.get(src..src + len * es), out.get_mut(dst..dst + len * es)) {
                dd.copy_from_slice(s);
            }
        }
        let mut d = rank - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < parts[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
}


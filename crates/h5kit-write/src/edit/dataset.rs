//! Datasets edited in place (spec IV.A.2.b dataspace, IV.A.2.i layout version 3, III.A.1
//! v1 B-trees of type 1): raw data written where it lives.
//!
//! Contiguous data gets its block at the first write (libhdf5's late allocation) and is
//! written by positioned writes, row runs straight from the caller's buffer. Chunked data
//! goes through the dataset's [`ChunkCache`]: whole chunks are filtered (on every core when
//! filters apply), written into new space (or over their old bytes when unfiltered) and entered
//! in the v1 B-tree; the tree's nodes are written at the next flush.

use std::collections::HashMap;

use h5kit_btree::v1::{insert_chunk, read_chunk_node, read_chunk_records, ChunkInsertParams, ChunkKey, ChunkRecord, Node};
use h5kit_core::{Context, Error, Result};
use h5kit_dataset::filter::{decode_pipeline, encode_pipeline};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{
    AllocTime, ChunkIndex, Dataspace, DataspaceKind, Datatype, FillTime, FillValue, FilterPipeline, Layout, LayoutMessage,
    MaybeShared, Message, ReferenceKind, SharedLocation, TypeClass, UNLIMITED,
};

use super::relocate::Tree;
use super::{unsupported, Cached, Editor};
use crate::chunk_cache::{ChunkBackend, ChunkCache, ChunkGrid, ChunkToStore};
use crate::parallel::{run_in_order, worker_count, PARALLEL_MIN_BYTES};
use crate::{check_spec, sat_prod, DatasetSpec, LayoutKind};

/// Bytes of chunks a dataset's write-back cache holds (libhdf5's default is 1 MiB, h5py's
/// 2.x default larger; whole chunks never wait here).
pub const CHUNK_CACHE_BYTES: usize = 16 << 20;

/// Fill writes of a new contiguous block go in pieces of this many bytes.
const FILL_PIECE: usize = 8 << 20;

pub(crate) struct Chunked {
    pub(super) chunk: Vec<u64>,
    pub(super) root: Option<u64>,
    pub(super) records: HashMap<Vec<u64>, ChunkRecord>,
    pub(super) pipeline: FilterPipeline,
    pub(super) cache: ChunkCache,
    /// A chunk index of the latest format (written whole at the flush when its chunks
    /// changed); `None` for the version 1 B-tree at `root`.
    pub(super) new_index: Option<super::chunk_index::IndexState>,
}

pub(crate) enum RawStorage {
    Contiguous { address: Option<u64>, size: u64 },
    Chunked(Box<Chunked>),
    /// Compact: the data lives in the layout message ([`super::compact`]).
    Compact,
}

/// A dataset open for writing.
pub(crate) struct DatasetEdit {
    pub(super) header: u64,
    pub(super) datatype: Datatype,
    pub(super) element_size: usize,
    pub(super) dims: Vec<u64>,
    max_dims: Option<Vec<u64>>,
    /// Version of the dataspace message (kept when the extent changes).
    space_version: u8,
    pub(super) fill: Vec<u8>,
    pub(super) storage: RawStorage,
    /// A null dataspace (`H5S_NULL`): no elements, nothing to write.
    pub(super) null: bool,
}


/// Whether values of `dt` can be written as plain bytes (no global heap). A top-level
/// reference type counts: its values are addresses or heap IDs the caller gives (raw bytes)
/// or `reference.rs` makes from paths. References nested in other types do not (a copy of
/// their raw bytes from another file would point at that file's objects).
pub(super) fn plain(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::Reference { kind } => matches!(kind, ReferenceKind::Object | ReferenceKind::DatasetRegion),
        _ => plain_values(dt),
    }
}

/// Whether `dt` holds neither variable-length data nor references, at any depth.
pub(super) fn plain_values(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. } | TypeClass::Reference { .. } => false,
        TypeClass::Compound { members } => members.iter().all(|m| plain_values(&m.datatype)),
        TypeClass::Array { base, .. } | TypeClass::Enum { base, .. } | TypeClass::Complex { base } => plain_values(base),
        _ => true,
    }
}

/// A write into a dataset with a null dataspace: nothing to write (no elements), as libhdf5's
/// `H5Dwrite` of a null selection; data given is an error.
fn null_write(path: &str, data: &[u8]) -> Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    Err(Error::usage(format!("data size mismatch: {} bytes given for a dataset with a null dataspace (no elements)", data.len())).in_object(path))
}

/// A contiguous block's address `a` put into the body of a version 3 layout message that
/// holds the undefined address and `size`: only the address bytes change (as the message's
/// encoder writes them: class 1, the address, the size). False, nothing changed, for any
/// other body.
fn patch_contiguous_address(body: &mut [u8], a: u64, size: u64, sizes: h5kit_core::Sizes) -> bool {
    let (o, l) = (usize::from(sizes.offset), usize::from(sizes.length));
    if body.len() != 2 + o + l || o == 0 || o > 8 || l > 8 || body.get(..2) != Some(&[3, 1][..]) {
        return false;
    }
    let (a_bytes, s_bytes) = (a.to_le_bytes(), size.to_le_bytes());
    let fits = |v: u64, n: usize| n == 8 || v >> (8 * n) == 0;
    let undefined = body.get(2..2 + o).is_some_and(|b| b.iter().all(|&x| x == 0xff));
    let same_size = fits(size, l) && body.get(2 + o..) == s_bytes.get(..l);
    if !undefined || !same_size || !fits(a, o) {
        return false;
    }
    match (body.get_mut(2..2 + o), a_bytes.get(..o)) {
        (Some(dst), Some(src)) => {
            dst.copy_from_slice(src);
            true
        }
        _ => false,
    }
}

/// The layout message (version 3, what the earliest format writes) holding `layout`.
fn layout_message(layout: Layout) -> Message {
    Message::Layout(LayoutMessage { version: 3, layout, stored_dims: Vec::new() })
}

impl Editor {
    /// Replaces the layout message of the dataset whose header is at `header` (when its
    /// storage is first allocated).
    pub(super) fn set_layout(&mut self, header: u64, layout: Layout) -> Result<()> {
        let sizes = self.sizes;
        let hdr = self.header(header)?;
        let i = hdr.find(msg_type::LAYOUT).ok_or_else(|| Error::usage("dataset without a layout message"))?;
        if let (Layout::Contiguous { address: Some(a), size }, Some(m)) = (&layout, hdr.header.messages.get_mut(i)) {
            if patch_contiguous_address(&mut m.data, *a, *size, sizes) {
                hdr.dirty = true;
                return Ok(());
            }
        }
        hdr.replace(i, &layout_message(layout), sizes)
    }

    /// Creates a dataset (contiguous or chunked; fixed-size datatypes without references).
    pub fn create_dataset(&mut self, path: &str, mut spec: DatasetSpec) -> Result<()> {
        // A committed datatype: the dataset's datatype message is shared, pointing at it.
        let committed = match spec.committed_type.take() {
            Some(p) => {
                let (t, dt) = self.committed_type(&p)?;
                spec.datatype = dt;
                Some(t)
            }
            None => {
                // Names inside the datatype, compound member layout (libhdf5's `H5Tinsert`).
                crate::check_datatype_names(&spec.datatype)?;
                None
            }
        };
        let ds = check_spec(spec)?;
        if !plain(&ds.dt) && !super::vlen::heap_values(&ds.dt) && !super::reference_nested::reference_values(&ds.dt) {
            return Err(unsupported("sequences of variable-length data, or revised references"));
        }
        let (parent, name) = self.parent_for_new(path)?;
        let dims = ds.shape.clone().unwrap_or_default();
        let element_size = ds.dt.size as usize;
        // The latest format's message versions (dataspace 2, fill value 3), as libhdf5 writes them.
        let space_version = if self.latest { 2 } else { 1 };
        let dataspace = Dataspace {
            version: space_version,
            kind: if ds.shape.is_some() { DataspaceKind::Simple } else { DataspaceKind::Scalar },
            dims: dims.clone(),
            max_dims: ds.maxshape.clone(),
        };
        let chunked = ds.layout == LayoutKind::Chunked;
        let fill = FillValue {
            version: if self.latest { 3 } else { 2 },
            alloc_time: if chunked {
                AllocTime::Incremental
            } else if ds.layout == LayoutKind::Compact {
                AllocTime::Early
            } else {
                AllocTime::Late
            },
            fill_time: FillTime::IfSet,
            // Defined: the given value, or the library default (zeros) as h5py writes it; an
            // undefined fill leaves unwritten elements undefined to libhdf5 1.10 (garbage).
            defined: true,
            value: ds.fill.clone(),
        };
        let bytes = sat_prod(&dims).saturating_mul(element_size as u64);
        // Files of the latest format: the chunk index libhdf5 1.10 picks (layout version 4).
        let new_index = match &ds.chunks {
            Some(c) if chunked && self.latest => super::chunk_index::pick(&dims, ds.maxshape.as_deref(), c).map(|index| {
                let index = match index {
                    ChunkIndex::SingleChunk { address, .. } if !ds.pipeline.filters.is_empty() => ChunkIndex::SingleChunk { address, filtered: Some((0, 0)) },
                    other => other,
                };
                // Layout flags bit 1: a single chunk that is filtered.
                let flags = if matches!(index, ChunkIndex::SingleChunk { filtered: Some(_), .. }) { 2 } else { 0 };
                let layout = Layout::Chunked { chunk_dims: c.clone(), element_size: ds.dt.size, index, flags };
                let max = ds.maxshape.clone().unwrap_or_else(|| dims.clone());
                super::chunk_index::IndexState::new(LayoutMessage { version: 4, layout, stored_dims: Vec::new() }, max)
            }),
            _ => None,
        };
        let layout = match &ds.chunks {
            Some(c) if chunked => Layout::Chunked {
                chunk_dims: c.clone(),
                element_size: ds.dt.size,
                index: ChunkIndex::BTreeV1 { address: None },
                flags: 0,
            },
            _ if ds.layout == LayoutKind::Compact => Layout::Compact { data: super::compact::initial_data(bytes, &ds.fill)? },
            _ => Layout::Contiguous { address: None, size: bytes },
        };
        let layout = match &new_index {
            Some(ix) => Message::Layout(ix.layout().clone()),
            None => layout_message(layout),
        };
        let datatype = match committed {
            Some(t) => Message::Datatype(MaybeShared::Shared(SharedLocation::ObjectHeader { address: t })),
            None => Message::Datatype(MaybeShared::Inline(ds.dt.clone())),
        };
        let mut messages = vec![
            Message::Dataspace(MaybeShared::Inline(dataspace)),
            datatype,
            Message::FillValue(MaybeShared::Inline(fill)),
            layout,
        ];
        if !ds.pipeline.filters.is_empty() {
            messages.push(Message::FilterPipeline(MaybeShared::Inline(FilterPipeline { version: 1, ..ds.pipeline.clone() })));
        }
        // As libhdf5 sizes a new dataset's header: the attributes usually added next fit.
        let h = self.new_header_min(&messages, super::header::DATASET_MIN_AREA)?;
        if let Some(t) = committed {
            if let Some(m) = self.headers.get_mut(&h).and_then(|e| e.header.messages.iter_mut().find(|m| m.type_id == msg_type::DATATYPE)) {
                m.flags = super::committed::SHARED_TYPE_FLAGS;
            }
            // Counted before the dataset is linked (a crash leaves it too high, not too low).
            self.add_type_reference(t)?;
        }
        self.insert_link(parent, name.as_bytes(), h)?;
        self.paths.set_object(path, h);
        let storage = match ds.chunks {
            Some(chunk) if chunked => RawStorage::Chunked(Box::new(Chunked {
                chunk,
                root: None,
                records: HashMap::new(),
                pipeline: ds.pipeline,
                cache: ChunkCache::new(CHUNK_CACHE_BYTES),
                new_index,
            })),
            _ if ds.layout == LayoutKind::Compact => RawStorage::Compact,
            _ => RawStorage::Contiguous { address: None, size: bytes },
        };
        let fill = ds.fill.unwrap_or_default();
        self.datasets.insert(h, DatasetEdit { header: h, datatype: ds.dt, element_size, dims, max_dims: ds.maxshape, space_version, fill, storage, null: false });
        Ok(())
    }

    /// The dataset at `path`, loaded for writing; its header address.
    pub(super) fn dataset(&mut self, path: &str) -> Result<u64> {
        let h = self.resolve(path)?;
        if self.datasets.contains_key(&h) {
            return Ok(h);
        }
        let sizes = self.sizes;
        let hdr = self.header(h)?;
        let space = hdr.first(msg_type::DATASPACE, sizes)?;
        let dtype = hdr.first(msg_type::DATATYPE, sizes)?;
        let layout = hdr.first(msg_type::LAYOUT, sizes)?;
        let pipeline = hdr.first(msg_type::FILTER_PIPELINE, sizes)?;
        let fill = match hdr.first(msg_type::FILL_VALUE, sizes)? {
            Some(m) => Some(m),
            None => hdr.first(msg_type::FILL_VALUE_OLD, sizes)?,
        };
        let (Some(Message::Dataspace(MaybeShared::Inline(space))), Some(Message::Datatype(dt)), Some(Message::Layout(layout))) = (space, dtype, layout)
        else {
            return Err(unsupported(format!("{}: not a dataset with inline dataspace and a layout", path)));
        };
        let dt = self.resolve_datatype(dt).map_err(|e| e.in_object(path))?;
        if !(plain(&dt) || super::vlen::heap_values(&dt) || super::reference_nested::reference_values(&dt)) {
            return Err(unsupported(format!("{}: writing sequences of variable-length data or revised references in place", path)));
        }
        let fill = match fill {
            Some(Message::FillValue(MaybeShared::Inline(f))) | Some(Message::FillValueOld(f)) => f.value.unwrap_or_default(),
            _ => Vec::new(),
        };
        let pipeline = match pipeline {
            Some(Message::FilterPipeline(MaybeShared::Inline(p))) => p,
            None => FilterPipeline::default(),
            _ => return Err(unsupported(format!("{}: shared filter pipelines", path))),
        };
        let element_size = dt.size as usize;
        let storage = match layout.layout.clone() {
            Layout::Contiguous { address, size } => RawStorage::Contiguous { address, size },
            Layout::Compact { .. } => RawStorage::Compact,
            Layout::Chunked { chunk_dims, index: ChunkIndex::BTreeV1 { address }, .. } => {
                let rank = chunk_dims.len();
                let records = match address {
                    Some(a) => read_chunk_records(self.ctx(), a, rank)?,
                    None => Vec::new(),
                };
                let records = records.into_iter().map(|r| (r.offsets.clone(), r)).collect();
                RawStorage::Chunked(Box::new(Chunked {
                    chunk: chunk_dims,
                    root: address,
                    records,
                    pipeline,
                    cache: ChunkCache::new(CHUNK_CACHE_BYTES),
                    new_index: None,
                }))
            }
            Layout::Chunked { chunk_dims, .. } => {
                // The chunk indexes of the latest format: the records read once, the index
                // written anew when they change (`chunk_index`).
                super::chunk_index::check_editable(&layout).map_err(|e| e.in_object(path))?;
                let filtered = !pipeline.filters.is_empty();
                let locations = h5kit_dataset::chunk_locations(self.ctx(), &layout, &space, element_size, filtered)?;
                let records = locations
                    .into_iter()
                    .map(|l| (l.offsets.clone(), ChunkRecord { offsets: l.offsets, size: l.size, filter_mask: l.filter_mask, address: l.address }))
                    .collect();
                let max = space.max_dims.clone().unwrap_or_else(|| space.dims.clone());
                RawStorage::Chunked(Box::new(Chunked {
                    chunk: chunk_dims,
                    root: None,
                    records,
                    pipeline,
                    cache: ChunkCache::new(CHUNK_CACHE_BYTES),
                    new_index: Some(super::chunk_index::IndexState::new(layout.clone(), max)),
                }))
            }
            _ => return Err(unsupported(format!("{}: writing this layout in place", path))),
        };
        let null = space.kind == DataspaceKind::Null;
        let ds = DatasetEdit { header: h, datatype: dt, element_size, space_version: space.version, dims: space.dims, max_dims: space.max_dims, fill, storage, null };
        self.datasets.insert(h, ds);
        Ok(h)
    }

    /// Writes the whole dataset from `data` (row-major, the dataset's datatype encoding;
    /// variable-length types: per element a `u32` byte count and the bytes).
    pub fn write_dataset(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let h = self.dataset(path)?;
        if self.datasets.get(&h).is_some_and(|d| d.null) {
            return null_write(path, data);
        }
        if self.datasets.get(&h).is_some_and(|d| super::reference_nested::reference_values(&d.datatype)) {
            return Err(super::reference_nested::raw_reference_write(path));
        }
        if let Some(ds) = self.datasets.get(&h).filter(|d| super::vlen::heap_values(&d.datatype)) {
            let (dt, count) = (ds.datatype.clone(), sat_prod(&ds.dims));
            return self.write_vlen_dataset(path, &dt, count, data);
        }
        self.write_dataset_bytes(path, data)
    }

    /// The number of elements of the dataset at `path`.
    pub(super) fn dataset_element_count(&mut self, path: &str) -> Result<u64> {
        let h = self.dataset(path)?;
        Ok(self.datasets.get(&h).filter(|d| !d.null).map(|d| sat_prod(&d.dims)).unwrap_or(0))
    }

    /// Writes the whole dataset from the bytes of its stored elements.
    pub(super) fn write_dataset_bytes(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let h = self.dataset(path)?;
        let dims = self.datasets.get(&h).map(|d| d.dims.clone()).unwrap_or_default();
        let zeros = [0u64; 32];
        let start_vec;
        let start = match zeros.get(..dims.len()) {
            Some(z) => z,
            None => {
                start_vec = vec![0u64; dims.len()];
                &start_vec
            }
        };
        self.write_box(h, start, &dims, data).map_err(|e| e.in_object(path))
    }

    /// Writes the box `start`/`count` of the dataset from `data`.
    pub fn write_slice(&mut self, path: &str, start: &[u64], count: &[u64], data: &[u8]) -> Result<()> {
        let h = self.dataset(path)?;
        if self.datasets.get(&h).is_some_and(|d| d.null) {
            return null_write(path, data);
        }
        if self.datasets.get(&h).is_some_and(|d| super::reference_nested::reference_values(&d.datatype)) {
            return Err(super::reference_nested::raw_reference_write(path));
        }
        if let Some(dt) = self.datasets.get(&h).map(|d| d.datatype.clone()).filter(|dt| !plain(dt)) {
            // Variable-length elements (raw-byte API encoding) into the global heap first.
            let ids = self.heap_encode(&dt, sat_prod(count), data).map_err(|e| e.in_object(path))?;
            return self.write_box(h, start, count, &ids).map_err(|e| e.in_object(path));
        }
        self.write_box(h, start, count, data).map_err(|e| e.in_object(path))
    }

    fn write_box(&mut self, h: u64, start: &[u64], count: &[u64], data: &[u8]) -> Result<()> {
        let Some(mut ds) = self.datasets.remove(&h) else { return Err(Error::usage("internal error: dataset not loaded")) };
        let r = self.write_box_in(&mut ds, start, count, data);
        self.datasets.insert(h, ds);
        self.changed = true;
        r
    }

    fn write_box_in(&mut self, ds: &mut DatasetEdit, start: &[u64], count: &[u64], data: &[u8]) -> Result<()> {
        let rank = ds.dims.len();
        if start.len() != rank || count.len() != rank {
            return Err(Error::usage(format!("selection of rank {} for a dataset of rank {}", start.len(), rank)));
        }
        for ((&s, &c), &d) in start.iter().zip(count).zip(&ds.dims) {
            if s.checked_add(c).is_none_or(|e| e > d) {
                return Err(Error::usage(format!("selection start {:?} count {:?} is outside the dataset's shape {:?}", start, count, ds.dims)));
            }
        }
        let want = sat_prod(count).checked_mul(ds.element_size as u64);
        if want != Some(data.len() as u64) {
            return Err(Error::usage(format!(
                "data size mismatch: {} bytes given, the selection {:?} of {}-byte elements needs {}",
                data.len(),
                count,
                ds.element_size,
                want.unwrap_or(u64::MAX)
            )));
        }
        if data.is_empty() {
            return Ok(());
        }
        match &mut ds.storage {
            RawStorage::Contiguous { address, size } => {
                let size = *size;
                let base = match *address {
                    Some(a) => a,
                    None => {
                        let a = self.space.allocate(size)?;
                        self.note_fresh(a, size);
                        let whole = start.iter().all(|&s| s == 0) && count == ds.dims.as_slice();
                        if !whole {
                            self.fill_block(a, size, &ds.fill)?;
                        }
                        *address = Some(a);
                        self.set_layout(ds.header, Layout::Contiguous { address: Some(a), size })?;
                        a
                    }
                };
                self.write_runs(base, &ds.dims, start, count, ds.element_size, data)
            }
            RawStorage::Compact => self.write_compact(ds.header, &ds.dims, start, count, ds.element_size, data),
            RawStorage::Chunked(c) => {
                let grid = ChunkGrid::new(&ds.dims, &c.chunk, ds.element_size)?;
                let mut cache = std::mem::replace(&mut c.cache, ChunkCache::new(0));
                let r = {
                    let mut backend = Backend { ed: self, header: ds.header, chunked: c, element_size: ds.element_size };
                    cache.write(&mut backend, &grid, &ds.fill, start, count, data)
                };
                c.cache = cache;
                r
            }
        }
    }

    /// Fills `size` bytes at `a` with the fill element (zeros when empty).
    fn fill_block(&mut self, a: u64, size: u64, fill: &[u8]) -> Result<()> {
        // Zeros past the end of the file: the flush extends the file, which reads as zeros.
        if fill.iter().all(|&b| b == 0) && self.abs(a)? >= self.storage.len() {
            return Ok(());
        }
        let piece_len = (FILL_PIECE as u64).min(size) as usize;
        let elem = fill.len().max(1);
        let piece_len = piece_len - piece_len % elem;
        let piece: Vec<u8> = if fill.iter().all(|&b| b == 0) { vec![0u8; piece_len] } else { fill.iter().copied().cycle().take(piece_len).collect() };
        let mut done = 0u64;
        while done < size && !piece.is_empty() {
            let n = (size - done).min(piece.len() as u64) as usize;
            self.write_now(a + done, piece.get(..n).unwrap_or(&piece))?;
            done += n as u64;
        }
        Ok(())
    }

    /// Writes the box `start`/`count` of packed `data` into a contiguous block at `base` of a
    /// dataset of `dims`: one write per run of consecutive elements.
    fn write_runs(&mut self, base: u64, dims: &[u64], start: &[u64], count: &[u64], esize: usize, data: &[u8]) -> Result<()> {
        let rank = dims.len();
        // The whole dataset (or a scalar): one run.
        if rank == 0 || (count == dims && start.iter().all(|&s| s == 0)) {
            return self.write_raw(base, data);
        }
        // Trailing dimensions the box covers entirely merge into one run.
        let mut inner = rank;
        while inner > 1 && count.get(inner - 1) == dims.get(inner - 1) && start.get(inner - 1) == Some(&0) {
            inner -= 1;
        }
        let run_elems: u64 = count.get(inner - 1..).map(sat_prod).unwrap_or(1);
        let run = run_elems as usize * esize;
        let strides = crate::strides(dims);
        let outer = inner - 1;
        let mut idx = vec![0u64; outer];
        let mut src = 0usize;
        loop {
            let mut off = 0u64;
            for d in 0..rank {
                let i = if d < outer { idx.get(d).copied().unwrap_or(0) } else { 0 };
                off += (start.get(d).copied().unwrap_or(0) + i) * strides.get(d).copied().unwrap_or(0);
            }
            let bytes = data.get(src..src + run).ok_or_else(|| Error::usage("internal error: run past the data"))?;
            self.write_raw(base + off * esize as u64, bytes)?;
            src += run;
            if outer == 0 || !crate::next_index(&mut idx, count) {
                return Ok(());
            }
        }
    }

    /// Changes a chunked dataset's extent within its maximum (shrinking prunes the chunks
    /// outside the new extent, as libhdf5 does).
    pub fn resize(&mut self, path: &str, shape: &[u64]) -> Result<()> {
        let h = self.dataset(path)?;
        let Some(ds) = self.datasets.get(&h) else { return Err(Error::usage("internal error: dataset not loaded")) };
        if !matches!(ds.storage, RawStorage::Chunked(_)) || ds.null {
            return Err(Error::usage(format!("{}: only chunked datasets can be resized", path)));
        }
        if matches!(&ds.storage, RawStorage::Chunked(c) if c.new_index.as_ref().is_some_and(|ix| ix.is_implicit())) {
            return Err(unsupported(format!("{}: resizing a dataset with an implicit chunk index", path)));
        }
        if shape.len() != ds.dims.len() {
            return Err(Error::usage(format!("{}: new shape {:?} has another rank than {:?}", path, shape, ds.dims)));
        }
        let max = ds.max_dims.clone().unwrap_or_else(|| ds.dims.clone());
        for (d, (&n, &m)) in shape.iter().zip(&max).enumerate() {
            if m != UNLIMITED && n > m {
                return Err(Error::usage(format!("{}: new shape {} is past the maximum {} in dimension {}", path, n, m, d)));
            }
        }
        // The message keeps its version. A dataspace without maximum dimensions has its
        // dimensions as maximum: a shrunk one states them (h5py: `( 0 ) / ( 7 )`).
        let max_dims = match &ds.max_dims {
            None if shape != max.as_slice() => Some(max),
            m => m.clone(),
        };
        let dataspace = Dataspace { version: ds.space_version, kind: DataspaceKind::Simple, dims: shape.to_vec(), max_dims: max_dims.clone() };
        if shape.iter().zip(&ds.dims).any(|(n, o)| n < o) {
            self.shrink_chunks(h, shape).map_err(|e| e.in_object(path))?;
        }
        let sizes = self.sizes;
        let hdr = self.header(h)?;
        let i = hdr.find(msg_type::DATASPACE).ok_or_else(|| Error::usage("dataset without a dataspace message"))?;
        hdr.replace(i, &Message::Dataspace(MaybeShared::Inline(dataspace)), sizes)?;
        if let Some(ds) = self.datasets.get_mut(&h) {
            ds.dims = shape.to_vec();
            ds.max_dims = max_dims;
        }
        self.changed = true;
        Ok(())
    }

    /// Stores every chunk waiting in a cache (first step of a flush).
    pub(super) fn flush_datasets(&mut self) -> Result<()> {
        // Contiguous and compact data are written at once: only caches and indexes wait.
        let keys = super::addr_map::sorted_keys(&self.datasets, |d| matches!(d.storage, RawStorage::Chunked(_)));
        for h in keys {
            let Some(mut ds) = self.datasets.remove(&h) else { continue };
            let r = match &mut ds.storage {
                RawStorage::Chunked(c) if c.cache.has_changes() => {
                    let mut cache = std::mem::replace(&mut c.cache, ChunkCache::new(0));
                    let r = {
                        let mut backend = Backend { ed: self, header: h, chunked: c, element_size: ds.element_size };
                        cache.flush(&mut backend)
                    };
                    c.cache = cache;
                    r
                }
                _ => Ok(()),
            };
            let r = r.and_then(|()| match &mut ds.storage {
                RawStorage::Chunked(c) => match c.new_index.as_mut() {
                    Some(ix) if ix.dirty => {
                        let filtered = !c.pipeline.filters.is_empty();
                        self.write_chunk_index(h, ix, &c.records, filtered)
                    }
                    _ => Ok(()),
                },
                _ => Ok(()),
            });
            self.datasets.insert(h, ds);
            r?;
        }
        Ok(())
    }
}

/// A chunked dataset's chunks in the file: its v1 B-tree and file space.
pub(super) struct Backend<'a> {
    pub(super) ed: &'a mut Editor,
    pub(super) header: u64,
    pub(super) chunked: &'a mut Chunked,
    pub(super) element_size: usize,
}

impl Backend<'_> {
    fn offsets(&self, index: &[u64]) -> Vec<u64> {
        index.iter().zip(&self.chunked.chunk).map(|(i, c)| i * c).collect()
    }

    /// Enters `rec` in the chunk B-tree (created at the first chunk).
    pub(super) fn index(&mut self, rec: &ChunkRecord) -> Result<()> {
        if let Some(ix) = self.chunked.new_index.as_mut() {
            // Entered in the index at the flush (`chunk_index`).
            ix.note(&rec.offsets);
            return Ok(());
        }
        let rank = self.chunked.chunk.len();
        let sizes = self.ed.sizes;
        let k = self.ed.chunk_k();
        let mut dims = self.chunked.chunk.clone();
        dims.push(self.element_size as u64);
        let params = ChunkInsertParams::new(rank, dims, k, sizes);
        let root = match self.chunked.root {
            Some(r) => r,
            None => {
                let r = self.ed.allocate(params.node_size())?;
                // An empty leaf: no child, one key (all offsets 0).
                let node = Node {
                    address: r,
                    node_type: 1,
                    level: 0,
                    left_sibling: None,
                    right_sibling: None,
                    keys: vec![ChunkKey { size: 0, filter_mask: 0, offsets: vec![0; rank + 1] }],
                    children: vec![],
                };
                self.ed.chunk_nodes.insert(r, Cached { value: node, dirty: true });
                self.chunked.root = Some(r);
                let layout = Layout::Chunked {
                    chunk_dims: self.chunked.chunk.clone(),
                    element_size: self.element_size as u32,
                    index: ChunkIndex::BTreeV1 { address: Some(r) },
                    flags: 0,
                };
                self.ed.set_layout(self.header, layout)?;
                r
            }
        };
        let ed = &mut *self.ed;
        let (storage, limits, base) = (ed.storage.clone(), ed.limits, ed.sb.base_address);
        let nodes = &ed.chunk_nodes;
        let mut load = |a: u64| -> Result<Node<ChunkKey>> {
            if let Some(c) = nodes.get(&a) {
                return Ok(c.value.clone());
            }
            read_chunk_node(Context::new(storage.as_ref(), sizes, &limits, base), a, rank)
        };
        let space = &mut ed.space;
        let fresh = &mut ed.fresh;
        let mut alloc = |len: u64| -> Result<u64> {
            let a = space.allocate(len)?;
            fresh.insert(a, len);
            Ok(a)
        };
        let out = insert_chunk(root, rec, &params, &mut load, &mut alloc)?;
        let changed: Vec<u64> = out.nodes.iter().map(|n| n.address).collect();
        for n in out.nodes {
            ed.chunk_nodes.insert(n.address, Cached { value: n, dirty: true });
        }
        ed.relocate(Tree::Chunk { root, rank }, &changed)?;
        Ok(())
    }
}

impl ChunkBackend for Backend<'_> {
    fn load(&mut self, index: &[u64]) -> Result<Option<Vec<u8>>> {
        let offsets = self.offsets(index);
        let Some(rec) = self.chunked.records.get(&offsets).cloned() else { return Ok(None) };
        let len = usize::try_from(rec.size).map_err(|_| Error::format(rec.address, "chunk too large"))?;
        if len as u64 > self.ed.limits.max_alloc {
            return Err(Error::limit(rec.address, format!("chunk of {} bytes is over the allocation limit", len)));
        }
        let raw = self.ed.read_bytes(rec.address, len)?;
        if self.chunked.pipeline.filters.is_empty() {
            return Ok(Some(raw));
        }
        decode_pipeline(&self.chunked.pipeline, rec.filter_mask, raw, self.element_size, &self.ed.limits, rec.address).map(Some)
    }

    fn store(&mut self, chunks: &[ChunkToStore<'_>]) -> Result<()> {
        let filtered = !self.chunked.pipeline.filters.is_empty();
        let encoded: Vec<(std::borrow::Cow<'_, [u8]>, u32)> = if filtered {
            let total: usize = chunks.iter().map(|c| c.data.len()).sum();
            let workers = if total >= PARALLEL_MIN_BYTES { worker_count(None, chunks.len()) } else { 1 };
            let pipeline = &self.chunked.pipeline;
            let esize = self.element_size;
            run_in_order(chunks.len(), workers, |i| {
                let data = chunks.get(i).map(|c| c.data.to_vec()).ok_or_else(|| Error::usage("internal error: no such chunk"))?;
                encode_pipeline(pipeline, data, esize).map(|(b, m)| (std::borrow::Cow::Owned(b), m))
            })?
        } else {
            chunks.iter().map(|c| (std::borrow::Cow::Borrowed(c.data), 0)).collect()
        };
        for (chunk, (bytes, mask)) in chunks.iter().zip(encoded) {
            let offsets = self.offsets(chunk.index);
            let len = bytes.len() as u64;
            let old = self.chunked.records.get(&offsets).cloned();
            let address = match &old {
                Some(o) if o.size == len => o.address,
                _ => {
                    let a = self.ed.space.allocate_at_end(len.max(1))?;
                    self.ed.fresh.insert(a, len.max(1));
                    a
                }
            };
            // An unfiltered chunk staying where it is: only the bytes that changed.
            match (filtered, &old) {
                (false, Some(o)) if o.address == address => {
                    let part = bytes.get(chunk.changed.clone()).unwrap_or(&bytes);
                    let at = if part.len() == bytes.len() { 0 } else { chunk.changed.start as u64 };
                    self.ed.write_now(address + at, part)?;
                }
                _ => self.ed.write_now(address, &bytes)?,
            }
            let rec = ChunkRecord { offsets: offsets.clone(), size: len, filter_mask: mask, address };
            if old.as_ref() != Some(&rec) {
                self.index(&rec)?;
                if let Some(o) = old.filter(|o| o.address != address) {
                    self.ed.space.free(o.address, o.size);
                }
            }
            self.chunked.records.insert(offsets, rec);
        }
        Ok(())
    }
}

impl Editor {
    /// The datatype of the dataset at `path` (what written values are converted to).
    pub fn dataset_datatype(&mut self, path: &str) -> Result<Datatype> {
        let h = self.dataset(path)?;
        self.datasets.get(&h).map(|d| d.datatype.clone()).ok_or_else(|| Error::usage("internal error: dataset not loaded"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use h5kit_object_header::RawMessage;

    fn body(layout: Layout, sizes: h5kit_core::Sizes) -> Vec<u8> {
        RawMessage::encode(&layout_message(layout), None, sizes).unwrap().data
    }

    #[test]
    fn patched_address_is_the_encoded_message() {
        for sizes in [h5kit_core::Sizes::default(), h5kit_core::Sizes { offset: 4, length: 4 }] {
            let mut b = body(Layout::Contiguous { address: None, size: 80 }, sizes);
            assert!(patch_contiguous_address(&mut b, 0x1234, 80, sizes));
            assert_eq!(b, body(Layout::Contiguous { address: Some(0x1234), size: 80 }, sizes));
            // Set once: a defined address, another size or another layout is left alone.
            assert!(!patch_contiguous_address(&mut b, 0x99, 80, sizes));
            let mut other = body(Layout::Contiguous { address: None, size: 80 }, sizes);
            assert!(!patch_contiguous_address(&mut other, 0x99, 88, sizes));
            let mut chunked = body(Layout::Chunked { chunk_dims: vec![10], element_size: 8, index: ChunkIndex::BTreeV1 { address: None }, flags: 0 }, sizes);
            let before = chunked.clone();
            assert!(!patch_contiguous_address(&mut chunked, 0x99, 80, sizes));
            assert_eq!(chunked, before);
        }
        // An address wider than the file's offsets: not patched.
        let sizes = h5kit_core::Sizes { offset: 4, length: 4 };
        let mut b = body(Layout::Contiguous { address: None, size: 80 }, sizes);
        assert!(!patch_contiguous_address(&mut b, 1 << 40, 80, sizes));
    }
}

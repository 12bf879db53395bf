//! The encoder half of h5kit: build an HDF5 file's objects in memory and serialize them into
//! a file that libhdf5 (h5dump, h5py, h5diff) reads.
//!
//! The model follows h5py: groups with ordered links, datasets (datatype, dataspace, layout,
//! filters, fill value, attributes, raw data) and attributes. [`FileWriter::flush`] serializes
//! everything in two phases (see [`build`]): sizes and addresses first, then every structure
//! is encoded into its range, the superblock last.
//!
//! Two format levels ([`LibVer`]):
//! - `Earliest`: superblock version 0, version 1 object headers, symbol-table groups (local
//!   heap + v1 B-tree + symbol table nodes), layout message version 3 with v1 B-tree chunk
//!   indexes: readable by libhdf5 1.8.
//! - `Latest`: superblock version 3, version 2 object headers with checksums, link messages
//!   with creation order, layout version 4 with single-chunk / fixed-array chunk indexes.
//!
//! Variable-length data (strings and sequences) is stored in global heap collections; its
//! raw-byte encoding at this API is, per element, a little-endian `u32` byte count followed by
//! that many bytes (for sequences: the base elements' bytes). Object references are written
//! from object paths ([`FileWriter::write_references`]). Inside compounds/arrays, each
//! variable-length member's 16-byte slot is ignored in the element bytes, and the element is
//! followed by a `u32` length + bytes per slot.
//!
//! ```
//! use h5kit_write::{dtype, DatasetSpec, FileWriter, LibVer, UNLIMITED};
//!
//! let mut w = FileWriter::in_memory(LibVer::Earliest);
//! w.create_group("run1")?;
//! let mut spec = DatasetSpec::new(dtype::float64(), &[3]);
//! spec.maxshape = Some(vec![UNLIMITED]);
//! spec.deflate = Some(4);
//! w.create_dataset("run1/temps", spec)?;
//! let data: Vec<u8> = [20.5f64, 21.0, 21.5].iter().flat_map(|x| x.to_le_bytes()).collect();
//! w.write_dataset("run1/temps", &data)?;
//! w.resize("run1/temps", &[4])?;
//! w.write_slice("run1/temps", &[3], &[1], &22.0f64.to_le_bytes())?;
//! w.set_string_attribute("run1", "site", "Lyon")?;
//! let bytes = w.to_bytes()?;
//! assert_eq!(&bytes[..8], b"\x89HDF\r\n\x1a\n");
//! # Ok::<(), h5kit_write::Error>(())
//! ```
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod build;
pub mod dtype;
pub mod enc;
pub mod filters;
mod parallel;
pub mod chunk_cache;
pub mod edit;
pub mod space;

pub use h5kit_core::{Error, ErrorKind, Result};
pub use h5kit_object_header::{
    ByteOrder, CharacterSet, CompoundMember, Datatype, Filter, FilterPipeline, ReferenceKind, StringPadding, TypeClass,
    UNLIMITED,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Which file format features to use (h5py's `libver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LibVer {
    /// Superblock 0, v1 object headers, symbol-table groups, v1 B-tree chunk indexes.
    #[default]
    Earliest,
    /// Superblock 3, v2 object headers, link messages, layout v4 chunk indexes.
    Latest,
}

/// Storage layout of a dataset's raw data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutKind {
    /// Raw data inside the object header (at most 64 KiB).
    Compact,
    /// One contiguous block.
    Contiguous,
    /// Chunks found through a chunk index.
    Chunked,
}

/// Everything needed to create a dataset (h5py's `create_dataset` keywords).
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetSpec {
    pub datatype: Datatype,
    /// `None`: scalar dataspace.
    pub shape: Option<Vec<u64>>,
    /// `None`: same as `shape` (fixed). [`UNLIMITED`] marks unlimited dimensions.
    pub maxshape: Option<Vec<u64>>,
    /// Chunk shape; `None` = h5py's `guess_chunk` when chunking is needed.
    pub chunks: Option<Vec<u64>>,
    /// `None`: chunked when chunks, maxshape or filters are given, else contiguous.
    pub layout: Option<LayoutKind>,
    /// Deflate (gzip) level 0-9.
    pub deflate: Option<u8>,
    pub shuffle: bool,
    pub fletcher32: bool,
    /// Any filter pipeline (spec IV.A.2.l "Filter Pipeline Message"), applied to each chunk in
    /// this order; not combinable with the `deflate`/`shuffle`/`fletcher32` shorthand (which
    /// makes h5py's shuffle, deflate, fletcher32 pipeline). Each filter's id, name, flags and
    /// client data are written as given, except the values its "set local" step derives from
    /// the dataset ([`h5kit_dataset::filter::set_local`]: shuffle's element size, LZF's chunk
    /// size, bitshuffle's element size); a missing name is the plugin's usual one. Filters
    /// h5kit cannot apply ([`h5kit_dataset::filter::can_encode`]) must be optional (flags bit
    /// 0): they are skipped on every chunk, as libhdf5 does without the plugin.
    pub filters: Vec<Filter>,
    /// Fill value bytes in the datatype's encoding.
    pub fill_value: Option<Vec<u8>>,
    /// Path of a committed datatype ([`FileWriter::commit_datatype`]) to use instead of
    /// `datatype` (h5py `dtype=f['type']`).
    pub committed_type: Option<String>,
}

impl DatasetSpec {
    /// A simple dataspace of `shape`, everything else default.
    pub fn new(datatype: Datatype, shape: &[u64]) -> Self {
        DatasetSpec {
            datatype,
            shape: Some(shape.to_vec()),
            maxshape: None,
            chunks: None,
            layout: None,
            deflate: None,
            shuffle: false,
            fletcher32: false,
            filters: Vec::new(),
            fill_value: None,
            committed_type: None,
        }
    }
    /// A scalar dataset.
    pub fn scalar(datatype: Datatype) -> Self {
        DatasetSpec { shape: None, ..DatasetSpec::new(datatype, &[]) }
    }
}

/// The part of a dataset a region reference selects (`H5R_DATASET_REGION1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Region {
    /// The whole dataset (`H5S_SEL_ALL`).
    All,
    /// A union of blocks, each (start, count) per dimension (`H5S_SEL_HYPER`).
    Blocks(Vec<(Vec<u64>, Vec<u64>)>),
}

/// Element values of a dataset or attribute.
/// Allocations of at least this many bytes are reserved fallibly first.
const LARGE_ALLOCATION: usize = 1 << 30;

/// Makes room for `n` more items in `v`: an error, not an abort, when the memory cannot be had
/// (this writer holds every dataset's values in memory until the file is written).
fn reserve<T>(v: &mut Vec<T>, n: usize) -> Result<()> {
    let bytes = n.saturating_mul(std::mem::size_of::<T>().max(1));
    if bytes < LARGE_ALLOCATION {
        v.reserve_exact(n);
        return Ok(());
    }
    v.try_reserve_exact(n).map_err(|_| {
        Error::usage(format!("cannot allocate {} bytes to hold a dataset's values in memory", bytes))
    })
}

/// `n` copies of `value`, [`reserve`]d first when large (small ones come from `vec!`, whose
/// zeros cost nothing until written).
fn filled<T: Clone>(n: usize, value: T) -> Result<Vec<T>> {
    if n.saturating_mul(std::mem::size_of::<T>().max(1)) < LARGE_ALLOCATION {
        return Ok(vec![value; n]);
    }
    let mut v = Vec::new();
    reserve(&mut v, n)?;
    v.resize(n, value);
    Ok(v)
}

/// Takes one variable-length element of the raw API encoding (u32 byte count, then the
/// bytes) off the front of `rest`.
fn take_vlen(rest: &mut &[u8], length_of: &str, body_of: &str) -> Result<Vec<u8>> {
    let Some((l, tail)) = rest.split_first_chunk::<4>() else {
        return Err(Error::usage(format!("{} truncated (u32 length expected)", length_of)));
    };
    let len = u32::from_le_bytes(*l) as usize;
    let (Some(item), Some(tail)) = (tail.get(..len), tail.get(len..)) else {
        return Err(Error::usage(format!("{} truncated", body_of)));
    };
    *rest = tail;
    Ok(item.to_vec())
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Values {
    /// Fixed-size elements: count x size bytes, possibly shared with the caller
    /// ([`FileWriter::write_dataset_shared`]; copied on the first change).
    Fixed(Arc<Vec<u8>>),
    /// Variable-length elements: each one's bytes (strings: UTF-8 bytes; sequences: base
    /// elements' bytes); `None` = never written (a null heap ID, as libhdf5's fill).
    Vlen(Vec<Option<Vec<u8>>>),
    /// Object references by path (`None`: null reference).
    Refs(Vec<Option<String>>),
    /// Dataset region references: dataset path and region (`None`: null reference).
    Regions(Vec<Option<(String, Region)>>),
    /// Fixed-size elements with variable-length slots inside (compound/array members): the
    /// fixed bytes (slots zero) and, element-major, `nslots` pieces per element.
    Mixed { fixed: Vec<u8>, pieces: Vec<Option<Vec<u8>>>, nslots: usize },
    /// Variable-length sequences of object references (netCDF/dimension scale
    /// `DIMENSION_LIST`): per element the target paths (`None`: null reference); an empty
    /// element is an empty sequence.
    VlenRefs(Vec<Vec<Option<String>>>),
    /// Fixed-size elements with object references inside (compound/array members, e.g. a
    /// dimension scale's `REFERENCE_LIST`): the element bytes and, element-major, `nslots`
    /// target paths per element ([`enc::ref_slots`] order).
    FixedRefs { fixed: Vec<u8>, refs: Vec<Option<String>>, nslots: usize },
}

impl Values {
    fn empty(dt: &Datatype, count: usize, fill: Option<&[u8]>) -> Result<Values> {
        if enc::is_vlen(dt) {
            let slots = enc::vl_slots(dt)?;
            if matches!(dt.class, TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. }) {
                return Ok(Values::Vlen(vec![None; count]));
            }
            let total = count.checked_mul(dt.size as usize).ok_or_else(|| Error::usage("dataset too large"))?;
            let npieces = count.checked_mul(slots.len()).ok_or_else(|| Error::usage("dataset too large"))?;
            return Ok(Values::Mixed { fixed: filled(total, 0u8)?, pieces: filled(npieces, None)?, nslots: slots.len() });
        }
        match dt.class {
            TypeClass::Reference { kind: h5kit_object_header::ReferenceKind::DatasetRegion } => {
                return Ok(Values::Regions(filled(count, None)?));
            }
            TypeClass::Reference { .. } => return Ok(Values::Refs(filled(count, None)?)),
            _ => {}
        }
        let size = dt.size as usize;
        let total = count.checked_mul(size).ok_or_else(|| Error::usage("dataset too large"))?;
        match fill {
            Some(f) if f.len() == size && size > 0 && f.iter().any(|&b| b != 0) => {
                let mut v = filled(0, 0u8)?;
                reserve(&mut v, total)?;
                for _ in 0..count {
                    v.extend_from_slice(f);
                }
                Ok(Values::Fixed(Arc::new(v)))
            }
            _ => Ok(Values::Fixed(Arc::new(filled(total, 0u8)?))),
        }
    }

    /// Decodes the raw-byte API encoding of `count` elements.
    fn from_raw(dt: &Datatype, count: usize, data: &[u8]) -> Result<Values> {
        match Values::empty(dt, 0, None)? {
            Values::Fixed(_) => {
                let want = count.checked_mul(dt.size as usize).ok_or_else(|| Error::usage("data too large"))?;
                if data.len() != want {
                    return Err(Error::usage(format!(
                        "data size mismatch: {} bytes given, {} elements of {} bytes need {}",
                        data.len(),
                        count,
                        dt.size,
                        want
                    )));
                }
                Ok(Values::Fixed(Arc::new(data.to_vec())))
            }
            Values::Vlen(_) => {
                let mut out = Vec::with_capacity(count.min(data.len() / 4 + 1));
                let mut rest = data;
                for _ in 0..count {
                    out.push(Some(take_vlen(&mut rest, "variable-length data", "variable-length element")?));
                }
                if !rest.is_empty() {
                    return Err(Error::usage("data size mismatch: extra bytes after the variable-length elements"));
                }
                Ok(Values::Vlen(out))
            }
            Values::Refs(_) => Err(Error::usage("object references are written with write_references")),
            Values::FixedRefs { .. } => Err(Error::usage("references inside compounds are written with write_dataset_with_refs")),
            Values::VlenRefs(_) => Err(Error::usage("sequences of object references are written with write_vlen_references")),
            Values::Regions(_) => Err(Error::usage("region references are written with write_region_references")),
            Values::Mixed { nslots, .. } => {
                let size = dt.size as usize;
                let mut fixed = Vec::with_capacity(count.saturating_mul(size).min(data.len()));
                let mut pieces = Vec::new();
                let mut rest = data;
                for _ in 0..count {
                    let (f, tail) = match (rest.get(..size), rest.get(size..)) {
                        (Some(f), Some(t)) => (f, t),
                        _ => return Err(Error::usage("data truncated: element bytes expected")),
                    };
                    fixed.extend_from_slice(f);
                    rest = tail;
                    for _ in 0..nslots {
                        pieces.push(Some(take_vlen(&mut rest, "variable-length member", "variable-length member")?));
                    }
                }
                if !rest.is_empty() {
                    return Err(Error::usage("data size mismatch: extra bytes after the last element"));
                }
                Ok(Values::Mixed { fixed, pieces, nslots })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attr {
    pub name: String,
    pub dt: Datatype,
    /// Object id of the committed datatype used, if any.
    pub committed: Option<usize>,
    pub shape: Option<Vec<u64>>,
    pub vals: Values,
    /// Null dataspace (`H5S_NULL`): no elements, `shape` unused.
    pub null: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Link {
    Hard(usize),
    Soft(String),
    External(String, String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkEntry {
    pub name: String,
    pub link: Link,
    pub corder: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ds {
    pub dt: Datatype,
    pub shape: Option<Vec<u64>>,
    pub maxshape: Option<Vec<u64>>,
    pub layout: LayoutKind,
    pub chunks: Option<Vec<u64>>,
    /// The filter pipeline (client data completed by `set_local`); empty: unfiltered.
    pub pipeline: FilterPipeline,
    pub fill: Option<Vec<u8>>,
    pub vals: Values,
    pub written: bool,
    /// Object id of the committed datatype used, if any.
    pub committed: Option<usize>,
    /// Null dataspace (`H5S_NULL`): no elements, no storage.
    pub null: bool,
}

impl Ds {
    pub fn filtered(&self) -> bool {
        !self.pipeline.filters.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Group { links: Vec<LinkEntry>, next_corder: u64 },
    Dataset(Box<Ds>),
    /// A committed (named) datatype.
    Datatype(Datatype),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Obj {
    pub kind: Kind,
    pub attrs: Vec<Attr>,
}

/// An HDF5 file being written. Objects live in memory until [`FileWriter::flush`],
/// [`FileWriter::close`] or [`FileWriter::to_bytes`].
#[derive(Debug, Clone)]
pub struct FileWriter {
    pub(crate) libver: LibVer,
    pub(crate) objs: Vec<Obj>,
    path: Option<PathBuf>,
    /// The file at `path`, open from creation on (each flush rewrites it from the start, as
    /// libhdf5 keeps its file open: one truncation at creation).
    file: Option<Arc<std::fs::File>>,
    /// Threads compressing chunks at serialization (`None`: one per core).
    pub(crate) threads: Option<usize>,
}

/// HDF5 names (links, attributes, compound members, enum values, soft link targets) are C
/// strings: a NUL inside would cut the name when read back, so it is refused.
fn check_c_string(what: &str, s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(Error::usage(format!("{} {:?} contains a NUL byte (HDF5 names are C strings)", what, s)));
    }
    Ok(())
}

/// [`check_c_string`] for the names inside a datatype (compound members, enum values, the
/// opaque tag), at any depth.
pub(crate) fn check_datatype_names(dt: &Datatype) -> Result<()> {
    match &dt.class {
        TypeClass::Compound { members } => {
            check_compound_layout(dt)?;
            for m in members {
                check_c_string("compound member name", &m.name)?;
                check_datatype_names(&m.datatype)?;
            }
            Ok(())
        }
        TypeClass::Enum { base, members } => {
            for (name, _) in members {
                check_c_string("enum value name", name)?;
            }
            check_datatype_names(base)
        }
        TypeClass::Opaque { tag } => check_c_string("opaque tag", tag),
        TypeClass::VarLenSequence { base } | TypeClass::VarLenString { base, .. } | TypeClass::Array { base, .. } | TypeClass::Complex { base } => {
            check_datatype_names(base)
        }
        _ => Ok(()),
    }
}

/// The most raw data a compact layout message holds: a message body is at most 65,535 bytes,
/// of which the layout message (version 3) takes 4 for itself.
const MAX_COMPACT_BYTES: u64 = 65_535 - 4;

/// Compound members must lie inside the compound and not overlap (libhdf5's `H5Tinsert`
/// refuses both). One level: [`check_datatype_names`] walks the nesting.
fn check_compound_layout(dt: &Datatype) -> Result<()> {
    let TypeClass::Compound { members } = &dt.class else { return Ok(()) };
    let mut spans: Vec<(u64, u64, &str)> = Vec::with_capacity(members.len());
    for m in members {
        let end = m.byte_offset.saturating_add(u64::from(m.datatype.size));
        if end > u64::from(dt.size) {
            return Err(Error::usage(format!(
                "compound member {:?} (bytes {}..{}) lies outside the compound's {} bytes",
                m.name, m.byte_offset, end, dt.size
            )));
        }
        spans.push((m.byte_offset, end, &m.name));
    }
    spans.sort_unstable();
    for pair in spans.windows(2) {
        if let [(_, end_a, a), (start_b, _, b)] = pair {
            if start_b < end_a {
                return Err(Error::usage(format!("compound members {:?} and {:?} overlap", a, b)));
            }
        }
    }
    Ok(())
}

fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty() && *s != ".").collect()
}

fn fixed_refs(dt: &Datatype, count: usize, data: &[u8], refs: &[Option<&str>]) -> Result<Values> {
    let slots = enc::ref_slots(dt)?;
    if slots.is_empty() || enc::is_vlen(dt) {
        return Err(Error::usage("the datatype has no object references inside (or has variable-length members)"));
    }
    let want = count.checked_mul(dt.size as usize).ok_or_else(|| Error::usage("data too large"))?;
    if data.len() != want {
        return Err(Error::usage(format!("data size mismatch: {} bytes given, {} needed", data.len(), want)));
    }
    if Some(refs.len()) != count.checked_mul(slots.len()) {
        return Err(Error::usage(format!("{} references given, {} needed", refs.len(), count.saturating_mul(slots.len()))));
    }
    Ok(Values::FixedRefs {
        fixed: data.to_vec(),
        refs: refs.iter().map(|t| t.map(|s| s.to_string())).collect(),
        nslots: slots.len(),
    })
}

fn owned_ref_lists(targets: &[Vec<Option<&str>>]) -> Vec<Vec<Option<String>>> {
    targets.iter().map(|e| e.iter().map(|t| t.map(|s| s.to_string())).collect()).collect()
}

fn is_vlen_of_refs(dt: &Datatype) -> bool {
    matches!(&dt.class, TypeClass::VarLenSequence { base }
        if matches!(base.class, TypeClass::Reference { kind: h5kit_object_header::ReferenceKind::Object }))
}

fn element_count(shape: Option<&[u64]>) -> Result<usize> {
    let n = match shape {
        None => 1u64,
        Some(s) => s.iter().try_fold(1u64, |a, &d| a.checked_mul(d)).ok_or_else(|| Error::usage("shape too large"))?,
    };
    usize::try_from(n).map_err(|_| Error::usage("shape too large"))
}

/// Product of sizes, saturating at `u64::MAX`.
pub(crate) fn sat_prod(v: &[u64]) -> u64 {
    v.iter().fold(1u64, |a, &b| a.saturating_mul(b))
}

/// Advances the row-major index `idx` over the box `count` (its first `idx.len()`
/// dimensions, the last fastest); false once it wraps past the last index.
pub(crate) fn next_index(idx: &mut [u64], count: &[u64]) -> bool {
    for (x, &c) in idx.iter_mut().zip(count).rev() {
        *x += 1;
        if *x < c {
            return true;
        }
        *x = 0;
    }
    false
}

/// Row-major strides of `shape` in elements.
pub(crate) fn strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        let next = s.get(i + 1).copied().unwrap_or(1);
        let d = shape.get(i + 1).copied().unwrap_or(1);
        if let Some(x) = s.get_mut(i) {
            *x = next.saturating_mul(d);
        }
    }
    s
}

/// Copies the box `count` of `esize`-byte elements from `src` (array of `src_shape`, box at
/// `src_start`) to `dst` (array of `dst_shape`, box at `dst_start`), one contiguous row of
/// the last dimension at a time. Out-of-range rows are skipped (callers check extents).
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_box(
    src: &[u8],
    src_shape: &[u64],
    src_start: &[u64],
    dst: &mut [u8],
    dst_shape: &[u64],
    dst_start: &[u64],
    count: &[u64],
    esize: usize,
) {
    let rank = count.len();
    if count.contains(&0) {
        return;
    }
    let (sst, dst_st) = (strides(src_shape), strides(dst_shape));
    let row = count.last().copied().unwrap_or(1) as usize * esize;
    let outer = rank.saturating_sub(1);
    let mut idx = vec![0u64; outer];
    loop {
        let mut so = 0u64;
        let mut dof = 0u64;
        for d in 0..rank {
            let i = idx.get(d).copied().unwrap_or(0);
            so += (src_start.get(d).copied().unwrap_or(0) + i) * sst.get(d).copied().unwrap_or(0);
            dof += (dst_start.get(d).copied().unwrap_or(0) + i) * dst_st.get(d).copied().unwrap_or(0);
        }
        let (so, dof) = (so as usize * esize, dof as usize * esize);
        if let (Some(s), Some(t)) = (src.get(so..so + row), dst.get_mut(dof..dof + row)) {
            t.copy_from_slice(s);
        }
        if !next_index(&mut idx, count) {
            return;
        }
    }
}

/// Calls `f(src_index, dst_index)` for every element of the box `count` placed at `start` in
/// an array of `shape` (destination) and packed row-major (source).
fn for_each_in_box(shape: &[u64], start: &[u64], count: &[u64], mut f: impl FnMut(usize, usize)) {
    let rank = shape.len();
    let total: u64 = sat_prod(count);
    if total == 0 {
        return;
    }
    let st = strides(shape);
    let mut idx = vec![0u64; rank];
    for src in 0..total {
        let mut dst = 0u64;
        for d in 0..rank {
            dst += (start.get(d).copied().unwrap_or(0) + idx.get(d).copied().unwrap_or(0)) * st.get(d).copied().unwrap_or(0);
        }
        f(src as usize, dst as usize);
        next_index(&mut idx, count);
    }
}

impl FileWriter {
    /// A writer that will write the file at `path` on flush/close (the file is created now).
    pub fn create(path: impl AsRef<Path>, libver: LibVer) -> Result<FileWriter> {
        let p = path.as_ref().to_path_buf();
        let mut w = FileWriter::in_memory(libver);
        let file = std::fs::File::create(&p).map_err(|e| Error::io(e, format!("creating {}", p.display())))?;
        w.file = Some(Arc::new(file));
        w.path = Some(p);
        // Like libhdf5, a valid (empty) file exists as soon as it is created.
        w.flush()?;
        Ok(w)
    }

    /// A writer with no file behind it: get the bytes with [`FileWriter::to_bytes`].
    pub fn in_memory(libver: LibVer) -> FileWriter {
        FileWriter {
            libver,
            objs: vec![Obj { kind: Kind::Group { links: Vec::new(), next_corder: 0 }, attrs: Vec::new() }],
            path: None,
            file: None,
            threads: None,
        }
    }

    /// Sets how many threads run the filter pipeline over chunks when the file is serialized
    /// (`None`, the default: one per core; `Some(1)`: on the calling thread). The file is the
    /// same byte for byte whatever the count. WebAssembly builds always use one.
    pub fn set_threads(&mut self, threads: Option<usize>) {
        self.threads = threads.map(|n| n.max(1));
    }

    pub fn libver(&self) -> LibVer {
        self.libver
    }

    fn links_of(&self, id: usize) -> Option<&Vec<LinkEntry>> {
        match &self.objs.get(id)?.kind {
            Kind::Group { links, .. } => Some(links),
            _ => None,
        }
    }

    /// Object id at `path` (hard links only).
    pub(crate) fn resolve(&self, path: &str) -> Result<usize> {
        let mut cur = 0usize;
        for part in split_path(path) {
            let links = self.links_of(cur).ok_or_else(|| Error::not_found(format!("{}: not a group on the way", path)))?;
            // Newest first: names are unique in a group, and the object just created is the
            // one most often addressed next (write after create, attributes after write).
            let e = links
                .iter()
                .rev()
                .find(|e| e.name == part)
                .ok_or_else(|| Error::not_found(format!("{}: no object named {:?}", path, part)))?;
            cur = match &e.link {
                Link::Hard(id) => *id,
                _ => return Err(Error::usage(format!("{}: {:?} is a soft or external link", path, part))),
            };
        }
        Ok(cur)
    }

    /// Parent group id (creating intermediate groups) and the last path component.
    fn parent_for_new(&mut self, path: &str) -> Result<(usize, String)> {
        let parts = split_path(path);
        for p in &parts {
            check_c_string("name", p)?;
        }
        let (last, dirs) = parts.split_last().ok_or_else(|| Error::usage("the root group already exists"))?;
        let mut cur = 0usize;
        for d in dirs {
            let existing = self.links_of(cur).and_then(|l| l.iter().rev().find(|e| e.name == *d)).map(|e| e.link.clone());
            cur = match existing {
                Some(Link::Hard(id)) => {
                    if self.links_of(id).is_none() {
                        return Err(Error::usage(format!("{}: {:?} is not a group", path, d)));
                    }
                    id
                }
                Some(_) => return Err(Error::usage(format!("{}: {:?} is a soft or external link", path, d))),
                None => self.add_link(cur, d, None)?,
            };
        }
        if self.links_of(cur).map(|l| l.iter().any(|e| e.name == *last)).unwrap_or(false) {
            return Err(Error::usage(format!("unable to create {}: name already exists", path)));
        }
        Ok((cur, (*last).to_string()))
    }

    /// Adds a link in group `parent`; `target == None` creates a new group.
    fn add_link(&mut self, parent: usize, name: &str, target: Option<Link>) -> Result<usize> {
        let (link, id) = match target {
            Some(l) => {
                let id = if let Link::Hard(i) = l { i } else { usize::MAX };
                (l, id)
            }
            None => {
                self.objs.push(Obj { kind: Kind::Group { links: Vec::new(), next_corder: 0 }, attrs: Vec::new() });
                let id = self.objs.len() - 1;
                (Link::Hard(id), id)
            }
        };
        match self.objs.get_mut(parent).map(|o| &mut o.kind) {
            Some(Kind::Group { links, next_corder }) => {
                links.push(LinkEntry { name: name.to_string(), link, corder: *next_corder });
                *next_corder += 1;
                Ok(id)
            }
            _ => Err(Error::usage("parent is not a group")),
        }
    }

    /// Creates a group (and missing intermediate groups). Error "name already exists".
    pub fn create_group(&mut self, path: &str) -> Result<()> {
        let (parent, name) = self.parent_for_new(path)?;
        self.add_link(parent, &name, None)?;
        Ok(())
    }

    /// Commits a datatype at `path` (h5py `f[path] = numpy.dtype(...)`).
    pub fn commit_datatype(&mut self, path: &str, datatype: Datatype) -> Result<()> {
        check_datatype_names(&datatype)?;
        let (parent, name) = self.parent_for_new(path)?;
        self.objs.push(Obj { kind: Kind::Datatype(datatype), attrs: Vec::new() });
        let id = self.objs.len() - 1;
        self.add_link(parent, &name, Some(Link::Hard(id)))?;
        Ok(())
    }

    /// The committed datatype at `path`: its object id and datatype.
    fn committed(&self, path: &str) -> Result<(usize, Datatype)> {
        let id = self.resolve(path)?;
        match self.objs.get(id).map(|o| &o.kind) {
            Some(Kind::Datatype(dt)) => Ok((id, dt.clone())),
            _ => Err(Error::usage(format!("{}: not a committed datatype", path))),
        }
    }

    /// Creates a dataset, filled with its fill value until written.
    pub fn create_dataset(&mut self, path: &str, mut spec: DatasetSpec) -> Result<()> {
        let committed = match spec.committed_type.take() {
            Some(p) => {
                let (id, dt) = self.committed(&p)?;
                spec.datatype = dt;
                Some(id)
            }
            None => None,
        };
        check_datatype_names(&spec.datatype)?;
        let mut ds = make_dataset(spec)?;
        ds.committed = committed;
        let (parent, name) = self.parent_for_new(path)?;
        self.objs.push(Obj { kind: Kind::Dataset(Box::new(ds)), attrs: Vec::new() });
        let id = self.objs.len() - 1;
        self.add_link(parent, &name, Some(Link::Hard(id)))?;
        Ok(())
    }

    /// Creates a dataset with a null dataspace (`H5S_NULL`: no elements, never written). Of
    /// `spec`, only the datatype, `committed_type` and `fill_value` are used; the layout is
    /// contiguous without storage.
    pub fn create_null_dataset(&mut self, path: &str, mut spec: DatasetSpec) -> Result<()> {
        let committed = match spec.committed_type.take() {
            Some(p) => {
                let (id, dt) = self.committed(&p)?;
                spec.datatype = dt;
                Some(id)
            }
            None => None,
        };
        let spec = DatasetSpec {
            datatype: spec.datatype,
            fill_value: spec.fill_value,
            layout: Some(LayoutKind::Contiguous),
            ..DatasetSpec::scalar(dtype::int(1, false))
        };
        let mut ds = make_dataset(spec)?;
        ds.committed = committed;
        ds.null = true;
        ds.vals = Values::Fixed(Arc::default());
        let (parent, name) = self.parent_for_new(path)?;
        self.objs.push(Obj { kind: Kind::Dataset(Box::new(ds)), attrs: Vec::new() });
        let id = self.objs.len() - 1;
        self.add_link(parent, &name, Some(Link::Hard(id)))?;
        Ok(())
    }

    /// The datatype of the dataset at `path` (what written values are converted to).
    pub fn dataset_datatype(&self, path: &str) -> Result<Datatype> {
        let id = self.resolve(path)?;
        match self.objs.get(id).map(|o| &o.kind) {
            Some(Kind::Dataset(d)) => Ok(d.dt.clone()),
            _ => Err(Error::usage(format!("{}: not a dataset", path))),
        }
    }

    fn dataset_mut(&mut self, path: &str) -> Result<&mut Ds> {
        let id = self.resolve(path)?;
        match self.objs.get_mut(id).map(|o| &mut o.kind) {
            Some(Kind::Dataset(d)) => Ok(d),
            _ => Err(Error::usage(format!("{}: not a dataset", path))),
        }
    }

    /// Writes the whole dataset: row-major raw bytes in the dataset's datatype encoding
    /// (variable-length types: u32 length + bytes per element).
    pub fn write_dataset(&mut self, path: &str, data: &[u8]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let n = element_count(ds.shape.as_deref())?;
        ds.vals = Values::from_raw(&ds.dt, n, data).map_err(|e| e.in_object(path))?;
        ds.written = true;
        Ok(())
    }

    /// As [`FileWriter::write_dataset`], taking the bytes by value: for fixed-size datatypes
    /// the vector becomes the dataset's data as it is (no copy of the caller's bytes; the
    /// serializer writes it to the file from there).
    pub fn write_dataset_owned(&mut self, path: &str, data: Vec<u8>) -> Result<()> {
        self.write_dataset_shared(path, Arc::new(data))
    }

    /// As [`FileWriter::write_dataset_owned`], the caller keeping a handle on the bytes (as
    /// libhdf5 writes from the caller's buffer): for fixed-size datatypes the writer holds
    /// `data` without copying it, and neither the writer nor its serialization frees it. A
    /// later change to the dataset (`write_slice`, `resize`) copies it first if it is
    /// still shared.
    pub fn write_dataset_shared(&mut self, path: &str, data: Arc<Vec<u8>>) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        if !matches!(ds.vals, Values::Fixed(_)) {
            return self.write_dataset(path, &data);
        }
        let n = element_count(ds.shape.as_deref())?;
        let want = n.checked_mul(ds.dt.size as usize).ok_or_else(|| Error::usage("data too large").in_object(path))?;
        if data.len() != want {
            // The same error as the borrowing call.
            return self.write_dataset(path, &data);
        }
        ds.vals = Values::Fixed(data);
        ds.written = true;
        Ok(())
    }

    /// Writes variable-length strings (the dataset's datatype must be a variable-length
    /// string or sequence of bytes).
    pub fn write_strings(&mut self, path: &str, strings: &[&str]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let n = element_count(ds.shape.as_deref())?;
        if !matches!(ds.dt.class, TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. }) {
            return Err(Error::usage(format!("{}: not a variable-length string dataset", path)));
        }
        if strings.len() != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} strings for {} elements", path, strings.len(), n)));
        }
        ds.vals = Values::Vlen(strings.iter().map(|s| Some(s.as_bytes().to_vec())).collect());
        ds.written = true;
        Ok(())
    }

    /// Writes object references (the dataset's datatype must be an object reference);
    /// `None` is a null reference. Paths are resolved when the file is serialized.
    pub fn write_references(&mut self, path: &str, targets: &[Option<&str>]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let n = element_count(ds.shape.as_deref())?;
        if !matches!(ds.dt.class, TypeClass::Reference { .. }) {
            return Err(Error::usage(format!("{}: not a reference dataset", path)));
        }
        if targets.len() != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} references for {} elements", path, targets.len(), n)));
        }
        ds.vals = Values::Refs(targets.iter().map(|t| t.map(|s| s.to_string())).collect());
        ds.written = true;
        Ok(())
    }

    /// Writes a dataset whose compound/array elements hold object references: `data` the
    /// element bytes (reference slots ignored), `refs` per element the target path of each
    /// reference slot, in member order ([`enc::ref_slots`]).
    pub fn write_dataset_with_refs(&mut self, path: &str, data: &[u8], refs: &[Option<&str>]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let n = element_count(ds.shape.as_deref())?;
        let vals = fixed_refs(&ds.dt, n, data, refs).map_err(|e| e.in_object(path))?;
        ds.vals = vals;
        ds.written = true;
        Ok(())
    }

    /// Writes variable-length sequences of object references (the dataset's datatype must be
    /// [`dtype::vlen_sequence`] of [`dtype::object_reference`]): per element the target paths
    /// (`None`: null reference), resolved when the file is serialized.
    pub fn write_vlen_references(&mut self, path: &str, targets: &[Vec<Option<&str>>]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let n = element_count(ds.shape.as_deref())?;
        if !is_vlen_of_refs(&ds.dt) {
            return Err(Error::usage(format!("{}: not a variable-length sequence of object references", path)));
        }
        if targets.len() != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} elements given for {}", path, targets.len(), n)));
        }
        ds.vals = Values::VlenRefs(owned_ref_lists(targets));
        ds.written = true;
        Ok(())
    }

    /// Writes dataset region references (the dataset's datatype must be
    /// [`dtype::region_reference`]): target dataset path and region; `None` is a null
    /// reference. Targets are resolved when the file is serialized.
    pub fn write_region_references(&mut self, path: &str, targets: &[Option<(&str, Region)>]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let n = element_count(ds.shape.as_deref())?;
        if !matches!(ds.dt.class, TypeClass::Reference { kind: h5kit_object_header::ReferenceKind::DatasetRegion }) {
            return Err(Error::usage(format!("{}: not a region reference dataset", path)));
        }
        if targets.len() != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} references for {} elements", path, targets.len(), n)));
        }
        crate::edit::check_regions(targets.iter().flatten().map(|(_, r)| r))?;
        ds.vals = Values::Regions(targets.iter().map(|t| t.as_ref().map(|(p, r)| (p.to_string(), r.clone()))).collect());
        ds.written = true;
        Ok(())
    }

    /// Writes the hyperslab `start`/`count` (row-major packed `data`).
    pub fn write_slice(&mut self, path: &str, start: &[u64], count: &[u64], data: &[u8]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        let shape = ds.shape.clone().unwrap_or_default();
        if start.len() != shape.len() || count.len() != shape.len() {
            return Err(Error::usage(format!("{}: selection rank differs from dataset rank {}", path, shape.len())));
        }
        for (d, ((&st, &ct), &sh)) in start.iter().zip(count).zip(&shape).enumerate() {
            let end = st.checked_add(ct).ok_or_else(|| Error::usage("selection overflows"))?;
            if end > sh {
                return Err(Error::usage(format!(
                    "{}: selection [{}, {}) out of the extent {} of dimension {}",
                    path, st, end, sh, d
                )));
            }
        }
        let n = element_count(Some(count))?;
        let src = Values::from_raw(&ds.dt, n, data).map_err(|e| e.in_object(path))?;
        let size = ds.dt.size as usize;
        match (&mut ds.vals, &src) {
            (Values::Fixed(dst), Values::Fixed(s)) => {
                copy_box(s, count, &vec![0; count.len()], Arc::<Vec<u8>>::make_mut(dst), &shape, start, count, size)
            }
            (Values::Vlen(dst), Values::Vlen(s)) => for_each_in_box(&shape, start, count, |i, j| {
                if let (Some(d), Some(s)) = (dst.get_mut(j), s.get(i)) {
                    d.clone_from(s);
                }
            }),
            (Values::Mixed { fixed: dst, pieces: dp, nslots }, Values::Mixed { fixed: s, pieces: sp, .. }) => {
                copy_box(s, count, &vec![0; count.len()], dst, &shape, start, count, size);
                let k = *nslots;
                for_each_in_box(&shape, start, count, |i, j| {
                    for t in 0..k {
                        if let (Some(d), Some(s)) = (dp.get_mut(j * k + t), sp.get(i * k + t)) {
                            d.clone_from(s);
                        }
                    }
                });
            }
            _ => return Err(Error::usage(format!("{}: cannot write this datatype by slice", path))),
        }
        ds.written = true;
        Ok(())
    }

    /// Changes the current shape of a chunked dataset (h5py `Dataset.resize`).
    pub fn resize(&mut self, path: &str, new_shape: &[u64]) -> Result<()> {
        let ds = self.dataset_mut(path)?;
        if ds.layout != LayoutKind::Chunked {
            return Err(Error::usage(format!("{}: only chunked datasets can be resized", path)));
        }
        let old = ds.shape.clone().unwrap_or_default();
        if new_shape.len() != old.len() {
            return Err(Error::usage(format!("{}: rank of the new shape differs from the dataset rank {}", path, old.len())));
        }
        let max = ds.maxshape.clone().unwrap_or_else(|| old.clone());
        for (d, (&n, &m)) in new_shape.iter().zip(max.iter()).enumerate() {
            if m != UNLIMITED && n > m {
                return Err(Error::usage(format!(
                    "{}: unable to resize: dimension {} size {} is past the maximum {}",
                    path, d, n, m
                )));
            }
        }
        // No maxshape means "the creation shape" (h5py): it must outlive the first resize.
        if ds.maxshape.is_none() && new_shape != old.as_slice() {
            ds.maxshape = Some(max);
        }
        let count = element_count(Some(new_shape))?;
        // Growing or shrinking only the slowest dimension keeps the row-major order: the
        // fixed-size values are cut or extended in place (the append pattern, O(rows added)).
        if old.len() == new_shape.len() && !old.is_empty() && old.get(1..) == new_shape.get(1..) {
            if let Values::Fixed(v) = &mut ds.vals {
                let v = Arc::make_mut(v);
                let size = ds.dt.size as usize;
                let total = count.checked_mul(size).ok_or_else(|| Error::usage("dataset too large"))?;
                match ds.fill.as_deref() {
                    Some(f) if f.len() == size && size > 0 && total > v.len() => {
                        let extra = (total - v.len()) / size;
                        v.reserve(total - v.len());
                        for _ in 0..extra {
                            v.extend_from_slice(f);
                        }
                    }
                    _ => v.resize(total, 0),
                }
                ds.shape = Some(new_shape.to_vec());
                return Ok(());
            }
        }
        let mut vals = Values::empty(&ds.dt, count, ds.fill.as_deref())?;
        let common: Vec<u64> = old.iter().zip(new_shape).map(|(a, b)| (*a).min(*b)).collect();
        let size = ds.dt.size as usize;
        let old_st = strides(&old);
        let zero = vec![0u64; old.len()];
        match (&mut vals, &ds.vals) {
            (Values::Fixed(dst), Values::Fixed(src)) => copy_box(src, &old, &zero, Arc::<Vec<u8>>::make_mut(dst), new_shape, &zero, &common, size),
            (Values::Vlen(dst), Values::Vlen(src)) => for_each_in_box(new_shape, &zero, &common, |i, j| {
                if let (Some(d), Some(s)) = (dst.get_mut(j), src.get(unpacked_index(i, &common, &old_st))) {
                    d.clone_from(s);
                }
            }),
            (Values::Refs(dst), Values::Refs(src)) => for_each_in_box(new_shape, &zero, &common, |i, j| {
                if let (Some(d), Some(s)) = (dst.get_mut(j), src.get(unpacked_index(i, &common, &old_st))) {
                    d.clone_from(s);
                }
            }),
            (Values::Mixed { fixed: dst, pieces: dp, nslots }, Values::Mixed { fixed: src, pieces: sp, .. }) => {
                copy_box(src, &old, &zero, dst, new_shape, &zero, &common, size);
                let k = *nslots;
                for_each_in_box(new_shape, &zero, &common, |i, j| {
                    let si = unpacked_index(i, &common, &old_st);
                    for t in 0..k {
                        if let (Some(d), Some(s)) = (dp.get_mut(j * k + t), sp.get(si * k + t)) {
                            d.clone_from(s);
                        }
                    }
                });
            }
            _ => {}
        }
        ds.vals = vals;
        ds.shape = Some(new_shape.to_vec());
        Ok(())
    }

    fn attrs_mut(&mut self, object_path: &str) -> Result<&mut Vec<Attr>> {
        let id = self.resolve(object_path)?;
        self.objs.get_mut(id).map(|o| &mut o.attrs).ok_or_else(|| Error::not_found(object_path.to_string()))
    }

    fn put_attr(&mut self, object_path: &str, attr: Attr) -> Result<()> {
        check_c_string("attribute name", &attr.name)?;
        check_datatype_names(&attr.dt)?;
        let attrs = self.attrs_mut(object_path)?;
        if let Some(a) = attrs.iter_mut().find(|a| a.name == attr.name) {
            *a = attr;
        } else {
            attrs.push(attr);
        }
        Ok(())
    }

    /// Creates or replaces an attribute (`shape == None`: scalar).
    pub fn set_attribute(
        &mut self,
        object_path: &str,
        name: &str,
        datatype: Datatype,
        shape: Option<&[u64]>,
        data: &[u8],
    ) -> Result<()> {
        let n = element_count(shape)?;
        let vals = Values::from_raw(&datatype, n, data).map_err(|e| e.in_object(object_path))?;
        let attr = Attr { name: name.to_string(), dt: datatype, committed: None, shape: shape.map(|s| s.to_vec()), vals, null: false };
        self.put_attr(object_path, attr)
    }

    /// Creates or replaces an attribute whose datatype is the committed datatype at `type_path`.
    pub fn set_attribute_committed(
        &mut self,
        object_path: &str,
        name: &str,
        type_path: &str,
        shape: Option<&[u64]>,
        data: &[u8],
    ) -> Result<()> {
        let (id, dt) = self.committed(type_path)?;
        let n = element_count(shape)?;
        let vals = Values::from_raw(&dt, n, data).map_err(|e| e.in_object(object_path))?;
        let attr = Attr { name: name.to_string(), dt, committed: Some(id), shape: shape.map(|s| s.to_vec()), vals, null: false };
        self.put_attr(object_path, attr)
    }

    /// Creates or replaces an attribute with a null dataspace (`H5S_NULL`: no elements), of
    /// `datatype` or of the committed datatype at `committed_type`.
    pub fn set_null_attribute(&mut self, object_path: &str, name: &str, datatype: Datatype, committed_type: Option<&str>) -> Result<()> {
        let (committed, dt) = match committed_type {
            Some(p) => {
                let (id, dt) = self.committed(p)?;
                (Some(id), dt)
            }
            None => (None, datatype),
        };
        let attr = Attr { name: name.to_string(), dt, committed, shape: None, vals: Values::Fixed(Arc::default()), null: true };
        self.put_attr(object_path, attr)
    }

    /// Creates or replaces a scalar variable-length UTF-8 string attribute (h5py's `str`).
    pub fn set_string_attribute(&mut self, object_path: &str, name: &str, value: &str) -> Result<()> {
        let vals = Values::Vlen(vec![Some(value.as_bytes().to_vec())]);
        self.put_attr(object_path, Attr { name: name.to_string(), dt: dtype::vlen_string(), committed: None, shape: None, vals, null: false })
    }

    /// Creates or replaces an object reference attribute.
    pub fn set_reference_attribute(&mut self, object_path: &str, name: &str, shape: Option<&[u64]>, targets: &[Option<&str>]) -> Result<()> {
        if targets.len() != element_count(shape)? {
            return Err(Error::usage("shape mismatch: reference count differs from the attribute's element count"));
        }
        let vals = Values::Refs(targets.iter().map(|t| t.map(|s| s.to_string())).collect());
        let attr = Attr { name: name.to_string(), dt: dtype::object_reference(), committed: None, shape: shape.map(|s| s.to_vec()), vals, null: false };
        self.put_attr(object_path, attr)
    }

    /// Creates or replaces a dataset region reference attribute ([`dtype::region_reference`]):
    /// target dataset path and region per element (`None`: null reference).
    pub fn set_region_reference_attribute(
        &mut self,
        object_path: &str,
        name: &str,
        shape: Option<&[u64]>,
        targets: &[Option<(&str, Region)>],
    ) -> Result<()> {
        if targets.len() != element_count(shape)? {
            return Err(Error::usage("shape mismatch: reference count differs from the attribute's element count"));
        }
        let vals = Values::Regions(targets.iter().map(|t| t.as_ref().map(|(p, r)| (p.to_string(), r.clone()))).collect());
        let attr = Attr { name: name.to_string(), dt: dtype::region_reference(), committed: None, shape: shape.map(|s| s.to_vec()), vals, null: false };
        self.put_attr(object_path, attr)
    }

    /// Creates or replaces an attribute whose compound/array elements hold object references
    /// (see [`FileWriter::write_dataset_with_refs`]).
    pub fn set_attribute_with_refs(
        &mut self,
        object_path: &str,
        name: &str,
        datatype: Datatype,
        shape: Option<&[u64]>,
        data: &[u8],
        refs: &[Option<&str>],
    ) -> Result<()> {
        let n = element_count(shape)?;
        let vals = fixed_refs(&datatype, n, data, refs).map_err(|e| e.in_object(object_path))?;
        let attr = Attr { name: name.to_string(), dt: datatype, committed: None, shape: shape.map(|s| s.to_vec()), vals, null: false };
        self.put_attr(object_path, attr)
    }

    /// Creates or replaces an attribute of variable-length sequences of object references
    /// (e.g. `DIMENSION_LIST` of dimension scales): per element the target paths.
    pub fn set_vlen_reference_attribute(
        &mut self,
        object_path: &str,
        name: &str,
        shape: Option<&[u64]>,
        targets: &[Vec<Option<&str>>],
    ) -> Result<()> {
        if targets.len() != element_count(shape)? {
            return Err(Error::usage("shape mismatch: element count differs from the attribute's"));
        }
        let vals = Values::VlenRefs(owned_ref_lists(targets));
        let dt = dtype::vlen_sequence(dtype::object_reference());
        let attr = Attr { name: name.to_string(), dt, committed: None, shape: shape.map(|s| s.to_vec()), vals, null: false };
        self.put_attr(object_path, attr)
    }

    pub fn delete_attribute(&mut self, object_path: &str, name: &str) -> Result<()> {
        let attrs = self.attrs_mut(object_path)?;
        let before = attrs.len();
        attrs.retain(|a| a.name != name);
        if attrs.len() == before {
            return Err(Error::not_found(format!("{}: no attribute named {:?}", object_path, name)));
        }
        Ok(())
    }

    /// Removes a link (the object disappears from the file when nothing links to it).
    pub fn delete_link(&mut self, path: &str) -> Result<()> {
        let parts = split_path(path);
        let (last, dirs) = parts.split_last().ok_or_else(|| Error::usage("cannot delete the root group"))?;
        let parent = self.resolve(&dirs.join("/"))?;
        match self.objs.get_mut(parent).map(|o| &mut o.kind) {
            Some(Kind::Group { links, .. }) => {
                let before = links.len();
                links.retain(|e| e.name != *last);
                if links.len() == before {
                    return Err(Error::not_found(format!("unable to delete {}: name doesn't exist", path)));
                }
                Ok(())
            }
            _ => Err(Error::usage(format!("{}: parent is not a group", path))),
        }
    }

    pub fn create_soft_link(&mut self, path: &str, target: &str) -> Result<()> {
        if target.len() > 0xfff0 {
            return Err(Error::usage("soft link target too long"));
        }
        check_c_string("soft link target", target)?;
        let (parent, name) = self.parent_for_new(path)?;
        self.add_link(parent, &name, Some(Link::Soft(target.to_string())))?;
        Ok(())
    }

    pub fn create_external_link(&mut self, path: &str, file: &str, target_path: &str) -> Result<()> {
        if file.len() + target_path.len() > 0xfff0 {
            return Err(Error::usage("external link file name and path too long"));
        }
        check_c_string("external link file name", file)?;
        check_c_string("external link target", target_path)?;
        let (parent, name) = self.parent_for_new(path)?;
        self.add_link(parent, &name, Some(Link::External(file.to_string(), target_path.to_string())))?;
        Ok(())
    }

    pub fn create_hard_link(&mut self, path: &str, existing_path: &str) -> Result<()> {
        let id = self.resolve(existing_path)?;
        let (parent, name) = self.parent_for_new(path)?;
        self.add_link(parent, &name, Some(Link::Hard(id)))?;
        Ok(())
    }

    /// Serializes the whole file.
    pub fn to_bytes(&mut self) -> Result<Vec<u8>> {
        build::serialize(self)
    }

    /// Serializes the whole file into any writer (streamed in address order).
    pub fn write_to(&self, out: &mut impl std::io::Write) -> Result<()> {
        build::serialize_into(self, out)
    }

    /// Writes a complete, consistent file (in-memory writers: nothing to do): the whole file
    /// is rewritten from its start through the handle opened by [`FileWriter::create`] (as
    /// libhdf5 keeps its file open; a file renamed meanwhile is the one written), then cut to
    /// its new length. Not atomic: a crash during a flush leaves a mix of the two versions
    /// (`h5kit::File::flush` writes a temporary file and renames it for that).
    pub fn flush(&mut self) -> Result<()> {
        if let Some(p) = self.path.clone() {
            use std::io::{Seek, Write};
            let file = match &self.file {
                Some(f) => f.clone(),
                None => {
                    let f = std::fs::File::create(&p).map_err(|e| Error::io(e, format!("creating {}", p.display())))?;
                    Arc::new(f)
                }
            };
            let io = |e| Error::io(e, format!("writing {}", p.display()));
            let mut f: &std::fs::File = &file;
            f.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
            // Structures are gathered in the buffer; large raw data blocks go straight to the
            // file (BufWriter passes writes larger than its buffer through).
            let mut out = std::io::BufWriter::with_capacity(1 << 16, f);
            build::serialize_into(self, &mut out)?;
            out.flush().map_err(io)?;
            drop(out);
            // A file longer than before keeps no stale tail (the length is only cut when it
            // shrank: no truncation to zero between flushes).
            let end = f.stream_position().map_err(io)?;
            if f.metadata().map_err(io)?.len() > end {
                f.set_len(end).map_err(io)?;
            }
            self.file = Some(file);
        }
        Ok(())
    }

    pub fn close(mut self) -> Result<()> {
        self.flush()
    }
}

/// Index in an array with strides `st` of the `i`-th element of a packed box `count` at 0.
fn unpacked_index(i: usize, count: &[u64], st: &[u64]) -> usize {
    let mut rem = i as u64;
    let mut out = 0u64;
    for d in (0..count.len()).rev() {
        let c = count.get(d).copied().unwrap_or(1).max(1);
        out += (rem % c) * st.get(d).copied().unwrap_or(0);
        rem /= c;
    }
    out as usize
}

fn make_dataset(spec: DatasetSpec) -> Result<Ds> {
    let mut ds = check_spec(spec)?;
    let count = element_count(ds.shape.as_deref())?;
    ds.vals = Values::empty(&ds.dt, count, ds.fill.as_deref())?;
    Ok(ds)
}

/// Checks a dataset's creation arguments and settles its layout, chunk shape and filter
/// pipeline; the values are left empty.
pub(crate) fn check_spec(spec: DatasetSpec) -> Result<Ds> {
    let dt = spec.datatype;
    if dt.size == 0 {
        return Err(Error::usage("datatype size must be positive"));
    }
    if let Some(level) = spec.deflate.filter(|&l| l > 9) {
        return Err(Error::usage(format!("deflate (gzip) level {} is not in 0-9", level)));
    }
    let shorthand = spec.deflate.is_some() || spec.shuffle || spec.fletcher32;
    if shorthand && !spec.filters.is_empty() {
        return Err(Error::usage("give either a filter pipeline or deflate/shuffle/fletcher32, not both"));
    }
    let filtered = shorthand || !spec.filters.is_empty();
    let shape = spec.shape;
    let rank = shape.as_ref().map(|s| s.len()).unwrap_or(0);
    if let Some(m) = &spec.maxshape {
        if m.len() != rank {
            return Err(Error::usage("maxshape rank differs from shape rank"));
        }
        for (d, (&n, &mx)) in shape.iter().flatten().zip(m.iter()).enumerate() {
            if mx != UNLIMITED && n > mx {
                return Err(Error::usage(format!("shape {} is past maxshape {} in dimension {}", n, mx, d)));
            }
        }
    }
    let maxshape = spec.maxshape.filter(|m| Some(m) != shape.as_ref());
    let layout = match spec.layout {
        Some(l) => l,
        None if spec.chunks.is_some() || maxshape.is_some() || filtered => LayoutKind::Chunked,
        None => LayoutKind::Contiguous,
    };
    if layout != LayoutKind::Chunked && (maxshape.is_some() || filtered) {
        return Err(Error::usage("maxshape and filters need a chunked layout"));
    }
    let chunks = if layout == LayoutKind::Chunked {
        let s = shape.as_ref().filter(|s| !s.is_empty()).ok_or_else(|| Error::usage("chunked datasets need a rank of at least 1"))?;
        let c = match spec.chunks {
            Some(c) => c,
            None => filters::guess_chunk(s, dt.size as u64),
        };
        if c.len() != s.len() || c.iter().any(|&x| x == 0 || x > u32::MAX as u64) {
            return Err(Error::usage("chunk shape must have the dataset's rank and positive sizes"));
        }
        let chunk_bytes = sat_prod(&c).saturating_mul(u64::from(dt.size));
        if chunk_bytes >= 1 << 32 {
            return Err(Error::usage(format!(
                "chunk {:?} of {}-byte elements is {} bytes: chunks must be under 4 GiB",
                c, dt.size, chunk_bytes
            )));
        }
        if let Some(m) = &maxshape {
            for (&cd, &md) in c.iter().zip(m) {
                if md != UNLIMITED && cd > md {
                    return Err(Error::usage("chunk shape must not exceed the maximum shape"));
                }
            }
        } else if c.iter().zip(s).any(|(&cd, &sd)| cd > sd) {
            return Err(Error::usage("chunk shape must not exceed a fixed dataset shape"));
        }
        Some(c)
    } else {
        None
    };
    if layout == LayoutKind::Compact {
        let bytes = sat_prod(shape.as_deref().unwrap_or(&[])).saturating_mul(u64::from(dt.size));
        if bytes > MAX_COMPACT_BYTES {
            return Err(Error::usage(format!(
                "compact dataset of {} bytes is bigger than a header message can hold ({} bytes at most)",
                bytes, MAX_COMPACT_BYTES
            )));
        }
    }
    if let Some(f) = &spec.fill_value {
        if f.len() != dt.size as usize {
            return Err(Error::usage("fill value size differs from the datatype size"));
        }
    }
    let filters = if shorthand {
        enc::standard_pipeline(spec.shuffle, spec.deflate, spec.fletcher32, dt.size).filters
    } else {
        spec.filters
    };
    let pipeline = filters::make_pipeline(filters, &dt, chunks.as_deref(), spec.fill_value.as_deref())?;
    element_count(shape.as_deref())?;
    let vals = Values::Fixed(Arc::default());
    Ok(Ds {
        dt,
        shape,
        maxshape,
        layout,
        chunks,
        pipeline,
        fill: spec.fill_value,
        vals,
        written: false,
        committed: None,
        null: false,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn next_index_walks_a_box_row_major() {
        // The first two dimensions of a 2 x 3 x 5 box (the last one is a run).
        let mut idx = [0u64; 2];
        let mut seen = vec![idx];
        while super::next_index(&mut idx, &[2, 3, 5]) {
            seen.push(idx);
        }
        assert_eq!(seen, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
        assert_eq!(idx, [0, 0]);
        // Rank 0: one index, then done.
        assert!(!super::next_index(&mut [], &[4]));
    }
}

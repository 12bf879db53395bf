//! The writer half of h5kit: the on-disk writer ([`edit::Editor`]), which edits an HDF5 file
//! where it lives (objects created, changed and deleted in place, raw data written to disk as
//! it comes, a flush that commits with one final small write; see spec-notes/writer.md), and
//! what it uses: file space allocation ([`space`]), the chunk write-back cache
//! ([`chunk_cache`]), the filter pipeline on write ([`filters`]), datatype constructors
//! ([`dtype`]) and the dataset creation arguments ([`DatasetSpec`]), checked at the call.
//! The structures' encoders live beside their decoders in the crates that own them.
//!
//! Two format levels ([`LibVer`]):
//! - `Earliest`: superblock version 0, version 1 object headers, symbol-table groups (local
//!   heap + v1 B-tree + symbol table nodes), layout message version 3 with v1 B-tree chunk
//!   indexes: readable by libhdf5 1.8.
//! - `Latest`: superblock version 3, version 2 object headers with checksums, link messages
//!   with creation order, layout version 4 with single-chunk / fixed-array / extensible-array
//!   / v2 B-tree chunk indexes.
//!
//! Variable-length data (strings and sequences) is stored in global heap collections; its
//! raw-byte encoding at this API is, per element, a little-endian `u32` byte count followed by
//! that many bytes (for sequences: the base elements' bytes). Object references are written
//! from object paths ([`edit::Editor::write_references`]). Inside compounds/arrays, each
//! variable-length member's 16-byte slot is ignored in the element bytes, and the element is
//! followed by a `u32` length + bytes per slot.
//!
//! ```
//! use std::sync::Arc;
//! use h5kit_core::{Limits, WritableMemory, WritableStorage};
//! use h5kit_write::{dtype, edit::Editor, DatasetSpec, LibVer, UNLIMITED};
//!
//! let storage: Arc<dyn WritableStorage> = Arc::new(WritableMemory::default());
//! let mut w = Editor::create_format(storage, Limits::default(), LibVer::Earliest)?;
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
//! w.flush()?;
//! # Ok::<(), h5kit_write::Error>(())
//! ```
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod dtype;
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
    /// Path of a committed datatype ([`edit::Editor::commit_datatype`]) to use instead of
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

/// HDF5 names (links, attributes, compound members, enum values, soft link targets) are C
/// strings: a NUL inside would cut the name when read back, so it is refused.
pub(crate) fn check_c_string(what: &str, s: &str) -> Result<()> {
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

/// A dataset's creation arguments, checked and settled ([`check_spec`]).
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
    /// Null dataspace (`H5S_NULL`): no elements, no storage.
    pub null: bool,
}

/// Checks a dataset's creation arguments and settles its layout, chunk shape and filter
/// pipeline.
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
        filters::standard_pipeline(spec.shuffle, spec.deflate, spec.fletcher32, dt.size).filters
    } else {
        spec.filters
    };
    let pipeline = filters::make_pipeline(filters, &dt, chunks.as_deref(), spec.fill_value.as_deref())?;
    Ok(Ds {
        dt,
        shape,
        maxshape,
        layout,
        chunks,
        pipeline,
        fill: spec.fill_value,
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

//! Copying a whole file into a writer (what `h5 repack` and opening a file in `r+`/`a` mode
//! do): every group, dataset, attribute and link, read with the reader and created again with
//! the writer ([`h5kit_write::FileWriter`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_dataset::filter;
use h5kit_object_header::{
    DataspaceKind, Datatype, Filter, Layout, LinkTarget, ReferenceKind, TypeClass, UNLIMITED,
};
use h5kit_write::{DatasetSpec, FileWriter, LayoutKind, Region};

use crate::attribute::Attribute;
use crate::file::File;
use crate::object::{Dataset, Object};

/// Temporary link name of an anonymous committed datatype while it is copied.
const ANONYMOUS_TYPE_PREFIX: &str = "\u{1}h5kit-anonymous-datatype-";

/// h5repack's buffer size (`H5TOOLS_BUFSIZE`, 32 MiB): the chunk it gives a dataset that
/// gets filters without a chunk shape is at most this large.
const TOOLS_BUFSIZE: u64 = 32 * 1024 * 1024;

/// h5repack's largest compact dataset (`MAX_COMPACT_DSIZE`: 64 KiB less 1 KiB of header).
const MAX_COMPACT_DSIZE: u64 = 64512;

/// A layout option: the layout and, for `CHUNK=`, the chunk shape.
pub type LayoutOption = (LayoutKind, Option<Vec<u64>>);

/// What to change while copying (h5repack's `-f` and `-l`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackOptions {
    /// `-f FILTER` without object names: every dataset's pipeline is replaced by these
    /// filters, in order (`Some(vec![])`: `NONE`, no filters).
    pub filters: Option<Vec<Filter>>,
    /// `-f OBJ[,OBJ...]:FILTER`: pipelines of named datasets (paths without the leading '/'),
    /// replacing the source's.
    pub object_filters: BTreeMap<String, Vec<Filter>>,
    /// `-l LAYOUT` without object names: `CONTI` (filters dropped), `COMPA` (unfiltered
    /// datasets under 64512 bytes), `CHUNK=AxB` (datasets of that rank).
    pub layout: Option<LayoutOption>,
    /// `-l OBJ[,OBJ...]:LAYOUT`: layouts of named datasets.
    pub object_layouts: BTreeMap<String, LayoutOption>,
}

/// Splits h5repack's `OBJ,OBJ:VALUE` into the object names (without a leading '/') and the
/// value; no ':' means every object.
fn split_objects(arg: &str) -> (Vec<String>, &str) {
    match arg.rsplit_once(':') {
        Some((objs, value)) => {
            let names = objs.split(',').map(|o| o.trim().trim_start_matches('/').to_string()).filter(|o| !o.is_empty()).collect();
            (names, value)
        }
        None => (Vec::new(), arg),
    }
}

fn numbers(arg: &str, list: &str) -> Result<Vec<u32>> {
    list.split(',')
        .map(|v| v.trim().parse::<u32>().map_err(|_| Error::usage(format!("-f {}: {:?} is not a number", arg, v))))
        .collect()
}

/// One h5repack filter name as a pipeline entry (`None`: `NONE`). The flags are those
/// libhdf5's `H5Pset_deflate`/`H5Pset_shuffle` (optional) and `H5Pset_fletcher32`
/// (mandatory) use.
fn parse_one_filter(arg: &str, value: &str) -> Result<Option<Filter>> {
    let (name, params) = match value.split_once('=') {
        Some((n, p)) => (n.trim().to_ascii_uppercase(), Some(p.trim())),
        None => (value.trim().to_ascii_uppercase(), None),
    };
    let filter = |id: u16, flags: u16, client_data: Vec<u32>| Filter { id, name: None, flags, client_data };
    Ok(Some(match (name.as_str(), params) {
        ("GZIP", Some(level)) => {
            let l: u32 = level.parse().map_err(|_| Error::usage(format!("-f {}: GZIP level 1-9 expected", arg)))?;
            if l > 9 {
                return Err(Error::usage(format!("-f {}: GZIP level 1-9 expected", arg)));
            }
            filter(filter::DEFLATE, 1, vec![l])
        }
        ("SHUF", None) => filter(filter::SHUFFLE, 1, vec![]),
        ("FLET", None) => filter(filter::FLETCHER32, 0, vec![]),
        ("NONE", None) => return Ok(None),
        ("UD", Some(list)) => {
            let v = numbers(arg, list)?;
            let &[id, flags, count, ref values @ ..] = v.as_slice() else {
                return Err(Error::usage(format!("-f {}: UD=filter_number,filter_flag,cd_value_count,value1[,...] expected", arg)));
            };
            let id = u16::try_from(id).map_err(|_| Error::usage(format!("-f {}: filter number {} too large", arg, id)))?;
            if flags > 1 || count as usize != values.len() || values.is_empty() {
                return Err(Error::usage(format!("-f {}: filter flag 0/1 and {} client data values expected", arg, count)));
            }
            if !filter::can_encode(id) && flags == 0 {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("-f {}: filter {} ({}) cannot be applied by h5kit", arg, id, filter::filter_name(id)),
                ));
            }
            filter(id, flags as u16, values.to_vec())
        }
        // H5Pset_nbit: mandatory; H5Pset_scaleoffset: optional, cd = [scale type, factor].
        ("NBIT", None) => filter(filter::NBIT, 0, vec![]),
        ("SOFF", Some(p)) => {
            let (factor, kind) = p
                .split_once(',')
                .ok_or_else(|| Error::usage(format!("-f {}: SOFF=scale_factor,IN|DS expected", arg)))?;
            let factor: i32 = factor.trim().parse().map_err(|_| Error::usage(format!("-f {}: SOFF=scale_factor,IN|DS expected", arg)))?;
            let scale_type = match kind.trim().to_ascii_uppercase().as_str() {
                "IN" => 2,
                "DS" => 0,
                _ => return Err(Error::usage(format!("-f {}: scale type IN or DS expected", arg))),
            };
            filter(filter::SCALEOFFSET, 1, vec![scale_type, factor as u32])
        }
        ("SZIP" | "NBIT" | "SOFF", _) => {
            return Err(Error::new(ErrorKind::Unsupported, format!("-f {}: filter {} is not supported by h5kit", arg, name)))
        }
        _ => return Err(Error::usage(format!("-f {}: GZIP=n, SHUF, FLET, UD=..., NONE expected", arg))),
    }))
}

impl RepackOptions {
    /// Applies one h5repack `-f` argument: `[OBJ,OBJ...:]FILTER` with FILTER one of
    /// `GZIP=level` (0-9), `SHUF`, `FLET`, `NBIT`, `SOFF=factor,IN|DS` (integers encoded;
    /// floats keep the optional filter, skipped), `UD=id,flags,count,values...` (filters h5kit
    /// can apply, or optional ones), `NONE`. Filters accumulate in the order given; `NONE` only
    /// removes the source's filters. As h5repack, filters for all objects and for named
    /// objects cannot be mixed.
    pub fn parse_filter(&mut self, arg: &str) -> Result<()> {
        let (objects, value) = split_objects(arg);
        let f = parse_one_filter(arg, value)?;
        if objects.is_empty() {
            if !self.object_filters.is_empty() {
                return Err(Error::usage(format!("-f {}: filters for all objects and for named objects cannot be mixed", arg)));
            }
            self.filters.get_or_insert_with(Vec::new).extend(f);
        } else {
            if self.filters.is_some() {
                return Err(Error::usage(format!("-f {}: filters for all objects and for named objects cannot be mixed", arg)));
            }
            for o in objects {
                self.object_filters.entry(o).or_default().extend(f.clone());
            }
        }
        Ok(())
    }

    /// Applies one h5repack `-l` argument: `[OBJ,OBJ...:]LAYOUT` with LAYOUT one of
    /// `CHUNK=10x20`, `CONTI`, `COMPA`.
    pub fn parse_layout(&mut self, arg: &str) -> Result<()> {
        let (objects, value) = split_objects(arg);
        let upper = value.trim().to_ascii_uppercase();
        let layout = match upper.split_once('=') {
            Some(("CHUNK", dims)) => {
                let dims: std::result::Result<Vec<u64>, _> = dims.split(['x', 'X']).map(|d| d.trim().parse::<u64>()).collect();
                let dims = dims.map_err(|_| Error::usage(format!("-l {}: CHUNK=AxB... expected", arg)))?;
                if dims.is_empty() || dims.contains(&0) || dims.len() > 32 {
                    return Err(Error::usage(format!("-l {}: chunk dimensions must be positive", arg)));
                }
                (LayoutKind::Chunked, Some(dims))
            }
            None if upper == "CONTI" => (LayoutKind::Contiguous, None),
            None if upper == "COMPA" => (LayoutKind::Compact, None),
            _ => return Err(Error::usage(format!("-l {}: CHUNK=AxB, CONTI or COMPA expected", arg))),
        };
        if objects.is_empty() {
            self.layout = Some(layout);
        } else {
            for o in objects {
                self.object_layouts.insert(o, layout.clone());
            }
        }
        Ok(())
    }
}

/// h5repack's chunk for a dataset it filters that has none: the dataset's shape, the leading
/// dimensions cut so that a chunk is at most 32 MiB (its "strip mine" hyperslab).
pub fn h5repack_chunk(dims: &[u64], elem_size: u64) -> Vec<u64> {
    let mut out = vec![1u64; dims.len()];
    let mut nbytes = elem_size.max(1);
    for (o, &d) in out.iter_mut().zip(dims).rev() {
        let size = (TOOLS_BUFSIZE / nbytes).max(1);
        *o = d.min(size).max(1);
        nbytes = nbytes.saturating_mul(*o);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_h5repack_options() {
        let mut o = RepackOptions::default();
        o.parse_filter("GZIP=6").unwrap();
        o.parse_filter("shuf").unwrap();
        o.parse_filter("NONE").unwrap();
        let ids: Vec<(u16, u16, Vec<u32>)> = o.filters.clone().unwrap().into_iter().map(|f| (f.id, f.flags, f.client_data)).collect();
        assert_eq!(ids, [(1, 1, vec![6]), (2, 1, vec![])]);
        assert!(o.parse_filter("a:FLET").is_err(), "all-object and per-object filters mixed");
        assert!(o.parse_filter("GZIP=10").is_err());
        assert!(o.parse_filter("SZIP=8,NN").is_err());
        let mut o = RepackOptions::default();
        o.parse_filter("NBIT").unwrap();
        o.parse_filter("SOFF=3,in").unwrap();
        o.parse_filter("SOFF=-2,DS").unwrap();
        let got: Vec<(u16, u16, Vec<u32>)> = o.filters.clone().unwrap().into_iter().map(|f| (f.id, f.flags, f.client_data)).collect();
        assert_eq!(got, [(5, 0, vec![]), (6, 1, vec![2, 3]), (6, 1, vec![0, (-2i32) as u32])]);
        assert!(o.parse_filter("SOFF=3").is_err() && o.parse_filter("SOFF=3,XX").is_err());
        let mut o = RepackOptions::default();
        o.parse_filter("/a,g/d:UD=32004,1,1,0").unwrap();
        o.parse_filter("a:FLET").unwrap();
        o.parse_filter("b:NONE").unwrap();
        assert_eq!(o.object_filters["a"].iter().map(|f| f.id).collect::<Vec<_>>(), [32004, 3]);
        assert_eq!(o.object_filters["g/d"][0].client_data, [0]);
        assert!(o.object_filters["b"].is_empty());
        assert!(o.parse_filter("UD=32004,1,2,0").is_err(), "count differs from the values");
        assert!(o.parse_filter("x:UD=307,0,1,9").is_err(), "mandatory bzip2: cannot be applied");
        assert!(o.parse_filter("x:UD=307,1,1,9").is_ok(), "optional: written, skipped on chunks");
        o.parse_layout("CHUNK=10x20").unwrap();
        assert_eq!(o.layout, Some((LayoutKind::Chunked, Some(vec![10, 20]))));
        o.parse_layout("CONTI").unwrap();
        assert_eq!(o.layout, Some((LayoutKind::Contiguous, None)));
        o.parse_layout("/b,c:COMPA").unwrap();
        assert_eq!(o.object_layouts["c"], (LayoutKind::Compact, None));
        assert!(o.parse_layout("CHUNK=0x3").is_err());
        assert!(o.parse_layout("a:CHUNKY").is_err());
    }

    #[test]
    fn chunk_like_h5repack() {
        // h5repack -f big:GZIP=1 on a 3000 x 3000 float64 dataset: CHUNKED ( 1398, 3000 ).
        assert_eq!(h5repack_chunk(&[3000, 3000], 8), [1398, 3000]);
        assert_eq!(h5repack_chunk(&[1000], 8), [1000]);
        assert_eq!(h5repack_chunk(&[10, 5_000_000, 2], 8), [1, 2_097_152, 2]);
    }
}

/// What the copy could not carry over exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepackReport {
    pub objects: usize,
    /// Human-readable notes, e.g. a filter the writer cannot apply.
    pub warnings: Vec<String>,
}

fn child_path(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{}", name)
    } else {
        format!("{}/{}", parent, name)
    }
}

/// Object references inside a datatype (the writer takes them as paths).
fn is_object_reference(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Reference { kind: ReferenceKind::Object })
}

fn is_region_reference(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Reference { kind: ReferenceKind::DatasetRegion })
}

/// Decodes a region reference's global heap object: the target object header address and
/// its "Dataspace Selection" (spec VIII.A): all (type 3) or hyperslab version 1 blocks
/// (type 2: start and inclusive end offsets per block). `None`: another selection kind.
fn decode_region(obj: &[u8], offset_size: usize) -> Option<(u64, Region)> {
    let mut a = [0u8; 8];
    let addr_bytes = obj.get(..offset_size.min(8))?;
    a.get_mut(..addr_bytes.len())?.copy_from_slice(addr_bytes);
    let addr = u64::from_le_bytes(a);
    let rest = obj.get(offset_size..)?;
    let u32_at = |i: usize| -> Option<u32> {
        let b = rest.get(i.checked_mul(4)?..i.checked_mul(4)?.checked_add(4)?)?;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    };
    match (u32_at(0)?, u32_at(1)?) {
        (3, _) => Some((addr, Region::All)),
        (2, 1) => {
            let rank = u32_at(4)? as usize;
            let nblocks = u32_at(5)? as usize;
            if rank == 0 || rank > 32 || nblocks > rest.len() / 8 {
                return None;
            }
            let mut blocks = Vec::with_capacity(nblocks);
            for k in 0..nblocks {
                let base = 6usize.checked_add(k.checked_mul(2 * rank)?)?;
                let mut start = Vec::with_capacity(rank);
                let mut count = Vec::with_capacity(rank);
                for d in 0..rank {
                    let s = u32_at(base + d)? as u64;
                    let e = u32_at(base + rank + d)? as u64;
                    start.push(s);
                    count.push(e.checked_sub(s)?.checked_add(1)?);
                }
                blocks.push((start, count));
            }
            Some((addr, Region::Blocks(blocks)))
        }
        _ => None,
    }
}

/// Variable-length sequences of object references (dimension scales' `DIMENSION_LIST`).
fn is_vlen_of_refs(dt: &Datatype) -> bool {
    matches!(&dt.class, TypeClass::VarLenSequence { base } if is_object_reference(base))
}

fn is_vlen(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. })
}

/// Converts variable-length elements to the writer's encoding: u32 byte count + bytes.
fn vlen_to_writer(elements: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in elements {
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
        out.extend_from_slice(&e);
    }
    out
}

/// Converts raw elements whose datatype holds variable-length slots inside compounds/arrays
/// (global heap IDs in the element bytes) to the writer's encoding: the element bytes, then
/// per slot (in [`h5kit_write::enc::vl_slots`] order) a u32 byte count and the bytes.
fn mixed_to_writer(src: &File, dt: &Datatype, raw: &[u8], keep_fixed: bool) -> Result<Vec<u8>> {
    let slots = h5kit_write::enc::vl_slots(dt)?;
    let size = dt.size as usize;
    if slots.is_empty() || size == 0 {
        return Ok(raw.to_vec());
    }
    let w = src.superblock().sizes.offset as usize;
    let slot_len = 4 + w + 4;
    let mut out = Vec::with_capacity(raw.len());
    for elem in raw.chunks_exact(size) {
        if keep_fixed {
            // Slot bytes (heap IDs: file addresses) zeroed; the writer ignores them.
            let mut e = elem.to_vec();
            for &(off, _, _) in &slots {
                let o = usize::try_from(off).unwrap_or(usize::MAX);
                if let Some(s) = o.checked_add(slot_len).and_then(|end| e.get_mut(o..end)) {
                    s.fill(0);
                }
            }
            out.extend_from_slice(&e);
        }
        for &(off, base, _) in &slots {
            let o = usize::try_from(off).unwrap_or(usize::MAX);
            let slot = o
                .checked_add(slot_len)
                .and_then(|end| elem.get(o..end))
                .ok_or_else(|| Error::usage("variable-length slot outside its element"))?;
            let mut r = h5kit_core::Reader::new(slot, 0, src.superblock().sizes);
            let count = r.u32()? as u64;
            let addr = r.uint(w)?;
            let index = r.u32()?;
            let all_ones = if w >= 8 { u64::MAX } else { (1u64 << (8 * w)) - 1 };
            let bytes = if count == 0 || addr == 0 || addr == all_ones {
                Vec::new()
            } else {
                let mut obj = src.global_heap_object(addr, index)?;
                let want = count.saturating_mul(base as u64);
                obj.truncate(usize::try_from(want).unwrap_or(usize::MAX));
                obj
            };
            let n = u32::try_from(bytes.len()).map_err(|_| Error::usage("variable-length element larger than 4 GiB"))?;
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&bytes);
        }
    }
    Ok(out)
}

/// `raw` elements of `dt` (no references) in a form independent of file addresses: fixed
/// bytes as they are; variable-length data (top level or inside compounds/arrays) in the
/// writer's encoding (element bytes, then u32 byte count + bytes per slot). Two files hold
/// the same values exactly when these bytes are equal.
pub fn canonical_values(src: &File, dt: &Datatype, raw: &[u8]) -> Result<Vec<u8>> {
    if is_vlen(dt) {
        mixed_to_writer(src, dt, raw, false)
    } else {
        mixed_to_writer(src, dt, raw, true)
    }
}

/// The bytes the writer takes for `raw` elements of `dt` (non-reference types).
fn to_writer(src: &File, dt: &Datatype, raw: &[u8], top_vlen: impl FnOnce() -> Result<Vec<Vec<u8>>>) -> Result<Vec<u8>> {
    if is_vlen(dt) {
        Ok(vlen_to_writer(top_vlen()?))
    } else if h5kit_write::enc::is_vlen(dt) {
        mixed_to_writer(src, dt, raw, true)
    } else {
        Ok(raw.to_vec())
    }
}

struct Copier<'a> {
    src: &'a File,
    dst: &'a mut FileWriter,
    opts: &'a RepackOptions,
    /// First path each object was created at (hard links to it become hard links).
    created: HashMap<u64, String>,
    /// Every object's first path in a depth-first walk in name order (reference targets).
    paths: HashMap<u64, String>,
    report: RepackReport,
    /// Groups created in the writer (by `create_group` or as intermediate groups of a
    /// datatype committed ahead of its turn).
    dst_groups: HashSet<String>,
    /// Groups the writer created implicitly, not yet visited by `copy_group`.
    premade: HashSet<String>,
    /// Temporary links of anonymous committed datatypes, removed at the end.
    anonymous: Vec<String>,
}

impl<'a> Copier<'a> {
    fn reference_paths(&self, raw: &[u8]) -> Vec<Option<String>> {
        let w = self.src.superblock().sizes.offset as usize;
        raw.chunks_exact(w.max(1))
            .map(|c| {
                let mut a = [0u8; 8];
                for (d, s) in a.iter_mut().zip(c) {
                    *d = *s;
                }
                let addr = u64::from_le_bytes(a);
                if addr == 0 {
                    None
                } else {
                    self.paths.get(&addr).cloned()
                }
            })
            .collect()
    }

    /// The writer path of the committed datatype at `address`, committing it first (with
    /// its attributes) when it has not been copied yet; types without a link are committed
    /// anonymously.
    fn committed_path(&mut self, address: Option<u64>) -> Result<Option<String>> {
        let Some(address) = address else { return Ok(None) };
        if let Some(p) = self.created.get(&address) {
            return Ok(Some(p.clone()));
        }
        let path = match self.paths.get(&address) {
            Some(p) => p.clone(),
            None => {
                // An anonymous committed datatype (no link; h5dump shows it as "#address"):
                // committed under a temporary name, unlinked when the copy ends, kept in the
                // file by its users as h5repack keeps it.
                let p = format!("/{}{}", ANONYMOUS_TYPE_PREFIX, address);
                self.anonymous.push(p.clone());
                p
            }
        };
        let Object::Datatype(t) = self.src.object_at(address, &path)? else {
            return Ok(None);
        };
        // Intermediate groups the writer creates now: `copy_group` must not create them again.
        let mut prefix = String::new();
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            prefix = child_path(if prefix.is_empty() { "/" } else { &prefix }, part);
            if self.dst_groups.insert(prefix.clone()) {
                self.premade.insert(prefix.clone());
            }
        }
        self.created.insert(address, path.clone());
        self.report.objects += 1;
        self.dst.commit_datatype(&path, t.datatype().clone())?;
        self.copy_attributes(&path, t.attributes()?)?;
        Ok(Some(path))
    }

    /// Targets of the object references nested in compound/array elements (slot order of
    /// [`h5kit_write::enc::ref_slots`]); `None` when the type has none.
    fn nested_refs(&self, dt: &Datatype, raw: &[u8]) -> Result<Option<Vec<Option<String>>>> {
        if h5kit_write::enc::is_vlen(dt) {
            return Ok(None);
        }
        let slots = h5kit_write::enc::ref_slots(dt)?;
        let size = dt.size as usize;
        if slots.is_empty() || size == 0 {
            return Ok(None);
        }
        let mut out = Vec::new();
        for elem in raw.chunks_exact(size) {
            for &o in &slots {
                let o = usize::try_from(o).unwrap_or(usize::MAX);
                let bytes = o.checked_add(8).and_then(|end| elem.get(o..end)).unwrap_or(&[]);
                out.push(self.reference_paths(bytes).into_iter().next().flatten());
            }
        }
        Ok(Some(out))
    }

    /// Region references (12-byte global heap IDs) as writer targets: path and region.
    fn region_targets(&mut self, raw: &[u8], what: &str) -> Result<Vec<Option<(String, Region)>>> {
        let w = self.src.superblock().sizes.offset as usize;
        let mut out = Vec::new();
        for c in raw.chunks_exact(w.saturating_add(4).max(1)) {
            let mut a = [0u8; 8];
            for (d, s) in a.iter_mut().zip(c.iter().take(w)) {
                *d = *s;
            }
            let coll = u64::from_le_bytes(a);
            let idx = c.get(w..w + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes).unwrap_or(0);
            if coll == 0 {
                out.push(None);
                continue;
            }
            let obj = self.src.global_heap_object(coll, idx)?;
            match decode_region(&obj, w) {
                Some((addr, region)) => match self.paths.get(&addr) {
                    Some(p) => out.push(Some((p.clone(), region))),
                    None => out.push(None),
                },
                None => {
                    self.report.warnings.push(format!("{}: region reference with a selection kind not copied (null)", what));
                    out.push(None);
                }
            }
        }
        Ok(out)
    }

    fn copy_attributes(&mut self, path: &str, attrs: Vec<Attribute>) -> Result<()> {
        for mut a in attrs {
            let committed = self.committed_path(a.committed_datatype)?;
            let shape: Option<Vec<u64>> = match a.dataspace.kind {
                DataspaceKind::Scalar => None,
                DataspaceKind::Simple => Some(a.dataspace.dims.clone()),
                DataspaceKind::Null => {
                    self.dst.set_null_attribute(path, &a.name, a.datatype.clone(), committed.as_deref())?;
                    continue;
                }
            };
            // libhdf5 ignores bytes past the elements (some writers pad attribute data).
            let n = shape.as_deref().unwrap_or(&[]).iter().fold(1u64, |x, &d| x.saturating_mul(d));
            let want = n.saturating_mul(a.datatype.size as u64);
            if (a.data.len() as u64) > want {
                a.data.truncate(usize::try_from(want).unwrap_or(usize::MAX));
            }
            if is_region_reference(&a.datatype) {
                let t = self.region_targets(&a.data, path)?;
                let refs: Vec<Option<(&str, Region)>> = t.iter().map(|x| x.as_ref().map(|(p, r)| (p.as_str(), r.clone()))).collect();
                self.dst.set_region_reference_attribute(path, &a.name, shape.as_deref(), &refs)?;
                continue;
            }
            if is_vlen_of_refs(&a.datatype) {
                let lists: Vec<Vec<Option<String>>> = a.read_vlen()?.iter().map(|e| self.reference_paths(e)).collect();
                let refs: Vec<Vec<Option<&str>>> = lists.iter().map(|l| l.iter().map(|t| t.as_deref()).collect()).collect();
                self.dst.set_vlen_reference_attribute(path, &a.name, shape.as_deref(), &refs)?;
                continue;
            }
            if is_object_reference(&a.datatype) {
                let targets = self.reference_paths(&a.data);
                let refs: Vec<Option<&str>> = targets.iter().map(|t| t.as_deref()).collect();
                self.dst.set_reference_attribute(path, &a.name, shape.as_deref(), &refs)?;
                continue;
            }
            if committed.is_none() {
                if let Some(refs) = self.nested_refs(&a.datatype, &a.data)? {
                    let refs: Vec<Option<&str>> = refs.iter().map(|t| t.as_deref()).collect();
                    self.dst.set_attribute_with_refs(path, &a.name, a.datatype.clone(), shape.as_deref(), &a.data, &refs)?;
                    continue;
                }
            }
            let data = to_writer(self.src, &a.datatype, &a.data, || a.read_vlen())?;
            match committed {
                Some(t) => self.dst.set_attribute_committed(path, &a.name, &t, shape.as_deref(), &data)?,
                None => self.dst.set_attribute(path, &a.name, a.datatype.clone(), shape.as_deref(), &data)?,
            }
        }
        Ok(())
    }

    fn dataset_spec(&mut self, d: &Dataset) -> Result<DatasetSpec> {
        let space = d.dataspace();
        let mut spec = match space.kind {
            DataspaceKind::Scalar => DatasetSpec::scalar(d.datatype().clone()),
            DataspaceKind::Simple => DatasetSpec::new(d.datatype().clone(), &space.dims),
            DataspaceKind::Null => DatasetSpec::scalar(d.datatype().clone()),
        };
        spec.committed_type = self.committed_path(d.committed_datatype())?;
        if let Some(m) = &space.max_dims {
            if m != &space.dims {
                spec.maxshape = Some(m.clone());
            }
        }
        match &d.layout().layout {
            Layout::Compact { .. } => spec.layout = Some(LayoutKind::Compact),
            Layout::Contiguous { .. } => spec.layout = Some(LayoutKind::Contiguous),
            Layout::Chunked { chunk_dims, .. } => {
                spec.layout = Some(LayoutKind::Chunked);
                spec.chunks = Some(chunk_dims.clone());
            }
            Layout::Virtual { .. } => {
                self.report.warnings.push(format!("{}: virtual dataset written as contiguous", d.path()));
                spec.layout = Some(LayoutKind::Contiguous);
            }
        }
        if let Some(fv) = d.fill_value() {
            if let Some(v) = &fv.value {
                if v.len() == d.datatype().size as usize && !is_vlen(d.datatype()) {
                    spec.fill_value = Some(v.clone());
                }
            }
        }
        // The source's pipeline as it is (ids, names, flags, client data), less the filters
        // the writer cannot apply.
        let mut filters = Vec::new();
        for f in d.filters().map(|p| p.filters.as_slice()).unwrap_or(&[]) {
            if filter::can_encode(f.id) {
                filters.push(f.clone());
            } else {
                self.report.warnings.push(format!(
                    "{}: filter {} ({}) is not written by h5kit; data stored without it",
                    d.path(),
                    f.id,
                    f.name.clone().unwrap_or_else(|| filter::filter_name(f.id).to_string())
                ));
            }
        }
        let dims = spec.shape.clone().unwrap_or_default();
        if dims.is_empty() {
            // Scalar datasets cannot be chunked: h5repack leaves them unfiltered, in their layout.
            filters.clear();
            if spec.layout == Some(LayoutKind::Chunked) {
                spec.layout = Some(LayoutKind::Contiguous);
                spec.chunks = None;
            }
        }
        spec.filters = filters;
        let unlimited = spec.maxshape.as_ref().map(|m| m.contains(&UNLIMITED)).unwrap_or(false);
        if (!spec.filters.is_empty() || unlimited) && spec.layout != Some(LayoutKind::Chunked) {
            spec.layout = Some(LayoutKind::Chunked);
            spec.chunks = Some(h5repack_chunk(&dims, u64::from(d.datatype().size)));
        }
        Ok(spec)
    }

    /// The source's `spec` changed by the options (h5repack -f / -l; named objects first), as
    /// h5repack's `apply_filters` changes the creation properties: option filters replace the
    /// source's (`NONE`: none); filters without a chunk layout get h5repack's chunk; `CONTI`
    /// drops the filters and an unlimited maximum shape; `COMPA` keeps the filters (so that
    /// filtered datasets stay as they are, as in h5repack where the creation then fails).
    fn with_options(&self, d: &Dataset, orig: &DatasetSpec) -> Result<DatasetSpec> {
        let mut spec = orig.clone();
        let dims = spec.shape.clone().unwrap_or_default();
        if dims.is_empty() {
            return Ok(spec);
        }
        let key = d.path().trim_start_matches('/');
        let named_filters = self.opts.object_filters.get(key);
        let opt_filters = named_filters.or(self.opts.filters.as_ref());
        let named_layout = self.opts.object_layouts.get(key);
        let opt_layout = named_layout.or(self.opts.layout.as_ref());
        if let (Some((LayoutKind::Contiguous | LayoutKind::Compact, _)), Some(f)) = (named_layout, named_filters) {
            if !f.is_empty() {
                return Err(Error::usage(format!("{}: filters need a chunked layout", d.path())));
            }
        }
        if let Some(f) = opt_filters {
            spec.filters = f.clone();
        }
        match opt_layout {
            Some((LayoutKind::Chunked, Some(c))) => {
                spec.layout = Some(LayoutKind::Chunked);
                spec.chunks = Some(c.clone());
            }
            Some((LayoutKind::Contiguous, _)) => {
                spec.filters.clear();
                spec.layout = Some(LayoutKind::Contiguous);
                spec.chunks = None;
                spec.maxshape = None;
            }
            Some((LayoutKind::Compact, _)) => {
                spec.layout = Some(LayoutKind::Compact);
                spec.chunks = None;
                let bytes = dims.iter().fold(1u64, |a, &x| a.saturating_mul(x)).saturating_mul(u64::from(d.datatype().size));
                if bytes <= MAX_COMPACT_DSIZE {
                    spec.maxshape = None;
                }
            }
            _ => {}
        }
        if !spec.filters.is_empty() && opt_layout.is_none() && spec.layout != Some(LayoutKind::Chunked) {
            spec.layout = Some(LayoutKind::Chunked);
            spec.chunks = Some(h5repack_chunk(&dims, u64::from(d.datatype().size)));
        }
        Ok(spec)
    }

    /// Whether libhdf5 would refuse to create a dataset of `spec` (h5repack then creates it
    /// with the source's properties): compact data over 64512 bytes; the writer checks the
    /// rest (chunk rank and size, filters or unlimited sizes without chunks).
    fn too_big_for_compact(spec: &DatasetSpec) -> bool {
        let n = spec.shape.iter().flatten().fold(1u64, |a, &x| a.saturating_mul(x));
        spec.layout == Some(LayoutKind::Compact) && n.saturating_mul(u64::from(spec.datatype.size)) > MAX_COMPACT_DSIZE
    }

    fn copy_dataset(&mut self, path: &str, d: &Dataset) -> Result<()> {
        let orig = self.dataset_spec(d)?;
        if d.dataspace().kind == DataspaceKind::Null {
            self.dst.create_null_dataset(path, orig)?;
            return self.copy_attributes(path, d.attributes()?);
        }
        let spec = self.with_options(d, &orig)?;
        if spec == orig {
            self.dst.create_dataset(path, spec)?;
        } else {
            // As h5repack: properties the library refuses (chunk rank or size, compact too
            // large or filtered) fall back to the source's.
            let refused = if Self::too_big_for_compact(&spec) { Err(Error::usage("compact data too large")) } else { self.dst.create_dataset(path, spec) };
            if let Err(e) = refused {
                self.report.warnings.push(format!("{}: options not applied ({}); source properties kept", d.path(), e));
                self.dst.create_dataset(path, orig)?;
            }
        }
        let dt = d.datatype();
        if is_object_reference(dt) {
            let raw = d.read_raw()?;
            let targets = self.reference_paths(&raw);
            let refs: Vec<Option<&str>> = targets.iter().map(|t| t.as_deref()).collect();
            self.dst.write_references(path, &refs)?;
        } else if is_region_reference(dt) {
            let raw = d.read_raw()?;
            let t = self.region_targets(&raw, path)?;
            let refs: Vec<Option<(&str, Region)>> = t.iter().map(|x| x.as_ref().map(|(p, r)| (p.as_str(), r.clone()))).collect();
            self.dst.write_region_references(path, &refs)?;
        } else if is_vlen_of_refs(dt) {
            let lists: Vec<Vec<Option<String>>> = d.read_vlen()?.iter().map(|e| self.reference_paths(e)).collect();
            let refs: Vec<Vec<Option<&str>>> = lists.iter().map(|l| l.iter().map(|t| t.as_deref()).collect()).collect();
            self.dst.write_vlen_references(path, &refs)?;
        } else if is_vlen(dt) {
            self.dst.write_dataset(path, &vlen_to_writer(d.read_vlen()?))?;
        } else {
            let raw = d.read_raw()?;
            match self.nested_refs(dt, &raw)? {
                Some(refs) => {
                    let refs: Vec<Option<&str>> = refs.iter().map(|t| t.as_deref()).collect();
                    self.dst.write_dataset_with_refs(path, &raw, &refs)?;
                }
                None => self.dst.write_dataset(path, &to_writer(self.src, dt, &raw, || d.read_vlen())?)?,
            }
        }
        self.copy_attributes(path, d.attributes()?)
    }

    /// First pass: every object's first path (depth first, links in name order).
    fn collect_paths(&mut self, obj: &Object, seen: &mut HashSet<u64>) -> Result<()> {
        if let Object::Group(g) = obj {
            let mut links = g.links()?;
            links.sort_by(|a, b| a.name.cmp(&b.name));
            for l in links {
                if let LinkTarget::Hard { address } = l.target {
                    let p = child_path(g.path(), &l.name);
                    if seen.insert(address) {
                        self.paths.insert(address, p.clone());
                        let child = self.src.object_at(address, &p)?;
                        self.collect_paths(&child, seen)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn copy_group(&mut self, g: &crate::Group) -> Result<()> {
        let mut links = g.links()?;
        // Creation order where tracked (it is what the writer records), else name order.
        if links.iter().all(|l| l.creation_order.is_some()) {
            links.sort_by_key(|l| l.creation_order);
        } else {
            links.sort_by(|a, b| a.name.cmp(&b.name));
        }
        for l in links {
            let p = child_path(g.path(), &l.name);
            match &l.target {
                LinkTarget::Hard { address } => {
                    if let Some(first) = self.created.get(address) {
                        let first = first.clone();
                        if first == p {
                            continue; // committed ahead of its turn
                        }
                        self.dst.create_hard_link(&p, &first)?;
                        continue;
                    }
                    self.created.insert(*address, p.clone());
                    self.report.objects += 1;
                    match self.src.object_at(*address, &p)? {
                        Object::Group(child) => {
                            if !self.premade.remove(&p) {
                                self.dst.create_group(&p)?;
                                self.dst_groups.insert(p.clone());
                            }
                            self.copy_attributes(&p, child.attributes()?)?;
                            self.copy_group(&child)?;
                        }
                        Object::Dataset(d) => {
                            if let Err(e) = self.copy_dataset(&p, &d) {
                                if e.kind == ErrorKind::Unsupported {
                                    self.report.warnings.push(format!("{}: not copied: {}", p, e));
                                } else {
                                    return Err(e);
                                }
                            }
                        }
                        Object::Datatype(t) => {
                            self.dst.commit_datatype(&p, t.datatype().clone())?;
                            self.copy_attributes(&p, t.attributes()?)?;
                        }
                    }
                }
                LinkTarget::Soft { path } => self.dst.create_soft_link(&p, path)?,
                LinkTarget::External { file, path } => self.dst.create_external_link(&p, file, path)?,
                LinkTarget::UserDefined { link_type, .. } => {
                    self.report.warnings.push(format!("{}: user-defined link type {} not copied", p, link_type))
                }
            }
        }
        Ok(())
    }
}

/// Copies every object, attribute and link of `src` into `dst`.
pub fn copy_file(src: &File, dst: &mut FileWriter, opts: &RepackOptions) -> Result<RepackReport> {
    let root = src.root()?;
    // As h5repack: objects named in the options must exist (of any kind).
    for name in opts.object_filters.keys().chain(opts.object_layouts.keys()) {
        if !root.contains(name) {
            return Err(Error::usage(format!("object {:?} named in the options not found", name)));
        }
    }
    let mut c = Copier {
        src,
        dst,
        opts,
        created: HashMap::new(),
        paths: HashMap::new(),
        report: RepackReport::default(),
        dst_groups: HashSet::new(),
        premade: HashSet::new(),
        anonymous: Vec::new(),
    };
    c.created.insert(root.address(), "/".to_string());
    c.paths.insert(root.address(), "/".to_string());
    let mut seen = HashSet::new();
    seen.insert(root.address());
    c.collect_paths(&Object::Group(root.clone()), &mut seen)?;
    c.copy_attributes("/", root.attributes()?)?;
    c.copy_group(&root)?;
    for p in std::mem::take(&mut c.anonymous) {
        c.dst.delete_link(&p)?;
    }
    Ok(c.report)
}

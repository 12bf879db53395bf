//! Variable-length data written in place (spec III.E "Global Heap", IV.A.2.d datatype class 9
//! "Variable-Length"): each element's bytes become an object of a global heap collection and
//! the dataset or attribute stores its 16-byte heap ID (sequence length: bytes for strings,
//! base elements for sequences; collection address; object index), as libhdf5 stores them.
//! An empty sequence stores a null heap ID (length 0, address 0, index 0) and an empty string
//! an empty heap object, as libhdf5 writes them (h5dump shows `()` and `""`).
//!
//! Datasets and attributes whose datatype is a variable-length string or a sequence of a
//! fixed-size type, and compounds or arrays with such members (each member a heap object, its
//! heap ID at the member's offset in the element, as libhdf5's `H5T_conv_vlen` stores it),
//! whole or in slices. Sequences of variable-length data are not done (`Unsupported`).
//! Overwritten elements leave their old heap objects behind (libhdf5 does not free them
//! either).

use h5kit_core::{Error, Result, Writer};
use h5kit_object_header::{Datatype, TypeClass};

use super::dataset::plain_values;
use super::{unsupported, Editor};

/// Whether `dt` is a variable-length string or a sequence of plain values: the whole element
/// is one heap object.
pub(super) fn whole_vlen(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::VarLenString { .. } => true,
        TypeClass::VarLenSequence { base } => plain_values(base) && base.size > 0,
        _ => false,
    }
}

/// Whether `dt` is a compound or array with variable-length members (strings or sequences of
/// plain values; no sequences of variable-length data) among fixed-size ones.
pub(super) fn mixed_vlen(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Compound { .. } | TypeClass::Array { .. })
        && crate::enc::is_vlen(dt)
        && crate::enc::vl_slots(dt).is_ok_and(|s| !s.is_empty())
        && mixed_members_plain(dt)
}

/// The members of a compound/array other than its variable-length ones are plain, and those
/// are strings or sequences of plain values.
fn mixed_members_plain(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::Compound { members } => members.iter().all(|m| mixed_members_plain(&m.datatype)),
        TypeClass::Array { base, .. } => mixed_members_plain(base),
        TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. } => whole_vlen(dt),
        _ => plain_values(dt),
    }
}

/// Whether values of `dt` are written through the global heap by this module.
pub(super) fn heap_values(dt: &Datatype) -> bool {
    whole_vlen(dt) || mixed_vlen(dt)
}

/// Splits the raw-byte API encoding of `count` variable-length elements (per element a
/// little-endian `u32` byte count, then the bytes).
fn split_elements(data: &[u8], count: u64) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = data;
    for i in 0..count {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(Error::usage(format!("variable-length data truncated at element {} (u32 length expected)", i)));
        };
        let len = u32::from_le_bytes(*len) as usize;
        let (Some(item), Some(tail)) = (tail.get(..len), tail.get(len..)) else {
            return Err(Error::usage(format!("variable-length element {} truncated", i)));
        };
        out.push(item);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(Error::usage("data size mismatch: extra bytes after the variable-length elements"));
    }
    Ok(out)
}

impl Editor {
    /// The stored bytes of `count` elements of `dt` (whole variable-length or mixed) from the
    /// raw-byte API encoding: heap IDs, each element's data put into the global heap.
    pub(super) fn heap_encode(&mut self, dt: &Datatype, count: u64, data: &[u8]) -> Result<Vec<u8>> {
        if whole_vlen(dt) {
            let elements = split_elements(data, count)?;
            return self.heap_ids(dt, &elements);
        }
        if !mixed_vlen(dt) {
            return Err(unsupported("sequences of variable-length data"));
        }
        // Per element: its fixed bytes, then per variable-length slot a u32 count and bytes.
        let slots = crate::enc::vl_slots(dt)?;
        let size = dt.size as usize;
        let mut out = Vec::with_capacity(usize::try_from(count).unwrap_or(0).saturating_mul(size).min(data.len()));
        let mut rest = data;
        for e in 0..count {
            let (Some(fixed), Some(tail)) = (rest.get(..size), rest.get(size..)) else {
                return Err(Error::usage(format!("data truncated: bytes of element {} expected", e)));
            };
            let start = out.len();
            out.extend_from_slice(fixed);
            rest = tail;
            for &(offset, base, is_string) in &slots {
                let Some((len, tail)) = rest.split_first_chunk::<4>() else {
                    return Err(Error::usage(format!("variable-length member of element {} truncated (u32 length expected)", e)));
                };
                let len = u32::from_le_bytes(*len) as usize;
                let (Some(item), Some(tail)) = (tail.get(..len), tail.get(len..)) else {
                    return Err(Error::usage(format!("variable-length member of element {} truncated", e)));
                };
                rest = tail;
                let slot_dt = if is_string {
                    crate::dtype::vlen_string()
                } else {
                    Datatype { version: 1, size: 16, class: TypeClass::VarLenSequence { base: Box::new(crate::dtype::int(base, false)) } }
                };
                let id = self.heap_ids(&slot_dt, &[item])?;
                let at = start + offset as usize;
                out.get_mut(at..at + id.len())
                    .ok_or_else(|| Error::usage("internal error: variable-length slot outside its element"))?
                    .copy_from_slice(&id);
            }
        }
        if !rest.is_empty() {
            return Err(Error::usage("data size mismatch: extra bytes after the last element"));
        }
        Ok(out)
    }

    /// The heap IDs of `elements` (each put into the global heap) for datatype `dt`.
    pub(super) fn heap_ids(&mut self, dt: &Datatype, elements: &[&[u8]]) -> Result<Vec<u8>> {
        let base = match &dt.class {
            TypeClass::VarLenSequence { base } => u64::from(base.size),
            TypeClass::VarLenString { .. } => 1,
            _ => return Err(unsupported("variable-length members inside other types")),
        };
        let is_string = matches!(dt.class, TypeClass::VarLenString { .. });
        let mut w = Writer::new(0, self.sizes);
        for e in elements {
            if !(e.len() as u64).is_multiple_of(base) {
                return Err(Error::usage(format!("variable-length element of {} bytes is not a whole number of {}-byte values", e.len(), base)));
            }
            let n = u32::try_from(e.len() as u64 / base).map_err(|_| Error::usage("variable-length element of 4 GiB or more"))?;
            if e.is_empty() && !is_string {
                w.u32(0);
                w.offset(0)?;
                w.u32(0);
                continue;
            }
            let (collection, index) = self.global_heap_insert(e)?;
            w.u32(n);
            w.offset(collection)?;
            w.u32(u32::from(index));
        }
        Ok(w.into_inner())
    }

    /// Writes the whole variable-length dataset at header `h` from the raw-byte API encoding.
    pub(super) fn write_vlen_dataset(&mut self, path: &str, dt: &Datatype, count: u64, data: &[u8]) -> Result<()> {
        let ids = self.heap_encode(dt, count, data).map_err(|e| e.in_object(path))?;
        self.write_dataset_bytes(path, &ids)
    }

    /// Writes variable-length strings into a string dataset (or a dataset of byte sequences).
    pub fn write_strings(&mut self, path: &str, strings: &[&str]) -> Result<()> {
        let dt = self.dataset_datatype(path)?;
        let byte_sequence = matches!(&dt.class, TypeClass::VarLenSequence { base } if base.size == 1);
        if !matches!(dt.class, TypeClass::VarLenString { .. }) && !byte_sequence {
            return Err(Error::usage(format!("{}: not a variable-length string dataset", path)));
        }
        let count = self.dataset_element_count(path)?;
        if strings.len() as u64 != count {
            return Err(Error::usage(format!("{}: shape mismatch: {} strings for {} elements", path, strings.len(), count)));
        }
        let elements: Vec<&[u8]> = strings.iter().map(|s| s.as_bytes()).collect();
        let ids = self.heap_ids(&dt, &elements)?;
        self.write_dataset_bytes(path, &ids)
    }

    /// Creates or replaces an attribute of a variable-length type from the raw-byte API
    /// encoding of its elements.
    pub(super) fn set_vlen_attribute(&mut self, object_path: &str, name: &str, datatype: Datatype, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        if !heap_values(&datatype) {
            return Err(unsupported("attributes of sequences of variable-length data, or of revised references"));
        }
        // Resolve first: a missing object fails before anything goes to the heap.
        self.resolve(object_path)?;
        let count = shape.map(crate::sat_prod).unwrap_or(1);
        let ids = self.heap_encode(&datatype, count, data).map_err(|e| e.in_object(object_path))?;
        self.put_attribute(object_path, name, datatype, shape, ids)
    }
}

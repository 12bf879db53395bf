//! Values whose bytes hold file addresses, converted for the writer: variable-length data
//! (global heap IDs, spec III.E) and region references (spec VIII.A selections). Object
//! references are mapped to paths by the copier.

use h5kit_core::{Error, Result};
use h5kit_object_header::{Datatype, ReferenceKind, TypeClass};
use h5kit_write::Region;

use crate::file::File;

/// Object references inside a datatype (the writer takes them as paths).
pub(super) fn is_object_reference(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Reference { kind: ReferenceKind::Object })
}

pub(super) fn is_region_reference(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Reference { kind: ReferenceKind::DatasetRegion })
}

/// Decodes a region reference's global heap object: the target object header address and
/// its "Dataspace Selection" (spec VIII.A): all (type 3) or hyperslab version 1 blocks
/// (type 2: start and inclusive end offsets per block). `None`: another selection kind.
pub(super) fn decode_region(obj: &[u8], offset_size: usize) -> Option<(u64, Region)> {
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
pub(super) fn is_vlen_of_refs(dt: &Datatype) -> bool {
    matches!(&dt.class, TypeClass::VarLenSequence { base } if is_object_reference(base))
}

pub(super) fn is_vlen(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. })
}

/// Converts variable-length elements to the writer's encoding: u32 byte count + bytes.
pub(super) fn vlen_to_writer(elements: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in elements {
        out.extend_from_slice(&(e.len() as u32).to_le_bytes());
        out.extend_from_slice(&e);
    }
    out
}

/// Converts raw elements whose datatype holds variable-length slots inside compounds/arrays
/// (global heap IDs in the element bytes) to the writer's encoding: the element bytes, then
/// per slot (in [`h5kit_write::dtype::vl_slots`] order) a u32 byte count and the bytes.
fn mixed_to_writer(src: &File, dt: &Datatype, raw: &[u8], keep_fixed: bool) -> Result<Vec<u8>> {
    let slots = h5kit_write::dtype::vl_slots(dt)?;
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
pub(super) fn to_writer(src: &File, dt: &Datatype, raw: &[u8], top_vlen: impl FnOnce() -> Result<Vec<Vec<u8>>>) -> Result<Vec<u8>> {
    if is_vlen(dt) {
        Ok(vlen_to_writer(top_vlen()?))
    } else if h5kit_write::dtype::is_vlen(dt) {
        mixed_to_writer(src, dt, raw, true)
    } else {
        Ok(raw.to_vec())
    }
}

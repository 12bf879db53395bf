//! Fractal heap IDs (spec III.G "Fractal Heap ID": managed, tiny, huge) decoded and encoded
//! side by side, and the doubling-table geometry (spec III.G "Doubling Table"): the block size
//! of a row, where a row starts, the rows of an indirect block.

use h5kit_core::{Error, Reader, Result, Writer};

use super::{log2_exact, overflow, FractalHeap};

/// Heap ID flag bits: version 0 (bits 6-7) and the type (bits 4-5).
const ID_TYPE_MANAGED: u8 = 0x00;
const ID_TYPE_HUGE: u8 = 0x10;
const ID_TYPE_TINY: u8 = 0x20;
/// Tiny objects of the extended form have a 12-bit length.
const TINY_EXTENDED_MAX: usize = 4096;

/// A decoded heap ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeapId<'a> {
    Managed { offset: u64, length: u64 },
    Tiny { data: &'a [u8] },
    /// Indirectly accessed huge object: key into the huge-object v2 B-tree.
    HugeIndirect { id: u64 },
    HugeDirect { address: u64, length: u64 },
    HugeDirectFiltered { address: u64, length: u64, filter_mask: u32, memory_size: u64 },
}

impl FractalHeap {
    /// Decodes a heap ID of this heap.
    pub fn parse_id<'a>(&self, heap_id: &'a [u8]) -> Result<HeapId<'a>> {
        let at = self.address;
        let first = *heap_id.first().ok_or_else(|| Error::format(at, "empty fractal heap ID"))?;
        let version = first >> 6;
        if version != 0 {
            return Err(Error::format(at, format!("fractal heap ID version {} (expected 0)", version)));
        }
        let sizes = h5kit_core::Sizes::default();
        let mut r = Reader::new(heap_id, 0, sizes);
        r.skip(1)?;
        match (first >> 4) & 3 {
            0 => {
                let offset = r.uint(self.heap_offset_size).map_err(|e| e.at(at))?;
                let length = r.uint(self.heap_length_size).map_err(|e| e.at(at))?;
                Ok(HeapId::Managed { offset, length })
            }
            1 => self.parse_huge_id(heap_id, at),
            2 => {
                let (len, start) = if self.heap_id_length <= 18 {
                    ((first & 0x0f) as usize + 1, 1)
                } else {
                    let ext = *heap_id.get(1).ok_or_else(|| Error::format(at, "tiny heap ID truncated"))?;
                    ((((first & 0x0f) as usize) << 8 | ext as usize) + 1, 2)
                };
                let data = heap_id
                    .get(start..start + len)
                    .ok_or_else(|| Error::format(at, format!("tiny object of {} bytes overruns its heap ID", len)))?;
                Ok(HeapId::Tiny { data })
            }
            t => Err(Error::format(at, format!("fractal heap ID type {} is not 0, 1 or 2", t))),
        }
    }

    fn parse_huge_id<'a>(&self, heap_id: &'a [u8], at: u64) -> Result<HeapId<'a>> {
        // Which sub-type applies depends on the ID length (libhdf5 H5HF__huge_init).
        let o = self.sizes.offset as usize;
        let l = self.sizes.length as usize;
        let room = (self.heap_id_length as usize).saturating_sub(1);
        let mut r = Reader::new(heap_id, at, self.sizes);
        r.skip(1)?;
        if self.filters.is_empty() {
            if o + l <= room {
                return Ok(HeapId::HugeDirect { address: r.offset()?, length: r.length()? });
            }
        } else if o + l + 4 + l <= room {
            return Ok(HeapId::HugeDirectFiltered {
                address: r.offset()?,
                length: r.length()?,
                filter_mask: r.u32()?,
                memory_size: r.length()?,
            });
        }
        let n = room.min(8);
        Ok(HeapId::HugeIndirect { id: r.uint(n)? })
    }

    /// Whether tiny IDs use the extended form (a 12-bit length over two bytes): "Heap ID
    /// Length" above 18.
    fn tiny_extended(&self) -> bool {
        self.heap_id_length > 18
    }

    /// Largest tiny object: the ID less its flag byte(s) (16 when the ID is 18 bytes, where
    /// the normal form's 4-bit length stops).
    pub fn tiny_max_length(&self) -> usize {
        let n = self.heap_id_length as usize;
        match n {
            0 => 0,
            1..=17 => n - 1,
            18 => 16,
            _ => (n - 2).min(TINY_EXTENDED_MAX),
        }
    }

    /// Encodes a heap ID of this heap ("Heap ID Length" bytes, zero padded). Fails when a value
    /// does not fit its field or the ID.
    pub fn encode_id(&self, id: &HeapId) -> Result<Vec<u8>> {
        let mut w = Writer::with_capacity(0, self.sizes, self.heap_id_length as usize);
        match *id {
            HeapId::Managed { offset, length } => {
                w.u8(ID_TYPE_MANAGED);
                w.uint(offset, self.heap_offset_size)?;
                w.uint(length, self.heap_length_size)?;
            }
            HeapId::Tiny { data } => {
                if data.is_empty() || data.len() > self.tiny_max_length() {
                    return Err(Error::usage(format!("tiny object of {} bytes (1..={})", data.len(), self.tiny_max_length())));
                }
                let enc = data.len() - 1;
                if self.tiny_extended() {
                    w.u8(ID_TYPE_TINY | ((enc >> 8) as u8 & 0x0f));
                    w.u8((enc & 0xff) as u8);
                } else {
                    w.u8(ID_TYPE_TINY | (enc as u8 & 0x0f));
                }
                w.bytes(data);
            }
            HeapId::HugeDirect { address, length } => {
                w.u8(ID_TYPE_HUGE);
                w.offset(address)?;
                w.length(length)?;
            }
            HeapId::HugeDirectFiltered { address, length, filter_mask, memory_size } => {
                w.u8(ID_TYPE_HUGE);
                w.offset(address)?;
                w.length(length)?;
                w.u32(filter_mask);
                w.length(memory_size)?;
            }
            HeapId::HugeIndirect { id } => {
                w.u8(ID_TYPE_HUGE);
                w.uint(id, (self.heap_id_length as usize).saturating_sub(1).min(8))?;
            }
        }
        let n = self.heap_id_length as usize;
        if w.position() > n {
            return Err(Error::usage(format!("heap ID of {} bytes does not fit the heap's {}-byte IDs", w.position(), n)));
        }
        w.zeros(n - w.position());
        // The huge sub-type read back depends on the ID length: check it is the one written.
        let bytes = w.into_inner();
        match (id, self.parse_id(&bytes)?) {
            (HeapId::Tiny { .. }, _) | (HeapId::Managed { .. }, _) => Ok(bytes),
            (a, b) if *a == b => Ok(bytes),
            _ => Err(Error::usage("this huge object ID form does not match the heap's ID length and filters")),
        }
    }

    /// The heap ID of a managed object at heap offset `offset`, `length` bytes long.
    pub fn managed_id(&self, offset: u64, length: u64) -> Result<Vec<u8>> {
        self.encode_id(&HeapId::Managed { offset, length })
    }

    /// Packs `data` into a tiny heap ID and counts it in the header; `None` when it is empty
    /// or longer than [`FractalHeap::tiny_max_length`].
    pub fn insert_tiny(&mut self, data: &[u8]) -> Result<Option<Vec<u8>>> {
        if data.is_empty() || data.len() > self.tiny_max_length() {
            return Ok(None);
        }
        let id = self.encode_id(&HeapId::Tiny { data })?;
        self.tiny_objects = self.tiny_objects.saturating_add(1);
        self.tiny_objects_size = self.tiny_objects_size.saturating_add(data.len() as u64);
        Ok(Some(id))
    }


    /// Size of the blocks of doubling-table row `row`.
    pub fn row_block_size(&self, row: u32) -> Option<u64> {
        if row == 0 {
            return Some(self.starting_block_size);
        }
        if row > 64 {
            return None;
        }
        let f = 1u64.checked_shl(row - 1)?;
        self.starting_block_size.checked_mul(f)
    }

    /// Offset of row `row` within its (indirect) block's address space.
    pub fn row_offset(&self, row: u32) -> Option<u64> {
        if row == 0 {
            return Some(0);
        }
        self.row_block_size(row)?.checked_mul(self.table_width as u64)
    }

    /// Number of rows of a (child) indirect block of `size` bytes (the size of the row that
    /// holds it in its parent); `at` is the address used in errors.
    pub fn indirect_block_rows(&self, size: u64, at: u64) -> Result<u32> {
        let first = (self.starting_block_size)
            .checked_mul(self.table_width as u64)
            .ok_or_else(|| overflow(at))?;
        let sb = log2_exact(size, at, "indirect block size")?;
        let fb = log2_exact(first, at, "first row size")?;
        Ok(sb.checked_sub(fb).ok_or_else(|| Error::format(at, "fractal heap indirect block is smaller than one row"))? + 1)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::filter::Filter;
    use crate::fractal::BlockCache;
    use h5kit_core::Context;
    use h5kit_core::{Limits, MemStorage, Sizes};

    /// A heap header as libhdf5 writes for dense links (width 4, 512..65536, 32 bits),
    /// with the given heap ID length.
    fn heap(id_len: u16, filtered: bool) -> FractalHeap {
        FractalHeap {
            address: 100,
            heap_id_length: id_len,
            io_filters_encoded_length: 0,
            flags: 2,
            max_managed_object_size: 4096,
            next_huge_object_id: 0,
            huge_object_btree_address: None,
            free_space: 0,
            free_space_manager_address: None,
            managed_space: 0,
            allocated_managed_space: 0,
            direct_block_allocation_iterator_offset: 0,
            managed_objects: 0,
            huge_objects_size: 0,
            huge_objects: 0,
            tiny_objects_size: 0,
            tiny_objects: 0,
            table_width: 4,
            starting_block_size: 512,
            max_direct_block_size: 65536,
            max_heap_size: 32,
            starting_root_rows: 1,
            root_block_address: None,
            current_root_rows: 0,
            filtered_root_direct_block_size: None,
            root_filter_mask: 0,
            filters: if filtered { vec![Filter { id: 1, flags: 0, client_data: vec![6] }] } else { Vec::new() },
            io_filter_info: Vec::new(),
            heap_offset_size: 4,
            heap_length_size: 2,
            max_direct_rows: 9,
            sizes: Sizes::default(),
            cache: BlockCache::default(),
        }
    }

    fn ctx_for<'a>(s: &'a MemStorage, l: &'a Limits) -> Context<'a> {
        Context::new(s, Sizes::default(), l, 0)
    }

    #[test]
    fn tiny_normal_and_extended() {
        let s = MemStorage::new(vec![0; 16]);
        let l = Limits::default();
        let ctx = ctx_for(&s, &l);
        // Normal form (ID length <= 18): low 4 bits = length - 1.
        let h = heap(8, false);
        let id = [0x20 | 2, b'a', b'b', b'c', 0, 0, 0, 0];
        assert_eq!(h.parse_id(&id).unwrap(), HeapId::Tiny { data: b"abc" });
        assert_eq!(h.read_object(ctx, &id).unwrap(), b"abc");
        // Length past the ID: error, not panic.
        assert!(h.read_object(ctx, &[0x20 | 15, 1, 2]).is_err());
        // Extended form (ID length > 18): 12-bit length over the first two bytes.
        let h = heap(20, false);
        let mut id = vec![0x20, 4]; // length 5
        id.extend_from_slice(b"hello");
        id.resize(20, 0);
        assert_eq!(h.read_object(ctx, &id).unwrap(), b"hello");
        // Version bits other than 0 are rejected, and type 3 is invalid.
        assert!(h.parse_id(&[0x40, 0, 0]).is_err());
        assert!(h.parse_id(&[0x30, 0, 0]).is_err());
        assert!(h.parse_id(&[]).is_err());
    }

    #[test]
    fn huge_ids_direct_and_indirect() {
        let mut data = vec![0u8; 64];
        data[40..45].copy_from_slice(b"HUGE!");
        let s = MemStorage::new(data);
        let l = Limits::default();
        let ctx = ctx_for(&s, &l);
        // 17-byte IDs hold address + length (8 + 8): directly accessed.
        let h = heap(17, false);
        let mut id = vec![0x10];
        id.extend_from_slice(&40u64.to_le_bytes());
        id.extend_from_slice(&5u64.to_le_bytes());
        assert_eq!(h.parse_id(&id).unwrap(), HeapId::HugeDirect { address: 40, length: 5 });
        assert_eq!(h.read_object(ctx, &id).unwrap(), b"HUGE!");
        // Past the end of the file: error.
        id[1] = 62;
        assert!(h.read_object(ctx, &id).is_err());
        // 8-byte IDs: indirect, 7-byte key; without a huge B-tree this is an error.
        let h = heap(8, false);
        let id = [0x10, 7, 0, 0, 0, 0, 0, 0];
        assert_eq!(h.parse_id(&id).unwrap(), HeapId::HugeIndirect { id: 7 });
        assert!(h.read_object(ctx, &id).is_err());
        // Filtered heaps need 8 + 8 + 4 + 8 bytes after the flag byte for direct IDs.
        let h = heap(29, true);
        let mut id = vec![0x10];
        id.extend_from_slice(&1u64.to_le_bytes());
        id.extend_from_slice(&2u64.to_le_bytes());
        id.extend_from_slice(&0u32.to_le_bytes());
        id.extend_from_slice(&3u64.to_le_bytes());
        assert_eq!(
            h.parse_id(&id).unwrap(),
            HeapId::HugeDirectFiltered { address: 1, length: 2, filter_mask: 0, memory_size: 3 }
        );
    }

    #[test]
    fn managed_ids_are_bounds_checked() {
        let s = MemStorage::new(vec![0; 64]);
        let l = Limits::default();
        let ctx = ctx_for(&s, &l);
        let h = heap(7, false);
        // offset 16, length 5 -> 4-byte offset + 2-byte length.
        let id = [0x00, 16, 0, 0, 0, 5, 0];
        assert_eq!(h.parse_id(&id).unwrap(), HeapId::Managed { offset: 16, length: 5 });
        // Empty heap (no root block): error.
        assert!(h.read_object(ctx, &id).is_err());
        // Truncated ID: error.
        assert!(h.parse_id(&[0x00, 1, 2]).is_err());
    }
}

//! Fractal heap indirect block ("FHIB", spec III.G "Fractal Heap Indirect Block"): decode and
//! encode side by side. Its shape comes from the header: `nrows` rows of "Table Width" entries,
//! the first `min(nrows, max_direct_rows)` rows direct blocks (with "Size of Filtered Direct
//! Block" and "Filter Mask for Direct Block" when the heap has I/O filters), the rest indirect.

use h5kit_core::{verify_checksum, Error, Reader, Result, Writer};

use super::{overflow, FractalHeap};

/// One child direct block entry of an indirect block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildDirectBlock {
    pub address: u64,
    /// With I/O filters: ("Size of Filtered Direct Block", "Filter Mask for Direct Block").
    pub filtered: Option<(u64, u32)>,
}

/// A decoded fractal heap indirect block ("FHIB").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndirectBlock {
    pub address: u64,
    /// "Block Offset" in the heap's address space.
    pub block_offset: u64,
    pub nrows: u32,
    /// Child direct blocks (K entries, row-major); `None` where unallocated.
    pub direct: Vec<Option<ChildDirectBlock>>,
    /// Child indirect blocks (N entries, row-major).
    pub indirect: Vec<Option<u64>>,
}

impl IndirectBlock {
    /// Number of (direct, indirect) entries of a block with `nrows` rows.
    pub fn entry_counts(heap: &FractalHeap, nrows: u32) -> (u64, u64) {
        let width = heap.table_width as u64;
        let k = u64::from(nrows.min(heap.max_direct_rows)) * width;
        let n = u64::from(nrows.saturating_sub(heap.max_direct_rows)) * width;
        (k, n)
    }

    /// Encoded size of a block with `nrows` rows, checksum included.
    pub fn encoded_size(heap: &FractalHeap, nrows: u32) -> Result<u64> {
        let o = u64::from(heap.sizes.offset);
        let l = u64::from(heap.sizes.length);
        let (k, n) = Self::entry_counts(heap, nrows);
        let dentry = if heap.filters.is_empty() { o } else { o + l + 4 };
        let prefix = 5 + o + heap.heap_offset_size as u64;
        k.checked_mul(dentry)
            .and_then(|a| n.checked_mul(o).and_then(|b| a.checked_add(b)))
            .and_then(|v| v.checked_add(prefix + 4))
            .ok_or_else(|| overflow(heap.address))
    }

    /// An empty block (every entry unallocated).
    pub fn new(heap: &FractalHeap, address: u64, block_offset: u64, nrows: u32) -> IndirectBlock {
        let (k, n) = Self::entry_counts(heap, nrows);
        IndirectBlock { address, block_offset, nrows, direct: vec![None; k as usize], indirect: vec![None; n as usize] }
    }

    /// Decodes a block with `nrows` rows from `bytes` (at file address `address`), checksum
    /// verified; the block must belong to `heap`.
    pub fn decode(bytes: &[u8], address: u64, heap: &FractalHeap, nrows: u32) -> Result<IndirectBlock> {
        let len = Self::encoded_size(heap, nrows)?;
        let body_len = usize::try_from(len - 4).map_err(|_| overflow(address))?;
        let body = bytes.get(..body_len).ok_or_else(|| Error::format(address, "fractal heap indirect block truncated"))?;
        let mut r = Reader::new(bytes, address, heap.sizes);
        r.signature(b"FHIB", "fractal heap indirect block")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("fractal heap indirect block version {} (expected 0)", version)));
        }
        let hdr = r.offset()?;
        if hdr != heap.address {
            return Err(Error::format(address, format!("indirect block belongs to heap {} not {}", hdr, heap.address)));
        }
        let block_offset = r.uint(heap.heap_offset_size)?;
        let (k, n) = Self::entry_counts(heap, nrows);
        let filtered = !heap.filters.is_empty();
        let mut direct = Vec::with_capacity(k as usize);
        for _ in 0..k {
            let a = r.address_field()?;
            let f = if filtered { Some((r.length()?, r.u32()?)) } else { None };
            direct.push(a.map(|address| ChildDirectBlock { address, filtered: f }));
        }
        let mut indirect = Vec::with_capacity(n as usize);
        for _ in 0..n {
            indirect.push(r.address_field()?);
        }
        let sum_at = r.address();
        verify_checksum(body, r.u32()?, sum_at, "fractal heap indirect block")?;
        Ok(IndirectBlock { address, block_offset, nrows, direct, indirect })
    }

    /// Encodes the block for `heap`, checksum included. Fails when the entry counts do not
    /// match `nrows`, or a direct entry's filtered fields do not match the heap's filters.
    pub fn encode(&self, heap: &FractalHeap, w: &mut Writer) -> Result<()> {
        let (k, n) = Self::entry_counts(heap, self.nrows);
        if self.direct.len() as u64 != k || self.indirect.len() as u64 != n {
            return Err(Error::usage(format!(
                "indirect block of {} rows needs {} direct and {} indirect entries, has {} and {}",
                self.nrows,
                k,
                n,
                self.direct.len(),
                self.indirect.len()
            )));
        }
        let filtered = !heap.filters.is_empty();
        let size = Self::encoded_size(heap, self.nrows)?;
        let mut s = Writer::with_capacity(w.address(), heap.sizes, usize::try_from(size).unwrap_or(0));
        s.signature(b"FHIB");
        s.u8(0);
        s.offset(heap.address)?;
        s.uint(self.block_offset, heap.heap_offset_size)?;
        for e in &self.direct {
            s.address_field(e.map(|c| c.address))?;
            match (filtered, e.and_then(|c| c.filtered)) {
                (true, Some((size, mask))) => {
                    s.length(size)?;
                    s.u32(mask);
                }
                (true, None) if e.is_none() => {
                    s.length(0)?;
                    s.u32(0);
                }
                (false, None) => {}
                _ => return Err(Error::usage("indirect block direct entry filtered fields do not match the heap's I/O filters")),
            }
        }
        for e in &self.indirect {
            s.address_field(*e)?;
        }
        s.checksum_from(0);
        w.bytes(s.as_slice());
        Ok(())
    }
}

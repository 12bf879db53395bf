//! Local heap (spec III.D "Disk Format: Level 1D - Local Heaps"): a header ("HEAP") and a data
//! segment holding NUL-terminated names (group link names, symbolic link values).
//!
//! Header and data segment are decoded and encoded side by side. The free list lives inside the
//! data segment: each free block starts with "offset of the next free block" (1 ends the list)
//! and "size of this free block" (Size of Lengths each). [`LocalHeap::insert`] places a name as
//! libhdf5 does: 8-byte aligned, first fit in free-list order, splitting a block when the rest
//! can still hold a free-block header, and otherwise growing the data segment (at least
//! doubling it), which then has to move.

use h5kit_core::{Context, Error, Reader, Result, Sizes, Writer};

/// "Offset to Head of Free-list" / next-block value that ends the free list (libhdf5 writes it
/// for an empty list too; the spec also allows the undefined address).
pub const FREE_LIST_END: u64 = 1;

/// Objects in the data segment are aligned on 8 bytes.
const ALIGN: u64 = 8;

fn align8(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|v| v & !(ALIGN - 1))
}

/// The header of a local heap ("HEAP", version 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalHeapHeader {
    /// "Data Segment Size".
    pub data_segment_size: u64,
    /// "Offset to Head of Free-list" (`None` when stored as the undefined address).
    pub free_list_offset: Option<u64>,
    /// "Address of Data Segment".
    pub data_address: u64,
}

impl LocalHeapHeader {
    /// Encoded size: signature, version, reserved, two lengths and an offset.
    pub fn encoded_size(sizes: Sizes) -> u64 {
        8 + 2 * u64::from(sizes.length) + u64::from(sizes.offset)
    }

    /// Where a data segment that directly follows the header starts, counted from the header:
    /// libhdf5 pads the header to 8 bytes (24 bytes with 4-byte offsets and lengths).
    pub fn padded_size(sizes: Sizes) -> u64 {
        Self::encoded_size(sizes).next_multiple_of(ALIGN)
    }

    /// Decodes the header at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<LocalHeapHeader> {
        let address = r.address();
        r.signature(b"HEAP", "local heap")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("local heap version {} (expected 0)", version)));
        }
        r.skip(3)?;
        let l = r.sizes().length;
        let data_segment_size = r.length()?;
        let free = r.length()?;
        let all_ones = if l < 8 { (1u64 << (8 * l)) - 1 } else { u64::MAX };
        let free_list_offset = if free == all_ones { None } else { Some(free) };
        let at = r.address();
        let data_address = r.address_field()?.ok_or_else(|| Error::format(at, "local heap data segment address is undefined"))?;
        Ok(LocalHeapHeader { data_segment_size, free_list_offset, data_address })
    }

    /// Encodes the header with the writer's widths.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let l = w.sizes().length as usize;
        let mut s = Writer::new(w.address(), w.sizes());
        s.signature(b"HEAP");
        s.u8(0);
        s.zeros(3);
        s.length(self.data_segment_size)?;
        match self.free_list_offset {
            Some(f) => s.length(f)?,
            None => s.length(if l < 8 { (1u64 << (8 * l)) - 1 } else { u64::MAX })?,
        }
        s.offset(self.data_address)?;
        w.bytes(s.as_slice());
        Ok(())
    }
}

/// One free block of a data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalHeapFreeBlock {
    /// Offset of the block in the data segment.
    pub offset: u64,
    /// Size of the block (its two header fields included).
    pub size: u64,
}

/// Where [`LocalHeap::insert`] put a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalHeapInsert {
    /// Offset of the name in the data segment (what a symbol table entry stores).
    pub offset: u64,
    /// `Some(new size)` when the data segment grew: it must be written elsewhere (a new
    /// "Address of Data Segment", then the header rewritten).
    pub grown_to: Option<u64>,
}

/// A local heap: its header fields and its data segment bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalHeap {
    /// Address of the heap header.
    pub address: u64,
    /// "Offset to Head of Free-list" (`None` when undefined; [`FREE_LIST_END`] when empty).
    pub free_list_offset: Option<u64>,
    /// "Address of Data Segment".
    pub data_address: u64,
    data: Vec<u8>,
}

impl LocalHeap {
    /// Reads the heap header at `address` and its whole data segment.
    pub fn read(ctx: Context, address: u64) -> Result<LocalHeap> {
        let head = ctx.read(address, LocalHeapHeader::encoded_size(ctx.sizes), "local heap header")?;
        let header = LocalHeapHeader::decode(&mut Reader::new(&head, address, ctx.sizes))?;
        if header.data_segment_size > ctx.end_of_file() {
            return Err(Error::format(
                address,
                format!("local heap data segment of {} bytes is larger than the file", header.data_segment_size),
            ));
        }
        let data = ctx.read(header.data_address, header.data_segment_size, "local heap data segment")?.into_owned();
        Self::from_parts(address, header, data)
    }

    /// A heap from its decoded header and its data segment bytes (as many as the header says).
    pub fn from_parts(address: u64, header: LocalHeapHeader, data: Vec<u8>) -> Result<LocalHeap> {
        if data.len() as u64 != header.data_segment_size {
            return Err(Error::format(
                header.data_address,
                format!("local heap data segment of {} bytes, the header says {}", data.len(), header.data_segment_size),
            ));
        }
        Ok(LocalHeap { address, free_list_offset: header.free_list_offset, data_address: header.data_address, data })
    }

    /// A new heap whose data segment (`size` bytes, zeroed, at `data_address`) is one free
    /// block, as libhdf5 creates it (a group then inserts the empty name at offset 0).
    pub fn new(address: u64, data_address: u64, size: u64, sizes: Sizes) -> Result<LocalHeap> {
        let min = 2 * u64::from(sizes.length);
        if size < min || !size.is_multiple_of(ALIGN) {
            return Err(Error::usage(format!("local heap data segment of {} bytes (a multiple of 8, at least {})", size, min)));
        }
        let n = usize::try_from(size).map_err(|_| Error::usage("local heap data segment too large"))?;
        let mut heap = LocalHeap { address, free_list_offset: None, data_address, data: vec![0; n] };
        heap.write_free_list(&[LocalHeapFreeBlock { offset: 0, size }], sizes)?;
        Ok(heap)
    }

    /// The header as it should be encoded.
    pub fn header(&self) -> LocalHeapHeader {
        LocalHeapHeader {
            data_segment_size: self.data.len() as u64,
            free_list_offset: self.free_list_offset,
            data_address: self.data_address,
        }
    }

    /// Encodes the header (at [`LocalHeap::address`]).
    pub fn encode_header(&self, w: &mut Writer) -> Result<()> {
        self.header().encode(w)
    }

    /// Encodes the data segment (at [`LocalHeap::data_address`]): the names and the free
    /// blocks with their headers.
    pub fn encode_data(&self, w: &mut Writer) {
        w.bytes(&self.data);
    }

    /// The NUL-terminated string at `offset` in the data segment (NUL excluded).
    pub fn string_at(&self, offset: u64) -> Result<&[u8]> {
        let start = usize::try_from(offset).ok().filter(|&s| s < self.data.len()).ok_or_else(|| {
            Error::format(
                self.data_address,
                format!("local heap offset {} is outside the data segment of {} bytes", offset, self.data.len()),
            )
        })?;
        let rest = self.data.get(start..).unwrap_or_default();
        match rest.iter().position(|&b| b == 0) {
            Some(n) => Ok(rest.get(..n).unwrap_or_default()),
            None => Err(Error::format(
                self.data_address.saturating_add(offset),
                format!("local heap string at offset {} has no NUL terminator", offset),
            )),
        }
    }

    /// The data segment bytes.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    fn field(&self, at: u64, l: usize) -> Option<u64> {
        let s = usize::try_from(at).ok()?;
        let b = self.data.get(s..s.checked_add(l)?)?;
        Some(b.iter().rev().fold(0u64, |v, &x| (v << 8) | u64::from(x)))
    }

    /// The free list, in list order, each block checked to lie in the data segment, hold its
    /// two header fields, and not overlap another (a cycle is an error).
    pub fn free_blocks(&self, sizes: Sizes) -> Result<Vec<LocalHeapFreeBlock>> {
        let l = sizes.length as usize;
        let min = 2 * l as u64;
        let len = self.data.len() as u64;
        let mut out: Vec<LocalHeapFreeBlock> = Vec::new();
        let mut next = self.free_list_offset;
        while let Some(offset) = next.filter(|&o| o != FREE_LIST_END) {
            let bad = |m: &str| Error::format(self.data_address.saturating_add(offset), format!("local heap free block at {}: {}", offset, m));
            let (Some(following), Some(size)) = (self.field(offset, l), self.field(offset.saturating_add(l as u64), l)) else {
                return Err(bad("outside the data segment"));
            };
            if size < min || offset.checked_add(size).is_none_or(|e| e > len) {
                return Err(bad(&format!("size {} does not fit", size)));
            }
            if out.iter().any(|b| offset < b.offset + b.size && b.offset < offset + size) {
                return Err(bad("overlaps another free block (or the list has a cycle)"));
            }
            out.push(LocalHeapFreeBlock { offset, size });
            next = Some(following);
        }
        Ok(out)
    }

    /// Rewrites the free list: head offset and each block's two fields.
    fn write_free_list(&mut self, blocks: &[LocalHeapFreeBlock], sizes: Sizes) -> Result<()> {
        let l = sizes.length as usize;
        self.free_list_offset = Some(blocks.first().map_or(FREE_LIST_END, |b| b.offset));
        for (i, b) in blocks.iter().enumerate() {
            let next = blocks.get(i + 1).map_or(FREE_LIST_END, |n| n.offset);
            let mut w = Writer::with_capacity(0, sizes, 2 * l);
            w.length(next)?;
            w.length(b.size)?;
            let start = usize::try_from(b.offset).map_err(|_| Error::usage("free block offset"))?;
            self.data
                .get_mut(start..start + 2 * l)
                .ok_or_else(|| Error::usage("free block outside the data segment"))?
                .copy_from_slice(w.as_slice());
        }
        Ok(())
    }

    /// Inserts `name` (a NUL is appended; the space taken is rounded up to 8 bytes, padding
    /// zeroed) and returns its offset. First fit along the free list, splitting a block when
    /// what remains can hold a free-block header; when nothing fits the data segment grows by
    /// the larger of its size and the space needed (extending a free block that ends the
    /// segment), and [`LocalHeapInsert::grown_to`] says the segment must move.
    pub fn insert(&mut self, name: &[u8], sizes: Sizes) -> Result<LocalHeapInsert> {
        let min_free = 2 * u64::from(sizes.length);
        let need = align8(name.len() as u64 + 1).ok_or_else(|| Error::usage("name too long"))?;
        let mut blocks = self.free_blocks(sizes)?;
        let old_size = self.data.len() as u64;
        let mut grown_to = None;
        let mut found = None;
        for (i, b) in blocks.iter_mut().enumerate() {
            if b.size > need && b.size - need >= min_free {
                found = Some(b.offset);
                b.offset += need;
                b.size -= need;
                break;
            } else if b.size == need {
                found = Some(b.offset);
                blocks.remove(i);
                break;
            }
        }
        let offset = match found {
            Some(o) => o,
            None => {
                let more = need.max(old_size);
                let new_size = old_size.checked_add(more).ok_or_else(|| Error::usage("local heap too large"))?;
                let n = usize::try_from(new_size).map_err(|_| Error::usage("local heap too large"))?;
                self.data.resize(n, 0);
                grown_to = Some(new_size);
                let last = blocks.iter().position(|b| b.offset + b.size == old_size);
                match last {
                    Some(i) => {
                        let b = blocks.get_mut(i).ok_or_else(|| Error::usage("free block"))?;
                        let o = b.offset;
                        b.offset += need;
                        b.size = b.size + more - need;
                        if b.size < min_free {
                            blocks.remove(i);
                        }
                        o
                    }
                    None => {
                        if more - need >= min_free {
                            blocks.insert(0, LocalHeapFreeBlock { offset: old_size + need, size: more - need });
                        }
                        old_size
                    }
                }
            }
        };
        let start = usize::try_from(offset).map_err(|_| Error::usage("offset"))?;
        let dst = self
            .data
            .get_mut(start..start + need as usize)
            .ok_or_else(|| Error::format(self.data_address, "local heap insert outside the data segment"))?;
        dst.fill(0);
        if let Some(d) = dst.get_mut(..name.len()) {
            d.copy_from_slice(name);
        }
        self.write_free_list(&blocks, sizes)?;
        Ok(LocalHeapInsert { offset, grown_to })
    }
}

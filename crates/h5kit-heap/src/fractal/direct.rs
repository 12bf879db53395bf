//! Fractal heap direct block ("FHDB", spec III.G "Fractal Heap Direct Block"): decode and
//! encode side by side, and the simple allocator a writer needs: a new root direct block, and
//! managed objects appended at the next free position of a direct block (as libhdf5 fills a
//! new heap; free-space tracking of a fractal heap comes later).
//!
//! The checksum (header flag bit 1) covers the whole block with the checksum field set to zero;
//! for a filtered block it covers the unfiltered block, which is what these functions see.

use h5kit_core::{lookup3, verify_checksum, Error, Reader, Result, Writer};

use super::FractalHeap;

/// A decoded direct block (the unfiltered image).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectBlock {
    /// "Heap Header Address".
    pub heap_header_address: u64,
    /// "Block Offset": where the block starts in the heap's managed address space.
    pub block_offset: u64,
    /// "Object Data": every byte after the block's header (block size - header size); an
    /// object at heap offset `x` starts at block position `x - block_offset`.
    pub object_data: Vec<u8>,
}

impl DirectBlock {
    /// Bytes before "Object Data": signature, version, heap header address, block offset and,
    /// when the heap checksums direct blocks, the checksum.
    pub fn header_size(heap: &FractalHeap) -> u64 {
        5 + u64::from(heap.sizes.offset) + heap.heap_offset_size as u64 + if heap.direct_blocks_checksummed() { 4 } else { 0 }
    }

    /// A zero-filled block of `block_size` bytes at heap offset `block_offset`.
    pub fn new(heap: &FractalHeap, block_offset: u64, block_size: u64) -> Result<DirectBlock> {
        let n = block_size
            .checked_sub(Self::header_size(heap))
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| Error::usage(format!("direct block of {} bytes is smaller than its header", block_size)))?;
        Ok(DirectBlock { heap_header_address: heap.address, block_offset, object_data: vec![0; n] })
    }

    /// Encoded size: the block size.
    pub fn encoded_size(&self, heap: &FractalHeap) -> u64 {
        Self::header_size(heap) + self.object_data.len() as u64
    }

    /// Checks the prefix (signature, version, owning heap) and the checksum of a whole block
    /// image at `address`; returns its "Block Offset".
    pub(crate) fn check(bytes: &[u8], address: u64, heap: &FractalHeap) -> Result<u64> {
        let mut r = Reader::new(bytes, address, heap.sizes);
        r.signature(b"FHDB", "fractal heap direct block")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("fractal heap direct block version {} (expected 0)", version)));
        }
        let hdr = r.offset()?;
        if hdr != heap.address {
            return Err(Error::format(address, format!("direct block belongs to heap {} not {}", hdr, heap.address)));
        }
        let off = r.uint(heap.heap_offset_size)?;
        if heap.direct_blocks_checksummed() {
            let pos = r.position();
            let stored = r.u32()?;
            let mut copy = bytes.to_vec();
            if let Some(s) = copy.get_mut(pos..pos + 4) {
                s.fill(0);
            }
            verify_checksum(&copy, stored, address, "fractal heap direct block")?;
        }
        Ok(off)
    }

    /// Decodes a whole (unfiltered) block image at `address`, checksum verified when the heap
    /// flags it.
    pub fn decode(bytes: &[u8], address: u64, heap: &FractalHeap) -> Result<DirectBlock> {
        let block_offset = Self::check(bytes, address, heap)?;
        let n = usize::try_from(Self::header_size(heap)).unwrap_or(usize::MAX);
        let object_data = bytes.get(n..).ok_or_else(|| Error::format(address, "fractal heap direct block truncated"))?.to_vec();
        Ok(DirectBlock { heap_header_address: heap.address, block_offset, object_data })
    }

    /// Encodes the block image (unfiltered), checksum computed when the heap flags it.
    pub fn encode(&self, heap: &FractalHeap, w: &mut Writer) -> Result<()> {
        let mut s = Writer::with_capacity(w.address(), heap.sizes, self.encoded_size(heap) as usize);
        s.signature(b"FHDB");
        s.u8(0);
        s.offset(self.heap_header_address)?;
        s.uint(self.block_offset, heap.heap_offset_size)?;
        let sum_at = s.position();
        if heap.direct_blocks_checksummed() {
            s.u32(0);
        }
        s.bytes(&self.object_data);
        if heap.direct_blocks_checksummed() {
            let sum = lookup3(s.as_slice(), 0);
            s.patch(sum_at, &sum.to_le_bytes())?;
        }
        w.bytes(s.as_slice());
        Ok(())
    }
}

impl FractalHeap {
    /// Makes the heap's first block: a root direct block of the starting block size at
    /// `address` (the caller allocates its space). Updates the header's managed space, the
    /// allocation iterator and the free space as libhdf5 does.
    pub fn new_root_direct_block(&mut self, address: u64) -> Result<DirectBlock> {
        if self.root_block_address.is_some() {
            return Err(Error::usage("fractal heap already has a root block"));
        }
        if !self.filters.is_empty() {
            return Err(Error::unsupported(self.address, "new blocks of a fractal heap with I/O filters"));
        }
        let block = DirectBlock::new(self, 0, self.starting_block_size)?;
        self.root_block_address = Some(address);
        self.current_root_rows = 0;
        self.managed_space = self.starting_block_size;
        self.allocated_managed_space = self.starting_block_size;
        // libhdf5 moves the allocation iterator only once the root is an indirect block.
        self.direct_block_allocation_iterator_offset = 0;
        self.free_space = self.free_space.saturating_add(block.object_data.len() as u64);
        Ok(block)
    }

    /// Where the next managed object goes in a heap whose root is a direct block: all its free
    /// space is the tail of the block (objects appended, none removed), so the block position
    /// is the block size less the heap's free space.
    pub fn root_direct_block_free_position(&self) -> Result<u64> {
        if self.root_block_address.is_none() || self.current_root_rows != 0 {
            return Err(Error::usage("the fractal heap's root is not a direct block"));
        }
        let pos = self
            .starting_block_size
            .checked_sub(self.free_space)
            .filter(|&p| p >= DirectBlock::header_size(self))
            .ok_or_else(|| Error::format(self.address, format!("fractal heap free space {} exceeds its root direct block", self.free_space)))?;
        Ok(pos)
    }

    /// Appends a managed object to the root direct block (see
    /// [`FractalHeap::root_direct_block_free_position`]); `None` when it does not fit.
    pub fn insert_managed(&mut self, block: &mut DirectBlock, data: &[u8]) -> Result<Option<Vec<u8>>> {
        let at = self.root_direct_block_free_position()?;
        if block.block_offset != 0 {
            return Err(Error::usage("the root direct block starts at heap offset 0"));
        }
        self.insert_managed_at(block, at, data)
    }

    /// Writes a managed object at block position `at` (counted from the block's first byte,
    /// header included) of `block`, updates the header's statistics and returns the object's
    /// heap ID; `None` when the object does not fit before the end of the block. Objects of
    /// length 0 or above "Maximum Size of Managed Objects" are errors (tiny or huge objects).
    pub fn insert_managed_at(&mut self, block: &mut DirectBlock, at: u64, data: &[u8]) -> Result<Option<Vec<u8>>> {
        let len = data.len() as u64;
        if data.is_empty() || len > u64::from(self.max_managed_object_size) {
            return Err(Error::usage(format!(
                "object of {} bytes is not a managed object (1..={} bytes)",
                len, self.max_managed_object_size
            )));
        }
        let header = DirectBlock::header_size(self);
        let start = at
            .checked_sub(header)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(|| Error::usage(format!("block position {} is inside the direct block header", at)))?;
        let Some(dst) = start.checked_add(data.len()).and_then(|end| block.object_data.get_mut(start..end)) else {
            return Ok(None);
        };
        let offset = block.block_offset.checked_add(at).ok_or_else(|| Error::usage("heap offset overflows"))?;
        let id = self.managed_id(offset, len)?;
        let free_space = self
            .free_space
            .checked_sub(len)
            .ok_or_else(|| Error::format(self.address, "fractal heap free space is smaller than the object inserted"))?;
        dst.copy_from_slice(data);
        self.free_space = free_space;
        self.managed_objects = self.managed_objects.saturating_add(1);
        Ok(Some(id))
    }
}

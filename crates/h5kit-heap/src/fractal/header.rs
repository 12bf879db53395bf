//! Fractal heap header ("FRHP", spec III.G "Fractal Heap Header"): decode and encode side by
//! side, the values derived from the doubling table, and a new empty heap.

use h5kit_core::{verify_checksum, Context, Error, Reader, Result, Sizes, Writer};

use super::{limit_enc_size, log2_exact, BlockCache, FractalHeap};
use crate::filter::decode_pipeline;

/// Flag bit 1: direct blocks carry a checksum.
const FLAG_DIRECT_BLOCK_CHECKSUM: u8 = 2;

/// Bytes from the signature to "Current # of Rows in Root Indirect Block" inclusive.
fn fixed_size(sizes: Sizes) -> u64 {
    22 + 12 * u64::from(sizes.length) + 3 * u64::from(sizes.offset)
}

/// Creation parameters of a new fractal heap (the doubling table and object limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FractalHeapParams {
    /// "Heap ID Length"; 0 picks the smallest that holds a managed object ID.
    pub heap_id_length: u16,
    /// "Maximum Size of Managed Objects".
    pub max_managed_object_size: u32,
    /// "Table Width" (a power of two).
    pub table_width: u16,
    /// "Starting Block Size" (a power of two).
    pub starting_block_size: u64,
    /// "Maximum Direct Block Size" (a power of two, at least the starting block size).
    pub max_direct_block_size: u64,
    /// "Maximum Heap Size" in bits of the managed address space.
    pub max_heap_size: u16,
    /// "Starting # of Rows in Root Indirect Block".
    pub starting_root_rows: u16,
    /// Flag bit 1: checksum direct blocks.
    pub checksum_direct_blocks: bool,
}

impl FractalHeapParams {
    /// What libhdf5 uses for dense link and attribute storage: width 4, blocks of 512 to
    /// 65536 bytes, 32-bit heap, managed objects up to 4096 bytes, checksummed direct blocks
    /// (7-byte heap IDs).
    pub fn dense_storage() -> FractalHeapParams {
        FractalHeapParams {
            heap_id_length: 0,
            max_managed_object_size: 4096,
            table_width: 4,
            starting_block_size: 512,
            max_direct_block_size: 65536,
            max_heap_size: 32,
            starting_root_rows: 1,
            checksum_direct_blocks: true,
        }
    }
}

impl FractalHeap {
    /// Reads the header ("FRHP") at `address`, checksum verified.
    pub fn open(ctx: Context, address: u64) -> Result<FractalHeap> {
        let fixed = fixed_size(ctx.sizes);
        let head = ctx.read(address, fixed, "fractal heap header")?;
        // "I/O Filters' Encoded Length" sits after signature, version and "Heap ID Length".
        let filter_len = head.get(7..9).and_then(|b| <[u8; 2]>::try_from(b).ok()).map(u16::from_le_bytes).unwrap_or(0);
        let total = Self::header_size(ctx.sizes, filter_len);
        let all = ctx.read(address, total, "fractal heap header")?;
        Self::decode(&all, address, ctx.sizes)
    }

    /// Encoded size of a header with these widths and "I/O Filters' Encoded Length".
    pub fn header_size(sizes: Sizes, io_filters_encoded_length: u16) -> u64 {
        let filters = if io_filters_encoded_length > 0 {
            u64::from(sizes.length) + 4 + u64::from(io_filters_encoded_length)
        } else {
            0
        };
        fixed_size(sizes) + filters + 4
    }

    /// Encoded size of this header.
    pub fn encoded_size(&self) -> u64 {
        Self::header_size(self.sizes, self.io_filters_encoded_length)
    }

    /// Decodes a header from `bytes` (starting at its signature, at file address `address`),
    /// checksum verified, and derives the doubling-table values.
    pub fn decode(bytes: &[u8], address: u64, sizes: Sizes) -> Result<FractalHeap> {
        let mut r = Reader::new(bytes, address, sizes);
        r.signature(b"FRHP", "fractal heap header")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("fractal heap header version {} (expected 0)", version)));
        }
        let heap_id_length = r.u16()?;
        let io_filters_encoded_length = r.u16()?;
        let flags = r.u8()?;
        let max_managed_object_size = r.u32()?;
        let next_huge_object_id = r.length()?;
        let huge_object_btree_address = r.address_field()?;
        let free_space = r.length()?;
        let free_space_manager_address = r.address_field()?;
        let managed_space = r.length()?;
        let allocated_managed_space = r.length()?;
        let direct_block_allocation_iterator_offset = r.length()?;
        let managed_objects = r.length()?;
        let huge_objects_size = r.length()?;
        let huge_objects = r.length()?;
        let tiny_objects_size = r.length()?;
        let tiny_objects = r.length()?;
        let table_width = r.u16()?;
        let starting_block_size = r.length()?;
        let max_direct_block_size = r.length()?;
        let max_heap_size = r.u16()?;
        let starting_root_rows = r.u16()?;
        let root_block_address = r.address_field()?;
        let current_root_rows = r.u16()?;
        let mut filtered_root_direct_block_size = None;
        let mut root_filter_mask = 0;
        let mut io_filter_info = Vec::new();
        let mut filters = Vec::new();
        if io_filters_encoded_length > 0 {
            filtered_root_direct_block_size = Some(r.length()?);
            root_filter_mask = r.u32()?;
            let at = r.address();
            io_filter_info = r.bytes(io_filters_encoded_length as usize)?.to_vec();
            filters = decode_pipeline(&io_filter_info, at, sizes)?;
        }
        let covered = bytes.get(..r.position()).unwrap_or_default();
        let sum_at = r.address();
        verify_checksum(covered, r.u32()?, sum_at, "fractal heap header")?;
        let mut heap = FractalHeap {
            address,
            heap_id_length,
            io_filters_encoded_length,
            flags,
            max_managed_object_size,
            next_huge_object_id,
            huge_object_btree_address,
            free_space,
            free_space_manager_address,
            managed_space,
            allocated_managed_space,
            direct_block_allocation_iterator_offset,
            managed_objects,
            huge_objects_size,
            huge_objects,
            tiny_objects_size,
            tiny_objects,
            table_width,
            starting_block_size,
            max_direct_block_size,
            max_heap_size,
            starting_root_rows,
            root_block_address,
            current_root_rows,
            filtered_root_direct_block_size,
            root_filter_mask,
            filters,
            io_filter_info,
            heap_offset_size: 0,
            heap_length_size: 0,
            max_direct_rows: 0,
            sizes,
            cache: BlockCache::default(),
        };
        heap.derive()?;
        Ok(heap)
    }

    /// Checks the doubling-table parameters and computes the derived values
    /// (`heap_offset_size`, `heap_length_size`, `max_direct_rows`).
    fn derive(&mut self) -> Result<()> {
        let address = self.address;
        if self.table_width == 0 || !self.table_width.is_power_of_two() {
            return Err(Error::format(address, format!("fractal heap table width {} is not a power of two", self.table_width)));
        }
        if self.max_heap_size == 0 || self.max_heap_size > 64 {
            return Err(Error::format(address, format!("fractal heap maximum heap size {} bits is invalid", self.max_heap_size)));
        }
        let start_bits = log2_exact(self.starting_block_size, address, "starting block size")?;
        let max_direct_bits = log2_exact(self.max_direct_block_size, address, "maximum direct block size")?;
        if max_direct_bits < start_bits {
            return Err(Error::format(address, "fractal heap maximum direct block size is below the starting block size"));
        }
        self.max_direct_rows = max_direct_bits - start_bits + 2;
        self.heap_offset_size = (self.max_heap_size as usize).div_ceil(8);
        let dir_len_size = (max_direct_bits as usize).div_ceil(8);
        self.heap_length_size = dir_len_size.min(limit_enc_size(self.max_managed_object_size as u64));
        Ok(())
    }

    /// A new, empty heap (no root block, no I/O filters) at `address`.
    pub fn new(address: u64, sizes: Sizes, params: FractalHeapParams) -> Result<FractalHeap> {
        let mut heap = FractalHeap {
            address,
            heap_id_length: params.heap_id_length,
            io_filters_encoded_length: 0,
            flags: if params.checksum_direct_blocks { FLAG_DIRECT_BLOCK_CHECKSUM } else { 0 },
            max_managed_object_size: params.max_managed_object_size,
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
            table_width: params.table_width,
            starting_block_size: params.starting_block_size,
            max_direct_block_size: params.max_direct_block_size,
            max_heap_size: params.max_heap_size,
            starting_root_rows: params.starting_root_rows,
            root_block_address: None,
            current_root_rows: 0,
            filtered_root_direct_block_size: None,
            root_filter_mask: 0,
            filters: Vec::new(),
            io_filter_info: Vec::new(),
            heap_offset_size: 0,
            heap_length_size: 0,
            max_direct_rows: 0,
            sizes,
            cache: BlockCache::default(),
        };
        heap.derive().map_err(|e| Error::usage(e.message))?;
        let min_id = 1 + heap.heap_offset_size + heap.heap_length_size;
        if heap.heap_id_length == 0 {
            heap.heap_id_length = min_id as u16;
        } else if (heap.heap_id_length as usize) < min_id {
            return Err(Error::usage(format!("heap ID length {} is below the {} bytes of a managed object ID", heap.heap_id_length, min_id)));
        }
        Ok(heap)
    }

    /// Whether direct blocks carry a checksum (flag bit 1).
    pub fn direct_blocks_checksummed(&self) -> bool {
        self.flags & FLAG_DIRECT_BLOCK_CHECKSUM != 0
    }

    /// Encodes the header with its own widths, checksum included. Fails when the filter fields
    /// disagree ("I/O Filters' Encoded Length" vs `io_filter_info`, a filtered root size or mask
    /// without filters) or a value does not fit its field.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.io_filter_info.len() != self.io_filters_encoded_length as usize {
            return Err(Error::usage(format!(
                "fractal heap I/O filter information of {} bytes, encoded length says {}",
                self.io_filter_info.len(),
                self.io_filters_encoded_length
            )));
        }
        let filtered = self.io_filters_encoded_length > 0;
        if !filtered && (self.filtered_root_direct_block_size.is_some() || self.root_filter_mask != 0) {
            return Err(Error::usage("fractal heap filtered root block fields without I/O filters"));
        }
        let mut s = Writer::with_capacity(w.address(), self.sizes, self.encoded_size() as usize);
        s.signature(b"FRHP");
        s.u8(0);
        s.u16(self.heap_id_length);
        s.u16(self.io_filters_encoded_length);
        s.u8(self.flags);
        s.u32(self.max_managed_object_size);
        s.length(self.next_huge_object_id)?;
        s.address_field(self.huge_object_btree_address)?;
        s.length(self.free_space)?;
        s.address_field(self.free_space_manager_address)?;
        for v in [
            self.managed_space,
            self.allocated_managed_space,
            self.direct_block_allocation_iterator_offset,
            self.managed_objects,
            self.huge_objects_size,
            self.huge_objects,
            self.tiny_objects_size,
            self.tiny_objects,
        ] {
            s.length(v)?;
        }
        s.u16(self.table_width);
        s.length(self.starting_block_size)?;
        s.length(self.max_direct_block_size)?;
        s.u16(self.max_heap_size);
        s.u16(self.starting_root_rows);
        s.address_field(self.root_block_address)?;
        s.u16(self.current_root_rows);
        if filtered {
            let size = self
                .filtered_root_direct_block_size
                .ok_or_else(|| Error::usage("fractal heap with I/O filters needs the filtered root direct block size"))?;
            s.length(size)?;
            s.u32(self.root_filter_mask);
            s.bytes(&self.io_filter_info);
        }
        s.checksum_from(0);
        w.bytes(s.as_slice());
        Ok(())
    }
}

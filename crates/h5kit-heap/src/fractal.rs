//! Fractal heap (spec III.G "Disk Format: Level 1G - Fractal Heap"): header ("FRHP"), direct
//! blocks ("FHDB") and indirect blocks ("FHIB") laid out by a doubling table, and heap IDs for
//! managed, tiny (normal and extended) and huge (directly or indirectly accessed, filtered or
//! not) objects.
//!
//! Direct block checksums (header flag bit 1) cover the whole block with the checksum field
//! set to zero; for filtered blocks they cover the unfiltered block.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use h5kit_btree::v2::{BTreeV2, Record};
use h5kit_core::{Context, Error, Reader, Result};

use crate::filter::{decode_pipeline, unfilter, Filter};

/// A fractal heap header with the values derived from its doubling table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FractalHeap {
    /// Address of the header.
    pub address: u64,
    /// "Heap ID Length" in bytes.
    pub heap_id_length: u16,
    /// "I/O Filters' Encoded Length".
    pub io_filters_encoded_length: u16,
    /// "Flags" (bit 1: direct blocks are checksummed).
    pub flags: u8,
    /// "Maximum Size of Managed Objects".
    pub max_managed_object_size: u32,
    /// "Next Huge Object ID".
    pub next_huge_object_id: u64,
    /// "v2 B-tree Address of Huge Objects".
    pub huge_object_btree_address: Option<u64>,
    /// "Amount of Free Space in Managed Blocks".
    pub free_space: u64,
    /// "Address of Managed Block Free Space Manager".
    pub free_space_manager_address: Option<u64>,
    /// "Amount of Managed Space in Heap".
    pub managed_space: u64,
    /// "Amount of Allocated Managed Space in Heap".
    pub allocated_managed_space: u64,
    /// "Offset of Direct Block Allocation Iterator in Managed Space".
    pub direct_block_allocation_iterator_offset: u64,
    /// "Number of Managed Objects in Heap".
    pub managed_objects: u64,
    /// "Size of Huge Objects in Heap".
    pub huge_objects_size: u64,
    /// "Number of Huge Objects in Heap".
    pub huge_objects: u64,
    /// "Size of Tiny Objects in Heap".
    pub tiny_objects_size: u64,
    /// "Number of Tiny Objects in Heap".
    pub tiny_objects: u64,
    /// "Table Width" (columns of the doubling table).
    pub table_width: u16,
    /// "Starting Block Size".
    pub starting_block_size: u64,
    /// "Maximum Direct Block Size".
    pub max_direct_block_size: u64,
    /// "Maximum Heap Size" (log2 of the managed address space, in bits).
    pub max_heap_size: u16,
    /// "Starting # of Rows in Root Indirect Block".
    pub starting_root_rows: u16,
    /// "Address of Root Block" (`None` for an empty heap).
    pub root_block_address: Option<u64>,
    /// "Current # of Rows in Root Indirect Block" (0: the root is a direct block).
    pub current_root_rows: u16,
    /// "Size of Filtered Root Direct Block" (with I/O filters).
    pub filtered_root_direct_block_size: Option<u64>,
    /// "I/O Filter Mask" of the root direct block (with I/O filters).
    pub root_filter_mask: u32,
    /// Decoded "I/O Filter Information" (empty without filters).
    pub filters: Vec<Filter>,
    /// Bytes of block offsets and of the managed ID offset field.
    pub heap_offset_size: usize,
    /// Bytes of the managed ID length field.
    pub heap_length_size: usize,
    /// Rows of the doubling table whose blocks are direct blocks.
    pub max_direct_rows: u32,
    /// The file's Size of Offsets / Size of Lengths (huge object IDs use them).
    pub sizes: h5kit_core::Sizes,
    /// Verified (and unfiltered) direct blocks already read, by address.
    cache: BlockCache,
}

/// Most bytes of direct blocks kept by one [`FractalHeap`] between `read_object` calls.
const CACHE_BYTES: usize = 8 << 20;

/// A small cache of direct blocks, so that reading every object of a heap reads and checks
/// each block once. Clones start empty; equality ignores it.
#[derive(Default)]
struct BlockCache(Mutex<HashMap<u64, Arc<Vec<u8>>>>, Mutex<HashMap<u64, Arc<IndirectBlock>>>);

impl Clone for BlockCache {
    fn clone(&self) -> Self {
        BlockCache::default()
    }
}
impl PartialEq for BlockCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for BlockCache {}
impl std::fmt::Debug for BlockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockCache")
    }
}

impl BlockCache {
    fn get(&self, address: u64) -> Option<Arc<Vec<u8>>> {
        self.0.lock().ok()?.get(&address).cloned()
    }
    fn get_indirect(&self, address: u64) -> Option<Arc<IndirectBlock>> {
        self.1.lock().ok()?.get(&address).cloned()
    }
    fn put_indirect(&self, block: Arc<IndirectBlock>) {
        if let Ok(mut m) = self.1.lock() {
            if m.len() >= 1024 {
                m.clear();
            }
            m.insert(block.address, block);
        }
    }
    fn put(&self, address: u64, block: Arc<Vec<u8>>) {
        if let Ok(mut m) = self.0.lock() {
            let total: usize = m.values().map(|b| b.len()).sum();
            if total.saturating_add(block.len()) > CACHE_BYTES {
                m.clear();
            }
            if block.len() <= CACHE_BYTES {
                m.insert(address, block);
            }
        }
    }
}

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

fn log2_exact(v: u64, at: u64, what: &str) -> Result<u32> {
    if v == 0 || !v.is_power_of_two() {
        return Err(Error::format(at, format!("fractal heap {} {} is not a power of two", what, v)));
    }
    Ok(v.trailing_zeros())
}

fn limit_enc_size(n: u64) -> usize {
    let log2 = if n == 0 { 0 } else { 63 - n.leading_zeros() as usize };
    log2 / 8 + 1
}

fn overflow(at: u64) -> Error {
    Error::format(at, "fractal heap: size overflows")
}

impl FractalHeap {
    /// Reads the header ("FRHP") at `address`, checksum verified.
    pub fn open(ctx: Context, address: u64) -> Result<FractalHeap> {
        let o = ctx.sizes.offset as usize;
        let l = ctx.sizes.length as usize;
        // Fixed part up to and including "Current # of Rows in Root Indirect Block".
        let fixed = 4 + 1 + 2 + 2 + 1 + 4 + l + o + l + o + 8 * l + 2 + l + l + 2 + 2 + o + 2;
        let head = ctx.read(address, fixed as u64, "fractal heap header")?;
        let mut r = Reader::new(&head, address, ctx.sizes);
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
        let mut total = fixed;
        if io_filters_encoded_length > 0 {
            total += l + 4 + io_filters_encoded_length as usize;
        }
        let all = ctx.read(address, total as u64 + 4, "fractal heap header")?;
        let (body, sum) = all.split_at(total);
        // `sum` is exactly the 4 bytes read after the body.
        let stored = u32::from_le_bytes(sum.try_into().unwrap_or_default());
        h5kit_core::verify_checksum(body, stored, address, "fractal heap header")?;
        let mut filtered_root_direct_block_size = None;
        let mut root_filter_mask = 0;
        let mut filters = Vec::new();
        if io_filters_encoded_length > 0 {
            let mut r = Reader::new(body, address, ctx.sizes);
            r.skip(fixed)?;
            filtered_root_direct_block_size = Some(r.length()?);
            root_filter_mask = r.u32()?;
            let at = r.address();
            let info = r.bytes(io_filters_encoded_length as usize)?;
            filters = decode_pipeline(info, at, ctx.sizes)?;
        }
        if table_width == 0 || !(table_width as u64).is_power_of_two() {
            return Err(Error::format(address, format!("fractal heap table width {} is not a power of two", table_width)));
        }
        if max_heap_size == 0 || max_heap_size > 64 {
            return Err(Error::format(address, format!("fractal heap maximum heap size {} bits is invalid", max_heap_size)));
        }
        let start_bits = log2_exact(starting_block_size, address, "starting block size")?;
        let max_direct_bits = log2_exact(max_direct_block_size, address, "maximum direct block size")?;
        if max_direct_bits < start_bits {
            return Err(Error::format(address, "fractal heap maximum direct block size is below the starting block size"));
        }
        let max_direct_rows = max_direct_bits - start_bits + 2;
        let heap_offset_size = (max_heap_size as usize).div_ceil(8);
        let dir_len_size = (max_direct_bits as usize).div_ceil(8);
        let heap_length_size = dir_len_size.min(limit_enc_size(max_managed_object_size as u64));
        Ok(FractalHeap {
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
            heap_offset_size,
            heap_length_size,
            max_direct_rows,
            sizes: ctx.sizes,
            cache: BlockCache::default(),
        })
    }

    /// Whether direct blocks carry a checksum (flag bit 1).
    pub fn direct_blocks_checksummed(&self) -> bool {
        self.flags & 2 != 0
    }

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
}

impl FractalHeap {
    /// The object with this heap ID: managed (offset/length into the doubling-table address
    /// space), tiny (data inside the ID) or huge (directly, or through the huge-object v2
    /// B-tree; filtered or not).
    pub fn read_object(&self, ctx: Context, heap_id: &[u8]) -> Result<Vec<u8>> {
        let r = match self.parse_id(heap_id)? {
            HeapId::Managed { offset, length } => self.read_managed(ctx, offset, length),
            HeapId::Tiny { data } => Ok(data.to_vec()),
            HeapId::HugeDirect { address, length } => {
                let data = ctx.read(address, length, "huge fractal heap object")?.into_owned();
                Ok(data)
            }
            HeapId::HugeDirectFiltered { address, length, filter_mask, memory_size } => {
                self.read_filtered_huge(ctx, address, length, filter_mask, memory_size)
            }
            HeapId::HugeIndirect { id } => self.read_huge_indirect(ctx, id),
        };
        r.map_err(|e| e.context(format!("reading object of fractal heap at {}", self.address)))
    }

    fn read_filtered_huge(&self, ctx: Context, address: u64, length: u64, mask: u32, memory_size: u64) -> Result<Vec<u8>> {
        let raw = ctx.read(address, length, "filtered huge fractal heap object")?.into_owned();
        let data = unfilter(&self.filters, mask, raw, ctx.limits, address)?;
        if data.len() as u64 != memory_size {
            return Err(Error::format(
                address,
                format!("huge object unfiltered to {} bytes, expected {}", data.len(), memory_size),
            ));
        }
        Ok(data)
    }

    fn read_huge_indirect(&self, ctx: Context, id: u64) -> Result<Vec<u8>> {
        let bt_addr = self
            .huge_object_btree_address
            .ok_or_else(|| Error::format(self.address, "huge object ID but the heap has no huge-object B-tree"))?;
        let bt = BTreeV2::open(ctx, bt_addr)?;
        // Huge object records of types 1 and 2 are ordered by their ID.
        let rec = bt.search(ctx, None, &mut |r| match r {
            Record::HugeObject { id: i, .. } | Record::FilteredHugeObject { id: i, .. } => Ok(id.cmp(i)),
            _ => Err(Error::format(bt_addr, format!("huge object B-tree of type {} is not of type 1 or 2", bt.record_type))),
        })?;
        match rec {
            Some(Record::HugeObject { address, length, .. }) => {
                Ok(ctx.read(address, length, "huge fractal heap object")?.into_owned())
            }
            Some(Record::FilteredHugeObject { address, length, filter_mask, memory_size, .. }) => {
                self.read_filtered_huge(ctx, address, length, filter_mask, memory_size)
            }
            _ => Err(Error::format(bt_addr, format!("huge object {} is not in the huge-object B-tree", id))),
        }
    }

    /// Size of the blocks of doubling-table row `row`.
    fn row_block_size(&self, row: u32) -> Option<u64> {
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
    fn row_offset(&self, row: u32) -> Option<u64> {
        if row == 0 {
            return Some(0);
        }
        self.row_block_size(row)?.checked_mul(self.table_width as u64)
    }

    /// Number of rows of an indirect block whose blocks cover `size` bytes.
    fn rows_for_size(&self, size: u64, at: u64) -> Result<u32> {
        let first = (self.starting_block_size)
            .checked_mul(self.table_width as u64)
            .ok_or_else(|| overflow(at))?;
        let sb = log2_exact(size, at, "indirect block size")?;
        let fb = log2_exact(first, at, "first row size")?;
        Ok(sb.checked_sub(fb).ok_or_else(|| Error::format(at, "fractal heap indirect block is smaller than one row"))? + 1)
    }

    fn read_managed(&self, ctx: Context, offset: u64, length: u64) -> Result<Vec<u8>> {
        let at = self.address;
        let root = self.root_block_address.ok_or_else(|| Error::format(at, "managed object in an empty fractal heap"))?;
        if length == 0 {
            return Err(Error::format(at, "managed object of length 0"));
        }
        let end = offset.checked_add(length).ok_or_else(|| overflow(at))?;
        if self.max_heap_size < 64 && end > (1u64 << self.max_heap_size) {
            return Err(Error::format(at, format!("managed object at {} + {} is beyond the heap's address space", offset, length)));
        }
        let (block_addr, block_offset, block_size, filtered) = if self.current_root_rows == 0 {
            let filtered = self.filtered_root_direct_block_size.map(|s| (s, self.root_filter_mask));
            (root, 0u64, self.starting_block_size, filtered)
        } else {
            self.locate_direct_block(ctx, root, offset)?
        };
        let block = match self.cache.get(block_addr) {
            Some(b) => b,
            None => {
                let b = Arc::new(self.read_direct_block(ctx, block_addr, block_offset, block_size, filtered)?);
                self.cache.put(block_addr, b.clone());
                b
            }
        };
        let rel = offset - block_offset;
        let start = usize::try_from(rel).map_err(|_| overflow(at))?;
        let n = usize::try_from(length).map_err(|_| overflow(at))?;
        block
            .get(start..start.checked_add(n).ok_or_else(|| overflow(at))?)
            .map(|s| s.to_vec())
            .ok_or_else(|| {
                Error::format(
                    block_addr,
                    format!("managed object at heap offset {} + {} overruns its direct block of {} bytes", offset, length, block_size),
                )
            })
    }

    /// Descends the indirect blocks to the direct block holding heap offset `offset`:
    /// returns (address, block offset, block size, filtered (size, mask)).
    #[allow(clippy::type_complexity)]
    fn locate_direct_block(&self, ctx: Context, root: u64, offset: u64) -> Result<(u64, u64, u64, Option<(u64, u32)>)> {
        let mut iblock_addr = root;
        let mut iblock_offset = 0u64;
        let mut nrows = self.current_root_rows as u32;
        let mut visited = HashSet::new();
        let mut depth = 0u32;
        let width = self.table_width as u64;
        loop {
            ctx.limits.check_depth(depth, iblock_addr, "fractal heap indirect blocks")?;
            if !visited.insert(iblock_addr) {
                return Err(Error::format(iblock_addr, "fractal heap indirect block reached twice (cycle)"));
            }
            let ib = match self.cache.get_indirect(iblock_addr) {
                Some(ib) if ib.nrows == nrows && ib.block_offset == iblock_offset => ib,
                _ => {
                    let ib = Arc::new(self.read_indirect_block(ctx, iblock_addr, nrows, iblock_offset)?);
                    self.cache.put_indirect(ib.clone());
                    ib
                }
            };
            let rel = offset.checked_sub(iblock_offset).ok_or_else(|| overflow(iblock_addr))?;
            // Row holding `rel`.
            let first_row_span = self.starting_block_size.checked_mul(width).ok_or_else(|| overflow(iblock_addr))?;
            let row = if rel < first_row_span {
                0
            } else {
                let q = rel / first_row_span;
                64 - q.leading_zeros() // floor(log2(q)) + 1
            };
            if row >= nrows {
                return Err(Error::format(
                    iblock_addr,
                    format!("heap offset {} is beyond the {} rows of this indirect block", offset, nrows),
                ));
            }
            let size = self.row_block_size(row).ok_or_else(|| overflow(iblock_addr))?;
            let row_off = self.row_offset(row).ok_or_else(|| overflow(iblock_addr))?;
            let col = (rel - row_off) / size;
            if col >= width {
                return Err(Error::format(iblock_addr, format!("heap offset {} maps past the table width", offset)));
            }
            let block_offset = iblock_offset
                .checked_add(row_off)
                .and_then(|v| v.checked_add(col * size))
                .ok_or_else(|| overflow(iblock_addr))?;
            if row < self.max_direct_rows {
                let idx = (row as u64 * width + col) as usize;
                let entry = ib.direct.get(idx).copied().flatten().ok_or_else(|| {
                    Error::format(iblock_addr, format!("heap offset {} falls in an unallocated direct block", offset))
                })?;
                return Ok((entry.address, block_offset, size, entry.filtered));
            }
            let idx = ((row - self.max_direct_rows) as u64 * width + col) as usize;
            let child = ib.indirect.get(idx).copied().flatten().ok_or_else(|| {
                Error::format(iblock_addr, format!("heap offset {} falls in an unallocated indirect block", offset))
            })?;
            nrows = self.rows_for_size(size, iblock_addr)?;
            iblock_addr = child;
            iblock_offset = block_offset;
            depth += 1;
        }
    }

    /// Reads an indirect block with `nrows` rows.
    pub fn read_indirect_block(&self, ctx: Context, address: u64, nrows: u32, expected_offset: u64) -> Result<IndirectBlock> {
        let o = ctx.sizes.offset as u64;
        let l = ctx.sizes.length as u64;
        let width = self.table_width as u64;
        let direct_rows = nrows.min(self.max_direct_rows) as u64;
        let k = direct_rows * width;
        let n = (nrows as u64).saturating_sub(self.max_direct_rows as u64) * width;
        let filtered = !self.filters.is_empty();
        let dentry = if filtered { o + l + 4 } else { o };
        let prefix = 5 + o + self.heap_offset_size as u64;
        let len = k
            .checked_mul(dentry)
            .and_then(|a| n.checked_mul(o).and_then(|b| a.checked_add(b)))
            .and_then(|v| v.checked_add(prefix))
            .ok_or_else(|| overflow(address))?;
        if len > ctx.end_of_file() {
            return Err(Error::format(address, format!("fractal heap indirect block of {} bytes is larger than the file", len)));
        }
        let data = ctx.read(address, len + 4, "fractal heap indirect block")?;
        let (body, sum) = data.split_at(len as usize);
        // `sum` is exactly the 4 bytes read after the body.
        let stored = u32::from_le_bytes(sum.try_into().unwrap_or_default());
        h5kit_core::verify_checksum(body, stored, address, "fractal heap indirect block")?;
        let mut r = Reader::new(body, address, ctx.sizes);
        r.signature(b"FHIB", "fractal heap indirect block")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("fractal heap indirect block version {} (expected 0)", version)));
        }
        let hdr = r.offset()?;
        if hdr != self.address {
            return Err(Error::format(address, format!("indirect block belongs to heap {} not {}", hdr, self.address)));
        }
        let block_offset = r.uint(self.heap_offset_size)?;
        if block_offset != expected_offset {
            return Err(Error::format(
                address,
                format!("indirect block offset is {}, expected {}", block_offset, expected_offset),
            ));
        }
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
        Ok(IndirectBlock { address, block_offset, nrows, direct, indirect })
    }

    /// Reads a direct block (unfiltering it if needed), checksum verified when flagged;
    /// returns the whole block image (header included: object offsets count from its start).
    pub fn read_direct_block(
        &self,
        ctx: Context,
        address: u64,
        block_offset: u64,
        block_size: u64,
        filtered: Option<(u64, u32)>,
    ) -> Result<Vec<u8>> {
        let data = match filtered {
            Some((fsize, mask)) if !self.filters.is_empty() => {
                let raw = ctx.read(address, fsize, "filtered fractal heap direct block")?.into_owned();
                let d = unfilter(&self.filters, mask, raw, ctx.limits, address)?;
                if d.len() as u64 != block_size {
                    return Err(Error::format(
                        address,
                        format!("direct block unfiltered to {} bytes, expected {}", d.len(), block_size),
                    ));
                }
                d
            }
            _ => ctx.read(address, block_size, "fractal heap direct block")?.into_owned(),
        };
        let mut r = Reader::new(&data, address, ctx.sizes);
        r.signature(b"FHDB", "fractal heap direct block")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("fractal heap direct block version {} (expected 0)", version)));
        }
        let hdr = r.offset()?;
        if hdr != self.address {
            return Err(Error::format(address, format!("direct block belongs to heap {} not {}", hdr, self.address)));
        }
        let off = r.uint(self.heap_offset_size)?;
        if off != block_offset {
            return Err(Error::format(address, format!("direct block offset is {}, expected {}", off, block_offset)));
        }
        if self.direct_blocks_checksummed() {
            let pos = r.position();
            let stored = r.u32()?;
            let mut copy = data.clone();
            if let Some(s) = copy.get_mut(pos..pos + 4) {
                s.fill(0);
            }
            h5kit_core::verify_checksum(&copy, stored, address, "fractal heap direct block")?;
        }
        Ok(data)
    }

    /// Every managed object region is not enumerable without the free-space manager; this
    /// returns the (address, block offset, block size) of every allocated direct block instead.
    pub fn direct_blocks(&self, ctx: Context) -> Result<Vec<(u64, u64, u64)>> {
        let Some(root) = self.root_block_address else { return Ok(Vec::new()) };
        if self.current_root_rows == 0 {
            return Ok(vec![(root, 0, self.starting_block_size)]);
        }
        let mut out = Vec::new();
        let mut visited = HashSet::new();
        self.collect_direct(ctx, root, self.current_root_rows as u32, 0, 0, &mut visited, &mut out)?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn collect_direct(
        &self,
        ctx: Context,
        address: u64,
        nrows: u32,
        offset: u64,
        depth: u32,
        visited: &mut HashSet<u64>,
        out: &mut Vec<(u64, u64, u64)>,
    ) -> Result<()> {
        ctx.limits.check_depth(depth, address, "fractal heap indirect blocks")?;
        if !visited.insert(address) || visited.len() as u64 > ctx.limits.max_items {
            return Err(Error::format(address, "fractal heap indirect block reached twice (cycle) or too many blocks"));
        }
        let ib = self.read_indirect_block(ctx, address, nrows, offset)?;
        let width = self.table_width as u64;
        for (i, e) in ib.direct.iter().enumerate() {
            let row = (i as u64 / width) as u32;
            let col = i as u64 % width;
            if let (Some(c), Some(size), Some(ro)) = (e, self.row_block_size(row), self.row_offset(row)) {
                out.push((c.address, offset.saturating_add(ro).saturating_add(col * size), size));
            }
        }
        for (i, e) in ib.indirect.iter().enumerate() {
            let row = self.max_direct_rows + (i as u64 / width) as u32;
            let col = i as u64 % width;
            if let (Some(a), Some(size), Some(ro)) = (e, self.row_block_size(row), self.row_offset(row)) {
                let child_rows = self.rows_for_size(size, address)?;
                let child_off = offset.saturating_add(ro).saturating_add(col * size);
                self.collect_direct(ctx, *a, child_rows, child_off, depth + 1, visited, out)?;
            }
        }
        Ok(())
    }
}

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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
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

//! Fractal heap (spec III.G "Disk Format: Level 1G - Fractal Heap"): header ("FRHP"), direct
//! blocks ("FHDB") and indirect blocks ("FHIB") laid out by a doubling table, and heap IDs for
//! managed, tiny (normal and extended) and huge (directly or indirectly accessed, filtered or
//! not) objects.
//!
//! Direct block checksums (header flag bit 1) cover the whole block with the checksum field
//! set to zero; for filtered blocks they cover the unfiltered block.
//!
//! Each structure is decoded and encoded side by side: [`header`] ("FRHP"), [`direct`]
//! ("FHDB"), [`indirect`] ("FHIB"); [`id`] holds the heap IDs and the doubling-table geometry
//! (block size of a row, rows of an indirect block) and the simple appending allocator a writer
//! needs. This module reads objects through them.

pub mod direct;
pub mod header;
pub mod id;
pub mod indirect;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use h5kit_btree::v2::{BTreeV2, Record};
use h5kit_core::{Context, Error, Result};

pub use direct::DirectBlock;
pub use header::FractalHeapParams;
pub use id::HeapId;
pub use indirect::{ChildDirectBlock, IndirectBlock};

use crate::filter::{unfilter, Filter};

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
    /// "I/O Filter Information" as stored (a Filter Pipeline message, spec IV.A.2.l): what
    /// [`FractalHeap::encode`] writes; its length is "I/O Filters' Encoded Length".
    pub io_filter_info: Vec<u8>,
    /// Bytes of block offsets and of the managed ID offset field.
    pub heap_offset_size: usize,
    /// Bytes of the managed ID length field.
    pub heap_length_size: usize,
    /// Rows of the doubling table whose blocks are direct blocks.
    pub max_direct_rows: u32,
    /// The file's Size of Offsets / Size of Lengths (huge object IDs use them).
    pub sizes: h5kit_core::Sizes,
    /// Verified (and unfiltered) direct blocks already read, by address.
    pub(crate) cache: BlockCache,
}

/// Most bytes of direct blocks kept by one [`FractalHeap`] between `read_object` calls.
const CACHE_BYTES: usize = 8 << 20;

/// A small cache of direct blocks, so that reading every object of a heap reads and checks
/// each block once. Clones start empty; equality ignores it.
#[derive(Default)]
pub(crate) struct BlockCache(Mutex<HashMap<u64, Arc<Vec<u8>>>>, Mutex<HashMap<u64, Arc<IndirectBlock>>>);

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


pub(crate) fn log2_exact(v: u64, at: u64, what: &str) -> Result<u32> {
    if v == 0 || !v.is_power_of_two() {
        return Err(Error::format(at, format!("fractal heap {} {} is not a power of two", what, v)));
    }
    Ok(v.trailing_zeros())
}

pub(crate) fn limit_enc_size(n: u64) -> usize {
    let log2 = if n == 0 { 0 } else { 63 - n.leading_zeros() as usize };
    log2 / 8 + 1
}

pub(crate) fn overflow(at: u64) -> Error {
    Error::format(at, "fractal heap: size overflows")
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
            nrows = self.indirect_block_rows(size, iblock_addr)?;
            iblock_addr = child;
            iblock_offset = block_offset;
            depth += 1;
        }
    }


    /// Reads and decodes an indirect block with `nrows` rows (checksum verified), which must
    /// sit at heap offset `expected_offset`.
    pub fn read_indirect_block(&self, ctx: Context, address: u64, nrows: u32, expected_offset: u64) -> Result<IndirectBlock> {
        let len = IndirectBlock::encoded_size(self, nrows)?;
        if len > ctx.end_of_file() {
            return Err(Error::format(address, format!("fractal heap indirect block of {} bytes is larger than the file", len)));
        }
        let data = ctx.read(address, len, "fractal heap indirect block")?;
        let ib = IndirectBlock::decode(&data, address, self, nrows)?;
        if ib.block_offset != expected_offset {
            return Err(Error::format(
                address,
                format!("indirect block offset is {}, expected {}", ib.block_offset, expected_offset),
            ));
        }
        Ok(ib)
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
        let off = DirectBlock::check(&data, address, self)?;
        if off != block_offset {
            return Err(Error::format(address, format!("direct block offset is {}, expected {}", off, block_offset)));
        }
        Ok(data)
    }

    /// Every managed object region is not enumerable without the free-space manager; this
    /// returns the (address, block offset, block size) of every allocated direct block instead.
    pub fn direct_blocks(&self, ctx: Context) -> Result<Vec<(u64, u64, u64)>> {
        Ok(self.blocks(ctx)?.0.into_iter().map(|(a, o, s, _)| (a, o, s)).collect())
    }

    /// Every allocated block: direct blocks as (address, block offset, block size, filtered
    /// (size, mask)), and indirect blocks (decoded, the root first).
    #[allow(clippy::type_complexity)]
    pub fn blocks(&self, ctx: Context) -> Result<(Vec<(u64, u64, u64, Option<(u64, u32)>)>, Vec<IndirectBlock>)> {
        let Some(root) = self.root_block_address else { return Ok((Vec::new(), Vec::new())) };
        if self.current_root_rows == 0 {
            let filtered = self.filtered_root_direct_block_size.map(|s| (s, self.root_filter_mask));
            return Ok((vec![(root, 0, self.starting_block_size, filtered)], Vec::new()));
        }
        let mut out = (Vec::new(), Vec::new());
        let mut visited = HashSet::new();
        self.collect_blocks(ctx, root, self.current_root_rows as u32, 0, 0, &mut visited, &mut out)?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn collect_blocks(
        &self,
        ctx: Context,
        address: u64,
        nrows: u32,
        offset: u64,
        depth: u32,
        visited: &mut HashSet<u64>,
        out: &mut (Vec<(u64, u64, u64, Option<(u64, u32)>)>, Vec<IndirectBlock>),
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
                out.0.push((c.address, offset.saturating_add(ro).saturating_add(col * size), size, c.filtered));
            }
        }
        let children: Vec<_> = ib.indirect.iter().enumerate().filter_map(|(i, e)| e.map(|a| (i, a))).collect();
        out.1.push(ib);
        for (i, a) in children {
            let row = self.max_direct_rows + (i as u64 / width) as u32;
            let col = i as u64 % width;
            if let (Some(size), Some(ro)) = (self.row_block_size(row), self.row_offset(row)) {
                let child_rows = self.indirect_block_rows(size, address)?;
                let child_off = offset.saturating_add(ro).saturating_add(col * size);
                self.collect_blocks(ctx, a, child_rows, child_off, depth + 1, visited, out)?;
            }
        }
        Ok(())
    }
}

//! Extensible array chunk index (spec VII.D "The Extensible Array Index"): header ("EAHD"),
//! index block ("EAIB"), secondary blocks ("EASB"), data blocks ("EADB") and data block pages.
//!
//! Elements are numbered in array order: the first "Index Blk Elmts" live in the index block;
//! the rest are grouped into super block levels `s = 0, 1, ...`, level `s` having
//! `2^(s/2)` data blocks of `2^((s+1)/2) * Data Blk Min Elmts` elements (libhdf5
//! `H5EA__hdr_init`). The data blocks of the first `2 * log2(Secondary Blk Min Data Ptrs)`
//! levels are addressed directly from the index block; the others through one secondary block
//! per level. Data blocks with more elements than a page (`2^Max Dblk Page Nelmts Bits`) are
//! paged: the pages follow the data block's prefix, and the secondary block's "Page Bitmap"
//! marks the initialized ones (`ceil(pages / 8)` bytes per data block, but the bits of its
//! data blocks follow one another: page `p` of data block `d` is bit `d * pages + p`, most
//! significant bit first, as libhdf5's `H5EA__lookup_elmt` reads it).

use h5kit_core::{Context, Error, Reader, Result};

mod blocks;

pub use blocks::{BlockToCreate, DataBlock, DataBlockPosition, ExtensibleArrayLocation, Geometry, IndexBlock, SecondaryBlock, SuperBlockInfo};

use crate::element::{bitmap_get, DataBlockPage, Element, ElementFormat};
use crate::fixed_array::{check_element_size, ChunkEntry};
use crate::util::{add, mul, Walk};

/// The decoded extensible array header ("EAHD").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensibleArrayHeader {
    pub address: u64,
    /// "Client ID": 0 non-filtered chunks, 1 filtered chunks.
    pub client_id: u8,
    /// "Element Size".
    pub element_size: u8,
    /// "Max Nelmts Bits".
    pub max_nelmts_bits: u8,
    /// "Index Blk Elmts".
    pub index_block_elements: u8,
    /// "Data Blk Min Elmts".
    pub data_block_min_elements: u8,
    /// "Secondary Blk Min Data Ptrs".
    pub secondary_block_min_data_ptrs: u8,
    /// "Max Dblk Page Nelmts Bits".
    pub max_data_block_page_nelmts_bits: u8,
    /// "Num Secondary Blks".
    pub num_secondary_blocks: u64,
    /// "Secondary Blk Size".
    pub secondary_block_size: u64,
    /// "Num Data Blks".
    pub num_data_blocks: u64,
    /// "Data Blk Size".
    pub data_block_size: u64,
    /// "Max Index Set" (one more than the highest element index stored).
    pub max_index_set: u64,
    /// "Num Elmts" realized.
    pub num_elements: u64,
    /// "Index Block Address" (`None` while empty).
    pub index_block_address: Option<u64>,
}

impl ExtensibleArrayHeader {
    /// Reads the header at `address`, checksum verified.
    pub fn read(ctx: Context, address: u64) -> Result<ExtensibleArrayHeader> {
        let len = Self::encoded_size(ctx.sizes);
        let data = ctx.read(address, len, "extensible array header")?;
        Self::decode(&mut Reader::new(&data, address, ctx.sizes))
    }
}

/// Every allocated (defined-address) entry of the extensible array at `address`.
pub fn read_chunks(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Vec<ChunkEntry>> {
    read_inner(ctx, address, filtered, chunk_size_len).map_err(|e| e.context("reading extensible array chunk index"))
}

/// Reads the typed blocks of one array, checking that each belongs to its header and that
/// no block is reached twice.
struct Parse<'c> {
    ctx: Context<'c>,
    h: ExtensibleArrayHeader,
    g: Geometry,
    fmt: ElementFormat,
    out: Vec<ChunkEntry>,
    walk: Walk,
}

fn entry(index: u64, e: &Element) -> Option<ChunkEntry> {
    e.address.map(|address| ChunkEntry { index, address, size: e.chunk_size, filter_mask: e.filter_mask })
}

impl<'c> Parse<'c> {
    fn new(ctx: Context<'c>, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Parse<'c>> {
        let h = ExtensibleArrayHeader::read(ctx, address)?;
        check_element_size(&ctx, h.element_size, h.client_id, filtered, chunk_size_len, address, "extensible array")?;
        let g = h.geometry()?;
        Ok(Parse { ctx, h, g, fmt: ElementFormat { filtered, chunk_size_len }, out: Vec::new(), walk: Walk::new(&ctx) })
    }

    /// The `len` bytes of the block at `a`, as a reader.
    fn bytes(&self, a: u64, len: u64, what: &str) -> Result<std::borrow::Cow<'c, [u8]>> {
        self.ctx.limits.check_alloc(len, a, what)?;
        self.ctx.read(a, len, what)
    }

    fn owned(&self, client_id: u8, header_address: u64, at: u64, what: &str) -> Result<()> {
        if client_id != self.h.client_id {
            return Err(Error::format(at, format!("{} client ID {} differs from the header's {}", what, client_id, self.h.client_id)));
        }
        if header_address != self.h.address {
            return Err(Error::format(at, format!("{} belongs to header {} not {}", what, header_address, self.h.address)));
        }
        Ok(())
    }

    fn index_block(&self, a: u64) -> Result<IndexBlock> {
        const WHAT: &str = "extensible array index block";
        let data = self.bytes(a, self.g.index_block_size(self.ctx.sizes), WHAT)?;
        let b = IndexBlock::decode(&mut Reader::new(&data, a, self.ctx.sizes), &self.h)?;
        self.owned(b.client_id, b.header_address, a, WHAT)?;
        Ok(b)
    }

    fn secondary_block(&mut self, a: u64, level: u32) -> Result<SecondaryBlock> {
        const WHAT: &str = "extensible array secondary block";
        self.walk.visit(a, WHAT)?;
        let data = self.bytes(a, self.g.secondary_block_size(self.ctx.sizes, level), WHAT)?;
        let b = SecondaryBlock::decode(&mut Reader::new(&data, a, self.ctx.sizes), &self.h, level)?;
        self.owned(b.client_id, b.header_address, a, WHAT)?;
        Ok(b)
    }

    /// The data block of `nelmts` elements at `a`; its pages are read by `page`.
    fn data_block(&mut self, a: u64, nelmts: u64) -> Result<DataBlock> {
        const WHAT: &str = "extensible array data block";
        self.walk.visit(a, WHAT)?;
        if mul(nelmts, self.h.element_size as u64, a, WHAT)? > self.ctx.end_of_file() {
            return Err(Error::format(a, "extensible array data block is larger than the file"));
        }
        let data = self.bytes(a, self.g.data_block_size(self.ctx.sizes, nelmts), WHAT)?;
        let b = DataBlock::decode(&mut Reader::new(&data, a, self.ctx.sizes), &self.h, nelmts)?;
        self.owned(b.client_id, b.header_address, a, WHAT)?;
        Ok(b)
    }

    /// Page `p` of the data block of `nelmts` elements at `a`.
    fn page(&self, a: u64, nelmts: u64, p: u64) -> Result<DataBlockPage> {
        let pa = add(a, self.g.page_offset(self.ctx.sizes, nelmts, p), a, "extensible array page")?;
        let data = self.bytes(pa, self.g.page_size(), "extensible array data block page")?;
        DataBlockPage::decode(&mut Reader::new(&data, pa, self.ctx.sizes), self.g.page_nelmts, self.fmt)
    }

    /// Collects the allocated entries of the data block at `a` whose first element has
    /// `first_index`. `pages`: the secondary block's page bitmap and this block's first bit.
    fn collect_data_block(&mut self, a: u64, first_index: u64, nelmts: u64, pages: Option<(&[u8], u64)>) -> Result<()> {
        let block = self.data_block(a, nelmts)?;
        let npages = self.g.npages(nelmts);
        if npages == 0 {
            for (i, e) in block.elements.iter().enumerate() {
                let index = add(first_index, i as u64, a, "extensible array element index")?;
                self.out.extend(entry(index, e));
            }
            return Ok(());
        }
        for p in 0..npages {
            let init = pages.is_none_or(|(bitmap, first_bit)| bitmap_get(bitmap, first_bit + p));
            if init {
                let page = self.page(a, nelmts, p)?;
                let base = add(first_index, p * self.g.page_nelmts, a, "extensible array element index")?;
                for (i, e) in page.elements.iter().enumerate() {
                    self.out.extend(entry(add(base, i as u64, a, "extensible array element index")?, e));
                }
            }
        }
        Ok(())
    }
}

fn read_inner(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Vec<ChunkEntry>> {
    let mut p = Parse::new(ctx, address, filtered, chunk_size_len)?;
    let Some(ib) = p.h.index_block_address else { return Ok(Vec::new()) };
    let iblock = p.index_block(ib)?;
    for (i, e) in iblock.elements.iter().enumerate() {
        p.out.extend(entry(i as u64, e));
    }
    // Walk the levels in element order.
    let g = p.g.clone();
    let mut next_index = g.index_block_elements;
    let mut slot = 0usize;
    for (s, info) in g.levels.iter().enumerate() {
        if next_index >= p.h.max_index_set {
            break;
        }
        let s = s as u32;
        if s < g.iblock_nsblks {
            for _ in 0..info.ndblks {
                if let Some(Some(a)) = iblock.data_block_addresses.get(slot) {
                    p.collect_data_block(*a, next_index, info.dblk_nelmts, None)?;
                }
                slot += 1;
                next_index = add(next_index, info.dblk_nelmts, address, "extensible array")?;
            }
        } else {
            if let Some(Some(a)) = iblock.secondary_block_addresses.get((s - g.iblock_nsblks) as usize) {
                let sb = p.secondary_block(*a, s)?;
                // The page bits of the level's data blocks follow one another (libhdf5
                // `H5EA__lookup_elmt`: bit `dblk * npages + page`).
                let npages = g.npages(info.dblk_nelmts);
                let mut index = next_index;
                for (d, da) in sb.data_block_addresses.iter().enumerate() {
                    if let Some(da) = da {
                        p.collect_data_block(*da, index, info.dblk_nelmts, Some((&sb.page_bitmap, d as u64 * npages)))?;
                    }
                    index = add(index, info.dblk_nelmts, address, "extensible array")?;
                }
            }
            let level = mul(info.ndblks, info.dblk_nelmts, address, "extensible array")?;
            next_index = add(next_index, level, address, "extensible array")?;
        }
    }
    Ok(p.out)
}

/// The entry at element index `index`, reading only the blocks on its path (index block,
/// secondary block, data block or page). `None` when the chunk is not allocated.
pub fn find_chunk(
    ctx: Context,
    address: u64,
    filtered: bool,
    chunk_size_len: usize,
    index: u64,
) -> Result<Option<ChunkEntry>> {
    find_inner(ctx, address, filtered, chunk_size_len, index).map_err(|e| e.context("searching extensible array chunk index"))
}

fn find_inner(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize, index: u64) -> Result<Option<ChunkEntry>> {
    let mut p = Parse::new(ctx, address, filtered, chunk_size_len)?;
    let Some(ib) = p.h.index_block_address else { return Ok(None) };
    if index >= p.h.max_index_set {
        return Ok(None);
    }
    let Some(loc) = p.g.locate(index) else { return Ok(None) };
    let iblock = p.index_block(ib)?;
    let (a, block, bitmap) = match loc {
        ExtensibleArrayLocation::IndexBlock { index: i } => return Ok(iblock.elements.get(i as usize).and_then(|e| entry(index, e))),
        ExtensibleArrayLocation::DirectDataBlock { slot, block } => {
            let Some(Some(a)) = iblock.data_block_addresses.get(slot as usize).copied() else { return Ok(None) };
            (a, block, None)
        }
        ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, block } => {
            let Some(Some(sa)) = iblock.secondary_block_addresses.get(slot as usize).copied() else { return Ok(None) };
            let sb = p.secondary_block(sa, block.level)?;
            let Some(Some(a)) = sb.data_block_addresses.get(dblk as usize).copied() else { return Ok(None) };
            (a, block, Some((sb.page_bitmap, dblk * p.g.npages(block.nelmts))))
        }
    };
    let db = p.data_block(a, block.nelmts)?;
    let e = match block.page {
        None => db.elements.get(block.index as usize).copied(),
        Some((page, i)) => {
            if let Some((bitmap, first_bit)) = &bitmap {
                if !bitmap_get(bitmap, first_bit + page) {
                    return Ok(None);
                }
            }
            p.page(a, block.nelmts, page)?.elements.get(i as usize).copied()
        }
    };
    Ok(e.and_then(|e| entry(index, &e)))
}

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
//! marks the initialized ones (one bitmap of `ceil(pages / 8)` bytes per data block, bit `i`
//! = page `i`, most significant bit first).

use h5kit_core::{Context, Error, Reader, Result};

mod blocks;

pub use blocks::{BlockToCreate, DataBlock, DataBlockPosition, ExtensibleArrayLocation, Geometry, IndexBlock, SecondaryBlock, SuperBlockInfo};

use crate::fixed_array::{check_element_size, decode_element, ChunkEntry};
use crate::util::{add, bytes_for_bits, mul, read_checked, Walk};

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

    /// Number of super block levels.
    fn nsblks(&self) -> u32 {
        1 + self.max_nelmts_bits as u32 - self.data_block_min_elements.trailing_zeros()
    }

    /// Bytes of the "Block Offset" fields.
    fn arr_off_size(&self) -> usize {
        bytes_for_bits(self.max_nelmts_bits as u32)
    }
}

/// Super block level `s`: (number of data blocks, elements per data block).
fn sblk_info(h: &ExtensibleArrayHeader, s: u32) -> Option<(u64, u64)> {
    let ndblks = 1u64.checked_shl(s / 2)?;
    let n = 1u64.checked_shl(s.div_ceil(2))?.checked_mul(h.data_block_min_elements as u64)?;
    if s / 2 >= 64 || s.div_ceil(2) >= 64 {
        return None;
    }
    Some((ndblks, n))
}

/// Every allocated (defined-address) entry of the extensible array at `address`.
pub fn read_chunks(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Vec<ChunkEntry>> {
    read_inner(ctx, address, filtered, chunk_size_len).map_err(|e| e.context("reading extensible array chunk index"))
}

struct Parse<'c> {
    ctx: Context<'c>,
    h: ExtensibleArrayHeader,
    filtered: bool,
    chunk_size_len: usize,
    out: Vec<ChunkEntry>,
    walk: Walk,
}

fn read_inner(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Vec<ChunkEntry>> {
    let h = ExtensibleArrayHeader::read(ctx, address)?;
    check_element_size(&ctx, h.element_size, h.client_id, filtered, chunk_size_len, address, "extensible array")?;
    let Some(ib) = h.index_block_address else { return Ok(Vec::new()) };
    let mut p = Parse { ctx, h, filtered, chunk_size_len, out: Vec::new(), walk: Walk::new(&ctx) };
    let o = ctx.sizes.offset as u64;
    let es = h.element_size as u64;
    let nsblks = h.nsblks();
    let iblock_nsblks = 2 * h.secondary_block_min_data_ptrs.trailing_zeros();
    let ndblk_addrs = 2 * (h.secondary_block_min_data_ptrs as u64 - 1);
    let nsblk_addrs = nsblks.saturating_sub(iblock_nsblks) as u64;
    let nelm = h.index_block_elements as u64;
    let len = 6 + o + nelm * es + ndblk_addrs * o + nsblk_addrs * o;
    let data = read_checked(&ctx, ib, len, "extensible array index block")?;
    let mut r = block_reader(&ctx, &data, ib, &h, b"EAIB", "extensible array index block")?;
    for i in 0..nelm {
        if let Some(e) = decode_element(&mut r, i, filtered, chunk_size_len)? {
            p.out.push(e);
        }
    }
    let mut dblk_addrs = Vec::with_capacity(ndblk_addrs as usize);
    for _ in 0..ndblk_addrs {
        dblk_addrs.push(r.address_field()?);
    }
    let mut sblk_addrs = Vec::with_capacity(nsblk_addrs as usize);
    for _ in 0..nsblk_addrs {
        sblk_addrs.push(r.address_field()?);
    }
    // Walk the levels in element order.
    let mut next_index = nelm;
    let mut dblk_iter = dblk_addrs.into_iter();
    for s in 0..nsblks {
        let (ndblks, dblk_nelmts) =
            sblk_info(&h, s).ok_or_else(|| Error::format(address, "extensible array level overflows"))?;
        let level_elems = mul(ndblks, dblk_nelmts, address, "extensible array")?;
        if next_index >= h.max_index_set {
            break;
        }
        if s < iblock_nsblks {
            for _ in 0..ndblks {
                if let Some(Some(a)) = dblk_iter.next() {
                    p.data_block(a, next_index, dblk_nelmts, None)?;
                }
                next_index = add(next_index, dblk_nelmts, address, "extensible array")?;
            }
        } else {
            let k = (s - iblock_nsblks) as usize;
            if let Some(Some(a)) = sblk_addrs.get(k) {
                p.secondary_block(*a, next_index, ndblks, dblk_nelmts)?;
            }
            next_index = add(next_index, level_elems, address, "extensible array")?;
        }
    }
    Ok(p.out)
}

fn block_reader<'a>(
    ctx: &Context,
    data: &'a [u8],
    at: u64,
    h: &ExtensibleArrayHeader,
    sig: &[u8; 4],
    what: &str,
) -> Result<Reader<'a>> {
    let mut r = Reader::new(data, at, ctx.sizes);
    r.signature(sig, what)?;
    let version = r.u8()?;
    if version != 0 {
        return Err(Error::format(at, format!("{} version {} (expected 0)", what, version)));
    }
    let client = r.u8()?;
    if client != h.client_id {
        return Err(Error::format(at, format!("{} client ID {} differs from the header's {}", what, client, h.client_id)));
    }
    let hdr = r.offset()?;
    if hdr != h.address {
        return Err(Error::format(at, format!("{} belongs to header {} not {}", what, hdr, h.address)));
    }
    Ok(r)
}

impl Parse<'_> {
    fn page_nelmts(&self) -> u64 {
        1u64 << self.h.max_data_block_page_nelmts_bits
    }

    fn secondary_block(&mut self, address: u64, first_index: u64, ndblks: u64, dblk_nelmts: u64) -> Result<()> {
        self.walk.visit(address, "extensible array secondary block")?;
        let ctx = self.ctx;
        let o = ctx.sizes.offset as u64;
        let paged = dblk_nelmts > self.page_nelmts();
        let npages = if paged { dblk_nelmts / self.page_nelmts() } else { 0 };
        // One bitmap of ceil(npages / 8) bytes per data block (libhdf5 H5EA_SBLOCK_SIZE).
        let init_size = npages.div_ceil(8);
        let bitmap_len = mul(ndblks, init_size, address, "extensible array")?;
        let len = 6 + o + self.h.arr_off_size() as u64 + bitmap_len + mul(ndblks, o, address, "extensible array")?;
        let data = read_checked(&ctx, address, len, "extensible array secondary block")?;
        let mut r = block_reader(&ctx, &data, address, &self.h, b"EASB", "extensible array secondary block")?;
        let _block_offset = r.uint(self.h.arr_off_size())?;
        let bitmap = r.bytes(bitmap_len as usize)?.to_vec();
        let mut index = first_index;
        for d in 0..ndblks {
            let a = r.address_field()?;
            if let Some(a) = a {
                let pages = if paged { Some((&bitmap[..], d * init_size * 8)) } else { None };
                self.data_block(a, index, dblk_nelmts, pages)?;
            }
            index = add(index, dblk_nelmts, address, "extensible array")?;
        }
        Ok(())
    }

    /// Reads one data block of `nelmts` elements whose first element has `first_index`.
    /// `pages`: the secondary block's page bitmap and this block's first bit in it.
    fn data_block(&mut self, address: u64, first_index: u64, nelmts: u64, pages: Option<(&[u8], u64)>) -> Result<()> {
        self.walk.visit(address, "extensible array data block")?;
        let ctx = self.ctx;
        let o = ctx.sizes.offset as u64;
        let es = self.h.element_size as u64;
        let prefix = 6 + o + self.h.arr_off_size() as u64;
        let page_nelmts = self.page_nelmts();
        let paged = nelmts > page_nelmts;
        let elems_len = mul(nelmts, es, address, "extensible array data block")?;
        if elems_len > ctx.end_of_file() {
            return Err(Error::format(address, "extensible array data block is larger than the file"));
        }
        let len = if paged { prefix } else { prefix + elems_len };
        let data = read_checked(&ctx, address, len, "extensible array data block")?;
        let mut r = block_reader(&ctx, &data, address, &self.h, b"EADB", "extensible array data block")?;
        let _block_offset = r.uint(self.h.arr_off_size())?;
        if !paged {
            for i in 0..nelmts {
                let index = add(first_index, i, address, "extensible array element index")?;
                if let Some(e) = decode_element(&mut r, index, self.filtered, self.chunk_size_len)? {
                    self.out.push(e);
                }
            }
            return Ok(());
        }
        let npages = nelmts / page_nelmts;
        let page_len = page_nelmts * es;
        let mut page_addr = add(address, prefix + 4, address, "extensible array page")?;
        for p in 0..npages {
            let init = match pages {
                Some((bitmap, first_bit)) => {
                    let bit = first_bit + p;
                    bitmap.get((bit / 8) as usize).is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
                }
                None => true,
            };
            if init {
                let data = read_checked(&ctx, page_addr, page_len, "extensible array data block page")?;
                let mut r = Reader::new(&data, page_addr, ctx.sizes);
                let base = add(first_index, p * page_nelmts, address, "extensible array element index")?;
                for i in 0..page_nelmts {
                    let index = add(base, i, address, "extensible array element index")?;
                    if let Some(e) = decode_element(&mut r, index, self.filtered, self.chunk_size_len)? {
                        self.out.push(e);
                    }
                }
            }
            page_addr = add(page_addr, page_len + 4, address, "extensible array page")?;
        }
        Ok(())
    }
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
    let h = ExtensibleArrayHeader::read(ctx, address)?;
    check_element_size(&ctx, h.element_size, h.client_id, filtered, chunk_size_len, address, "extensible array")?;
    let Some(ib) = h.index_block_address else { return Ok(None) };
    if index >= h.max_index_set {
        return Ok(None);
    }
    let o = ctx.sizes.offset as u64;
    let es = h.element_size as u64;
    let nsblks = h.nsblks();
    let iblock_nsblks = 2 * h.secondary_block_min_data_ptrs.trailing_zeros();
    let ndblk_addrs = 2 * (h.secondary_block_min_data_ptrs as u64 - 1);
    let nsblk_addrs = nsblks.saturating_sub(iblock_nsblks) as u64;
    let nelm = h.index_block_elements as u64;
    let len = 6 + o + nelm * es + ndblk_addrs * o + nsblk_addrs * o;
    let data = read_checked(&ctx, ib, len, "extensible array index block")?;
    let mut r = block_reader(&ctx, &data, ib, &h, b"EAIB", "extensible array index block")?;
    if index < nelm {
        r.skip((index * es) as usize)?;
        return decode_element(&mut r, index, filtered, chunk_size_len);
    }
    let min = h.data_block_min_elements as u64;
    let tmp = index - nelm;
    let q = tmp / min + 1;
    let s = 63 - q.leading_zeros(); // floor(log2(q))
    if s >= nsblks {
        return Ok(None);
    }
    let start_idx = min.checked_mul((1u64 << s) - 1).ok_or_else(|| Error::format(address, "extensible array index overflows"))?;
    let (_, dblk_nelmts) = sblk_info(&h, s).ok_or_else(|| Error::format(address, "extensible array level overflows"))?;
    let off = tmp - start_idx;
    let dblk = off / dblk_nelmts;
    let elem = off % dblk_nelmts;
    let block_first = index - elem;
    let mut p = Parse { ctx, h, filtered, chunk_size_len, out: Vec::new(), walk: Walk::new(&ctx) };
    if s < iblock_nsblks {
        let start_dblk: u64 = (0..s).map(|k| 1u64 << (k / 2)).sum();
        r.skip((nelm * es + (start_dblk + dblk) * o) as usize)?;
        let Some(a) = r.address_field()? else { return Ok(None) };
        p.data_block(a, block_first, dblk_nelmts, None)?;
    } else {
        r.skip((nelm * es + ndblk_addrs * o + (s - iblock_nsblks) as u64 * o) as usize)?;
        let Some(sb) = r.address_field()? else { return Ok(None) };
        let (ndblks, _) = sblk_info(&h, s).ok_or_else(|| Error::format(address, "extensible array level overflows"))?;
        // Reads the whole secondary block; only the one data block on the path is read.
        p.secondary_block_one(sb, ndblks, dblk_nelmts, dblk, block_first)?;
    }
    Ok(p.out.into_iter().find(|e| e.index == index))
}

impl Parse<'_> {
    /// Like `secondary_block`, but follows only data block `which`.
    fn secondary_block_one(&mut self, address: u64, ndblks: u64, dblk_nelmts: u64, which: u64, first_index: u64) -> Result<()> {
        let ctx = self.ctx;
        let o = ctx.sizes.offset as u64;
        let paged = dblk_nelmts > self.page_nelmts();
        let npages = if paged { dblk_nelmts / self.page_nelmts() } else { 0 };
        let init_size = npages.div_ceil(8);
        let bitmap_len = mul(ndblks, init_size, address, "extensible array")?;
        let len = 6 + o + self.h.arr_off_size() as u64 + bitmap_len + mul(ndblks, o, address, "extensible array")?;
        let data = read_checked(&ctx, address, len, "extensible array secondary block")?;
        let mut r = block_reader(&ctx, &data, address, &self.h, b"EASB", "extensible array secondary block")?;
        let _block_offset = r.uint(self.h.arr_off_size())?;
        let bitmap = r.bytes(bitmap_len as usize)?.to_vec();
        r.skip((which * o) as usize)?;
        if let Some(a) = r.address_field()? {
            let pages = if paged { Some((&bitmap[..], which * init_size * 8)) } else { None };
            self.data_block(a, first_index, dblk_nelmts, pages)?;
        }
        Ok(())
    }
}

//! Fixed array chunk index (spec VII.C "The Fixed Array Index"): header ("FAHD"), data block
//! ("FADB") and, when the array has more entries than one page holds (`2^Page Bits`), data
//! block pages laid out contiguously after the data block, tracked by the data block's "Page
//! Bitmap" (bit i, most significant bit first within each byte, set when page i is
//! initialized). Every structure is checksummed.

use h5kit_core::{Context, Error, Reader, Result};

use crate::util::{add, mul, read_checked};

/// One allocated chunk of a fixed or extensible array index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkEntry {
    /// Index of the element in the array (the linear chunk index; for the extensible array,
    /// the index in the array's element order).
    pub index: u64,
    /// Address of the chunk.
    pub address: u64,
    /// "Chunk Size" for filtered chunks; 0 for non-filtered ones.
    pub size: u64,
    /// "Filter Mask" for filtered chunks; 0 for non-filtered ones.
    pub filter_mask: u32,
}

/// The decoded fixed array header ("FAHD").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedArrayHeader {
    pub address: u64,
    /// "Client ID": 0 non-filtered chunks, 1 filtered chunks.
    pub client_id: u8,
    /// "Entry Size" in bytes.
    pub entry_size: u8,
    /// "Page Bits".
    pub page_bits: u8,
    /// "Max Num Entries".
    pub max_entries: u64,
    /// "Data Block Address" (`None` while no chunk is written).
    pub data_block_address: Option<u64>,
}

impl FixedArrayHeader {
    /// Reads the header at `address`, checksum verified.
    pub fn read(ctx: Context, address: u64) -> Result<FixedArrayHeader> {
        let len = 8 + ctx.sizes.length as u64 + ctx.sizes.offset as u64;
        let data = read_checked(&ctx, address, len, "fixed array header")?;
        let mut r = Reader::new(&data, address, ctx.sizes);
        r.signature(b"FAHD", "fixed array header")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("fixed array header version {} (expected 0)", version)));
        }
        let client_id = r.u8()?;
        let entry_size = r.u8()?;
        let page_bits = r.u8()?;
        let max_entries = r.length()?;
        let data_block_address = r.address_field()?;
        if client_id > 1 {
            return Err(Error::format(address, format!("fixed array client ID {} is not 0 or 1", client_id)));
        }
        if page_bits >= 64 {
            return Err(Error::format(address, format!("fixed array page bits {} is too large", page_bits)));
        }
        Ok(FixedArrayHeader { address, client_id, entry_size, page_bits, max_entries, data_block_address })
    }
}

/// Decodes one chunk element; `None` for an undefined address.
pub(crate) fn decode_element(r: &mut Reader, index: u64, filtered: bool, chunk_size_len: usize) -> Result<Option<ChunkEntry>> {
    let address = r.address_field()?;
    let (size, filter_mask) = if filtered { (r.uint(chunk_size_len)?, r.u32()?) } else { (0, 0) };
    Ok(address.map(|address| ChunkEntry { index, address, size, filter_mask }))
}

/// Checks that the element size the file states matches the format the caller expects.
pub(crate) fn check_element_size(
    ctx: &Context,
    stated: u8,
    client_id: u8,
    filtered: bool,
    chunk_size_len: usize,
    at: u64,
    what: &str,
) -> Result<()> {
    if (client_id == 1) != filtered {
        return Err(Error::format(
            at,
            format!("{} client ID {} does not match the dataset ({})", what, client_id, if filtered { "filtered" } else { "not filtered" }),
        ));
    }
    if filtered && !(1..=8).contains(&chunk_size_len) {
        return Err(Error::usage(format!("chunk size length {} is not 1..=8", chunk_size_len)));
    }
    let expected = ctx.sizes.offset as usize + if filtered { chunk_size_len + 4 } else { 0 };
    if stated as usize != expected {
        return Err(Error::format(at, format!("{} element size is {}, expected {}", what, stated, expected)));
    }
    Ok(())
}

/// Every allocated (defined-address) entry; `filtered` selects the filtered-chunk element
/// format; `chunk_size_len` its Chunk Size width.
pub fn read_chunks(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Vec<ChunkEntry>> {
    read_chunks_inner(ctx, address, filtered, chunk_size_len).map_err(|e| e.context("reading fixed array chunk index"))
}

fn read_chunks_inner(ctx: Context, address: u64, filtered: bool, chunk_size_len: usize) -> Result<Vec<ChunkEntry>> {
    let hdr = FixedArrayHeader::read(ctx, address)?;
    check_element_size(&ctx, hdr.entry_size, hdr.client_id, filtered, chunk_size_len, address, "fixed array")?;
    let Some(db) = hdr.data_block_address else { return Ok(Vec::new()) };
    let es = hdr.entry_size as u64;
    let n = hdr.max_entries;
    // Bounded by the file: every entry takes at least entry_size bytes of it.
    if mul(n, es, address, "fixed array")? > ctx.end_of_file() {
        return Err(Error::format(address, format!("fixed array of {} entries is larger than the file", n)));
    }
    let prefix = 6 + ctx.sizes.offset as u64;
    let page_entries = 1u64 << hdr.page_bits;
    let mut out = Vec::new();
    if n <= page_entries {
        let len = add(prefix, mul(n, es, db, "fixed array data block")?, db, "fixed array data block")?;
        let data = read_checked(&ctx, db, len, "fixed array data block")?;
        let mut r = data_block_reader(&ctx, &data, db, &hdr)?;
        for i in 0..n {
            if let Some(e) = decode_element(&mut r, i, filtered, chunk_size_len)? {
                out.push(e);
            }
        }
        return Ok(out);
    }
    let npages = n.div_ceil(page_entries);
    let bitmap_len = npages.div_ceil(8);
    let len = add(prefix, bitmap_len, db, "fixed array data block")?;
    let data = read_checked(&ctx, db, len, "fixed array data block")?;
    let mut r = data_block_reader(&ctx, &data, db, &hdr)?;
    let bitmap = r.bytes(bitmap_len as usize)?.to_vec();
    // Pages follow the data block (and its checksum).
    let mut page_addr = add(db, len + 4, db, "fixed array page")?;
    for p in 0..npages {
        let first = p * page_entries;
        let count = page_entries.min(n - first);
        let page_len = mul(count, es, page_addr, "fixed array page")?;
        let init = bitmap.get((p / 8) as usize).is_some_and(|b| b & (0x80 >> (p % 8)) != 0);
        if init {
            let data = read_checked(&ctx, page_addr, page_len, "fixed array data block page")?;
            let mut r = Reader::new(&data, page_addr, ctx.sizes);
            for i in 0..count {
                if let Some(e) = decode_element(&mut r, first + i, filtered, chunk_size_len)? {
                    out.push(e);
                }
            }
        }
        page_addr = add(page_addr, page_len + 4, page_addr, "fixed array page")?;
    }
    Ok(out)
}

fn data_block_reader<'a>(ctx: &Context, data: &'a [u8], db: u64, hdr: &FixedArrayHeader) -> Result<Reader<'a>> {
    let mut r = Reader::new(data, db, ctx.sizes);
    r.signature(b"FADB", "fixed array data block")?;
    let version = r.u8()?;
    if version != 0 {
        return Err(Error::format(db, format!("fixed array data block version {} (expected 0)", version)));
    }
    let client = r.u8()?;
    if client != hdr.client_id {
        return Err(Error::format(db, format!("fixed array data block client ID {} differs from the header's {}", client, hdr.client_id)));
    }
    let h = r.offset()?;
    if h != hdr.address {
        return Err(Error::format(db, format!("fixed array data block belongs to header {} not {}", h, hdr.address)));
    }
    Ok(r)
}

/// The entry at array index `index` (the linear chunk index), reading only the header and
/// the data block or page that holds it. `None` when the chunk is not allocated.
pub fn find_chunk(
    ctx: Context,
    address: u64,
    filtered: bool,
    chunk_size_len: usize,
    index: u64,
) -> Result<Option<ChunkEntry>> {
    let hdr = FixedArrayHeader::read(ctx, address)?;
    check_element_size(&ctx, hdr.entry_size, hdr.client_id, filtered, chunk_size_len, address, "fixed array")?;
    if index >= hdr.max_entries {
        return Ok(None);
    }
    let Some(db) = hdr.data_block_address else { return Ok(None) };
    let es = hdr.entry_size as u64;
    let prefix = 6 + ctx.sizes.offset as u64;
    let page_entries = 1u64 << hdr.page_bits;
    let n = hdr.max_entries;
    if n <= page_entries {
        let len = add(prefix, mul(n, es, db, "fixed array data block")?, db, "fixed array data block")?;
        let data = read_checked(&ctx, db, len, "fixed array data block")?;
        let mut r = data_block_reader(&ctx, &data, db, &hdr)?;
        r.skip((index * es) as usize)?;
        return decode_element(&mut r, index, filtered, chunk_size_len);
    }
    let npages = n.div_ceil(page_entries);
    let bitmap_len = npages.div_ceil(8);
    let len = add(prefix, bitmap_len, db, "fixed array data block")?;
    let data = read_checked(&ctx, db, len, "fixed array data block")?;
    let mut r = data_block_reader(&ctx, &data, db, &hdr)?;
    let bitmap = r.bytes(bitmap_len as usize)?;
    let p = index / page_entries;
    let initialized = bitmap.get((p / 8) as usize).is_some_and(|b| b & (0x80 >> (p % 8)) != 0);
    if !initialized {
        return Ok(None);
    }
    // Full pages before page p, each with its checksum.
    let full_page = add(mul(page_entries, es, db, "fixed array page")?, 4, db, "fixed array page")?;
    let page_addr = add(add(db, len + 4, db, "fixed array page")?, mul(p, full_page, db, "fixed array page")?, db, "fixed array page")?;
    let count = page_entries.min(n - p * page_entries);
    let data = read_checked(&ctx, page_addr, mul(count, es, page_addr, "fixed array page")?, "fixed array data block page")?;
    let mut r = Reader::new(&data, page_addr, ctx.sizes);
    r.skip(((index - p * page_entries) * es) as usize)?;
    decode_element(&mut r, index, filtered, chunk_size_len)
}

//! Fixed array chunk index (spec VII.C "The Fixed Array Index"): header ("FAHD"), data block
//! ("FADB") and, when the array has more entries than one page holds (`2^Page Bits`), data
//! block pages laid out contiguously after the data block, tracked by the data block's "Page
//! Bitmap" (bit i, most significant bit first within each byte, set when page i is
//! initialized). Every structure is checksummed.

use h5kit_core::{Context, Error, Reader, Result, Sizes, Writer};

use crate::element::{decode_elements, encode_elements, verify_trailing_checksum, Element, ElementFormat};
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
        let len = Self::encoded_size(ctx.sizes);
        let data = ctx.read(address, len, "fixed array header")?;
        Self::decode(&mut Reader::new(&data, address, ctx.sizes))
    }

    /// Decodes a header (signature to checksum, verified) at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<FixedArrayHeader> {
        let address = r.address();
        let start = r.position();
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
        verify_trailing_checksum(r, start, address, "fixed array header")?;
        if client_id > 1 {
            return Err(Error::format(address, format!("fixed array client ID {} is not 0 or 1", client_id)));
        }
        if page_bits >= 64 {
            return Err(Error::format(address, format!("fixed array page bits {} is too large", page_bits)));
        }
        Ok(FixedArrayHeader { address, client_id, entry_size, page_bits, max_entries, data_block_address })
    }

    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.page_bits >= 64 {
            return Err(Error::usage(format!("fixed array page bits {} is too large", self.page_bits)));
        }
        let start = w.position();
        w.signature(b"FAHD");
        w.u8(0);
        w.u8(self.client_id);
        w.u8(self.entry_size);
        w.u8(self.page_bits);
        w.length(self.max_entries)?;
        w.address_field(self.data_block_address)?;
        w.checksum_from(start);
        Ok(())
    }

    /// Bytes of the header, checksum included.
    pub fn encoded_size(sizes: Sizes) -> u64 {
        12 + sizes.length as u64 + sizes.offset as u64
    }

    /// The element format the header's client ID and entry size describe.
    pub fn element_format(&self, sizes: Sizes) -> Result<ElementFormat> {
        ElementFormat::from_header(self.client_id, self.entry_size, sizes).map_err(|e| e.at(self.address))
    }

    /// Elements per data block page, `2^Page Bits`.
    pub fn page_nelmts(&self) -> u64 {
        1u64 << self.page_bits.min(63)
    }

    /// Whether the data block is paged (more entries than one page holds).
    pub fn is_paged(&self) -> bool {
        self.max_entries > self.page_nelmts()
    }

    /// Number of data block pages (0 when not paged).
    pub fn npages(&self) -> u64 {
        if self.is_paged() { self.max_entries.div_ceil(self.page_nelmts()) } else { 0 }
    }

    /// Bytes of the data block's "Page Bitmap" (0 when not paged).
    pub fn page_bitmap_size(&self) -> u64 {
        self.npages().div_ceil(8)
    }

    /// Bytes of the data block structure ("FADB" to its checksum; pages not included).
    pub fn data_block_size(&self, sizes: Sizes) -> u64 {
        let body = if self.is_paged() {
            self.page_bitmap_size()
        } else {
            self.max_entries.saturating_mul(self.entry_size as u64)
        };
        (6 + sizes.offset as u64).saturating_add(body).saturating_add(4)
    }

    /// Elements in page `p` (the last page may be short).
    pub fn page_len(&self, p: u64) -> u64 {
        let first = p.saturating_mul(self.page_nelmts());
        self.page_nelmts().min(self.max_entries.saturating_sub(first))
    }

    /// Offset of page `p` from the data block address: pages follow the data block, each
    /// full page being `page_nelmts * entry_size + 4` bytes.
    pub fn page_offset(&self, sizes: Sizes, p: u64) -> u64 {
        let full = self.page_nelmts().saturating_mul(self.entry_size as u64).saturating_add(4);
        self.data_block_size(sizes).saturating_add(p.saturating_mul(full))
    }

    /// Bytes allocated for the data block and all its pages (libhdf5 allocates them as one).
    pub fn data_block_alloc_size(&self, sizes: Sizes) -> u64 {
        let n = self.npages();
        if n == 0 {
            return self.data_block_size(sizes);
        }
        let last = n - 1;
        self.page_offset(sizes, last)
            .saturating_add(self.page_len(last).saturating_mul(self.entry_size as u64))
            .saturating_add(4)
    }

    /// Where element `index` lives; `None` past "Max Num Entries".
    pub fn locate(&self, index: u64) -> Option<FixedArrayLocation> {
        if index >= self.max_entries {
            return None;
        }
        if !self.is_paged() {
            return Some(FixedArrayLocation::DataBlock { index });
        }
        let page = index / self.page_nelmts();
        Some(FixedArrayLocation::Page { page, index: index % self.page_nelmts() })
    }
}

/// Where an element of a fixed array lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedArrayLocation {
    /// Element `index` of the (unpaged) data block.
    DataBlock { index: u64 },
    /// Element `index` of data block page `page` (bit `page` of the page bitmap).
    Page { page: u64, index: u64 },
}

/// The fixed array data block ("FADB"): a page bitmap when paged, else the elements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedArrayDataBlock {
    pub client_id: u8,
    /// "Header Address".
    pub header_address: u64,
    /// "Page Bitmap" (paged data blocks only; bit i, most significant first: page i
    /// initialized).
    pub page_bitmap: Vec<u8>,
    /// "Elements" (unpaged data blocks only).
    pub elements: Vec<Element>,
}

impl FixedArrayDataBlock {
    /// A new data block for `hdr`: every element unallocated, no page initialized.
    pub fn new(hdr: &FixedArrayHeader) -> Result<FixedArrayDataBlock> {
        let n = usize::try_from(if hdr.is_paged() { 0 } else { hdr.max_entries })
            .map_err(|_| Error::usage("fixed array too large"))?;
        let b = usize::try_from(hdr.page_bitmap_size()).map_err(|_| Error::usage("fixed array too large"))?;
        Ok(FixedArrayDataBlock {
            client_id: hdr.client_id,
            header_address: hdr.address,
            page_bitmap: vec![0; b],
            elements: vec![Element::UNALLOCATED; n],
        })
    }

    /// Decodes the data block of `hdr` (checksum verified; pages are separate
    /// [`DataBlockPage`]s at [`FixedArrayHeader::page_offset`]).
    pub fn decode(r: &mut Reader, hdr: &FixedArrayHeader, fmt: ElementFormat) -> Result<FixedArrayDataBlock> {
        let at = r.address();
        let start = r.position();
        r.signature(b"FADB", "fixed array data block")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(at, format!("fixed array data block version {} (expected 0)", version)));
        }
        let client_id = r.u8()?;
        let header_address = r.offset()?;
        let (page_bitmap, elements) = if hdr.is_paged() {
            let n = usize::try_from(hdr.page_bitmap_size()).map_err(|_| Error::format(at, "fixed array too large"))?;
            (r.bytes(n)?.to_vec(), Vec::new())
        } else {
            (Vec::new(), decode_elements(r, hdr.max_entries, fmt)?)
        };
        verify_trailing_checksum(r, start, at, "fixed array data block")?;
        Ok(FixedArrayDataBlock { client_id, header_address, page_bitmap, elements })
    }

    pub fn encode(&self, w: &mut Writer, fmt: ElementFormat) -> Result<()> {
        let start = w.position();
        w.signature(b"FADB");
        w.u8(0);
        w.u8(self.client_id);
        w.offset(self.header_address)?;
        w.bytes(&self.page_bitmap);
        encode_elements(w, &self.elements, fmt)?;
        w.checksum_from(start);
        Ok(())
    }

    /// Bytes of this data block structure (pages not included), as `hdr` sizes it.
    pub fn encoded_size(hdr: &FixedArrayHeader, sizes: Sizes) -> u64 {
        hdr.data_block_size(sizes)
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

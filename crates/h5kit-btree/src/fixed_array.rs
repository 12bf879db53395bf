//! Fixed array chunk index (spec VII.C "The Fixed Array Index"): header ("FAHD"), data block
//! ("FADB") and, when the array has more entries than one page holds (`2^Page Bits`), data
//! block pages laid out contiguously after the data block, tracked by the data block's "Page
//! Bitmap" (bit i, most significant bit first within each byte, set when page i is
//! initialized). Every structure is checksummed.

use h5kit_core::{Context, Error, Reader, Result, Sizes, Writer};

use crate::element::{bitmap_get, decode_elements, encode_elements, verify_trailing_checksum, DataBlockPage, Element, ElementFormat};
use crate::util::{add, mul};

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

/// Something that must exist before an element of a fixed array can be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixedArrayBlockToCreate {
    /// The data block, allocated with room for all its pages
    /// ([`FixedArrayHeader::data_block_alloc_size`]); the header then points at it.
    DataBlock,
    /// Page `page`: written whole (its other elements unallocated) and its bit set in the
    /// data block's page bitmap.
    Page { page: u64 },
}

impl FixedArrayHeader {
    /// The structures to create, in order, so that element `index` can be stored, given the
    /// data block if it exists.
    pub fn blocks_to_create(&self, index: u64, block: Option<&FixedArrayDataBlock>) -> Result<Vec<FixedArrayBlockToCreate>> {
        let loc = self.locate(index).ok_or_else(|| Error::usage(format!("element {} is past the fixed array's {}", index, self.max_entries)))?;
        let mut out = Vec::new();
        if block.is_none() {
            out.push(FixedArrayBlockToCreate::DataBlock);
        }
        if let FixedArrayLocation::Page { page, .. } = loc {
            if !block.is_some_and(|b| bitmap_get(&b.page_bitmap, page)) {
                out.push(FixedArrayBlockToCreate::Page { page });
            }
        }
        Ok(out)
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
    /// [`DataBlockPage`](crate::element::DataBlockPage)s at [`FixedArrayHeader::page_offset`]).
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
    let fmt = ElementFormat { filtered, chunk_size_len };
    let block = read_data_block(&ctx, &hdr, db, fmt)?;
    let entry = |index: u64, e: &Element| e.address.map(|address| ChunkEntry { index, address, size: e.chunk_size, filter_mask: e.filter_mask });
    if !hdr.is_paged() {
        return Ok(block.elements.iter().enumerate().filter_map(|(i, e)| entry(i as u64, e)).collect());
    }
    let mut out = Vec::new();
    for p in 0..hdr.npages() {
        if bitmap_get(&block.page_bitmap, p) {
            let first = p * hdr.page_nelmts();
            let page = read_page(&ctx, &hdr, db, p, fmt)?;
            out.extend(page.elements.iter().enumerate().filter_map(|(i, e)| entry(first + i as u64, e)));
        }
    }
    Ok(out)
}

/// Reads the data block of `hdr` at `db` and checks that it belongs to the header.
fn read_data_block(ctx: &Context, hdr: &FixedArrayHeader, db: u64, fmt: ElementFormat) -> Result<FixedArrayDataBlock> {
    // Bounded by the file: every entry takes at least entry_size bytes of it.
    if mul(hdr.max_entries, hdr.entry_size as u64, hdr.address, "fixed array")? > ctx.end_of_file() {
        return Err(Error::format(hdr.address, format!("fixed array of {} entries is larger than the file", hdr.max_entries)));
    }
    let len = hdr.data_block_size(ctx.sizes);
    ctx.limits.check_alloc(len, db, "fixed array data block")?;
    let data = ctx.read(db, len, "fixed array data block")?;
    let block = FixedArrayDataBlock::decode(&mut Reader::new(&data, db, ctx.sizes), hdr, fmt)?;
    if block.client_id != hdr.client_id {
        return Err(Error::format(db, format!("fixed array data block client ID {} differs from the header's {}", block.client_id, hdr.client_id)));
    }
    if block.header_address != hdr.address {
        return Err(Error::format(db, format!("fixed array data block belongs to header {} not {}", block.header_address, hdr.address)));
    }
    Ok(block)
}

/// Reads data block page `p` of the data block at `db`.
fn read_page(ctx: &Context, hdr: &FixedArrayHeader, db: u64, p: u64, fmt: ElementFormat) -> Result<DataBlockPage> {
    let pa = add(db, hdr.page_offset(ctx.sizes, p), db, "fixed array page")?;
    let n = hdr.page_len(p);
    let len = DataBlockPage::encoded_size(ctx.sizes, n, fmt);
    ctx.limits.check_alloc(len, pa, "fixed array data block page")?;
    let data = ctx.read(pa, len, "fixed array data block page")?;
    DataBlockPage::decode(&mut Reader::new(&data, pa, ctx.sizes), n, fmt)
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
    let Some(db) = hdr.data_block_address else { return Ok(None) };
    let Some(loc) = hdr.locate(index) else { return Ok(None) };
    let fmt = ElementFormat { filtered, chunk_size_len };
    let block = read_data_block(&ctx, &hdr, db, fmt)?;
    let e = match loc {
        FixedArrayLocation::DataBlock { index } => block.elements.get(index as usize).copied(),
        FixedArrayLocation::Page { page, index } => {
            if !bitmap_get(&block.page_bitmap, page) {
                return Ok(None);
            }
            read_page(&ctx, &hdr, db, page, fmt)?.elements.get(index as usize).copied()
        }
    };
    Ok(e.and_then(|e| e.address.map(|address| ChunkEntry { index, address, size: e.chunk_size, filter_mask: e.filter_mask })))
}

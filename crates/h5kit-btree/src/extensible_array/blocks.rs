//! The extensible array's structures as typed values (spec VII.D "The Extensible Array
//! Index"): header ("EAHD"), index block ("EAIB"), secondary block ("EASB") and data block
//! ("EADB"), each with `decode` / `encode` / `encoded_size`, and the geometry that places
//! element `i` (libhdf5 `H5EA__hdr_init`): the first "Index Blk Elmts" elements live in the
//! index block; super block level `s` holds `2^(s/2)` data blocks of
//! `2^((s+1)/2) * Data Blk Min Elmts` elements; the data blocks of the first
//! `2 * log2(Secondary Blk Min Data Ptrs)` levels are addressed from the index block, the
//! others through one secondary block per level.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use super::ExtensibleArrayHeader;
use crate::element::{decode_elements, encode_elements, verify_trailing_checksum, Element, ElementFormat};
use crate::util::bytes_for_bits;

impl ExtensibleArrayHeader {
    /// Decodes a header (signature to checksum, verified) at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<ExtensibleArrayHeader> {
        let address = r.address();
        let start = r.position();
        r.signature(b"EAHD", "extensible array header")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("extensible array header version {} (expected 0)", version)));
        }
        let h = ExtensibleArrayHeader {
            address,
            client_id: r.u8()?,
            element_size: r.u8()?,
            max_nelmts_bits: r.u8()?,
            index_block_elements: r.u8()?,
            data_block_min_elements: r.u8()?,
            secondary_block_min_data_ptrs: r.u8()?,
            max_data_block_page_nelmts_bits: r.u8()?,
            num_secondary_blocks: r.length()?,
            secondary_block_size: r.length()?,
            num_data_blocks: r.length()?,
            data_block_size: r.length()?,
            max_index_set: r.length()?,
            num_elements: r.length()?,
            index_block_address: r.address_field()?,
        };
        verify_trailing_checksum(r, start, address, "extensible array header")?;
        h.validate().map_err(|e| e.at(address))?;
        Ok(h)
    }

    /// Fails on parameters no geometry can be derived from.
    pub fn validate(&self) -> Result<()> {
        let pow2 = |v: u8| v != 0 && v.is_power_of_two();
        if self.max_nelmts_bits == 0 || self.max_nelmts_bits > 64 || self.max_data_block_page_nelmts_bits >= 64 {
            return Err(Error::format(self.address, "extensible array bit counts are invalid"));
        }
        if !pow2(self.data_block_min_elements) || !pow2(self.secondary_block_min_data_ptrs) {
            return Err(Error::format(
                self.address,
                "extensible array data block minimum / secondary block minimum are not powers of two",
            ));
        }
        if self.data_block_min_elements.trailing_zeros() > self.max_nelmts_bits as u32 {
            return Err(Error::format(self.address, "extensible array data block minimum exceeds the array size"));
        }
        Ok(())
    }

    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        self.validate().map_err(|e| Error::usage(e.message))?;
        let start = w.position();
        w.signature(b"EAHD");
        w.u8(0);
        for b in [
            self.client_id,
            self.element_size,
            self.max_nelmts_bits,
            self.index_block_elements,
            self.data_block_min_elements,
            self.secondary_block_min_data_ptrs,
            self.max_data_block_page_nelmts_bits,
        ] {
            w.u8(b);
        }
        for l in [
            self.num_secondary_blocks,
            self.secondary_block_size,
            self.num_data_blocks,
            self.data_block_size,
            self.max_index_set,
            self.num_elements,
        ] {
            w.length(l)?;
        }
        w.address_field(self.index_block_address)?;
        w.checksum_from(start);
        Ok(())
    }

    /// Bytes of the header, checksum included.
    pub fn encoded_size(sizes: Sizes) -> u64 {
        16 + 6 * sizes.length as u64 + sizes.offset as u64
    }

    /// The element format the header's client ID and element size describe.
    pub fn element_format(&self, sizes: Sizes) -> Result<ElementFormat> {
        ElementFormat::from_header(self.client_id, self.element_size, sizes).map_err(|e| e.at(self.address))
    }

    /// The array's geometry (fails on invalid parameters).
    pub fn geometry(&self) -> Result<Geometry> {
        self.validate()?;
        let min = self.data_block_min_elements as u64;
        let nsblks = 1 + self.max_nelmts_bits as u32 - self.data_block_min_elements.trailing_zeros();
        let mut levels = Vec::with_capacity(nsblks as usize);
        let (mut start_idx, mut start_dblk) = (0u64, 0u64);
        for s in 0..nsblks {
            let ndblks = 1u64.checked_shl(s / 2).filter(|_| s / 2 < 64);
            let n = 1u64.checked_shl(s.div_ceil(2)).filter(|_| s.div_ceil(2) < 64).and_then(|v| v.checked_mul(min));
            let (Some(ndblks), Some(dblk_nelmts)) = (ndblks, n) else { break };
            levels.push(SuperBlockInfo { ndblks, dblk_nelmts, start_idx, start_dblk });
            let Some(next) = ndblks.checked_mul(dblk_nelmts).and_then(|v| v.checked_add(start_idx)) else { break };
            start_idx = next;
            start_dblk = start_dblk.saturating_add(ndblks);
        }
        let iblock_nsblks = 2 * self.secondary_block_min_data_ptrs.trailing_zeros();
        Ok(Geometry {
            index_block_elements: self.index_block_elements as u64,
            iblock_nsblks,
            ndblk_addrs: 2 * (self.secondary_block_min_data_ptrs as u64 - 1),
            nsblk_addrs: nsblks.saturating_sub(iblock_nsblks) as u64,
            page_nelmts: 1u64 << self.max_data_block_page_nelmts_bits,
            arr_off_size: bytes_for_bits(self.max_nelmts_bits as u32),
            element_size: self.element_size as u64,
            levels,
        })
    }
}

impl ExtensibleArrayHeader {
    /// Adds a newly created block to the header's statistics as libhdf5 does: a secondary
    /// block to "Num Secondary Blks" / "Secondary Blk Size", a data block (with its pages) to
    /// "Num Data Blks" / "Data Blk Size" and its elements to "Num Elmts", the index block its
    /// elements to "Num Elmts". Pages are allocated with their data block: nothing to count.
    pub fn count_created(&mut self, block: &BlockToCreate, sizes: Sizes) -> Result<()> {
        let g = self.geometry()?;
        match *block {
            BlockToCreate::IndexBlock => {
                self.num_elements = self.num_elements.saturating_add(g.index_block_elements);
            }
            BlockToCreate::SecondaryBlock { level, .. } => {
                self.num_secondary_blocks = self.num_secondary_blocks.saturating_add(1);
                self.secondary_block_size = self.secondary_block_size.saturating_add(g.secondary_block_size(sizes, level));
            }
            BlockToCreate::DataBlock { nelmts, .. } => {
                self.num_data_blocks = self.num_data_blocks.saturating_add(1);
                self.data_block_size = self.data_block_size.saturating_add(g.data_block_alloc_size(sizes, nelmts));
                self.num_elements = self.num_elements.saturating_add(nelmts);
            }
            BlockToCreate::Page { .. } => {}
        }
        Ok(())
    }

    /// Records that element `index` was set: "Max Index Set" becomes at least `index + 1`.
    pub fn count_set(&mut self, index: u64) {
        self.max_index_set = self.max_index_set.max(index.saturating_add(1));
    }
}

/// One super block level (libhdf5 `H5EA_sblk_info_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuperBlockInfo {
    /// Data blocks in the level.
    pub ndblks: u64,
    /// Elements per data block.
    pub dblk_nelmts: u64,
    /// Index of the level's first element, counted after the index block's elements.
    pub start_idx: u64,
    /// Number of data blocks in the levels before.
    pub start_dblk: u64,
}

/// Sizes and counts derived from an extensible array header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    /// Elements stored in the index block.
    pub index_block_elements: u64,
    /// Super block levels whose data blocks the index block addresses directly.
    pub iblock_nsblks: u32,
    /// Number of "Data Block Addresses" of the index block.
    pub ndblk_addrs: u64,
    /// Number of "Secondary Block Addresses" of the index block.
    pub nsblk_addrs: u64,
    /// Elements per data block page.
    pub page_nelmts: u64,
    /// Bytes of the "Block Offset" fields.
    pub arr_off_size: usize,
    pub element_size: u64,
    /// Super block levels.
    pub levels: Vec<SuperBlockInfo>,
}

/// Position of an element inside a data block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataBlockPosition {
    /// Super block level of the data block.
    pub level: u32,
    /// Elements of the data block.
    pub nelmts: u64,
    /// The data block's "Block Offset".
    pub block_offset: u64,
    /// Element index within the data block.
    pub index: u64,
    /// Paged data blocks: (page, element index within the page).
    pub page: Option<(u64, u64)>,
}

/// Where element `i` lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensibleArrayLocation {
    /// Element `index` of the index block.
    IndexBlock { index: u64 },
    /// A data block addressed by the index block's "Data Block Addresses" slot `slot`.
    DirectDataBlock { slot: u64, block: DataBlockPosition },
    /// Data block `dblk` of the secondary block in the index block's "Secondary Block
    /// Addresses" slot `slot`.
    SecondaryDataBlock { slot: u64, dblk: u64, block: DataBlockPosition },
}

/// Something that must exist before element `i` can be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockToCreate {
    IndexBlock,
    /// The secondary block of `level` (in index block slot `slot`).
    SecondaryBlock { level: u32, slot: u64, block_offset: u64 },
    /// The data block of `level` with `nelmts` elements.
    DataBlock { level: u32, nelmts: u64, block_offset: u64 },
    /// Page `page` of the data block.
    Page { page: u64 },
}

impl Geometry {
    /// The super block level holding element `i` counted after the index block's elements.
    fn level_of(&self, i: u64) -> Option<u32> {
        let min = self.levels.first()?.dblk_nelmts;
        let q = (i / min).checked_add(1)?;
        let s = 63 - q.leading_zeros();
        (s < self.levels.len() as u32).then_some(s)
    }

    /// Where element `index` lives; `None` past the array's maximum size.
    pub fn locate(&self, index: u64) -> Option<ExtensibleArrayLocation> {
        if index < self.index_block_elements {
            return Some(ExtensibleArrayLocation::IndexBlock { index });
        }
        let i = index - self.index_block_elements;
        let s = self.level_of(i)?;
        let info = self.levels.get(s as usize)?;
        let off = i.checked_sub(info.start_idx)?;
        let dblk = off / info.dblk_nelmts;
        let elem = off % info.dblk_nelmts;
        let page = (info.dblk_nelmts > self.page_nelmts).then(|| (elem / self.page_nelmts, elem % self.page_nelmts));
        let mut block = DataBlockPosition {
            level: s,
            nelmts: info.dblk_nelmts,
            block_offset: info.start_idx.checked_add(dblk.checked_mul(info.dblk_nelmts)?)?,
            index: elem,
            page,
        };
        if s < self.iblock_nsblks {
            let slot = info.start_dblk + dblk;
            // libhdf5 (`H5EA__lookup_elmt`) computes the "Block Offset" of a data block
            // addressed from the index block with the block's slot in the index block, not
            // its index within its level: start_idx + slot * dblk_nelmts. Files carry that.
            block.block_offset = info.start_idx.checked_add(slot.checked_mul(info.dblk_nelmts)?)?;
            Some(ExtensibleArrayLocation::DirectDataBlock { slot, block })
        } else {
            Some(ExtensibleArrayLocation::SecondaryDataBlock { slot: (s - self.iblock_nsblks) as u64, dblk, block })
        }
    }

    /// Pages of a data block of `nelmts` elements (0: not paged).
    pub fn npages(&self, nelmts: u64) -> u64 {
        if nelmts > self.page_nelmts { nelmts / self.page_nelmts } else { 0 }
    }

    /// Bytes of a secondary block's bitmap for each of its data blocks.
    pub fn page_init_size(&self, level: u32) -> u64 {
        self.levels.get(level as usize).map(|l| self.npages(l.dblk_nelmts).div_ceil(8)).unwrap_or(0)
    }

    /// Bytes of the index block, checksum included.
    pub fn index_block_size(&self, sizes: Sizes) -> u64 {
        let o = sizes.offset as u64;
        (10 + o)
            .saturating_add(self.index_block_elements.saturating_mul(self.element_size))
            .saturating_add(self.ndblk_addrs.saturating_add(self.nsblk_addrs).saturating_mul(o))
    }

    /// Bytes of the secondary block of `level`, checksum included.
    pub fn secondary_block_size(&self, sizes: Sizes, level: u32) -> u64 {
        let o = sizes.offset as u64;
        let ndblks = self.levels.get(level as usize).map(|l| l.ndblks).unwrap_or(0);
        (10 + o + self.arr_off_size as u64).saturating_add(ndblks.saturating_mul(self.page_init_size(level).saturating_add(o)))
    }

    /// Bytes of a data block structure of `nelmts` elements (pages not included).
    pub fn data_block_size(&self, sizes: Sizes, nelmts: u64) -> u64 {
        let elems = if self.npages(nelmts) > 0 { 0 } else { nelmts.saturating_mul(self.element_size) };
        (6 + sizes.offset as u64 + self.arr_off_size as u64).saturating_add(elems).saturating_add(4)
    }

    /// Bytes of one page (elements and checksum).
    pub fn page_size(&self) -> u64 {
        self.page_nelmts.saturating_mul(self.element_size).saturating_add(4)
    }

    /// Bytes allocated for a data block and its pages (pages follow the block).
    pub fn data_block_alloc_size(&self, sizes: Sizes, nelmts: u64) -> u64 {
        self.data_block_size(sizes, nelmts).saturating_add(self.npages(nelmts).saturating_mul(self.page_size()))
    }

    /// Offset of page `p` from its data block's address.
    pub fn page_offset(&self, sizes: Sizes, nelmts: u64, p: u64) -> u64 {
        self.data_block_size(sizes, nelmts).saturating_add(p.saturating_mul(self.page_size()))
    }

    /// The structures to create, in order, so that element `index` can be stored, given the
    /// index block (if any), the secondary block on the path (if any, when it exists) and,
    /// for paged data blocks, that block's page bitmap bit for the page on the path.
    pub fn blocks_to_create(
        &self,
        index: u64,
        iblock: Option<&IndexBlock>,
        sblock: Option<&SecondaryBlock>,
        page_initialized: bool,
    ) -> Result<Vec<BlockToCreate>> {
        let loc = self.locate(index).ok_or_else(|| Error::usage(format!("element {} is past the extensible array", index)))?;
        let mut out = Vec::new();
        if iblock.is_none() {
            out.push(BlockToCreate::IndexBlock);
        }
        let (dblk_exists, block) = match loc {
            ExtensibleArrayLocation::IndexBlock { .. } => return Ok(out),
            ExtensibleArrayLocation::DirectDataBlock { slot, block } => {
                let exists = iblock
                    .and_then(|ib| usize::try_from(slot).ok().and_then(|s| ib.data_block_addresses.get(s)))
                    .is_some_and(|a| a.is_some());
                (exists, block)
            }
            ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, block } => {
                let sb_exists = iblock
                    .and_then(|ib| usize::try_from(slot).ok().and_then(|s| ib.secondary_block_addresses.get(s)))
                    .is_some_and(|a| a.is_some());
                let level = block.level;
                let sb_offset = self.levels.get(level as usize).map(|l| l.start_idx).unwrap_or(0);
                if !sb_exists {
                    out.push(BlockToCreate::SecondaryBlock { level, slot, block_offset: sb_offset });
                }
                let exists = sb_exists
                    && sblock
                        .and_then(|sb| usize::try_from(dblk).ok().and_then(|d| sb.data_block_addresses.get(d)))
                        .is_some_and(|a| a.is_some());
                (exists, block)
            }
        };
        if !dblk_exists {
            out.push(BlockToCreate::DataBlock { level: block.level, nelmts: block.nelmts, block_offset: block.block_offset });
        }
        if let Some((page, _)) = block.page {
            if !dblk_exists || !page_initialized {
                out.push(BlockToCreate::Page { page });
            }
        }
        Ok(out)
    }
}

fn prefix(r: &mut Reader, sig: &[u8; 4], what: &str) -> Result<(u8, u64)> {
    let at = r.address();
    r.signature(sig, what)?;
    let version = r.u8()?;
    if version != 0 {
        return Err(Error::format(at, format!("{} version {} (expected 0)", what, version)));
    }
    Ok((r.u8()?, r.offset()?))
}

fn write_prefix(w: &mut Writer, sig: &[u8; 4], client_id: u8, header_address: u64) -> Result<()> {
    w.signature(sig);
    w.u8(0);
    w.u8(client_id);
    w.offset(header_address)
}

fn usize_of(n: u64, what: &str) -> Result<usize> {
    usize::try_from(n).map_err(|_| Error::usage(format!("{} too large", what)))
}

/// The index block ("EAIB").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexBlock {
    pub client_id: u8,
    pub header_address: u64,
    /// "Elements" stored in the index block.
    pub elements: Vec<Element>,
    /// "Data Block Addresses".
    pub data_block_addresses: Vec<Option<u64>>,
    /// "Secondary Block Addresses".
    pub secondary_block_addresses: Vec<Option<u64>>,
}

impl IndexBlock {
    /// A new, empty index block for `hdr`.
    pub fn new(hdr: &ExtensibleArrayHeader) -> Result<IndexBlock> {
        let g = hdr.geometry()?;
        Ok(IndexBlock {
            client_id: hdr.client_id,
            header_address: hdr.address,
            elements: vec![Element::UNALLOCATED; usize_of(g.index_block_elements, "index block")?],
            data_block_addresses: vec![None; usize_of(g.ndblk_addrs, "index block")?],
            secondary_block_addresses: vec![None; usize_of(g.nsblk_addrs, "index block")?],
        })
    }

    pub fn decode(r: &mut Reader, hdr: &ExtensibleArrayHeader) -> Result<IndexBlock> {
        let at = r.address();
        let start = r.position();
        let g = hdr.geometry()?;
        let fmt = hdr.element_format(r.sizes())?;
        let (client_id, header_address) = prefix(r, b"EAIB", "extensible array index block")?;
        let elements = decode_elements(r, g.index_block_elements, fmt)?;
        let addrs = |r: &mut Reader, n: u64| -> Result<Vec<Option<u64>>> {
            if n > r.remaining() as u64 {
                return Err(r.error("extensible array index block truncated"));
            }
            (0..n).map(|_| r.address_field()).collect()
        };
        let data_block_addresses = addrs(r, g.ndblk_addrs)?;
        let secondary_block_addresses = addrs(r, g.nsblk_addrs)?;
        verify_trailing_checksum(r, start, at, "extensible array index block")?;
        Ok(IndexBlock { client_id, header_address, elements, data_block_addresses, secondary_block_addresses })
    }

    pub fn encode(&self, w: &mut Writer, hdr: &ExtensibleArrayHeader) -> Result<()> {
        let fmt = hdr.element_format(w.sizes()).map_err(|e| Error::usage(e.message))?;
        let start = w.position();
        write_prefix(w, b"EAIB", self.client_id, self.header_address)?;
        encode_elements(w, &self.elements, fmt)?;
        for a in self.data_block_addresses.iter().chain(&self.secondary_block_addresses) {
            w.address_field(*a)?;
        }
        w.checksum_from(start);
        Ok(())
    }

    pub fn encoded_size(hdr: &ExtensibleArrayHeader, sizes: Sizes) -> Result<u64> {
        Ok(hdr.geometry()?.index_block_size(sizes))
    }
}

/// A secondary block ("EASB") of super block level `level`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecondaryBlock {
    pub client_id: u8,
    pub header_address: u64,
    /// "Block Offset": the level's first element index (after the index block's).
    pub block_offset: u64,
    /// "Page Bitmap": per data block, `ceil(pages / 8)` bytes (paged levels only).
    pub page_bitmap: Vec<u8>,
    /// "Data Block Addresses".
    pub data_block_addresses: Vec<Option<u64>>,
}

impl SecondaryBlock {
    /// A new secondary block for `level`: no data block, no page initialized.
    pub fn new(hdr: &ExtensibleArrayHeader, level: u32) -> Result<SecondaryBlock> {
        let g = hdr.geometry()?;
        let info = g.levels.get(level as usize).ok_or_else(|| Error::usage(format!("no super block level {}", level)))?;
        Ok(SecondaryBlock {
            client_id: hdr.client_id,
            header_address: hdr.address,
            block_offset: info.start_idx,
            page_bitmap: vec![0; usize_of(info.ndblks.saturating_mul(g.page_init_size(level)), "secondary block")?],
            data_block_addresses: vec![None; usize_of(info.ndblks, "secondary block")?],
        })
    }

    pub fn decode(r: &mut Reader, hdr: &ExtensibleArrayHeader, level: u32) -> Result<SecondaryBlock> {
        let at = r.address();
        let start = r.position();
        let g = hdr.geometry()?;
        let info = g.levels.get(level as usize).ok_or_else(|| Error::format(at, format!("no super block level {}", level)))?;
        let (client_id, header_address) = prefix(r, b"EASB", "extensible array secondary block")?;
        let block_offset = r.uint(g.arr_off_size)?;
        let bitmap_len = info.ndblks.saturating_mul(g.page_init_size(level));
        if bitmap_len.saturating_add(info.ndblks) > r.remaining() as u64 {
            return Err(r.error("extensible array secondary block truncated"));
        }
        let page_bitmap = r.bytes(bitmap_len as usize)?.to_vec();
        let data_block_addresses = (0..info.ndblks).map(|_| r.address_field()).collect::<Result<Vec<_>>>()?;
        verify_trailing_checksum(r, start, at, "extensible array secondary block")?;
        Ok(SecondaryBlock { client_id, header_address, block_offset, page_bitmap, data_block_addresses })
    }

    pub fn encode(&self, w: &mut Writer, hdr: &ExtensibleArrayHeader) -> Result<()> {
        let g = hdr.geometry().map_err(|e| Error::usage(e.message))?;
        let start = w.position();
        write_prefix(w, b"EASB", self.client_id, self.header_address)?;
        w.uint(self.block_offset, g.arr_off_size)?;
        w.bytes(&self.page_bitmap);
        for a in &self.data_block_addresses {
            w.address_field(*a)?;
        }
        w.checksum_from(start);
        Ok(())
    }

    pub fn encoded_size(hdr: &ExtensibleArrayHeader, sizes: Sizes, level: u32) -> Result<u64> {
        Ok(hdr.geometry()?.secondary_block_size(sizes, level))
    }
}

/// A data block ("EADB"); a paged one holds no elements (they are in its pages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataBlock {
    pub client_id: u8,
    pub header_address: u64,
    /// "Block Offset": the block's first element index (after the index block's).
    pub block_offset: u64,
    /// "Elements" (unpaged data blocks only).
    pub elements: Vec<Element>,
}

impl DataBlock {
    /// A new data block of `nelmts` elements, all unallocated.
    pub fn new(hdr: &ExtensibleArrayHeader, nelmts: u64, block_offset: u64) -> Result<DataBlock> {
        let g = hdr.geometry()?;
        let n = if g.npages(nelmts) > 0 { 0 } else { usize_of(nelmts, "data block")? };
        Ok(DataBlock { client_id: hdr.client_id, header_address: hdr.address, block_offset, elements: vec![Element::UNALLOCATED; n] })
    }

    pub fn decode(r: &mut Reader, hdr: &ExtensibleArrayHeader, nelmts: u64) -> Result<DataBlock> {
        let at = r.address();
        let start = r.position();
        let g = hdr.geometry()?;
        let fmt = hdr.element_format(r.sizes())?;
        let (client_id, header_address) = prefix(r, b"EADB", "extensible array data block")?;
        let block_offset = r.uint(g.arr_off_size)?;
        let elements = if g.npages(nelmts) > 0 { Vec::new() } else { decode_elements(r, nelmts, fmt)? };
        verify_trailing_checksum(r, start, at, "extensible array data block")?;
        Ok(DataBlock { client_id, header_address, block_offset, elements })
    }

    pub fn encode(&self, w: &mut Writer, hdr: &ExtensibleArrayHeader) -> Result<()> {
        let g = hdr.geometry().map_err(|e| Error::usage(e.message))?;
        let fmt = hdr.element_format(w.sizes()).map_err(|e| Error::usage(e.message))?;
        let start = w.position();
        write_prefix(w, b"EADB", self.client_id, self.header_address)?;
        w.uint(self.block_offset, g.arr_off_size)?;
        encode_elements(w, &self.elements, fmt)?;
        w.checksum_from(start);
        Ok(())
    }

    pub fn encoded_size(hdr: &ExtensibleArrayHeader, sizes: Sizes, nelmts: u64) -> Result<u64> {
        Ok(hdr.geometry()?.data_block_size(sizes, nelmts))
    }
}

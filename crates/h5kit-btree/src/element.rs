//! Chunk index elements shared by the fixed array (spec VII.C) and the extensible array
//! (spec VII.D): "Data Block Element for Non-filtered Dataset Chunk" (an address) and "Data
//! Block Element for Filtered Dataset Chunk" (address, chunk size of `chunk_size_len` bytes,
//! filter mask), and the "Data Block Page" that holds a run of elements and a checksum.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use crate::util::limit_enc_size;

/// How elements are encoded: filtered or not, and the width of "Chunk Size".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementFormat {
    /// Filtered-chunk elements (client ID 1).
    pub filtered: bool,
    /// Bytes of "Chunk Size" (filtered only): layout v4 one more than the bytes of the
    /// unfiltered chunk size, at most 8; layout v5 Size of Offsets.
    pub chunk_size_len: usize,
}

impl ElementFormat {
    /// Non-filtered chunks.
    pub const PLAIN: ElementFormat = ElementFormat { filtered: false, chunk_size_len: 0 };

    /// Filtered chunks with a `chunk_size_len`-byte chunk size.
    pub fn filtered(chunk_size_len: usize) -> ElementFormat {
        ElementFormat { filtered: true, chunk_size_len }
    }

    /// The layout v4 "Chunk Size" width for an unfiltered chunk of `chunk_bytes` bytes.
    pub fn v4_chunk_size_len(chunk_bytes: u64) -> usize {
        (limit_enc_size(chunk_bytes) + 1).min(8)
    }

    /// "Client ID": 0 non-filtered, 1 filtered.
    pub fn client_id(&self) -> u8 {
        u8::from(self.filtered)
    }

    /// The format an array header describes: client ID and element size (the chunk size
    /// width is what is left after the address and the filter mask).
    pub fn from_header(client_id: u8, element_size: u8, sizes: Sizes) -> Result<ElementFormat> {
        let o = sizes.offset as usize;
        let es = element_size as usize;
        match client_id {
            0 if es == o => Ok(ElementFormat::PLAIN),
            1 if es > o + 4 && es <= o + 12 => Ok(ElementFormat::filtered(es - o - 4)),
            _ => Err(Error::format(0, format!("array client ID {} with element size {} is not a chunk index", client_id, es))),
        }
    }

    /// Encoded size of one element.
    pub fn element_size(&self, sizes: Sizes) -> usize {
        sizes.offset as usize + if self.filtered { self.chunk_size_len + 4 } else { 0 }
    }

    fn check(&self) -> Result<()> {
        if self.filtered && !(1..=8).contains(&self.chunk_size_len) {
            return Err(Error::usage(format!("chunk size length {} is not 1..=8", self.chunk_size_len)));
        }
        Ok(())
    }
}

/// One element: a chunk's address (`None`: not allocated), and for filtered chunks its size
/// and filter mask (0 for non-filtered ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Element {
    pub address: Option<u64>,
    pub chunk_size: u64,
    pub filter_mask: u32,
}

impl Element {
    /// The element of a chunk not yet allocated (libhdf5's fill: undefined address, 0, 0).
    pub const UNALLOCATED: Element = Element { address: None, chunk_size: 0, filter_mask: 0 };

    pub fn decode(r: &mut Reader, fmt: ElementFormat) -> Result<Element> {
        fmt.check()?;
        let address = r.address_field()?;
        let (chunk_size, filter_mask) = if fmt.filtered { (r.uint(fmt.chunk_size_len)?, r.u32()?) } else { (0, 0) };
        Ok(Element { address, chunk_size, filter_mask })
    }

    /// Fails if the chunk size does not fit its width, or a non-filtered element carries a
    /// size or mask.
    pub fn encode(&self, w: &mut Writer, fmt: ElementFormat) -> Result<()> {
        fmt.check()?;
        if !fmt.filtered && (self.chunk_size != 0 || self.filter_mask != 0) {
            return Err(Error::usage("a non-filtered chunk element has no chunk size or filter mask"));
        }
        w.address_field(self.address)?;
        if fmt.filtered {
            w.uint(self.chunk_size, fmt.chunk_size_len)?;
            w.u32(self.filter_mask);
        }
        Ok(())
    }

    pub fn encoded_size(sizes: Sizes, fmt: ElementFormat) -> usize {
        fmt.element_size(sizes)
    }
}

/// Decodes `n` elements.
pub(crate) fn decode_elements(r: &mut Reader, n: u64, fmt: ElementFormat) -> Result<Vec<Element>> {
    let es = fmt.element_size(r.sizes()).max(1);
    if n > (r.remaining() / es) as u64 {
        return Err(r.error(format!("{} elements of {} bytes do not fit in {} bytes", n, es, r.remaining())));
    }
    (0..n).map(|_| Element::decode(r, fmt)).collect()
}

pub(crate) fn encode_elements(w: &mut Writer, elements: &[Element], fmt: ElementFormat) -> Result<()> {
    elements.iter().try_for_each(|e| e.encode(w, fmt))
}

/// A "Data Block Page" (fixed or extensible array): elements and a checksum.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataBlockPage {
    pub elements: Vec<Element>,
}

impl DataBlockPage {
    /// Decodes a page of `nelmts` elements (checksum verified).
    pub fn decode(r: &mut Reader, nelmts: u64, fmt: ElementFormat) -> Result<DataBlockPage> {
        let start = r.position();
        let at = r.address();
        let elements = decode_elements(r, nelmts, fmt)?;
        verify_trailing_checksum(r, start, at, "data block page")?;
        Ok(DataBlockPage { elements })
    }

    pub fn encode(&self, w: &mut Writer, fmt: ElementFormat) -> Result<()> {
        let start = w.position();
        encode_elements(w, &self.elements, fmt)?;
        w.checksum_from(start);
        Ok(())
    }

    pub fn encoded_size(sizes: Sizes, nelmts: u64, fmt: ElementFormat) -> u64 {
        nelmts.saturating_mul(fmt.element_size(sizes) as u64).saturating_add(4)
    }
}

/// Reads the 4-byte checksum at the reader's position and checks it against the bytes of the
/// reader's data from position `start` up to here.
pub(crate) fn verify_trailing_checksum(r: &mut Reader, start: usize, at: u64, what: &str) -> Result<()> {
    let end = r.position();
    let body = r.data().get(start..end).ok_or_else(|| Error::format(at, format!("{} truncated", what)))?;
    let stored = r.u32()?;
    h5kit_core::verify_checksum(body, stored, at, what)
}

/// Bit `i` of a page bitmap (most significant bit first within each byte).
pub fn bitmap_get(bitmap: &[u8], i: u64) -> bool {
    usize::try_from(i / 8).ok().and_then(|b| bitmap.get(b)).is_some_and(|b| b & (0x80 >> (i % 8)) != 0)
}

/// Sets bit `i` of a page bitmap; fails when `i` is past its end.
pub fn bitmap_set(bitmap: &mut [u8], i: u64) -> Result<()> {
    let b = usize::try_from(i / 8)
        .ok()
        .and_then(|b| bitmap.get_mut(b))
        .ok_or_else(|| Error::usage(format!("page {} is past the page bitmap", i)))?;
    *b |= 0x80 >> (i % 8);
    Ok(())
}

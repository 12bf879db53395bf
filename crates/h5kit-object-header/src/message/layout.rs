//! The data layout message (spec IV.A.2.i "The Data Layout Message"), versions 1-5.
//!
//! - Versions 1 and 2: dimensionality, layout class, 5 reserved bytes, address (not for
//!   compact), 4-byte dimension sizes; for chunked storage the last "dimension" is the dataset
//!   element size (dimensionality = rank + 1); compact data is preceded by a 4-byte size. For
//!   contiguous storage the size is the product of the stored dimensions.
//! - Version 3: per-class properties. Chunked: dimensionality (rank + 1), address, 4-byte
//!   dimension sizes whose last is the element size. Compact: 2-byte size and data.
//!   Contiguous: address and size ("Size of Lengths").
//! - Versions 4 and 5: as 3 for compact/contiguous; chunked has flags, dimensionality (rank + 1),
//!   the dimension size encoded length, the sizes, the chunk index type (1-5) with its
//!   parameters, then the index address. Virtual: global heap address and index.
//!   Flag bit 1 (`SINGLE_INDEX_WITH_FILTER`) adds the filtered size and filter mask of a single
//!   chunk (the spec text names bit 0, libhdf5 uses bit 1).

use h5kit_core::{Error, Reader, Result};

use super::types::{ChunkIndex, Layout, LayoutMessage};

/// Highest chunk dimensionality accepted (rank 32 + the element size dimension).
const MAX_LAYOUT_DIMS: usize = 33;

fn split_element_size(mut dims: Vec<u64>, at: u64) -> Result<(Vec<u64>, u32)> {
    let last = dims.pop().ok_or_else(|| Error::format(at, "chunked layout with dimensionality 0"))?;
    let element_size =
        u32::try_from(last).map_err(|_| Error::format(at, format!("chunked layout element size {} too large", last)))?;
    Ok((dims, element_size))
}

impl LayoutMessage {
    /// Decodes a data layout message body.
    pub fn decode(r: &mut Reader) -> Result<LayoutMessage> {
        let at = r.address();
        let version = r.u8()?;
        let layout = match version {
            1 | 2 => decode_v1_v2(r, at)?,
            3..=5 => decode_v3_plus(r, version, at)?,
            v => return Err(Error::format(at, format!("unknown data layout message version {}", v))),
        };
        Ok(LayoutMessage { version, layout })
    }
}

fn decode_v1_v2(r: &mut Reader, at: u64) -> Result<Layout> {
    let ndims = r.u8()? as usize;
    let class = r.u8()?;
    r.skip(5)?;
    if ndims == 0 || ndims > MAX_LAYOUT_DIMS {
        return Err(Error::format(at, format!("data layout dimensionality {} out of range", ndims)));
    }
    let address = if class != 0 { r.address_field()? } else { None };
    let mut dims = Vec::with_capacity(ndims);
    for _ in 0..ndims {
        dims.push(u64::from(r.u32()?));
    }
    match class {
        0 => {
            let size = r.u32()? as usize;
            Ok(Layout::Compact { data: r.bytes(size)?.to_vec() })
        }
        1 => {
            let size = dims
                .iter()
                .try_fold(1u64, |a, &d| a.checked_mul(d))
                .ok_or_else(|| Error::format(at, "contiguous layout size overflows"))?;
            Ok(Layout::Contiguous { address, size })
        }
        2 => {
            let (chunk_dims, element_size) = split_element_size(dims, at)?;
            Ok(Layout::Chunked { chunk_dims, element_size, index: ChunkIndex::BTreeV1 { address }, flags: 0 })
        }
        c => Err(Error::format(at, format!("unknown layout class {}", c))),
    }
}

fn decode_v3_plus(r: &mut Reader, version: u8, at: u64) -> Result<Layout> {
    let class = r.u8()?;
    match class {
        0 => {
            let size = r.u16()? as usize;
            Ok(Layout::Compact { data: r.bytes(size)?.to_vec() })
        }
        1 => {
            let address = r.address_field()?;
            let size = r.length()?;
            Ok(Layout::Contiguous { address, size })
        }
        2 if version == 3 => {
            let ndims = r.u8()? as usize;
            if ndims == 0 || ndims > MAX_LAYOUT_DIMS {
                return Err(Error::format(at, format!("chunked layout dimensionality {} out of range", ndims)));
            }
            let address = r.address_field()?;
            let mut dims = Vec::with_capacity(ndims);
            for _ in 0..ndims {
                dims.push(u64::from(r.u32()?));
            }
            let (chunk_dims, element_size) = split_element_size(dims, at)?;
            Ok(Layout::Chunked { chunk_dims, element_size, index: ChunkIndex::BTreeV1 { address }, flags: 0 })
        }
        2 => {
            let flags = r.u8()?;
            let ndims = r.u8()? as usize;
            if ndims == 0 || ndims > MAX_LAYOUT_DIMS {
                return Err(Error::format(at, format!("chunked layout dimensionality {} out of range", ndims)));
            }
            let width = r.u8()? as usize;
            if !(1..=8).contains(&width) {
                return Err(Error::format(at, format!("chunk dimension size encoded length {} out of range", width)));
            }
            let mut dims = Vec::with_capacity(ndims);
            for _ in 0..ndims {
                dims.push(r.uint(width)?);
            }
            let (chunk_dims, element_size) = split_element_size(dims, at)?;
            let index_at = r.address();
            let index = match r.u8()? {
                1 => {
                    let filtered = if flags & 0x02 != 0 {
                        let size = r.length()?;
                        let mask = r.u32()?;
                        Some((size, mask))
                    } else {
                        None
                    };
                    ChunkIndex::SingleChunk { address: r.address_field()?, filtered }
                }
                2 => ChunkIndex::Implicit { address: r.address_field()? },
                3 => {
                    let page_bits = r.u8()?;
                    ChunkIndex::FixedArray { address: r.address_field()?, page_bits }
                }
                4 => {
                    let max_bits = r.u8()?;
                    let index_elements = r.u8()?;
                    let min_pointers = r.u8()?;
                    let min_elements = r.u8()?;
                    let page_bits = r.u8()?;
                    ChunkIndex::ExtensibleArray {
                        address: r.address_field()?,
                        max_bits,
                        index_elements,
                        min_pointers,
                        min_elements,
                        page_bits,
                    }
                }
                5 => {
                    let node_size = r.u32()?;
                    let split_percent = r.u8()?;
                    let merge_percent = r.u8()?;
                    ChunkIndex::BTreeV2 { address: r.address_field()?, node_size, split_percent, merge_percent }
                }
                t => return Err(Error::format(index_at, format!("unknown chunk index type {} in layout version {}", t, version))),
            };
            Ok(Layout::Chunked { chunk_dims, element_size, index, flags })
        }
        3 if version >= 4 => {
            let heap_address = r.address_field()?;
            let heap_index = r.u32()?;
            Ok(Layout::Virtual { heap_address, heap_index })
        }
        c => Err(Error::format(at, format!("unknown layout class {} in layout version {}", c, version))),
    }
}

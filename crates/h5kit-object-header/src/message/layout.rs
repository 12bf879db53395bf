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

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

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
        let mut stored_dims = Vec::new();
        let layout = match version {
            1 | 2 => decode_v1_v2(r, at, &mut stored_dims)?,
            3..=5 => decode_v3_plus(r, version, at)?,
            v => return Err(Error::format(at, format!("unknown data layout message version {}", v))),
        };
        Ok(LayoutMessage { version, layout, stored_dims })
    }
}

fn decode_v1_v2(r: &mut Reader, at: u64, stored_dims: &mut Vec<u64>) -> Result<Layout> {
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
    if class != 2 {
        stored_dims.clone_from(&dims);
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

/// Bytes needed for the largest value of `dims` (at least 1): libhdf5's "dimension size
/// encoded length" for layout versions 4 and 5.
fn dim_width(dims: impl Iterator<Item = u64>) -> usize {
    let max = dims.max().unwrap_or(0);
    let bits = 64 - max.leading_zeros() as usize;
    bits.div_ceil(8).max(1)
}

fn u32_dim(d: u64) -> Result<u32> {
    u32::try_from(d).map_err(|_| Error::usage(format!("layout dimension {} does not fit 4 bytes", d)))
}

impl LayoutMessage {
    /// The dimensions a version 1-2 message stores for compact and contiguous storage.
    fn v1_dims(&self) -> Vec<u64> {
        match &self.layout {
            _ if !self.stored_dims.is_empty() => self.stored_dims.clone(),
            Layout::Compact { data } => vec![data.len() as u64],
            Layout::Contiguous { size, .. } => vec![*size],
            _ => Vec::new(),
        }
    }

    /// Encodes the data layout message body (`H5O__layout_encode`).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let chunk_ndims = |dims: &[u64]| {
            u8::try_from(dims.len() + 1)
                .ok()
                .filter(|&n| usize::from(n) <= MAX_LAYOUT_DIMS)
                .ok_or_else(|| Error::usage(format!("chunked layout of rank {}", dims.len())))
        };
        w.u8(self.version);
        match self.version {
            1 | 2 => {
                let (class, address, dims) = match &self.layout {
                    Layout::Compact { .. } => (0u8, None, self.v1_dims()),
                    Layout::Contiguous { address, size } => {
                        let dims = self.v1_dims();
                        if dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d)) != Some(*size) {
                            return Err(Error::usage(format!("contiguous size {} is not the product of {:?}", size, dims)));
                        }
                        (1, Some(*address), dims)
                    }
                    Layout::Chunked { chunk_dims, element_size, index: ChunkIndex::BTreeV1 { address }, .. } => {
                        let mut dims = chunk_dims.clone();
                        dims.push(u64::from(*element_size));
                        (2, Some(*address), dims)
                    }
                    other => return Err(Error::usage(format!("layout version {} cannot encode {:?}", self.version, other))),
                };
                if dims.is_empty() || dims.len() > MAX_LAYOUT_DIMS {
                    return Err(Error::usage(format!("data layout dimensionality {} out of range", dims.len())));
                }
                w.u8(dims.len() as u8);
                w.u8(class);
                w.zeros(5);
                if let Some(a) = address {
                    w.address_field(a)?;
                }
                for &d in &dims {
                    w.u32(u32_dim(d)?);
                }
                if let Layout::Compact { data } = &self.layout {
                    let n = u32::try_from(data.len()).map_err(|_| Error::usage("compact data over 4 GiB"))?;
                    w.u32(n);
                    w.bytes(data);
                }
                Ok(())
            }
            3..=5 => match &self.layout {
                Layout::Compact { data } => {
                    let n = u16::try_from(data.len())
                        .map_err(|_| Error::usage(format!("compact data of {} bytes (at most 65535)", data.len())))?;
                    w.u8(0);
                    w.u16(n);
                    w.bytes(data);
                    Ok(())
                }
                Layout::Contiguous { address, size } => {
                    w.u8(1);
                    w.address_field(*address)?;
                    w.length(*size)
                }
                Layout::Chunked { chunk_dims, element_size, index: ChunkIndex::BTreeV1 { address }, .. } if self.version == 3 => {
                    w.u8(2);
                    w.u8(chunk_ndims(chunk_dims)?);
                    w.address_field(*address)?;
                    for &d in chunk_dims {
                        w.u32(u32_dim(d)?);
                    }
                    w.u32(*element_size);
                    Ok(())
                }
                Layout::Chunked { chunk_dims, element_size, index, flags } if self.version >= 4 => {
                    encode_v4_chunked(w, chunk_dims, *element_size, index, *flags, chunk_ndims(chunk_dims)?)
                }
                Layout::Virtual { heap_address, heap_index } if self.version >= 4 => {
                    w.u8(3);
                    w.address_field(*heap_address)?;
                    w.u32(*heap_index);
                    Ok(())
                }
                other => Err(Error::usage(format!("layout version {} cannot encode {:?}", self.version, other))),
            },
            v => Err(Error::usage(format!("unknown data layout message version {}", v))),
        }
    }

    /// Size of [`LayoutMessage::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        let o = usize::from(sizes.offset);
        let l = usize::from(sizes.length);
        match (self.version, &self.layout) {
            (1 | 2, Layout::Compact { data }) => 8 + 4 * self.v1_dims().len() + 4 + data.len(),
            (1 | 2, Layout::Contiguous { .. }) => 8 + o + 4 * self.v1_dims().len(),
            (1 | 2, Layout::Chunked { chunk_dims, .. }) => 8 + o + 4 * (chunk_dims.len() + 1),
            (_, Layout::Compact { data }) => 4 + data.len(),
            (_, Layout::Contiguous { .. }) => 2 + o + l,
            (3, Layout::Chunked { chunk_dims, .. }) => 3 + o + 4 * (chunk_dims.len() + 1),
            (_, Layout::Chunked { chunk_dims, element_size, index, .. }) => {
                let width = dim_width(chunk_dims.iter().copied().chain([u64::from(*element_size)]));
                let params = match index {
                    ChunkIndex::SingleChunk { filtered: Some(_), .. } => l + 4,
                    ChunkIndex::FixedArray { .. } => 1,
                    ChunkIndex::ExtensibleArray { .. } => 5,
                    ChunkIndex::BTreeV2 { .. } => 6,
                    _ => 0,
                };
                5 + width * (chunk_dims.len() + 1) + 1 + params + o
            }
            (_, Layout::Virtual { .. }) => 2 + o + 4,
        }
    }
}

fn encode_v4_chunked(w: &mut Writer, chunk_dims: &[u64], element_size: u32, index: &ChunkIndex, flags: u8, ndims: u8) -> Result<()> {
    let all = || chunk_dims.iter().copied().chain([u64::from(element_size)]);
    let width = dim_width(all());
    if let ChunkIndex::SingleChunk { filtered, .. } = index {
        if filtered.is_some() != (flags & 0x02 != 0) {
            return Err(Error::usage("single chunk index: flag bit 1 must be set exactly when the chunk is filtered"));
        }
    }
    w.u8(2);
    w.u8(flags);
    w.u8(ndims);
    w.u8(width as u8);
    for d in all() {
        w.uint(d, width)?;
    }
    let address = match index {
        ChunkIndex::BTreeV1 { .. } => return Err(Error::usage("layout versions 4-5 have no version 1 B-tree chunk index")),
        ChunkIndex::SingleChunk { address, filtered } => {
            w.u8(1);
            if let Some((size, mask)) = filtered {
                w.length(*size)?;
                w.u32(*mask);
            }
            address
        }
        ChunkIndex::Implicit { address } => {
            w.u8(2);
            address
        }
        ChunkIndex::FixedArray { address, page_bits } => {
            w.u8(3);
            w.u8(*page_bits);
            address
        }
        ChunkIndex::ExtensibleArray { address, max_bits, index_elements, min_pointers, min_elements, page_bits } => {
            w.u8(4);
            w.bytes(&[*max_bits, *index_elements, *min_pointers, *min_elements, *page_bits]);
            address
        }
        ChunkIndex::BTreeV2 { address, node_size, split_percent, merge_percent } => {
            w.u8(5);
            w.u32(*node_size);
            w.u8(*split_percent);
            w.u8(*merge_percent);
            address
        }
    };
    w.address_field(*address)
}

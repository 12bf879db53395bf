//! Version 2 B-tree records (spec III.A.2, "Version 2 B-tree, Type N Record Layout"), types 1
//! to 11, each exactly "Record Size" bytes in a node.

use h5kit_core::{Error, Reader, Result, Writer};

/// A chunk record of a type-10 (non-filtered) or type-11 (filtered) tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecordV2 {
    /// "Address" of the chunk.
    pub address: u64,
    /// "Chunk Size" (type 11); 0 for type 10 (the chunk has its unfiltered size).
    pub size: u64,
    /// "Filter Mask" (type 11); 0 for type 10.
    pub filter_mask: u32,
    /// "Dimension #n Scaled Offset": chunk offset divided by the chunk dimension, one per
    /// dataset dimension, slowest-changing first.
    pub scaled_offsets: Vec<u64>,
}

/// One record, per tree type (field names from the spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Type 1: indirectly accessed, non-filtered huge fractal heap object.
    HugeObject { address: u64, length: u64, id: u64 },
    /// Type 2: indirectly accessed, filtered huge fractal heap object.
    FilteredHugeObject { address: u64, length: u64, filter_mask: u32, memory_size: u64, id: u64 },
    /// Type 3: directly accessed, non-filtered huge fractal heap object.
    HugeObjectDirect { address: u64, length: u64 },
    /// Type 4: directly accessed, filtered huge fractal heap object.
    FilteredHugeObjectDirect { address: u64, length: u64, filter_mask: u32, memory_size: u64 },
    /// Type 5: link name for an indexed group.
    LinkName { hash: u32, heap_id: [u8; 7] },
    /// Type 6: creation order for an indexed group.
    LinkCreationOrder { creation_order: u64, heap_id: [u8; 7] },
    /// Type 7, sub-type 0: shared message stored in the shared message index heap.
    SharedMessageInHeap { hash: u32, reference_count: u32, heap_id: [u8; 8] },
    /// Type 7, sub-type 1: shared message stored in an object header.
    SharedMessageInObjectHeader { hash: u32, message_type: u8, object_header_index: u16, object_header_address: u64 },
    /// Type 8: attribute name for indexed attributes.
    AttributeName { heap_id: [u8; 8], flags: u8, creation_order: u32, hash: u32 },
    /// Type 9: creation order for indexed attributes.
    AttributeCreationOrder { heap_id: [u8; 8], flags: u8, creation_order: u32 },
    /// Types 10 and 11: dataset chunks.
    Chunk(ChunkRecordV2),
}

/// What records of types 10/11 need to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkParams {
    /// The dataset's rank (number of scaled offsets per record).
    pub rank: usize,
    /// Bytes of the "Chunk Size" field in type-11 records (layout v4: one more than the bytes
    /// needed for the unfiltered chunk size, at most 8; layout v5: Size of Offsets).
    pub chunk_size_len: usize,
}

/// Decodes one record of `record_type` from a reader bounded to the record size.
pub fn decode_record(record_type: u8, r: &mut Reader, chunk: Option<ChunkParams>) -> Result<Record> {
    Ok(match record_type {
        1 => Record::HugeObject { address: r.offset()?, length: r.length()?, id: r.length()? },
        2 => Record::FilteredHugeObject {
            address: r.offset()?,
            length: r.length()?,
            filter_mask: r.u32()?,
            memory_size: r.length()?,
            id: r.length()?,
        },
        3 => Record::HugeObjectDirect { address: r.offset()?, length: r.length()? },
        4 => Record::FilteredHugeObjectDirect {
            address: r.offset()?,
            length: r.length()?,
            filter_mask: r.u32()?,
            memory_size: r.length()?,
        },
        5 => Record::LinkName { hash: r.u32()?, heap_id: r.array()? },
        6 => Record::LinkCreationOrder { creation_order: r.u64()?, heap_id: r.array()? },
        7 => {
            let at = r.address();
            let location = r.u8()?;
            match location {
                // No padding after the location byte (the spec's table spacing is cosmetic):
                // type 7 records are 17 bytes with 8-byte offsets.
                0 => {
                    Record::SharedMessageInHeap { hash: r.u32()?, reference_count: r.u32()?, heap_id: r.array()? }
                }
                1 => {
                    let hash = r.u32()?;
                    let _reserved = r.u8()?;
                    let message_type = r.u8()?;
                    let object_header_index = r.u16()?;
                    let object_header_address = r.offset()?;
                    Record::SharedMessageInObjectHeader { hash, message_type, object_header_index, object_header_address }
                }
                other => return Err(Error::format(at, format!("shared message location {} is not 0 or 1", other))),
            }
        }
        8 => Record::AttributeName { heap_id: r.array()?, flags: r.u8()?, creation_order: r.u32()?, hash: r.u32()? },
        9 => Record::AttributeCreationOrder { heap_id: r.array()?, flags: r.u8()?, creation_order: r.u32()? },
        10 | 11 => {
            let p = chunk.ok_or_else(|| Error::usage("v2 B-tree chunk records (types 10/11) need ChunkParams"))?;
            let address = r.offset()?;
            let (size, filter_mask) =
                if record_type == 11 { (r.uint(p.chunk_size_len)?, r.u32()?) } else { (0, 0) };
            let mut scaled_offsets = Vec::with_capacity(p.rank.min(r.remaining() / 8));
            for _ in 0..p.rank {
                scaled_offsets.push(r.u64()?);
            }
            Record::Chunk(ChunkRecordV2 { address, size, filter_mask, scaled_offsets })
        }
        other => return Err(r.error(format!("v2 B-tree record type {} is not 1..=11", other))),
    })
}

impl Record {
    /// Decodes one record of `record_type` (see [`decode_record`]).
    pub fn decode(record_type: u8, r: &mut Reader, chunk: Option<ChunkParams>) -> Result<Record> {
        decode_record(record_type, r, chunk)
    }

    /// The record type this record can be stored in (10 and 11 both hold chunks).
    fn fits_type(&self, record_type: u8) -> bool {
        matches!(
            (self, record_type),
            (Record::HugeObject { .. }, 1)
                | (Record::FilteredHugeObject { .. }, 2)
                | (Record::HugeObjectDirect { .. }, 3)
                | (Record::FilteredHugeObjectDirect { .. }, 4)
                | (Record::LinkName { .. }, 5)
                | (Record::LinkCreationOrder { .. }, 6)
                | (Record::SharedMessageInHeap { .. } | Record::SharedMessageInObjectHeader { .. }, 7)
                | (Record::AttributeName { .. }, 8)
                | (Record::AttributeCreationOrder { .. }, 9)
                | (Record::Chunk(_), 10 | 11)
        )
    }

    /// Encodes the record as `record_type` in exactly `record_size` bytes (zero padded).
    /// Fails when the record is not of that type, does not fit, or (types 10/11) does not
    /// match `chunk`.
    pub fn encode(&self, w: &mut Writer, record_type: u8, record_size: usize, chunk: Option<ChunkParams>) -> Result<()> {
        if !self.fits_type(record_type) {
            return Err(Error::usage(format!("{:?} is not a record of v2 B-tree type {}", self, record_type)));
        }
        let mut rw = Writer::new(w.address(), w.sizes());
        match self {
            Record::HugeObject { address, length, id } => {
                rw.offset(*address)?;
                rw.length(*length)?;
                rw.length(*id)?;
            }
            Record::FilteredHugeObject { address, length, filter_mask, memory_size, id } => {
                rw.offset(*address)?;
                rw.length(*length)?;
                rw.u32(*filter_mask);
                rw.length(*memory_size)?;
                rw.length(*id)?;
            }
            Record::HugeObjectDirect { address, length } => {
                rw.offset(*address)?;
                rw.length(*length)?;
            }
            Record::FilteredHugeObjectDirect { address, length, filter_mask, memory_size } => {
                rw.offset(*address)?;
                rw.length(*length)?;
                rw.u32(*filter_mask);
                rw.length(*memory_size)?;
            }
            Record::LinkName { hash, heap_id } => {
                rw.u32(*hash);
                rw.bytes(heap_id);
            }
            Record::LinkCreationOrder { creation_order, heap_id } => {
                rw.u64(*creation_order);
                rw.bytes(heap_id);
            }
            Record::SharedMessageInHeap { hash, reference_count, heap_id } => {
                rw.u8(0);
                rw.u32(*hash);
                rw.u32(*reference_count);
                rw.bytes(heap_id);
            }
            Record::SharedMessageInObjectHeader { hash, message_type, object_header_index, object_header_address } => {
                rw.u8(1);
                rw.u32(*hash);
                rw.u8(0);
                rw.u8(*message_type);
                rw.u16(*object_header_index);
                rw.offset(*object_header_address)?;
            }
            Record::AttributeName { heap_id, flags, creation_order, hash } => {
                rw.bytes(heap_id);
                rw.u8(*flags);
                rw.u32(*creation_order);
                rw.u32(*hash);
            }
            Record::AttributeCreationOrder { heap_id, flags, creation_order } => {
                rw.bytes(heap_id);
                rw.u8(*flags);
                rw.u32(*creation_order);
            }
            Record::Chunk(c) => {
                let p = chunk.ok_or_else(|| Error::usage("v2 B-tree chunk records (types 10/11) need ChunkParams"))?;
                if c.scaled_offsets.len() != p.rank {
                    return Err(Error::usage(format!("chunk record of rank {}, the tree's is {}", c.scaled_offsets.len(), p.rank)));
                }
                rw.offset(c.address)?;
                if record_type == 11 {
                    if !(1..=8).contains(&p.chunk_size_len) {
                        return Err(Error::usage(format!("chunk size length {} is not 1..=8", p.chunk_size_len)));
                    }
                    rw.uint(c.size, p.chunk_size_len)?;
                    rw.u32(c.filter_mask);
                } else if c.size != 0 || c.filter_mask != 0 {
                    return Err(Error::usage("a type-10 chunk record has no chunk size or filter mask"));
                }
                for &o in &c.scaled_offsets {
                    rw.u64(o);
                }
            }
        }
        let bytes = rw.into_inner();
        if bytes.len() > record_size {
            return Err(Error::usage(format!("v2 B-tree record of {} bytes exceeds the record size {}", bytes.len(), record_size)));
        }
        w.bytes(&bytes);
        w.zeros(record_size - bytes.len());
        Ok(())
    }
}

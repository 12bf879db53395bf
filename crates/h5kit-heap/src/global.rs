//! Global heap (spec III.E "Disk Format: Level 1E - Global Heap"): collections ("GCOL") of
//! objects addressed by a global heap ID (collection address + object index), used by
//! variable-length data and region references.

use h5kit_core::{Context, Error, Reader, Result};

/// One global heap object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalHeapObject {
    /// "Heap Object Index" (1-based; 0 is the free space).
    pub index: u16,
    /// "Reference Count".
    pub reference_count: u16,
    /// Address of the object's data.
    pub address: u64,
    pub data: Vec<u8>,
}

/// A global heap collection: its objects by index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalHeapCollection {
    pub address: u64,
    /// "Collection Size" (including the header).
    pub size: u64,
    /// Objects in file order (object 0, the free space, excluded).
    pub objects: Vec<GlobalHeapObject>,
}

/// A global heap ID as stored in variable-length data: "Collection Address" + "Object Index".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GlobalHeapId {
    /// `None` when undefined (e.g. an empty variable-length element).
    pub collection_address: Option<u64>,
    pub index: u32,
}

impl GlobalHeapId {
    /// Decodes an ID (Size of Offsets + 4 bytes).
    pub fn decode(r: &mut Reader) -> Result<GlobalHeapId> {
        let collection_address = r.address_field()?;
        let index = r.u32()?;
        Ok(GlobalHeapId { collection_address, index })
    }
}

impl GlobalHeapCollection {
    /// Reads the collection at `address` and all its objects.
    pub fn read(ctx: Context, address: u64) -> Result<GlobalHeapCollection> {
        let l = ctx.sizes.length as u64;
        let head = ctx.read(address, 8 + l, "global heap collection header")?;
        let mut r = Reader::new(&head, address, ctx.sizes);
        r.signature(b"GCOL", "global heap collection")?;
        let version = r.u8()?;
        if version != 1 {
            return Err(Error::format(address, format!("global heap collection version {} (expected 1)", version)));
        }
        r.skip(3)?;
        let size = r.length()?;
        let header_len = 8 + l;
        if size < header_len || size > ctx.end_of_file() {
            return Err(Error::format(address, format!("global heap collection size {} is invalid", size)));
        }
        // Some writers leave the collection's tail past the end of the file: read what exists.
        let data = ctx.read_upto(address, size, "global heap collection")?;
        let mut r = Reader::new(&data, address, ctx.sizes);
        r.skip(header_len as usize)?;
        let mut objects = Vec::new();
        // Each object header is 8 + Size of Lengths bytes.
        while r.remaining() >= 8 + l as usize {
            let at = r.address();
            let index = r.u16()?;
            let reference_count = r.u16()?;
            r.skip(4)?;
            let obj_size = r.length()?;
            if index == 0 {
                break; // free space: the rest of the collection
            }
            let n = usize::try_from(obj_size)
                .ok()
                .filter(|&n| n <= r.remaining())
                .ok_or_else(|| Error::format(at, format!("global heap object {} of {} bytes overruns its collection", index, obj_size)))?;
            let data_addr = r.address();
            let bytes = r.bytes(n)?;
            objects.push(GlobalHeapObject { index, reference_count, address: data_addr, data: bytes.to_vec() });
            // Object data is padded to a multiple of 8 bytes.
            let pad = (8 - n % 8) % 8;
            r.skip(pad.min(r.remaining()))?;
        }
        Ok(GlobalHeapCollection { address, size, objects })
    }

    /// The data of the object with this index.
    pub fn object(&self, index: u32) -> Result<&[u8]> {
        self.objects
            .iter()
            .find(|o| o.index as u32 == index && index != 0)
            .map(|o| o.data.as_slice())
            .ok_or_else(|| {
                Error::format(self.address, format!("global heap collection has no object with index {}", index))
            })
    }
}

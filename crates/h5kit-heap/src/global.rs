//! Global heap (spec III.E "Disk Format: Level 1E - Global Heap"): collections ("GCOL") of
//! objects addressed by a global heap ID (collection address + object index), used by
//! variable-length data and region references.
//!
//! A collection is decoded and encoded side by side: its objects in file order (the collection
//! header, each object header and each object's data padded to 8 bytes, as libhdf5 aligns them
//! whatever the Size of Lengths), then the free space, which starts with the header of object 0 when there is room
//! for it ("Object Size" of object 0 counts its own header). Bytes of the free space past that
//! header are written as zeros (libhdf5 may leave them uninitialised). New collections are at
//! least 4096 bytes; [`GlobalHeapCollection::insert`] appends an object when it fits.

use h5kit_core::{Context, Error, Reader, Result, Sizes, Writer};

/// "The default (and minimum) collection size".
pub const MIN_COLLECTION_SIZE: u64 = 4096;

/// Object data is padded to a multiple of 8 bytes.
const ALIGN: u64 = 8;

fn align8(n: u64) -> Option<u64> {
    n.checked_add(ALIGN - 1).map(|v| v & !(ALIGN - 1))
}

/// Collection header: signature, version, reserved, "Collection Size", padded to 8 bytes (as
/// libhdf5 lays it out, so that objects stay aligned when lengths are not 8 bytes).
fn header_size(sizes: Sizes) -> u64 {
    (8 + u64::from(sizes.length)).next_multiple_of(ALIGN)
}

/// Object header: index, reference count, reserved, "Object Size", padded to 8 bytes.
fn object_header_size(sizes: Sizes) -> u64 {
    (8 + u64::from(sizes.length)).next_multiple_of(ALIGN)
}

/// Zero bytes after a header's last field up to its padded size.
fn header_pad(sizes: Sizes) -> usize {
    (object_header_size(sizes) - 8 - u64::from(sizes.length)) as usize
}

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

    /// Encodes the ID (Size of Offsets + 4 bytes).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        w.address_field(self.collection_address)?;
        w.u32(self.index);
        Ok(())
    }
}

impl GlobalHeapCollection {
    /// Reads the collection at `address` and all its objects.
    pub fn read(ctx: Context, address: u64) -> Result<GlobalHeapCollection> {
        let head = ctx.read(address, header_size(ctx.sizes), "global heap collection header")?;
        let mut r = Reader::new(&head, address, ctx.sizes);
        r.skip(8)?;
        let size = r.length()?;
        if size > ctx.end_of_file() {
            return Err(Error::format(address, format!("global heap collection size {} is invalid", size)));
        }
        // Some writers leave the collection's tail past the end of the file: read what exists.
        let data = ctx.read_upto(address, size, "global heap collection")?;
        Self::decode(&data, address, ctx.sizes)
    }

    /// Decodes a collection from `bytes` (at file address `address`); `bytes` may stop short of
    /// "Collection Size" (a tail past the end of the file): the objects present are decoded.
    pub fn decode(bytes: &[u8], address: u64, sizes: Sizes) -> Result<GlobalHeapCollection> {
        let mut r = Reader::new(bytes, address, sizes);
        r.signature(b"GCOL", "global heap collection")?;
        let version = r.u8()?;
        if version != 1 {
            return Err(Error::format(address, format!("global heap collection version {} (expected 1)", version)));
        }
        r.skip(3)?;
        let size = r.length()?;
        if size < header_size(sizes) {
            return Err(Error::format(address, format!("global heap collection size {} is invalid", size)));
        }
        let mut r = Reader::new(bytes.get(..usize::try_from(size).unwrap_or(usize::MAX).min(bytes.len())).unwrap_or_default(), address, sizes);
        r.skip(header_size(sizes) as usize)?;
        let mut objects = Vec::new();
        while r.remaining() as u64 >= object_header_size(sizes) {
            let at = r.address();
            let index = r.u16()?;
            let reference_count = r.u16()?;
            r.skip(4)?;
            let obj_size = r.length()?;
            r.skip(header_pad(sizes).min(r.remaining()))?;
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

    /// An empty collection of `size` bytes (at least the header; libhdf5 never makes one below
    /// [`MIN_COLLECTION_SIZE`], see [`GlobalHeapCollection::size_for`]).
    pub fn new(address: u64, size: u64, sizes: Sizes) -> Result<GlobalHeapCollection> {
        if size < header_size(sizes) || !size.is_multiple_of(ALIGN) {
            return Err(Error::usage(format!("global heap collection size {} (a multiple of 8 from {})", size, header_size(sizes))));
        }
        Ok(GlobalHeapCollection { address, size, objects: Vec::new() })
    }

    /// Size of a new collection made for a first object of `len` bytes: 4096, or more when
    /// the object needs it (as libhdf5 sizes new collections).
    pub fn size_for(len: u64, sizes: Sizes) -> Result<u64> {
        let need = align8(len)
            .and_then(|n| n.checked_add(header_size(sizes) + object_header_size(sizes)))
            .ok_or_else(|| Error::usage("global heap object too large"))?;
        Ok(need.max(MIN_COLLECTION_SIZE))
    }

    /// Bytes the objects take (headers and padding included), collection header excluded.
    fn used(&self, sizes: Sizes) -> Option<u64> {
        self.objects.iter().try_fold(0u64, |acc, o| acc.checked_add(object_header_size(sizes) + align8(o.data.len() as u64)?))
    }

    /// Free space at the end of the collection ("Object Size" of object 0 when it has room
    /// for its header).
    pub fn free_space(&self, sizes: Sizes) -> Result<u64> {
        self.used(sizes)
            .and_then(|u| self.size.checked_sub(header_size(sizes))?.checked_sub(u))
            .ok_or_else(|| Error::usage(format!("global heap collection objects overflow its {} bytes", self.size)))
    }

    /// Encoded size: "Collection Size".
    pub fn encoded_size(&self) -> u64 {
        self.size
    }

    /// Encodes the whole collection (objects in order, zero padding, object 0 when it fits).
    /// Fails when the objects do not fit "Collection Size" or an index is 0 or repeated.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let sizes = w.sizes();
        let free = self.free_space(sizes)?;
        let mut seen = std::collections::HashSet::new();
        if let Some(o) = self.objects.iter().find(|o| o.index == 0 || !seen.insert(o.index)) {
            return Err(Error::usage(format!("global heap object index {} is 0 or repeated", o.index)));
        }
        let mut s = Writer::with_capacity(w.address(), sizes, usize::try_from(self.size).unwrap_or(0));
        s.signature(b"GCOL");
        s.u8(1);
        s.zeros(3);
        s.length(self.size)?;
        s.zeros(header_pad(sizes));
        for o in &self.objects {
            s.u16(o.index);
            s.u16(o.reference_count);
            s.zeros(4);
            s.length(o.data.len() as u64)?;
            s.zeros(header_pad(sizes));
            s.bytes(&o.data);
            s.zeros((8 - o.data.len() % 8) % 8);
        }
        let free = usize::try_from(free).map_err(|_| Error::usage("collection too large"))?;
        if free as u64 >= object_header_size(sizes) {
            s.u16(0);
            s.u16(0);
            s.zeros(4);
            s.length(free as u64)?;
            s.zeros(free - object_header_size(sizes) as usize + header_pad(sizes));
        } else {
            s.zeros(free);
        }
        w.bytes(s.as_slice());
        Ok(())
    }

    /// Appends an object (reference count 0, as libhdf5 inserts) when it fits the free space;
    /// returns its index (one more than the largest in use, or the smallest free one past
    /// 65535), `None` when it does not fit.
    pub fn insert(&mut self, data: &[u8], sizes: Sizes) -> Result<Option<u16>> {
        let need = align8(data.len() as u64).and_then(|n| n.checked_add(object_header_size(sizes)));
        let free = self.free_space(sizes)?;
        if need.is_none_or(|n| n > free) {
            return Ok(None);
        }
        let max = self.objects.iter().map(|o| o.index).max().unwrap_or(0);
        let index = match max.checked_add(1) {
            Some(i) => i,
            None => match (1..=u16::MAX).find(|i| !self.objects.iter().any(|o| o.index == *i)) {
                Some(i) => i,
                None => return Ok(None),
            },
        };
        let start = self.size - free;
        let address = self
            .address
            .checked_add(start + object_header_size(sizes))
            .ok_or_else(|| Error::usage("global heap object address overflows"))?;
        self.objects.push(GlobalHeapObject { index, reference_count: 0, address, data: data.to_vec() });
        Ok(Some(index))
    }
}

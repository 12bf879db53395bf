//! Metadata cache image: the superblock extension's "Metadata Cache Image" message (type
//! 0x0018) and the image block it points at, which libhdf5 1.10+ writes on close when asked to
//! (`H5Pset_mdc_image_config`).
//!
//! The HDF5 File Format Specification does not describe either structure (its message list
//! stops at 0x0017). What follows is the layout libhdf5 1.10 writes (`H5Ocache_image.c`,
//! `H5Cimage.c`), checked against the files of tests/data/cache_image:
//!
//! Message 0x0018: version (1 byte, 0), image address ("Size of Offsets"), image length
//! ("Size of Lengths").
//!
//! Image block: signature `MDCI`, version (1 byte, 0), flags (1 byte; bit 0 "adaptive resize
//! status follows", which libhdf5 never writes and refuses to read), image data length ("Size
//! of Lengths", equal to the message's length), entry count (4 bytes), the entries, then a
//! lookup3 checksum of everything before it. Each entry: cache type id (1), flags (1: dirty,
//! in LRU, flush-dependency parent, child), ring (1), age (1), flush-dependency child count (2),
//! dirty child count (2), parent count (2), LRU rank (4, signed), entry address ("Size of
//! Offsets"), entry length ("Size of Lengths"), the parents' addresses, then the entry's
//! on-disk image (`length` bytes).
//!
//! Entries are metadata (object headers and their continuation chunks, B-tree nodes, heaps,
//! chunk index blocks, free-space sections) exactly as they would be stored at their address.
//! Entries that were dirty when the file was closed are stored only in the image: libhdf5
//! allocated their space but never wrote it (it holds zeros). Clean entries are also at their
//! address, with the same bytes. A reader therefore serves every read of an entry's range from
//! the image ([`CacheImageStorage`]), as libhdf5 does when it loads the image on open.
#![allow(clippy::indexing_slicing)] // ranges checked against entry bounds before slicing

use std::borrow::Cow;
use std::collections::BTreeMap;

use h5kit_core::{verify_checksum, Error, Limits, Reader, Result, Sizes, Storage};

/// Header message type of the metadata cache image message.
pub const MESSAGE_TYPE: u16 = 0x0018;

/// The superblock extension's metadata cache image message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheImageMessage {
    /// File address of the image block (relative to the base address).
    pub address: u64,
    /// Length of the image block in bytes.
    pub length: u64,
}

impl CacheImageMessage {
    /// Decodes the message body (`at`: its file address, for errors).
    pub fn decode(data: &[u8], at: u64, sizes: Sizes) -> Result<CacheImageMessage> {
        let mut r = Reader::new(data, at, sizes);
        let version = r.u8()?;
        if version != 0 {
            return Err(r.error(format!("metadata cache image message version {} (only 0 is defined)", version)));
        }
        let address = r.address_field()?.ok_or_else(|| r.error("metadata cache image message with an undefined address"))?;
        let length = r.length()?;
        Ok(CacheImageMessage { address, length })
    }
}

/// One metadata cache entry of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheImageEntry {
    /// libhdf5's cache client id (5 object header, 6 continuation chunk, 0 v1 B-tree node, ...).
    pub type_id: u8,
    /// Entry flags: 0x01 dirty, 0x02 in the LRU list, 0x04 flush-dependency parent, 0x08 child.
    pub flags: u8,
    /// File address of the entry (relative to the base address).
    pub address: u64,
    /// Addresses of the entry's flush-dependency parents.
    pub parents: Vec<u64>,
    /// The entry's on-disk bytes.
    pub image: Vec<u8>,
}

impl CacheImageEntry {
    /// Whether the entry was dirty when the file was closed (then it is not at its address).
    pub fn is_dirty(&self) -> bool {
        self.flags & 0x01 != 0
    }
}

/// A decoded metadata cache image block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheImage {
    /// Where the block is (as the message says).
    pub message: CacheImageMessage,
    /// The entries, in the image's order.
    pub entries: Vec<CacheImageEntry>,
}

const SIGNATURE: &[u8; 4] = b"MDCI";

impl CacheImage {
    /// Reads and decodes the image block the message points at (checksum verified).
    /// `base_address` is the absolute position of HDF5 address 0.
    pub fn read(storage: &dyn Storage, message: CacheImageMessage, sizes: Sizes, base_address: u64, limits: &Limits) -> Result<CacheImage> {
        let at = message.address;
        let n = limits.check_alloc(message.length, at, "metadata cache image")?;
        let abs = base_address.checked_add(at).ok_or_else(|| Error::format(at, "metadata cache image address overflows"))?;
        let bytes = storage.bytes(abs, n).map_err(|e| e.context("reading the metadata cache image"))?;
        CacheImage::decode(&bytes, message, sizes)
    }

    /// Decodes the image block `data` (the message's `length` bytes at its address).
    pub fn decode(data: &[u8], message: CacheImageMessage, sizes: Sizes) -> Result<CacheImage> {
        let at = message.address;
        let body_len = data.len().checked_sub(4).ok_or_else(|| Error::format(at, "metadata cache image shorter than its checksum"))?;
        let mut r = Reader::new(data, at, sizes);
        r.signature(SIGNATURE, "metadata cache image")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(r.error(format!("metadata cache image version {} (only 0 is defined)", version)));
        }
        let flags = r.u8()?;
        if flags & 0x01 != 0 {
            return Err(r.error("metadata cache image with an adaptive resize status (not defined by libhdf5 1.10)"));
        }
        let data_len = r.length()?;
        if data_len != data.len() as u64 {
            return Err(r.error(format!(
                "metadata cache image says it holds {} bytes, its superblock extension message {}",
                data_len,
                data.len()
            )));
        }
        let stored = u32::from_le_bytes([data[body_len], data[body_len + 1], data[body_len + 2], data[body_len + 3]]);
        verify_checksum(&data[..body_len], stored, at, "metadata cache image")?;
        let count = r.u32()?;
        if count == 0 {
            return Err(r.error("metadata cache image with no entries"));
        }
        let mut body = Reader::new(&data[..body_len], at, sizes);
        body.seek(r.position())?;
        // Each entry takes at least its 14 fixed bytes: a count beyond that is damage.
        if count as usize > body.remaining() / 14 {
            return Err(body.error(format!("metadata cache image claims {} entries in {} bytes", count, body.remaining())));
        }
        let mut entries = Vec::with_capacity(count as usize);
        for i in 0..count {
            entries.push(decode_entry(&mut body).map_err(|e| e.context(format!("metadata cache image entry {}", i)))?);
        }
        if !body.is_empty() {
            return Err(body.error(format!("{} bytes after the last metadata cache image entry", body.remaining())));
        }
        Ok(CacheImage { message, entries })
    }
}

fn decode_entry(r: &mut Reader) -> Result<CacheImageEntry> {
    let type_id = r.u8()?;
    let flags = r.u8()?;
    let _ring = r.u8()?;
    let _age = r.u8()?;
    let child_count = r.u16()?;
    let dirty_children = r.u16()?;
    if dirty_children > child_count {
        return Err(r.error(format!("{} dirty flush-dependency children of {}", dirty_children, child_count)));
    }
    let parent_count = r.u16()?;
    let _lru_rank = r.i32()?;
    let address = r.address_field()?.ok_or_else(|| r.error("entry with an undefined address"))?;
    let length = r.length()?;
    if length == 0 {
        return Err(r.error("entry of length 0"));
    }
    let mut parents = Vec::new();
    for _ in 0..parent_count {
        parents.push(r.address_field()?.ok_or_else(|| r.error("flush-dependency parent with an undefined address"))?);
    }
    let n = usize::try_from(length).map_err(|_| r.error(format!("entry of {} bytes", length)))?;
    let image = r.bytes(n)?.to_vec();
    address.checked_add(length).ok_or_else(|| r.error(format!("entry of {} bytes at {} overflows", length, address)))?;
    Ok(CacheImageEntry { type_id, flags, address, parents, image })
}

/// Storage of a file closed with a metadata cache image: reads of an entry's bytes come from
/// the image, every other byte from the file.
pub struct CacheImageStorage<S> {
    inner: S,
    /// Entries by absolute start offset: (end offset, bytes). Non-overlapping.
    entries: BTreeMap<u64, (u64, Vec<u8>)>,
    len: u64,
    dirty: usize,
}

impl<S: Storage> CacheImageStorage<S> {
    /// Serves `image`'s entries over `inner`; `base_address` is the absolute position of HDF5
    /// address 0. Entries that overlap each other are an error.
    pub fn new(inner: S, image: CacheImage, base_address: u64) -> Result<Self> {
        let mut entries = BTreeMap::new();
        let mut len = inner.len();
        let mut dirty = 0;
        for e in image.entries {
            let overflow = || Error::format(e.address, "metadata cache image entry address overflows");
            let start = base_address.checked_add(e.address).ok_or_else(overflow)?;
            let end = start.checked_add(e.image.len() as u64).ok_or_else(overflow)?;
            dirty += usize::from(e.is_dirty());
            len = len.max(end);
            if entries.insert(start, (end, e.image)).is_some() {
                return Err(Error::format(e.address, "two metadata cache image entries at one address"));
            }
        }
        let mut prev_end = 0;
        for (&start, &(end, _)) in &entries {
            if start < prev_end {
                return Err(Error::format(start - base_address, "metadata cache image entries overlap"));
            }
            prev_end = end;
        }
        Ok(CacheImageStorage { inner, entries, len, dirty })
    }

    /// Number of entries served from the image.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }

    /// Number of entries that were dirty at close (present only in the image).
    pub fn dirty_count(&self) -> usize {
        self.dirty
    }

    /// The storage under the image.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Entries overlapping `[offset, end)`, as (start, end, bytes).
    fn overlapping(&self, offset: u64, end: u64) -> impl Iterator<Item = (u64, u64, &[u8])> {
        // The entry starting at or before `offset` may reach into the range.
        let first = self.entries.range(..=offset).next_back().map(|(&s, _)| s).unwrap_or(offset);
        self.entries
            .range(first..end)
            .filter(move |(_, (e, _))| *e > offset)
            .map(|(&s, (e, b))| (s, *e, b.as_slice()))
    }
}

impl<S: Storage> Storage for CacheImageStorage<S> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = offset
            .checked_add(buf.len() as u64)
            .filter(|&e| e <= self.len)
            .ok_or_else(|| Error::format(offset, format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, self.len)))?;
        // Whole range inside one entry: no read of the file.
        let mut covered = 0u64;
        let mut from_file_end = end.min(self.inner.len());
        if let Some((s, e, bytes)) = self.overlapping(offset, end).next() {
            if s <= offset && e >= end {
                let a = (offset - s) as usize;
                buf.copy_from_slice(&bytes[a..a + buf.len()]);
                return Ok(());
            }
        }
        if offset < from_file_end {
            let n = (from_file_end - offset) as usize;
            self.inner.read_at(offset, &mut buf[..n])?;
        } else {
            from_file_end = offset;
        }
        for (s, e, bytes) in self.overlapping(offset, end) {
            let (lo, hi) = (s.max(offset), e.min(end));
            buf[(lo - offset) as usize..(hi - offset) as usize].copy_from_slice(&bytes[(lo - s) as usize..(hi - s) as usize]);
            if hi > from_file_end {
                covered += hi - lo.max(from_file_end);
            }
        }
        // Bytes past the file's end exist only where an entry gives them.
        if covered != end - from_file_end {
            return Err(Error::format(offset, format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, self.inner.len())));
        }
        Ok(())
    }

    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let end = offset.saturating_add(len as u64);
        if end <= self.inner.len() && self.overlapping(offset, end).next().is_none() {
            return self.inner.bytes(offset, len);
        }
        if let Some((s, e, bytes)) = self.overlapping(offset, end).next() {
            if s <= offset && e >= end {
                let a = (offset - s) as usize;
                return Ok(Cow::Borrowed(&bytes[a..a + len]));
            }
        }
        if end > self.len {
            return Err(Error::format(offset, format!("{} bytes at address {} run past the end of the file ({} bytes)", len, offset, self.len)));
        }
        let mut v = vec![0u8; len];
        self.read_at(offset, &mut v)?;
        Ok(Cow::Owned(v))
    }

    // `as_slice` stays `None`: the file's bytes are not the file's content where entries are.
}

#[cfg(test)]
mod tests {
    use super::*;
    use h5kit_core::MemStorage;

    fn image(entries: &[(u64, &[u8])]) -> CacheImage {
        CacheImage {
            message: CacheImageMessage { address: 0, length: 0 },
            entries: entries
                .iter()
                .map(|&(address, b)| CacheImageEntry { type_id: 5, flags: 1, address, parents: vec![], image: b.to_vec() })
                .collect(),
        }
    }

    #[test]
    fn reads_patch_entries_over_the_file() {
        let file = MemStorage::new((0u8..32).collect());
        let s = CacheImageStorage::new(file, image(&[(4, &[100, 101, 102]), (10, &[200, 201]), (30, &[250, 251, 252, 253])]), 0).unwrap();
        assert_eq!(s.len(), 34);
        assert_eq!(&*s.bytes(0, 12).unwrap(), &[0, 1, 2, 3, 100, 101, 102, 7, 8, 9, 200, 201]);
        assert_eq!(&*s.bytes(5, 1).unwrap(), &[101]);
        assert!(matches!(s.bytes(5, 2).unwrap(), Cow::Borrowed(_)));
        assert_eq!(&*s.bytes(11, 3).unwrap(), &[201, 12, 13]);
        // Past the file's end only where an entry is.
        assert_eq!(&*s.bytes(28, 6).unwrap(), &[28, 29, 250, 251, 252, 253]);
        assert_eq!(&*s.bytes(32, 2).unwrap(), &[252, 253]);
        assert!(s.bytes(33, 2).is_err());
        assert_eq!(s.dirty_count(), 3);
    }

    #[test]
    fn base_address_and_overlap() {
        let file = MemStorage::new(vec![0u8; 16]);
        let s = CacheImageStorage::new(file, image(&[(2, &[9, 9])]), 8).unwrap();
        assert_eq!(&*s.bytes(9, 3).unwrap(), &[0, 9, 9]);
        let file = MemStorage::new(vec![0u8; 16]);
        assert!(CacheImageStorage::new(file, image(&[(2, &[9, 9]), (3, &[1])]), 0).is_err());
    }

    #[test]
    fn decode_rejects_damage() {
        let sizes = Sizes::new(8, 8).unwrap();
        // One entry: type 5, flags 1, address 48, 3 bytes.
        let mut b = b"MDCI".to_vec();
        b.extend_from_slice(&[0, 0]);
        let len_at = b.len();
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&1u32.to_le_bytes());
        // type, flags, ring, age; child, dirty child and parent counts; LRU rank -1.
        b.extend_from_slice(&[5, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&(-1i32).to_le_bytes());
        b.extend_from_slice(&48u64.to_le_bytes());
        b.extend_from_slice(&3u64.to_le_bytes());
        b.extend_from_slice(&[7, 8, 9]);
        let total = b.len() as u64 + 4;
        b[len_at..len_at + 8].copy_from_slice(&total.to_le_bytes());
        let sum = h5kit_core::lookup3(&b, 0);
        b.extend_from_slice(&sum.to_le_bytes());
        let msg = CacheImageMessage { address: 100, length: total };
        let img = CacheImage::decode(&b, msg, sizes).unwrap();
        assert_eq!(img.entries, vec![CacheImageEntry { type_id: 5, flags: 1, address: 48, parents: vec![], image: vec![7, 8, 9] }]);
        let mut bad = b.clone();
        bad[b.len() - 6] ^= 1;
        assert!(CacheImage::decode(&bad, msg, sizes).unwrap_err().to_string().contains("checksum"));
        assert!(CacheImage::decode(&b[..b.len() - 1], msg, sizes).is_err());
        assert!(CacheImage::decode(&b[..3], msg, sizes).is_err());
    }
}

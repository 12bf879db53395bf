//! Encoding of the superblock (spec II.A "Disk Format: Level 0A - Format Signature and
//! Superblock"), versions 0 to 3, beside the decoder in the crate root.
//!
//! In-place editing rewrites the superblock last: [`Superblock::with_end_of_file`] /
//! [`Superblock::with_root_object_header`] give the new value, [`Superblock::update`] the one
//! write (absolute position + bytes) that turns the old superblock on disk into it. Versions 2
//! and 3 end with a checksum, so that write runs to the end of the superblock.

use std::ops::Range;

use h5kit_core::{Error, Result, Sizes, Writer, UNDEFINED_ADDRESS};

use crate::{ScratchPad, Superblock, SymbolTableEntry, SIGNATURE};

/// Bytes before "Base Address": signature, 8 one-byte fields, the two K, the flags
/// (+ "Indexed Storage Internal Node K" and its reserved field in version 1).
fn v01_prefix(version: u8) -> u64 {
    if version == 1 {
        28
    } else {
        24
    }
}

/// Bytes before "Base Address" in versions 2 and 3: signature, version, sizes, flags.
const V23_PREFIX: u64 = 12;

/// Smallest userblock libhdf5 accepts (any power of two from 512 on).
const MIN_USERBLOCK: u64 = 512;

fn check_sizes(sizes: Sizes) -> Result<()> {
    match (sizes.offset, sizes.length) {
        (2 | 4 | 8, 2 | 4 | 8) => Ok(()),
        (o, l) => Err(Error::usage(format!("superblock size of offsets {} / size of lengths {} (2, 4 or 8)", o, l))),
    }
}

fn unencodable(what: impl std::fmt::Display) -> Error {
    Error::usage(format!("superblock cannot be encoded: {}", what))
}

impl Superblock {
    /// Encoded size of a superblock of this version and these widths (signature to the end of
    /// the root group symbol table entry, or to the checksum inclusive).
    pub fn encoded_size_for(version: u8, sizes: Sizes) -> Result<u64> {
        check_sizes(sizes)?;
        let o = u64::from(sizes.offset);
        match version {
            0 | 1 => Ok(v01_prefix(version) + 4 * o + SymbolTableEntry::encoded_size(sizes.offset) as u64),
            2 | 3 => Ok(V23_PREFIX + 4 * o + 4),
            v => Err(unencodable(format!("version {} (only 0-3 are known)", v))),
        }
    }

    /// A new superblock after a userblock of `userblock_size` bytes (0, or a power of two from
    /// 512 on). As libhdf5 does, "Base Address" is the absolute superblock position and the
    /// "End of File Address" is absolute (here: the end of the superblock). Versions 0/1 get the
    /// default K values (4, 16; 32 in version 1) and a root entry without cache; the root object
    /// header address is undefined until [`Superblock::with_root_object_header`].
    pub fn new(version: u8, sizes: Sizes, userblock_size: u64) -> Result<Superblock> {
        if userblock_size != 0 && (userblock_size < MIN_USERBLOCK || !userblock_size.is_power_of_two()) {
            return Err(Error::usage(format!("userblock size {} is not 0 or a power of two >= 512", userblock_size)));
        }
        let encoded_size = Self::encoded_size_for(version, sizes)?;
        let old = version < 2;
        Ok(Superblock {
            version,
            superblock_address: userblock_size,
            sizes,
            base_address: userblock_size,
            group_leaf_k: 4,
            group_internal_k: 16,
            chunk_internal_k: (version == 1).then_some(32),
            file_consistency_flags: 0,
            free_space_address: None,
            end_of_file_address: userblock_size.saturating_add(encoded_size),
            driver_info_address: None,
            root_group_entry: old.then(|| SymbolTableEntry::new(0, UNDEFINED_ADDRESS, ScratchPad::None)),
            root_object_header_address: UNDEFINED_ADDRESS,
            extension_address: None,
            version_of_free_space: old.then_some(0),
            version_of_root_group_entry: old.then_some(0),
            version_of_shared_header: old.then_some(0),
            encoded_size,
        })
    }

    /// Encodes the superblock with its own widths (whatever the writer's). Fails on values the
    /// version cannot hold (e.g. a root group entry in version 2, flags above 255 in version 3,
    /// a root entry whose object header differs from `root_object_header_address`).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        check_sizes(self.sizes)?;
        let size = Self::encoded_size_for(self.version, self.sizes)?;
        let mut s = Writer::with_capacity(w.address(), self.sizes, size as usize);
        s.bytes(&SIGNATURE);
        s.u8(self.version);
        if self.version < 2 {
            self.encode_v01(&mut s)?;
        } else {
            self.encode_v23(&mut s)?;
        }
        w.bytes(s.as_slice());
        Ok(())
    }

    fn encode_v01(&self, s: &mut Writer) -> Result<()> {
        if self.extension_address.is_some() {
            return Err(unencodable("a superblock extension needs version 2 or 3"));
        }
        let entry = self.root_group_entry.ok_or_else(|| unencodable("version 0/1 without a root group symbol table entry"))?;
        if entry.object_header_address != self.root_object_header_address {
            return Err(unencodable(format!(
                "root group entry points at {}, root object header address is {}",
                entry.object_header_address, self.root_object_header_address
            )));
        }
        if self.group_leaf_k == 0 || self.group_internal_k == 0 {
            return Err(unencodable("group B-tree K of 0"));
        }
        s.u8(self.version_of_free_space.unwrap_or(0));
        s.u8(self.version_of_root_group_entry.unwrap_or(0));
        s.u8(0);
        s.u8(self.version_of_shared_header.unwrap_or(0));
        s.u8(self.sizes.offset);
        s.u8(self.sizes.length);
        s.u8(0);
        s.u16(self.group_leaf_k);
        s.u16(self.group_internal_k);
        s.u32(self.file_consistency_flags);
        match (self.version, self.chunk_internal_k) {
            (1, Some(k)) if k != 0 => {
                s.u16(k);
                s.u16(0);
            }
            (0, None) => {}
            (v, k) => return Err(unencodable(format!("indexed storage K {:?} in version {}", k, v))),
        }
        s.offset(self.base_address)?;
        s.address_field(self.free_space_address)?;
        s.offset(self.end_of_file_address)?;
        s.address_field(self.driver_info_address)?;
        entry.encode(s)
    }

    fn encode_v23(&self, s: &mut Writer) -> Result<()> {
        if self.root_group_entry.is_some() || self.driver_info_address.is_some() || self.free_space_address.is_some() {
            return Err(unencodable("root group entry, driver info or free-space address in version 2/3"));
        }
        if self.chunk_internal_k.is_some() || (self.group_leaf_k, self.group_internal_k) != (4, 16) {
            return Err(unencodable("B-tree K values other than the defaults belong in the extension"));
        }
        let flags = u8::try_from(self.file_consistency_flags)
            .map_err(|_| unencodable(format!("file consistency flags {:#x} do not fit in one byte", self.file_consistency_flags)))?;
        s.u8(self.sizes.offset);
        s.u8(self.sizes.length);
        s.u8(flags);
        s.offset(self.base_address)?;
        s.address_field(self.extension_address)?;
        s.offset(self.end_of_file_address)?;
        s.offset(self.root_object_header_address)?;
        s.checksum_from(0);
        Ok(())
    }

    /// The encoded bytes (to be written at absolute position `superblock_address`).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new(0, self.sizes);
        self.encode(&mut w)?;
        Ok(w.into_inner())
    }

    /// This superblock with another "End of File Address" (absolute, as libhdf5 stores it).
    pub fn with_end_of_file(&self, end_of_file_address: u64) -> Superblock {
        Superblock { end_of_file_address, ..self.clone() }
    }

    /// This superblock with another root object header address (in versions 0/1 the root group
    /// symbol table entry's object header address changes with it; its cache is kept).
    pub fn with_root_object_header(&self, address: u64) -> Superblock {
        let root_group_entry = self.root_group_entry.map(|e| SymbolTableEntry { object_header_address: address, ..e });
        Superblock { root_object_header_address: address, root_group_entry, ..self.clone() }
    }

    /// Versions 0/1: this superblock with another root group symbol table entry (e.g. a new
    /// cached B-tree / local heap address); the root object header address follows it.
    pub fn with_root_group_entry(&self, entry: SymbolTableEntry) -> Result<Superblock> {
        if self.version >= 2 {
            return Err(Error::usage("superblock versions 2 and 3 have no root group symbol table entry"));
        }
        Ok(Superblock { root_group_entry: Some(entry), root_object_header_address: entry.object_header_address, ..self.clone() })
    }

    fn absolute(&self, start: u64, len: u64) -> Result<Range<u64>> {
        let a = self.superblock_address.checked_add(start).ok_or_else(|| unencodable("position overflows"))?;
        Ok(a..a + len)
    }

    /// Absolute file positions of the "End of File Address" field.
    pub fn end_of_file_field(&self) -> Result<Range<u64>> {
        check_sizes(self.sizes)?;
        let o = u64::from(self.sizes.offset);
        match self.version {
            0 | 1 => self.absolute(v01_prefix(self.version) + 2 * o, o),
            2 | 3 => self.absolute(V23_PREFIX + 2 * o, o),
            v => Err(unencodable(format!("version {}", v))),
        }
    }

    /// Absolute file positions of the root object header address: the object header address
    /// of the root group symbol table entry (versions 0/1) or "Root Group Object Header
    /// Address" (versions 2/3).
    pub fn root_address_field(&self) -> Result<Range<u64>> {
        check_sizes(self.sizes)?;
        let o = u64::from(self.sizes.offset);
        match self.version {
            0 | 1 => self.absolute(v01_prefix(self.version) + 5 * o, o),
            2 | 3 => self.absolute(V23_PREFIX + 3 * o, o),
            v => Err(unencodable(format!("version {}", v))),
        }
    }

    /// Absolute file positions of the root group symbol table entry (versions 0/1).
    pub fn root_group_entry_field(&self) -> Result<Range<u64>> {
        check_sizes(self.sizes)?;
        let o = u64::from(self.sizes.offset);
        match self.version {
            0 | 1 => self.absolute(v01_prefix(self.version) + 4 * o, SymbolTableEntry::encoded_size(self.sizes.offset) as u64),
            v => Err(Error::usage(format!("superblock version {} has no root group symbol table entry", v))),
        }
    }

    /// Absolute file positions of the checksum (versions 2/3).
    pub fn checksum_field(&self) -> Option<Range<u64>> {
        let o = u64::from(self.sizes.offset);
        (self.version >= 2).then(|| self.absolute(V23_PREFIX + 4 * o, 4).ok()).flatten()
    }

    /// The single write that turns `on_disk` (the superblock as the file holds it) into `self`:
    /// (absolute position, bytes) covering the first to the last changed byte, `None` when
    /// nothing changed. For versions 2/3 any change reaches the checksum.
    pub fn update(&self, on_disk: &Superblock) -> Result<Option<(u64, Vec<u8>)>> {
        if (self.version, self.sizes, self.superblock_address) != (on_disk.version, on_disk.sizes, on_disk.superblock_address) {
            return Err(Error::usage("superblock update changes the version, widths or position"));
        }
        let new = self.to_bytes()?;
        let old = on_disk.to_bytes()?;
        let first = new.iter().zip(&old).position(|(a, b)| a != b);
        let last = new.iter().zip(&old).rposition(|(a, b)| a != b);
        match (first, last) {
            (Some(f), Some(l)) => {
                let bytes = new.get(f..=l).unwrap_or_default().to_vec();
                Ok(Some((self.superblock_address.saturating_add(f as u64), bytes)))
            }
            _ => Ok(None),
        }
    }
}

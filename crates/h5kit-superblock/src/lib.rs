//! HDF5 superblock (spec II.A "Disk Format: Level 0A - Format Signature and Superblock"),
//! versions 0 to 3, the userblock that may precede it, and the driver information block
//! (spec II.B "Disk Format: Level 0B - File Driver Info").
//!
//! The superblock extension (spec II.C "Disk Format: Level 0C - Superblock Extension") is an
//! object header; this crate reports its address ([`Superblock::extension_address`]) and
//! decodes the metadata cache image its message 0x0018 points at ([`cache_image`]).
//!
//! Base address: libhdf5 writes the absolute superblock position as "Base Address" (every
//! version, also with a userblock), and when opening a file whose stored base address differs
//! from where the signature was found it assumes the file was moved and relocates to the
//! superblock position. So every address is relative to the superblock signature. Use
//! [`Superblock::context`] (or [`Superblock::effective_base_address`]) to map addresses.
//!
//! Encoding (module `encode`): [`Superblock::encode`] beside [`Superblock::decode`], a new
//! superblock ([`Superblock::new`]), and the one write that brings a superblock on disk up to
//! date ([`Superblock::update`]).
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod cache_image;
pub mod driver_info;
mod encode;
pub mod symbol_table_entry;

pub use driver_info::{read_driver_info, DriverInfo};
pub use symbol_table_entry::{ScratchPad, SymbolTableEntry};

use h5kit_core::{verify_checksum, Context, Error, Limits, Reader, Result, Sizes, Storage};

/// The 8-byte format signature `\x89HDF\r\n\x1a\n`.
pub const SIGNATURE: [u8; 8] = [0x89, b'H', b'D', b'F', 0x0d, 0x0a, 0x1a, 0x0a];

/// A decoded superblock (any version). Fields absent from a version hold the value libhdf5
/// assumes for it (e.g. K values 4/16/32 in versions 2 and 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    /// "Version Number of the Superblock" (0-3).
    pub version: u8,
    /// Absolute position of the signature, i.e. the size of the userblock.
    pub superblock_address: u64,
    /// "Size of Offsets" and "Size of Lengths".
    pub sizes: Sizes,
    /// "Base Address" as stored (absolute). See [`Superblock::effective_base_address`].
    pub base_address: u64,
    /// "Group Leaf Node K" (v0/1; 4 for v2/3, the libhdf5 default).
    pub group_leaf_k: u16,
    /// "Group Internal Node K" (v0/1; 16 for v2/3).
    pub group_internal_k: u16,
    /// "Indexed Storage Internal Node K": stored in v1; `None` in v0 (default 32) and v2/3
    /// (a B-tree 'K' values message in the extension may give it).
    pub chunk_internal_k: Option<u16>,
    /// "File Consistency Flags" (4 bytes in v0/1, 1 byte in v2/3).
    pub file_consistency_flags: u32,
    /// "Address of File Free space Info" (v0/1; always undefined in practice).
    pub free_space_address: Option<u64>,
    /// "End of File Address" as stored.
    pub end_of_file_address: u64,
    /// "Driver Information Block Address" (v0/1; relative to the base address).
    pub driver_info_address: Option<u64>,
    /// "Root Group Symbol Table Entry" (v0/1).
    pub root_group_entry: Option<SymbolTableEntry>,
    /// Address of the root group object header (from the entry for v0/1).
    pub root_object_header_address: u64,
    /// "Superblock Extension Address" (v2/3).
    pub extension_address: Option<u64>,
    /// "Version Number of the File's Free Space Information" (v0/1).
    pub version_of_free_space: Option<u8>,
    /// "Version Number of the Root Group Symbol Table Entry" (v0/1).
    pub version_of_root_group_entry: Option<u8>,
    /// "Version Number of the Shared Header Message Format" (v0/1).
    pub version_of_shared_header: Option<u8>,
    /// Encoded size of the superblock in bytes (signature to checksum / root entry inclusive).
    pub encoded_size: u64,
}

/// Largest userblock searched for a signature (libhdf5 allows any power of two ≥ 512; the
/// search stops at the end of the storage anyway).
const MAX_SEARCH: u64 = 1 << 62;

impl Superblock {
    /// Finds the signature at 0, 512, 1024, 2048, ... (spec II.A) and decodes versions 0-3
    /// (v2/v3 checksum verified).
    pub fn read(storage: &dyn Storage) -> Result<Superblock> {
        let at = find_signature(storage)?;
        Self::read_at(storage, at)
    }

    /// Decodes the superblock whose signature is at absolute position `at`.
    pub fn read_at(storage: &dyn Storage, at: u64) -> Result<Superblock> {
        // The largest superblock: v1 with 8-byte offsets: 8+16+4+4*8+40 = 100 bytes (+ pad).
        let avail = storage.len().saturating_sub(at).min(256);
        let n = usize::try_from(avail).map_err(|_| Error::format(at, "superblock does not fit in memory"))?;
        let buf = storage.bytes(at, n)?;
        Self::decode(&buf, at)
    }

    /// Decodes a superblock from `bytes`, which start at its signature (more bytes may follow);
    /// `superblock_address` is the absolute position of the signature (the userblock size).
    /// Addresses in errors are relative to the signature.
    pub fn decode(bytes: &[u8], superblock_address: u64) -> Result<Superblock> {
        let mut r = Reader::new(bytes, 0, Sizes::default());
        let sig = r.array::<8>()?;
        if sig != SIGNATURE {
            return Err(Error::format(0, "no HDF5 format signature at the superblock position"));
        }
        let version = r.u8()?;
        match version {
            0 | 1 => decode_v01(version, superblock_address, r),
            2 | 3 => decode_v23(version, superblock_address, bytes, r),
            v => Err(Error::unsupported(8, format!("superblock version {} (only 0-3 are known)", v))),
        }
    }

    /// The absolute position of HDF5 address 0, as libhdf5 uses it: the superblock position.
    /// (When the stored base address differs, libhdf5 assumes the file was moved and relocates
    /// it to the superblock.)
    pub fn effective_base_address(&self) -> u64 {
        self.superblock_address
    }

    /// A [`Context`] for this file: its sizes and the effective base address.
    pub fn context<'a>(&self, storage: &'a dyn Storage, limits: &'a Limits) -> Context<'a> {
        Context::new(storage, self.sizes, limits, self.effective_base_address())
    }

    /// Fails when the storage is shorter than the stored "End of File Address" (a truncated
    /// file). libhdf5 compares the stored value with the absolute file size (what it writes
    /// there, userblock included), and so do we.
    pub fn check_truncation(&self, storage: &dyn Storage) -> Result<()> {
        if storage.len() < self.end_of_file_address {
            return Err(Error::format(
                0,
                format!(
                    "truncated file: {} bytes, the superblock's end of file address is {}",
                    storage.len(),
                    self.end_of_file_address
                ),
            ));
        }
        Ok(())
    }

    /// Userblock size in bytes (the space before the superblock).
    pub fn userblock_size(&self) -> u64 {
        self.superblock_address
    }
}

/// Searches 0, 512, 1024, ... for the signature; returns its absolute position.
pub fn find_signature(storage: &dyn Storage) -> Result<u64> {
    let len = storage.len();
    let mut at = 0u64;
    loop {
        if at.checked_add(8).is_some_and(|end| end <= len) {
            let b = storage.bytes(at, 8)?;
            if *b == SIGNATURE {
                return Ok(at);
            }
        } else {
            break;
        }
        at = if at == 0 { 512 } else { at.saturating_mul(2) };
        if at >= MAX_SEARCH {
            break;
        }
    }
    Err(Error::format(0, "not an HDF5 file: no format signature at 0, 512, 1024, 2048, ..."))
}

fn read_sizes(r: &mut Reader, off_at: u64) -> Result<Sizes> {
    let o = r.u8()?;
    let l = r.u8()?;
    match (o, l) {
        (2 | 4 | 8, 2 | 4 | 8) => Sizes::new(o, l).map_err(|e| e.at(off_at)),
        _ => Err(Error::unsupported(
            off_at,
            format!("superblock size of offsets {} / size of lengths {} (2, 4 or 8 supported)", o, l),
        )),
    }
}

fn decode_v01(version: u8, at: u64, mut r: Reader) -> Result<Superblock> {
    let version_of_free_space = r.u8()?;
    let version_of_root_group_entry = r.u8()?;
    let _reserved = r.u8()?;
    let version_of_shared_header = r.u8()?;
    let sizes_at = r.address();
    let sizes = read_sizes(&mut r, sizes_at)?;
    let _reserved = r.u8()?;
    let mut r = Reader::new(r.rest(), r.address(), sizes);
    let k_at = r.address();
    let group_leaf_k = r.u16()?;
    let group_internal_k = r.u16()?;
    if group_leaf_k == 0 || group_internal_k == 0 {
        return Err(Error::format(k_at, "superblock group B-tree K of 0"));
    }
    let file_consistency_flags = r.u32()?;
    let chunk_internal_k = if version == 1 {
        let k_at = r.address();
        let k = r.u16()?;
        let _reserved = r.u16()?;
        if k == 0 {
            return Err(Error::format(k_at, "superblock indexed storage internal node K of 0"));
        }
        Some(k)
    } else {
        None
    };
    let base_address = r.offset()?;
    let free_space_address = r.address_field()?;
    let end_of_file_address = r.offset()?;
    let driver_info_address = r.address_field()?;
    let entry = SymbolTableEntry::decode(&mut r).map_err(|e| e.context("root group symbol table entry"))?;
    let encoded_size = r.address();
    Ok(Superblock {
        version,
        superblock_address: at,
        sizes,
        base_address,
        group_leaf_k,
        group_internal_k,
        chunk_internal_k,
        file_consistency_flags,
        free_space_address,
        end_of_file_address,
        driver_info_address,
        root_group_entry: Some(entry),
        root_object_header_address: entry.object_header_address,
        extension_address: None,
        version_of_free_space: Some(version_of_free_space),
        version_of_root_group_entry: Some(version_of_root_group_entry),
        version_of_shared_header: Some(version_of_shared_header),
        encoded_size,
    })
}

fn decode_v23(version: u8, at: u64, buf: &[u8], mut r: Reader) -> Result<Superblock> {
    let sizes_at = r.address();
    let sizes = read_sizes(&mut r, sizes_at)?;
    let file_consistency_flags = u32::from(r.u8()?);
    let mut r = Reader::new(r.rest(), r.address(), sizes);
    let base_address = r.offset()?;
    let extension_address = r.address_field()?;
    let end_of_file_address = r.offset()?;
    let root_object_header_address = r.offset()?;
    let sum_at = r.address();
    let stored = r.u32()?;
    let covered = usize::try_from(sum_at)
        .ok()
        .and_then(|n| buf.get(..n))
        .ok_or_else(|| Error::format(sum_at, "superblock truncated"))?;
    verify_checksum(covered, stored, sum_at, "superblock")?;
    Ok(Superblock {
        version,
        superblock_address: at,
        sizes,
        base_address,
        group_leaf_k: 4,
        group_internal_k: 16,
        chunk_internal_k: None,
        file_consistency_flags,
        free_space_address: None,
        end_of_file_address,
        driver_info_address: None,
        root_group_entry: None,
        root_object_header_address,
        extension_address,
        version_of_free_space: None,
        version_of_root_group_entry: None,
        version_of_shared_header: None,
        encoded_size: r.address(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use h5kit_core::MemStorage;

    fn v2_bytes() -> Vec<u8> {
        let mut b = SIGNATURE.to_vec();
        b.extend_from_slice(&[2, 8, 8, 0]);
        b.extend_from_slice(&0u64.to_le_bytes());
        b.extend_from_slice(&u64::MAX.to_le_bytes());
        b.extend_from_slice(&200u64.to_le_bytes());
        b.extend_from_slice(&48u64.to_le_bytes());
        let sum = h5kit_core::lookup3(&b, 0);
        b.extend_from_slice(&sum.to_le_bytes());
        b.resize(200, 0);
        b
    }

    #[test]
    fn synthetic_v2_and_bad_checksum() {
        let b = v2_bytes();
        let s = Superblock::read(&MemStorage::new(b.clone())).unwrap();
        assert_eq!(s.version, 2);
        assert_eq!(s.root_object_header_address, 48);
        assert_eq!(s.extension_address, None);
        assert_eq!(s.end_of_file_address, 200);
        assert_eq!(s.encoded_size, 48);
        let mut bad = b;
        bad[20] ^= 1;
        let e = Superblock::read(&MemStorage::new(bad)).unwrap_err();
        assert_eq!(e.kind, h5kit_core::ErrorKind::Format);
        assert_eq!(e.offset, Some(44));
    }

    #[test]
    fn not_hdf5_and_truncated() {
        assert!(Superblock::read(&MemStorage::new(vec![0; 3000])).is_err());
        assert!(Superblock::read(&MemStorage::new(vec![])).is_err());
        let b = v2_bytes();
        for n in 0..b.len().min(48) {
            assert!(Superblock::read(&MemStorage::new(b[..n].to_vec())).is_err(), "len {}", n);
        }
        let mut odd = b;
        odd[9] = 3;
        assert_eq!(Superblock::read(&MemStorage::new(odd)).unwrap_err().kind, h5kit_core::ErrorKind::Unsupported);
    }
}

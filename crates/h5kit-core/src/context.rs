//! The context every parser needs: where the bytes are, how wide offsets and lengths are,
//! and the limits in force.

use std::borrow::Cow;

use crate::{Error, Limits, Result, Sizes, Storage};

/// Storage, widths and limits of one open file. Cheap to copy; parsers take it by value.
///
/// Addresses given to [`Context::read`] are HDF5 file addresses, relative to the superblock's
/// base address; `base_address` is added before touching storage.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub storage: &'a dyn Storage,
    pub sizes: Sizes,
    pub limits: &'a Limits,
    /// Absolute position of HDF5 address 0 (the superblock's base address).
    pub base_address: u64,
}

impl<'a> Context<'a> {
    pub fn new(storage: &'a dyn Storage, sizes: Sizes, limits: &'a Limits, base_address: u64) -> Self {
        Context { storage, sizes, limits, base_address }
    }

    /// Size of the file counted from address 0.
    pub fn end_of_file(&self) -> u64 {
        self.storage.len().saturating_sub(self.base_address)
    }

    fn absolute(&self, address: u64) -> Result<u64> {
        self.base_address
            .checked_add(address)
            .ok_or_else(|| Error::format(address, format!("address {} overflows", address)))
    }

    /// Exactly `len` bytes at HDF5 address `address` (checked against the limits and the file).
    pub fn read(&self, address: u64, len: u64, what: &str) -> Result<Cow<'a, [u8]>> {
        let n = self.limits.check_alloc(len, address, what)?;
        let abs = self.absolute(address)?;
        self.storage.bytes(abs, n).map_err(|e| e.context(format!("reading {}", what)))
    }

    /// As [`Context::read`], through `scratch` when the storage must copy (see
    /// [`Storage::bytes_reusing`]): for readers of many chunks, which then neither allocate nor
    /// zero a buffer per chunk.
    pub fn read_reusing<'s>(&self, address: u64, len: u64, what: &str, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]>
    where
        'a: 's,
    {
        let n = self.limits.check_alloc(len, address, what)?;
        let abs = self.absolute(address)?;
        self.storage.bytes_reusing(abs, n, scratch).map_err(|e| e.context(format!("reading {}", what)))
    }

    /// Up to `len` bytes at `address`, fewer if the file ends first (for structures whose
    /// size is only known after parsing their prefix).
    pub fn read_upto(&self, address: u64, len: u64, what: &str) -> Result<Cow<'a, [u8]>> {
        let n = self.limits.check_alloc(len, address, what)?;
        let abs = self.absolute(address)?;
        self.storage.bytes_upto(abs, n).map_err(|e| e.context(format!("reading {}", what)))
    }
}

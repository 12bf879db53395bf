//! Small helpers shared by the B-tree and array parsers.

use std::collections::HashSet;

use h5kit_core::{Context, Error, Reader, Result};

/// Bounds a walk over file structures: visited addresses (cycle detection) and item count.
pub(crate) struct Walk {
    visited: HashSet<u64>,
    items: u64,
    max_items: u64,
}

impl Walk {
    pub(crate) fn new(ctx: &Context) -> Walk {
        Walk { visited: HashSet::new(), items: 0, max_items: ctx.limits.max_items }
    }
    /// Records a visit of the node at `address`; fails on a second visit (a cycle).
    pub(crate) fn visit(&mut self, address: u64, what: &str) -> Result<()> {
        if !self.visited.insert(address) {
            return Err(Error::format(address, format!("{} at address {} is reached twice (cycle in the file)", what, address)));
        }
        self.count(1, address, what)
    }
    /// Counts `n` items against the limit.
    pub(crate) fn count(&mut self, n: u64, address: u64, what: &str) -> Result<()> {
        self.items = self.items.saturating_add(n);
        if self.items > self.max_items {
            return Err(Error::limit(address, format!("{}: more than {} items", what, self.max_items)));
        }
        Ok(())
    }
}

/// `a * b` checked, as a format error at `at`.
pub(crate) fn mul(a: u64, b: u64, at: u64, what: &str) -> Result<u64> {
    a.checked_mul(b).ok_or_else(|| Error::format(at, format!("{}: size overflows", what)))
}

/// `a + b` checked, as a format error at `at`.
pub(crate) fn add(a: u64, b: u64, at: u64, what: &str) -> Result<u64> {
    a.checked_add(b).ok_or_else(|| Error::format(at, format!("{}: size overflows", what)))
}

/// Verifies the 4-byte checksum that follows `len` bytes of `data` (which starts at `at`),
/// and returns a reader over those `len` bytes.
pub(crate) fn checked_reader<'a>(ctx: &Context, data: &'a [u8], len: usize, at: u64, what: &str) -> Result<Reader<'a>> {
    let body = data.get(..len).ok_or_else(|| Error::format(at, format!("{} truncated", what)))?;
    let stored = data
        .get(len..len.saturating_add(4))
        .ok_or_else(|| Error::format(at, format!("{} checksum truncated", what)))?;
    // `stored` is exactly 4 bytes (`len..len + 4`); a short slice cannot occur.
    let stored = u32::from_le_bytes(stored.try_into().unwrap_or_default());
    h5kit_core::verify_checksum(body, stored, at, what)?;
    Ok(Reader::new(body, at, ctx.sizes))
}

/// Reads `prefix_len + 4` bytes at `address` and checks the checksum over the first
/// `prefix_len` bytes; returns the owned bytes (without checksum).
pub(crate) fn read_checked(ctx: &Context, address: u64, len: u64, what: &str) -> Result<Vec<u8>> {
    let total = add(len, 4, address, what)?;
    let data = ctx.read(address, total, what)?;
    let n = ctx.limits.check_alloc(len, address, what)?;
    // Verify via a reader so the checksum slicing is bounded.
    checked_reader(ctx, &data, n, address, what)?;
    Ok(data.get(..n).map(|s| s.to_vec()).unwrap_or_default())
}

/// Least number of bytes able to hold `n` (libhdf5 `H5VM_limit_enc_size`: log2(n)/8 + 1).
pub(crate) fn limit_enc_size(n: u64) -> usize {
    let log2 = if n == 0 { 0 } else { 63 - n.leading_zeros() as usize };
    log2 / 8 + 1
}

/// Bytes needed to hold `bits` bits.
pub(crate) fn bytes_for_bits(bits: u32) -> usize {
    (bits as usize).div_ceil(8)
}

//! Small helpers shared by the B-tree and array parsers.

use std::collections::HashSet;

use h5kit_core::{Context, Error, Result};

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

/// Least number of bytes able to hold `n` (libhdf5 `H5VM_limit_enc_size`: log2(n)/8 + 1).
pub(crate) fn limit_enc_size(n: u64) -> usize {
    let log2 = if n == 0 { 0 } else { 63 - n.leading_zeros() as usize };
    log2 / 8 + 1
}

/// Bytes needed to hold `bits` bits.
pub(crate) fn bytes_for_bits(bits: u32) -> usize {
    (bits as usize).div_ceil(8)
}

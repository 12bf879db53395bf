//! Bounds on sizes a file claims (png-style `Limits`), checked before allocating.

use crate::{Error, Result};

/// Resource limits applied while reading. Every allocation whose size comes from the file is
/// checked against [`Limits::max_alloc`] (and, for metadata, against the file's size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single buffer allocated on behalf of the file (chunk, heap block, dataset read).
    pub max_alloc: u64,
    /// Deepest nesting followed (B-tree levels, datatype nesting, group depth, link chains).
    pub max_depth: u32,
    /// Most items of one structure visited (messages, continuation blocks, B-tree nodes, links).
    pub max_items: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_alloc: 4 << 30, max_depth: 64, max_items: 1 << 26 }
    }
}

impl Limits {
    /// Checks that an allocation of `size` bytes claimed at `offset` is within bounds.
    pub fn check_alloc(&self, size: u64, offset: u64, what: &str) -> Result<usize> {
        if size > self.max_alloc {
            return Err(Error::limit(
                offset,
                format!("{} claims {} bytes, over the limit of {}", what, size, self.max_alloc),
            ));
        }
        usize::try_from(size)
            .map_err(|_| Error::limit(offset, format!("{} of {} bytes does not fit in memory", what, size)))
    }
    /// Checks a nesting depth.
    pub fn check_depth(&self, depth: u32, offset: u64, what: &str) -> Result<()> {
        if depth > self.max_depth {
            return Err(Error::limit(offset, format!("{} nested deeper than {}", what, self.max_depth)));
        }
        Ok(())
    }
}

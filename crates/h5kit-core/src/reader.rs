//! A bounded little-endian cursor over a byte slice, aware of the file's "Size of Offsets"
//! and "Size of Lengths" (spec II.A) and of the file address of every byte.
//!
//! Every read is checked: running past the end gives a [`crate::ErrorKind::Format`] error that
//! names the file address, never a panic. [`Reader::split`] bounds the parse of a sub-structure
//! (a message, a block) to its own declared length.

use crate::{Error, Result};

/// The "undefined address" of the spec: all bits set, in whatever width offsets have.
pub const UNDEFINED_ADDRESS: u64 = u64::MAX;

/// Widths of file offsets (addresses) and lengths, from the superblock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// "Size of Offsets": 2, 4, 8 (1..=8 accepted).
    pub offset: u8,
    /// "Size of Lengths": 2, 4, 8 (1..=8 accepted).
    pub length: u8,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes { offset: 8, length: 8 }
    }
}

impl Sizes {
    pub fn new(offset: u8, length: u8) -> Result<Sizes> {
        if !(1..=8).contains(&offset) || !(1..=8).contains(&length) {
            return Err(Error::format(
                0,
                format!("unsupported size of offsets {} / size of lengths {}", offset, length),
            ));
        }
        Ok(Sizes { offset, length })
    }
}

/// A bounded cursor. `address()` is the file address of the next byte.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    base: u64,
    sizes: Sizes,
}

impl<'a> Reader<'a> {
    /// A cursor over `data`, whose first byte sits at file address `base`.
    pub fn new(data: &'a [u8], base: u64, sizes: Sizes) -> Self {
        Reader { data, pos: 0, base, sizes }
    }

    pub fn sizes(&self) -> Sizes {
        self.sizes
    }
    /// File address of the next byte.
    pub fn address(&self) -> u64 {
        self.base.wrapping_add(self.pos as u64)
    }
    /// File address of the first byte of this cursor.
    pub fn start_address(&self) -> u64 {
        self.base
    }
    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }
    /// The whole underlying slice (consumed and not).
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// The bytes not yet consumed.
    pub fn rest(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// An error at the current address.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::format(self.address(), message)
    }

    fn need(&self, n: usize, what: &str) -> Result<()> {
        if n > self.remaining() {
            return Err(self.error(format!(
                "truncated: {} needs {} bytes, {} left",
                what,
                n,
                self.remaining()
            )));
        }
        Ok(())
    }

    /// The `n` bytes at the current position, bounds-checked.
    fn window(&self, n: usize, what: &str) -> Result<&'a [u8]> {
        self.need(n, what)?;
        self.pos
            .checked_add(n)
            .and_then(|end| self.data.get(self.pos..end))
            .ok_or_else(|| self.error(format!("truncated: {} needs {} bytes", what, n)))
    }

    /// The next `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self.window(n, "field")?;
        self.pos += n;
        Ok(s)
    }
    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.need(n, "skip")?;
        self.pos += n;
        Ok(())
    }
    /// Moves to absolute position `pos` within this cursor (0 = its first byte).
    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(self.error(format!("seek to {} past end {}", pos, self.data.len())));
        }
        self.pos = pos;
        Ok(())
    }
    /// Skips to the next multiple of `align` counted from this cursor's start.
    pub fn align(&mut self, align: usize) -> Result<()> {
        if align <= 1 {
            return Ok(());
        }
        let pad = (align - self.pos % align) % align;
        let pad = pad.min(self.remaining());
        self.pos += pad;
        Ok(())
    }
    /// A sub-cursor over the next `n` bytes; this cursor moves past them.
    pub fn split(&mut self, n: usize) -> Result<Reader<'a>> {
        let data = self.window(n, "sub-structure")?;
        let r = Reader { data, pos: 0, base: self.address(), sizes: self.sizes };
        self.pos += n;
        Ok(r)
    }
    /// Checks a 4-byte signature such as `b"OHDR"`.
    pub fn signature(&mut self, sig: &[u8; 4], what: &str) -> Result<()> {
        let at = self.address();
        let got = self.array::<4>()?;
        if &got != sig {
            return Err(Error::format(
                at,
                format!(
                    "bad {} signature: expected {:?}, found {:?}",
                    what,
                    String::from_utf8_lossy(sig),
                    String::from_utf8_lossy(&got)
                ),
            ));
        }
        Ok(())
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }
    /// An unsigned little-endian integer of `n` bytes (0..=8).
    pub fn uint(&mut self, n: usize) -> Result<u64> {
        if n > 8 {
            return Err(self.error(format!("integer field of {} bytes is wider than 8", n)));
        }
        let s = self.bytes(n)?;
        let mut v = 0u64;
        for (i, b) in s.iter().enumerate() {
            v |= (*b as u64) << (8 * i);
        }
        Ok(v)
    }
    /// A file address ("Size of Offsets" bytes). All ones becomes [`UNDEFINED_ADDRESS`].
    pub fn offset(&mut self) -> Result<u64> {
        let n = self.sizes.offset as usize;
        let v = self.uint(n)?;
        Ok(if n < 8 && v == (1u64 << (8 * n)) - 1 { UNDEFINED_ADDRESS } else { v })
    }
    /// A file address, `None` when undefined.
    pub fn address_field(&mut self) -> Result<Option<u64>> {
        let v = self.offset()?;
        Ok(if v == UNDEFINED_ADDRESS { None } else { Some(v) })
    }
    /// A length ("Size of Lengths" bytes).
    pub fn length(&mut self) -> Result<u64> {
        self.uint(self.sizes.length as usize)
    }
    /// A NUL-terminated string (the NUL is consumed, not returned).
    pub fn cstr(&mut self) -> Result<&'a [u8]> {
        let rest = self.rest();
        match rest.iter().position(|&b| b == 0).and_then(|n| Some((n, rest.get(..n)?))) {
            Some((n, s)) => {
                self.pos += n + 1;
                Ok(s)
            }
            None => Err(self.error("string has no NUL terminator")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_and_addressed() {
        let data = [1u8, 0, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        let mut r = Reader::new(&data, 100, Sizes::new(4, 4).unwrap());
        assert_eq!(r.u16().unwrap(), 1);
        assert_eq!(r.u32().unwrap(), 2);
        assert_eq!(r.address(), 106);
        assert_eq!(r.offset().unwrap(), UNDEFINED_ADDRESS);
        let e = r.u8().unwrap_err();
        assert_eq!(e.offset, Some(110));
    }

    #[test]
    fn split_bounds_sub_structure() {
        let data = [1u8, 2, 3, 4, 5];
        let mut r = Reader::new(&data, 0, Sizes::default());
        let mut s = r.split(2).unwrap();
        assert_eq!(s.u16().unwrap(), 0x0201);
        assert!(s.u8().is_err());
        assert_eq!(r.u8().unwrap(), 3);
        assert!(r.split(5).is_err());
    }
}

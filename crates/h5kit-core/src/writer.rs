//! The encoding twin of [`crate::Reader`]: a little-endian output cursor that knows the file's
//! "Size of Offsets" and "Size of Lengths" (spec II.A) and the file address its first byte
//! will have.
//!
//! Every structure that has a `decode(&mut Reader)` gets an `encode(&self, &mut Writer)` and an
//! `encoded_size(sizes)` beside it, in the crate that owns the structure, so that
//! `decode(encode(x)) == x` can be tested for each. Addresses are written with the file's
//! offset width; [`Writer::offset`] writes the undefined address as all ones in that width,
//! as [`crate::Reader::offset`] reads it back.

use crate::{lookup3, Error, Result, Sizes, UNDEFINED_ADDRESS};

/// A growable output cursor. `address()` is the file address the next byte will have.
#[derive(Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
    base: u64,
    sizes: Sizes,
}

impl Writer {
    /// An empty cursor whose first byte will sit at file address `base`.
    pub fn new(base: u64, sizes: Sizes) -> Self {
        Writer { buf: Vec::new(), base, sizes }
    }

    /// An empty cursor with room for `capacity` bytes.
    pub fn with_capacity(base: u64, sizes: Sizes, capacity: usize) -> Self {
        Writer { buf: Vec::with_capacity(capacity), base, sizes }
    }

    pub fn sizes(&self) -> Sizes {
        self.sizes
    }
    /// File address of the next byte.
    pub fn address(&self) -> u64 {
        self.base.wrapping_add(self.buf.len() as u64)
    }
    /// File address of the first byte.
    pub fn start_address(&self) -> u64 {
        self.base
    }
    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// The bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }
    pub fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    pub fn u8(&mut self, x: u8) {
        self.buf.push(x);
    }
    pub fn u16(&mut self, x: u16) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub fn u32(&mut self, x: u32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub fn u64(&mut self, x: u64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub fn i32(&mut self, x: i32) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub fn i64(&mut self, x: i64) {
        self.buf.extend_from_slice(&x.to_le_bytes());
    }
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    /// A 4-byte signature ("OHDR", "TREE", ...).
    pub fn signature(&mut self, sig: &[u8; 4]) {
        self.buf.extend_from_slice(sig);
    }
    pub fn zeros(&mut self, n: usize) {
        self.buf.resize(self.buf.len() + n, 0);
    }
    /// Pads with zeros to a multiple of `align` bytes counted from the cursor's start.
    pub fn align(&mut self, align: usize) {
        if align > 1 {
            let r = self.buf.len() % align;
            if r != 0 {
                self.zeros(align - r);
            }
        }
    }

    /// An unsigned little-endian integer of `n` bytes (0..=8). Fails if `x` does not fit.
    pub fn uint(&mut self, x: u64, n: usize) -> Result<()> {
        if n > 8 || (n < 8 && x >> (8 * n) != 0) {
            return Err(Error::usage(format!("value {} does not fit in {} bytes", x, n)));
        }
        self.buf.extend_from_slice(x.to_le_bytes().get(..n).unwrap_or(&[]));
        Ok(())
    }

    /// A file address in "Size of Offsets" bytes; [`UNDEFINED_ADDRESS`] is written as all ones.
    pub fn offset(&mut self, address: u64) -> Result<()> {
        let n = self.sizes.offset as usize;
        if address == UNDEFINED_ADDRESS {
            self.buf.extend(std::iter::repeat_n(0xff, n));
            return Ok(());
        }
        self.uint(address, n).map_err(|_| Error::usage(format!("address {} does not fit in {}-byte offsets", address, n)))
    }

    /// A file address, `None` written as the undefined address.
    pub fn address_field(&mut self, address: Option<u64>) -> Result<()> {
        self.offset(address.unwrap_or(UNDEFINED_ADDRESS))
    }

    /// A length in "Size of Lengths" bytes.
    pub fn length(&mut self, x: u64) -> Result<()> {
        let n = self.sizes.length as usize;
        self.uint(x, n).map_err(|_| Error::usage(format!("length {} does not fit in {}-byte lengths", x, n)))
    }

    /// A NUL-terminated string.
    pub fn cstr(&mut self, s: &[u8]) {
        self.buf.extend_from_slice(s);
        self.buf.push(0);
    }

    /// Appends the lookup3 checksum of the bytes from position `from` to here (the checksum
    /// that ends every version 2 metadata structure).
    pub fn checksum_from(&mut self, from: usize) {
        let sum = lookup3(self.buf.get(from..).unwrap_or(&[]), 0);
        self.u32(sum);
    }

    /// Drops what was written from position `pos` on (an encoder that failed midway takes
    /// back its partial output instead of writing into a scratch buffer first).
    pub fn truncate(&mut self, pos: usize) {
        self.buf.truncate(pos);
    }

    /// Reserves room for `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Overwrites bytes already written, at position `pos` (for sizes known only later).
    pub fn patch(&mut self, pos: usize, bytes: &[u8]) -> Result<()> {
        let end = pos.checked_add(bytes.len()).filter(|&e| e <= self.buf.len());
        match end.and_then(|e| self.buf.get_mut(pos..e)) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(Error::usage(format!("patch of {} bytes at {} is past the {} written", bytes.len(), pos, self.buf.len()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Reader;

    #[test]
    fn writes_read_back_with_the_same_widths() {
        let sizes = Sizes::new(4, 2).unwrap();
        let mut w = Writer::new(100, sizes);
        w.u16(1);
        w.offset(0x1234_5678).unwrap();
        w.offset(UNDEFINED_ADDRESS).unwrap();
        w.address_field(None).unwrap();
        w.length(0xffff).unwrap();
        w.cstr(b"ab");
        assert_eq!(w.address(), 100 + 2 + 4 + 4 + 4 + 2 + 3);
        let bytes = w.into_inner();
        let mut r = Reader::new(&bytes, 100, sizes);
        assert_eq!(r.u16().unwrap(), 1);
        assert_eq!(r.offset().unwrap(), 0x1234_5678);
        assert_eq!(r.offset().unwrap(), UNDEFINED_ADDRESS);
        assert_eq!(r.address_field().unwrap(), None);
        assert_eq!(r.length().unwrap(), 0xffff);
        assert_eq!(r.cstr().unwrap(), b"ab");
        assert!(r.is_empty());
    }

    #[test]
    fn values_too_wide_for_their_field_are_errors() {
        let mut w = Writer::new(0, Sizes::new(2, 2).unwrap());
        assert!(w.offset(0x1_0000).is_err());
        assert!(w.length(0x1_0000).is_err());
        assert!(w.uint(1, 9).is_err());
        assert!(w.is_empty());
    }

    #[test]
    fn checksum_and_patch() {
        let mut w = Writer::new(0, Sizes::default());
        w.signature(b"TEST");
        w.u32(0);
        w.patch(4, &7u32.to_le_bytes()).unwrap();
        w.checksum_from(0);
        let bytes = w.as_slice();
        assert_eq!(&bytes[4..8], &7u32.to_le_bytes());
        assert_eq!(&bytes[8..12], &lookup3(&bytes[..8], 0).to_le_bytes());
        assert!(w.clone().patch(10, &[0; 4]).is_err());
        let mut a = Writer::new(0, Sizes::default());
        a.u8(1);
        a.align(8);
        assert_eq!(a.position(), 8);
    }
}

//! Bit I/O of AEC streams (CCSDS 121.0-B section 5: the coded data is a bit string, most
//! significant bit of each byte first).

use crate::{Error, Result};

/// Appends bit fields to a byte vector, most significant bit first.
pub(crate) struct BitWriter {
    pub out: Vec<u8>,
    acc: u64,
    /// Bits held in `acc` (at its low end), less than 32 between calls.
    n: u32,
}

impl BitWriter {
    pub fn with_capacity(cap: usize) -> Self {
        BitWriter { out: Vec::with_capacity(cap), acc: 0, n: 0 }
    }

    /// Appends the low `bits` bits of `v` (`bits` <= 32).
    #[inline]
    pub fn put(&mut self, v: u32, bits: u32) {
        if bits == 0 {
            return;
        }
        let v = u64::from(v) & (u64::MAX >> (64 - bits));
        self.acc = (self.acc << bits) | v;
        self.n += bits;
        if self.n >= 32 {
            self.n -= 32;
            let w = (self.acc >> self.n) as u32;
            self.out.extend_from_slice(&w.to_be_bytes());
        }
    }

    /// Appends `count` zero bits.
    pub fn zeros(&mut self, mut count: u64) {
        while count > 0 {
            let c = count.min(32) as u32;
            self.put(0, c);
            count -= u64::from(c);
        }
    }

    /// A fundamental sequence: `fs` zero bits then a one.
    #[inline]
    pub fn fs(&mut self, fs: u32) {
        if fs < 32 {
            self.put(1, fs + 1);
        } else {
            self.zeros(u64::from(fs));
            self.put(1, 1);
        }
    }

    /// Bits written so far.
    #[cfg(test)]
    pub fn bit_len(&self) -> u64 {
        self.out.len() as u64 * 8 + u64::from(self.n)
    }

    /// Zero bits up to the next byte boundary.
    pub fn align(&mut self) {
        let r = self.n % 8;
        if r != 0 {
            self.put(0, 8 - r);
        }
    }

    /// The bytes, the last one padded with zero bits.
    pub fn finish(mut self) -> Vec<u8> {
        self.align();
        while self.n >= 8 {
            self.n -= 8;
            self.out.push((self.acc >> self.n) as u8);
        }
        self.out
    }
}

/// Reads bit fields, most significant bit first.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Next byte of `data` to load.
    pos: usize,
    acc: u64,
    /// Valid bits at the low end of `acc` (0 to 64).
    n: u32,
    /// A read failed because the stream ended.
    pub hit_end: bool,
}

#[inline]
fn low_mask(n: u32) -> u64 {
    if n == 0 {
        0
    } else {
        u64::MAX >> (64 - n)
    }
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0, acc: 0, n: 0, hit_end: false }
    }

    /// Byte offset of the next unread bit (for errors).
    pub fn byte_pos(&self) -> usize {
        self.pos - (self.n as usize).div_ceil(8)
    }

    #[inline]
    fn refill(&mut self) {
        if let Some(w) = self.pos.checked_add(8).and_then(|e| self.data.get(self.pos..e)) {
            let w = u64::from_be_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8]));
            let t = (64 - self.n) / 8;
            if t == 8 {
                self.acc = w;
            } else if t > 0 {
                self.acc = (self.acc << (8 * t)) | (w >> (64 - 8 * t));
            }
            self.n += 8 * t;
            self.pos += t as usize;
        } else {
            while self.n <= 56 {
                match self.data.get(self.pos) {
                    Some(&b) => {
                        self.acc = (self.acc << 8) | u64::from(b);
                        self.n += 8;
                        self.pos += 1;
                    }
                    None => break,
                }
            }
        }
    }

    #[cold]
    fn eof(&mut self, what: &str) -> Error {
        self.hit_end = true;
        Error::at(format!("stream ends inside {}", what), self.data.len())
    }

    /// The next `k` bits (`k` <= 32).
    #[inline(always)]
    pub fn get(&mut self, k: u32, what: &str) -> Result<u32> {
        if k == 0 {
            return Ok(0);
        }
        if self.n < k {
            self.refill();
            if self.n < k {
                return Err(self.eof(what));
            }
        }
        self.n -= k;
        Ok(((self.acc >> self.n) & low_mask(k)) as u32)
    }

    /// A fundamental sequence: the number of zero bits before the next one bit.
    #[inline(always)]
    pub fn fs(&mut self, what: &str) -> Result<u32> {
        let v = self.acc & low_mask(self.n);
        if v != 0 {
            let top = 63 - v.leading_zeros();
            let count = self.n - 1 - top;
            self.n = top;
            return Ok(count);
        }
        self.fs_slow(what)
    }

    /// [`BitReader::fs`] when the sequence runs past the bits held.
    #[cold]
    fn fs_slow(&mut self, what: &str) -> Result<u32> {
        let mut count: u64 = 0;
        loop {
            let v = self.acc & low_mask(self.n);
            if v != 0 {
                let top = 63 - v.leading_zeros();
                count += u64::from(self.n - 1 - top);
                self.n = top;
                return u32::try_from(count).map_err(|_| Error::at(format!("{}: run of zero bits too long", what), self.byte_pos()));
            }
            count += u64::from(self.n);
            self.n = 0;
            self.refill();
            if self.n == 0 {
                return Err(self.eof(what));
            }
        }
    }

    /// Skips to the next byte boundary of the stream.
    pub fn align(&mut self) {
        self.n -= self.n % 8;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let mut w = BitWriter::with_capacity(0);
        w.put(0b101, 3);
        w.fs(40);
        w.put(0xdead_beef, 32);
        w.fs(0);
        w.put(7, 5);
        let bits = w.bit_len();
        let bytes = w.finish();
        assert_eq!(bytes.len() as u64, bits.div_ceil(8));
        let mut r = BitReader::new(&bytes);
        assert_eq!(r.get(3, "").unwrap(), 0b101);
        assert_eq!(r.fs("").unwrap(), 40);
        assert_eq!(r.get(32, "").unwrap(), 0xdead_beef);
        assert_eq!(r.fs("").unwrap(), 0);
        assert_eq!(r.get(5, "").unwrap(), 7);
        assert!(r.get(8, "x").is_err());
        // All zero bits: no one bit to end the sequence.
        assert!(BitReader::new(&[0; 20]).fs("fs").is_err());
    }
}

//! Most-significant-bit-first bit reader shared by the n-bit and scale-offset filters (both
//! pack values MSB first, filling each byte from its top bit).

use h5kit_core::{Error, Result};

pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Bit position from the start.
    pos: usize,
    at: u64,
    what: &'static str,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8], at: u64, what: &'static str) -> Self {
        BitReader { data, pos: 0, at, what }
    }

    pub(crate) fn error(&self, msg: &str) -> Error {
        Error::format(self.at, format!("{}: {}", self.what, msg))
    }

    /// The next `n` bits (n <= 64) as an unsigned value, first bit most significant.
    pub(crate) fn bits(&mut self, n: u32) -> Result<u64> {
        let mut v = 0u64;
        let mut left = n;
        while left > 0 {
            let byte = *self
                .data
                .get(self.pos / 8)
                .ok_or_else(|| Error::format(self.at, format!("{}: packed data truncated", self.what)))?;
            let used = (self.pos % 8) as u32;
            let avail = 8 - used;
            let take = avail.min(left);
            let chunk = (u32::from(byte) >> (avail - take)) & ((1u32 << take) - 1);
            v = if take >= 64 { u64::from(chunk) } else { (v << take) | u64::from(chunk) };
            self.pos += take as usize;
            left -= take;
        }
        Ok(v)
    }
}

/// Most-significant-bit-first bit writer (the inverse of [`BitReader`]).
pub(crate) struct BitWriter {
    pub(crate) out: Vec<u8>,
    /// Bits used in the last byte of `out` (0: start a new byte).
    used: u32,
}

impl BitWriter {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        BitWriter { out: Vec::with_capacity(bytes), used: 0 }
    }

    /// Appends the low `n` bits of `v` (n <= 64), most significant first.
    pub(crate) fn put(&mut self, v: u64, n: u32) {
        let mut left = n;
        while left > 0 {
            if self.used == 0 {
                self.out.push(0);
            }
            let room = 8 - self.used;
            let take = room.min(left);
            let chunk = ((v >> (left - take)) & ((1u64 << take) - 1)) as u8;
            if let Some(last) = self.out.last_mut() {
                *last |= chunk << (room - take);
            }
            self.used = (self.used + take) % 8;
            left -= take;
        }
    }

    /// The bytes as libhdf5's n-bit and scale-offset filters size them: the index of the byte
    /// being filled plus one, i.e. one zero byte more when the bits end on a byte boundary.
    pub(crate) fn finish_libhdf5(mut self) -> Vec<u8> {
        if self.used == 0 {
            self.out.push(0);
        }
        self.out
    }
}

//! szip: the CCSDS 121.0-B "Lossless Data Compression" adaptive Rice coder as libaec implements
//! it, and the HDF5 szip filter (filter id 4) built on it. Pure Rust, encoder beside decoder.
//!
//! Layers, each in its module:
//! - [`encode`] / [`decode`]: raw Adaptive Entropy Coding streams (what libaec's
//!   `aec_buffer_encode` / `aec_buffer_decode` and the `aec` tool write and read), with every
//!   libaec option: block sizes 8/16/32/64 (any even size with [`flags::NOT_ENFORCE`]),
//!   reference sample interval, unit-delay preprocessing of unsigned or signed samples,
//!   MSB/LSB sample order, 3-byte samples, the restricted code set and RSI padding. The encoder
//!   chooses the same code option and Rice parameter per block as libaec 1.0.6 (same bytes).
//! - [`sz`]: libaec's szlib compatibility layer (`SZ_BufftoBuffCompress` /
//!   `SZ_BufftoBuffDecompress`): the szip option mask, 32- and 64-bit pixels coded as byte
//!   planes, scanlines padded to whole blocks.
//! - [`hdf5`]: libhdf5's `H5Zszip.c`: the chunk framing (uncompressed size, 4 bytes
//!   little-endian, then the stream) and the client data `set_local` computes
//!   (option mask, pixels per block, bits per pixel, pixels per scanline).
//!
//! Everything here runs on hostile bytes (fuzzed): errors, never panics; output bounded by the
//! caller's size. See spec-notes/szip.md.
#![deny(clippy::indexing_slicing)]

mod bits;
pub mod decode;
pub mod encode;
pub mod hdf5;
pub mod sz;

use std::fmt;

/// libaec's `flags` of an `aec_stream` (libaec.h), same values.
pub mod flags {
    /// Samples are two's complement (preprocessing of signed values).
    pub const DATA_SIGNED: u32 = 1;
    /// Samples of 17 to 24 bits take 3 bytes (else 4).
    pub const DATA_3BYTE: u32 = 2;
    /// Samples are stored most significant byte first.
    pub const DATA_MSB: u32 = 4;
    /// Unit-delay prediction and mapping ("NN" preprocessing, reference samples).
    pub const DATA_PREPROCESS: u32 = 8;
    /// The restricted code option set (samples of at most 4 bits).
    pub const RESTRICTED: u32 = 16;
    /// Each reference sample interval starts on a byte boundary.
    pub const PAD_RSI: u32 = 32;
    /// Any even block size, not only 8, 16, 32, 64.
    pub const NOT_ENFORCE: u32 = 64;
}

/// The parameters of a raw AEC stream (libaec's `aec_stream` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Bits per sample, 1 to 32.
    pub bits_per_sample: u32,
    /// Samples per block: 8, 16, 32 or 64 (any even number with [`flags::NOT_ENFORCE`]).
    pub block_size: u32,
    /// Reference sample interval, in blocks (1 to 4096).
    pub rsi: u32,
    /// [`flags`] bits.
    pub flags: u32,
}

/// A malformed stream or unusable parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub message: String,
    /// Byte offset in the compressed stream where decoding stopped, if known.
    pub offset: Option<u64>,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), offset: None }
    }
    pub(crate) fn at(message: impl Into<String>, offset: usize) -> Self {
        Error { message: message.into(), offset: Some(offset as u64) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{} (at byte {} of the szip stream)", self.message, o),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Largest reference sample interval times block size accepted (libaec's encoder allows
/// rsi <= 4096 and block size 64; the decoder keeps one interval of samples in memory).
const MAX_RSI_SAMPLES: u64 = 4096 * 64;

/// What the parameters imply (libaec's `aec_encode_init` / `aec_decode_init`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub bps: u32,
    pub bs: usize,
    pub rsi: usize,
    pub id_len: u32,
    pub bytes: usize,
    pub msb: bool,
    pub pp: bool,
    pub signed: bool,
    pub pad_rsi: bool,
}

impl Layout {
    pub(crate) fn new(p: &Params) -> Result<Layout> {
        let bps = p.bits_per_sample;
        if bps == 0 || bps > 32 {
            return Err(Error::new(format!("{} bits per sample (1 to 32)", bps)));
        }
        let bs = p.block_size;
        if p.flags & flags::NOT_ENFORCE != 0 {
            if bs == 0 || !bs.is_multiple_of(2) || bs > 4096 {
                return Err(Error::new(format!("block size {} (an even number up to 4096)", bs)));
            }
        } else if !matches!(bs, 8 | 16 | 32 | 64) {
            return Err(Error::new(format!("block size {} (8, 16, 32 or 64)", bs)));
        }
        if p.rsi == 0 || p.rsi > 4096 || u64::from(p.rsi) * u64::from(bs) > MAX_RSI_SAMPLES {
            return Err(Error::new(format!("reference sample interval of {} blocks of {} samples", p.rsi, bs)));
        }
        let (id_len, bytes) = if bps > 16 {
            (5, if bps <= 24 && p.flags & flags::DATA_3BYTE != 0 { 3 } else { 4 })
        } else if bps > 8 {
            (4, 2)
        } else if p.flags & flags::RESTRICTED != 0 {
            match bps {
                1 | 2 => (1, 1),
                3 | 4 => (2, 1),
                _ => return Err(Error::new(format!("restricted code options need at most 4 bits per sample, not {}", bps))),
            }
        } else {
            (3, 1)
        };
        Ok(Layout {
            bps,
            bs: bs as usize,
            rsi: p.rsi as usize,
            id_len,
            bytes,
            msb: p.flags & flags::DATA_MSB != 0,
            pp: p.flags & flags::DATA_PREPROCESS != 0,
            signed: p.flags & flags::DATA_SIGNED != 0,
            pad_rsi: p.flags & flags::PAD_RSI != 0,
        })
    }

    /// Largest sample value (unsigned), or largest positive value (signed).
    pub(crate) fn xmax(&self) -> i64 {
        if self.signed {
            (1i64 << (self.bps - 1)) - 1
        } else {
            (1i64 << self.bps) - 1
        }
    }

    /// Smallest sample value.
    pub(crate) fn xmin(&self) -> i64 {
        if self.signed {
            -(1i64 << (self.bps - 1))
        } else {
            0
        }
    }

    /// The code option identifier of an uncompressed block (all ones).
    pub(crate) fn id_uncomp(&self) -> u32 {
        (1u32 << self.id_len) - 1
    }
}

pub use decode::{decode, decode_upto};
pub use encode::encode;

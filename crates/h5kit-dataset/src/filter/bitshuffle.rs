//! Bitshuffle filter (id 32008, the bitshuffle HDF5 plugin `bshuf_h5filter.c`).
//!
//! Client data: major and minor version, element size, block size in elements (0: default),
//! compression (0 none, 2 LZ4, 3 zstd), zstd level.
//!
//! The transform works on blocks of `block` elements (a multiple of 8): within a block of `n`
//! elements of `m` bytes, bit `b` (byte `b / 8`, bit `b % 8` counted from the least significant)
//! of element `i` is stored at bit position `b * n + i` of the output, bits filling each output
//! byte from its least significant bit. After the full blocks, the rest is one block rounded
//! down to a multiple of 8 elements, and the last `count % 8` elements are stored as they are.
//!
//! With compression the chunk starts with the uncompressed size (8 bytes, big-endian) and the
//! block size in bytes (4 bytes, big-endian); each block is then its compressed size (4 bytes
//! big-endian) and the LZ4 block (or zstd frame) of the bitshuffled block; the trailing
//! `count % 8` elements follow raw.

use std::io::Read;

use h5kit_core::{Error, Limits, Result};

use super::{be_u32, be_u64, check_size};

const TARGET_BLOCK_BYTES: usize = 8192;
const MIN_BLOCK: usize = 128;

/// The plugin's default block size (elements) for an element size.
pub fn default_block_size(elem_size: usize) -> usize {
    let b = TARGET_BLOCK_BYTES / elem_size.max(1);
    (b - b % 8).max(MIN_BLOCK)
}

/// Element counts of the transposed blocks of a chunk of `count` elements: full blocks of
/// `block` (a multiple of 8), then the rest rounded down to a multiple of 8; the last
/// `count % 8` elements are not transposed.
fn block_lens(count: usize, block: usize) -> impl Iterator<Item = usize> {
    let (full, rest) = count.checked_div(block).zip(count.checked_rem(block)).unwrap_or((0, 0));
    let last = rest - rest % 8;
    std::iter::repeat_n(block, full).chain((last > 0).then_some(last))
}

/// Client data: element size (cd[2], else the datatype's), block size in elements (cd[3], 0 =
/// default), compression (cd[4]).
fn params(cd: &[u32], element_size: usize, at: u64) -> Result<(usize, usize, u32)> {
    let elem = cd.get(2).map(|&v| v as usize).filter(|&v| v > 0).unwrap_or(element_size);
    if elem == 0 {
        return Err(Error::format(at, "bitshuffle: element size 0"));
    }
    let block = cd.get(3).map(|&v| v as usize).filter(|&v| v > 0).unwrap_or_else(|| default_block_size(elem));
    if block & 7 != 0 {
        return Err(Error::format(at, format!("bitshuffle: block size {} is not a multiple of 8", block)));
    }
    Ok((elem, block, cd.get(4).copied().unwrap_or(0)))
}

/// Decodes a bitshuffled chunk.
pub fn decode(data: &[u8], cd: &[u32], element_size: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let (elem, block, compression) = params(cd, element_size, at)?;
    match compression {
        0 => {
            let count = data.len() / elem;
            let mut out = vec![0u8; data.len()];
            let mut pos = 0usize;
            for n in block_lens(count, block) {
                let nbytes = n * elem;
                let (Some(src), Some(dst)) = (data.get(pos..pos + nbytes), out.get_mut(pos..pos + nbytes)) else {
                    return Err(Error::format(at, "bitshuffle: block past the end of the chunk"));
                };
                untranspose(src, dst, n, elem);
                pos += nbytes;
            }
            if let (Some(src), Some(dst)) = (data.get(pos..), out.get_mut(pos..)) {
                dst.copy_from_slice(src);
            }
            Ok(out)
        }
        2 | 3 => {
            let total = be_u64(data, 0, at, "bitshuffle header")?;
            let block_bytes = be_u32(data, 8, at, "bitshuffle header")? as usize;
            let total_n = check_size(limits, total, at, "bitshuffle output")?;
            if total_n % elem != 0 {
                return Err(Error::format(at, format!("bitshuffle: size {} is not a multiple of the element size {}", total, elem)));
            }
            // The plugin reads a block size of 0 as the default.
            let block = if block_bytes == 0 { default_block_size(elem) } else { block_bytes / elem };
            if block == 0 || block & 7 != 0 {
                return Err(Error::format(at, format!("bitshuffle: block size {} bytes is invalid", block_bytes)));
            }
            let count = total_n / elem;
            let mut out = vec![0u8; total_n];
            let mut tmp = Vec::new();
            let mut rest = data.get(12..).unwrap_or(&[]);
            let mut pos = 0usize;
            for n in block_lens(count, block) {
                let nbytes = n * elem;
                let csize = be_u32(rest, 0, at, "bitshuffle block header")? as usize;
                let src = rest.get(4..).and_then(|r| r.get(..csize)).ok_or_else(|| {
                    Error::format(at, format!("bitshuffle: block of {} bytes runs past the end of the chunk", csize))
                })?;
                tmp.clear();
                if compression == 2 {
                    tmp.resize(nbytes, 0);
                    let got = lz4_flex::block::decompress_into(src, &mut tmp)
                        .map_err(|e| Error::format(at, format!("bitshuffle: corrupt LZ4 block: {}", e)))?;
                    if got != nbytes {
                        return Err(Error::format(at, format!("bitshuffle: block decoded to {} bytes, expected {}", got, nbytes)));
                    }
                } else {
                    let mut s = src;
                    let dec = ruzstd::decoding::StreamingDecoder::new(&mut s)
                        .map_err(|e| Error::format(at, format!("bitshuffle: bad zstd frame: {}", e)))?;
                    dec.take(nbytes as u64 + 1)
                        .read_to_end(&mut tmp)
                        .map_err(|e| Error::format(at, format!("bitshuffle: corrupt zstd frame: {}", e)))?;
                    if tmp.len() != nbytes {
                        return Err(Error::format(at, format!("bitshuffle: block decoded to {} bytes, expected {}", tmp.len(), nbytes)));
                    }
                }
                let dst = out.get_mut(pos..pos + nbytes).ok_or_else(|| Error::format(at, "bitshuffle: block past the output"))?;
                untranspose(&tmp, dst, n, elem);
                pos += nbytes;
                rest = rest.get(4 + csize..).unwrap_or(&[]);
            }
            let dst = out.get_mut(pos..).unwrap_or(&mut []);
            let tail = rest.get(..dst.len()).ok_or_else(|| Error::format(at, "bitshuffle: trailing elements missing"))?;
            dst.copy_from_slice(tail);
            Ok(out)
        }
        c => Err(Error::unsupported(at, format!("bitshuffle compression {}", c))),
    }
}

/// Encodes a chunk as the plugin does with client data `cd` (uncompressed, LZ4 or zstd at
/// level cd[5]). Compressed chunks record the block size in bytes (the default one when
/// cd[3] is 0).
pub fn encode(data: &[u8], cd: &[u32], element_size: usize) -> Result<Vec<u8>> {
    let (elem, block, compression) = params(cd, element_size, 0)?;
    if !data.len().is_multiple_of(elem) {
        return Err(Error::unsupported(0, format!("bitshuffle: {} bytes is not a whole number of {}-byte elements", data.len(), elem)));
    }
    let count = data.len() / elem;
    let mut out = Vec::with_capacity(data.len() + 12);
    if compression != 0 {
        if !matches!(compression, 2 | 3) {
            return Err(Error::unsupported(0, format!("bitshuffle compression {}", compression)));
        }
        let block_bytes = block
            .checked_mul(elem)
            .and_then(|b| u32::try_from(b).ok())
            .ok_or_else(|| Error::unsupported(0, "bitshuffle: block size too large"))?;
        out.extend_from_slice(&(data.len() as u64).to_be_bytes());
        out.extend_from_slice(&block_bytes.to_be_bytes());
    }
    let mut pos = 0usize;
    for n in block_lens(count, block) {
        let nbytes = n * elem;
        let src = data.get(pos..pos + nbytes).unwrap_or(&[]);
        let t = transpose(src, n, elem);
        match compression {
            0 => out.extend_from_slice(&t),
            c => {
                let z = if c == 2 { lz4_flex::block::compress(&t) } else { super::zstd::encode(&t, cd.get(5).copied().unwrap_or(3)) };
                let size = u32::try_from(z.len()).map_err(|_| Error::unsupported(0, "bitshuffle: block too large"))?;
                out.extend_from_slice(&size.to_be_bytes());
                out.extend_from_slice(&z);
            }
        }
        pos += nbytes;
    }
    out.extend_from_slice(data.get(pos..).unwrap_or(&[]));
    Ok(out)
}

/// Bit-untransposes one block of `n` elements (n % 8 == 0) of `elem` bytes.
fn untranspose(src: &[u8], dst: &mut [u8], n: usize, elem: usize) {
    // src bit (b * n + i) = bit b of element i; rows of n bits = n / 8 bytes.
    let row_bytes = n / 8;
    if row_bytes == 0 {
        return;
    }
    for (b, row) in src.chunks_exact(row_bytes).enumerate().take(elem * 8) {
        let (byte_in_elem, bit) = (b / 8, b % 8);
        for (k, &v) in row.iter().enumerate() {
            if v == 0 {
                continue;
            }
            for t in 0..8 {
                if v & (1 << t) != 0 {
                    if let Some(o) = dst.get_mut((k * 8 + t) * elem + byte_in_elem) {
                        *o |= 1 << bit;
                    }
                }
            }
        }
    }
}

/// Bit-transposes one block of `n` elements (the inverse of `untranspose`).
pub fn transpose(src: &[u8], n: usize, elem: usize) -> Vec<u8> {
    let mut dst = vec![0u8; src.len()];
    let row_bytes = n / 8;
    if row_bytes == 0 || elem == 0 {
        return dst;
    }
    for (i, e) in src.chunks_exact(elem).enumerate().take(n) {
        let (col, mask) = (i / 8, 1u8 << (i % 8));
        for (byte_in_elem, &v) in e.iter().enumerate() {
            if v == 0 {
                continue;
            }
            for bit in 0..8 {
                if v & (1 << bit) != 0 {
                    if let Some(o) = dst.get_mut((byte_in_elem * 8 + bit) * row_bytes + col) {
                        *o |= mask;
                    }
                }
            }
        }
    }
    dst
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn transpose_known_bits_and_roundtrip() {
        // 8 one-byte elements 0..8: bit 0 row = elements 1,3,5,7 -> 0b1010_1010.
        let src: Vec<u8> = (0..8).collect();
        let t = transpose(&src, 8, 1);
        assert_eq!(t, [0xaa, 0xcc, 0xf0, 0, 0, 0, 0, 0]);
        let mut back = vec![0u8; 8];
        untranspose(&t, &mut back, 8, 1);
        assert_eq!(back, src);
        // Uncompressed mode with a tail of 3 elements.
        let data: Vec<u8> = (0..(19 * 4)).map(|i| (i * 37 % 251) as u8).collect();
        let mut enc = transpose(&data[..64], 16, 4);
        enc.extend_from_slice(&data[64..]);
        assert_eq!(decode(&enc, &[0, 3, 4, 0, 0], 4, &Limits::default(), 0).unwrap(), data);
        assert_eq!(encode(&data, &[0, 3, 4, 16, 0], 4).unwrap(), enc);
    }

    #[test]
    fn encode_roundtrip_all_modes() {
        let data: Vec<u8> = (0..(1003u32 * 2)).map(|i| ((i / 2) % 97) as u8 ^ (i % 2) as u8).collect();
        for cd in [[0, 4, 2, 0, 0, 0], [0, 4, 2, 0, 2, 0], [0, 4, 2, 0, 3, 3], [0, 4, 2, 64, 2, 0], [0, 4, 2, 8, 0, 0]] {
            let e = encode(&data, &cd, 2).unwrap();
            assert_eq!(decode(&e, &cd, 2, &Limits::default(), 0).unwrap(), data, "{:?}", cd);
            if cd[4] != 0 {
                // Total size 2006, block size in bytes (default 4096 elements x 2).
                assert_eq!(e[..8], 2006u64.to_be_bytes());
                let bs = if cd[3] == 0 { 8192u32 } else { cd[3] * 2 };
                assert_eq!(e[8..12], bs.to_be_bytes());
            }
        }
        assert!(encode(&data[..5], &[0, 4, 2, 0, 0], 2).is_err());
        assert!(encode(&data, &[0, 4, 2, 0, 1], 2).is_err());
    }
}

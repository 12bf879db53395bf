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

/// Decodes a bitshuffled chunk.
pub fn decode(data: &[u8], cd: &[u32], element_size: usize, limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let elem = cd.get(2).map(|&v| v as usize).filter(|&v| v > 0).unwrap_or(element_size);
    if elem == 0 {
        return Err(Error::format(at, "bitshuffle: element size 0"));
    }
    let compression = cd.get(4).copied().unwrap_or(0);
    match compression {
        0 => {
            let block = cd.get(3).map(|&v| v as usize).filter(|&v| v > 0).unwrap_or_else(|| default_block_size(elem));
            if block & 7 != 0 {
                return Err(Error::format(at, format!("bitshuffle: block size {} is not a multiple of 8", block)));
            }
            let count = data.len() / elem;
            let mut out = vec![0u8; data.len()];
            let mut done = 0usize;
            while count - done >= 8 {
                let n = (count - done).min(block);
                let n = n - n % 8;
                let (s, e) = (done * elem, (done + n) * elem);
                untranspose(&data[s..e], &mut out[s..e], n, elem);
                done += n;
            }
            out[done * elem..].copy_from_slice(&data[done * elem..]);
            Ok(out)
        }
        2 | 3 => {
            let total = be_u64(data, 0, at, "bitshuffle header")?;
            let block_bytes = be_u32(data, 8, at, "bitshuffle header")? as usize;
            let total_n = check_size(limits, total, at, "bitshuffle output")?;
            if total_n % elem != 0 {
                return Err(Error::format(at, format!("bitshuffle: size {} is not a multiple of the element size {}", total, elem)));
            }
            let block = block_bytes / elem;
            if block == 0 || block & 7 != 0 {
                return Err(Error::format(at, format!("bitshuffle: block size {} bytes is invalid", block_bytes)));
            }
            let count = total_n / elem;
            let mut out = vec![0u8; total_n];
            let mut tmp = Vec::new();
            let mut pos = 12usize;
            let mut done = 0usize;
            while count - done >= 8 {
                let n = (count - done).min(block);
                let n = n - n % 8;
                let nbytes = n * elem;
                let csize = be_u32(data, pos, at, "bitshuffle block header")? as usize;
                pos += 4;
                let end = pos.checked_add(csize).filter(|&e| e <= data.len()).ok_or_else(|| {
                    Error::format(at, format!("bitshuffle: block of {} bytes runs past the end of the chunk", csize))
                })?;
                let src = &data[pos..end];
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
                    let dec = ruzstd::StreamingDecoder::new(&mut s)
                        .map_err(|e| Error::format(at, format!("bitshuffle: bad zstd frame: {}", e)))?;
                    dec.take(nbytes as u64 + 1)
                        .read_to_end(&mut tmp)
                        .map_err(|e| Error::format(at, format!("bitshuffle: corrupt zstd frame: {}", e)))?;
                    if tmp.len() != nbytes {
                        return Err(Error::format(at, format!("bitshuffle: block decoded to {} bytes, expected {}", tmp.len(), nbytes)));
                    }
                }
                let s = done * elem;
                untranspose(&tmp, &mut out[s..s + nbytes], n, elem);
                done += n;
                pos = end;
            }
            let rest = total_n - done * elem;
            let tail = pos
                .checked_add(rest)
                .and_then(|e| data.get(pos..e))
                .ok_or_else(|| Error::format(at, "bitshuffle: trailing elements missing"))?;
            out[done * elem..].copy_from_slice(tail);
            Ok(out)
        }
        c => Err(Error::unsupported(at, format!("bitshuffle compression {}", c))),
    }
}

/// Bit-untransposes one block of `n` elements (n % 8 == 0) of `elem` bytes.
fn untranspose(src: &[u8], dst: &mut [u8], n: usize, elem: usize) {
    // src bit (b * n + i) = bit b of element i; rows of n bits = n / 8 bytes.
    let row_bytes = n / 8;
    for b in 0..elem * 8 {
        let row = &src[b * row_bytes..(b + 1) * row_bytes];
        let (byte_in_elem, bit) = (b / 8, b % 8);
        for (k, &v) in row.iter().enumerate() {
            if v == 0 {
                continue;
            }
            for t in 0..8 {
                if v & (1 << t) != 0 {
                    let i = k * 8 + t;
                    dst[i * elem + byte_in_elem] |= 1 << bit;
                }
            }
        }
    }
}

/// Bit-transposes one block (the inverse of `untranspose`); used by tests and the writer.
pub fn transpose(src: &[u8], n: usize, elem: usize) -> Vec<u8> {
    let mut dst = vec![0u8; src.len()];
    let row_bytes = n / 8;
    for i in 0..n {
        for b in 0..elem * 8 {
            if src[i * elem + b / 8] & (1 << (b % 8)) != 0 {
                dst[b * row_bytes + i / 8] |= 1 << (i % 8);
            }
        }
    }
    dst
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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
    }
}

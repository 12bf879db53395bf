//! libaec's szlib compatibility (`SZ_BufftoBuffCompress` / `SZ_BufftoBuffDecompress`, what
//! libhdf5's szip filter calls), over the raw coder:
//! - the option mask: `NN` (32) turns on preprocessing, `MSB` (16) the byte order of samples
//!   of 9 bits or more; `ALLOW_K13` (1), `CHIP` (2), `EC` (4, entropy coding only: no `NN`),
//!   `LSB` (8) and `RAW` (128) change nothing in libaec (every stream is raw);
//! - blocks of `pixels_per_block`, a reference sample interval of
//!   ceil(`pixels_per_scanline` / `pixels_per_block`) blocks;
//! - 32- and 64-bit pixels are coded as 8-bit samples after splitting the buffer into byte
//!   planes (byte j of every pixel, in memory order, then byte j+1);
//! - the input is cut into scanlines of `pixels_per_scanline` pixels, each padded to whole
//!   blocks (with its last pixel under `NN`, else zeros), the last one too (libaec 1.1's
//!   encoder; 1.0.6 padded only when the scanline was not a whole number of blocks and left
//!   a short last scanline to the coder; every variant decodes the same).

use crate::{flags, Error, Params, Result};

pub const ALLOW_K13: u32 = 1;
pub const CHIP: u32 = 2;
pub const EC: u32 = 4;
pub const LSB: u32 = 8;
pub const MSB: u32 = 16;
pub const NN: u32 = 32;
pub const RAW: u32 = 128;

/// szlib's `SZ_com_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SzParams {
    pub options_mask: u32,
    pub bits_per_pixel: u32,
    pub pixels_per_block: u32,
    pub pixels_per_scanline: u32,
}

/// The raw coder's parameters, whether pixels are split into byte planes, and the bytes of
/// one coded sample.
fn raw_params(sz: &SzParams) -> Result<(Params, bool, usize)> {
    let ppb = sz.pixels_per_block;
    let pps = sz.pixels_per_scanline;
    if ppb == 0 || !ppb.is_multiple_of(2) || ppb > 64 {
        return Err(Error::new(format!("szip: {} pixels per block (an even number up to 64)", ppb)));
    }
    if pps == 0 || pps > 65536 {
        return Err(Error::new(format!("szip: {} pixels per scanline", pps)));
    }
    let interleave = sz.bits_per_pixel == 32 || sz.bits_per_pixel == 64;
    let bps = if interleave { 8 } else { sz.bits_per_pixel };
    if bps == 0 || bps > 32 {
        return Err(Error::new(format!("szip: {} bits per pixel (1 to 32, or 64)", sz.bits_per_pixel)));
    }
    let mut fl = flags::NOT_ENFORCE;
    if sz.options_mask & MSB != 0 {
        fl |= flags::DATA_MSB;
    }
    if sz.options_mask & NN != 0 {
        fl |= flags::DATA_PREPROCESS;
    }
    let p = Params { bits_per_sample: bps, block_size: ppb, rsi: pps.div_ceil(ppb), flags: fl };
    let pixel = match bps {
        0..=8 => 1,
        9..=16 => 2,
        _ => 4,
    };
    Ok((p, interleave, pixel))
}

/// Bytes of one pixel in the caller's buffer.
fn word_size(sz: &SzParams) -> usize {
    (sz.bits_per_pixel as usize).div_ceil(8).next_power_of_two().clamp(1, 8)
}

/// Compresses `src` (whole pixels). The stream may be longer than `src`.
pub fn compress(sz: &SzParams, src: &[u8]) -> Result<Vec<u8>> {
    let (p, interleave, pixel) = raw_params(sz)?;
    let planes;
    let buf: &[u8] = if interleave {
        let w = (sz.bits_per_pixel / 8) as usize;
        if !src.len().is_multiple_of(w) {
            return Err(Error::new(format!("szip: {} bytes are not whole {}-byte pixels", src.len(), w)));
        }
        planes = interleave_bytes(src, w);
        &planes
    } else {
        if !src.len().is_multiple_of(pixel) {
            return Err(Error::new(format!("szip: {} bytes are not whole {}-byte pixels", src.len(), pixel)));
        }
        src
    };
    let line = sz.pixels_per_scanline as usize * pixel;
    let padded_line = (p.rsi * p.block_size) as usize * pixel;
    let mut padded = Vec::with_capacity(buf.len().div_ceil(line.max(1)) * padded_line);
    for l in buf.chunks(line) {
        padded.extend_from_slice(l);
        let fill: [u8; 4] = match l.len().checked_sub(pixel).and_then(|s| l.get(s..)) {
            Some(last) if p.flags & flags::DATA_PREPROCESS != 0 => {
                let mut f = [0u8; 4];
                f.get_mut(..pixel).unwrap_or(&mut []).copy_from_slice(last);
                f
            }
            _ => [0; 4],
        };
        let px = fill.get(..pixel).unwrap_or(&[]);
        for _ in 0..(padded_line - l.len()) / pixel {
            padded.extend_from_slice(px);
        }
    }
    crate::encode(&p, &padded)
}

/// Decompresses `dest_len` bytes (whole pixels) from `src`; an error if the stream holds
/// fewer.
pub fn decompress(sz: &SzParams, src: &[u8], dest_len: usize) -> Result<Vec<u8>> {
    let (p, interleave, pixel) = raw_params(sz)?;
    let w = if interleave { (sz.bits_per_pixel / 8) as usize } else { pixel };
    if !dest_len.is_multiple_of(w) {
        return Err(Error::new(format!("szip: {} bytes are not whole {}-byte pixels", dest_len, w)));
    }
    let pps = sz.pixels_per_scanline as usize;
    let out = if !pps.is_multiple_of(sz.pixels_per_block as usize) {
        // Scanlines padded to whole blocks: decode the padding too, then drop it.
        let line = pps * pixel;
        let padded_line = (p.rsi * p.block_size) as usize * pixel;
        let (full, rest) = (dest_len / line, dest_len % line);
        let need = full.saturating_mul(padded_line).saturating_add(rest);
        let raw = crate::decode(&p, src, need)?;
        let mut out = Vec::with_capacity(dest_len);
        for l in raw.chunks(padded_line) {
            let take = line.min(dest_len - out.len());
            out.extend_from_slice(l.get(..take).unwrap_or(l));
        }
        out
    } else {
        crate::decode(&p, src, dest_len)?
    };
    Ok(if interleave { deinterleave_bytes(&out, w) } else { out })
}

/// Byte planes: byte j of pixel i goes to j * (n / w) + i.
fn interleave_bytes(src: &[u8], w: usize) -> Vec<u8> {
    let n = src.len() / w;
    let mut out = vec![0u8; src.len()];
    for (j, plane) in out.chunks_mut(n.max(1)).enumerate().take(w) {
        for (o, px) in plane.iter_mut().zip(src.chunks_exact(w)) {
            *o = px.get(j).copied().unwrap_or(0);
        }
    }
    out
}

fn deinterleave_bytes(src: &[u8], w: usize) -> Vec<u8> {
    let n = src.len() / w;
    let mut out = vec![0u8; src.len()];
    for (j, plane) in src.chunks(n.max(1)).enumerate().take(w) {
        for (px, &b) in out.chunks_exact_mut(w).zip(plane) {
            if let Some(o) = px.get_mut(j) {
                *o = b;
            }
        }
    }
    out
}

/// The caller's pixel size in bytes (for checks by the HDF5 layer).
pub fn pixel_bytes(sz: &SzParams) -> usize {
    word_size(sz)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn planes_roundtrip() {
        let src: Vec<u8> = (0..24u8).collect();
        let p = interleave_bytes(&src, 4);
        assert_eq!(&p[..6], &[0, 4, 8, 12, 16, 20]);
        assert_eq!(deinterleave_bytes(&p, 4), src);
    }

    #[test]
    fn roundtrip_padded_scanlines() {
        for (bpp, ppb, pps, mask) in [(16, 8, 100, NN), (8, 32, 40, EC), (32, 16, 50, NN | MSB), (64, 8, 8, NN), (24, 8, 12, EC | MSB)] {
            let sz = SzParams { options_mask: mask, bits_per_pixel: bpp, pixels_per_block: ppb, pixels_per_scanline: pps };
            let w = pixel_bytes(&sz);
            let n = 1000 * w;
            let src: Vec<u8> = (0..n).map(|i| ((i * 7) % 251) as u8 & if bpp == 24 && i % 4 == 0 { 0 } else { 0xff }).collect();
            let c = compress(&sz, &src).unwrap();
            assert_eq!(decompress(&sz, &c, n).unwrap(), src, "{:?}", sz);
        }
    }
}

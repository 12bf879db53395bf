//! The Adaptive Entropy Decoder (CCSDS 121.0-B-3 sections 3 to 5), reading what libaec's
//! encoder writes: per reference sample interval, coded data sets of one block each (or of a
//! run of zero blocks), each starting with its option identifier; then the inverse of the
//! preprocessor's mapping (section 4.3) against the interval's reference sample.
//!
//! Hostile streams: every read is bounds-checked, a zero-block run may not pass the end of its
//! interval, a second-extension value past the table (beta > 12) is an error (as in libaec),
//! and the output never exceeds the size the caller gives.

use crate::bits::BitReader;
use crate::{Error, Layout, Params, Result};

/// Decodes exactly `out_len` bytes (a whole number of samples) from a raw AEC stream; an
/// error if the stream ends first. Bytes of the stream after the last needed block are
/// ignored (the encoder pads the last block).
pub fn decode(params: &Params, input: &[u8], out_len: usize) -> Result<Vec<u8>> {
    let l = Layout::new(params)?;
    if !out_len.is_multiple_of(l.bytes) {
        return Err(Error::new(format!("output of {} bytes is not a whole number of {}-byte samples", out_len, l.bytes)));
    }
    let out = decode_upto(params, input, out_len)?;
    if out.len() < out_len {
        return Err(Error::at(
            format!("stream ends after {} of the {} bytes of output", out.len(), out_len),
            input.len(),
        ));
    }
    Ok(out)
}

/// Decodes at most `max_len` bytes, fewer if the stream ends first (what libaec's
/// `aec_buffer_decode` returns: the samples of every complete coded data set).
pub fn decode_upto(params: &Params, input: &[u8], max_len: usize) -> Result<Vec<u8>> {
    let l = Layout::new(params)?;
    let max_samples = max_len / l.bytes;
    let rsi_samples = l.rsi * l.bs;
    let mut d = vec![0u32; rsi_samples];
    let mut out = Vec::with_capacity(max_len.min(1 << 24));
    let mut r = BitReader::new(input);
    let mut produced = 0usize;
    let mut first = true;
    while produced < max_samples {
        if l.pad_rsi && !first {
            r.align();
        }
        first = false;
        let mut used = 0usize;
        let mut ended = false;
        while used < rsi_samples && produced + used < max_samples {
            match cds(&l, &mut r, &mut d, used) {
                Ok(n) => used += n,
                Err(_) if r.hit_end => {
                    ended = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let n = used.min(max_samples - produced);
        postprocess(&l, d.get_mut(..n).unwrap_or(&mut []), &mut out);
        produced += n;
        if ended || n == 0 {
            break;
        }
    }
    Ok(out)
}

/// Second extension: the values m = beta(beta+1)/2 + second of a pair, for beta 0 to 12
/// (libaec's table size).
const SE_MAX: u32 = 90;

/// Decodes one coded data set into `d[used..]`; returns the number of samples it holds.
fn cds(l: &Layout, r: &mut BitReader<'_>, d: &mut [u32], used: usize) -> Result<usize> {
    let with_ref = l.pp && used == 0;
    let rf = usize::from(with_ref);
    let id = r.get(l.id_len, "a block's option identifier")?;
    let room = d.len() - used;
    let block = d.get_mut(used..used + l.bs.min(room)).unwrap_or(&mut []);
    if block.len() < l.bs {
        return Err(Error::at("block past the end of its reference sample interval", r.byte_pos()));
    }
    if id == 0 {
        let second_ext = r.get(1, "a low-entropy option bit")? == 1;
        if with_ref {
            if let Some(x) = block.first_mut() {
                *x = r.get(l.bps, "a reference sample")?;
            }
        }
        if second_ext {
            let mut i = rf;
            while i < l.bs {
                let m = r.fs("a second-extension pair")?;
                if m > SE_MAX {
                    return Err(Error::at(format!("second-extension value {} (at most {})", m, SE_MAX), r.byte_pos()));
                }
                let (beta, ms) = se_split(m);
                let second = m - ms;
                if i % 2 == 0 {
                    if let Some(x) = block.get_mut(i) {
                        *x = beta - second;
                    }
                    i += 1;
                }
                if let Some(x) = block.get_mut(i) {
                    *x = second;
                }
                i += 1;
            }
            return Ok(l.bs);
        }
        // A run of zero blocks.
        let fs = r.fs("a zero-block count")?;
        let b = used / l.bs;
        let blocks = match fs.saturating_add(1) {
            5 => (l.rsi - b).min(64 - b % 64),
            n if n > 5 => (n - 1) as usize,
            n => n as usize,
        };
        let samples = blocks.saturating_mul(l.bs);
        if samples > room {
            return Err(Error::at(
                format!("run of {} zero blocks past the end of its reference sample interval ({} blocks left)", blocks, room / l.bs),
                r.byte_pos(),
            ));
        }
        for x in d.iter_mut().skip(used + rf).take(samples - rf) {
            *x = 0;
        }
        return Ok(samples);
    }
    if id == l.id_uncomp() {
        for x in block.iter_mut() {
            *x = r.get(l.bps, "an uncompressed block")?;
        }
        return Ok(l.bs);
    }
    // Split-sample option k = id - 1.
    let k = id - 1;
    if with_ref {
        if let Some(x) = block.first_mut() {
            *x = r.get(l.bps, "a reference sample")?;
        }
    }
    let body = block.get_mut(rf..).unwrap_or(&mut []);
    for x in body.iter_mut() {
        *x = r.fs("a split-sample block")? << k;
    }
    if k > 0 {
        for x in body.iter_mut() {
            *x = x.wrapping_add(r.get(k, "a split-sample block")?);
        }
    }
    Ok(l.bs)
}

/// (beta, beta(beta+1)/2) of a second-extension value m.
fn se_split(m: u32) -> (u32, u32) {
    let mut beta = 0u32;
    while (beta + 1) * (beta + 2) / 2 <= m {
        beta += 1;
    }
    (beta, beta * (beta + 1) / 2)
}

/// Undoes the preprocessing of one interval's `d` (the reference sample first; in place)
/// and appends the samples to `out` in the layout's byte order.
fn postprocess(l: &Layout, d: &mut [u32], out: &mut Vec<u8>) {
    if l.pp {
        unmap(l, d);
    }
    store(l, d, out);
}

/// The inverse of the prediction-error mapping (CCSDS 121.0-B-3 4.3): with theta the distance
/// from the previous sample to the nearer end of the range, a value up to 2 theta is a signed
/// difference (even: up, odd: down), a larger one the distance from that nearer end.
fn unmap(l: &Layout, d: &mut [u32]) {
    let (xmin, xmax) = (l.xmin(), l.xmax());
    let Some((first, rest)) = d.split_first_mut() else { return };
    let mut x = i64::from(*first);
    if l.signed {
        let m = 1i64 << (l.bps - 1);
        x = ((x & ((1i64 << l.bps) - 1)) ^ m) - m;
    }
    *first = x as u32;
    for v in rest.iter_mut() {
        let dv = i64::from(*v);
        let (lo, hi) = (x - xmin, xmax - x);
        x = if dv <= 2 * lo.min(hi) {
            if dv & 1 == 0 {
                x + (dv >> 1)
            } else {
                x - ((dv + 1) >> 1)
            }
        } else if lo <= hi {
            xmin + dv
        } else {
            xmax - dv
        };
        *v = x as u32;
    }
}

/// Appends samples as `l.bytes` bytes each, MSB or LSB first.
fn store(l: &Layout, d: &[u32], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + d.len() * l.bytes, 0);
    let dst = out.get_mut(start..).unwrap_or(&mut []);
    match (l.bytes, l.msb) {
        (1, _) => dst.iter_mut().zip(d).for_each(|(o, &v)| *o = v as u8),
        (2, false) => dst.chunks_exact_mut(2).zip(d).for_each(|(o, &v)| o.copy_from_slice(&(v as u16).to_le_bytes())),
        (2, true) => dst.chunks_exact_mut(2).zip(d).for_each(|(o, &v)| o.copy_from_slice(&(v as u16).to_be_bytes())),
        (4, false) => dst.chunks_exact_mut(4).zip(d).for_each(|(o, &v)| o.copy_from_slice(&v.to_le_bytes())),
        (4, true) => dst.chunks_exact_mut(4).zip(d).for_each(|(o, &v)| o.copy_from_slice(&v.to_be_bytes())),
        (_, false) => dst.chunks_exact_mut(3).zip(d).for_each(|(o, &v)| o.copy_from_slice(v.to_le_bytes().get(..3).unwrap_or(&[0; 3]))),
        (_, true) => dst.chunks_exact_mut(3).zip(d).for_each(|(o, &v)| o.copy_from_slice(v.to_be_bytes().get(1..).unwrap_or(&[0; 3]))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::flags;

    #[test]
    fn se_table() {
        assert_eq!(se_split(0), (0, 0));
        assert_eq!(se_split(1), (1, 1));
        assert_eq!(se_split(2), (1, 1));
        assert_eq!(se_split(3), (2, 3));
        assert_eq!(se_split(90), (12, 78));
    }

    #[test]
    fn zero_run_roundtrip_and_truncation() {
        let p = Params { bits_per_sample: 8, block_size: 8, rsi: 2, flags: flags::DATA_PREPROCESS };
        assert_eq!(decode(&p, &[0x00, 0x74], 16).unwrap(), vec![7; 16]);
        assert_eq!(decode(&p, &[0x00, 0x74], 10).unwrap(), vec![7; 10]);
        assert!(decode(&p, &[0x00], 16).is_err());
        assert!(decode(&p, &[], 1).is_err());
        assert_eq!(decode(&p, &[], 0).unwrap(), Vec::<u8>::new());
    }
}

//! Scale-offset filter (id 6, libhdf5 H5Zscaleoffset.c).
//!
//! Client data (written by libhdf5): `[0]` scale type (0 float D-scale, 1 float E-scale, 2
//! integer), `[1]` scale factor, `[2]` number of elements in the chunk, `[3]` class (0 integer,
//! 1 float), `[4]` size, `[5]` sign (0 unsigned, 1 signed), `[6]` order (0 LE, 1 BE), `[7]` 1
//! when a fill value is defined, `[8..]` the fill value bytes in little-endian memory order,
//! four to a value.
//!
//! Chunk: "minbits" (4 bytes LE), the size of "minval" (1 byte), minval (LE, up to 8 bytes;
//! for floats the bytes of the minimum float), padding to byte 21, then each element's
//! offset from the minimum in `minbits` bits, packed most-significant bit first. A packed value
//! of all ones means the fill value when one is defined. `minbits` equal to the full width
//! means the data is stored as is. Floats (D-scale): value = offset / 10^factor + minimum.

use h5kit_core::{Error, Limits, Result};

use super::bits::BitReader;

const HEADER: usize = 21;

/// Decodes a scale-offset chunk.
pub fn decode(data: &[u8], cd: &[u32], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let [scale_type, factor, nelmts, class, size, _sign, order, fill_flag, ..] = *cd else {
        return Err(Error::format(at, format!("scale-offset: {} client data values, at least 8 needed", cd.len())));
    };
    let (factor, nelmts, size) = (factor as i32, u64::from(nelmts), size as usize);
    let big_endian = order == 1;
    let fill_defined = fill_flag == 1;
    if !matches!(size, 1 | 2 | 4 | 8) || (class == 1 && !matches!(size, 4 | 8)) || class > 1 {
        return Err(Error::unsupported(at, format!("scale-offset: class {} of size {}", class, size)));
    }
    if class == 1 && scale_type != 0 {
        return Err(Error::unsupported(at, format!("scale-offset: float scale type {} (only D-scale)", scale_type)));
    }
    if data.len() < HEADER {
        return Err(Error::format(at, "scale-offset: chunk shorter than its header"));
    }
    let (head, payload) = data.split_at(HEADER);
    let (mb, rest) = head.split_at(4);
    let minbits = u32::from_le_bytes(<[u8; 4]>::try_from(mb).unwrap_or_default());
    let (&minval_size, minval_bytes) = rest.split_first().unwrap_or((&0, &[]));
    let mut minval = 0u64;
    for (i, b) in minval_bytes.iter().take(usize::from(minval_size).min(8)).enumerate() {
        minval |= u64::from(*b) << (8 * i);
    }
    let width = (size * 8) as u32;
    if minbits > width {
        return Err(Error::format(at, format!("scale-offset: minbits {} wider than the type ({} bits)", minbits, width)));
    }
    let total = nelmts.checked_mul(size as u64).ok_or_else(|| Error::format(at, "scale-offset: size overflows"))?;
    let need = nelmts.saturating_mul(u64::from(minbits));
    if need > (payload.len() as u64).saturating_mul(8) {
        return Err(Error::format(at, format!("scale-offset: {} elements of {} bits do not fit in {} bytes", nelmts, minbits, payload.len())));
    }
    let n = limits.check_alloc(total, at, "scale-offset output")?;
    let mut out = vec![0u8; n];
    if minbits == width {
        let src = payload.get(..n).ok_or_else(|| Error::format(at, "scale-offset: data truncated"))?;
        out.copy_from_slice(src);
        if big_endian {
            swap(&mut out, size);
        }
        return Ok(out);
    }
    let mut r = BitReader::new(payload, at, "scale-offset");
    let mut fill = 0u64;
    if fill_defined {
        for i in 0..size {
            let word = cd.get(8 + i / 4).copied().unwrap_or(0);
            fill |= u64::from((word >> (8 * (i % 4))) & 0xff) << (8 * i);
        }
    }
    let all_ones = (1u64 << minbits) - 1;
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    for e in out.chunks_exact_mut(size) {
        let v = if minbits > 0 { r.bits(minbits)? } else { 0 };
        let is_fill = fill_defined && v == all_ones;
        let bits = if class == 0 {
            if is_fill { fill } else { v.wrapping_add(minval) & mask }
        } else if is_fill {
            fill
        } else if size == 4 {
            let min = f32::from_bits(minval as u32);
            let x = (v as u32 as i32) as f32 / 10f32.powf(factor as f32) + min;
            u64::from(x.to_bits())
        } else {
            let min = f64::from_bits(minval);
            let x = (v as i64) as f64 / 10f64.powf(f64::from(factor)) + min;
            x.to_bits()
        };
        for (o, b) in e.iter_mut().zip(bits.to_le_bytes()) {
            *o = b;
        }
    }
    if big_endian {
        swap(&mut out, size);
    }
    Ok(out)
}

fn swap(data: &mut [u8], size: usize) {
    for e in data.chunks_exact_mut(size) {
        e.reverse();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn chunk(minbits: u32, minval: u64, packed: &[u8]) -> Vec<u8> {
        let mut c = minbits.to_le_bytes().to_vec();
        c.push(8);
        c.extend_from_slice(&minval.to_le_bytes());
        c.resize(HEADER, 0);
        c.extend_from_slice(packed);
        c
    }

    #[test]
    fn integers_with_and_without_fill() {
        // 3 u16 in 4 bits: offsets 1, 15 (fill), 3 -> 0001 1111 0011 0000.
        let c = chunk(4, 100, &[0x1f, 0x30]);
        let cd = [2, 0, 3, 0, 2, 0, 0, 1, 7];
        let out = decode(&c, &cd, &Limits::default(), 0).unwrap();
        assert_eq!(out, [101, 0, 7, 0, 103, 0]);
        let cd = [2, 0, 3, 0, 2, 0, 0, 0];
        assert_eq!(decode(&c, &cd, &Limits::default(), 0).unwrap(), [101, 0, 115, 0, 103, 0]);
        // minbits 0: every element is the minimum; big-endian output.
        let c = chunk(0, 5, &[]);
        assert_eq!(decode(&c, &[2, 0, 2, 0, 2, 1, 1, 0], &Limits::default(), 0).unwrap(), [0, 5, 0, 5]);
        assert!(decode(&c[..10], &[2, 0, 2, 0, 2, 1, 1, 0], &Limits::default(), 0).is_err());
        assert!(decode(&chunk(17, 0, &[]), &[2, 0, 2, 0, 2, 1, 1, 0], &Limits::default(), 0).is_err());
    }
}

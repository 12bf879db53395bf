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

use h5kit_object_header::{ByteOrder, Datatype, TypeClass};

use super::bits::{BitReader, BitWriter};

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

/// libhdf5's `H5Z__scaleoffset_log2`: the bits needed for `num` distinct values.
fn bits_for(num: u128) -> u32 {
    let mut v = 0u32;
    let mut bound = 1u128;
    while num > bound {
        bound <<= 1;
        v += 1;
    }
    v
}

/// Encodes an integer chunk as libhdf5's scale-offset filter does (integer scale type 2;
/// floating-point data is not encoded: an error, so that the optional filter is skipped).
/// The minimum (skipping fill values) is subtracted and each offset packed in `minbits` bits
/// (cd[1] when positive, else the fewest bits for the range, one value more when a fill value
/// is defined: all ones stands for it); the full width stores the data as it is.
pub fn encode(data: &[u8], cd: &[u32], at: u64) -> Result<Vec<u8>> {
    let [scale_type, factor, nelmts, class, size, sign, order, fill_flag, ..] = *cd else {
        return Err(Error::format(at, format!("scale-offset: {} client data values, at least 8 needed", cd.len())));
    };
    if class != 0 || scale_type != 2 {
        return Err(Error::unsupported(at, "scale-offset: only integer data is encoded"));
    }
    let size = size as usize;
    if !matches!(size, 1 | 2 | 4 | 8) {
        return Err(Error::unsupported(at, format!("scale-offset: integers of size {}", size)));
    }
    let width = (size * 8) as u32;
    let mask = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
    let (signed, big_endian, fill_defined) = (sign == 1, order == 1, fill_flag == 1);
    let value = |e: &[u8]| -> u64 {
        let mut b = [0u8; 8];
        for (k, &x) in e.iter().enumerate().take(8) {
            let pos = if big_endian { size - 1 - k } else { k };
            if let Some(o) = b.get_mut(pos) {
                *o = x;
            }
        }
        u64::from_le_bytes(b)
    };
    let as_i128 = |v: u64| -> i128 {
        if signed && width < 64 && v >> (width - 1) & 1 == 1 {
            i128::from(v) - (1i128 << width)
        } else if signed && width == 64 {
            i128::from(v as i64)
        } else {
            i128::from(v)
        }
    };
    let mut fill = 0u64;
    if fill_defined {
        for i in 0..size {
            let word = cd.get(8 + i / 4).copied().unwrap_or(0);
            fill |= u64::from((word >> (8 * (i % 4))) & 0xff) << (8 * i);
        }
    }
    let vals: Vec<u64> = data.chunks_exact(size).take(nelmts as usize).map(value).collect();
    let mut range: Option<(i128, i128)> = None;
    for &v in &vals {
        if fill_defined && v == fill {
            continue;
        }
        let x = as_i128(v);
        range = Some(match range {
            None => (x, x),
            Some((lo, hi)) => (lo.min(x), hi.max(x)),
        });
    }
    let (min, max) = range.unwrap_or((0, 0));
    let span = (max - min) as u128;
    let minbits = if factor > 0 {
        if factor > width {
            return Err(Error::unsupported(at, format!("scale-offset: minimum bits {} wider than the type", factor)));
        }
        factor
    } else if fill_defined {
        if span > u128::from(u64::MAX - 2) { width } else { bits_for(span + 2).min(width) }
    } else if span > u128::from(u64::MAX - 1) {
        width
    } else {
        bits_for(span + 1).min(width)
    };
    let mut out = Vec::with_capacity(HEADER + data.len());
    out.extend_from_slice(&minbits.to_le_bytes());
    out.push(8);
    out.extend_from_slice(&(min as i64 as u64).to_le_bytes());
    out.resize(HEADER, 0);
    if minbits == width {
        for v in &vals {
            out.extend_from_slice(v.to_le_bytes().get(..size).unwrap_or(&[]));
        }
        return Ok(out);
    }
    let all_ones = if minbits == 0 { 0 } else { u64::MAX >> (64 - minbits) };
    let mut w = BitWriter::with_capacity(vals.len() * minbits as usize / 8 + 1);
    for &v in &vals {
        let x = if fill_defined && v == fill { all_ones } else { ((as_i128(v) - min) as u64) & mask & all_ones };
        w.put(x, minbits);
    }
    out.extend_from_slice(&w.finish_libhdf5());
    Ok(out)
}

/// libhdf5's scale-offset "set local" client data (20 values) for an integer or
/// floating-point datatype (others: `None`), keeping the scale type and factor of `cd`:
/// [scale type, factor, elements per chunk, class (0 integer, 1 float), size, sign, order,
/// 1 (a fill value is always defined, 0 by default), fill value bytes little-endian, 4 per
/// value].
pub fn set_local(cd: &[u32], dt: &Datatype, chunk_elems: u64, fill: Option<&[u8]>) -> Option<Vec<u32>> {
    let (class, signed, order) = match &dt.class {
        TypeClass::Integer { order, signed, .. } => (0, *signed, order),
        TypeClass::Float { order, .. } => (1, false, order),
        _ => return None,
    };
    let order = match order {
        ByteOrder::LittleEndian => 0,
        ByteOrder::BigEndian => 1,
        ByteOrder::Vax => return None,
    };
    let mut out = vec![
        cd.first().copied().unwrap_or(if class == 0 { 2 } else { 0 }),
        cd.get(1).copied().unwrap_or(0),
        u32::try_from(chunk_elems).ok()?,
        class,
        dt.size,
        u32::from(signed),
        order,
        1,
    ];
    out.resize(20, 0);
    let mut bytes: Vec<u8> = fill.map(<[u8]>::to_vec).unwrap_or_default();
    if order == 1 {
        bytes.reverse();
    }
    for (i, b) in bytes.iter().enumerate().take(48) {
        if let Some(w) = out.get_mut(8 + i / 4) {
            *w |= u32::from(*b) << (8 * (i % 4));
        }
    }
    Some(out)
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

    #[test]
    fn encode_integers() {
        // 3 u16 101, fill 7, 103: min 101, span 2 + fill -> 2 bits: 00 11 10 -> 0b0011_1000.
        let cd = [2, 0, 3, 0, 2, 0, 0, 1, 7];
        let e = encode(&[101, 0, 7, 0, 103, 0], &cd, 0).unwrap();
        assert_eq!(e, chunk(2, 101, &[0b0011_1000]));
        assert_eq!(decode(&e, &cd, &Limits::default(), 0).unwrap(), [101, 0, 7, 0, 103, 0]);
        // Signed big-endian, no fill: min -3 (sign-extended in the header), span 5 -> 3 bits.
        let cd = [2, 0, 2, 0, 2, 1, 1, 0];
        let e = encode(&[0xff, 0xfd, 0, 2], &cd, 0).unwrap();
        assert_eq!(e, chunk(3, (-3i64) as u64, &[0b0001_0100]));
        assert_eq!(decode(&e, &cd, &Limits::default(), 0).unwrap(), [0xff, 0xfd, 0, 2]);
        // All values equal with a fill value: 1 bit each; floats are not encoded.
        assert_eq!(encode(&[5, 5, 5], &[2, 0, 3, 0, 1, 0, 0, 1, 0], 0).unwrap(), chunk(1, 5, &[0]));
        assert!(encode(&[0; 8], &[0, 2, 2, 1, 4, 1, 0, 1], 0).is_err());
        let dt = Datatype { version: 1, size: 2, class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed: true, bit_offset: 0, precision: 16, pad_lo: false, pad_hi: false } };
        let cd = set_local(&[2, 0], &dt, 30, Some(&[0xf9, 0xff])).unwrap();
        assert_eq!(cd, [2, 0, 30, 0, 2, 1, 0, 1, 65529, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}

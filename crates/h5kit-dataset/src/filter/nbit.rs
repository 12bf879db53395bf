//! N-bit filter (id 5, libhdf5 H5Znbit.c): only the significant bits ("precision" bits at
//! "offset") of each atomic value are stored, packed most-significant bit first; padding bits
//! read back as 0.
//!
//! Client data (all written by libhdf5 when the dataset is created):
//! `[0]` number of values, `[1]` 1 = "no need to compress" (data stored as is), `[2]` number of
//! elements in the chunk, then the datatype description from `[3]`:
//! - atomic (class 1): class, size, order (0 LE, 1 BE), precision, offset;
//! - array (class 2): class, total size, base type description;
//! - compound (class 3): class, size, member count, then per member its byte offset and its
//!   description;
//! - no-op (class 4; types n-bit leaves alone, e.g. strings): class, size (bytes stored whole).

use h5kit_core::{Error, Limits, Result};

use h5kit_object_header::{ByteOrder, Datatype, TypeClass};

use super::bits::{BitReader, BitWriter};

const ATOMIC: u32 = 1;
const ARRAY: u32 = 2;
const COMPOUND: u32 = 3;
const NOOP: u32 = 4;

#[derive(Debug)]
enum Desc {
    Atomic { size: usize, big_endian: bool, precision: u32, offset: u32 },
    Array { size: usize, base: Box<Desc> },
    Compound { size: usize, members: Vec<(usize, Desc)> },
    Noop { size: usize },
}

impl Desc {
    /// Packed bits of one element.
    fn bits(&self) -> u64 {
        match self {
            Desc::Atomic { precision, .. } => u64::from(*precision),
            Desc::Noop { size } => (*size as u64).saturating_mul(8),
            Desc::Array { size, base } => base.bits().saturating_mul((*size / base.size().max(1)) as u64),
            Desc::Compound { members, .. } => members.iter().fold(0u64, |a, (_, m)| a.saturating_add(m.bits())),
        }
    }

    fn size(&self) -> usize {
        match self {
            Desc::Atomic { size, .. } | Desc::Array { size, .. } | Desc::Compound { size, .. } | Desc::Noop { size } => *size,
        }
    }
}

struct Parser<'a> {
    cd: &'a [u32],
    i: usize,
    at: u64,
}

impl Parser<'_> {
    fn next(&mut self) -> Result<u32> {
        let v = *self.cd.get(self.i).ok_or_else(|| Error::format(self.at, "n-bit: client data too short"))?;
        self.i += 1;
        Ok(v)
    }

    fn desc(&mut self, depth: u32) -> Result<Desc> {
        if depth > 32 {
            return Err(Error::format(self.at, "n-bit: datatype description nested too deep"));
        }
        let class = self.next()?;
        let size = self.next()? as usize;
        if size == 0 {
            return Err(Error::format(self.at, "n-bit: datatype size 0"));
        }
        match class {
            ATOMIC => {
                let order = self.next()?;
                let precision = self.next()?;
                let offset = self.next()?;
                let bits = (size as u64) * 8;
                if u64::from(precision) + u64::from(offset) > bits || precision == 0 || order > 1 {
                    return Err(Error::format(
                        self.at,
                        format!("n-bit: invalid precision {} / offset {} for size {}", precision, offset, size),
                    ));
                }
                Ok(Desc::Atomic { size, big_endian: order == 1, precision, offset })
            }
            ARRAY => {
                let base = self.desc(depth + 1)?;
                if base.size() > size {
                    return Err(Error::format(self.at, "n-bit: array base larger than the array"));
                }
                Ok(Desc::Array { size, base: Box::new(base) })
            }
            COMPOUND => {
                let n = self.next()? as usize;
                if n > self.cd.len() {
                    return Err(Error::format(self.at, "n-bit: compound member count exceeds client data"));
                }
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    let off = self.next()? as usize;
                    let m = self.desc(depth + 1)?;
                    if off.checked_add(m.size()).is_none_or(|e| e > size) {
                        return Err(Error::format(self.at, "n-bit: compound member outside the compound"));
                    }
                    members.push((off, m));
                }
                Ok(Desc::Compound { size, members })
            }
            NOOP => Ok(Desc::Noop { size }),
            c => Err(Error::format(self.at, format!("n-bit: unknown datatype class code {}", c))),
        }
    }
}

fn unpack(d: &Desc, out: &mut [u8], r: &mut BitReader) -> Result<()> {
    match d {
        Desc::Atomic { size, big_endian, precision, offset } => {
            for b in (*offset..offset + precision).rev() {
                if r.bits(1)? == 1 {
                    let byte = (b / 8) as usize;
                    // byte < size: precision + offset <= 8 * size (checked when parsed).
                    let idx = if *big_endian { size.saturating_sub(1 + byte) } else { byte };
                    if let Some(o) = out.get_mut(idx) {
                        *o |= 1 << (b % 8);
                    }
                }
            }
        }
        Desc::Noop { size } => {
            for o in out.iter_mut().take(*size) {
                *o = r.bits(8)? as u8;
            }
        }
        Desc::Array { size, base } => {
            let bs = base.size();
            for e in out.chunks_exact_mut(bs.max(1)).take(size / bs.max(1)) {
                unpack(base, e, r)?;
            }
        }
        Desc::Compound { members, .. } => {
            for (off, m) in members {
                let e = out.get_mut(*off..off + m.size()).ok_or_else(|| r.error("compound member outside the element"))?;
                unpack(m, e, r)?;
            }
        }
    }
    Ok(())
}

/// Unpacks an n-bit chunk.
pub fn decode(data: &[u8], cd: &[u32], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let [_, no_compress, nelmts, _, _, ..] = *cd else {
        return Err(Error::format(at, format!("n-bit: {} client data values, at least 5 needed", cd.len())));
    };
    if no_compress != 0 {
        return Ok(data.to_vec());
    }
    let nelmts = u64::from(nelmts);
    let mut p = Parser { cd, i: 3, at };
    let desc = p.desc(0)?;
    let size = desc.size() as u64;
    let total = nelmts.checked_mul(size).ok_or_else(|| Error::format(at, "n-bit: chunk size overflows"))?;
    // The packed input must hold every element's bits: bounds the allocation by the input.
    let need = desc.bits().saturating_mul(nelmts);
    if need > (data.len() as u64).saturating_mul(8) {
        return Err(Error::format(at, format!("n-bit: {} elements need {} bits, the chunk has {}", nelmts, need, data.len() * 8)));
    }
    let n = limits.check_alloc(total, at, "n-bit output")?;
    let mut out = vec![0u8; n];
    let mut r = BitReader::new(data, at, "n-bit");
    let es = desc.size();
    for elem in out.chunks_exact_mut(es) {
        unpack(&desc, elem, &mut r)?;
    }
    Ok(out)
}

fn pack(d: &Desc, e: &[u8], w: &mut BitWriter) {
    match d {
        Desc::Atomic { size, big_endian, precision, offset } => {
            for b in (*offset..offset + precision).rev() {
                let byte = (b / 8) as usize;
                let idx = if *big_endian { size.saturating_sub(1 + byte) } else { byte };
                let bit = e.get(idx).map_or(0, |v| (v >> (b % 8)) & 1);
                w.put(u64::from(bit), 1);
            }
        }
        Desc::Noop { size } => {
            for &x in e.iter().take(*size) {
                w.put(u64::from(x), 8);
            }
        }
        Desc::Array { size, base } => {
            let bs = base.size().max(1);
            for c in e.chunks_exact(bs).take(size / bs) {
                pack(base, c, w);
            }
        }
        Desc::Compound { members, .. } => {
            for (off, m) in members {
                if let Some(c) = e.get(*off..off + m.size()) {
                    pack(m, c, w);
                }
            }
        }
    }
}

/// Packs a chunk as libhdf5's n-bit filter does: each value's significant bits, most
/// significant first, bytes filled from their top bit; the output is one byte longer than
/// the bits when they end on a byte boundary (libhdf5's size). Client data as [`set_local`]
/// makes it; "no need to compress" (cd[1]) copies the chunk.
pub fn encode(data: &[u8], cd: &[u32], at: u64) -> Result<Vec<u8>> {
    let [_, no_compress, nelmts, _, _, ..] = *cd else {
        return Err(Error::format(at, format!("n-bit: {} client data values, at least 5 needed", cd.len())));
    };
    if no_compress != 0 {
        return Ok(data.to_vec());
    }
    let desc = Parser { cd, i: 3, at }.desc(0)?;
    let es = desc.size();
    let mut w = BitWriter::with_capacity(data.len());
    for e in data.chunks_exact(es).take(nelmts as usize) {
        pack(&desc, e, &mut w);
    }
    Ok(w.finish_libhdf5())
}

/// libhdf5's n-bit "set local" client data for an integer or floating-point datatype (other
/// datatypes: `None`): [8, no need to compress, elements per chunk, 1 (atomic), size, order
/// (0 LE, 1 BE), precision, offset].
pub fn set_local(dt: &Datatype, chunk_elems: u64) -> Option<Vec<u32>> {
    let (order, offset, precision) = match &dt.class {
        TypeClass::Integer { order, bit_offset, precision, .. } | TypeClass::Float { order, bit_offset, precision, .. } => {
            (order, *bit_offset, *precision)
        }
        _ => return None,
    };
    let order = match order {
        ByteOrder::LittleEndian => 0,
        ByteOrder::BigEndian => 1,
        ByteOrder::Vax => return None,
    };
    let no_compress = offset == 0 && u32::from(precision) == dt.size.saturating_mul(8);
    Some(vec![8, u32::from(no_compress), u32::try_from(chunk_elems).ok()?, ATOMIC, dt.size, order, u32::from(precision), u32::from(offset)])
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn atomic_le_packed() {
        // Two u16 values with precision 4 at offset 2: 0b1011 and 0b0110 packed -> 0b1011_0110.
        let cd = [8, 0, 2, ATOMIC, 2, 0, 4, 2];
        let out = decode(&[0b1011_0110], &cd, &Limits::default(), 0).unwrap();
        assert_eq!(out, [0b1011 << 2, 0, 0b0110 << 2, 0]);
        // Big-endian order puts the bits in the last byte.
        let cd = [8, 0, 1, ATOMIC, 2, 1, 4, 2];
        assert_eq!(decode(&[0b1011_0000], &cd, &Limits::default(), 0).unwrap(), [0, 0b1011 << 2]);
        // Too little data, bad precision, short client data.
        assert!(decode(&[], &[8, 0, 1, ATOMIC, 2, 0, 4, 2], &Limits::default(), 0).is_err());
        assert!(decode(&[0; 8], &[8, 0, 1, ATOMIC, 2, 0, 15, 2], &Limits::default(), 0).is_err());
        assert!(decode(&[0; 8], &[8, 0, 1, ATOMIC], &Limits::default(), 0).is_err());
        assert!(decode(&[0; 8], &[8, 0, 1, COMPOUND, 4, 1, 3, COMPOUND, 4, 1, 0, NOOP, 2], &Limits::default(), 0).is_err());
    }

    #[test]
    fn encode_packs_like_libhdf5() {
        let cd = [8, 0, 2, ATOMIC, 2, 0, 4, 2];
        // 8 bits end on a byte boundary: libhdf5 writes one more (zero) byte.
        assert_eq!(encode(&[0b1011 << 2, 0, 0b0110 << 2, 0], &cd, 0).unwrap(), [0b1011_0110, 0]);
        let cd = [8, 0, 3, ATOMIC, 2, 1, 4, 2];
        let e = encode(&[0, 0b1011 << 2, 0, 0b0001 << 2, 0, 0b1111 << 2], &cd, 0).unwrap();
        assert_eq!(e, [0b1011_0001, 0b1111_0000]);
        assert_eq!(decode(&e, &cd, &Limits::default(), 0).unwrap(), [0, 0b1011 << 2, 0, 0b0001 << 2, 0, 0b1111 << 2]);
        assert_eq!(encode(&[1, 2, 3], &[8, 1, 3, ATOMIC, 1, 0, 8, 0], 0).unwrap(), [1, 2, 3]);
        let i16 = Datatype { version: 1, size: 4, class: TypeClass::Integer { order: ByteOrder::BigEndian, signed: false, bit_offset: 3, precision: 20, pad_lo: false, pad_hi: false } };
        assert_eq!(set_local(&i16, 77), Some(vec![8, 0, 77, 1, 4, 1, 20, 3]));
    }
}

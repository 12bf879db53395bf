//! The HDF5 szip filter (filter id 4; libhdf5's `H5Zszip.c` and `H5Pset_szip`).
//!
//! Client data (4 values): option mask, pixels per block, bits per pixel, pixels per
//! scanline. A filtered chunk is the uncompressed size (4 bytes, little-endian) then the szip
//! stream ([`crate::sz`]). libhdf5 gives the compressor an output buffer the size of the
//! input: a chunk that does not shrink fails the filter (optional, as `H5Pset_szip` adds it:
//! the chunk is then stored unfiltered).

use crate::sz::{self, SzParams};
use crate::{Error, Result};

/// libhdf5's largest pixels per block and blocks per scanline (szlib.h).
pub const MAX_PIXELS_PER_BLOCK: u32 = 32;
pub const MAX_BLOCKS_PER_SCANLINE: u64 = 128;
pub const MAX_PIXELS_PER_SCANLINE: u64 = 4096;

/// What `set_local` reads of the dataset's datatype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeInfo {
    /// Size in bytes.
    pub size: u32,
    /// Precision in bits.
    pub precision: u32,
    /// Bit offset.
    pub offset: u32,
    /// `Some(true)` big-endian, `Some(false)` little-endian, `None` neither (not szip-able).
    pub big_endian: Option<bool>,
}

/// The option mask `H5Pset_szip` stores: CHIP cleared, ALLOW_K13 and RAW set, the byte order
/// left to `set_local`.
pub fn user_mask(mask: u32) -> u32 {
    ((mask & !sz::CHIP) | sz::ALLOW_K13 | sz::RAW) & !(sz::LSB | sz::MSB)
}

/// The 4 client data values libhdf5 stores for a dataset (`H5Z__can_apply_szip` then
/// `H5Z__set_local_szip`), from the user's `[options_mask, pixels_per_block]` (as given to
/// `H5Pset_szip`, or a stored set), the datatype and the chunk dimensions.
pub fn set_local(cd: &[u32], t: &TypeInfo, chunk: &[u64]) -> Result<[u32; 4]> {
    let (Some(&mask), Some(&ppb)) = (cd.first(), cd.get(1)) else {
        return Err(Error::new("szip: client data needs the option mask and pixels per block"));
    };
    if ppb == 0 || ppb % 2 != 0 || ppb > MAX_PIXELS_PER_BLOCK {
        return Err(Error::new(format!("szip: {} pixels per block (an even number up to 32)", ppb)));
    }
    let size_bits = t.size.saturating_mul(8);
    if size_bits == 0 || (size_bits > 32 && size_bits != 64) {
        return Err(Error::new(format!("szip cannot encode a {}-byte datatype (1 to 4 or 8 bytes)", t.size)));
    }
    let Some(big_endian) = t.big_endian else {
        return Err(Error::new("szip needs a little- or big-endian datatype"));
    };
    let mut precision = t.precision;
    if precision == 0 {
        return Err(Error::new("szip: datatype of precision 0"));
    }
    if precision < size_bits && t.offset != 0 {
        precision = size_bits;
    }
    if precision > 24 {
        precision = if precision <= 32 { 32 } else { 64 };
    }
    let Some(&last) = chunk.last() else {
        return Err(Error::new("szip needs a chunked dataset"));
    };
    let ppb64 = u64::from(ppb);
    let scanline = if last < ppb64 {
        let npoints = chunk.iter().try_fold(1u64, |a, &d| a.checked_mul(d)).unwrap_or(u64::MAX);
        if npoints < ppb64 {
            return Err(Error::new(format!(
                "szip: {} pixels per block, more than the {} elements of a chunk",
                ppb, npoints
            )));
        }
        (ppb64 * MAX_BLOCKS_PER_SCANLINE).min(npoints)
    } else if last <= MAX_PIXELS_PER_SCANLINE {
        (ppb64 * MAX_BLOCKS_PER_SCANLINE).min(last)
    } else {
        ppb64 * MAX_BLOCKS_PER_SCANLINE
    };
    let order = if big_endian { sz::MSB } else { sz::LSB };
    Ok([user_mask(mask) | order, ppb, precision, scanline as u32])
}

fn params(cd: &[u32]) -> Result<SzParams> {
    match cd {
        [m, ppb, bpp, pps] => Ok(SzParams { options_mask: *m, pixels_per_block: *ppb, bits_per_pixel: *bpp, pixels_per_scanline: *pps }),
        _ => Err(Error::new(format!("szip: {} client data values (4 expected)", cd.len()))),
    }
}

/// The uncompressed size a filtered chunk declares.
pub fn declared_size(chunk: &[u8]) -> Result<u32> {
    chunk
        .get(..4)
        .and_then(|s| <[u8; 4]>::try_from(s).ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| Error::at("szip chunk shorter than its 4-byte size", 0))
}

/// Undoes the filter on one chunk. `max_len`: the largest output accepted (the caller's
/// allocation limit).
pub fn decode_chunk(cd: &[u32], chunk: &[u8], max_len: usize) -> Result<Vec<u8>> {
    let p = params(cd)?;
    let n = declared_size(chunk)? as usize;
    if n > max_len {
        return Err(Error::new(format!("szip chunk declares {} bytes, over the limit of {}", n, max_len)));
    }
    sz::decompress(&p, chunk.get(4..).unwrap_or(&[]), n).map_err(|mut e| {
        e.offset = e.offset.map(|o| o + 4);
        e
    })
}

/// Applies the filter to one chunk; `Ok(None)` when the result would be larger than the
/// input (libhdf5's filter fails then).
pub fn encode_chunk(cd: &[u32], data: &[u8]) -> Result<Option<Vec<u8>>> {
    let p = params(cd)?;
    let n = u32::try_from(data.len()).map_err(|_| Error::new("szip: chunk of 4 GiB or more"))?;
    let body = sz::compress(&p, data)?;
    if body.len() > data.len() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&body);
    Ok(Some(out))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const I16: TypeInfo = TypeInfo { size: 2, precision: 16, offset: 0, big_endian: Some(false) };

    #[test]
    fn set_local_as_libhdf5() {
        // H5Pset_szip(NN, 8) on a little-endian int16 with chunks (10, 20): 32+1+128+8.
        assert_eq!(set_local(&[sz::NN, 8], &I16, &[10, 20]).unwrap(), [169, 8, 16, 20]);
        // EC, 16, big-endian: 4+1+128+16; a long row is capped at 128 blocks.
        let be = TypeInfo { big_endian: Some(true), ..I16 };
        assert_eq!(set_local(&[sz::EC, 16], &be, &[5000]).unwrap(), [149, 16, 16, 2048]);
        // A row shorter than a block: the chunk's element count, capped.
        assert_eq!(set_local(&[sz::NN, 32], &I16, &[100, 4]).unwrap(), [169, 32, 16, 400]);
        assert!(set_local(&[sz::NN, 32], &I16, &[2, 4]).is_err());
        // 64-bit and 32-bit precision rounding; 3-byte odd sizes refused.
        let f64t = TypeInfo { size: 8, precision: 64, offset: 0, big_endian: Some(false) };
        assert_eq!(set_local(&[sz::NN, 8], &f64t, &[64]).unwrap()[2], 64);
        let p28 = TypeInfo { size: 4, precision: 28, offset: 0, big_endian: Some(false) };
        assert_eq!(set_local(&[sz::NN, 8], &p28, &[64]).unwrap()[2], 32);
        let p12o = TypeInfo { size: 2, precision: 12, offset: 2, big_endian: Some(false) };
        assert_eq!(set_local(&[sz::NN, 8], &p12o, &[64]).unwrap()[2], 16);
        assert!(set_local(&[sz::NN, 8], &TypeInfo { size: 16, ..f64t }, &[64]).is_err());
        assert!(set_local(&[sz::NN, 7], &I16, &[64]).is_err());
        assert!(set_local(&[sz::NN, 8], &TypeInfo { big_endian: None, ..I16 }, &[64]).is_err());
    }

    #[test]
    fn chunk_roundtrip_and_incompressible() {
        let cd = set_local(&[sz::NN, 8], &I16, &[300]).unwrap();
        let data: Vec<u8> = (0..300u16).flat_map(|v| (v / 3).to_le_bytes()).collect();
        let enc = encode_chunk(&cd, &data).unwrap().unwrap();
        assert_eq!(&enc[..4], &600u32.to_le_bytes());
        assert!(enc.len() < data.len());
        assert_eq!(decode_chunk(&cd, &enc, 1 << 20).unwrap(), data);
        assert!(decode_chunk(&cd, &enc, 599).is_err());
        let mut x = 1u32;
        let noise: Vec<u8> = (0..600)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        assert_eq!(encode_chunk(&cd, &noise).unwrap(), None);
        assert!(decode_chunk(&cd[..3], &enc, 1 << 20).is_err());
    }
}

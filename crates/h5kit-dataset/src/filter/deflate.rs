//! Deflate filter (id 1): a zlib stream (RFC 1950). Client data: the compression level.

use std::io::{Read, Write};

use h5kit_core::{Error, Limits, Result};

/// Inflates a zlib stream; the output is bounded by `limits.max_alloc`.
pub fn decode(data: &[u8], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let cap = (data.len() as u64).saturating_mul(4).min(limits.max_alloc).min(1 << 26);
    let mut out = Vec::with_capacity(cap as usize);
    let mut dec = flate2::read::ZlibDecoder::new(data).take(limits.max_alloc.saturating_add(1));
    dec.read_to_end(&mut out).map_err(|e| Error::format(at, format!("deflate: corrupt zlib stream: {}", e)))?;
    if out.len() as u64 > limits.max_alloc {
        return Err(Error::limit(at, format!("deflate output exceeds the limit of {} bytes", limits.max_alloc)));
    }
    Ok(out)
}

/// Deflates with zlib framing at `level` (0-9).
pub fn encode(data: &[u8], level: u32) -> Result<Vec<u8>> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level.min(9)));
    enc.write_all(data).map_err(|e| Error::io(e, "deflate"))?;
    enc.finish().map_err(|e| Error::io(e, "deflate"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_limits_and_garbage() {
        let data = vec![7u8; 10_000];
        let z = encode(&data, 9).unwrap();
        assert_eq!(decode(&z, &Limits::default(), 0).unwrap(), data);
        let small = Limits { max_alloc: 100, ..Limits::default() };
        assert_eq!(decode(&z, &small, 5).unwrap_err().kind, h5kit_core::ErrorKind::Limit);
        assert_eq!(decode(&[1, 2, 3, 4], &Limits::default(), 5).unwrap_err().kind, h5kit_core::ErrorKind::Format);
    }
}

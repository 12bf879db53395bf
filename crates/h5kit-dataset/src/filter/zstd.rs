//! Zstandard filter (id 32015, the HDF5 zstd plugin): the chunk is one zstd frame (RFC 8878),
//! decoded with the pure-Rust `ruzstd`. Client data: the compression level (unused on read).

use std::io::Read;

use h5kit_core::{Error, Limits, Result};

/// Decodes one or more zstd frames.
pub fn decode(data: &[u8], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let mut src = data;
    let mut out = Vec::new();
    while !src.is_empty() {
        let dec = ruzstd::StreamingDecoder::new(&mut src)
            .map_err(|e| Error::format(at, format!("zstd: bad frame: {}", e)))?;
        let budget = limits.max_alloc.saturating_sub(out.len() as u64).saturating_add(1);
        dec.take(budget).read_to_end(&mut out).map_err(|e| Error::format(at, format!("zstd: corrupt frame: {}", e)))?;
        if out.len() as u64 > limits.max_alloc {
            return Err(Error::limit(at, format!("zstd output exceeds the limit of {} bytes", limits.max_alloc)));
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(decode(&[1, 2, 3, 4, 5, 6, 7, 8], &Limits::default(), 0).is_err());
        assert_eq!(decode(&[], &Limits::default(), 0).unwrap(), Vec::<u8>::new());
    }
}

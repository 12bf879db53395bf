//! Zstandard filter (id 32015, the HDF5 zstd plugin `zstd_h5plugin.c`): the chunk is one zstd
//! frame (RFC 8878), decoded and encoded with the pure-Rust `ruzstd`. Client data: the
//! compression level (unused on read).

use std::io::Read;

use h5kit_core::{Error, Limits, Result};

/// Decodes one or more zstd frames.
pub fn decode(data: &[u8], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let mut src = data;
    let mut out = Vec::new();
    while !src.is_empty() {
        let dec = ruzstd::decoding::StreamingDecoder::new(&mut src)
            .map_err(|e| Error::format(at, format!("zstd: bad frame: {}", e)))?;
        let budget = limits.max_alloc.saturating_sub(out.len() as u64).saturating_add(1);
        dec.take(budget).read_to_end(&mut out).map_err(|e| Error::format(at, format!("zstd: corrupt frame: {}", e)))?;
        if out.len() as u64 > limits.max_alloc {
            return Err(Error::limit(at, format!("zstd output exceeds the limit of {} bytes", limits.max_alloc)));
        }
    }
    Ok(out)
}

/// Compresses into one zstd frame that records its content size. `ruzstd` has one real level
/// ("fastest", about zstd level 1), used for every requested level > 0; the level is kept in
/// the client data only. The plugin decompresses with `ZSTD_getDecompressedSize`, which needs
/// the Frame_Content_Size field `ruzstd` does not write: it is added to the frame header.
pub fn encode(data: &[u8], _level: u32) -> Vec<u8> {
    let frame = ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest);
    with_content_size(frame, data.len() as u64)
}

/// Sets Frame_Content_Size (8 bytes) in a frame header that has none (RFC 8878 3.1.1.1.1:
/// Frame_Header_Descriptor bits 7-6 = FCS field size flag, bit 5 = Single_Segment_flag,
/// bits 1-0 = Dictionary_ID_flag; then Window_Descriptor, Dictionary_ID, Frame_Content_Size).
fn with_content_size(frame: Vec<u8>, size: u64) -> Vec<u8> {
    let Some(&desc) = frame.get(4) else { return frame };
    if desc & 0xe3 != 0 {
        // Already sized, single segment, or with a dictionary id: left as it is.
        return frame;
    }
    let (head, rest) = frame.split_at(frame.len().min(6));
    let mut out = Vec::with_capacity(frame.len() + 8);
    out.extend_from_slice(head);
    if let Some(d) = out.get_mut(4) {
        *d = desc | 0xc0;
    }
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(decode(&[1, 2, 3, 4, 5, 6, 7, 8], &Limits::default(), 0).is_err());
        assert_eq!(decode(&[], &Limits::default(), 0).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn encode_roundtrip_with_content_size() {
        let data: Vec<u8> = (0..50_000u32).flat_map(|i| (i / 7).to_le_bytes()).collect();
        let e = encode(&data, 5);
        assert!(e.len() < data.len() / 2, "{}", e.len());
        // Magic, descriptor with an 8-byte content size, window descriptor, the size.
        assert_eq!(e[..4], [0x28, 0xb5, 0x2f, 0xfd]);
        assert_eq!(e[4] & 0xc0, 0xc0);
        assert_eq!(u64::from_le_bytes(e[6..14].try_into().unwrap()), 200_000);
        assert_eq!(decode(&e, &Limits::default(), 0).unwrap(), data);
        for d in [vec![], vec![9u8], vec![0u8; 1 << 17]] {
            assert_eq!(decode(&encode(&d, 1), &Limits::default(), 0).unwrap(), d);
        }
    }
}

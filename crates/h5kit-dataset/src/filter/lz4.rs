//! LZ4 filter (id 32004, the HDF5 LZ4 plugin `H5Zlz4.c`). Framing, all integers big-endian:
//! total uncompressed size (8 bytes), block size (4 bytes), then per block the compressed size
//! (4 bytes) and the LZ4 block; a block whose compressed size equals its uncompressed size is
//! stored raw. The last block holds the remainder of the total.

use h5kit_core::{Error, Limits, Result};

use super::{be_u32, be_u64, check_size};

/// Decodes an LZ4-plugin chunk.
pub fn decode(data: &[u8], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let total = be_u64(data, 0, at, "LZ4 header")?;
    let block = be_u32(data, 8, at, "LZ4 header")? as u64;
    let total_n = check_size(limits, total, at, "LZ4 output")?;
    if block == 0 && total > 0 {
        return Err(Error::format(at, "LZ4: block size 0"));
    }
    let block = usize::try_from(block).unwrap_or(usize::MAX).max(1);
    let mut out = vec![0u8; total_n];
    let mut rest = data.get(12..).unwrap_or(&[]);
    for dst in out.chunks_mut(block) {
        let want = dst.len();
        let csize = be_u32(rest, 0, at, "LZ4 block header")? as usize;
        let src = rest.get(4..).and_then(|r| r.get(..csize)).ok_or_else(|| {
            Error::format(at, format!("LZ4: block of {} bytes runs past the end of the chunk", csize))
        })?;
        if csize == want {
            dst.copy_from_slice(src);
        } else {
            let n = lz4_flex::block::decompress_into(src, dst)
                .map_err(|e| Error::format(at, format!("LZ4: corrupt block: {}", e)))?;
            if n != want {
                return Err(Error::format(at, format!("LZ4: block decoded to {} bytes, expected {}", n, want)));
            }
        }
        rest = rest.get(4 + csize..).unwrap_or(&[]);
    }
    Ok(out)
}

/// Encodes as the plugin does: `block_size` is client data value 0 (0: the plugin default of
/// 1 GiB), clamped to the chunk size and written in the header; a block that does not shrink
/// is stored raw.
pub fn encode(data: &[u8], block_size: usize) -> Result<Vec<u8>> {
    let block = if block_size == 0 { DEFAULT_BLOCK } else { block_size }.min(data.len()).max(1);
    let too_big = || Error::unsupported(0, format!("LZ4: chunk of {} bytes too large", data.len()));
    let block32 = u32::try_from(block).map_err(|_| too_big())?;
    let mut out = Vec::with_capacity(data.len() / 2 + 16);
    out.extend_from_slice(&(data.len() as u64).to_be_bytes());
    out.extend_from_slice(&block32.to_be_bytes());
    for b in data.chunks(block) {
        let c = lz4_flex::block::compress(b);
        // b.len() <= block, which fits in u32 (checked above).
        let (size, bytes) = if c.len() >= b.len() { (b.len(), b) } else { (c.len(), c.as_slice()) };
        out.extend_from_slice(&u32::try_from(size).map_err(|_| too_big())?.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// The plugin's default block size (1 GiB).
pub const DEFAULT_BLOCK: usize = 1 << 30;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_blocks_and_raw() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 13) as u8).collect();
        for bs in [0, 1000, 4999, 7] {
            let e = encode(&data, bs).unwrap();
            assert_eq!(decode(&e, &Limits::default(), 0).unwrap(), data, "block size {}", bs);
        }
        let e = encode(&data, 1000).unwrap();
        // Header: total size 5000, block size 1000 (big-endian); block size 0 = whole chunk.
        assert_eq!(e[..12], [0, 0, 0, 0, 0, 0, 0x13, 0x88, 0, 0, 0x03, 0xe8]);
        assert_eq!(encode(&data, 0).unwrap()[8..12], [0, 0, 0x13, 0x88]);
        // Incompressible blocks are stored raw (size = block size).
        let raw = encode(&[1, 2, 3, 4, 5], 0).unwrap();
        assert_eq!(raw, [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5, 1, 2, 3, 4, 5]);
        assert_eq!(decode(&raw, &Limits::default(), 0).unwrap(), [1, 2, 3, 4, 5]);
        assert!(decode(&e[..e.len() - 1], &Limits::default(), 0).is_err());
        assert!(decode(&e[..5], &Limits::default(), 0).is_err());
    }
}

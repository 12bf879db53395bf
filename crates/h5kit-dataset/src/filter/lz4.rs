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
    let mut out = Vec::with_capacity(total_n);
    let mut pos = 12usize;
    while out.len() < total_n {
        let want = (total_n - out.len()).min(usize::try_from(block).unwrap_or(usize::MAX));
        let csize = be_u32(data, pos, at, "LZ4 block header")? as usize;
        pos += 4;
        let end = pos.checked_add(csize).filter(|&e| e <= data.len()).ok_or_else(|| {
            Error::format(at, format!("LZ4: block of {} bytes runs past the end of the chunk", csize))
        })?;
        let src = &data[pos..end];
        if csize == want {
            out.extend_from_slice(src);
        } else {
            let start = out.len();
            out.resize(start + want, 0);
            let n = lz4_flex::block::decompress_into(src, &mut out[start..])
                .map_err(|e| Error::format(at, format!("LZ4: corrupt block: {}", e)))?;
            if n != want {
                return Err(Error::format(at, format!("LZ4: block decoded to {} bytes, expected {}", n, want)));
            }
        }
        pos = end;
    }
    Ok(out)
}

/// Encodes in the plugin's framing (one block size for all blocks; default 1 GiB as the plugin).
pub fn encode(data: &[u8], block_size: usize) -> Vec<u8> {
    let block = if block_size == 0 { 1 << 30 } else { block_size };
    let mut out = Vec::new();
    out.extend_from_slice(&(data.len() as u64).to_be_bytes());
    out.extend_from_slice(&(block as u32).to_be_bytes());
    for b in data.chunks(block) {
        let c = lz4_flex::block::compress(b);
        if c.len() >= b.len() {
            out.extend_from_slice(&(b.len() as u32).to_be_bytes());
            out.extend_from_slice(b);
        } else {
            out.extend_from_slice(&(c.len() as u32).to_be_bytes());
            out.extend_from_slice(&c);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_blocks_and_raw() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 13) as u8).collect();
        for bs in [0, 1000, 4999, 7] {
            let e = encode(&data, bs);
            assert_eq!(decode(&e, &Limits::default(), 0).unwrap(), data, "block size {}", bs);
        }
        let e = encode(&data, 1000);
        assert!(decode(&e[..e.len() - 1], &Limits::default(), 0).is_err());
        assert!(decode(&e[..5], &Limits::default(), 0).is_err());
    }
}

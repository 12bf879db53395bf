//! Fletcher-32 checksum filter (id 3): the data followed by a 4-byte checksum.
//!
//! libhdf5's checksum (H5_checksum_fletcher32) reads the data as 16-bit *big-endian* words
//! (a trailing odd byte is the high byte of a last word) and stores the sum little-endian.
//! Files written before libhdf5 1.6.3 on little-endian machines stored it with the bytes of
//! each 16-bit half swapped; like libhdf5 we accept both.

use h5kit_core::{Error, Result};

/// The Fletcher-32 sum of `data` as libhdf5 computes it.
pub fn checksum(data: &[u8]) -> u32 {
    let mut sum1: u32 = 0;
    let mut sum2: u32 = 0;
    let mut words = data.chunks_exact(2);
    let mut remaining = data.len() / 2;
    while remaining > 0 {
        let n = remaining.min(360);
        remaining -= n;
        for w in words.by_ref().take(n) {
            let word = if let [hi, lo] = *w { u16::from_be_bytes([hi, lo]) } else { 0 };
            sum1 = sum1.wrapping_add(u32::from(word));
            sum2 = sum2.wrapping_add(sum1);
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if let [last] = words.remainder() {
        sum1 = sum1.wrapping_add(u32::from(*last) << 8);
        sum2 = sum2.wrapping_add(sum1);
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

/// Verifies and strips the checksum. `at` is the chunk address named on mismatch.
pub fn decode(mut data: Vec<u8>, at: u64) -> Result<Vec<u8>> {
    if data.len() < 4 {
        return Err(Error::format(at, format!("Fletcher-32: chunk at address {} has {} bytes, no room for a checksum", at, data.len())));
    }
    let n = data.len() - 4;
    let (body, tail) = data.split_at(n);
    let stored = u32::from_le_bytes(<[u8; 4]>::try_from(tail).unwrap_or_default());
    let sum = checksum(body);
    let b = sum.to_le_bytes();
    let reversed = u32::from_le_bytes([b[1], b[0], b[3], b[2]]);
    if stored != sum && stored != reversed {
        return Err(Error::format(
            at,
            format!("Fletcher-32 checksum mismatch in chunk at address {}: stored {:#010x}, computed {:#010x}", at, stored, sum),
        ));
    }
    data.truncate(n);
    Ok(data)
}

/// Appends the checksum.
pub fn encode(mut data: Vec<u8>) -> Vec<u8> {
    let sum = checksum(&data);
    data.extend_from_slice(&sum.to_le_bytes());
    data
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn odd_lengths_and_swapped_form() {
        for len in [0usize, 1, 2, 3, 719, 720, 721, 5000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(decode(encode(data.clone()), 0).unwrap(), data);
        }
        // Pre-1.6.3 little-endian form: bytes swapped within each 16-bit half.
        let data = b"abcdef".to_vec();
        let s = checksum(&data).to_le_bytes();
        let mut old = data.clone();
        old.extend_from_slice(&[s[1], s[0], s[3], s[2]]);
        assert_eq!(decode(old, 0).unwrap(), data);
        assert!(decode(vec![1, 2, 3], 9).is_err());
        // "ab" as one big-endian word 0x6162: sum1 = 0x6162, sum2 = 0x6162.
        assert_eq!(checksum(b"ab"), 0x6162_6162);
    }
}

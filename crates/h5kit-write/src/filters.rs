//! Filter encoders for chunked raw data (spec IV.A.2.l "The Data Storage - Filter Pipeline
//! Message": deflate = 1, shuffle = 2, fletcher32 = 3) and h5py's chunk shape guess.

use h5kit_core::{Error, Result};
use std::io::Write;

/// Byte shuffle (filter 2): byte `j` of every element goes to plane `j`.
pub fn shuffle(data: &[u8], elem: usize) -> Vec<u8> {
    if elem <= 1 || data.len() < elem {
        return data.to_vec();
    }
    let n = data.len() / elem;
    let mut out = vec![0u8; data.len()];
    for (i, e) in data.chunks_exact(elem).enumerate() {
        for (j, &byte) in e.iter().enumerate() {
            if let Some(o) = out.get_mut(j * n + i) {
                *o = byte;
            }
        }
    }
    // Trailing bytes that do not make a whole element are copied as is.
    let tail = n * elem;
    if let (Some(dst), Some(src)) = (out.get_mut(tail..), data.get(tail..)) {
        dst.copy_from_slice(src);
    }
    out
}

/// Deflate (filter 1): a zlib stream at `level`.
pub fn deflate(data: &[u8], level: u8) -> Result<Vec<u8>> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level.min(9) as u32));
    e.write_all(data).map_err(|err| Error::io(err, "deflate"))?;
    e.finish().map_err(|err| Error::io(err, "deflate"))
}

/// libhdf5's Fletcher-32 (`H5_checksum_fletcher32`): sums of big-endian 16-bit words.
pub fn fletcher32_sum(data: &[u8]) -> u32 {
    let mut sum1: u32 = 0;
    let mut sum2: u32 = 0;
    let mut words = data.chunks_exact(2);
    let mut count = 0usize;
    for w in words.by_ref() {
        let (a, b) = (w.first().copied().unwrap_or(0), w.get(1).copied().unwrap_or(0));
        sum1 = sum1.wrapping_add(((a as u32) << 8) | b as u32);
        sum2 = sum2.wrapping_add(sum1);
        count += 1;
        if count == 360 {
            count = 0;
            sum1 = (sum1 & 0xffff) + (sum1 >> 16);
            sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        }
    }
    if count != 0 {
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    if let Some(&last) = words.remainder().first() {
        sum1 = sum1.wrapping_add((last as u32) << 8);
        sum2 = sum2.wrapping_add(sum1);
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    }
    sum1 = (sum1 & 0xffff) + (sum1 >> 16);
    sum2 = (sum2 & 0xffff) + (sum2 >> 16);
    (sum2 << 16) | sum1
}

/// Fletcher-32 filter (3): the data followed by its checksum, little-endian.
pub fn fletcher32(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.extend_from_slice(&fletcher32_sum(data).to_le_bytes());
    out
}

/// h5py's `guess_chunk(shape, maxshape, typesize)`: halve dimensions round-robin until the
/// chunk is near a target size between 8 KiB and 1 MiB that grows with the dataset size.
pub fn guess_chunk(shape: &[u64], typesize: u64) -> Vec<u64> {
    const CHUNK_BASE: f64 = 16.0 * 1024.0;
    const CHUNK_MIN: f64 = 8.0 * 1024.0;
    const CHUNK_MAX: f64 = 1024.0 * 1024.0;
    let mut chunks: Vec<f64> = shape.iter().map(|&x| if x == 0 { 1024.0 } else { x as f64 }).collect();
    let ndims = chunks.len();
    if ndims == 0 {
        return Vec::new();
    }
    let ts = typesize.max(1) as f64;
    let dset_size = chunks.iter().product::<f64>() * ts;
    let mut target = CHUNK_BASE * 2f64.powf((dset_size / (1024.0 * 1024.0)).log10());
    target = target.clamp(CHUNK_MIN, CHUNK_MAX);
    let mut idx = 0usize;
    loop {
        let n: f64 = chunks.iter().product();
        let chunk_bytes = n * ts;
        if (chunk_bytes < target || (chunk_bytes - target).abs() / target < 0.5) && chunk_bytes < CHUNK_MAX {
            break;
        }
        if n <= 1.0 {
            break;
        }
        if let Some(c) = chunks.get_mut(idx % ndims) {
            *c = (*c / 2.0).ceil();
        }
        idx += 1;
    }
    chunks.iter().map(|&c| c as u64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_planes() {
        assert_eq!(shuffle(&[1, 2, 3, 4, 5, 6, 7], 2), vec![1, 3, 5, 2, 4, 6, 7]);
    }

    #[test]
    fn guess_chunk_matches_h5py() {
        // h5py.filters.guess_chunk((1000, 1000), None, 4) == (63, 125)
        assert_eq!(guess_chunk(&[1000, 1000], 4), vec![63, 125]);
        // guess_chunk((0,), (None,), 8) == (1024,)
        assert_eq!(guess_chunk(&[0], 8), vec![1024]);
        // guess_chunk((100,), None, 4) == (100,)
        assert_eq!(guess_chunk(&[100], 4), vec![100]);
    }
}

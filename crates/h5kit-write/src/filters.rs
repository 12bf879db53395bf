//! h5py's chunk shape guess. The filter encoders (spec IV.A.2.l "The Data Storage - Filter
//! Pipeline Message": deflate = 1, shuffle = 2, fletcher32 = 3) are those of
//! [`h5kit_dataset::filter`], shared with the reader.

use crate::{Ds, Result};

/// Runs one chunk's bytes (a whole chunk, edge chunks padded) through the dataset's filter
/// pipeline, in pipeline order. Pure: called from worker threads.
pub(crate) fn encode_chunk(d: &Ds, chunk: Vec<u8>) -> Result<Vec<u8>> {
    let esize = d.dt.size as usize;
    let mut data = chunk;
    if d.shuffle {
        data = h5kit_dataset::filter::shuffle::encode(&data, esize);
    }
    if let Some(level) = d.deflate {
        data = h5kit_dataset::filter::deflate::encode(&data, level as u32)?;
    }
    if d.fletcher32 {
        data = h5kit_dataset::filter::fletcher32::encode(data);
    }
    Ok(data)
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
        // The shared encoder: byte planes, trailing partial element unshuffled.
        assert_eq!(h5kit_dataset::filter::shuffle::encode(&[1, 2, 3, 4, 5, 6, 7], 2), vec![1, 3, 5, 2, 4, 6, 7]);
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

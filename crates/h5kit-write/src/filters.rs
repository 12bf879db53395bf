//! The dataset's filter pipeline on write (spec IV.A.2.l "The Data Storage - Filter Pipeline
//! Message") and h5py's chunk shape guess. The filter encoders are those of
//! [`h5kit_dataset::filter`], shared with the reader.

use h5kit_dataset::filter::{self, Filter, FilterPipeline};

use crate::{Datatype, Error, Result};

/// The pipeline written for a dataset: checks `filters` (at most 32; each either applied by
/// h5kit or optional) and completes their client data and names as libhdf5's "set local"
/// callbacks and filter registrations do. `chunks`: the chunk shape (LZF records the chunk
/// size).
pub(crate) fn make_pipeline(filters: Vec<Filter>, dt: &Datatype, chunks: Option<&[u64]>, fill: Option<&[u8]>) -> Result<FilterPipeline> {
    if filters.len() > 32 {
        return Err(Error::usage(format!("{} filters in a pipeline (at most 32)", filters.len())));
    }
    let mut out = Vec::with_capacity(filters.len());
    for f in filters {
        let name = f.name.clone().unwrap_or_else(|| filter::filter_name(f.id).to_string());
        let optional = f.flags & filter::FLAG_OPTIONAL != 0;
        if !filter::can_encode(f.id) && !optional {
            return Err(Error::usage(format!(
                "filter {} ({}) cannot be applied by h5kit; only an optional one (flags bit 0) can be written",
                f.id, name
            )));
        }
        if f.client_data.len() > 4096 || f.name.as_ref().is_some_and(|n| n.len() > 1024 || n.contains('\0')) {
            return Err(Error::usage(format!("filter {} ({}): client data or name too long", f.id, name)));
        }
        let mut f = match filter::set_local_chunk(&f, dt, chunks.unwrap_or(&[]), fill) {
            Ok(f) => f,
            // An optional filter that cannot handle the datatype is skipped on every chunk.
            Err(_) if optional => f,
            Err(e) => return Err(Error::usage(format!("filter {} ({}): {}", f.id, name, e.message))),
        };
        if f.name.is_none() {
            f.name = filter::registered_name(f.id).map(str::to_string);
        }
        out.push(f);
    }
    Ok(FilterPipeline { version: 1, filters: out })
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

/// Pipeline of the standard filters in h5py order (shuffle, deflate, fletcher32).
pub fn standard_pipeline(shuffle: bool, deflate: Option<u8>, fletcher32: bool, elem_size: u32) -> FilterPipeline {
    let mut filters = Vec::new();
    if shuffle {
        filters.push(Filter { id: 2, name: Some("shuffle".into()), flags: 1, client_data: vec![elem_size] });
    }
    if let Some(level) = deflate {
        filters.push(Filter { id: 1, name: Some("deflate".into()), flags: 1, client_data: vec![level as u32] });
    }
    if fletcher32 {
        filters.push(Filter { id: 3, name: Some("fletcher32".into()), flags: 0, client_data: vec![] });
    }
    FilterPipeline { version: 1, filters }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn f(id: u16, flags: u16, cd: &[u32]) -> Filter {
        Filter { id, name: None, flags, client_data: cd.to_vec() }
    }

    #[test]
    fn pipeline_checks_and_set_local() {
        let i32 = crate::dtype::int(4, true);
        let p = make_pipeline(vec![f(2, 1, &[]), f(32000, 1, &[]), f(32008, 0, &[0, 4, 0, 0, 2])], &i32, Some(&[10, 20]), None).unwrap();
        assert_eq!(p.filters[0].client_data, [4]);
        assert_eq!(p.filters[1].client_data, [4, 261, 800]);
        assert_eq!(p.filters[1].name.as_deref(), Some("lzf"));
        assert_eq!(p.filters[2].client_data, [0, 4, 4, 0, 2]);
        assert_eq!(p.filters[2].name.as_deref(), Some("bitshuffle; see https://github.com/kiyo-masui/bitshuffle"));
        // A mandatory filter h5kit cannot apply is refused; an optional one is kept.
        assert!(make_pipeline(vec![f(32001, 0, &[])], &i32, Some(&[10]), None).is_err());
        assert_eq!(make_pipeline(vec![f(32001, 1, &[])], &i32, Some(&[10]), None).unwrap().filters.len(), 1);
        assert!(make_pipeline(vec![f(1, 1, &[4]); 33], &i32, Some(&[10]), None).is_err());
        // n-bit needs an atomic type; scale-offset records the fill value.
        let s = crate::dtype::fixed_string(4, crate::StringPadding::NullTerminate, crate::CharacterSet::Ascii);
        assert!(make_pipeline(vec![f(5, 0, &[])], &s, Some(&[10]), None).is_err());
        let p = make_pipeline(vec![f(6, 1, &[2, 0])], &i32, Some(&[10]), Some(&[9, 0, 0, 0])).unwrap();
        assert_eq!(p.filters[0].client_data[..9], [2, 0, 10, 0, 4, 1, 0, 1, 9]);
    }

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

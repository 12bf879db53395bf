//! Which chunked datasets h5dump 1.10.8 can print: filters other than its built-in ones
//! (deflate, shuffle, fletcher32, szip, nbit, scaleoffset) are not available to it, so data
//! whose chunks were actually passed through such a filter cannot be read. Optional filters
//! may have been skipped per chunk (the chunk's filter mask, spec IV.A.2.i / VII), so the
//! chunk index is consulted.

use h5kit::{Layout};
use h5kit::snapshot::Dataset;

fn builtin(id: u16) -> bool {
    matches!(id, 1..=6)
}

/// Whether h5dump could read the dataset's data (the chunk filter masks come from
/// [`Dataset::chunk_locations`]).
pub fn readable_by_h5dump(ds: &Dataset) -> bool {
    let Some(pipeline) = ds.filters() else { return true };
    let missing: Vec<usize> = pipeline
        .filters
        .iter()
        .enumerate()
        .filter(|(_, f)| !builtin(f.id))
        .map(|(i, _)| i)
        .collect();
    if missing.is_empty() {
        return true;
    }
    if !matches!(ds.layout().layout, Layout::Chunked { .. }) {
        return false;
    }
    let Ok(chunks) = ds.chunk_locations() else { return false };
    // A set mask bit means the filter was skipped for that chunk.
    chunks.iter().all(|c| missing.iter().all(|&i| i < 32 && c.filter_mask & (1u32 << i) != 0))
}

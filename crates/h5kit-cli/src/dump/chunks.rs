//! Which chunked datasets h5dump 1.10.8 can print: filters other than its built-in ones
//! (deflate, shuffle, fletcher32, szip, nbit, scaleoffset) are not available to it, so data
//! whose chunks were actually passed through such a filter cannot be read. Optional filters
//! may have been skipped per chunk (the chunk's filter mask, spec IV.A.2.i / VII), so the
//! chunk index is consulted.

use std::path::Path;

use h5kit::{Dataset, Layout};
use h5kit_core::{Context, FileStorage, Limits, Storage};
use h5kit_superblock::Superblock;

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

/// Names of a dataset's external raw data files, from the local heap the external data files
/// message points to (spec IV.A.2.h "The External Data Files Message").
pub fn external_names(path: &Path, ds: &Dataset) -> Vec<String> {
    let Some(x) = ds.external_files() else { return Vec::new() };
    let Ok(storage) = FileStorage::open(path) else { return Vec::new() };
    let Ok(sb) = Superblock::read(&storage as &dyn Storage) else { return Vec::new() };
    let limits = Limits::default();
    let ctx = Context::new(&storage, sb.sizes, &limits, sb.effective_base_address());
    let Ok(heap) = h5kit_heap::LocalHeap::read(ctx, x.heap_address) else { return Vec::new() };
    x.files
        .iter()
        .map(|f| heap.string_at(f.name_offset).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default())
        .collect()
}

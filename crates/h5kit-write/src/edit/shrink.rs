//! Shrinking a chunked dataset (spec IV.A.2.b "Dataspace Message", III.A.1 v1 B-trees of
//! type 1), as libhdf5's `H5D__chunk_prune_by_extent` does:
//! - chunks wholly outside the new extent leave the chunk index and their space is freed
//!   (reusable after the flush commits);
//! - chunks partly outside get the fill value back in their elements past the new extent
//!   (a later growth shows fill values there, not the old data), written (filtered) into
//!   new space: the committed file keeps the old chunk, inside its old extent;
//! - the index is rebuilt from the chunks that remain into new space (nothing committed
//!   points there) and the layout message switches to it: the header's write at the flush
//!   (dataspace and layout messages in one chunk, as libhdf5 and h5kit lay dataset headers
//!   out) commits the whole change; the old nodes and chunks are freed after that.

use h5kit_btree::v1::ChunkRecord;
use h5kit_core::{Error, Result};
use h5kit_object_header::{ChunkIndex, Layout};

use super::dataset::{Backend, DatasetEdit, RawStorage, CHUNK_CACHE_BYTES};
use super::Editor;
use crate::chunk_cache::{ChunkBackend, ChunkCache, ChunkGrid};
use h5kit_dataset::filter::encode_pipeline;
use crate::copy_box;

impl Editor {
    /// Prunes the chunks of the chunked dataset at header `h` to the extent `shape` (each
    /// dimension at most the current one; the caller changes the dataspace after).
    pub(super) fn shrink_chunks(&mut self, h: u64, shape: &[u64]) -> Result<()> {
        let Some(mut ds) = self.datasets.remove(&h) else { return Err(Error::usage("internal error: dataset not loaded")) };
        let r = self.shrink_in(&mut ds, shape);
        self.datasets.insert(h, ds);
        self.changed = true;
        r
    }

    fn shrink_in(&mut self, ds: &mut DatasetEdit, shape: &[u64]) -> Result<()> {
        let esize = ds.element_size;
        let header = ds.header;
        let old = ds.dims.clone();
        let RawStorage::Chunked(c) = &mut ds.storage else { return Err(Error::usage("only chunked datasets can be resized")) };
        // Chunks waiting in the cache are stored first; the cache starts empty again.
        let mut cache = std::mem::replace(&mut c.cache, ChunkCache::new(CHUNK_CACHE_BYTES));
        cache.flush(&mut Backend { ed: self, header, chunked: c, element_size: esize })?;
        drop(cache);
        let grid = ChunkGrid::new(shape, &c.chunk, esize)?;
        let fill_chunk = grid.fill_chunk(&ds.fill);
        let mut removed: Vec<ChunkRecord> = Vec::new();
        let mut edges: Vec<Vec<u64>> = Vec::new();
        for (offsets, rec) in &c.records {
            if offsets.iter().zip(shape).any(|(o, n)| o >= n) {
                removed.push(rec.clone());
                continue;
            }
            // Elements past the new extent that were inside the old one.
            let cut = offsets.iter().zip(&c.chunk).zip(shape.iter().zip(&old)).any(|((o, ch), (n, was))| o + ch > *n && was > n);
            if cut {
                edges.push(offsets.clone());
            }
        }
        edges.sort();
        let mut changed = !removed.is_empty();
        for offsets in edges {
            let Some(old) = c.records.get(&offsets).cloned() else { continue };
            let index: Vec<u64> = offsets.iter().zip(&c.chunk).map(|(o, ch)| o / ch).collect();
            let mut backend = Backend { ed: self, header, chunked: c, element_size: esize };
            let Some(data) = backend.load(&index)? else { continue };
            let kept: Vec<u64> = offsets.iter().zip(&c.chunk).zip(shape).map(|((o, ch), n)| n.saturating_sub(*o).min(*ch)).collect();
            let zero = vec![0u64; kept.len()];
            let mut refilled = fill_chunk.clone();
            copy_box(&data, &c.chunk, &zero, &mut refilled, &c.chunk, &zero, &kept, esize);
            if refilled == data {
                continue;
            }
            // Into new space, never over the chunk the committed file still shows inside its
            // old extent: the header's write switches to it with the new index.
            let (bytes, mask) = if c.pipeline.filters.is_empty() { (refilled, 0) } else { encode_pipeline(&c.pipeline, refilled, esize)? };
            let len = (bytes.len() as u64).max(1);
            let a = self.space.allocate_at_end(len)?;
            self.fresh.insert(a, len);
            self.write_now(a, &bytes)?;
            self.space.free(old.address, old.size.max(1));
            c.records.insert(offsets.clone(), ChunkRecord { offsets, size: bytes.len() as u64, filter_mask: mask, address: a });
            changed = true;
        }
        if !changed {
            return Ok(());
        }
        // A new index of the chunks that remain, in new space (the layout message switches to
        // it with the dataspace, in the header's one write); the old one and the removed
        // chunks are freed.
        if c.new_index.is_some() {
            // A chunk index of the latest format is written whole from the records at the
            // flush, into new space (`chunk_index`), and the layout message switches to it.
            for rec in &removed {
                c.records.remove(&rec.offsets);
                self.space.free(rec.address, rec.size.max(1));
            }
            if let Some(ix) = c.new_index.as_mut() {
                ix.rewrite_whole();
            }
            return Ok(());
        }
        let rank = c.chunk.len();
        if let Some(root) = c.root.take() {
            self.free_chunk_tree(root, rank, false)?;
        }
        for rec in &removed {
            c.records.remove(&rec.offsets);
            self.space.free(rec.address, rec.size.max(1));
        }
        let mut keep: Vec<ChunkRecord> = c.records.values().cloned().collect();
        keep.sort_by(|a, b| a.offsets.cmp(&b.offsets));
        if keep.is_empty() {
            let layout = Layout::Chunked { chunk_dims: c.chunk.clone(), element_size: esize as u32, index: ChunkIndex::BTreeV1 { address: None }, flags: 0 };
            return self.set_layout(header, layout);
        }
        let mut backend = Backend { ed: self, header, chunked: c, element_size: esize };
        for rec in &keep {
            backend.index(rec)?;
        }
        Ok(())
    }
}

//! Chunks stored as given: libhdf5's direct chunk write (`H5Dwrite_chunk`). The bytes are
//! already filtered (or are the plain chunk when the dataset has no filters); they go to
//! file space as they are and enter the chunk index (spec III.A.1, v1 B-tree node type 1:
//! key = chunk size, filter mask, chunk offsets) with the caller's filter mask, through the
//! same insert path as chunks the editor filters itself. Nothing is decoded or encoded, so a
//! copy of a chunk whose layout and filters do not change (`h5 repack`) costs one read and
//! one write.

use h5kit_btree::v1::ChunkRecord;
use h5kit_core::{Error, Result};
use h5kit_object_header::FilterPipeline;

use super::dataset::{Backend, DatasetEdit, RawStorage};
use super::Editor;
use crate::sat_prod;

impl Editor {
    /// The chunk shape and filter pipeline of the dataset at `path` as it is written (the
    /// pipeline with the values filters set for this dataset); `None` when it is not chunked.
    pub fn chunk_layout(&mut self, path: &str) -> Result<Option<(Vec<u64>, FilterPipeline)>> {
        let h = self.dataset(path)?;
        Ok(match self.datasets.get(&h).map(|d| &d.storage) {
            Some(RawStorage::Chunked(c)) => Some((c.chunk.clone(), c.pipeline.clone())),
            _ => None,
        })
    }

    /// Stores the chunk whose first element is at `chunk_offset` (element coordinates, a
    /// multiple of the chunk shape, inside the extent) from `bytes` as they are: the chunk
    /// after the dataset's filters, `filter_mask` bit `i` set for each filter `i` of the
    /// pipeline that was skipped (an unfiltered dataset takes the plain chunk, mask 0). A chunk
    /// already there is replaced (over its old bytes when the size is the same, else in new
    /// space, the old space freed at the next commit); what a chunk cache held for it is
    /// dropped.
    pub fn write_chunk_raw(&mut self, path: &str, chunk_offset: &[u64], filter_mask: u32, bytes: &[u8]) -> Result<()> {
        let h = self.dataset(path)?;
        let Some(mut ds) = self.datasets.remove(&h) else { return Err(Error::usage("internal error: dataset not loaded")) };
        let r = self.write_chunk_raw_in(&mut ds, chunk_offset, filter_mask, bytes);
        self.datasets.insert(h, ds);
        self.changed = true;
        r.map_err(|e| e.in_object(path))
    }

    fn write_chunk_raw_in(&mut self, ds: &mut DatasetEdit, offset: &[u64], mask: u32, bytes: &[u8]) -> Result<()> {
        let (header, element_size) = (ds.header, ds.element_size);
        let RawStorage::Chunked(c) = &mut ds.storage else {
            return Err(Error::usage("direct chunk write into a dataset that is not chunked"));
        };
        let rank = c.chunk.len();
        if offset.len() != rank {
            return Err(Error::usage(format!("chunk offset {:?} has another rank than the chunk shape {:?}", offset, c.chunk)));
        }
        for ((&o, &k), &x) in offset.iter().zip(&c.chunk).zip(&ds.dims) {
            if k == 0 || o % k != 0 || o >= x {
                return Err(Error::usage(format!(
                    "chunk offset {:?} is not the start of a chunk {:?} inside the shape {:?}",
                    offset, c.chunk, ds.dims
                )));
            }
        }
        let nfilters = c.pipeline.filters.len();
        if nfilters < 32 && mask >> nfilters != 0 {
            return Err(Error::usage(format!("filter mask {:#x} names filters past the {} of the pipeline", mask, nfilters)));
        }
        let plain_len = sat_prod(&c.chunk).saturating_mul(element_size as u64);
        if nfilters == 0 && bytes.len() as u64 != plain_len {
            return Err(Error::usage(format!("unfiltered chunk of {} bytes, {} expected", bytes.len(), plain_len)));
        }
        // The v1 B-tree key holds the size in 32 bits.
        let len = u32::try_from(bytes.len())
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| Error::usage(format!("stored chunk of {} bytes: 1 byte to 4 GiB expected", bytes.len())))?;
        let len = u64::from(len);
        let index: Vec<u64> = offset.iter().zip(&c.chunk).map(|(o, k)| o / k).collect();
        c.cache.discard(&index);
        let old = c.records.get(offset).cloned();
        let address = match &old {
            Some(o) if o.size == len => o.address,
            _ => {
                let a = self.space.allocate_at_end(len)?;
                self.fresh.insert(a, len);
                a
            }
        };
        self.write_raw(address, bytes)?;
        let rec = ChunkRecord { offsets: offset.to_vec(), size: len, filter_mask: mask, address };
        if old.as_ref() != Some(&rec) {
            Backend { ed: self, header, chunked: c, element_size }.index(&rec)?;
            if let Some(o) = old.filter(|o| o.address != address) {
                self.space.free(o.address, o.size);
            }
        }
        c.records.insert(offset.to_vec(), rec);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;

    use h5kit_core::{Limits, WritableMemory, WritableStorage};

    use super::*;
    use crate::{dtype, DatasetSpec};

    fn editor() -> (Arc<WritableMemory>, Editor) {
        let mem = Arc::new(WritableMemory::new(Vec::new()));
        let storage: Arc<dyn WritableStorage> = mem.clone();
        (mem, Editor::create(storage, Limits::default()).unwrap())
    }

    /// Chunks written raw read back through the reader's decode of the file, with their masks.
    #[test]
    fn raw_chunks_enter_the_index() {
        let (mem, mut ed) = editor();
        let mut spec = DatasetSpec::new(dtype::int(4, true), &[10]);
        spec.chunks = Some(vec![4]);
        spec.deflate = Some(1);
        ed.create_dataset("d", spec).unwrap();
        let (chunk, pipeline) = ed.chunk_layout("d").unwrap().unwrap();
        assert_eq!((chunk, pipeline.filters.len()), (vec![4], 1));
        // Chunk 0 compressed by the pipeline; chunk 1 stored plain, deflate skipped (mask 1);
        // chunk 2 (the edge chunk, 2 of 4 elements inside) never written: fill value.
        let plain0: Vec<u8> = [1i32, 2, 3, 4].iter().flat_map(|v| v.to_le_bytes()).collect();
        let (z0, m0) = h5kit_dataset::filter::encode_pipeline(&pipeline, plain0.clone(), 4).unwrap();
        assert_eq!(m0, 0);
        ed.write_chunk_raw("d", &[0], 0, &z0).unwrap();
        let plain1: Vec<u8> = [5i32, 6, 7, 8].iter().flat_map(|v| v.to_le_bytes()).collect();
        ed.write_chunk_raw("d", &[4], 1, &plain1).unwrap();
        assert!(ed.write_chunk_raw("d", &[3], 0, &z0).is_err(), "not a chunk start");
        assert!(ed.write_chunk_raw("d", &[12], 0, &z0).is_err(), "outside the extent");
        assert!(ed.write_chunk_raw("d", &[0], 2, &z0).is_err(), "mask names a second filter");
        assert!(ed.write_chunk_raw("d", &[0], 0, &[]).is_err(), "empty chunk");
        ed.flush().unwrap();
        // Reopened: the index holds both chunks with their sizes and masks.
        let storage: Arc<dyn WritableStorage> = Arc::new(WritableMemory::new(mem.to_vec().unwrap()));
        let mut ed2 = Editor::open(storage, Limits::default()).unwrap();
        let (_, p2) = ed2.chunk_layout("d").unwrap().unwrap();
        assert_eq!(p2.filters, pipeline.filters);
        let h = ed2.dataset("d").unwrap();
        let Some(RawStorage::Chunked(c)) = ed2.datasets.get(&h).map(|d| &d.storage) else { panic!("not chunked") };
        let mut recs: Vec<_> = c.records.values().map(|r| (r.offsets.clone(), r.size, r.filter_mask)).collect();
        recs.sort();
        assert_eq!(recs, vec![(vec![0], z0.len() as u64, 0), (vec![4], 16, 1)]);
    }

    #[test]
    fn unfiltered_chunks_must_be_whole() {
        let (_, mut ed) = editor();
        let mut spec = DatasetSpec::new(dtype::int(2, false), &[6, 6]);
        spec.chunks = Some(vec![3, 3]);
        ed.create_dataset("u", spec).unwrap();
        assert!(ed.write_chunk_raw("u", &[0, 0], 0, &[0u8; 17]).is_err());
        assert!(ed.write_chunk_raw("u", &[0, 0], 1, &[0u8; 18]).is_err(), "no filter to skip");
        ed.write_chunk_raw("u", &[3, 3], 0, &[7u8; 18]).unwrap();
        // Over the same chunk again (same size: in place).
        ed.write_chunk_raw("u", &[3, 3], 0, &[9u8; 18]).unwrap();
        ed.flush().unwrap();
        let mut contiguous = DatasetSpec::new(dtype::int(2, false), &[6]);
        contiguous.layout = Some(crate::LayoutKind::Contiguous);
        ed.create_dataset("c", contiguous).unwrap();
        assert!(ed.chunk_layout("c").unwrap().is_none());
        assert!(ed.write_chunk_raw("c", &[0], 0, &[0u8; 12]).is_err());
    }
}

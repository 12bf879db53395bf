//! Where a chunked dataset's chunks are stored (spec IV.A.2.i "The Data Layout Message",
//! VII "Appendix C: Types of Indexes for Dataset Chunks"): every allocated chunk's scaled
//! offset, file address, stored size and filter mask, as the chunk index records them
//! (version 1 B-tree, single chunk, implicit, fixed array, extensible array, version 2
//! B-tree). libhdf5's `H5Dget_chunk_info`; h5dump needs the filter masks to know whether
//! chunks skipped an optional filter it lacks.

use h5kit_core::{Error, Result};
use h5kit_object_header::Layout;

use crate::object::Dataset;

/// One allocated chunk of a chunked dataset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChunkLocation {
    /// The chunk's position in the chunk grid (element offset / chunk dimension, per
    /// dimension): the spec's "scaled offset".
    pub scaled_offset: Vec<u64>,
    /// Element coordinates of the chunk's first element (`scaled_offset` x chunk dims).
    pub offset: Vec<u64>,
    /// File address of the stored chunk (relative to the base address, as in the index).
    pub address: u64,
    /// Stored size in bytes (after filters).
    pub size: u64,
    /// Filter mask: bit `i` set means filter `i` of the pipeline was skipped for this chunk.
    pub filter_mask: u32,
}

impl Dataset {
    /// Every allocated chunk, in scaled-offset (row-major) order, read from the chunk index
    /// when called. Unallocated chunks (read as the fill value) are not listed. Not chunked
    /// (compact, contiguous, virtual): an empty list.
    pub fn chunk_locations(&self) -> Result<Vec<ChunkLocation>> {
        let Layout::Chunked { chunk_dims, .. } = &self.layout().layout else {
            return Ok(Vec::new());
        };
        let filtered = self.filters().map(|f| !f.filters.is_empty()).unwrap_or(false);
        let err = |e: Error| e.in_object(self.path().to_string());
        let found = h5kit_dataset::chunk_locations(
            self.core.file.ctx(),
            self.layout(),
            self.dataspace(),
            self.datatype().size as usize,
            filtered,
        )
        .map_err(err)?;
        let mut out = Vec::with_capacity(found.len());
        for c in found {
            let scaled_offset = c
                .offsets
                .iter()
                .zip(chunk_dims)
                .map(|(&o, &d)| o.checked_div(d).ok_or_else(|| err(Error::format(0, "chunk dimension 0"))))
                .collect::<Result<Vec<u64>>>()?;
            out.push(ChunkLocation {
                scaled_offset,
                offset: c.offsets,
                address: c.address,
                size: c.size,
                filter_mask: c.filter_mask,
            });
        }
        out.sort_by(|a, b| a.scaled_offset.cmp(&b.scaled_offset));
        Ok(out)
    }

    /// The bytes of an allocated chunk as the file stores them (after the filters whose bit
    /// is clear in `c.filter_mask`), not decoded: libhdf5's `H5Dread_chunk`, what a direct
    /// chunk write takes back.
    pub fn read_chunk_stored(&self, c: &ChunkLocation) -> Result<Vec<u8>> {
        let ctx = self.core.file.ctx();
        ctx.read(c.address, c.size, "stored chunk").map(|b| b.into_owned()).map_err(|e| e.in_object(self.path().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use crate::File;

    fn interop(name: &str) -> String {
        h5kit_testkit::interop(name).to_string_lossy().into_owned()
    }

    fn dataset(file: &str, path: &str) -> crate::snapshot::Dataset {
        let f = File::open(interop(file)).unwrap();
        match f.object(path).unwrap() {
            crate::Object::Dataset(d) => d,
            other => panic!("{} is {:?}", path, other),
        }
    }

    /// (scaled offset, element offset, filter mask, address, size); the last four as h5py's
    /// `get_chunk_info` gives them.
    type Summary = (Vec<u64>, Vec<u64>, u32, u64, u64);

    fn summary(d: &crate::snapshot::Dataset) -> Vec<Summary> {
        d.chunk_locations()
            .unwrap()
            .into_iter()
            .map(|c| (c.scaled_offset, c.offset, c.filter_mask, c.address, c.size))
            .collect()
    }

    #[test]
    fn masks_of_skipped_optional_filters() {
        // lzf (id 32000) is optional: libhdf5 skipped it for the two chunks it did not shrink.
        // Expected values from h5py `dsid.get_chunk_info(i)` (offset, filter_mask, byte_offset, size).
        let want = vec![
            (vec![0, 0], vec![0, 0], 1, 2981, 15),
            (vec![0, 1], vec![0, 3], 1, 2966, 15),
            (vec![1, 0], vec![5, 0], 0, 2996, 13),
            (vec![1, 1], vec![5, 3], 0, 3009, 12),
        ];
        assert_eq!(summary(&dataset("jhdf/test_compressed_chunked_datasets_latest.hdf5", "/int/int8lzf")), want);
        // The same data through a version 1 B-tree (earliest format).
        let want_v1: Vec<_> = want.into_iter().map(|(s, o, m, a, n)| (s, o, m, a + 3000, n)).collect();
        assert_eq!(summary(&dataset("jhdf/test_compressed_chunked_datasets_earliest.hdf5", "/int/int8lzf")), want_v1);
    }

    #[test]
    fn fixed_array_index() {
        let want = vec![
            (vec![0, 0], vec![0, 0], 0, 3674, 20),
            (vec![1, 0], vec![2, 0], 0, 3694, 20),
            (vec![2, 0], vec![4, 0], 0, 3714, 15),
        ];
        assert_eq!(summary(&dataset("jhdf/chunked_v4_datasets.hdf5", "/filtered_fixed_array/int16")), want);
    }

    #[test]
    fn stored_chunk_bytes() {
        // The lzf chunk libhdf5 did not shrink is stored plain (mask 1): its bytes are the
        // values of rows 0-4, columns 0-2 of int8lzf as the reader decodes them.
        let d = dataset("jhdf/test_compressed_chunked_datasets_earliest.hdf5", "/int/int8lzf");
        let c = &d.chunk_locations().unwrap()[0];
        assert_eq!(c.filter_mask, 1);
        let stored = d.read_chunk_stored(c).unwrap();
        assert_eq!(stored.len(), 15);
        let all = d.read_raw().unwrap();
        let cols = d.shape()[1] as usize;
        let want: Vec<u8> = (0..5).flat_map(|r| all[r * cols..r * cols + 3].to_vec()).collect();
        assert_eq!(stored, want);
        // A compressed one (mask 0) differs from its values.
        let c = &d.chunk_locations().unwrap()[3];
        assert_eq!(d.read_chunk_stored(c).unwrap().len(), 12);
    }

    #[test]
    fn not_chunked_is_empty() {
        let d = dataset("jhdf/test_file.hdf5", "/nD_Datasets/3D_int32");
        assert!(!matches!(d.layout().layout, h5kit_object_header::Layout::Chunked { .. }));
        assert!(d.chunk_locations().unwrap().is_empty());
    }
}

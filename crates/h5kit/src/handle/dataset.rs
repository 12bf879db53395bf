//! Datasets as live handles (h5py's `Dataset`): shape, maximum shape, chunks, datatype and
//! filters as the header says now (spec IV.A.2.b dataspace, IV.A.2.d datatype, IV.A.2.i
//! layout, IV.A.2.l filter pipeline), typed reads of all or part, writes, resizing, and the
//! stored bytes of single chunks (libhdf5's direct chunk I/O, spec VII chunk indexes).

use std::ops::Range;
use std::sync::{Arc, Mutex};

use h5kit_core::{Error, Result};
use h5kit_object_header::{Datatype, Filter, Layout, UNLIMITED};

use crate::file::{File, FileInner};
use crate::handle::{base_name, Attrs};
use crate::object::Object;
use crate::selection::Hyperslab;
use crate::typed::{Array, H5Type};

/// A dataset of an open file: a live handle (see the [module docs](crate::handle)).
///
/// ```no_run
/// let f = h5kit::File::open("data.h5")?;
/// let ds = f.dataset("/group/x")?;
/// println!("{:?} {}", ds.shape()?, h5kit::handle::type_name(&ds.dtype()?));
/// let all = ds.read::<f64>()?;           // every element, converted to f64
/// let part = ds.read_slice::<f64>(2..5)?; // elements 2, 3, 4 (reads only their chunks)
/// # Ok::<(), h5kit::Error>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    file: File,
    path: String,
    /// The snapshot last read and the file state it was read from: reused while the file is
    /// unchanged, so repeated reads keep the chunk index and the decoded-chunk cache.
    cached: Arc<Mutex<Option<Cached>>>,
}

/// A snapshot and the file state it was read from.
type Cached = (Arc<FileInner>, crate::snapshot::Dataset);

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dataset({:?} in {})", self.path, self.file.inner.name)
    }
}

/// One chunk as stored: the bytes after the filters, and the filter mask (bit `i` set: filter
/// `i` of the pipeline was skipped for this chunk). libhdf5's `H5Dread_chunk`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawChunk {
    /// Bit `i` set: filter `i` of the pipeline was skipped for this chunk.
    pub filter_mask: u32,
    /// The chunk as stored (after the filters).
    pub data: Vec<u8>,
}

impl Dataset {
    pub(crate) fn at(file: File, path: String) -> Dataset {
        Dataset { file, path, cached: Arc::default() }
    }

    /// Absolute path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The last component of the path.
    pub fn name(&self) -> &str {
        base_name(&self.path)
    }

    /// The file this dataset belongs to.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// This dataset read from the file as it is now (the snapshot layer: every header
    /// message, the chunk index, [`crate::snapshot::Dataset::read_view`], the chunk cache settings).
    pub fn snapshot(&self) -> Result<crate::snapshot::Dataset> {
        crate::handle::retry(&self.file, || self.snapshot_once())
    }

    /// Forgets the snapshot read last (SWMR `refresh`).
    #[cfg(feature = "write")]
    pub(crate) fn drop_cached(&self) -> Result<()> {
        let mut cached = self.cached.lock().map_err(|_| Error::usage("dataset handle poisoned by an earlier panic"))?;
        *cached = None;
        Ok(())
    }

    /// [`Dataset::snapshot`], one attempt.
    fn snapshot_once(&self) -> Result<crate::snapshot::Dataset> {
        let current = self.file.current().map_err(|e| e.in_object(self.path.clone()))?;
        let mut cached = self.cached.lock().map_err(|_| Error::usage("dataset handle poisoned by an earlier panic"))?;
        if let Some((at, ds)) = cached.as_ref() {
            if Arc::ptr_eq(at, &current) {
                return Ok(ds.clone());
            }
        }
        let ds = match crate::handle::resolve_once(&self.file, &self.path)? {
            Object::Dataset(d) => d,
            Object::Group(_) => return Err(Error::usage(format!("{} is a group, not a dataset", self.path)).in_object(self.path.clone())),
            Object::Datatype(_) => {
                return Err(Error::usage(format!("{} is a committed datatype, not a dataset", self.path)).in_object(self.path.clone()))
            }
        };
        *cached = Some((current, ds.clone()));
        Ok(ds)
    }

    /// Current dimension sizes (empty for a scalar).
    pub fn shape(&self) -> Result<Vec<u64>> {
        Ok(self.snapshot()?.shape().to_vec())
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> Result<usize> {
        Ok(self.snapshot()?.shape().len())
    }

    /// Maximum dimension sizes, `None` for unlimited (h5py's `maxshape`); the shape when
    /// the dataspace records none.
    pub fn maxshape(&self) -> Result<Vec<Option<u64>>> {
        let s = self.snapshot()?;
        let space = s.dataspace();
        let max = space.max_dims.as_ref().unwrap_or(&space.dims);
        Ok(max.iter().map(|&d| if d == UNLIMITED { None } else { Some(d) }).collect())
    }

    /// Chunk shape, `None` when not chunked (h5py's `chunks`).
    pub fn chunk(&self) -> Result<Option<Vec<u64>>> {
        Ok(match &self.snapshot()?.layout().layout {
            Layout::Chunked { chunk_dims, .. } => Some(chunk_dims.clone()),
            _ => None,
        })
    }

    /// The datatype (name it with [`crate::handle::type_name`]).
    pub fn dtype(&self) -> Result<Datatype> {
        Ok(self.snapshot()?.datatype().clone())
    }

    /// The filter pipeline, in the order it is applied when writing (empty: none).
    pub fn filters(&self) -> Result<Vec<Filter>> {
        Ok(self.snapshot()?.filters().map(|p| p.filters.clone()).unwrap_or_default())
    }

    /// Length of the first dimension (h5py's `len(ds)`); an error for a scalar.
    pub fn len(&self) -> Result<u64> {
        match self.snapshot()?.shape().first() {
            Some(&n) => Ok(n),
            None => Err(Error::usage("len() of a scalar dataset").in_object(self.path.clone())),
        }
    }

    /// Whether the first dimension is 0 (an error for a scalar, as [`Dataset::len`]).
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Number of elements (h5py's `size`; 1 for a scalar).
    pub fn size(&self) -> Result<u64> {
        let s = self.snapshot()?;
        s.dataspace().element_count().ok_or_else(|| Error::format(s.address(), "element count overflows").in_object(self.path.clone()))
    }

    /// Every element converted to `T`, with the shape (h5py's `ds[()]`).
    pub fn read<T: H5Type>(&self) -> Result<Array<T>> {
        crate::handle::retry(&self.file, || self.snapshot_once()?.read::<T>())
    }

    /// The elements of `selection` converted to `T`, with the selection's shape: a
    /// [`Hyperslab`] (start/stride/count/block), a range for one dimension (`2..5`), or an
    /// array of ranges (`[0..2, 1..3]`). Only the chunks it touches are read.
    pub fn read_slice<T: H5Type>(&self, selection: impl Into<Hyperslab>) -> Result<Array<T>> {
        let selection = selection.into();
        crate::handle::retry(&self.file, || self.snapshot_once()?.read_slice::<T>(&selection))
    }

    /// The one value of a scalar or one-element dataset.
    pub fn read_scalar<T: H5Type>(&self) -> Result<T> {
        let a = self.read::<T>()?;
        match a.data.as_slice() {
            [v] => Ok(v.clone()),
            d => Err(Error::usage(format!("read_scalar of a dataset of {} elements (shape {:?})", d.len(), a.shape)).in_object(self.path.clone())),
        }
    }

    /// Every element as a string (fixed-length without padding, or variable-length).
    pub fn read_strings(&self) -> Result<Vec<String>> {
        crate::handle::retry(&self.file, || self.snapshot_once()?.read_strings())
    }

    /// Every element in the file's encoding, row-major.
    pub fn read_raw(&self) -> Result<Vec<u8>> {
        crate::handle::retry(&self.file, || self.snapshot_once()?.read_raw())
    }

    /// The stored bytes and filter mask of the chunk whose first element is at `offset`
    /// (a multiple of the chunk shape), `None` when the chunk is not allocated (libhdf5's
    /// `H5Dread_chunk`). An error when the dataset is not chunked or `offset` is not a chunk's.
    pub fn read_chunk_raw(&self, offset: &[u64]) -> Result<Option<RawChunk>> {
        let s = self.snapshot()?;
        let err = |m: String| Error::usage(m).in_object(self.path.clone());
        let Layout::Chunked { chunk_dims, .. } = &s.layout().layout else {
            return Err(err("read_chunk_raw: the dataset is not chunked".into()));
        };
        if offset.len() != chunk_dims.len() || offset.iter().zip(chunk_dims).any(|(&o, &c)| c == 0 || o % c != 0) {
            return Err(err(format!("read_chunk_raw: {:?} is not the offset of a chunk (chunk shape {:?})", offset, chunk_dims)));
        }
        let Some(c) = s.chunk_locations()?.into_iter().find(|c| c.offset == offset) else { return Ok(None) };
        let inner = self.file.current()?;
        let n = inner.limits.check_alloc(c.size, c.address, "raw chunk").map_err(|e| e.in_object(self.path.clone()))?;
        let start = inner.superblock.base_address.checked_add(c.address).ok_or_else(|| Error::format(c.address, "chunk address overflows"))?;
        let data = inner.storage.bytes(start, n).map_err(|e| e.in_object(self.path.clone()))?.into_owned();
        Ok(Some(RawChunk { filter_mask: c.filter_mask, data }))
    }

    /// The box of every chunk of the chunk grid, clipped to the current shape, in row-major
    /// order of the grid (h5py's `iter_chunks()`: allocated or not). An error when the dataset
    /// is not chunked.
    pub fn iter_chunks(&self) -> Result<Vec<Hyperslab>> {
        let s = self.snapshot()?;
        let Layout::Chunked { chunk_dims, .. } = &s.layout().layout else {
            return Err(Error::usage("iter_chunks: the dataset is not chunked").in_object(self.path.clone()));
        };
        let shape = s.shape();
        if chunk_dims.len() != shape.len() || chunk_dims.contains(&0) {
            return Err(Error::format(s.address(), "chunk rank differs from the dataspace rank").in_object(self.path.clone()));
        }
        let grid: Vec<u64> = shape.iter().zip(chunk_dims).map(|(&d, &c)| d.div_ceil(c)).collect();
        let total = grid.iter().try_fold(1u64, |a, &g| a.checked_mul(g)).ok_or_else(|| Error::usage("too many chunks"))?;
        self.file.current()?.limits.check_alloc(total.saturating_mul(48), 0, "chunk list").map_err(|e| e.in_object(self.path.clone()))?;
        let mut out = Vec::new();
        let mut idx = vec![0u64; grid.len()];
        for _ in 0..total {
            let start: Vec<u64> = idx.iter().zip(chunk_dims).map(|(&i, &c)| i * c).collect();
            let count: Vec<u64> = start.iter().zip(chunk_dims).zip(shape).map(|((&st, &c), &d)| c.min(d - st)).collect();
            out.push(Hyperslab::new(&start, &count));
            for d in (0..idx.len()).rev() {
                let (Some(i), Some(&g)) = (idx.get_mut(d), grid.get(d)) else { break };
                *i += 1;
                if *i < g {
                    break;
                }
                *i = 0;
            }
        }
        Ok(out)
    }

    /// Every element as an n-dimensional `ndarray` array of the dataset's shape (feature
    /// `ndarray`).
    #[cfg(feature = "ndarray")]
    pub fn read_ndarray<T: H5Type>(&self) -> Result<ndarray::ArrayD<T>> {
        self.read::<T>()?.into_ndarray().map_err(|e| e.in_object(self.path.clone()))
    }

    /// The attributes of this dataset (h5py's `ds.attrs`).
    pub fn attrs(&self) -> Attrs {
        Attrs::at(self.file.clone(), self.path.clone())
    }
}

#[cfg(feature = "write")]
impl Dataset {
    /// Writes every element from `data` (row-major, as many values as elements), converted
    /// to the dataset's datatype as libhdf5 converts (h5py's `ds[...] = data`).
    pub fn write<T: crate::H5Write>(&self, data: &[T]) -> Result<()> {
        let n = self.size()?;
        if data.len() as u64 != n {
            return Err(Error::usage(format!("write: {} values for a dataset of {} elements (shape {:?})", data.len(), n, self.shape()?))
                .in_object(self.path.clone()));
        }
        self.file.write(&self.path, data).map_err(|e| e.in_object(self.path.clone()))
    }

    /// Writes the box `selection` (a range per dimension, or a [`Hyperslab`] of one block
    /// per dimension) from `data`, row-major over the selection's shape.
    pub fn write_slice<T: crate::H5Write>(&self, selection: impl Into<Hyperslab>, data: &[T]) -> Result<()> {
        let sel = selection.into();
        let err = |m: String| Error::usage(m).in_object(self.path.clone());
        let (start, count) = sel.bounding_box().ok_or_else(|| err("write_slice: selection blocks overlap or overflow".into()))?;
        if !sel.is_box() {
            return Err(err("write_slice: only a box (stride 1, or one block per dimension) can be written".into()));
        }
        let want = count.iter().try_fold(1u64, |a, &c| a.checked_mul(c)).ok_or_else(|| err("write_slice: selection too large".into()))?;
        if data.len() as u64 != want {
            return Err(err(format!("write_slice: {} values for a selection of {} elements (count {:?})", data.len(), want, count)));
        }
        self.file.write_slice(&self.path, &start, &count, data).map_err(|e| e.in_object(self.path.clone()))
    }

    /// Writes every element from an `ndarray` array of the dataset's shape, any rank and
    /// memory order (feature `ndarray`).
    #[cfg(feature = "ndarray")]
    pub fn write_ndarray<T: crate::H5Write, S: ndarray::Data<Elem = T>, D: ndarray::Dimension>(
        &self,
        array: &ndarray::ArrayBase<S, D>,
    ) -> Result<()> {
        let shape = self.shape()?;
        if array.shape().iter().map(|&d| d as u64).ne(shape.iter().copied()) {
            return Err(Error::usage(format!("write_ndarray: array of shape {:?} for a dataset of shape {:?}", array.shape(), shape))
                .in_object(self.path.clone()));
        }
        match array.as_slice() {
            Some(data) => self.write(data),
            None => self.write(&array.iter().cloned().collect::<Vec<T>>()),
        }
    }

    /// Writes variable-length strings into a string dataset.
    pub fn write_strings(&self, strings: &[&str]) -> Result<()> {
        self.file.write_strings(&self.path, strings).map_err(|e| e.in_object(self.path.clone()))
    }

    /// Changes the shape within the maximum shape (h5py's `resize`); new elements read as the
    /// fill value.
    pub fn resize(&self, shape: impl AsRef<[u64]>) -> Result<()> {
        self.file.resize(&self.path, shape.as_ref()).map_err(|e| e.in_object(self.path.clone()))
    }

    /// Stores the chunk whose first element is at `offset` (a multiple of the chunk shape,
    /// inside the extent) from its stored bytes: `data` after the dataset's filters,
    /// `filter_mask` bit `i` set for each filter `i` skipped (libhdf5's `H5Dwrite_chunk`,
    /// h5py's `write_direct_chunk`; what [`Dataset::read_chunk_raw`] gives back).
    pub fn write_chunk_raw(&self, offset: &[u64], filter_mask: u32, data: &[u8]) -> Result<()> {
        self.file.write_chunk_raw(&self.path, offset, filter_mask, data).map_err(|e| e.in_object(self.path.clone()))
    }
}

impl From<Range<u64>> for Hyperslab {
    /// `start..end` of a one-dimensional dataset.
    fn from(r: Range<u64>) -> Hyperslab {
        Hyperslab::new(&[r.start], &[r.end.saturating_sub(r.start)])
    }
}

impl<const N: usize> From<[Range<u64>; N]> for Hyperslab {
    /// One range per dimension.
    fn from(r: [Range<u64>; N]) -> Hyperslab {
        let start: Vec<u64> = r.iter().map(|r| r.start).collect();
        let count: Vec<u64> = r.iter().map(|r| r.end.saturating_sub(r.start)).collect();
        Hyperslab::new(&start, &count)
    }
}

impl From<&Hyperslab> for Hyperslab {
    fn from(h: &Hyperslab) -> Hyperslab {
        h.clone()
    }
}

//! Zero-copy reads: a dataset's values borrowed straight from the file's bytes.
//!
//! When a dataset has contiguous storage (spec IV.A.2.i "Data Layout Message", layout class 1)
//! and its datatype is laid out exactly as `T` in memory, its values are one run of bytes in
//! the file. If the file is memory-mapped ([`crate::File::open_mapped`]) or held in memory
//! ([`crate::File::from_bytes`]), an [`ArrayView`] points at that run: no allocation, no copy,
//! no page of the result written. Every other dataset is read into memory as
//! [`crate::snapshot::Dataset::read`] does, behind the same type.
//!
//! A view keeps the file's storage alive. For mapped files the usual contract of memory maps
//! holds (see [`crate::File::open_mapped`]): the file must not be truncated or rewritten by another
//! program while views of it exist.

use std::sync::Arc;

use crate::file::FileInner;
use crate::typed::{Array, H5Type};

/// A dataset's values, row-major, with the dataset's shape: borrowed from the file when it
/// stores them as `T` in one contiguous block ([`ArrayView::is_borrowed`]), read into memory
/// otherwise. Dereferences to `&[T]`.
pub struct ArrayView<T> {
    data: ViewData<T>,
    shape: Vec<u64>,
}

enum ViewData<T> {
    /// `len` elements of `T` at byte `start` of the file's storage slice (checked in range
    /// and aligned for `T` when the view was made; the storage never changes afterwards).
    Borrowed { file: Arc<FileInner>, start: usize, len: usize },
    Owned(Vec<T>),
}

impl<T: H5Type> ArrayView<T> {
    /// A view of `len` elements at absolute storage offset `start`, if the storage exposes its
    /// bytes and they are in range and aligned for `T`.
    pub(crate) fn borrowed(file: Arc<FileInner>, start: u64, len: usize, shape: Vec<u64>) -> Option<ArrayView<T>> {
        let start = usize::try_from(start).ok()?;
        let bytes = len.checked_mul(std::mem::size_of::<T>())?;
        let all = file.storage.as_slice()?;
        let run = all.get(start..start.checked_add(bytes)?)?;
        T::cast_bytes(run)?;
        Some(ArrayView { data: ViewData::Borrowed { file, start, len }, shape })
    }

    pub(crate) fn owned(array: Array<T>) -> ArrayView<T> {
        ArrayView { data: ViewData::Owned(array.data), shape: array.shape }
    }

    /// The dataset's shape.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// Whether the values are borrowed from the file's bytes (no copy was made).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.data, ViewData::Borrowed { .. })
    }

    /// The values as an owned [`Array`] (a copy when borrowed).
    pub fn into_array(self) -> Array<T> {
        let data = match self.data {
            ViewData::Owned(v) => v,
            ViewData::Borrowed { .. } => self.as_slice().to_vec(),
        };
        Array { data, shape: self.shape }
    }

    /// The values as a slice.
    pub fn as_slice(&self) -> &[T] {
        match &self.data {
            ViewData::Owned(v) => v,
            ViewData::Borrowed { file, start, len } => {
                // In range and aligned: checked in `borrowed`, and a file's storage bytes
                // never change while it is open. The empty fallback is never taken.
                let run = file
                    .storage
                    .as_slice()
                    .and_then(|all| all.get(*start..start.saturating_add(len.saturating_mul(std::mem::size_of::<T>()))));
                run.and_then(T::cast_bytes).unwrap_or_default()
            }
        }
    }
}

impl<T: H5Type> Clone for ArrayView<T> {
    /// A borrowed view clones as another borrow of the same bytes; an owned one copies.
    fn clone(&self) -> Self {
        let data = match &self.data {
            ViewData::Borrowed { file, start, len } => ViewData::Borrowed { file: file.clone(), start: *start, len: *len },
            ViewData::Owned(v) => ViewData::Owned(v.clone()),
        };
        ArrayView { data, shape: self.shape.clone() }
    }
}

impl<T: H5Type> AsRef<[T]> for ArrayView<T> {
    fn as_ref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: H5Type> std::ops::Deref for ArrayView<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: H5Type + std::fmt::Debug> std::fmt::Debug for ArrayView<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrayView")
            .field("shape", &self.shape)
            .field("borrowed", &self.is_borrowed())
            .field("len", &self.as_slice().len())
            .finish()
    }
}

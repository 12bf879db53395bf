//! The file as h5py's `File` object: the five modes as constructors, a builder for the
//! options (`libver`), and the root group's calls (`f.group(..)`, `f.dataset(..)`,
//! `f.attrs()`, ...) on the file itself. The file's format is set by the superblock
//! (spec II.A); `LibVer::Earliest` (h5py's default) gives superblock 0.

#[cfg(feature = "write")]
use std::path::Path;

use h5kit_core::Result;

use crate::file::File;
use crate::handle::{Attrs, Dataset, Group, Node};

#[cfg(feature = "write")]
use crate::mode::Mode;
#[cfg(feature = "write")]
use h5kit_write::LibVer;

/// How a file is opened or created beyond its mode: the format of new files ([`LibVer`]).
/// Get one from [`File::builder`].
///
/// ```no_run
/// use h5kit::{File, Mode, write::LibVer};
/// let f = File::builder().libver(LibVer::Latest).open("new.h5", Mode::Truncate)?;
/// # Ok::<(), h5kit::Error>(())
/// ```
#[cfg(feature = "write")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileBuilder {
    libver: LibVer,
}

#[cfg(feature = "write")]
impl Default for FileBuilder {
    fn default() -> Self {
        FileBuilder { libver: LibVer::Earliest }
    }
}

#[cfg(feature = "write")]
impl FileBuilder {
    /// The format of files this builder creates (h5py's `libver`; default
    /// [`LibVer::Earliest`]). Files that exist keep the format they have.
    pub fn libver(mut self, libver: LibVer) -> Self {
        self.libver = libver;
        self
    }

    /// Opens `path` in `mode`.
    pub fn open(self, path: impl AsRef<Path>, mode: Mode) -> Result<File> {
        File::open_with(path, mode, self.libver)
    }

    /// Creates `path`, truncating any existing file (mode `w`).
    pub fn create(self, path: impl AsRef<Path>) -> Result<File> {
        self.open(path, Mode::Truncate)
    }

    /// Creates `path`; fails if it exists (mode `w-`/`x`).
    pub fn create_excl(self, path: impl AsRef<Path>) -> Result<File> {
        self.open(path, Mode::Exclusive)
    }

    /// Opens `path` for reading and writing, creating it if missing (mode `a`).
    pub fn append(self, path: impl AsRef<Path>) -> Result<File> {
        self.open(path, Mode::Append)
    }

    /// A new file in memory (see [`File::to_bytes`]).
    pub fn in_memory(self) -> Result<File> {
        File::create_in_memory(self.libver)
    }
}

#[cfg(feature = "write")]
impl File {
    /// Options for opening or creating a file: `File::builder().libver(..).create(path)`.
    pub fn builder() -> FileBuilder {
        FileBuilder::default()
    }

    /// Creates `path` for writing; fails if it exists (h5py's mode `w-` or `x`).
    pub fn create_excl(path: impl AsRef<Path>) -> Result<File> {
        File::builder().create_excl(path)
    }

    /// Opens an existing file for reading and writing (h5py's mode `r+`).
    pub fn open_rw(path: impl AsRef<Path>) -> Result<File> {
        File::builder().open(path, Mode::ReadWrite)
    }

    /// Opens `path` for reading and writing if it exists, creates it otherwise (h5py's mode
    /// `a`).
    pub fn append(path: impl AsRef<Path>) -> Result<File> {
        File::builder().append(path)
    }

    /// The group at `path`, created (with missing intermediate groups) when missing; an error
    /// when something else has that name (h5py's `require_group`).
    pub fn require_group(&self, path: &str) -> Result<Group> {
        self.group_handle().require_group(path)
    }

    /// A dataset builder for values of `T` (see [`Group::new_dataset`]).
    pub fn new_dataset<T: crate::H5Write + 'static>(&self) -> crate::handle::DatasetBuilder<'static, T> {
        self.group_handle().new_dataset::<T>()
    }

    /// The dataset at `path` if it exists with this shape and a datatype `T` converts to
    /// without loss, else a new contiguous one (h5py's `require_dataset`).
    pub fn require_dataset<T: crate::H5Write + 'static>(&self, path: &str, shape: &[u64]) -> Result<Dataset> {
        self.group_handle().require_dataset::<T>(path, shape)
    }
}

impl File {
    /// The root group `/` as a live handle.
    fn group_handle(&self) -> Group {
        Group::at(self.clone(), "/".to_string())
    }

    /// The group at `path` (absolute, or relative to the root): a live handle. An error if
    /// nothing is there or it is not a group.
    ///
    /// ```no_run
    /// let f = h5kit::File::open("data.h5")?;
    /// let root = f.group("/")?;
    /// println!("{:?}", root.keys()?);
    /// # Ok::<(), h5kit::Error>(())
    /// ```
    pub fn group(&self, path: &str) -> Result<Group> {
        self.group_handle().group(path)
    }

    /// The dataset at `path` (absolute, or relative to the root): a live handle.
    pub fn dataset(&self, path: &str) -> Result<Dataset> {
        self.group_handle().dataset(path)
    }

    /// The object at `path`, whatever it is.
    pub fn node(&self, path: &str) -> Result<Node> {
        self.group_handle().node(path)
    }

    /// Names of the root group's links, in name order (h5py's `f.keys()`).
    pub fn keys(&self) -> Result<Vec<String>> {
        self.group_handle().keys()
    }

    /// Number of links in the root group.
    pub fn len(&self) -> Result<usize> {
        self.group_handle().len()
    }

    /// Whether the root group has no links.
    pub fn is_empty(&self) -> Result<bool> {
        self.group_handle().is_empty()
    }

    /// Whether `path` names an object (h5py's `path in f`).
    pub fn contains(&self, path: &str) -> bool {
        self.group_handle().contains(path)
    }

    /// The attributes of the root group (h5py's `f.attrs`).
    pub fn attrs(&self) -> Attrs {
        Attrs::at(self.clone(), "/".to_string())
    }

    /// Every object below the root, once each, depth first in name order (h5py's
    /// `visititems`); see [`Group::visit`].
    pub fn visit(&self, f: impl FnMut(&str, &Node) -> Result<()>) -> Result<()> {
        self.group_handle().visit(f)
    }
}

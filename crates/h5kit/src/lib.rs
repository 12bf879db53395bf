//! h5kit: read and write HDF5 files in pure Rust, with h5py's model.
//!
//! A [`File`] is opened with one of h5py's modes ([`File::open`] `r`, `File::open_rw` `r+`,
//! `File::create` `w`, `File::create_excl` `w-`/`x`, `File::append` `a`); its groups and
//! datasets are live handles ([`Group`], [`Dataset`]: a handle taken before a write sees it), addressed by paths with `/`; every object has its attributes as a mapping
//! ([`Attrs`]). The format layers live in their own crates (`h5kit-superblock`,
//! `h5kit-object-header`, `h5kit-btree`, `h5kit-heap`, `h5kit-dataset`, `h5kit-write`); this
//! crate ties them together the way libhdf5's H5F/H5G/H5D/H5A interfaces do.
//!
//! Reading:
//!
//! ```no_run
//! let file = h5kit::File::open("data.h5")?;
//! for name in file.keys()? {
//!     println!("{}", name);
//! }
//! let ds = file.dataset("/group/x")?;
//! let values = ds.read::<f64>()?;                // Array { data, shape }
//! let first_rows = ds.read_slice::<f64>([0..2, 0..3])?;
//! let unit: String = ds.attrs().get("unit")?;
//! # Ok::<(), h5kit::Error>(())
//! ```
//!
//! Writing:
//!
//! ```no_run
//! let f = h5kit::File::create("new.h5")?;
//! let g = f.create_group("measurements")?;
//! let t = g.new_dataset::<f64>().shape([0]).maxshape([None]).chunk([1024]).deflate(4).create("t")?;
//! t.resize([3])?;
//! t.write(&[20.5, 21.0, 21.5])?;
//! t.attrs().set("unit", "degC")?;
//! f.close()?;
//! # Ok::<(), h5kit::Error>(())
//! ```
//!
//! Under the handles are two lower layers: the snapshot objects ([`snapshot`]: [`Object`],
//! [`snapshot::Group`], [`snapshot::Dataset`]: one reading of an object header, with every
//! message, zero-copy [`snapshot::Dataset::read_view`] and chunk locations, from
//! `handle.snapshot()` or [`File::object`]), and the path-string write methods of [`File`]
//! (`write`, `write_slice`, `resize`, `set_attr`, `create_dataset` with a `DatasetSpec`, ...).
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

/// The README's quick start, compiled and run as a doctest.
#[cfg(all(doctest, feature = "write"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

#[cfg(feature = "arrow")]
pub mod arrow;
mod attribute;
mod chunks;
mod dense;
#[doc(hidden)]
#[path = "derive.rs"]
pub mod __derive;
mod file;
mod fixed_string;
mod group;
pub mod handle;
#[cfg(feature = "write")]
mod mode;
mod object;
mod selection;
#[cfg(feature = "write")]
pub mod swmr;
#[cfg(feature = "write")]
pub mod repack;
mod typed;
#[cfg(feature = "write")]
mod typed_write;
#[cfg(feature = "write")]
mod write_state;
#[cfg(feature = "write")]
mod write_types;
pub mod vds;
mod view;
mod vlen;
mod walk;

pub use attribute::Attribute;
pub use chunks::ChunkLocation;
pub use file::File;
pub use fixed_string::FixedString;
pub use group::Link;
pub use handle::{Attrs, Dataset, Group, Node};
#[cfg(feature = "write")]
pub use handle::{DatasetBuilder, FileBuilder};
#[cfg(feature = "write")]
pub use mode::Mode;
pub use object::{NamedDatatype, Object};

/// One reading of an object: [`snapshot::Group`], [`snapshot::Dataset`] and
/// [`snapshot::NamedDatatype`] hold the object header as read (every message, spec IV.A), the
/// chunk index walked once and a decoded-chunk cache, and are never updated. Cheaper than the
/// live handles in hot loops (`ds.snapshot()?`), and the way to everything the file stores:
/// layout, fill value, external files, chunk locations, [`snapshot::Dataset::read_view`]
/// (zero-copy reads).
///
/// ```no_run
/// let file = h5kit::File::open("data.h5")?;
/// let snap: h5kit::snapshot::Dataset = file.dataset("x")?.snapshot()?;
/// println!("{:?} {:?}", snap.layout(), snap.shape());
/// # Ok::<(), h5kit::Error>(())
/// ```
pub mod snapshot {
    pub use crate::object::{Dataset, Group, NamedDatatype, Object};
    pub use crate::walk::{objects, ordered_links};
}
pub use selection::Hyperslab;
pub use typed::{Array, H5Type};
#[cfg(feature = "derive")]
pub use h5kit_derive::H5Type;
pub use view::ArrayView;
pub use vlen::VarLen;
#[cfg(feature = "write")]
pub use typed::H5Write;

pub use h5kit_core::{Error, ErrorKind, Limits, Result};
pub use h5kit_object_header::{
    AllocTime, AttributeMessage, ByteOrder, CharacterSet, ChunkIndex, CompoundMember, Dataspace,
    DataspaceKind, Datatype, ExternalFiles, FillTime, FillValue, Filter, FilterPipeline, Layout,
    LayoutMessage, LinkTarget, MantissaNorm, ReferenceKind, StringPadding, TypeClass, UNLIMITED,
};
pub use h5kit_superblock::Superblock;

#[cfg(feature = "write")]
/// The writer: build a file in memory and serialize it (see [`h5kit_write`]).
pub mod write {
    pub use h5kit_write::*;
}

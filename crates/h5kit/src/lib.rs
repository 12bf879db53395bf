//! h5kit: read HDF5 files in pure Rust, with h5py's model.
//!
//! A [`File`] opens a file (from a path or from bytes); its root [`Group`] lists links and opens
//! objects by path; a [`Dataset`] gives its datatype, dataspace, layout and data; every object
//! has [`Attribute`]s. The format layers live in their own crates (`h5kit-superblock`,
//! `h5kit-object-header`, `h5kit-btree`, `h5kit-heap`, `h5kit-dataset`); this crate ties them
//! together the way libhdf5's H5F/H5G/H5A/H5D interfaces do.
//!
//! ```no_run
//! let file = h5kit::File::open("data.h5")?;
//! let root = file.root()?;
//! for link in root.links()? {
//!     println!("{}", link.name);
//! }
//! # Ok::<(), h5kit::Error>(())
//! ```
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod attribute;
mod chunks;
mod dense;
mod file;
mod group;
pub mod handle;
#[cfg(feature = "write")]
mod mode;
mod object;
mod selection;
#[cfg(feature = "write")]
pub mod repack;
mod typed;
#[cfg(feature = "write")]
mod typed_write;
#[cfg(feature = "write")]
mod write_state;
pub mod vds;
mod view;
mod vlen;

pub use attribute::Attribute;
pub use chunks::ChunkLocation;
pub use file::File;
pub use group::Link;
pub use handle::{Attrs, Node};
#[cfg(feature = "write")]
pub use handle::{DatasetBuilder, FileBuilder};
#[cfg(feature = "write")]
pub use mode::Mode;
pub use object::{Dataset, Group, NamedDatatype, Object};
pub use selection::Hyperslab;
pub use typed::{Array, H5Type};
pub use view::ArrayView;
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

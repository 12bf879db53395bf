//! h5py's objects: live handles on the groups, datasets and attributes of an open [`File`].
//!
//! A handle holds the file's shared state and the object's absolute path; every call resolves
//! the path through the file as it is at that moment (spec IV.A.2.g link messages, III.A/III.B
//! symbol tables, as [`crate::Object`] reads them), so a handle taken before a write sees that
//! write, made through it, through another handle or through the file. This is h5py's model
//! (`f["x"]` stays usable while the file changes) in the shape of the `hdf5` (hdf5-metno)
//! crate:
//!
//! ```no_run
//! use h5kit::File;
//! let f = File::create("inventory.h5")?;
//! let fruits = f.create_group("fruits")?;
//! let apples = fruits
//!     .new_dataset::<i64>()
//!     .shape([0])
//!     .maxshape([None])
//!     .chunk([4])
//!     .deflate(4)
//!     .create("apples")?;
//! apples.resize([3])?;
//! apples.write(&[3, 5, 2])?;
//! apples.attrs().set("unit", "kg")?;
//! assert_eq!(f.dataset("/fruits/apples")?.read::<i64>()?.data, [3, 5, 2]);
//! assert_eq!(fruits.attrs().get_opt::<String>("missing")?, None);
//! f.close()?;
//! # Ok::<(), h5kit::Error>(())
//! ```
//!
//! The handles are a layer over two lower layers, kept for what they do best: the snapshot
//! objects [`crate::Object`], [`crate::snapshot::Group`] and [`crate::snapshot::Dataset`] (one reading of an
//! object header, cheap to inspect, not updated by later writes), and the path-string write
//! methods of [`File`] (`File::write`, `File::resize`, `File::set_attr`, ...), which every
//! write of a handle goes through.
//!
//! A handle names an object by path, as h5py's name of an object does: after a link is
//! deleted or moved, the handle resolves what the path names then (or fails, not found).

mod attrs;
#[cfg(feature = "write")]
mod builder;
mod dataset;
pub(crate) mod dtype_name;
mod file;
mod group;

pub use attrs::{Attrs, FromAttr};
#[cfg(feature = "write")]
pub use attrs::{AttrData, AttrValue};
#[cfg(feature = "write")]
pub use builder::DatasetBuilder;
pub use dataset::{Dataset, RawChunk};
pub use dtype_name::type_name;
#[cfg(feature = "write")]
pub use file::FileBuilder;
pub use group::{Group, Node};

use h5kit_core::{Error, Result};

use crate::file::File;
use crate::object::Object;

/// The absolute path of `name` under `base`: `name` itself when absolute; `.` and empty
/// components dropped; `..` refused (h5py has no parent links either).
pub(crate) fn join(base: &str, name: &str) -> Result<String> {
    let mut parts: Vec<&str> = if name.starts_with('/') { Vec::new() } else { base.split('/').filter(|c| !c.is_empty()).collect() };
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(Error::usage(format!("invalid path {:?}: \"..\" is not a link name", name))),
            c => parts.push(c),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// The object at absolute `path` in the file as it is now.
/// (SWMR reading: again while it meets a structure being rewritten, [`retry`].)
pub(crate) fn resolve(file: &File, path: &str) -> Result<Object> {
    retry(file, || resolve_once(file, path))
}

/// [`resolve`], one attempt.
pub(crate) fn resolve_once(file: &File, path: &str) -> Result<Object> {
    file.object(path).map_err(|e| if e.path.is_none() { e.in_object(path.to_string()) } else { e })
}

/// The last component of an absolute path (`/` for the root).
pub(crate) fn base_name(path: &str) -> &str {
    match path.rsplit('/').next() {
        Some("") | None => "/",
        Some(n) => n,
    }
}

/// Runs a read, again while it meets a structure being rewritten (SWMR reading, [`crate::swmr`]).
#[cfg(feature = "write")]
pub(crate) use crate::swmr::retry;

/// Runs a read (without the `write` feature there is no SWMR reading).
#[cfg(not(feature = "write"))]
pub(crate) fn retry<T>(_: &File, mut op: impl FnMut() -> Result<T>) -> Result<T> {
    op()
}

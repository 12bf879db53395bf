//! Write operations of a writable [`File`] for datatypes beyond plain numbers and strings:
//! committed (named) datatypes, object and dataset region references, null dataspaces. Each
//! runs on the on-disk writer (`h5kit_write::edit`) through [`File::change`].

use h5kit_core::Result;
use h5kit_object_header::Datatype;
use h5kit_write::{DatasetSpec, Region};

use crate::file::File;

impl File {
    /// Commits `datatype` under `path` (a named datatype: h5py's `f[name] = numpy.dtype(...)`);
    /// datasets then use it through [`DatasetSpec::committed_type`].
    pub fn commit_datatype(&self, path: &str, datatype: Datatype) -> Result<()> {
        self.change(path, |e| e.commit_datatype(path, datatype))
    }

    /// Writes object references into a dataset of `H5T_STD_REF_OBJ` (`None`: a null
    /// reference), one per element.
    pub fn write_references(&self, path: &str, targets: &[Option<&str>]) -> Result<()> {
        self.change(path, |e| e.write_references(path, targets))
    }

    /// Writes dataset region references into a dataset of `H5T_STD_REF_DSETREG`: per element
    /// the target dataset and its region (`None`: a null reference).
    pub fn write_region_references(&self, path: &str, targets: &[Option<(&str, Region)>]) -> Result<()> {
        self.change(path, |e| e.write_region_references(path, targets))
    }

    /// Creates or replaces an attribute of object references (`shape` `None`: scalar).
    pub fn set_attr_references(&self, object: &str, name: &str, shape: Option<&[u64]>, targets: &[Option<&str>]) -> Result<()> {
        self.change(object, |e| e.set_reference_attribute(object, name, shape, targets))
    }

    /// Creates or replaces an attribute of dataset region references (`shape` `None`: scalar).
    pub fn set_attr_region_references(&self, object: &str, name: &str, shape: Option<&[u64]>, targets: &[Option<(&str, Region)>]) -> Result<()> {
        self.change(object, |e| e.set_region_reference_attribute(object, name, shape, targets))
    }

    /// Creates a dataset with a null dataspace (`H5S_NULL`, h5py's `h5py.Empty`): of `spec`,
    /// the datatype, committed type and fill value are used.
    pub fn create_null_dataset(&self, path: &str, spec: DatasetSpec) -> Result<()> {
        self.change(path, |e| e.create_null_dataset(path, spec))
    }

    /// Creates or replaces an attribute with a null dataspace (h5py's `h5py.Empty`).
    pub fn set_attr_null(&self, object: &str, name: &str, datatype: Datatype) -> Result<()> {
        self.change(object, |e| e.set_null_attribute(object, name, datatype))
    }

    /// Writes the box `start`/`count` of a dataset from raw bytes in the encoding of
    /// [`File::write_raw`] (variable-length elements: a `u32` byte count and the bytes each).
    pub fn write_slice_raw(&self, path: &str, start: &[u64], count: &[u64], data: &[u8]) -> Result<()> {
        self.change(path, |e| e.write_slice(path, start, count, data))
    }
}

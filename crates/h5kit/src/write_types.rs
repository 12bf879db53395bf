//! Write operations of a writable [`File`] for datatypes beyond plain numbers and strings:
//! committed (named) datatypes, object and dataset region references, null dataspaces. Each
//! runs on the on-disk writer (`h5kit_write::edit`), with the in-memory model as fallback as
//! every change ([`File::change`]).

use h5kit_core::Result;
use h5kit_object_header::Datatype;
use h5kit_write::{DatasetSpec, Region};

use crate::file::File;

impl File {
    /// Commits `datatype` under `path` (a named datatype: h5py's `f[name] = numpy.dtype(...)`);
    /// datasets then use it through [`DatasetSpec::committed_type`].
    pub fn commit_datatype(&self, path: &str, datatype: Datatype) -> Result<()> {
        let for_model = datatype.clone();
        self.change(|e| e.commit_datatype(path, datatype), |w| w.commit_datatype(path, for_model))
    }

    /// Writes object references into a dataset of `H5T_STD_REF_OBJ` (`None`: a null
    /// reference), one per element.
    pub fn write_references(&self, path: &str, targets: &[Option<&str>]) -> Result<()> {
        self.change(|e| e.write_references(path, targets), |w| w.write_references(path, targets))
    }

    /// Writes dataset region references into a dataset of `H5T_STD_REF_DSETREG`: per element
    /// the target dataset and its region (`None`: a null reference).
    pub fn write_region_references(&self, path: &str, targets: &[Option<(&str, Region)>]) -> Result<()> {
        self.change(|e| e.write_region_references(path, targets), |w| w.write_region_references(path, targets))
    }

    /// Creates or replaces an attribute of object references (`shape` `None`: scalar).
    pub fn set_attr_references(&self, object: &str, name: &str, shape: Option<&[u64]>, targets: &[Option<&str>]) -> Result<()> {
        self.change(|e| e.set_reference_attribute(object, name, shape, targets), |w| w.set_reference_attribute(object, name, shape, targets))
    }

    /// Creates or replaces an attribute of dataset region references (`shape` `None`: scalar).
    pub fn set_attr_region_references(&self, object: &str, name: &str, shape: Option<&[u64]>, targets: &[Option<(&str, Region)>]) -> Result<()> {
        self.change(
            |e| e.set_region_reference_attribute(object, name, shape, targets),
            |w| w.set_region_reference_attribute(object, name, shape, targets),
        )
    }

    /// Creates a dataset with a null dataspace (`H5S_NULL`, h5py's `h5py.Empty`): of `spec`,
    /// the datatype, committed type and fill value are used.
    pub fn create_null_dataset(&self, path: &str, spec: DatasetSpec) -> Result<()> {
        let for_model = spec.clone();
        self.change(|e| e.create_null_dataset(path, spec), |w| w.create_null_dataset(path, for_model))
    }

    /// Creates or replaces an attribute with a null dataspace (h5py's `h5py.Empty`).
    pub fn set_attr_null(&self, object: &str, name: &str, datatype: Datatype) -> Result<()> {
        let for_model = datatype.clone();
        self.change(|e| e.set_null_attribute(object, name, datatype), |w| w.set_null_attribute(object, name, for_model, None))
    }

    /// Writes the box `start`/`count` of a dataset from raw bytes in the encoding of
    /// [`File::write_raw`] (variable-length elements: a `u32` byte count and the bytes each).
    pub fn write_slice_raw(&self, path: &str, start: &[u64], count: &[u64], data: &[u8]) -> Result<()> {
        self.change(|e| e.write_slice(path, start, count, data), |w| w.write_slice(path, start, count, data))
    }
}

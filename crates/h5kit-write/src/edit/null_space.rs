//! Datasets and attributes with a null dataspace (spec IV.A.2.b "The Dataspace Message",
//! type 2 `H5S_NULL`: no elements). libhdf5 writes the dataspace message in version 2 (version
//! 1 has no null type) in files of either format, a dataset's layout contiguous without
//! storage (address undefined, size 0), an attribute message without data.

use h5kit_core::{Error, Result};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{Dataspace, DataspaceKind, Datatype, MaybeShared, Message};

use super::Editor;
use crate::{DatasetSpec, LayoutKind};

/// The null dataspace message as libhdf5 writes it.
fn null_dataspace() -> Dataspace {
    Dataspace { version: 2, kind: DataspaceKind::Null, dims: Vec::new(), max_dims: None }
}

impl Editor {
    /// Creates a dataset with a null dataspace. Of `spec`, only the datatype,
    /// `committed_type` and `fill_value` are used (as [`crate::FileWriter::create_null_dataset`]).
    pub fn create_null_dataset(&mut self, path: &str, spec: DatasetSpec) -> Result<()> {
        let spec = DatasetSpec {
            committed_type: spec.committed_type,
            fill_value: spec.fill_value,
            layout: Some(LayoutKind::Contiguous),
            ..DatasetSpec::scalar(spec.datatype)
        };
        self.create_dataset(path, spec)?;
        // The new header (fresh space): its dataspace becomes the null one before any flush.
        let h = self.resolve(path)?;
        let sizes = self.sizes;
        let hdr = self.header(h)?;
        let i = hdr.find(msg_type::DATASPACE).ok_or_else(|| Error::usage("internal error: new dataset without a dataspace"))?;
        hdr.replace(i, &Message::Dataspace(MaybeShared::Inline(null_dataspace())), sizes)?;
        if let Some(ds) = self.datasets.get_mut(&h) {
            ds.null = true;
            ds.dims = Vec::new();
        }
        Ok(())
    }

    /// Creates or replaces an attribute with a null dataspace (no value).
    pub fn set_null_attribute(&mut self, object_path: &str, name: &str, datatype: Datatype) -> Result<()> {
        self.put_attribute_space(object_path, name, datatype, null_dataspace(), Vec::new())
    }
}

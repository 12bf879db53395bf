//! Attributes of committed datatypes, written in place (spec IV.A.2.m "The Attribute
//! Message" with its datatype shared, IV.A.2 "Shared Messages", IV.A.1 reference count): the
//! attribute's datatype field is a shared message pointing at the committed datatype's
//! header (attribute message version 2 at least, as libhdf5's `H5A__set_version` chooses),
//! and the type's reference count goes up first (libhdf5's `H5O__attr_link`: a crash leaves
//! it too high, never too low).

use h5kit_core::{Error, Result};
use h5kit_object_header::{Dataspace, DataspaceKind, MaybeShared, SharedLocation};

use super::dataset::plain;
use super::Editor;

impl Editor {
    /// Creates an attribute of the committed datatype at `type_path` (`shape` `None`:
    /// scalar) from its elements' bytes (variable-length types: the raw-byte API encoding,
    /// per element a `u32` byte count and the bytes).
    pub fn set_attribute_committed(&mut self, object_path: &str, name: &str, type_path: &str, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        self.resolve(object_path)?;
        let (t, dt) = self.committed_type(type_path)?;
        let count = shape.map(crate::sat_prod).unwrap_or(1);
        let bytes = if plain(&dt) && !matches!(dt.class, h5kit_object_header::TypeClass::Reference { .. }) {
            if count.checked_mul(u64::from(dt.size)) != Some(data.len() as u64) {
                return Err(Error::usage(format!("attribute {:?}: {} bytes given, {} elements of {} bytes", name, data.len(), count, dt.size)).in_object(object_path));
            }
            data.to_vec()
        } else if super::vlen::heap_values(&dt) {
            self.heap_encode(&dt, count, data).map_err(|e| e.in_object(object_path))?
        } else {
            return Err(super::unsupported(format!("attributes of committed datatype {} (references or sequences of variable-length data)", type_path)).in_object(object_path));
        };
        let dataspace = Dataspace {
            version: 1,
            kind: if shape.is_some() { DataspaceKind::Simple } else { DataspaceKind::Scalar },
            dims: shape.map(|s| s.to_vec()).unwrap_or_default(),
            max_dims: None,
        };
        self.add_type_reference(t)?;
        self.put_attribute_message(object_path, name, MaybeShared::Shared(SharedLocation::ObjectHeader { address: t }), dataspace, bytes)
    }

    /// Creates an attribute of the committed datatype at `type_path` with a null dataspace.
    pub fn set_null_attribute_committed(&mut self, object_path: &str, name: &str, type_path: &str) -> Result<()> {
        self.resolve(object_path)?;
        let (t, _) = self.committed_type(type_path)?;
        self.add_type_reference(t)?;
        self.put_attribute_message(object_path, name, MaybeShared::Shared(SharedLocation::ObjectHeader { address: t }), super::null_space::null_dataspace(), Vec::new())
    }
}

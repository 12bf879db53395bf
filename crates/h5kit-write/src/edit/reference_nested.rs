//! Object references inside other types, written in place (spec IV.A.2.d datatype classes 6
//! "Compound", 10 "Array", 9 "Variable-Length" with a class 7 "Reference" base): each
//! `H5R_OBJECT1` slot holds its target's object header address, as in a plain reference
//! dataset ([`super::reference`]); a sequence of references is one global heap object of
//! those addresses (spec III.E), as libhdf5 stores `vlen<H5T_STD_REF_OBJ>`.

use h5kit_core::{Error, Result};
use h5kit_object_header::{Datatype, ReferenceKind, TypeClass};

use super::Editor;

/// The datatype of a sequence of object references.
pub fn vlen_of_object_references() -> Datatype {
    Datatype { version: 1, size: 16, class: TypeClass::VarLenSequence { base: Box::new(crate::dtype::object_reference()) } }
}

fn is_vlen_of_references(dt: &Datatype) -> bool {
    matches!(&dt.class, TypeClass::VarLenSequence { base } if matches!(base.class, TypeClass::Reference { kind: ReferenceKind::Object }))
}

/// Whether `dt` is a compound/array of plain values and object references.
fn nested_object_references(dt: &Datatype) -> bool {
    fn leaves(dt: &Datatype) -> bool {
        match &dt.class {
            TypeClass::Reference { kind } => *kind == ReferenceKind::Object,
            TypeClass::Compound { members } => members.iter().all(|m| leaves(&m.datatype)),
            TypeClass::Array { base, .. } => leaves(base),
            _ => super::dataset::plain_values(dt),
        }
    }
    matches!(dt.class, TypeClass::Compound { .. } | TypeClass::Array { .. })
        && leaves(dt)
        && crate::dtype::ref_slots(dt).is_ok_and(|s| !s.is_empty())
}

/// Whether values of `dt` hold object references this module writes from target paths
/// (sequences of them, or compounds/arrays with them): datasets of such types are created,
/// and written only through these methods (raw bytes would name another file's objects).
pub(super) fn reference_values(dt: &Datatype) -> bool {
    is_vlen_of_references(dt) || nested_object_references(dt)
}

/// The error for a raw-byte write of references inside other types.
pub(super) fn raw_reference_write(path: &str) -> Error {
    Error::usage("the datatype holds object references inside other types: write them from target paths (write_dataset_with_refs, write_vlen_references)").in_object(path)
}

impl Editor {
    /// `data` (elements of the compound/array `dt`) with each object reference slot
    /// ([`crate::dtype::ref_slots`], element by element) set to its target's address.
    fn patch_reference_slots(&mut self, dt: &Datatype, data: &[u8], targets: &[Option<&str>]) -> Result<Vec<u8>> {
        if crate::dtype::is_vlen(dt) {
            return Err(super::unsupported("references inside types with variable-length members"));
        }
        let slots = crate::dtype::ref_slots(dt)?;
        let size = dt.size as usize;
        if size == 0 || !data.len().is_multiple_of(size) {
            return Err(Error::usage(format!("data size mismatch: {} bytes are not whole {}-byte elements", data.len(), size)));
        }
        let count = data.len() / size;
        if targets.len() != count.saturating_mul(slots.len()) {
            return Err(Error::usage(format!("{} reference targets for {} elements of {} reference slots each", targets.len(), count, slots.len())));
        }
        let mut out = data.to_vec();
        let mut t = targets.iter();
        for e in 0..count {
            for &o in &slots {
                let bytes = self.object_reference_bytes(&[*t.next().unwrap_or(&None)])?;
                let at = e * size + o as usize;
                out.get_mut(at..at + bytes.len())
                    .ok_or_else(|| Error::usage("reference slot outside its element"))?
                    .copy_from_slice(&bytes);
            }
        }
        Ok(out)
    }

    /// Writes the whole dataset at `path` (a compound or array type holding object
    /// references) from its elements' bytes, the reference slots given by `targets` (slot
    /// order of [`crate::dtype::ref_slots`], element by element; `None`: null).
    pub fn write_dataset_with_refs(&mut self, path: &str, data: &[u8], targets: &[Option<&str>]) -> Result<()> {
        let dt = self.dataset_datatype(path)?;
        let n = self.dataset_element_count(path)?;
        if (data.len() as u64) != n.saturating_mul(u64::from(dt.size)) {
            return Err(Error::usage(format!("data size mismatch: {} bytes given for {} elements of {} bytes", data.len(), n, dt.size)).in_object(path));
        }
        let bytes = self.patch_reference_slots(&dt, data, targets).map_err(|e| e.in_object(path))?;
        self.write_dataset_bytes(path, &bytes)
    }

    /// Creates or replaces an attribute of the compound/array `datatype` holding object
    /// references (as [`Editor::write_dataset_with_refs`]).
    pub fn set_attribute_with_refs(
        &mut self,
        object_path: &str,
        name: &str,
        datatype: Datatype,
        shape: Option<&[u64]>,
        data: &[u8],
        targets: &[Option<&str>],
    ) -> Result<()> {
        let n = shape.map(crate::sat_prod).unwrap_or(1);
        if (data.len() as u64) != n.saturating_mul(u64::from(datatype.size)) {
            return Err(Error::usage(format!("attribute {:?}: {} bytes given for {} elements of {} bytes", name, data.len(), n, datatype.size)).in_object(object_path));
        }
        self.resolve(object_path)?;
        let bytes = self.patch_reference_slots(&datatype, data, targets).map_err(|e| e.in_object(object_path))?;
        self.put_attribute(object_path, name, datatype, shape, bytes)
    }

    /// The stored heap IDs of sequences of object references (each a global heap object).
    fn reference_sequences(&mut self, lists: &[Vec<Option<&str>>]) -> Result<Vec<u8>> {
        // Every target resolved before anything goes to the heap.
        let mut encoded = Vec::with_capacity(lists.len());
        for l in lists {
            encoded.push(self.object_reference_bytes(l)?);
        }
        let elements: Vec<&[u8]> = encoded.iter().map(|e| e.as_slice()).collect();
        self.heap_ids(&vlen_of_object_references(), &elements)
    }

    /// Writes sequences of object references into the whole dataset at `path` (datatype
    /// `vlen<H5T_STD_REF_OBJ>`).
    pub fn write_vlen_references(&mut self, path: &str, lists: &[Vec<Option<&str>>]) -> Result<()> {
        let dt = self.dataset_datatype(path)?;
        if !is_vlen_of_references(&dt) {
            return Err(Error::usage(format!("{}: not a dataset of sequences of object references", path)));
        }
        let n = self.dataset_element_count(path)?;
        if lists.len() as u64 != n {
            return Err(Error::usage(format!("{}: shape mismatch: {} sequences for {} elements", path, lists.len(), n)));
        }
        let ids = self.reference_sequences(lists).map_err(|e| e.in_object(path))?;
        self.write_dataset_bytes(path, &ids)
    }

    /// Creates or replaces an attribute of sequences of object references (`shape` `None`:
    /// scalar).
    pub fn set_vlen_reference_attribute(&mut self, object_path: &str, name: &str, shape: Option<&[u64]>, lists: &[Vec<Option<&str>>]) -> Result<()> {
        let n = shape.map(crate::sat_prod).unwrap_or(1);
        if lists.len() as u64 != n {
            return Err(Error::usage(format!("attribute {:?}: {} sequences for {} elements", name, lists.len(), n)).in_object(object_path));
        }
        self.resolve(object_path)?;
        let ids = self.reference_sequences(lists).map_err(|e| e.in_object(object_path))?;
        self.put_attribute(object_path, name, vlen_of_object_references(), shape, ids)
    }
}

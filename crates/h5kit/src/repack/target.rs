//! Where a copy goes: the on-disk writer ([`Editor`], raw data streamed to the file). It
//! creates every kind of object the reader reads: groups, datasets (chunked, contiguous,
//! compact; fixed-size and variable-length strings/sequences; references, also inside
//! compounds and sequences), attributes (also of committed datatypes and references), soft,
//! external and second hard links, committed datatypes, null dataspaces, in both formats.
//! References are written last (a reference may name an object copied later, see
//! `Copier::write_deferred`). An operation the editor refuses fails with `Unsupported`,
//! naming the object (see spec-notes/repack.md).

use h5kit_core::Result;
use h5kit_object_header::{CharacterSet, Datatype, StringPadding, TypeClass};
use h5kit_write::edit::Editor;
use h5kit_write::{DatasetSpec, Region};

pub(super) struct Dst<'a> {
    pub(super) ed: &'a mut Editor,
}

/// A scalar variable-length UTF-8 string (h5py's `attrs[name] = "text"`), which the editor
/// writes with `set_string_attribute`.
fn is_utf8_vlen_string(dt: &Datatype) -> bool {
    matches!(&dt.class, TypeClass::VarLenString { padding: StringPadding::NullTerminate, charset: CharacterSet::Utf8, .. })
}

impl Dst<'_> {
    pub(super) fn create_group(&mut self, path: &str) -> Result<()> {
        self.ed.create_group(path)
    }

    pub(super) fn create_dataset(&mut self, path: &str, spec: DatasetSpec) -> Result<()> {
        self.ed.create_dataset(path, spec)
    }

    pub(super) fn set_attribute(&mut self, path: &str, name: &str, dt: Datatype, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        if shape.is_none() && is_utf8_vlen_string(&dt) {
            // The writer's encoding of one variable-length element: u32 length + bytes.
            let text = data.get(4..).and_then(|b| std::str::from_utf8(b).ok());
            if let Some(text) = text {
                return self.ed.set_string_attribute(path, name, text);
            }
        }
        self.ed.set_attribute(path, name, dt, shape, data)
    }

    pub(super) fn commit_datatype(&mut self, path: &str, dt: Datatype) -> Result<()> {
        self.ed.commit_datatype(path, dt)
    }

    pub(super) fn create_null_dataset(&mut self, path: &str, spec: DatasetSpec) -> Result<()> {
        self.ed.create_null_dataset(path, spec)
    }

    pub(super) fn create_hard_link(&mut self, path: &str, existing: &str) -> Result<()> {
        self.ed.create_hard_link(path, existing)
    }

    pub(super) fn create_soft_link(&mut self, path: &str, target: &str) -> Result<()> {
        self.ed.create_soft_link(path, target)
    }

    pub(super) fn create_external_link(&mut self, path: &str, file: &str, target: &str) -> Result<()> {
        self.ed.create_external_link(path, file, target)
    }

    pub(super) fn delete_link(&mut self, path: &str) -> Result<()> {
        self.ed.delete_link(path)
    }

    pub(super) fn set_attribute_committed(&mut self, path: &str, name: &str, t: &str, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        self.ed.set_attribute_committed(path, name, t, shape, data)
    }

    pub(super) fn set_null_attribute(&mut self, path: &str, name: &str, dt: Datatype, committed: Option<&str>) -> Result<()> {
        match committed {
            None => self.ed.set_null_attribute(path, name, dt),
            Some(t) => self.ed.set_null_attribute_committed(path, name, t),
        }
    }

    pub(super) fn set_reference_attribute(&mut self, path: &str, name: &str, shape: Option<&[u64]>, refs: &[Option<&str>]) -> Result<()> {
        self.ed.set_reference_attribute(path, name, shape, refs)
    }

    pub(super) fn set_region_reference_attribute(
        &mut self,
        path: &str,
        name: &str,
        shape: Option<&[u64]>,
        refs: &[Option<(&str, Region)>],
    ) -> Result<()> {
        self.ed.set_region_reference_attribute(path, name, shape, refs)
    }

    pub(super) fn set_vlen_reference_attribute(
        &mut self,
        path: &str,
        name: &str,
        shape: Option<&[u64]>,
        refs: &[Vec<Option<&str>>],
    ) -> Result<()> {
        self.ed.set_vlen_reference_attribute(path, name, shape, refs)
    }

    pub(super) fn set_attribute_with_refs(
        &mut self,
        path: &str,
        name: &str,
        dt: Datatype,
        shape: Option<&[u64]>,
        data: &[u8],
        refs: &[Option<&str>],
    ) -> Result<()> {
        self.ed.set_attribute_with_refs(path, name, dt, shape, data, refs)
    }

    pub(super) fn write_dataset(&mut self, path: &str, data: &[u8]) -> Result<()> {
        self.ed.write_dataset(path, data)
    }

    pub(super) fn write_dataset_owned(&mut self, path: &str, data: Vec<u8>) -> Result<()> {
        self.ed.write_dataset(path, &data)
    }

    pub(super) fn write_references(&mut self, path: &str, refs: &[Option<&str>]) -> Result<()> {
        self.ed.write_references(path, refs)
    }

    pub(super) fn write_region_references(&mut self, path: &str, refs: &[Option<(&str, Region)>]) -> Result<()> {
        self.ed.write_region_references(path, refs)
    }

    pub(super) fn write_vlen_references(&mut self, path: &str, refs: &[Vec<Option<&str>>]) -> Result<()> {
        self.ed.write_vlen_references(path, refs)
    }

    pub(super) fn write_dataset_with_refs(&mut self, path: &str, data: &[u8], refs: &[Option<&str>]) -> Result<()> {
        self.ed.write_dataset_with_refs(path, data, refs)
    }
}

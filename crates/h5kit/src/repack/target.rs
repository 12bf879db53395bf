//! Where a copy goes: the in-memory model ([`FileWriter`], every kind of object, the whole
//! file held until it is written) or the on-disk writer ([`Editor`], raw data streamed to the
//! file). The editor creates groups, datasets (chunked, contiguous, compact; fixed-size and
//! variable-length strings/sequences), attributes, soft, external and second hard links and
//! deletes, committed datatypes and datasets of them, null dataspaces, in both formats; not
//! yet attributes of committed datatypes or references (the model resolves their targets
//! when the file is written: a reference may name an object copied later). The first operation it cannot do records why ([`Dst::gave_up`]) and fails with `Unsupported`, and the caller copies the
//! whole file through the model instead (see spec-notes/repack.md).

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_object_header::{CharacterSet, Datatype, StringPadding, TypeClass};
use h5kit_write::edit::Editor;
use h5kit_write::{DatasetSpec, FileWriter, Region};

pub(super) enum Dst<'a> {
    Model(&'a mut FileWriter),
    Editor {
        ed: &'a mut Editor,
        /// The first operation the editor could not do.
        gave_up: Option<String>,
    },
}

/// Calls `$method` on the model, or records that the editor cannot do `$what`.
macro_rules! model_only {
    ($self:ident, $what:expr, $method:ident($($arg:expr),*)) => {
        match $self {
            Dst::Model(w) => w.$method($($arg),*),
            Dst::Editor { gave_up, .. } => Err(give_up(gave_up, $what)),
        }
    };
}

fn give_up(gave_up: &mut Option<String>, what: impl Into<String>) -> Error {
    let what = what.into();
    if gave_up.is_none() {
        *gave_up = Some(what.clone());
    }
    Error::new(ErrorKind::Unsupported, format!("the on-disk writer cannot create {} yet", what))
}

/// An editor result: an `Unsupported` error is recorded as the reason to use the model.
fn checked<T>(gave_up: &mut Option<String>, r: Result<T>) -> Result<T> {
    if let Err(e) = &r {
        if e.kind == ErrorKind::Unsupported && gave_up.is_none() {
            *gave_up = Some(e.to_string());
        }
    }
    r
}

/// A scalar variable-length UTF-8 string (h5py's `attrs[name] = "text"`), which the editor
/// writes with `set_string_attribute`.
fn is_utf8_vlen_string(dt: &Datatype) -> bool {
    matches!(&dt.class, TypeClass::VarLenString { padding: StringPadding::NullTerminate, charset: CharacterSet::Utf8, .. })
}

impl Dst<'_> {
    /// Why the editor gave up (`None`: the model, or the editor did everything so far).
    pub(super) fn gave_up(&self) -> Option<&str> {
        match self {
            Dst::Model(_) => None,
            Dst::Editor { gave_up, .. } => gave_up.as_deref(),
        }
    }

    pub(super) fn create_group(&mut self, path: &str) -> Result<()> {
        match self {
            Dst::Model(w) => w.create_group(path),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.create_group(path)),
        }
    }

    pub(super) fn create_dataset(&mut self, path: &str, spec: DatasetSpec) -> Result<()> {
        match self {
            Dst::Model(w) => w.create_dataset(path, spec),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.create_dataset(path, spec)),
        }
    }

    pub(super) fn set_attribute(&mut self, path: &str, name: &str, dt: Datatype, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        match self {
            Dst::Model(w) => w.set_attribute(path, name, dt, shape, data),
            Dst::Editor { ed, gave_up } => {
                if shape.is_none() && is_utf8_vlen_string(&dt) {
                    // The writer's encoding of one variable-length element: u32 length + bytes.
                    let text = data.get(4..).and_then(|b| std::str::from_utf8(b).ok());
                    if let Some(text) = text {
                        return checked(gave_up, ed.set_string_attribute(path, name, text));
                    }
                }
                checked(gave_up, ed.set_attribute(path, name, dt, shape, data))
            }
        }
    }

    pub(super) fn commit_datatype(&mut self, path: &str, dt: Datatype) -> Result<()> {
        match self {
            Dst::Model(w) => w.commit_datatype(path, dt),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.commit_datatype(path, dt)),
        }
    }

    pub(super) fn create_null_dataset(&mut self, path: &str, spec: DatasetSpec) -> Result<()> {
        match self {
            Dst::Model(w) => w.create_null_dataset(path, spec),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.create_null_dataset(path, spec)),
        }
    }

    pub(super) fn create_hard_link(&mut self, path: &str, existing: &str) -> Result<()> {
        match self {
            Dst::Model(w) => w.create_hard_link(path, existing),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.create_hard_link(path, existing)),
        }
    }

    pub(super) fn create_soft_link(&mut self, path: &str, target: &str) -> Result<()> {
        match self {
            Dst::Model(w) => w.create_soft_link(path, target),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.create_soft_link(path, target)),
        }
    }

    pub(super) fn create_external_link(&mut self, path: &str, file: &str, target: &str) -> Result<()> {
        match self {
            Dst::Model(w) => w.create_external_link(path, file, target),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.create_external_link(path, file, target)),
        }
    }

    pub(super) fn delete_link(&mut self, path: &str) -> Result<()> {
        match self {
            Dst::Model(w) => w.delete_link(path),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.delete_link(path)),
        }
    }

    pub(super) fn set_attribute_committed(&mut self, path: &str, name: &str, t: &str, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        model_only!(self, "attributes of committed datatypes", set_attribute_committed(path, name, t, shape, data))
    }

    pub(super) fn set_null_attribute(&mut self, path: &str, name: &str, dt: Datatype, committed: Option<&str>) -> Result<()> {
        match (self, committed) {
            (Dst::Model(w), _) => w.set_null_attribute(path, name, dt, committed),
            (Dst::Editor { ed, gave_up }, None) => checked(gave_up, ed.set_null_attribute(path, name, dt)),
            (Dst::Editor { gave_up, .. }, Some(_)) => Err(give_up(gave_up, "attributes of committed datatypes")),
        }
    }

    pub(super) fn set_reference_attribute(&mut self, path: &str, name: &str, shape: Option<&[u64]>, refs: &[Option<&str>]) -> Result<()> {
        model_only!(self, "reference attributes", set_reference_attribute(path, name, shape, refs))
    }

    pub(super) fn set_region_reference_attribute(
        &mut self,
        path: &str,
        name: &str,
        shape: Option<&[u64]>,
        refs: &[Option<(&str, Region)>],
    ) -> Result<()> {
        model_only!(self, "region reference attributes", set_region_reference_attribute(path, name, shape, refs))
    }

    pub(super) fn set_vlen_reference_attribute(
        &mut self,
        path: &str,
        name: &str,
        shape: Option<&[u64]>,
        refs: &[Vec<Option<&str>>],
    ) -> Result<()> {
        model_only!(self, "reference attributes", set_vlen_reference_attribute(path, name, shape, refs))
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
        model_only!(self, "reference attributes", set_attribute_with_refs(path, name, dt, shape, data, refs))
    }

    pub(super) fn write_dataset(&mut self, path: &str, data: &[u8]) -> Result<()> {
        match self {
            Dst::Model(w) => w.write_dataset(path, data),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.write_dataset(path, data)),
        }
    }

    pub(super) fn write_dataset_owned(&mut self, path: &str, data: Vec<u8>) -> Result<()> {
        match self {
            Dst::Model(w) => w.write_dataset_owned(path, data),
            Dst::Editor { ed, gave_up } => checked(gave_up, ed.write_dataset(path, &data)),
        }
    }

    pub(super) fn write_references(&mut self, path: &str, refs: &[Option<&str>]) -> Result<()> {
        model_only!(self, "reference datasets", write_references(path, refs))
    }

    pub(super) fn write_region_references(&mut self, path: &str, refs: &[Option<(&str, Region)>]) -> Result<()> {
        model_only!(self, "region reference datasets", write_region_references(path, refs))
    }

    pub(super) fn write_vlen_references(&mut self, path: &str, refs: &[Vec<Option<&str>>]) -> Result<()> {
        model_only!(self, "reference datasets", write_vlen_references(path, refs))
    }

    pub(super) fn write_dataset_with_refs(&mut self, path: &str, data: &[u8], refs: &[Option<&str>]) -> Result<()> {
        model_only!(self, "reference datasets", write_dataset_with_refs(path, data, refs))
    }
}

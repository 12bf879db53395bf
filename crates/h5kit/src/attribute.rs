//! Attributes (spec IV.A.2.m "The Attribute Message", IV.A.2.v "The Attribute Info Message"):
//! compact ones are header messages; dense ones live in a fractal heap indexed by a v2 B-tree
//! of name hashes (record type 8).

use h5kit_core::{Error, Result};
use h5kit_object_header::{AttributeMessage, CharacterSet, Dataspace, Datatype, MaybeShared, Message};

use std::sync::Arc;

use crate::file::FileInner;
use crate::object::{msg_type, resolve_dataspace, resolve_datatype, ObjectCore};

/// An attribute, with its datatype resolved and its raw value bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Character set of the name.
    pub charset: CharacterSet,
    /// The datatype of the value.
    pub datatype: Datatype,
    /// The shape of the value (scalar, simple or null).
    pub dataspace: Dataspace,
    /// Raw data in the file's encoding (element count x datatype size bytes; variable-length
    /// elements are global heap references).
    pub data: Vec<u8>,
    /// Address of the committed datatype used, if any.
    pub committed_datatype: Option<u64>,
    pub(crate) file: FileRef,
}

/// The file an attribute came from (for its variable-length data). Compares equal always.
#[derive(Clone)]
pub(crate) struct FileRef(pub(crate) Arc<FileInner>);

impl std::fmt::Debug for FileRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("File")
    }
}
impl PartialEq for FileRef {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for FileRef {}

impl Attribute {
    /// Every element as a string (fixed-length without padding, or variable-length).
    pub fn read_strings(&self) -> Result<Vec<String>> {
        crate::vlen::strings(&self.file.0, &self.data, &self.datatype)
    }
    /// Every element of variable-length data: its bytes.
    pub fn read_vlen(&self) -> Result<Vec<Vec<u8>>> {
        crate::vlen::vlen_elements(&self.file.0, &self.data, &self.datatype)
    }
}

fn to_attribute(core: &ObjectCore, m: &MaybeShared<AttributeMessage>) -> Result<Attribute> {
    let msg = match m {
        MaybeShared::Inline(a) => a.clone(),
        MaybeShared::Shared(loc) => match core.resolve_shared(msg_type::ATTRIBUTE, loc)? {
            Message::Attribute(MaybeShared::Inline(a)) => a,
            _ => return Err(core.error("shared attribute does not resolve to an attribute message")),
        },
    };
    let (datatype, committed_datatype) = resolve_datatype(&core.file, &msg.datatype)?;
    let dataspace = resolve_dataspace(&core.file, &msg.dataspace)?;
    // A shared datatype or dataspace leaves the message's padding after the data: keep only
    // element count x element size bytes.
    let mut data = msg.data;
    if let Some(n) = dataspace.element_count().and_then(|n| n.checked_mul(u64::from(datatype.size))) {
        if (data.len() as u64) > n {
            data.truncate(n as usize);
        }
    }
    Ok(Attribute { name: msg.name, charset: msg.charset, datatype, dataspace, data, committed_datatype, file: FileRef(core.file.clone()) })
}

/// All attributes of an object, compact then dense, in storage order.
pub(crate) fn read_attributes(core: &ObjectCore) -> Result<Vec<Attribute>> {
    let run = || -> Result<Vec<Attribute>> {
        let mut out = Vec::new();
        for a in core.attribute_messages()? {
            out.push(to_attribute(core, &a)?);
        }
        for m in &core.messages {
            let Message::AttributeInfo(info) = m else { continue };
            let (Some(heap), Some(index)) = (info.fractal_heap_address, info.name_index_address) else {
                continue;
            };
            for m in crate::dense::dense_messages(&core.file, heap, index, msg_type::ATTRIBUTE)? {
                match m {
                    Message::Attribute(a) => out.push(to_attribute(core, &a)?),
                    _ => return Err(Error::format(heap, "dense attribute storage holds a non-attribute message")),
                }
            }
        }
        Ok(out)
    };
    run().map_err(|e| e.in_object(core.path.clone()))
}

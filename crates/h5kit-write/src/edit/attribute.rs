//! Attributes edited in place (spec IV.A.2.m "The Attribute Message"): each attribute is a
//! message of its object's header (version 1 headers keep every attribute there; dense
//! attribute storage belongs to version 2 headers). Variable-length string values go to a
//! global heap collection (spec III.E), as libhdf5 stores them.

use h5kit_core::{Error, Result, Writer};
use h5kit_heap::global::GlobalHeapCollection;
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{
    attribute_message_name, message_size, AttributeMessage, CharacterSet, Dataspace, DataspaceKind, Datatype, MaybeShared, Message, RawMessage, FLAG_SHARED,
    MAX_MESSAGE_SIZE,
};

use super::dataset::plain;
use super::{Cached, Editor};

impl Editor {
    /// Creates or replaces an attribute of fixed-size values (`shape` `None`: scalar) from the
    /// bytes of its elements.
    pub fn set_attribute(&mut self, object_path: &str, name: &str, datatype: Datatype, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        if !plain(&datatype) {
            return self.set_vlen_attribute(object_path, name, datatype, shape, data);
        }
        let count = shape.map(crate::sat_prod).unwrap_or(1);
        let want = count.checked_mul(u64::from(datatype.size));
        if want != Some(data.len() as u64) {
            return Err(Error::usage(format!(
                "data size mismatch: {} bytes given, {} elements of {} bytes need {}",
                data.len(),
                count,
                datatype.size,
                want.unwrap_or(u64::MAX)
            )))
            .map_err(|e: Error| e.in_object(object_path));
        }
        self.put_attribute(object_path, name, datatype, shape, data.to_vec())
    }

    /// Creates or replaces a scalar variable-length UTF-8 string attribute (h5py's
    /// `attrs[name] = "text"`).
    pub fn set_string_attribute(&mut self, object_path: &str, name: &str, value: &str) -> Result<()> {
        check_name(name)?;
        // Resolve first: a missing object fails before anything goes to the heap.
        self.resolve(object_path)?;
        let (collection, index) = self.global_heap_insert(value.as_bytes())?;
        let mut w = Writer::new(0, self.sizes);
        w.u32(u32::try_from(value.len()).map_err(|_| Error::usage("string attribute of 4 GiB or more"))?);
        w.offset(collection)?;
        w.u32(u32::from(index));
        self.put_attribute(object_path, name, crate::dtype::vlen_string(), None, w.into_inner())
    }

    pub(super) fn put_attribute(&mut self, object_path: &str, name: &str, datatype: Datatype, shape: Option<&[u64]>, data: Vec<u8>) -> Result<()> {
        let dataspace = Dataspace {
            version: 1,
            kind: if shape.is_some() { DataspaceKind::Simple } else { DataspaceKind::Scalar },
            dims: shape.map(|s| s.to_vec()).unwrap_or_default(),
            max_dims: None,
        };
        self.put_attribute_space(object_path, name, datatype, dataspace, data)
    }

    /// Creates or replaces an attribute of `dataspace` holding `data` (stored bytes).
    pub(super) fn put_attribute_space(&mut self, object_path: &str, name: &str, datatype: Datatype, dataspace: Dataspace, data: Vec<u8>) -> Result<()> {
        crate::check_datatype_names(&datatype)?;
        self.put_attribute_message(object_path, name, MaybeShared::Inline(datatype), dataspace, data)
    }

    /// Creates or replaces an attribute whose datatype message is `datatype` (inline, or
    /// shared: a committed datatype's header, which needs attribute message version 2 as
    /// libhdf5's `H5A__set_version` chooses).
    pub(super) fn put_attribute_message(&mut self, object_path: &str, name: &str, datatype: MaybeShared<Datatype>, dataspace: Dataspace, data: Vec<u8>) -> Result<()> {
        check_name(name)?;
        let sizes = self.sizes;
        let version = if matches!(datatype, MaybeShared::Shared(_)) { 2 } else { 1 };
        let h = self.resolve(object_path)?;
        // The body of an attribute like one set before (same name, type and shape): the bytes
        // before its data again, then the data ([`AttrPrefix`]).
        let known = self.attr_prefixes.iter().position(|p| p.matches(version, name, &datatype, &dataspace));
        let (raw, size) = match known {
            Some(i) if self.header(h)?.header.version == 1 => {
                let prefix = self.attr_prefixes.get(i).map(|p| p.prefix.as_slice()).unwrap_or_default();
                let mut body = Vec::with_capacity(prefix.len() + data.len());
                body.extend_from_slice(prefix);
                body.extend_from_slice(&data);
                let size = body.len();
                (RawMessage { type_id: msg_type::ATTRIBUTE, flags: 0, creation_order: None, address: 0, data: body }, size)
            }
            _ => {
                let attr = AttributeMessage { version, name: name.to_string(), charset: CharacterSet::Ascii, datatype, dataspace: MaybeShared::Inline(dataspace), data };
                let msg = Message::Attribute(MaybeShared::Inline(attr));
                let size = message_size(&msg, sizes);
                if self.header(h)?.header.version == 2 {
                    // Version 2 headers: an attribute too large for a header message goes to
                    // dense storage (libhdf5's `H5O__attr_create` converts at `H5O_MESG_MAX_SIZE`).
                    if let Message::Attribute(MaybeShared::Inline(a)) = msg {
                        return self.put_attribute_v2(h, a, size > MAX_MESSAGE_SIZE);
                    }
                    return Err(Error::usage("internal error: not an attribute message"));
                }
                if size > MAX_MESSAGE_SIZE {
                    return Err(too_large(name, size).in_object(object_path));
                }
                let raw = RawMessage::encode(&msg, None, sizes)?;
                if let Message::Attribute(MaybeShared::Inline(a)) = msg {
                    self.remember_prefix(a, &raw.data);
                }
                (raw, size)
            }
        };
        if size > MAX_MESSAGE_SIZE {
            return Err(too_large(name, size).in_object(object_path));
        }
        let hdr = self.header(h)?;
        // Found by the name in each attribute body, not decoding every attribute (shared
        // attribute messages hold a reference, not a name: skipped).
        let existing = hdr.header.messages.iter().position(|m| {
            m.type_id == msg_type::ATTRIBUTE && m.flags & FLAG_SHARED == 0 && attribute_message_name(&m.data) == Some(name.as_bytes())
        });
        match existing {
            Some(i) => hdr.replace_raw(i, raw)?,
            None => hdr.add_raw(raw),
        }
        self.changed = true;
        Ok(())
    }

    /// Keeps the bytes before the data of attribute `a`'s encoded body `body` for the next
    /// attribute of its name, type and shape (the data comes last in the body, and nothing
    /// before it depends on the values).
    fn remember_prefix(&mut self, a: AttributeMessage, body: &[u8]) {
        let Some(cut) = body.len().checked_sub(a.data.len()) else { return };
        let (Some(prefix), Some(tail)) = (body.get(..cut), body.get(cut..)) else { return };
        let MaybeShared::Inline(dataspace) = a.dataspace else { return };
        if tail != a.data.as_slice() {
            return;
        }
        let p = AttrPrefix { version: a.version, name: a.name, datatype: a.datatype, dataspace, prefix: prefix.to_vec() };
        if self.attr_prefixes.len() >= ATTR_PREFIXES {
            self.attr_prefixes.remove(0);
        }
        self.attr_prefixes.push(p);
    }

    /// Puts `data` into the global heap: the collection objects go to now, or a new one.
    /// Returns the collection address and the object index.
    pub(crate) fn global_heap_insert(&mut self, data: &[u8]) -> Result<(u64, u16)> {
        let sizes = self.sizes;
        if let Some(a) = self.gcol_current {
            if let Some(c) = self.gcols.get_mut(&a) {
                if let Some(i) = c.value.insert(data, sizes)? {
                    c.dirty = true;
                    return Ok((a, i));
                }
            }
        }
        let size = GlobalHeapCollection::size_for(data.len() as u64, sizes)?;
        let a = self.allocate(size)?;
        let mut c = GlobalHeapCollection::new(a, size, sizes)?;
        let i = c.insert(data, sizes)?.ok_or_else(|| Error::usage("internal error: a new global heap collection is too small"))?;
        self.gcols.insert(a, Cached { value: c, dirty: true });
        self.gcol_current = Some(a);
        self.changed = true;
        Ok((a, i))
    }
}

/// Attribute bodies remembered ([`AttrPrefix`]): the attributes each object of a series gets.
const ATTR_PREFIXES: usize = 8;

/// The encoded body of an attribute message up to its data, for attributes of one name,
/// datatype and dataspace (objects of a series each get the same attributes with other
/// values): the next one is those bytes and its data, not encoded again.
pub(super) struct AttrPrefix {
    version: u8,
    name: String,
    datatype: MaybeShared<Datatype>,
    dataspace: Dataspace,
    prefix: Vec<u8>,
}

impl AttrPrefix {
    fn matches(&self, version: u8, name: &str, datatype: &MaybeShared<Datatype>, dataspace: &Dataspace) -> bool {
        self.version == version && self.name == name && &self.datatype == datatype && &self.dataspace == dataspace
    }
}

fn too_large(name: &str, size: usize) -> Error {
    Error::usage(format!(
        "attribute {:?} takes {} bytes: more than an object header message holds ({}); files of the earliest format cannot store it",
        name, size, MAX_MESSAGE_SIZE
    ))
}

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::usage("attribute names cannot be empty"));
    }
    if name.contains('\0') {
        return Err(Error::usage(format!("attribute name {:?} contains a NUL byte (HDF5 names are C strings)", name)));
    }
    Ok(())
}

//! Attributes of version 2 object headers (spec IV.A.2.m "The Attribute Message" version 3,
//! IV.A.2.v "The Attribute Info Message"): as libhdf5 keeps them, attribute messages in the
//! header while there are at most "Maximum Compact" of them (the header's phase change value,
//! 8 by default), else dense storage ([`super::dense`]: a fractal heap and a v2 B-tree of
//! type 8, type 9 too when creation order is indexed), back to the header below "Minimum
//! Dense" (6). The header gets an attribute info message with its first attribute, as libhdf5
//! adds one.

use std::collections::BTreeMap;

use h5kit_core::{Error, Result, Writer};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{AttributeInfo, AttributeMessage, CharacterSet, MaybeShared, Message, RawMessage};

use super::dense::{read_dense, DenseItem, Store};
use super::{unsupported, Editor};

/// libhdf5's default attribute phase change values (`H5O_CRT_ATTR_MAX_COMPACT_DEF`,
/// `H5O_CRT_ATTR_MIN_DENSE_DEF`).
const MAX_COMPACT: usize = 8;
const MIN_DENSE: usize = 6;
/// Header message flag "do not share" libhdf5 sets on attribute info messages.
const FLAG_DONT_SHARE: u8 = 0x04;

/// The attributes of a version 2 header loaded for change.
#[derive(Debug, Clone)]
pub(crate) struct AttrSet {
    /// The attribute info message, once the header has one.
    info: Option<AttributeInfo>,
    max_compact: usize,
    min_dense: usize,
    /// Every attribute by name: (creation order, message).
    attrs: BTreeMap<String, (u64, AttributeMessage)>,
    dense: bool,
    dense_dirty: bool,
    owned: Vec<(u64, u64)>,
}

impl Editor {
    /// The attributes of the version 2 header at `h`, loaded once.
    fn attr_set(&mut self, h: u64) -> Result<&mut AttrSet> {
        if !self.attr_sets.contains_key(&h) {
            let sizes = self.sizes;
            let hdr = self.header(h)?;
            let (max_compact, min_dense) = hdr
                .header
                .attribute_phase_change
                .map(|(a, b)| (usize::from(a), usize::from(b)))
                .unwrap_or((MAX_COMPACT, MIN_DENSE));
            let info = match hdr.first(msg_type::ATTRIBUTE_INFO, sizes)? {
                Some(Message::AttributeInfo(i)) => Some(i),
                _ => None,
            };
            let mut attrs = BTreeMap::new();
            let dense = info.as_ref().is_some_and(|i| i.fractal_heap_address.is_some());
            let mut compact = Vec::new();
            for m in hdr.header.messages.iter().filter(|m| m.type_id == msg_type::ATTRIBUTE) {
                compact.push((u64::from(m.creation_order.unwrap_or(0)), m.decode(sizes)?));
            }
            if let Some((Some(heap), Some(index))) = info.as_ref().map(|i| (i.fractal_heap_address, i.name_index_address)) {
                for (order, body) in read_dense(self.ctx(), heap, index)? {
                    compact.push((order, h5kit_object_header::decode_message(msg_type::ATTRIBUTE, 0, &body, heap, sizes)?));
                }
            }
            for (order, m) in compact {
                match m {
                    Message::Attribute(MaybeShared::Inline(a)) => {
                        attrs.insert(a.name.clone(), (order, a));
                    }
                    _ => return Err(unsupported("shared attribute messages")),
                }
            }
            self.attr_sets.insert(h, AttrSet { info, max_compact, min_dense, attrs, dense, dense_dirty: false, owned: Vec::new() });
        }
        self.attr_sets.get_mut(&h).ok_or_else(|| Error::usage("internal error: attribute cache"))
    }

    /// Creates or replaces attribute `a` of the version 2 header at `h`.
    pub(super) fn put_attribute_v2(&mut self, h: u64, mut a: AttributeMessage, too_big: bool) -> Result<()> {
        let sizes = self.sizes;
        a.version = 3;
        if !a.name.is_ascii() {
            a.charset = CharacterSet::Utf8;
        }
        let tracked = self.header(h)?.header.flags & 0x04 != 0;
        let need_info = self.attr_set(h)?.info.is_none();
        if need_info {
            let info = AttributeInfo {
                max_creation_index: tracked.then_some(0),
                fractal_heap_address: None,
                name_index_address: None,
                index_creation_order: false,
                creation_order_index_address: None,
            };
            let hdr = self.header(h)?;
            hdr.add(&Message::AttributeInfo(info.clone()), sizes)?;
            if let Some(m) = hdr.header.messages.iter_mut().rev().find(|m| m.type_id == msg_type::ATTRIBUTE_INFO) {
                m.flags |= FLAG_DONT_SHARE;
            }
            self.attr_set(h)?.info = Some(info);
        }
        let set = self.attr_set(h)?;
        let existing = set.attrs.get(&a.name).map(|(o, _)| *o);
        let order = match existing {
            Some(o) => o,
            None => {
                let next = set.info.as_ref().and_then(|i| i.max_creation_index).unwrap_or(0);
                if let Some(i) = set.info.as_mut() {
                    if i.max_creation_index.is_some() {
                        i.max_creation_index = Some(next.saturating_add(1));
                    }
                }
                u64::from(next)
            }
        };
        let to_dense = !set.dense && (too_big || (existing.is_none() && set.attrs.len() + 1 > set.max_compact));
        let dense = set.dense;
        set.attrs.insert(a.name.clone(), (order, a.clone()));
        if to_dense {
            set.dense = true;
        }
        if dense || to_dense {
            set.dense_dirty = true;
        }
        let msg = Message::Attribute(MaybeShared::Inline(a.clone()));
        let co = tracked.then_some(order as u16);
        if to_dense {
            self.header(h)?.remove_messages_where(|m| m.type_id == msg_type::ATTRIBUTE);
        } else if !dense {
            let hdr = self.header(h)?;
            let at = hdr.header.messages.iter().position(|m| m.type_id == msg_type::ATTRIBUTE && attr_name(m, sizes).as_deref() == Some(&a.name));
            match at {
                Some(i) => hdr.replace(i, &msg, sizes)?,
                None => {
                    hdr.add(&msg, sizes)?;
                    if let Some(m) = hdr.header.messages.last_mut() {
                        m.creation_order = co;
                    }
                }
            }
        }
        if tracked && existing.is_none() {
            self.write_attribute_info(h)?;
        }
        self.changed = true;
        Ok(())
    }

    /// Removes attribute `name` of the object at `object_path` (version 2 headers).
    pub fn delete_attribute(&mut self, object_path: &str, name: &str) -> Result<()> {
        let sizes = self.sizes;
        let h = self.resolve(object_path)?;
        if self.header(h)?.header.version != 2 {
            return self.delete_attribute_v1(object_path, name);
        }
        let set = self.attr_set(h)?;
        if set.attrs.remove(name).is_none() {
            return Err(Error::not_found(format!("no attribute named {:?}", name)).in_object(object_path));
        }
        let (dense, to_compact) = (set.dense, set.dense && set.attrs.len() < set.min_dense);
        self.changed = true;
        if !dense {
            self.header(h)?.remove_messages_where(|m| m.type_id == msg_type::ATTRIBUTE && attr_name(m, sizes).as_deref() == Some(name));
            return Ok(());
        }
        let set = self.attr_set(h)?;
        if !to_compact {
            set.dense_dirty = true;
            return Ok(());
        }
        set.dense = false;
        set.dense_dirty = false;
        if let Some(i) = set.info.as_mut() {
            i.fractal_heap_address = None;
            i.name_index_address = None;
            i.creation_order_index_address = None;
        }
        let owned = std::mem::take(&mut set.owned);
        let attrs: Vec<(u64, AttributeMessage)> = set.attrs.values().cloned().collect();
        let tracked = self.header(h)?.header.flags & 0x04 != 0;
        for (order, a) in attrs {
            let hdr = self.header(h)?;
            hdr.add(&Message::Attribute(MaybeShared::Inline(a)), sizes)?;
            if let Some(m) = hdr.header.messages.last_mut() {
                m.creation_order = tracked.then_some(order as u16);
            }
        }
        self.write_attribute_info(h)?;
        for (a, n) in owned {
            self.space.free(a, n);
        }
        Ok(())
    }

    fn write_attribute_info(&mut self, h: u64) -> Result<()> {
        let sizes = self.sizes;
        let info = self.attr_set(h)?.info.clone().ok_or_else(|| Error::usage("internal error: no attribute info"))?;
        let hdr = self.header(h)?;
        let i = hdr.find(msg_type::ATTRIBUTE_INFO).ok_or_else(|| Error::format(h, "object without an attribute info message"))?;
        hdr.replace(i, &Message::AttributeInfo(info), sizes)
    }

    /// Writes the dense attribute storage of every header whose attributes changed there.
    pub(super) fn flush_dense_attributes(&mut self) -> Result<()> {
        let headers: Vec<u64> = self.attr_sets.iter().filter(|(_, s)| s.dense_dirty).map(|(a, _)| *a).collect();
        for h in headers {
            let (items, order_index) = {
                let Some(set) = self.attr_sets.get(&h) else { continue };
                let mut items = Vec::with_capacity(set.attrs.len());
                for (order, a) in set.attrs.values() {
                    // The message body alone (a heap object, not a header message: no 64 KiB limit).
                    let mut w = Writer::new(0, self.sizes);
                    a.encode(&mut w)?;
                    items.push(DenseItem { name: a.name.as_bytes().to_vec(), creation_order: *order, body: w.into_inner() });
                }
                (items, set.info.as_ref().is_some_and(|i| i.index_creation_order))
            };
            let written = self.write_dense(Store::Attributes, &items, order_index)?;
            let old = match self.attr_sets.get_mut(&h) {
                Some(set) => {
                    if let Some(i) = set.info.as_mut() {
                        i.fractal_heap_address = Some(written.heap);
                        i.name_index_address = Some(written.name_index);
                        i.creation_order_index_address = written.order_index;
                    }
                    set.dense_dirty = false;
                    std::mem::replace(&mut set.owned, written.extents)
                }
                None => continue,
            };
            self.write_attribute_info(h)?;
            for (a, n) in old {
                self.space.free(a, n);
            }
        }
        Ok(())
    }
}

/// The name of a raw attribute message (`None` when it does not decode).
fn attr_name(m: &RawMessage, sizes: h5kit_core::Sizes) -> Option<String> {
    match m.decode(sizes) {
        Ok(Message::Attribute(MaybeShared::Inline(a))) => Some(a.name),
        _ => None,
    }
}

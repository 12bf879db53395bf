//! An object header loaded for change (spec IV.A.1, IV.A.2.q "Object Header Continuation"):
//! messages replaced, added or removed, then written back where the header lives.
//!
//! Each chunk keeps its address and size. A chunk whose messages still fit is rewritten in
//! place; messages that no longer fit go to a new continuation chunk, which a continuation
//! message in an existing chunk points at (a message of chunk #0 moves to the new chunk when
//! no existing chunk has room for that message). The header's address never changes, so
//! nothing that links to the object changes.

use h5kit_core::{Error, Result, Sizes};
use h5kit_object_header::{message_space, messages_fit, HeaderChunk, Message, ObjectHeader, RawMessage};

use crate::space::FileSpace;

/// A header and whether it changed since it was read or last written.
#[derive(Debug, Clone)]
pub struct HeaderEdit {
    pub header: ObjectHeader,
    pub dirty: bool,
}

/// Writes that store a header: new chunks (into space nothing points at yet) and rewritten
/// existing chunks (in place, after the new ones).
#[derive(Debug, Default)]
pub struct HeaderWrites {
    pub fresh: Vec<(u64, Vec<u8>)>,
    pub in_place: Vec<(u64, Vec<u8>)>,
}

impl HeaderEdit {
    pub fn new(header: ObjectHeader) -> HeaderEdit {
        HeaderEdit { header, dirty: false }
    }

    /// Index of the first message of `type_id`.
    pub fn find(&self, type_id: u16) -> Option<usize> {
        self.header.messages.iter().position(|m| m.type_id == type_id)
    }

    /// The first message of `type_id`, decoded.
    pub fn first(&self, type_id: u16, sizes: Sizes) -> Result<Option<Message>> {
        self.header.first(type_id, sizes)
    }

    /// Replaces message `index` with `message` (its flags and creation order kept).
    pub fn replace(&mut self, index: usize, message: &Message, sizes: Sizes) -> Result<()> {
        let old = self.header.messages.get(index).ok_or_else(|| Error::usage("internal error: no such header message"))?;
        let raw = RawMessage::encode(message, old.creation_order, sizes)?;
        self.replace_raw(index, raw)
    }

    /// [`HeaderEdit::replace`] with the message already encoded.
    pub fn replace_raw(&mut self, index: usize, mut raw: RawMessage) -> Result<()> {
        let old = self.header.messages.get(index).ok_or_else(|| Error::usage("internal error: no such header message"))?;
        raw.creation_order = old.creation_order;
        raw.flags = old.flags;
        raw.address = old.address;
        if let Some(m) = self.header.messages.get_mut(index) {
            *m = raw;
        }
        self.dirty = true;
        Ok(())
    }

    /// Adds `message` at the end of the last chunk (moved to a new chunk on write when it
    /// does not fit there).
    pub fn add(&mut self, message: &Message, sizes: Sizes) -> Result<()> {
        self.add_raw(RawMessage::encode(message, None, sizes)?);
        Ok(())
    }

    /// [`HeaderEdit::add`] with the message already encoded.
    pub fn add_raw(&mut self, raw: RawMessage) {
        self.header.messages.push(raw);
        if let Some(last) = self.header.chunks.last_mut() {
            last.messages.end = self.header.messages.len();
        }
        self.dirty = true;
    }

    /// Encodes the header for writing, moving messages that no longer fit into a new
    /// continuation chunk allocated from `space` (its address recorded in `fresh_at`).
    pub fn encode(&mut self, sizes: Sizes, space: &mut FileSpace, fresh_at: &mut Vec<(u64, u64)>) -> Result<HeaderWrites> {
        let version = self.header.version;
        let co = version == 2 && self.header.flags & 0x04 != 0;
        let old_count = self.header.chunks.len();
        let len_of = |i: usize| self.header.messages.get(i).map_or(0, |m| m.data.len());
        // One chunk that still holds every message (a new header, or attributes added within
        // its room): nothing to plan or move.
        if let [c] = self.header.chunks.as_slice() {
            let n = self.header.messages.len();
            let fits = c.messages == (0..n)
                && self.header.message_area_size(0, c.size).is_some_and(|area| messages_fit(version, co, (0..n).map(len_of), area));
            if fits {
                let mut writes = HeaderWrites::default();
                for (address, bytes) in self.header.encode(sizes)? {
                    writes.in_place.push((address, bytes));
                }
                self.dirty = false;
                return Ok(writes);
            }
        }
        // The plan first, in message indexes (nothing moved or copied until it is complete,
        // so an error leaves the header as it was): which messages each chunk keeps, and
        // those that do not fit their chunk any more, taken off the end of each chunk.
        let mut overflow: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
        let mut kept: Vec<std::ops::Range<usize>> = Vec::with_capacity(old_count + 1);
        for (i, c) in self.header.chunks.iter().enumerate() {
            let area = self.header.message_area_size(i, c.size).ok_or_else(|| Error::usage("object header chunk too small"))?;
            let start = c.messages.start.min(self.header.messages.len());
            let mut end = c.messages.end.clamp(start, self.header.messages.len());
            let mut taken = 0;
            while !messages_fit(version, co, (start..end).map(len_of), area) {
                if end == start {
                    return Err(Error::usage("internal error: an empty header chunk does not fit"));
                }
                end -= 1;
                taken += 1;
            }
            // Popped from the end, each put in front: the chunk's tail keeps its order.
            for k in (end..end + taken).rev() {
                overflow.push_front(k);
            }
            kept.push(start..end);
        }
        let mut writes = HeaderWrites::default();
        // Chunk that receives the continuation message, and its body.
        let mut continuation: Option<(usize, RawMessage, u64, u64)> = None;
        if !overflow.is_empty() {
            // A continuation message must fit in some existing chunk; make room in the last
            // chunk by moving its last messages to the new chunk until it does.
            let cont_len = h5kit_object_header::message_size(&Message::Continuation { address: 0, length: 0 }, sizes);
            let target = loop {
                let found = (0..kept.len()).rev().find(|&i| {
                    let area = self.header.chunks.get(i).and_then(|c| self.header.message_area_size(i, c.size)).unwrap_or(0);
                    let sizes_with = kept.get(i).cloned().unwrap_or(0..0).map(len_of).chain([cont_len]);
                    messages_fit(version, co, sizes_with, area)
                });
                if let Some(i) = found {
                    break i;
                }
                match kept.iter_mut().rev().find(|k| k.start < k.end) {
                    Some(k) => {
                        k.end -= 1;
                        overflow.push_front(k.end);
                    }
                    None => return Err(Error::usage("object header has no room for a continuation message")),
                }
            };
            let body: usize = overflow.iter().map(|&k| message_space(version, co, len_of(k))).sum();
            let size = if version == 1 { body.max(24) } else { body + 8 };
            let address = space.allocate(size as u64)?;
            fresh_at.push((address, size as u64));
            let cont = RawMessage::encode(&Message::Continuation { address, length: size as u64 }, None, sizes)?;
            continuation = Some((target, cont, address, size as u64));
        }
        // Lay the messages out again chunk by chunk, moving them (no copies of their bodies).
        if continuation.is_some() || kept.iter().zip(&self.header.chunks).any(|(k, c)| *k != c.messages) {
            let mut old: Vec<Option<RawMessage>> = std::mem::take(&mut self.header.messages).into_iter().map(Some).collect();
            let mut take = |k: usize| old.get_mut(k).and_then(Option::take);
            let mut messages = Vec::with_capacity(old_count + kept.len() + 1);
            let mut ranges = Vec::with_capacity(kept.len() + 1);
            let (cont_target, mut cont, new_chunk) = match continuation {
                Some((t, c, address, size)) => (Some(t), Some(c), Some((address, size))),
                None => (None, None, None),
            };
            for (i, k) in kept.iter().enumerate() {
                let start = messages.len();
                messages.extend(k.clone().filter_map(&mut take));
                if cont_target == Some(i) {
                    messages.extend(cont.take());
                }
                ranges.push(start..messages.len());
            }
            if let Some((address, size)) = new_chunk {
                let start = messages.len();
                messages.extend(overflow.iter().filter_map(|&k| take(k)));
                ranges.push(start..messages.len());
                self.header.chunks.push(HeaderChunk { address, size, messages: 0..0, nil_messages: Vec::new(), gap: 0 });
            }
            for (c, r) in self.header.chunks.iter_mut().zip(ranges) {
                c.messages = r;
            }
            self.header.messages = messages;
        }
        let encoded = self.header.encode(sizes)?;
        for (i, (address, bytes)) in encoded.into_iter().enumerate() {
            let is_new = i >= old_count || fresh_at.iter().any(|&(a, _)| a == address);
            if is_new {
                writes.fresh.push((address, bytes));
            } else {
                writes.in_place.push((address, bytes));
            }
        }
        self.dirty = false;
        Ok(writes)
    }
}

/// A new version 1 object header at `address` holding `messages`, with room left for one
/// continuation message (so later changes can always add a chunk without moving messages):
/// the header and the bytes it takes.
pub fn new_v1_header(address: u64, messages: &[Message], sizes: Sizes) -> Result<(ObjectHeader, u64)> {
    new_v1_header_min(address, messages, sizes, 0)
}

/// Message area libhdf5 gives a new dataset's header (`H5D_MINHDR_SIZE`): room for the
/// attributes usually added next, without a continuation chunk.
pub const DATASET_MIN_AREA: usize = 256;

/// As [`new_v1_header`], with a message area of at least `min_area` bytes.
pub fn new_v1_header_min(address: u64, messages: &[Message], sizes: Sizes, min_area: usize) -> Result<(ObjectHeader, u64)> {
    let raws = messages.iter().map(|m| RawMessage::encode(m, None, sizes)).collect::<Result<Vec<_>>>()?;
    let used: usize = raws.iter().map(|m| message_space(1, false, m.data.len())).sum();
    // Room for a continuation message (8-byte prefix + address + length).
    let spare = message_space(1, false, 2 * 8);
    let area = (used + spare).max(24).max(min_area);
    let n = raws.len();
    let header = ObjectHeader {
        version: 1,
        address,
        flags: 0,
        times: None,
        attribute_phase_change: None,
        reference_count: 1,
        messages: raws,
        chunks: vec![HeaderChunk { address: address + 16, size: area as u64, messages: 0..n, nil_messages: Vec::new(), gap: 0 }],
    };
    Ok((header, 16 + area as u64))
}

//! Version 2 object headers for the editor (spec IV.A.1.b "Version 2 Data Object Header
//! Prefix", IV.A.2.q "Object Header Continuation Message", IV.A.2.w "Object Reference Count
//! Message") and the new file of the latest format (spec II.A, superblock version 3).
//!
//! Editing a version 2 header is [`super::header::HeaderEdit`]'s work (the same chunk
//! layout, with "OHDR"/"OCHK" chunks whose checksums the encoder recomputes on every
//! rewrite, a gap instead of a NIL message when less than a message prefix is left); this
//! file adds what only version 2 headers have: a new header laid out as libhdf5 1.10+ lays it
//! out, message removal (a removed message's bytes become NIL space of its chunk) and the
//! reference count, which lives in a message instead of the prefix.

use std::sync::Arc;

use h5kit_core::{Error, Limits, Result, Sizes, WritableStorage};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{chunk_size_flags, message_space, HeaderChunk, Message, ObjectHeader, RawMessage};
use h5kit_superblock::Superblock;

use super::header::{HeaderEdit, HeaderWrites};
use super::Editor;

/// Bytes left free in a new object header (not a group): room for a continuation message
/// (4-byte prefix, address and length), so a later change can always add a chunk without
/// moving messages.
pub const SPARE: usize = 4 + 16;

/// A new version 2 object header at `address` holding `messages` with `spare` bytes of
/// free space (a NIL message) after them: no times, default attribute phase change values,
/// attribute creation order not tracked (h5py's defaults). The header and the bytes it takes.
pub fn new_v2_header(address: u64, messages: &[Message], spare: usize, sizes: Sizes) -> Result<(ObjectHeader, u64)> {
    let raws = messages.iter().map(|m| RawMessage::encode(m, None, sizes)).collect::<Result<Vec<_>>>()?;
    let used: usize = raws.iter().map(|m| message_space(2, false, m.data.len())).sum();
    // A remainder of 1 to 3 bytes would be a gap; 4 or more, a NIL message.
    let area = used + spare;
    let n = raws.len();
    let mut header = ObjectHeader {
        version: 2,
        address,
        flags: chunk_size_flags(area as u64),
        times: None,
        attribute_phase_change: None,
        reference_count: 1,
        messages: raws,
        chunks: vec![HeaderChunk { address, size: 0, messages: 0..n, nil_messages: Vec::new(), gap: 0 }],
    };
    let total = (header.prefix_size() + area + 4) as u64;
    if let Some(c) = header.chunks.first_mut() {
        c.size = total;
    }
    Ok((header, total))
}

impl HeaderEdit {
    /// Removes every message for which `pred` holds; its space becomes free space of its
    /// chunk (a NIL message or gap when the chunk is written). Returns how many went.
    pub fn remove_messages_where(&mut self, mut pred: impl FnMut(&RawMessage) -> bool) -> usize {
        let mut removed = 0;
        let old = std::mem::take(&mut self.header.messages);
        let mut kept = Vec::with_capacity(old.len());
        let mut new_ranges = Vec::with_capacity(self.header.chunks.len());
        for c in &self.header.chunks {
            let start = kept.len();
            for m in old.get(c.messages.clone()).unwrap_or(&[]) {
                // Continuation messages hold the chain of chunks together: never removed here.
                if m.type_id != msg_type::CONTINUATION && pred(m) {
                    removed += 1;
                } else {
                    kept.push(m.clone());
                }
            }
            new_ranges.push(start..kept.len());
        }
        for (c, r) in self.header.chunks.iter_mut().zip(new_ranges) {
            c.messages = r;
        }
        self.header.messages = kept;
        if removed > 0 {
            self.dirty = true;
        }
        removed
    }

    /// Sets the object's reference count (hard links to it): version 1 in the prefix,
    /// version 2 in a reference count message (present only above 1, as libhdf5 keeps it).
    pub fn set_reference_count(&mut self, count: u32, sizes: Sizes) -> Result<()> {
        self.header.reference_count = count;
        self.dirty = true;
        if self.header.version == 1 {
            return Ok(());
        }
        match self.find(msg_type::REFERENCE_COUNT) {
            Some(i) if count > 1 => self.replace(i, &Message::ReferenceCount(count), sizes),
            Some(_) => {
                self.remove_messages_where(|m| m.type_id == msg_type::REFERENCE_COUNT);
                Ok(())
            }
            None if count > 1 => self.add(&Message::ReferenceCount(count), sizes),
            None => Ok(()),
        }
    }
}

impl Editor {
    /// A new version 2 object header holding `messages` and `spare` free bytes (in fresh
    /// space, written at the next flush); its address.
    pub(super) fn new_v2_header(&mut self, messages: &[Message], spare: usize) -> Result<u64> {
        let (_, len) = new_v2_header(0, messages, spare, self.sizes)?;
        let a = self.allocate(len)?;
        let (h, _) = new_v2_header(a, messages, spare, self.sizes)?;
        self.headers.insert(a, HeaderEdit { header: h, dirty: true });
        self.changed = true;
        Ok(a)
    }

    /// Writes a new, empty file of the latest format into `storage` (emptied first), as
    /// libhdf5 with libver latest writes it: a version 3 superblock, then the root group's
    /// version 2 object header (link info, group info, room for four links); then opens it.
    pub(super) fn create_latest(storage: Arc<dyn WritableStorage>, limits: Limits) -> Result<Editor> {
        storage.set_len(0)?;
        let sb = Superblock::new(3, Sizes::default(), 0)?;
        // The superblock first (root undefined): the flush writes the root address, the end
        // of file and the checksum into it.
        storage.write_at(0, &sb.to_bytes()?)?;
        let mut ed = Editor::open_superblock(storage, sb, limits)?;
        let root = ed.new_group()?;
        ed.sb = ed.sb.with_root_object_header(root);
        ed.flush()?;
        Ok(ed)
    }

    /// Encodes the committed header at `a` for the flush so that one write commits it: a
    /// continuation chunk whose bytes change moves to new space (the continuation message
    /// naming it changes, so its chunk changes too, up to chunk #0), and chunk #0, whose
    /// address others hold, is the only chunk written in place. A process killed before that
    /// write leaves the old header whole; after it, the new one (the old chunks stay intact
    /// until the commit frees them).
    pub(super) fn encode_header_copy_on_write(&mut self, a: u64, fresh_at: &mut Vec<(u64, u64)>) -> Result<HeaderWrites> {
        let sizes = self.sizes;
        let mut h = self.headers.remove(&a).ok_or_else(|| Error::usage("internal error: header not cached"))?;
        let r = (|| {
            // Each round moves at least one chunk; a header has fewer chunks than rounds.
            for _ in 0..=h.header.chunks.len() + 1 {
                let writes = h.encode(sizes, &mut self.space, fresh_at)?;
                let mut moved = false;
                for (addr, bytes) in &writes.in_place {
                    if *addr == h.header.address || self.read_bytes(*addr, bytes.len()).ok().as_deref() == Some(&bytes[..]) {
                        continue;
                    }
                    let len = bytes.len() as u64;
                    let to = self.space.allocate(len)?;
                    fresh_at.push((to, len));
                    self.space.free(*addr, len);
                    if let Some(c) = h.header.chunks.iter_mut().find(|c| c.address == *addr) {
                        c.address = to;
                    }
                    let at = h.header.messages.iter().position(|m| {
                        m.type_id == msg_type::CONTINUATION
                            && matches!(m.decode(sizes), Ok(Message::Continuation { address, .. }) if address == *addr)
                    });
                    let i = at.ok_or_else(|| Error::format(a, "object header chunk without a continuation message naming it"))?;
                    h.replace(i, &Message::Continuation { address: to, length: len }, sizes)?;
                    moved = true;
                }
                if !moved {
                    return Ok(writes);
                }
            }
            Err(Error::usage("internal error: object header chunks keep moving"))
        })();
        self.headers.insert(a, h);
        r
    }

    /// The reference count of the object whose header is at `h`.
    pub(super) fn reference_count(&mut self, h: u64) -> Result<u32> {
        let sizes = self.sizes;
        let hdr = self.header(h)?;
        if hdr.header.version == 1 {
            return Ok(hdr.header.reference_count);
        }
        match hdr.first(msg_type::REFERENCE_COUNT, sizes)? {
            Some(Message::ReferenceCount(n)) => Ok(n),
            Some(_) => Err(Error::format(h, "reference count message of another type")),
            None => Ok(1),
        }
    }
}

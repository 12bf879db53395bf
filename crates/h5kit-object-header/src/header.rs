//! Data object headers (spec IV.A.1 "Disk Format: Level 2A1 - Data Object Header Prefix":
//! "IV.A.1.a Version 1 Data Object Header Prefix" and "IV.A.1.b Version 2 Data Object Header
//! Prefix") and the chunks that "The Object Header Continuation Message" (IV.A.2.q) links.
//!
//! Version 1: a 16-byte prefix (version, reserved, total number of header messages, object
//! reference count, object header size, 4 bytes of alignment) then 8-byte aligned messages
//! (type u16, size u16, flags u8, 3 reserved bytes, data). Continuation blocks hold bare
//! messages.
//!
//! Version 2: "OHDR", version, flags, optional times and attribute phase change values, the
//! size of chunk #0 (1/2/4/8 bytes per flags bits 0-1), packed messages (type u8, size u16,
//! flags u8, creation order u16 when flags bit 2), an optional gap, and a checksum. Continuation
//! blocks are "OCHK", messages, gap, checksum.
//!
//! Encoding is the reader's inverse: [`ObjectHeader::encode`] writes a header as laid out by
//! its [`HeaderChunk`]s (what the reader records: each chunk's address, size and messages), and
//! [`encode_message_area`] / [`encode_chunk`] / [`messages_fit`] are the primitives an in-place
//! editor needs: a chunk's messages are packed in order and the free space left becomes one NIL
//! message, or a version 2 gap when smaller than a message prefix.

use std::collections::HashSet;
use std::ops::Range;

use h5kit_core::{verify_checksum, Context, Error, Reader, Result, Sizes, Writer};

use crate::message::{decode_message, encode_message, message_flags, message_size, msg_type, Message, MAX_MESSAGE_SIZE};

/// Object times of a version 2 header (flags bit 5), seconds after the UNIX epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderTimes {
    pub access: u32,
    pub modification: u32,
    pub change: u32,
    pub birth: u32,
}

/// One header message, undecoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawMessage {
    pub type_id: u16,
    /// Header message flags (bit 1: shared).
    pub flags: u8,
    /// Version 2 headers tracking attribute creation order (flags bit 2).
    pub creation_order: Option<u16>,
    /// File address of the message body.
    pub address: u64,
    pub data: Vec<u8>,
}

impl RawMessage {
    /// Decodes the message body.
    pub fn decode(&self, sizes: Sizes) -> Result<Message> {
        decode_message(self.type_id, self.flags, &self.data, self.address, sizes)
    }
}

/// Header message flag bit 7 (spec IV.A.1 "Header Message Flags"; libhdf5
/// `H5O_MSG_FLAG_FAIL_IF_UNKNOWN_ALWAYS`): a reader that does not know the message type must
/// refuse the object.
pub const FLAG_FAIL_IF_UNKNOWN_ALWAYS: u8 = 0x80;
/// Header message flag bit 3 (`H5O_MSG_FLAG_FAIL_IF_UNKNOWN_AND_OPEN_FOR_WRITE`): a writer
/// that does not know the type must refuse to modify the object.
pub const FLAG_FAIL_IF_UNKNOWN_AND_OPEN_FOR_WRITE: u8 = 0x08;

/// Message types libhdf5 1.10 knows (0x0000 to 0x0018, the metadata cache image message
/// included): the others are "unknown" for the fail-if-unknown flags.
pub fn known_message_type(type_id: u16) -> bool {
    type_id <= 0x0018
}

/// The error for an unknown message with a fail-if-unknown flag, or `None`. `for_write`:
/// the object is about to be modified (then bit 3 refuses it too).
pub fn refuse_unknown(raw: &RawMessage, for_write: bool) -> Option<Error> {
    if known_message_type(raw.type_id) {
        return None;
    }
    let always = raw.flags & FLAG_FAIL_IF_UNKNOWN_ALWAYS != 0;
    let write = for_write && raw.flags & FLAG_FAIL_IF_UNKNOWN_AND_OPEN_FOR_WRITE != 0;
    (always || write).then(|| {
        Error::unsupported(
            raw.address,
            format!(
                "unknown header message type {:#06x} with the \"fail if unknown{}\" flag (flags {:#04x})",
                raw.type_id,
                if always { "" } else { " and open for write" },
                raw.flags
            ),
        )
    })
}

/// One chunk of an object header as found on disk: chunk #0 or a continuation block.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HeaderChunk {
    /// File address of the chunk: version 1 chunk #0, its first message (after the 16-byte
    /// prefix); version 2 chunk #0, the header itself ("OHDR"); a continuation block, the
    /// block ("OCHK" in version 2).
    pub address: u64,
    /// Bytes: version 1 chunk #0, the prefix's "Object Header Size"; version 2 chunk #0, the
    /// whole header (prefix, messages, gap, checksum); a continuation block, its length.
    pub size: u64,
    /// Its messages: `ObjectHeader::messages[messages]`.
    pub messages: Range<usize>,
    /// NIL messages of the chunk (free space): (address of the message prefix, bytes with the
    /// prefix).
    pub nil_messages: Vec<(u64, u64)>,
    /// Unused bytes at the end of the message area: the version 2 gap (smaller than a message
    /// prefix), or version 1 bytes too few for a message.
    pub gap: u64,
}

/// An object header with the messages of all its chunks (NIL messages and gaps left out;
/// continuation messages kept, in the order found).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectHeader {
    /// 1 or 2.
    pub version: u8,
    /// Address of the header.
    pub address: u64,
    /// Version 2 flags (0 for version 1).
    pub flags: u8,
    pub times: Option<HeaderTimes>,
    /// (maximum compact, minimum dense) attribute counts when stored (v2 flags bit 4).
    pub attribute_phase_change: Option<(u16, u16)>,
    /// Version 1: the prefix's "Object Reference Count"; version 2: the reference count
    /// message's value, 1 when there is none.
    pub reference_count: u32,
    pub messages: Vec<RawMessage>,
    /// The chunks in the order read (chunk #0 first), with the messages each holds.
    pub chunks: Vec<HeaderChunk>,
}

/// Most chunks (the first and its continuation blocks) followed in one header.
const MAX_CHUNKS: usize = 1 << 16;

struct Walker<'a> {
    ctx: Context<'a>,
    header: u64,
    version: u8,
    creation_order: bool,
    messages: Vec<RawMessage>,
    chunks: Vec<HeaderChunk>,
    pending: Vec<(u64, u64)>,
    visited: HashSet<u64>,
}

impl Walker<'_> {
    fn max_items(&self) -> u64 {
        self.ctx.limits.max_items
    }

    /// Parses the messages of one chunk (its message area only) and records the chunk at
    /// `address` of `size` bytes.
    fn messages(&mut self, r: &mut Reader, address: u64, size: u64) -> Result<()> {
        let first = self.messages.len();
        let mut nil_messages = Vec::new();
        let prefix = match self.version {
            1 => 8,
            _ if self.creation_order => 6,
            _ => 4,
        };
        while r.remaining() >= prefix {
            let start = r.address();
            let (type_id, size, flags, creation_order) = if self.version == 1 {
                let t = r.u16()?;
                let s = r.u16()?;
                let f = r.u8()?;
                r.skip(3)?;
                (t, s, f, None)
            } else {
                let t = u16::from(r.u8()?);
                let s = r.u16()?;
                let f = r.u8()?;
                let c = if self.creation_order { Some(r.u16()?) } else { None };
                (t, s, f, c)
            };
            let address = r.address();
            let data = r.split(size as usize).map_err(|_| {
                Error::format(
                    start,
                    format!("header message of type {:#06x} claims {} bytes, {} left in its chunk", type_id, size, r.remaining()),
                )
            })?;
            if type_id == msg_type::NIL {
                nil_messages.push((start, r.address() - start));
                continue;
            }
            if self.messages.len() as u64 >= self.max_items() {
                return Err(Error::limit(start, format!("object header has more than {} messages", self.max_items())));
            }
            if type_id == msg_type::CONTINUATION {
                match decode_message(type_id, flags, data.data(), address, self.ctx.sizes)? {
                    Message::Continuation { address: a, length } => self.pending.push((a, length)),
                    _ => return Err(Error::format(address, "continuation message did not decode")),
                }
            }
            self.messages.push(RawMessage { type_id, flags, creation_order, address, data: data.data().to_vec() });
            if self.version == 1 {
                // Version 1 messages are aligned on 8 bytes (from the chunk start).
                r.align(8)?;
            }
        }
        // Anything left is a v2 gap, or v1 padding: both skipped.
        let messages = first..self.messages.len();
        self.chunks.push(HeaderChunk { address, size, messages, nil_messages, gap: r.remaining() as u64 });
        Ok(())
    }

    fn continuation(&mut self, address: u64, length: u64) -> Result<()> {
        if !self.visited.insert(address) {
            return Err(Error::format(address, format!("object header {} continuation loop at {}", self.header, address)));
        }
        if self.visited.len() > MAX_CHUNKS || self.visited.len() as u64 > self.max_items() {
            return Err(Error::limit(address, "object header has too many continuation blocks"));
        }
        let bytes = self.ctx.read(address, length, "object header continuation block")?;
        let mut r = Reader::new(&bytes, address, self.ctx.sizes);
        if self.version == 1 {
            return self.messages(&mut r, address, length);
        }
        if bytes.len() < 8 {
            return Err(Error::format(address, format!("continuation block of {} bytes is too short", bytes.len())));
        }
        r.signature(b"OCHK", "object header continuation block")?;
        let body_len = bytes.len() - 8;
        let mut body = r.split(body_len)?;
        let stored = r.u32()?;
        verify_checksum(bytes.get(..bytes.len() - 4).unwrap_or(&[]), stored, address, "object header continuation block")?;
        self.messages(&mut body, address, length)
    }
}

impl ObjectHeader {
    /// Reads the header at `address`, following every continuation message (v1 continuation
    /// blocks, v2 "OCHK" blocks with checksum), skipping NIL messages and v2 gaps, verifying v2
    /// checksums, bounded (cycle detection on continuation addresses, `ctx.limits.max_items`
    /// messages).
    pub fn read(ctx: Context, address: u64) -> Result<ObjectHeader> {
        let head = ctx.read_upto(address, 16, "object header prefix")?;
        if head.get(..4) == Some(b"OHDR".as_slice()) {
            Self::read_v2(ctx, address)
        } else if head.first() == Some(&1) {
            Self::read_v1(ctx, address, &head)
        } else {
            Err(Error::format(
                address,
                format!("no object header here (version byte {:?}, no \"OHDR\" signature)", head.first()),
            ))
        }
    }

    fn walker(ctx: Context<'_>, address: u64, version: u8, creation_order: bool) -> Walker<'_> {
        let mut visited = HashSet::new();
        visited.insert(address);
        Walker {
            ctx,
            header: address,
            version,
            creation_order,
            messages: Vec::new(),
            chunks: Vec::new(),
            pending: Vec::new(),
            visited,
        }
    }

    fn follow(mut w: Walker) -> Result<(Vec<RawMessage>, Vec<HeaderChunk>)> {
        // Continuation blocks in the order their messages are found (as libhdf5 loads them).
        let mut next = 0;
        while let Some(&(a, len)) = w.pending.get(next) {
            next += 1;
            w.continuation(a, len)?;
        }
        Ok((w.messages, w.chunks))
    }

    fn read_v1(ctx: Context, address: u64, head: &[u8]) -> Result<ObjectHeader> {
        let mut r = Reader::new(head, address, ctx.sizes);
        let version = r.u8()?;
        r.skip(1)?;
        let _total_messages = r.u16()?;
        let reference_count = r.u32()?;
        let size = r.u32()?;
        let chunk_address =
            address.checked_add(16).ok_or_else(|| Error::format(address, "object header address overflows"))?;
        let chunk = ctx.read(chunk_address, u64::from(size), "object header")?;
        let mut w = Self::walker(ctx, address, version, false);
        w.visited.insert(chunk_address);
        w.messages(&mut Reader::new(&chunk, chunk_address, ctx.sizes), chunk_address, u64::from(size))?;
        let (messages, chunks) = Self::follow(w)?;
        Ok(ObjectHeader {
            version,
            address,
            flags: 0,
            times: None,
            attribute_phase_change: None,
            reference_count,
            messages,
            chunks,
        })
    }

    fn read_v2(ctx: Context, address: u64) -> Result<ObjectHeader> {
        // The prefix is at most 4 + 2 + 16 + 4 + 8 = 34 bytes.
        let head = ctx.read_upto(address, 34, "object header prefix")?;
        let mut r = Reader::new(&head, address, ctx.sizes);
        r.signature(b"OHDR", "object header")?;
        let version = r.u8()?;
        if version != 2 {
            return Err(Error::format(address, format!("unknown object header version {}", version)));
        }
        let flags = r.u8()?;
        if flags & 0xc0 != 0 {
            return Err(Error::format(address, format!("reserved object header flags set ({:#04x})", flags)));
        }
        let times = if flags & 0x20 != 0 {
            Some(HeaderTimes { access: r.u32()?, modification: r.u32()?, change: r.u32()?, birth: r.u32()? })
        } else {
            None
        };
        let attribute_phase_change = if flags & 0x10 != 0 { Some((r.u16()?, r.u16()?)) } else { None };
        let chunk0_size = r.uint(1usize << (flags & 0x03))?;
        let prefix_len = r.position() as u64;
        let total = prefix_len
            .checked_add(chunk0_size)
            .and_then(|v| v.checked_add(4))
            .ok_or_else(|| Error::format(address, "object header size overflows"))?;
        let bytes = ctx.read(address, total, "object header")?;
        let body_end = bytes.len().saturating_sub(4);
        let mut r = Reader::new(&bytes, address, ctx.sizes);
        r.seek(prefix_len as usize)?;
        let mut body = r.split(body_end.saturating_sub(prefix_len as usize))?;
        let stored = r.u32()?;
        verify_checksum(bytes.get(..body_end).unwrap_or(&[]), stored, address, "object header")?;
        let mut w = Self::walker(ctx, address, version, flags & 0x04 != 0);
        w.messages(&mut body, address, total)?;
        let (messages, chunks) = Self::follow(w)?;
        let mut reference_count = 1;
        for m in &messages {
            if m.type_id == msg_type::REFERENCE_COUNT {
                if let Message::ReferenceCount(n) = m.decode(ctx.sizes)? {
                    reference_count = n;
                }
            }
        }
        Ok(ObjectHeader { version, address, flags, times, attribute_phase_change, reference_count, messages, chunks })
    }

    /// Decodes all messages (NIL messages are already skipped).
    pub fn decode_all(&self, sizes: Sizes) -> Result<Vec<Message>> {
        self.messages.iter().map(|m| m.decode(sizes)).collect()
    }

    /// The raw messages of one type.
    pub fn messages_of(&self, type_id: u16) -> impl Iterator<Item = &RawMessage> {
        self.messages.iter().filter(move |m| m.type_id == type_id)
    }

    /// Decodes the first message of `type_id`, if any.
    pub fn first(&self, type_id: u16, sizes: Sizes) -> Result<Option<Message>> {
        match self.messages_of(type_id).next() {
            Some(m) => m.decode(sizes).map(Some),
            None => Ok(None),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding (the inverse of the reader above).

/// Bytes of a header message's prefix: version 1, 8 (type, size, flags, 3 reserved); version
/// 2, 4 (type, size, flags), 6 when attribute creation order is tracked (header flags bit 2).
pub fn message_prefix_size(version: u8, creation_order: bool) -> usize {
    match version {
        1 => 8,
        _ if creation_order => 6,
        _ => 4,
    }
}

/// Bytes a message whose body has `body_len` bytes takes in a chunk: its prefix and body,
/// the body padded to a multiple of 8 in version 1.
pub fn message_space(version: u8, creation_order: bool, body_len: usize) -> usize {
    let body = if version == 1 { body_len.div_ceil(8) * 8 } else { body_len };
    message_prefix_size(version, creation_order) + body
}

/// Bytes left over once `bodies` (the body lengths of a chunk's messages) are packed into a
/// message area of `area_size` bytes, if they fit: the remainder must be empty, hold a NIL
/// message, or (version 2) be a gap smaller than a message prefix. Version 1 areas are
/// multiples of 8.
fn remainder(version: u8, creation_order: bool, bodies: impl IntoIterator<Item = usize>, area_size: usize) -> Option<usize> {
    let mut used = 0usize;
    for b in bodies {
        if b > MAX_MESSAGE_SIZE {
            return None;
        }
        used = used.checked_add(message_space(version, creation_order, b))?;
    }
    let rest = area_size.checked_sub(used)?;
    let prefix = message_prefix_size(version, creation_order);
    let ok = match version {
        1 => rest % 8 == 0 && (rest == 0 || rest - prefix <= MAX_MESSAGE_SIZE),
        _ => rest < prefix || rest - prefix <= MAX_MESSAGE_SIZE,
    };
    ok.then_some(rest)
}

/// Whether messages with bodies of these lengths fit a message area of `area_size` bytes
/// (see [`encode_message_area`]).
pub fn messages_fit(version: u8, creation_order: bool, bodies: impl IntoIterator<Item = usize>, area_size: usize) -> bool {
    remainder(version, creation_order, bodies, area_size).is_some()
}

/// The chunk #0 size width code of version 2 header flags (bits 0-1) for a chunk #0 of
/// `size` bytes: the fewest of 1, 2, 4, 8 bytes.
pub fn chunk_size_flags(size: u64) -> u8 {
    match size {
        0..=0xff => 0,
        0x100..=0xffff => 1,
        0x1_0000..=0xffff_ffff => 2,
        _ => 3,
    }
}

fn write_message_prefix(w: &mut Writer, version: u8, creation_order: bool, type_id: u16, size: usize, flags: u8, order: u16) -> Result<()> {
    let size = u16::try_from(size)
        .map_err(|_| Error::usage(format!("header message type {:#06x} of {} bytes (at most {})", type_id, size, MAX_MESSAGE_SIZE)))?;
    if version == 1 {
        // Type, size, flags, 3 reserved bytes: one write.
        let [t0, t1] = type_id.to_le_bytes();
        let [s0, s1] = size.to_le_bytes();
        w.bytes(&[t0, t1, s0, s1, flags, 0, 0, 0]);
    } else {
        let t = u8::try_from(type_id).map_err(|_| Error::usage(format!("message type {:#06x} in a version 2 header", type_id)))?;
        w.u8(t);
        w.u16(size);
        w.u8(flags);
        if creation_order {
            w.u16(order);
        }
    }
    Ok(())
}

/// Encodes a chunk's message area of exactly `area_size` bytes: the messages in order
/// (version 1 bodies padded to multiples of 8, the padding counted in the size field), then
/// the remainder as one NIL message, or in version 2 as a gap when it is smaller than a message
/// prefix. `creation_order`: the header tracks attribute creation order (version 2 flags
/// bit 2). Returns the number of messages written (NIL included). Fails, writing nothing,
/// when the messages do not fit.
pub fn encode_message_area(w: &mut Writer, version: u8, creation_order: bool, messages: &[RawMessage], area_size: usize) -> Result<usize> {
    if version != 1 && version != 2 {
        return Err(Error::usage(format!("unknown object header version {}", version)));
    }
    let rest = remainder(version, creation_order, messages.iter().map(|m| m.data.len()), area_size).ok_or_else(|| {
        Error::usage(format!("{} header messages do not fit a version {} message area of {} bytes", messages.len(), version, area_size))
    })?;
    // Written in place; a failure takes back the partial area.
    let start = w.position();
    w.reserve(area_size);
    let r = message_area_into(w, version, creation_order, messages, rest);
    if r.is_err() {
        w.truncate(start);
    }
    r
}

fn message_area_into(out: &mut Writer, version: u8, creation_order: bool, messages: &[RawMessage], rest: usize) -> Result<usize> {
    for m in messages {
        let body = if version == 1 { m.data.len().div_ceil(8) * 8 } else { m.data.len() };
        write_message_prefix(out, version, creation_order, m.type_id, body, m.flags, m.creation_order.unwrap_or(0))?;
        out.bytes(&m.data);
        out.zeros(body - m.data.len());
    }
    let prefix = message_prefix_size(version, creation_order);
    let mut count = messages.len();
    if rest >= prefix {
        write_message_prefix(out, version, creation_order, msg_type::NIL, rest - prefix, 0, 0)?;
        out.zeros(rest - prefix);
        count += 1;
    } else {
        out.zeros(rest);
    }
    Ok(count)
}

/// Encodes a continuation chunk of exactly `chunk_size` bytes (the continuation message's
/// length): version 1, a bare message area; version 2, "OCHK", the message area and its
/// checksum. Returns the number of messages written (NIL included).
pub fn encode_chunk(w: &mut Writer, version: u8, creation_order: bool, messages: &[RawMessage], chunk_size: usize) -> Result<usize> {
    if version == 1 {
        return encode_message_area(w, version, creation_order, messages, chunk_size);
    }
    let area = chunk_size.checked_sub(8).ok_or_else(|| Error::usage(format!("continuation chunk of {} bytes", chunk_size)))?;
    let start = w.position();
    w.signature(b"OCHK");
    match encode_message_area(w, version, creation_order, messages, area) {
        Ok(n) => {
            w.checksum_from(start);
            Ok(n)
        }
        Err(e) => {
            w.truncate(start);
            Err(e)
        }
    }
}

impl RawMessage {
    /// A message encoded for a header: its body, the shared flag when the message is shared
    /// (other header message flags, e.g. bit 0 "constant", are the caller's), file address 0
    /// (unknown until placed).
    pub fn encode(message: &Message, creation_order: Option<u16>, sizes: Sizes) -> Result<RawMessage> {
        let mut w = Writer::with_capacity(0, sizes, message_size(message, sizes));
        encode_message(message, &mut w)?;
        if w.position() > MAX_MESSAGE_SIZE {
            return Err(Error::usage(format!(
                "header message type {:#06x} of {} bytes (at most {})",
                message.type_id(),
                w.position(),
                MAX_MESSAGE_SIZE
            )));
        }
        Ok(RawMessage { type_id: message.type_id(), flags: message_flags(message), creation_order, address: 0, data: w.into_inner() })
    }
}

impl ObjectHeader {
    /// Version 2 header flags as written: bits 0-1 (chunk #0 size width) and 2-3 (creation
    /// order tracked / indexed) from `flags`, bits 4 and 5 from the presence of the phase
    /// change values and the times.
    fn encoded_flags(&self) -> u8 {
        (self.flags & 0x0f) | (u8::from(self.attribute_phase_change.is_some()) << 4) | (u8::from(self.times.is_some()) << 5)
    }

    /// Bytes of the prefix before chunk #0's message area: 16 in version 1; in version 2
    /// "OHDR", version, flags, times, phase change values and the chunk #0 size field.
    pub fn prefix_size(&self) -> usize {
        if self.version == 1 {
            return 16;
        }
        let f = self.encoded_flags();
        6 + if f & 0x20 != 0 { 16 } else { 0 } + if f & 0x10 != 0 { 4 } else { 0 } + (1usize << (f & 0x03))
    }

    /// Bytes of the message area of chunk `chunk_index` (0: chunk #0) for a chunk of
    /// `chunk_size` bytes (as in [`HeaderChunk::size`]).
    pub fn message_area_size(&self, chunk_index: usize, chunk_size: u64) -> Option<usize> {
        let size = usize::try_from(chunk_size).ok()?;
        match (self.version, chunk_index) {
            (1, _) => Some(size),
            (_, 0) => size.checked_sub(self.prefix_size() + 4),
            _ => size.checked_sub(8),
        }
    }

    /// Whether messages with bodies of these lengths fit chunk `chunk_index` (0: chunk #0,
    /// whose prefix is this header's) of `chunk_size` bytes (as in [`HeaderChunk::size`]).
    pub fn chunk_fits(&self, chunk_index: usize, chunk_size: u64, bodies: impl IntoIterator<Item = usize>) -> bool {
        let creation_order = self.version == 2 && self.flags & 0x04 != 0;
        self.message_area_size(chunk_index, chunk_size)
            .is_some_and(|area| messages_fit(self.version, creation_order, bodies, area))
    }

    /// Encodes chunk #0 (version 1: the 16-byte prefix then the message area; version 2:
    /// the whole "OHDR" chunk with its checksum) holding `messages`, with a message area of
    /// `area_size` bytes. `total_messages` is the version 1 prefix's "Total Number of Header
    /// Messages" (every message of every chunk, NIL messages included); ignored in version 2.
    pub fn encode_first_chunk(&self, w: &mut Writer, messages: &[RawMessage], area_size: usize, total_messages: usize) -> Result<()> {
        // Written in place; a failure takes back the partial chunk.
        let start = w.position();
        w.reserve(area_size + self.prefix_size() + 4);
        let r = self.first_chunk_into(w, start, messages, area_size, total_messages);
        if r.is_err() {
            w.truncate(start);
        }
        r
    }

    fn first_chunk_into(&self, out: &mut Writer, start: usize, messages: &[RawMessage], area_size: usize, total_messages: usize) -> Result<()> {
        let creation_order = self.flags & 0x04 != 0;
        match self.version {
            1 => {
                let n = u16::try_from(total_messages).map_err(|_| Error::usage(format!("{} header messages", total_messages)))?;
                let size = u32::try_from(area_size).map_err(|_| Error::usage(format!("object header of {} bytes", area_size)))?;
                out.u8(1);
                out.u8(0);
                out.u16(n);
                out.u32(self.reference_count);
                out.u32(size);
                out.zeros(4);
                encode_message_area(out, 1, false, messages, area_size)?;
            }
            2 => {
                let flags = self.encoded_flags();
                if flags & 0xc0 != 0 {
                    return Err(Error::usage(format!("reserved object header flags set ({:#04x})", flags)));
                }
                out.signature(b"OHDR");
                out.u8(2);
                out.u8(flags);
                if let Some(t) = &self.times {
                    for v in [t.access, t.modification, t.change, t.birth] {
                        out.u32(v);
                    }
                }
                if let Some((max_compact, min_dense)) = self.attribute_phase_change {
                    out.u16(max_compact);
                    out.u16(min_dense);
                }
                out.uint(area_size as u64, 1usize << (flags & 0x03)).map_err(|_| {
                    Error::usage(format!("chunk #0 of {} bytes does not fit the size width of flags {:#04x}", area_size, flags))
                })?;
                encode_message_area(out, 2, creation_order, messages, area_size)?;
                out.checksum_from(start);
            }
            v => return Err(Error::usage(format!("unknown object header version {}", v))),
        }
        Ok(())
    }

    /// Encodes the whole header as laid out by [`ObjectHeader::chunks`] (each chunk's
    /// messages and size, as read): (file address, bytes) of chunk #0 (version 1: from the
    /// prefix) and of every continuation block. Each chunk's free space becomes one NIL
    /// message (or a version 2 gap) after its messages.
    pub fn encode(&self, sizes: Sizes) -> Result<Vec<(u64, Vec<u8>)>> {
        let creation_order = self.version == 2 && self.flags & 0x04 != 0;
        let mut covered = 0;
        let mut out = Vec::with_capacity(self.chunks.len());
        let mut total = 0usize;
        for (i, c) in self.chunks.iter().enumerate() {
            if c.messages.start != covered {
                return Err(Error::usage("object header chunks do not cover its messages in order"));
            }
            covered = c.messages.end;
            let messages = self
                .messages
                .get(c.messages.clone())
                .ok_or_else(|| Error::usage("object header chunk messages out of range"))?;
            let area = self
                .message_area_size(i, c.size)
                .ok_or_else(|| Error::usage(format!("object header chunk of {} bytes is too small", c.size)))?;
            let rest = remainder(self.version, creation_order, messages.iter().map(|m| m.data.len()), area)
                .ok_or_else(|| Error::usage(format!("messages of chunk {} do not fit its {} bytes", i, c.size)))?;
            total += messages.len() + usize::from(rest >= message_prefix_size(self.version, creation_order));
            if i > 0 {
                let mut w = Writer::with_capacity(c.address, sizes, area);
                encode_chunk(&mut w, self.version, creation_order, messages, area + if self.version == 1 { 0 } else { 8 })?;
                out.push((c.address, w.into_inner()));
            }
        }
        if covered != self.messages.len() {
            return Err(Error::usage("object header chunks do not cover its messages"));
        }
        let first = self.chunks.first().ok_or_else(|| Error::usage("object header without chunks"))?;
        let area = self.message_area_size(0, first.size).unwrap_or(0);
        let messages = self.messages.get(first.messages.clone()).unwrap_or(&[]);
        let mut w = Writer::with_capacity(self.address, sizes, area + 40);
        self.encode_first_chunk(&mut w, messages, area, total)?;
        out.insert(0, (self.address, w.into_inner()));
        Ok(out)
    }
}

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

use std::collections::HashSet;

use h5kit_core::{verify_checksum, Context, Error, Reader, Result, Sizes};

use crate::message::{decode_message, msg_type, Message};

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
}

/// Most chunks (the first and its continuation blocks) followed in one header.
const MAX_CHUNKS: usize = 1 << 16;

struct Walker<'a> {
    ctx: Context<'a>,
    header: u64,
    version: u8,
    creation_order: bool,
    messages: Vec<RawMessage>,
    pending: Vec<(u64, u64)>,
    visited: HashSet<u64>,
}

impl Walker<'_> {
    fn max_items(&self) -> u64 {
        self.ctx.limits.max_items
    }

    /// Parses the messages of one chunk (its message area only).
    fn messages(&mut self, r: &mut Reader) -> Result<()> {
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
            return self.messages(&mut r);
        }
        if bytes.len() < 8 {
            return Err(Error::format(address, format!("continuation block of {} bytes is too short", bytes.len())));
        }
        r.signature(b"OCHK", "object header continuation block")?;
        let body_len = bytes.len() - 8;
        let mut body = r.split(body_len)?;
        let stored = r.u32()?;
        verify_checksum(bytes.get(..bytes.len() - 4).unwrap_or(&[]), stored, address, "object header continuation block")?;
        self.messages(&mut body)
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
        Walker { ctx, header: address, version, creation_order, messages: Vec::new(), pending: Vec::new(), visited }
    }

    fn follow(mut w: Walker) -> Result<Vec<RawMessage>> {
        // Continuation blocks in the order their messages are found (as libhdf5 loads them).
        let mut next = 0;
        while let Some(&(a, len)) = w.pending.get(next) {
            next += 1;
            w.continuation(a, len)?;
        }
        Ok(w.messages)
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
        w.messages(&mut Reader::new(&chunk, chunk_address, ctx.sizes))?;
        let messages = Self::follow(w)?;
        Ok(ObjectHeader {
            version,
            address,
            flags: 0,
            times: None,
            attribute_phase_change: None,
            reference_count,
            messages,
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
        w.messages(&mut body)?;
        let messages = Self::follow(w)?;
        let mut reference_count = 1;
        for m in &messages {
            if m.type_id == msg_type::REFERENCE_COUNT {
                if let Message::ReferenceCount(n) = m.decode(ctx.sizes)? {
                    reference_count = n;
                }
            }
        }
        Ok(ObjectHeader { version, address, flags, times, attribute_phase_change, reference_count, messages })
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

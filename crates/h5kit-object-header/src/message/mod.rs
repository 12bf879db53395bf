//! Header messages (spec IV.A.2 "Disk Format: Level 2A2 - Data Object Header Messages"): the
//! decoded types ([`types`]) and, per message type, a decoder and an encoder side by side
//! (`decode` / `encode` / `encoded_size` on the typed value), dispatched by [`decode_message`]
//! and [`encode_message`] / [`message_size`]. Encoders write what libhdf5 writes for the
//! stored version (`H5O_MSG_*` encode callbacks), so `encode(decode(body)) == body` for files
//! libhdf5 wrote (version 1 headers aside, whose message sizes include alignment padding), and
//! refuse values with no encoding with an error.
//!
//! Small messages decoded here: NIL (IV.A.2.a), Bogus (IV.A.2.j), Object Comment (IV.A.2.n),
//! Object Modification Time (Old) (IV.A.2.o), Shared Message Table (IV.A.2.p), Object Header
//! Continuation (IV.A.2.q), Symbol Table (IV.A.2.r), Object Modification Time (IV.A.2.s),
//! B-tree 'K' Values (IV.A.2.t), Driver Info (IV.A.2.u), Attribute Info (IV.A.2.v), Object
//! Reference Count (IV.A.2.w), File Space Info (IV.A.2.x, kept raw).
pub mod attribute;
pub mod dataspace;
pub mod datatype;
pub mod fill;
pub mod filter;
pub mod layout;
pub mod link;
pub mod shared;
pub mod types;

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

pub use shared::{decode_shared, encode_shared, shared_size};
pub use types::*;

/// Header message type numbers (spec IV.A.2).
pub mod msg_type {
    pub const NIL: u16 = 0x0000;
    pub const DATASPACE: u16 = 0x0001;
    pub const LINK_INFO: u16 = 0x0002;
    pub const DATATYPE: u16 = 0x0003;
    pub const FILL_VALUE_OLD: u16 = 0x0004;
    pub const FILL_VALUE: u16 = 0x0005;
    pub const LINK: u16 = 0x0006;
    pub const EXTERNAL_FILES: u16 = 0x0007;
    pub const LAYOUT: u16 = 0x0008;
    pub const BOGUS: u16 = 0x0009;
    pub const GROUP_INFO: u16 = 0x000A;
    pub const FILTER_PIPELINE: u16 = 0x000B;
    pub const ATTRIBUTE: u16 = 0x000C;
    pub const COMMENT: u16 = 0x000D;
    pub const MODIFICATION_TIME_OLD: u16 = 0x000E;
    pub const SHARED_MESSAGE_TABLE: u16 = 0x000F;
    pub const CONTINUATION: u16 = 0x0010;
    pub const SYMBOL_TABLE: u16 = 0x0011;
    pub const MODIFICATION_TIME: u16 = 0x0012;
    pub const BTREE_K_VALUES: u16 = 0x0013;
    pub const DRIVER_INFO: u16 = 0x0014;
    pub const ATTRIBUTE_INFO: u16 = 0x0015;
    pub const REFERENCE_COUNT: u16 = 0x0016;
    pub const FILE_SPACE_INFO: u16 = 0x0017;
}

/// Header message flag bit 1: the body is a shared message encoding.
pub const FLAG_SHARED: u8 = 0x02;

fn maybe_shared<T>(
    r: &mut Reader,
    flags: u8,
    decode: impl FnOnce(&mut Reader) -> Result<T>,
) -> Result<MaybeShared<T>> {
    if flags & FLAG_SHARED != 0 {
        Ok(MaybeShared::Shared(decode_shared(r)?))
    } else {
        Ok(MaybeShared::Inline(decode(r)?))
    }
}

/// Decodes one message body of the given type. `flags` are the header message flags (bit 1 =
/// shared: the body is then a shared message, decoded to [`MaybeShared::Shared`] for the types
/// that can be shared); `address` is the file address of the body (used in errors).
pub fn decode_message(type_id: u16, flags: u8, data: &[u8], address: u64, sizes: Sizes) -> Result<Message> {
    let mut r = Reader::new(data, address, sizes);
    decode_reader(type_id, flags, &mut r).map_err(|e| e.context(format!("message type {:#06x}", type_id)).at(address))
}

fn decode_reader(type_id: u16, flags: u8, r: &mut Reader) -> Result<Message> {
    use msg_type as t;
    let at = r.address();
    let shareable = matches!(type_id, t::DATASPACE | t::DATATYPE | t::FILL_VALUE | t::FILTER_PIPELINE | t::ATTRIBUTE);
    if flags & FLAG_SHARED != 0 && !shareable {
        return Err(Error::format(at, format!("message type {:#06x} is marked shared but cannot be shared", type_id)));
    }
    Ok(match type_id {
        t::NIL => Message::Nil,
        t::DATASPACE => Message::Dataspace(maybe_shared(r, flags, Dataspace::decode)?),
        t::LINK_INFO => Message::LinkInfo(LinkInfo::decode(r)?),
        t::DATATYPE => Message::Datatype(maybe_shared(r, flags, Datatype::decode)?),
        t::FILL_VALUE_OLD => Message::FillValueOld(FillValue::decode_old(r)?),
        t::FILL_VALUE => Message::FillValue(maybe_shared(r, flags, FillValue::decode)?),
        t::LINK => Message::Link(LinkMessage::decode(r)?),
        t::EXTERNAL_FILES => Message::ExternalFiles(ExternalFiles::decode(r)?),
        t::LAYOUT => Message::Layout(LayoutMessage::decode(r)?),
        t::BOGUS => Message::Bogus,
        t::GROUP_INFO => Message::GroupInfo(GroupInfo::decode(r)?),
        t::FILTER_PIPELINE => Message::FilterPipeline(maybe_shared(r, flags, FilterPipeline::decode)?),
        t::ATTRIBUTE => Message::Attribute(maybe_shared(r, flags, AttributeMessage::decode)?),
        t::COMMENT => {
            let rest = r.rest();
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            Message::Comment(datatype::text(rest.get(..end).unwrap_or(rest)))
        }
        t::MODIFICATION_TIME_OLD => Message::ModificationTimeOld(decode_old_time(r)?),
        t::SHARED_MESSAGE_TABLE => {
            let version = r.u8()?;
            if version != 0 {
                return Err(Error::format(at, format!("unknown shared message table message version {}", version)));
            }
            let table_address = r.offset()?;
            let index_count = r.u8()?;
            Message::SharedMessageTable { version, table_address, index_count }
        }
        t::CONTINUATION => {
            let address = r.offset()?;
            let length = r.length()?;
            Message::Continuation { address, length }
        }
        t::SYMBOL_TABLE => {
            let btree_address = r.offset()?;
            let local_heap_address = r.offset()?;
            Message::SymbolTable(SymbolTable { btree_address, local_heap_address })
        }
        t::MODIFICATION_TIME => {
            let version = r.u8()?;
            if version != 1 {
                return Err(Error::format(at, format!("unknown modification time message version {}", version)));
            }
            r.skip(3)?;
            Message::ModificationTime(r.u32()?)
        }
        t::BTREE_K_VALUES => {
            let version = r.u8()?;
            if version != 0 {
                return Err(Error::format(at, format!("unknown B-tree 'K' values message version {}", version)));
            }
            let chunk_internal_k = r.u16()?;
            let group_internal_k = r.u16()?;
            let group_leaf_k = r.u16()?;
            Message::BTreeKValues { group_internal_k, group_leaf_k, chunk_internal_k }
        }
        t::DRIVER_INFO => {
            let version = r.u8()?;
            if version != 0 {
                return Err(Error::format(at, format!("unknown driver info message version {}", version)));
            }
            let id = datatype::text(r.bytes(8)?);
            let n = r.u16()? as usize;
            Message::DriverInfo { id, data: r.bytes(n)?.to_vec() }
        }
        t::ATTRIBUTE_INFO => Message::AttributeInfo(AttributeInfo::decode(r)?),
        t::REFERENCE_COUNT => {
            let version = r.u8()?;
            if version != 0 {
                return Err(Error::format(at, format!("unknown reference count message version {}", version)));
            }
            Message::ReferenceCount(r.u32()?)
        }
        t::FILE_SPACE_INFO => Message::FileSpaceInfo(r.rest().to_vec()),
        _ => Message::Unknown { type_id, data: r.rest().to_vec() },
    })
}

impl AttributeInfo {
    /// Decodes an attribute info message body (spec IV.A.2.v).
    pub fn decode(r: &mut Reader) -> Result<AttributeInfo> {
        let at = r.address();
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(at, format!("unknown attribute info message version {}", version)));
        }
        let flags = r.u8()?;
        let max_creation_index = if flags & 0x01 != 0 { Some(r.u16()?) } else { None };
        let fractal_heap_address = r.address_field()?;
        let name_index_address = r.address_field()?;
        let index_creation_order = flags & 0x02 != 0;
        let creation_order_index_address = if index_creation_order { r.address_field()? } else { None };
        Ok(AttributeInfo { max_creation_index, fractal_heap_address, name_index_address, index_creation_order, creation_order_index_address })
    }
}

impl ExternalFiles {
    /// Decodes an external data files message body (spec IV.A.2.h).
    pub fn decode(r: &mut Reader) -> Result<ExternalFiles> {
        let at = r.address();
        let version = r.u8()?;
        if version != 1 {
            return Err(Error::format(at, format!("unknown external data files message version {}", version)));
        }
        r.skip(3)?;
        let allocated = r.u16()?;
        let used = r.u16()? as usize;
        let heap_address = r.offset()?;
        let mut files = Vec::with_capacity(used.min(r.remaining()));
        for _ in 0..used {
            let name_offset = r.length()?;
            let file_offset = r.length()?;
            let size = r.length()?;
            files.push(ExternalFile { name_offset, file_offset, size });
        }
        Ok(ExternalFiles { allocated, heap_address, files })
    }
}

impl AttributeInfo {
    /// Encodes an attribute info message body.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.creation_order_index_address.is_some() && !self.index_creation_order {
            return Err(Error::usage("attribute info with a creation order index address but no creation order index"));
        }
        w.u8(0);
        w.u8(u8::from(self.max_creation_index.is_some()) | (u8::from(self.index_creation_order) << 1));
        if let Some(m) = self.max_creation_index {
            w.u16(m);
        }
        w.address_field(self.fractal_heap_address)?;
        w.address_field(self.name_index_address)?;
        if self.index_creation_order {
            w.address_field(self.creation_order_index_address)?;
        }
        Ok(())
    }

    /// Size of [`AttributeInfo::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        let o = usize::from(sizes.offset);
        2 + if self.max_creation_index.is_some() { 2 } else { 0 } + o * (2 + usize::from(self.index_creation_order))
    }
}

impl ExternalFiles {
    /// Encodes an external data files message body (`H5O__efl_encode`).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let used = u16::try_from(self.files.len())
            .map_err(|_| Error::usage(format!("{} external files (at most 65535)", self.files.len())))?;
        w.u8(1);
        w.zeros(3);
        w.u16(self.allocated.max(used));
        w.u16(used);
        w.offset(self.heap_address)?;
        for f in &self.files {
            w.length(f.name_offset)?;
            w.length(f.file_offset)?;
            w.length(f.size)?;
        }
        Ok(())
    }

    /// Size of [`ExternalFiles::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        8 + usize::from(sizes.offset) + self.files.len() * 3 * usize::from(sizes.length)
    }
}

/// The shared flag (header message flags bit 1) a message needs: set for shared messages.
pub fn message_flags(message: &Message) -> u8 {
    let shared = match message {
        Message::Dataspace(m) => matches!(m, MaybeShared::Shared(_)),
        Message::Datatype(m) => matches!(m, MaybeShared::Shared(_)),
        Message::FillValue(m) => matches!(m, MaybeShared::Shared(_)),
        Message::FilterPipeline(m) => matches!(m, MaybeShared::Shared(_)),
        Message::Attribute(m) => matches!(m, MaybeShared::Shared(_)),
        _ => false,
    };
    if shared {
        FLAG_SHARED
    } else {
        0
    }
}

impl Message {
    /// The header message type number (spec IV.A.2) of this message.
    pub fn type_id(&self) -> u16 {
        use msg_type as t;
        match self {
            Message::Nil => t::NIL,
            Message::Dataspace(_) => t::DATASPACE,
            Message::LinkInfo(_) => t::LINK_INFO,
            Message::Datatype(_) => t::DATATYPE,
            Message::FillValueOld(_) => t::FILL_VALUE_OLD,
            Message::FillValue(_) => t::FILL_VALUE,
            Message::Link(_) => t::LINK,
            Message::ExternalFiles(_) => t::EXTERNAL_FILES,
            Message::Layout(_) => t::LAYOUT,
            Message::Bogus => t::BOGUS,
            Message::GroupInfo(_) => t::GROUP_INFO,
            Message::FilterPipeline(_) => t::FILTER_PIPELINE,
            Message::Attribute(_) => t::ATTRIBUTE,
            Message::Comment(_) => t::COMMENT,
            Message::ModificationTimeOld(_) => t::MODIFICATION_TIME_OLD,
            Message::SharedMessageTable { .. } => t::SHARED_MESSAGE_TABLE,
            Message::Continuation { .. } => t::CONTINUATION,
            Message::SymbolTable(_) => t::SYMBOL_TABLE,
            Message::ModificationTime(_) => t::MODIFICATION_TIME,
            Message::BTreeKValues { .. } => t::BTREE_K_VALUES,
            Message::DriverInfo { .. } => t::DRIVER_INFO,
            Message::AttributeInfo(_) => t::ATTRIBUTE_INFO,
            Message::ReferenceCount(_) => t::REFERENCE_COUNT,
            Message::FileSpaceInfo(_) => t::FILE_SPACE_INFO,
            Message::Unknown { type_id, .. } => *type_id,
        }
    }
}

fn encode_maybe_shared<T>(m: &MaybeShared<T>, w: &mut Writer, encode: impl FnOnce(&T, &mut Writer) -> Result<()>) -> Result<()> {
    match m {
        MaybeShared::Inline(x) => encode(x, w),
        MaybeShared::Shared(l) => encode_shared(l, w),
    }
}

fn size_maybe_shared<T>(m: &MaybeShared<T>, sizes: Sizes, size: impl FnOnce(&T) -> usize) -> usize {
    match m {
        MaybeShared::Inline(x) => size(x),
        MaybeShared::Shared(l) => shared_size(l, sizes),
    }
}

/// Largest header message body inside an object header: the size field is 2 bytes. (Messages
/// stored elsewhere, dense attributes in a fractal heap, may be larger.)
pub const MAX_MESSAGE_SIZE: usize = 0xffff;

/// Encodes one message body (the inverse of [`decode_message`]; the header message flags it
/// needs are [`message_flags`]). Fails, writing nothing, for values that have no encoding.
/// The [`MAX_MESSAGE_SIZE`] bound of bodies in object headers is checked by the header
/// encoders, not here.
pub fn encode_message(message: &Message, w: &mut Writer) -> Result<()> {
    // Written in place; a failure takes back the partial body (no scratch buffer and copy).
    let start = w.position();
    encode_body(message, w).map_err(|e| {
        w.truncate(start);
        e.context(format!("encoding message type {:#06x}", message.type_id()))
    })
}

fn encode_body(message: &Message, w: &mut Writer) -> Result<()> {
    match message {
        Message::Nil => {}
        Message::Dataspace(m) => encode_maybe_shared(m, w, Dataspace::encode)?,
        Message::LinkInfo(m) => m.encode(w)?,
        Message::Datatype(m) => encode_maybe_shared(m, w, Datatype::encode)?,
        Message::FillValueOld(m) => {
            if m.version != 0 {
                return Err(Error::usage("the old fill value message holds a fill value of version 0"));
            }
            m.encode(w)?
        }
        Message::FillValue(m) => {
            if let MaybeShared::Inline(f) = m {
                if f.version == 0 {
                    return Err(Error::usage("a fill value of version 0 belongs in the old fill value message"));
                }
            }
            encode_maybe_shared(m, w, FillValue::encode)?
        }
        Message::Link(m) => m.encode(w)?,
        Message::ExternalFiles(m) => m.encode(w)?,
        Message::Layout(m) => m.encode(w)?,
        Message::Bogus => w.u32(0xdead_beef),
        Message::GroupInfo(m) => m.encode(w)?,
        Message::FilterPipeline(m) => encode_maybe_shared(m, w, FilterPipeline::encode)?,
        Message::Attribute(m) => encode_maybe_shared(m, w, AttributeMessage::encode)?,
        Message::Comment(c) => {
            if c.as_bytes().contains(&0) {
                return Err(Error::usage("comment contains a NUL byte"));
            }
            w.cstr(c.as_bytes())
        }
        Message::ModificationTimeOld(secs) => encode_old_time(*secs, w)?,
        Message::SharedMessageTable { version, table_address, index_count } => {
            w.u8(*version);
            w.offset(*table_address)?;
            w.u8(*index_count);
        }
        Message::Continuation { address, length } => {
            w.offset(*address)?;
            w.length(*length)?;
        }
        Message::SymbolTable(s) => {
            w.offset(s.btree_address)?;
            w.offset(s.local_heap_address)?;
        }
        Message::ModificationTime(secs) => {
            w.u8(1);
            w.zeros(3);
            w.u32(*secs);
        }
        Message::BTreeKValues { group_internal_k, group_leaf_k, chunk_internal_k } => {
            w.u8(0);
            w.u16(*chunk_internal_k);
            w.u16(*group_internal_k);
            w.u16(*group_leaf_k);
        }
        Message::DriverInfo { id, data } => {
            if id.len() > 8 {
                return Err(Error::usage(format!("driver id {:?} longer than 8 bytes", id)));
            }
            let n = u16::try_from(data.len()).map_err(|_| Error::usage("driver information over 65535 bytes"))?;
            w.u8(0);
            w.bytes(id.as_bytes());
            w.zeros(8 - id.len());
            w.u16(n);
            w.bytes(data);
        }
        Message::AttributeInfo(m) => m.encode(w)?,
        Message::ReferenceCount(n) => {
            w.u8(0);
            w.u32(*n);
        }
        Message::FileSpaceInfo(data) | Message::Unknown { data, .. } => w.bytes(data),
    }
    Ok(())
}

/// Size of [`encode_message`]'s output.
pub fn message_size(message: &Message, sizes: Sizes) -> usize {
    let o = usize::from(sizes.offset);
    let l = usize::from(sizes.length);
    match message {
        Message::Nil => 0,
        Message::Dataspace(m) => size_maybe_shared(m, sizes, |x| x.encoded_size(sizes)),
        Message::LinkInfo(m) => m.encoded_size(sizes),
        Message::Datatype(m) => size_maybe_shared(m, sizes, |x| x.encoded_size(sizes)),
        Message::FillValueOld(m) => m.encoded_size(sizes),
        Message::FillValue(m) => size_maybe_shared(m, sizes, |x| x.encoded_size(sizes)),
        Message::Link(m) => m.encoded_size(sizes),
        Message::ExternalFiles(m) => m.encoded_size(sizes),
        Message::Layout(m) => m.encoded_size(sizes),
        Message::Bogus => 4,
        Message::GroupInfo(m) => m.encoded_size(sizes),
        Message::FilterPipeline(m) => size_maybe_shared(m, sizes, |x| x.encoded_size(sizes)),
        Message::Attribute(m) => size_maybe_shared(m, sizes, |x| x.encoded_size(sizes)),
        Message::Comment(c) => c.len() + 1,
        Message::ModificationTimeOld(_) => 16,
        Message::SharedMessageTable { .. } => 2 + o,
        Message::Continuation { .. } => o + l,
        Message::SymbolTable(_) => 2 * o,
        Message::ModificationTime(_) => 8,
        Message::BTreeKValues { .. } => 7,
        Message::DriverInfo { data, .. } => 11 + data.len(),
        Message::AttributeInfo(m) => m.encoded_size(sizes),
        Message::ReferenceCount(_) => 5,
        Message::FileSpaceInfo(data) | Message::Unknown { data, .. } => data.len(),
    }
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The old modification time: "YYYYMMDDhhmmss" (UTC) and 2 reserved zero bytes.
fn encode_old_time(secs: u64, w: &mut Writer) -> Result<()> {
    let s = i64::try_from(secs).map_err(|_| Error::usage("modification time out of range"))?;
    let (y, m, d) = civil_from_days(s.div_euclid(86_400));
    let t = s.rem_euclid(86_400);
    if y > 9999 {
        return Err(Error::usage(format!("modification time in year {} (at most 9999)", y)));
    }
    let text = format!("{:04}{:02}{:02}{:02}{:02}{:02}", y, m, d, t / 3600, t / 60 % 60, t % 60);
    w.bytes(text.as_bytes());
    w.zeros(2);
    Ok(())
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The old modification time: "YYYYMMDDhhmmss" in ASCII (UTC) and 2 reserved bytes.
fn decode_old_time(r: &mut Reader) -> Result<u64> {
    let at = r.address();
    let digits = r.bytes(14)?;
    let mut fields = [0i64; 6];
    let widths = [4usize, 2, 2, 2, 2, 2];
    let mut pos = 0usize;
    for (field, width) in fields.iter_mut().zip(widths) {
        let part = digits.get(pos..pos + width).ok_or_else(|| Error::format(at, "modification time truncated"))?;
        for &c in part {
            if !c.is_ascii_digit() {
                return Err(Error::format(at, format!("modification time has a non-digit {:?}", c as char)));
            }
            *field = *field * 10 + i64::from(c - b'0');
        }
        pos += width;
    }
    let [year, month, day, hour, minute, second] = fields;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 61 {
        return Err(Error::format(at, "modification time out of range"));
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs).map_err(|_| Error::format(at, "modification time before 1970"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn old_modification_time() {
        let m = decode_message(0x0e, 0, b"20240229123456\0\0", 0, Sizes::default()).unwrap();
        assert_eq!(m, Message::ModificationTimeOld(1_709_210_096));
    }

    #[test]
    fn small_messages_round_trip() {
        let s4 = Sizes::new(4, 4).unwrap();
        let all = [
            Message::Nil,
            Message::Bogus,
            Message::Comment("hello".into()),
            Message::ModificationTimeOld(1_709_210_096),
            Message::SharedMessageTable { version: 0, table_address: 97, index_count: 2 },
            Message::Continuation { address: 4096, length: 300 },
            Message::SymbolTable(SymbolTable { btree_address: 136, local_heap_address: 680 }),
            Message::ModificationTime(1_700_000_000),
            Message::BTreeKValues { group_internal_k: 16, group_leaf_k: 4, chunk_internal_k: 32 },
            Message::DriverInfo { id: "NCSAmult".into(), data: vec![1, 2, 3] },
            Message::AttributeInfo(AttributeInfo {
                max_creation_index: Some(3),
                fractal_heap_address: None,
                name_index_address: Some(1000),
                index_creation_order: true,
                creation_order_index_address: None,
            }),
            Message::ReferenceCount(2),
            Message::FileSpaceInfo(vec![1, 2, 3]),
            Message::ExternalFiles(ExternalFiles {
                allocated: 16,
                heap_address: 512,
                files: vec![ExternalFile { name_offset: 8, file_offset: 0, size: 100 }],
            }),
            Message::LinkInfo(LinkInfo {
                max_creation_index: None,
                fractal_heap_address: Some(1870),
                name_index_address: Some(5232),
                index_creation_order: false,
                creation_order_index_address: None,
            }),
            Message::GroupInfo(GroupInfo { max_compact: Some(8), min_dense: Some(6), estimated_entries: None, estimated_name_length: None }),
            Message::Unknown { type_id: 0x99, data: vec![9, 9] },
        ];
        for sizes in [Sizes::default(), s4] {
            for m in &all {
                let mut w = Writer::new(0, sizes);
                encode_message(m, &mut w).unwrap();
                assert_eq!(w.position(), message_size(m, sizes), "{:?}", m);
                let back = decode_message(m.type_id(), message_flags(m), w.as_slice(), 0, sizes).unwrap();
                let back = if *m == Message::Nil { Message::Nil } else { back };
                assert_eq!(&back, m);
            }
        }
        // Old times: ASCII digits and two reserved bytes.
        let mut w = Writer::new(0, Sizes::default());
        encode_message(&Message::ModificationTimeOld(1_709_210_096), &mut w).unwrap();
        assert_eq!(w.as_slice(), b"20240229123456\0\0");
    }

    #[test]
    fn shared_flag_on_unshareable_type_is_an_error() {
        assert!(decode_message(msg_type::LINK, FLAG_SHARED, &[2, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, Sizes::default()).is_err());
    }
}

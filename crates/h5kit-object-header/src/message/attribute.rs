//! The attribute message (spec IV.A.2.m "The Attribute Message"), versions 1-3.
//!
//! - Version 1: name, datatype and dataspace are each NUL-padded to a multiple of 8 bytes (the
//!   stored sizes exclude the padding); the flags byte is reserved.
//! - Version 2: no padding; flags bit 0 = datatype shared, bit 1 = dataspace shared (the field
//!   then holds a shared message encoding, decoded to [`MaybeShared::Shared`]).
//! - Version 3: as 2 plus the name's character set.
//!
//! The data is `element count x datatype size` bytes when both datatype and dataspace are
//! inline; when either is shared its size is unknown here and `data` holds the rest of the
//! message (the caller truncates once it has resolved them).

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use super::datatype::{character_set, charset_bits, text};
use super::shared::{decode_shared, encode_shared, shared_size};
use super::types::{AttributeMessage, CharacterSet, Dataspace, Datatype, MaybeShared};

/// The next `size`-byte field as a sub-reader; in version 1 the NUL padding to a multiple of 8
/// that follows it is skipped (tolerating padding cut short at the end of the message).
fn field<'a>(r: &mut Reader<'a>, size: usize, version: u8) -> Result<Reader<'a>> {
    let sub = r.split(size)?;
    if version == 1 {
        let pad = (8 - size % 8) % 8;
        r.skip(pad.min(r.remaining()))?;
    }
    Ok(sub)
}

/// The name of an attribute message body (the bytes before its NUL) read without decoding
/// the rest (a writer looking for an attribute by name); `None` for a body too short or of an
/// unknown version.
pub fn attribute_message_name(body: &[u8]) -> Option<&[u8]> {
    let version = *body.first()?;
    let start: usize = match version {
        1 | 2 => 8,
        3 => 9,
        _ => return None,
    };
    let name_size = usize::from(u16::from_le_bytes([*body.get(2)?, *body.get(3)?]));
    let field = body.get(start..start.checked_add(name_size)?)?;
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    field.get(..end)
}

impl AttributeMessage {
    /// Decodes an attribute message body.
    pub fn decode(r: &mut Reader) -> Result<AttributeMessage> {
        let at = r.address();
        let version = r.u8()?;
        if !(1..=3).contains(&version) {
            return Err(Error::format(at, format!("unknown attribute message version {}", version)));
        }
        let flags = r.u8()?;
        let flags = if version == 1 { 0 } else { flags };
        let name_size = r.u16()? as usize;
        let datatype_size = r.u16()? as usize;
        let dataspace_size = r.u16()? as usize;
        let charset = if version >= 3 { character_set(u32::from(r.u8()?), at)? } else { CharacterSet::Ascii };

        // Name (NUL-terminated within its field).
        let name_bytes = field(r, name_size, version)?.rest();
        let end = name_bytes.iter().position(|&c| c == 0).unwrap_or(name_bytes.len());
        let name = text(name_bytes.get(..end).unwrap_or(name_bytes));

        let mut dt_reader = field(r, datatype_size, version)?;
        let datatype = if flags & 0x01 != 0 {
            MaybeShared::Shared(decode_shared(&mut dt_reader).map_err(|e| e.context("attribute datatype"))?)
        } else {
            MaybeShared::Inline(Datatype::decode(&mut dt_reader).map_err(|e| e.context("attribute datatype"))?)
        };

        let mut ds_reader = field(r, dataspace_size, version)?;
        let dataspace = if flags & 0x02 != 0 {
            MaybeShared::Shared(decode_shared(&mut ds_reader).map_err(|e| e.context("attribute dataspace"))?)
        } else {
            MaybeShared::Inline(Dataspace::decode(&mut ds_reader).map_err(|e| e.context("attribute dataspace"))?)
        };

        let data = match (&datatype, &dataspace) {
            (MaybeShared::Inline(t), MaybeShared::Inline(s)) => {
                let count = s.element_count().ok_or_else(|| Error::format(at, "attribute element count overflows"))?;
                let size = count
                    .checked_mul(u64::from(t.size))
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| Error::format(at, "attribute data size overflows"))?;
                if size > r.remaining() {
                    return Err(Error::format(
                        r.address(),
                        format!("attribute {:?} data needs {} bytes, {} left in the message", name, size, r.remaining()),
                    ));
                }
                r.bytes(size)?.to_vec()
            }
            _ => r.rest().to_vec(),
        };
        Ok(AttributeMessage { version, name, charset, datatype, dataspace, data })
    }
}

fn padded(n: usize, version: u8) -> usize {
    if version == 1 {
        n.div_ceil(8) * 8
    } else {
        n
    }
}

fn field_len(n: usize, what: &str) -> Result<u16> {
    u16::try_from(n).map_err(|_| Error::usage(format!("attribute {} of {} bytes (at most 65535)", what, n)))
}

impl AttributeMessage {
    fn field_sizes(&self, sizes: Sizes) -> (usize, usize, usize) {
        let dt = match &self.datatype {
            MaybeShared::Inline(t) => t.encoded_size(sizes),
            MaybeShared::Shared(l) => shared_size(l, sizes),
        };
        let ds = match &self.dataspace {
            MaybeShared::Inline(s) => s.encoded_size(sizes),
            MaybeShared::Shared(l) => shared_size(l, sizes),
        };
        (self.name.len() + 1, dt, ds)
    }

    /// Encodes an attribute message body (`H5O__attr_encode`): version 1 pads the name,
    /// datatype and dataspace to multiples of 8 (the stored sizes exclude the padding).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if !(1..=3).contains(&self.version) {
            return Err(Error::usage(format!("unknown attribute message version {}", self.version)));
        }
        if self.name.as_bytes().contains(&0) {
            return Err(Error::usage(format!("attribute name {:?} contains a NUL byte", self.name)));
        }
        let shared_type = matches!(self.datatype, MaybeShared::Shared(_));
        let shared_space = matches!(self.dataspace, MaybeShared::Shared(_));
        if self.version == 1 && (shared_type || shared_space) {
            return Err(Error::usage("a version 1 attribute cannot have a shared datatype or dataspace"));
        }
        if self.version < 3 && self.charset != CharacterSet::Ascii {
            return Err(Error::usage("attribute name character sets need attribute message version 3"));
        }
        if let (MaybeShared::Inline(t), MaybeShared::Inline(s)) = (&self.datatype, &self.dataspace) {
            let want = s.element_count().and_then(|n| n.checked_mul(u64::from(t.size)));
            if want != Some(self.data.len() as u64) {
                return Err(Error::usage(format!("attribute {:?} has {} data bytes, its type and space need {:?}", self.name, self.data.len(), want)));
            }
        }
        let (name_size, dt_size, ds_size) = self.field_sizes(w.sizes());
        let (name16, dt16, ds16) = (field_len(name_size, "name")?, field_len(dt_size, "datatype")?, field_len(ds_size, "dataspace")?);
        w.u8(self.version);
        w.u8(if self.version == 1 { 0 } else { u8::from(shared_type) | (u8::from(shared_space) << 1) });
        w.u16(name16);
        w.u16(dt16);
        w.u16(ds16);
        if self.version >= 3 {
            w.u8(charset_bits(self.charset) as u8);
        }
        let pad = |w: &mut Writer, n: usize| w.zeros(padded(n, self.version) - n);
        w.cstr(self.name.as_bytes());
        pad(w, name_size);
        match &self.datatype {
            MaybeShared::Inline(t) => t.encode(w)?,
            MaybeShared::Shared(l) => encode_shared(l, w)?,
        }
        pad(w, dt_size);
        match &self.dataspace {
            MaybeShared::Inline(s) => s.encode(w)?,
            MaybeShared::Shared(l) => encode_shared(l, w)?,
        }
        pad(w, ds_size);
        w.bytes(&self.data);
        Ok(())
    }

    /// Size of [`AttributeMessage::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        let (n, t, s) = self.field_sizes(sizes);
        let v = self.version;
        8 + usize::from(v >= 3) + padded(n, v) + padded(t, v) + padded(s, v) + self.data.len()
    }
}

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

use h5kit_core::{Error, Reader, Result};

use super::datatype::{character_set, text};
use super::shared::decode_shared;
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

//! "The Link Message" (spec IV.A.2.g), "The Link Info Message" (IV.A.2.c) and "The Group Info
//! Message" (IV.A.2.k).
//!
//! Link message flags: bits 0-1 size of the name length field (1, 2, 4, 8 bytes), bit 2
//! creation order present, bit 3 link type present (absent = hard link), bit 4 name character
//! set present. Soft links hold a 2-byte length and the path; external links a 2-byte length,
//! a version/flags byte and two NUL-terminated strings (file, object path).

use h5kit_core::{Error, Reader, Result};

use super::datatype::{character_set, text};
use super::types::{CharacterSet, GroupInfo, LinkInfo, LinkMessage, LinkTarget};

impl LinkMessage {
    /// Decodes a link message body.
    pub fn decode(r: &mut Reader) -> Result<LinkMessage> {
        let at = r.address();
        let version = r.u8()?;
        if version != 1 {
            return Err(Error::format(at, format!("unknown link message version {}", version)));
        }
        let flags = r.u8()?;
        let link_type = if flags & 0x08 != 0 { r.u8()? } else { 0 };
        let creation_order = if flags & 0x04 != 0 { Some(r.u64()?) } else { None };
        let charset = if flags & 0x10 != 0 { character_set(u32::from(r.u8()?), at)? } else { CharacterSet::Ascii };
        let name_len = r.uint(1usize << (flags & 0x03))?;
        let name_len = usize::try_from(name_len)
            .ok()
            .filter(|&n| n <= r.remaining())
            .ok_or_else(|| Error::format(at, format!("link name length {} exceeds the message", name_len)))?;
        if name_len == 0 {
            return Err(Error::format(at, "link with an empty name"));
        }
        let name = text(r.bytes(name_len)?);
        let target = match link_type {
            0 => LinkTarget::Hard { address: r.offset()? },
            1 => {
                let n = r.u16()? as usize;
                LinkTarget::Soft { path: text(r.bytes(n)?) }
            }
            64 => {
                let n = r.u16()? as usize;
                let mut v = r.split(n)?;
                let vf = v.u8()?;
                if vf >> 4 != 0 {
                    return Err(Error::format(at, format!("unknown external link version {}", vf >> 4)));
                }
                let file = text(v.cstr()?);
                let path = text(v.cstr()?);
                LinkTarget::External { file, path }
            }
            t => {
                let n = r.u16()? as usize;
                LinkTarget::UserDefined { link_type: t, data: r.bytes(n)?.to_vec() }
            }
        };
        Ok(LinkMessage { name, charset, creation_order, target })
    }
}

impl LinkInfo {
    /// Decodes a link info message body.
    pub fn decode(r: &mut Reader) -> Result<LinkInfo> {
        let at = r.address();
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(at, format!("unknown link info message version {}", version)));
        }
        let flags = r.u8()?;
        let max_creation_index = if flags & 0x01 != 0 { Some(r.u64()?) } else { None };
        let fractal_heap_address = r.address_field()?;
        let name_index_address = r.address_field()?;
        let creation_order_index_address = if flags & 0x02 != 0 { r.address_field()? } else { None };
        Ok(LinkInfo { max_creation_index, fractal_heap_address, name_index_address, creation_order_index_address })
    }
}

impl GroupInfo {
    /// Decodes a group info message body.
    pub fn decode(r: &mut Reader) -> Result<GroupInfo> {
        let at = r.address();
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(at, format!("unknown group info message version {}", version)));
        }
        let flags = r.u8()?;
        let mut g = GroupInfo::default();
        if flags & 0x01 != 0 {
            g.max_compact = Some(r.u16()?);
            g.min_dense = Some(r.u16()?);
        }
        if flags & 0x02 != 0 {
            g.estimated_entries = Some(r.u16()?);
            g.estimated_name_length = Some(r.u16()?);
        }
        Ok(g)
    }
}

//! "The Link Message" (spec IV.A.2.g), "The Link Info Message" (IV.A.2.c) and "The Group Info
//! Message" (IV.A.2.k).
//!
//! Link message flags: bits 0-1 size of the name length field (1, 2, 4, 8 bytes), bit 2
//! creation order present, bit 3 link type present (absent = hard link), bit 4 name character
//! set present. Soft links hold a 2-byte length and the path; external links a 2-byte length,
//! a version/flags byte and two NUL-terminated strings (file, object path).

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use super::datatype::{character_set, charset_bits, text};
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
        let index_creation_order = flags & 0x02 != 0;
        let creation_order_index_address = if index_creation_order { r.address_field()? } else { None };
        Ok(LinkInfo { max_creation_index, fractal_heap_address, name_index_address, index_creation_order, creation_order_index_address })
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

/// Bytes of the link name length field: the smallest of 1, 2, 4, 8 that holds the length (as
/// libhdf5 chooses it).
fn name_length_width(len: usize) -> (u8, usize) {
    match len {
        0..=0xff => (0, 1),
        0x100..=0xffff => (1, 2),
        0x1_0000..=0xffff_ffff => (2, 4),
        _ => (3, 8),
    }
}

fn short_len(n: usize, what: &str) -> Result<u16> {
    u16::try_from(n).map_err(|_| Error::usage(format!("{} of {} bytes (at most 65535)", what, n)))
}

impl LinkMessage {
    fn target_info(&self) -> Result<(u8, usize)> {
        Ok(match &self.target {
            LinkTarget::Hard { .. } => (0, 0),
            LinkTarget::Soft { path } => (1, 2 + path.len()),
            LinkTarget::External { file, path } => (64, 2 + 1 + file.len() + 1 + path.len() + 1),
            LinkTarget::UserDefined { link_type, data } => {
                if matches!(link_type, 0 | 1 | 64) {
                    return Err(Error::usage(format!("user-defined link with the reserved type {}", link_type)));
                }
                (*link_type, 2 + data.len())
            }
        })
    }

    /// Encodes a link message body (`H5O__link_encode`): link type, creation order and
    /// character set stored only when not the defaults; the name length in the fewest bytes.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.name.is_empty() {
            return Err(Error::usage("link with an empty name"));
        }
        let (link_type, _) = self.target_info()?;
        let (width_code, width) = name_length_width(self.name.len());
        let mut flags = width_code;
        if self.creation_order.is_some() {
            flags |= 0x04;
        }
        if link_type != 0 {
            flags |= 0x08;
        }
        if self.charset != CharacterSet::Ascii {
            flags |= 0x10;
        }
        w.u8(1);
        w.u8(flags);
        if link_type != 0 {
            w.u8(link_type);
        }
        if let Some(c) = self.creation_order {
            w.u64(c);
        }
        if self.charset != CharacterSet::Ascii {
            w.u8(charset_bits(self.charset) as u8);
        }
        w.uint(self.name.len() as u64, width)?;
        w.bytes(self.name.as_bytes());
        match &self.target {
            LinkTarget::Hard { address } => w.offset(*address)?,
            LinkTarget::Soft { path } => {
                w.u16(short_len(path.len(), "soft link path")?);
                w.bytes(path.as_bytes());
            }
            LinkTarget::External { file, path } => {
                if file.as_bytes().contains(&0) || path.as_bytes().contains(&0) {
                    return Err(Error::usage("external link names contain a NUL byte"));
                }
                w.u16(short_len(3 + file.len() + path.len(), "external link information")?);
                w.u8(0);
                w.cstr(file.as_bytes());
                w.cstr(path.as_bytes());
            }
            LinkTarget::UserDefined { data, .. } => {
                w.u16(short_len(data.len(), "user-defined link data")?);
                w.bytes(data);
            }
        }
        Ok(())
    }

    /// Size of [`LinkMessage::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        let (link_type, target) = self.target_info().unwrap_or((0, 0));
        let target = if link_type == 0 { usize::from(sizes.offset) } else { target + 1 };
        2 + usize::from(self.creation_order.is_some()) * 8
            + usize::from(self.charset != CharacterSet::Ascii)
            + name_length_width(self.name.len()).1
            + self.name.len()
            + target
    }
}

impl LinkInfo {
    /// Encodes a link info message body.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.creation_order_index_address.is_some() && !self.index_creation_order {
            return Err(Error::usage("link info with a creation order index address but no creation order index"));
        }
        w.u8(0);
        w.u8(u8::from(self.max_creation_index.is_some()) | (u8::from(self.index_creation_order) << 1));
        if let Some(m) = self.max_creation_index {
            w.u64(m);
        }
        w.address_field(self.fractal_heap_address)?;
        w.address_field(self.name_index_address)?;
        if self.index_creation_order {
            w.address_field(self.creation_order_index_address)?;
        }
        Ok(())
    }

    /// Size of [`LinkInfo::encode`]'s output.
    pub fn encoded_size(&self, sizes: Sizes) -> usize {
        let o = usize::from(sizes.offset);
        2 + if self.max_creation_index.is_some() { 8 } else { 0 } + o * (2 + usize::from(self.index_creation_order))
    }
}

impl GroupInfo {
    /// Encodes a group info message body.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let phase = match (self.max_compact, self.min_dense) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => return Err(Error::usage("group info with only one of maximum compact / minimum dense")),
        };
        let estimates = match (self.estimated_entries, self.estimated_name_length) {
            (Some(a), Some(b)) => Some((a, b)),
            (None, None) => None,
            _ => return Err(Error::usage("group info with only one of the two estimates")),
        };
        w.u8(0);
        w.u8(u8::from(phase.is_some()) | (u8::from(estimates.is_some()) << 1));
        for (a, b) in phase.into_iter().chain(estimates) {
            w.u16(a);
            w.u16(b);
        }
        Ok(())
    }

    /// Size of [`GroupInfo::encode`]'s output.
    pub fn encoded_size(&self, _sizes: Sizes) -> usize {
        2 + if self.max_compact.is_some() { 4 } else { 0 } + if self.estimated_entries.is_some() { 4 } else { 0 }
    }
}

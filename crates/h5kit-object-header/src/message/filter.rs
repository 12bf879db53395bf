//! The filter pipeline message (spec IV.A.2.l "The Data Storage - Filter Pipeline Message"),
//! versions 1 and 2.
//!
//! - Version 1: 6 reserved bytes after the filter count; every filter has a name length (the
//!   name is NUL-padded to a multiple of 8, the length counts the padding); client data values
//!   are followed by 4 bytes of padding when their count is odd.
//! - Version 2: no reserved bytes; the name length and name are present only for filter ids
//!   >= 256 and are not padded; no client data padding.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

use super::datatype::text;
use super::types::{Filter, FilterPipeline};

/// Most filters a pipeline may hold (`H5Z_MAX_NFILTERS`).
pub const MAX_FILTERS: usize = 32;

impl FilterPipeline {
    /// Decodes a filter pipeline message body.
    pub fn decode(r: &mut Reader) -> Result<FilterPipeline> {
        let at = r.address();
        let version = r.u8()?;
        if version != 1 && version != 2 {
            return Err(Error::format(at, format!("unknown filter pipeline message version {}", version)));
        }
        let count = r.u8()? as usize;
        if count > MAX_FILTERS {
            return Err(Error::format(at, format!("filter pipeline with {} filters (at most {})", count, MAX_FILTERS)));
        }
        if version == 1 {
            r.skip(6)?;
        }
        let mut filters = Vec::with_capacity(count);
        for _ in 0..count {
            let id = r.u16()?;
            let name_len = if version == 1 || id >= 256 { r.u16()? as usize } else { 0 };
            let flags = r.u16()?;
            let nvalues = r.u16()? as usize;
            let name = if name_len > 0 {
                let raw = r.bytes(name_len)?;
                let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
                Some(text(raw.get(..end).unwrap_or(raw)))
            } else {
                None
            };
            let mut client_data = Vec::with_capacity(nvalues.min(r.remaining() / 4));
            for _ in 0..nvalues {
                client_data.push(r.u32()?);
            }
            if version == 1 && nvalues % 2 == 1 {
                // Padding; tolerate its absence at the very end of the message.
                let pad = r.remaining().min(4);
                r.skip(pad)?;
            }
            filters.push(Filter { id, name, flags, client_data });
        }
        Ok(FilterPipeline { version, filters })
    }
}

/// Stored name bytes of a filter: version 1 pads the NUL-terminated name to a multiple of 8,
/// version 2 stores it (NUL-terminated, unpadded) only for ids >= 256.
fn name_field_size(version: u8, f: &Filter) -> usize {
    match &f.name {
        Some(n) if version == 1 => (n.len() + 1).div_ceil(8) * 8,
        Some(n) if f.id >= 256 => n.len() + 1,
        _ => 0,
    }
}

impl FilterPipeline {
    /// Encodes a filter pipeline message body (`H5O__pline_encode`).
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.version != 1 && self.version != 2 {
            return Err(Error::usage(format!("unknown filter pipeline message version {}", self.version)));
        }
        if self.filters.len() > MAX_FILTERS {
            return Err(Error::usage(format!("filter pipeline with {} filters (at most {})", self.filters.len(), MAX_FILTERS)));
        }
        w.u8(self.version);
        w.u8(self.filters.len() as u8);
        if self.version == 1 {
            w.zeros(6);
        }
        for f in &self.filters {
            let name_len = name_field_size(self.version, f);
            let name_len16 = u16::try_from(name_len).map_err(|_| Error::usage(format!("filter name of {} bytes", name_len)))?;
            let nvalues = u16::try_from(f.client_data.len())
                .map_err(|_| Error::usage(format!("filter with {} client data values", f.client_data.len())))?;
            w.u16(f.id);
            if self.version == 1 || f.id >= 256 {
                w.u16(name_len16);
            }
            w.u16(f.flags);
            w.u16(nvalues);
            if let Some(n) = f.name.as_deref().filter(|_| name_len > 0) {
                if n.as_bytes().contains(&0) {
                    return Err(Error::usage(format!("filter name {:?} contains a NUL byte", n)));
                }
                w.bytes(n.as_bytes());
                w.zeros(name_len - n.len());
            }
            for &v in &f.client_data {
                w.u32(v);
            }
            if self.version == 1 && f.client_data.len() % 2 == 1 {
                w.zeros(4);
            }
        }
        Ok(())
    }

    /// Size of [`FilterPipeline::encode`]'s output.
    pub fn encoded_size(&self, _sizes: Sizes) -> usize {
        let head = if self.version == 1 { 8 } else { 2 };
        head + self
            .filters
            .iter()
            .map(|f| {
                let fixed = if self.version == 1 || f.id >= 256 { 8 } else { 6 };
                let values = f.client_data.len() * 4;
                let pad = if self.version == 1 && f.client_data.len() % 2 == 1 { 4 } else { 0 };
                fixed + name_field_size(self.version, f) + values + pad
            })
            .sum::<usize>()
    }
}

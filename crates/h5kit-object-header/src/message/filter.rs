//! The filter pipeline message (spec IV.A.2.l "The Data Storage - Filter Pipeline Message"),
//! versions 1 and 2.
//!
//! - Version 1: 6 reserved bytes after the filter count; every filter has a name length (the
//!   name is NUL-padded to a multiple of 8, the length counts the padding); client data values
//!   are followed by 4 bytes of padding when their count is odd.
//! - Version 2: no reserved bytes; the name length and name are present only for filter ids
//!   >= 256 and are not padded; no client data padding.

use h5kit_core::{Error, Reader, Result};

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

//! Compact datasets (spec IV.A.2.i "Data Layout Message", version 3, class 0): the raw data
//! lives in the layout message of the dataset's header (at most 64 KiB). Created filled with
//! the fill value (libhdf5 allocates compact storage early); a write changes the message,
//! which the header's in-place write at the flush stores (one write of the bytes that
//! changed).

use h5kit_core::{Error, Result};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{Layout, LayoutMessage, Message};

use super::Editor;
use crate::copy_box;

/// The data of a new compact dataset of `bytes` bytes: the fill value repeated (zeros when
/// there is none).
pub(super) fn initial_data(bytes: u64, fill: &Option<Vec<u8>>) -> Result<Vec<u8>> {
    let n = usize::try_from(bytes).map_err(|_| Error::usage("compact dataset too large"))?;
    Ok(match fill {
        Some(f) if !f.is_empty() && f.iter().any(|&b| b != 0) => f.iter().copied().cycle().take(n).collect(),
        _ => vec![0; n],
    })
}

impl Editor {
    /// Writes the box `start`/`count` of packed `data` into the compact dataset whose header
    /// is at `header` (extent `dims`, `esize`-byte elements).
    pub(super) fn write_compact(&mut self, header: u64, dims: &[u64], start: &[u64], count: &[u64], esize: usize, data: &[u8]) -> Result<()> {
        let sizes = self.sizes;
        let hdr = self.header(header)?;
        let i = hdr.find(msg_type::LAYOUT).ok_or_else(|| Error::usage("dataset without a layout message"))?;
        let mut msg = match hdr.header.messages.get(i).map(|m| m.decode(sizes)).transpose()? {
            Some(Message::Layout(l)) => l,
            _ => return Err(Error::usage("internal error: layout message did not decode")),
        };
        let LayoutMessage { layout: Layout::Compact { data: stored }, .. } = &mut msg else {
            return Err(Error::usage("internal error: not a compact layout"));
        };
        let want = crate::sat_prod(dims).saturating_mul(esize as u64);
        if stored.len() as u64 != want {
            return Err(Error::format(header, format!("compact data of {} bytes for {} expected", stored.len(), want)));
        }
        if dims.is_empty() {
            if stored.len() != data.len() {
                return Err(Error::usage(format!("{} bytes for a scalar of {}", data.len(), stored.len())));
            }
            stored.copy_from_slice(data);
        } else {
            let zero = vec![0u64; dims.len()];
            copy_box(data, count, &zero, stored, dims, start, count, esize);
        }
        hdr.replace(i, &Message::Layout(msg), sizes)?;
        self.changed = true;
        Ok(())
    }
}

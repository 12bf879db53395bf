//! What h5ls -v takes from an object header that h5kit's object API does not expose: the
//! reference count (`Links:`) and the modification time (`Modified:`).
//! The header is read again through h5kit-object-header with a [`Context`] over the file.

use std::path::Path;

use h5kit_core::storage::{FileStorage, Storage};
use h5kit_core::{Context, Limits};
use std::collections::HashMap;

use h5kit_btree::v2::{BTreeV2, Record};
use h5kit_heap::FractalHeap;
use h5kit_object_header::{decode_message, msg_type, MaybeShared, Message, ObjectHeader};

/// The raw-header view of a file.
pub struct Headers {
    storage: Option<Box<dyn Storage>>,
    sizes: h5kit_core::Sizes,
    base: u64,
    limits: Limits,
}

/// `Links:` and `Modified:` of one object.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HeaderInfo {
    pub links: u32,
    /// Seconds since the epoch (0: none).
    pub mtime: u64,
}

impl Headers {
    pub fn open(path: &Path, file: &h5kit::File) -> Headers {
        let sb = file.superblock();
        let storage = FileStorage::open(path).ok().map(|s| Box::new(s) as Box<dyn Storage>);
        Headers { storage, sizes: sb.sizes, base: sb.base_address, limits: Limits::default() }
    }

    /// Whether the object tracks attribute creation order (version-2 header flag bit 2):
    /// h5py then lists attributes in creation order rather than by name.
    pub fn attribute_order_tracked(&self, address: u64) -> bool {
        let Some(storage) = self.storage.as_deref() else { return false };
        let ctx = Context::new(storage, self.sizes, &self.limits, self.base);
        ObjectHeader::read(ctx, address).is_ok_and(|h| h.version == 2 && h.flags & 0x04 != 0)
    }

    /// The creation index of each attribute (version-2 headers that track attribute creation
    /// order): from the message headers, or from the dense storage's creation-order index.
    pub fn attribute_creation_order(&self, address: u64) -> HashMap<String, u32> {
        let mut out = HashMap::new();
        let Some(storage) = self.storage.as_deref() else { return out };
        let ctx = Context::new(storage, self.sizes, &self.limits, self.base);
        let Ok(h) = ObjectHeader::read(ctx, address) else { return out };
        for raw in h.messages_of(msg_type::ATTRIBUTE) {
            if let (Some(order), Ok(Message::Attribute(MaybeShared::Inline(a)))) = (raw.creation_order, raw.decode(self.sizes)) {
                out.insert(a.name, u32::from(order));
            }
        }
        // Dense storage: the creation-order index (v2 B-tree record type 9) of the attribute
        // info message, each record naming a fractal heap object that holds the message.
        if let Ok(Some(Message::AttributeInfo(info))) = h.first(msg_type::ATTRIBUTE_INFO, self.sizes) {
            if let (Some(heap), Some(index)) = (info.fractal_heap_address, info.creation_order_index_address) {
                let _ = self.dense_order(ctx, heap, index, &mut out);
            }
        }
        out
    }

    fn dense_order(&self, ctx: Context, heap: u64, index: u64, out: &mut HashMap<String, u32>) -> h5kit_core::Result<()> {
        let heap = FractalHeap::open(ctx, heap)?;
        let btree = BTreeV2::open(ctx, index)?;
        for record in btree.records(ctx, None)? {
            // Shared (SOHM) attribute messages (flag bit 0) are not looked up here.
            if let Record::AttributeCreationOrder { heap_id, flags: 0, creation_order } = record {
                let body = heap.read_object(ctx, &heap_id)?;
                if let Ok(Message::Attribute(MaybeShared::Inline(a))) = decode_message(msg_type::ATTRIBUTE, 0, &body, 0, self.sizes) {
                    out.insert(a.name, creation_order);
                }
            }
        }
        Ok(())
    }

    pub fn info(&self, address: u64) -> HeaderInfo {
        let Some(storage) = self.storage.as_deref() else { return HeaderInfo { links: 1, mtime: 0 } };
        let ctx = Context::new(storage, self.sizes, &self.limits, self.base);
        let Ok(h) = ObjectHeader::read(ctx, address) else { return HeaderInfo { links: 1, mtime: 0 } };
        // h5ls 1.10.8 shows the times of version-2 headers only: a modification time
        // message (in version-1 headers) is not reported.
        let mtime = h.times.as_ref().map(|t| u64::from(t.modification)).unwrap_or(0);
        HeaderInfo { links: h.reference_count, mtime }
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` (h5ls uses the local time zone; the goldens are made with TZ=UTC).
pub fn time_text(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn times() {
        assert_eq!(super::time_text(0), "1970-01-01 00:00:00 UTC");
        // jhdf opaque_datasets_latest.hdf5: h5ls -v says 2021-03-03 19:58:26 UTC.
        assert_eq!(super::time_text(1_614_801_506), "2021-03-03 19:58:26 UTC");
    }
}

//! Dense storage of links and attributes (spec IV.A.2.c "The Link Info Message", IV.A.2.v
//! "The Attribute Info Message"): messages kept as objects of a fractal heap (III.G) and
//! indexed by name hash in a v2 B-tree (III.A.2, record types 5 and 8).

use h5kit_btree::v2::{BTreeV2, Record};
use h5kit_core::{Error, Result};
use h5kit_heap::FractalHeap;
use h5kit_object_header::{decode_message, Message};

use crate::file::FileInner;

/// Every message of type `type_id` in the dense storage whose heap and name index are at
/// `heap_address` and `index_address`, in index order.
pub(crate) fn dense_messages(file: &FileInner, heap_address: u64, index_address: u64, type_id: u16) -> Result<Vec<Message>> {
    let ctx = file.ctx();
    let heap = FractalHeap::open(ctx, heap_address)?;
    let btree = BTreeV2::open(ctx, index_address)?;
    let mut out = Vec::new();
    for record in btree.records(ctx, None)? {
        // Attribute records flag (bit 0) a message shared in the SOHM heap.
        let (heap_id, shared): (&[u8], bool) = match &record {
            Record::LinkName { heap_id, .. } | Record::LinkCreationOrder { heap_id, .. } => (&heap_id[..], false),
            Record::AttributeName { heap_id, flags, .. } | Record::AttributeCreationOrder { heap_id, flags, .. } => {
                (&heap_id[..], flags & 1 != 0)
            }
            _ => return Err(Error::format(index_address, "dense storage index holds a record of another kind")),
        };
        let body = if shared {
            let table = file.sohm.as_ref().ok_or_else(|| {
                Error::format(index_address, "shared message in dense storage, but the file has no shared message table")
            })?;
            let mut id = [0u8; 8];
            for (d, s) in id.iter_mut().zip(heap_id) {
                *d = *s;
            }
            table.message_body(ctx, type_id, &id)?
        } else {
            heap.read_object(ctx, heap_id)?
        };
        out.push(decode_message(type_id, 0, &body, heap_address, file.sizes())?);
    }
    Ok(out)
}

/// The link named `name` in dense link storage, found by one descent of the name index (type
/// 5 records ordered by the lookup3 hash of the name, then the name, as libhdf5 compares
/// them): O(depth) index nodes and the heap objects of equal hashes, not the whole index.
pub(crate) fn find_dense_link(file: &FileInner, heap_address: u64, index_address: u64, name: &str) -> Result<Option<Message>> {
    let ctx = file.ctx();
    let heap = FractalHeap::open(ctx, heap_address)?;
    let btree = BTreeV2::open(ctx, index_address)?;
    let hash = h5kit_core::lookup3(name.as_bytes(), 0);
    let mut found: Option<Message> = None;
    btree.search(ctx, None, &mut |r| {
        let Record::LinkName { hash: h, heap_id } = r else {
            return Err(Error::format(index_address, "link name index holds a record of another kind"));
        };
        if hash != *h {
            return Ok(hash.cmp(h));
        }
        let m = decode_message(LINK_MESSAGE, 0, &heap.read_object(ctx, heap_id)?, heap_address, file.sizes())?;
        let Message::Link(l) = &m else { return Err(Error::format(heap_address, "dense storage holds a non-link message")) };
        let order = name.as_bytes().cmp(l.name.as_bytes());
        if order == std::cmp::Ordering::Equal {
            found = Some(m);
        }
        Ok(order)
    })?;
    Ok(found)
}

const LINK_MESSAGE: u16 = 0x0006;

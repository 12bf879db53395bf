//! The shared object header message table (spec III.I "Disk Format: Level 1I - Shared Object
//! Header Message Table"): "SMTB", one index header per index, checksum. Each index tracks some
//! message types and names the fractal heap holding the shared messages.
//!
//! Quirk: the spec lists the "Message Type Flags" as bit 0 dataspace, 1 datatype, 2 fill
//! value, 3 filter pipeline, 4 attribute, but libhdf5 (`H5O_SHMESG_*_FLAG`) stores
//! `1 << message type id`: 0x0002 dataspace, 0x0008 datatype, 0x0020 fill value, 0x0800 filter
//! pipeline, 0x1000 attribute. Files follow libhdf5, so that is what is decoded. A message shared in the
//! heap is found from its 8-byte heap ID (the shared message encoding, version 3 type 1); the
//! index itself (a "SMLI" list or a v2 B-tree) is not needed to read it.

use h5kit_core::{verify_checksum, Context, Error, Reader, Result};
use h5kit_heap::FractalHeap;

use crate::message::msg_type;

/// One index header of the table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SharedMessageIndex {
    pub version: u8,
    /// 0: unsorted list ("SMLI"), 1: v2 B-tree.
    pub index_type: u8,
    /// Message types tracked: bit `n` set = message type `n` (libhdf5 encoding, see the module
    /// docs).
    pub message_type_flags: u16,
    pub min_message_size: u32,
    pub list_cutoff: u16,
    pub btree_cutoff: u16,
    pub message_count: u16,
    pub index_address: Option<u64>,
    pub heap_address: Option<u64>,
}

/// Shared Object Header Message Table ("SMTB" + its index list "SMLI", spec III.I).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SharedMessageTable {
    pub address: u64,
    pub indexes: Vec<SharedMessageIndex>,
}

/// The index message type flag of a shareable message type (`1 << type id`, as libhdf5
/// writes it).
pub fn type_flag(type_id: u16) -> Option<u16> {
    match type_id {
        msg_type::DATASPACE | msg_type::DATATYPE | msg_type::FILL_VALUE | msg_type::FILTER_PIPELINE | msg_type::ATTRIBUTE => {
            Some(1 << type_id)
        }
        _ => None,
    }
}

impl SharedMessageTable {
    /// Reads the table at `table_address` with `index_count` indexes (both from the shared
    /// message table message in the superblock extension).
    pub fn read(ctx: Context, table_address: u64, index_count: u8) -> Result<SharedMessageTable> {
        let o = u64::from(ctx.sizes.offset);
        let entry = 16 + 2 * o;
        let len = 4 + entry * u64::from(index_count) + 4;
        let bytes = ctx.read(table_address, len, "shared object header message table")?;
        let mut r = Reader::new(&bytes, table_address, ctx.sizes);
        r.signature(b"SMTB", "shared object header message table")?;
        let mut indexes = Vec::with_capacity(usize::from(index_count));
        for _ in 0..index_count {
            let at = r.address();
            let version = r.u8()?;
            if version != 0 {
                return Err(Error::format(at, format!("unknown shared message index version {}", version)));
            }
            let index_type = r.u8()?;
            let message_type_flags = r.u16()?;
            let min_message_size = r.u32()?;
            let list_cutoff = r.u16()?;
            let btree_cutoff = r.u16()?;
            let message_count = r.u16()?;
            let index_address = r.address_field()?;
            let heap_address = r.address_field()?;
            indexes.push(SharedMessageIndex {
                version,
                index_type,
                message_type_flags,
                min_message_size,
                list_cutoff,
                btree_cutoff,
                message_count,
                index_address,
                heap_address,
            });
        }
        let end = r.position();
        let stored = r.u32()?;
        verify_checksum(bytes.get(..end).unwrap_or(&[]), stored, table_address, "shared object header message table")?;
        Ok(SharedMessageTable { address: table_address, indexes })
    }

    /// The index tracking messages of `type_id`.
    pub fn index_for(&self, type_id: u16) -> Option<&SharedMessageIndex> {
        let flag = type_flag(type_id)?;
        self.indexes.iter().find(|i| i.message_type_flags & flag != 0)
    }

    /// The raw message body of a message of type `type_id` shared in the SOHM heap under
    /// `heap_id` (finds the index whose message type flags include the type, opens its
    /// fractal heap, reads the object).
    pub fn message_body(&self, ctx: Context, type_id: u16, heap_id: &[u8; 8]) -> Result<Vec<u8>> {
        let index = self.index_for(type_id).ok_or_else(|| {
            Error::format(self.address, format!("no shared message index tracks message type {:#06x}", type_id))
        })?;
        let heap_address = index.heap_address.ok_or_else(|| {
            Error::format(self.address, format!("shared message index for type {:#06x} has no fractal heap", type_id))
        })?;
        read_heap_object(ctx, heap_address, heap_id)
    }
}

fn read_heap_object(ctx: Context, heap_address: u64, heap_id: &[u8; 8]) -> Result<Vec<u8>> {
    let heap = FractalHeap::open(ctx, heap_address).map_err(|e| e.context("shared message heap"))?;
    heap.read_object(ctx, heap_id).map_err(|e| e.context("shared message heap"))
}

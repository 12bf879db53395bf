//! Symbol table entry (spec III.C "Disk Format: Level 1C - Symbol Table Entry"), used by the
//! version 0/1 superblock (root group entry) and by group symbol table nodes (III.B).

use h5kit_core::{Reader, Result};

/// Scratch-pad space of a symbol table entry ("Format of the Scratch-pad Space").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScratchPad {
    /// Cache type 0: nothing cached.
    None,
    /// Cache type 1: the object is a group; addresses of its v1 B-tree and local heap.
    Group { btree_address: u64, local_heap_address: u64 },
    /// Cache type 2: the object is a symbolic (soft) link; offset of its value in the
    /// local heap.
    SymbolicLink { link_value_offset: u32 },
}

/// One symbol table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the link name in the group's local heap.
    pub link_name_offset: u64,
    /// Address of the object header.
    pub object_header_address: u64,
    pub cache_type: u32,
    pub scratch: ScratchPad,
}

impl SymbolTableEntry {
    /// Encoded size: offset + offset + 4 + 4 + 16.
    pub fn encoded_size(offset_size: u8) -> usize {
        2 * offset_size as usize + 24
    }

    /// Decodes one entry at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<SymbolTableEntry> {
        let link_name_offset = r.uint(r.sizes().offset as usize)?;
        let object_header_address = r.offset()?;
        let at = r.address();
        let cache_type = r.u32()?;
        let _reserved = r.u32()?;
        let mut pad = r.split(16)?;
        let scratch = match cache_type {
            0 => ScratchPad::None,
            1 => ScratchPad::Group { btree_address: pad.offset()?, local_heap_address: pad.offset()? },
            2 => ScratchPad::SymbolicLink { link_value_offset: pad.u32()? },
            other => return Err(h5kit_core::Error::format(at, format!("symbol table entry cache type {} is not 0, 1 or 2", other))),
        };
        Ok(SymbolTableEntry { link_name_offset, object_header_address, cache_type, scratch })
    }
}

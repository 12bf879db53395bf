//! Symbol table entry (spec III.C "Disk Format: Level 1C - Symbol Table Entry"), used by the
//! version 0/1 superblock (root group entry) and by group symbol table nodes (III.B).
//!
//! Decoded and encoded side by side: the 16-byte scratch-pad is written with the cached values
//! of its cache type and zeros after them, as libhdf5 does.

use h5kit_core::{Error, Reader, Result, Writer};

/// Bytes of the scratch-pad space, whatever the cache type.
const SCRATCH_PAD_SIZE: usize = 16;

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

impl ScratchPad {
    /// The "Cache Type" that goes with this scratch-pad content.
    pub fn cache_type(&self) -> u32 {
        match self {
            ScratchPad::None => 0,
            ScratchPad::Group { .. } => 1,
            ScratchPad::SymbolicLink { .. } => 2,
        }
    }
}

/// One symbol table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolTableEntry {
    /// Offset of the link name in the group's local heap.
    pub link_name_offset: u64,
    /// Address of the object header.
    pub object_header_address: u64,
    /// "Cache Type": must agree with `scratch` ([`ScratchPad::cache_type`]).
    pub cache_type: u32,
    pub scratch: ScratchPad,
}

impl SymbolTableEntry {
    /// An entry whose cache type follows its scratch-pad.
    pub fn new(link_name_offset: u64, object_header_address: u64, scratch: ScratchPad) -> SymbolTableEntry {
        SymbolTableEntry { link_name_offset, object_header_address, cache_type: scratch.cache_type(), scratch }
    }

    /// Encoded size: offset + offset + 4 + 4 + 16.
    pub fn encoded_size(offset_size: u8) -> usize {
        2 * offset_size as usize + 8 + SCRATCH_PAD_SIZE
    }

    /// Decodes one entry at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<SymbolTableEntry> {
        let link_name_offset = r.uint(r.sizes().offset as usize)?;
        let object_header_address = r.offset()?;
        let at = r.address();
        let cache_type = r.u32()?;
        let _reserved = r.u32()?;
        let mut pad = r.split(SCRATCH_PAD_SIZE)?;
        let scratch = match cache_type {
            0 => ScratchPad::None,
            1 => ScratchPad::Group { btree_address: pad.offset()?, local_heap_address: pad.offset()? },
            2 => ScratchPad::SymbolicLink { link_value_offset: pad.u32()? },
            other => return Err(Error::format(at, format!("symbol table entry cache type {} is not 0, 1 or 2", other))),
        };
        Ok(SymbolTableEntry { link_name_offset, object_header_address, cache_type, scratch })
    }

    /// Encodes the entry with the writer's offset width.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        if self.cache_type != self.scratch.cache_type() {
            return Err(Error::usage(format!(
                "symbol table entry cache type {} does not match its scratch-pad (type {})",
                self.cache_type,
                self.scratch.cache_type()
            )));
        }
        let n = w.sizes().offset as usize;
        w.uint(self.link_name_offset, n)?;
        w.offset(self.object_header_address)?;
        w.u32(self.cache_type);
        w.u32(0);
        let start = w.position();
        match self.scratch {
            ScratchPad::None => {}
            ScratchPad::Group { btree_address, local_heap_address } => {
                w.offset(btree_address)?;
                w.offset(local_heap_address)?;
            }
            ScratchPad::SymbolicLink { link_value_offset } => w.u32(link_value_offset),
        }
        // At most 2 * 8 bytes were written: the rest of the 16 is zero.
        w.zeros((start + SCRATCH_PAD_SIZE).saturating_sub(w.position()));
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use h5kit_core::Sizes;

    #[test]
    fn round_trip_and_mismatched_cache_type() {
        for sizes in [Sizes::new(4, 4).unwrap(), Sizes::default()] {
            for scratch in [
                ScratchPad::None,
                ScratchPad::Group { btree_address: 136, local_heap_address: 680 },
                ScratchPad::SymbolicLink { link_value_offset: 24 },
            ] {
                let e = SymbolTableEntry::new(8, 800, scratch);
                let mut w = Writer::new(0, sizes);
                e.encode(&mut w).unwrap();
                assert_eq!(w.position(), SymbolTableEntry::encoded_size(sizes.offset));
                let bytes = w.into_inner();
                let mut r = Reader::new(&bytes, 0, sizes);
                assert_eq!(SymbolTableEntry::decode(&mut r).unwrap(), e);
            }
        }
        let bad = SymbolTableEntry { cache_type: 1, ..SymbolTableEntry::new(0, 0, ScratchPad::None) };
        assert!(bad.encode(&mut Writer::new(0, Sizes::default())).is_err());
        let wide = SymbolTableEntry::new(1 << 40, 0, ScratchPad::None);
        assert!(wide.encode(&mut Writer::new(0, Sizes::new(4, 4).unwrap())).is_err());
    }
}

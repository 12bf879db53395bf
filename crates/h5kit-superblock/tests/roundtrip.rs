//! Property tests: `decode(encode(x)) == x` for superblocks (versions 0-3), symbol table
//! entries and driver info blocks, with offsets/lengths of 4 and 8 bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Reader, Sizes, Writer, UNDEFINED_ADDRESS};
use h5kit_superblock::{DriverInfo, ScratchPad, Superblock, SymbolTableEntry};
use proptest::prelude::*;

fn sizes() -> impl Strategy<Value = Sizes> {
    prop_oneof![Just(Sizes::new(4, 4).unwrap()), Just(Sizes::new(8, 8).unwrap()), Just(Sizes::new(4, 8).unwrap()), Just(Sizes::new(8, 4).unwrap())]
}

/// An address that fits `o` bytes (all ones is the undefined address).
fn address(o: u8) -> impl Strategy<Value = u64> {
    let max = if o >= 8 { u64::MAX - 1 } else { (1u64 << (8 * o)) - 2 };
    prop_oneof![0..=max, Just(UNDEFINED_ADDRESS)]
}
fn defined(o: u8) -> impl Strategy<Value = u64> {
    0..=if o >= 8 { u64::MAX - 1 } else { (1u64 << (8 * o)) - 2 }
}

fn scratch(o: u8) -> impl Strategy<Value = ScratchPad> {
    prop_oneof![
        Just(ScratchPad::None),
        (address(o), address(o)).prop_map(|(b, h)| ScratchPad::Group { btree_address: b, local_heap_address: h }),
        any::<u32>().prop_map(|v| ScratchPad::SymbolicLink { link_value_offset: v }),
    ]
}

fn entry(o: u8) -> impl Strategy<Value = SymbolTableEntry> {
    (defined(o), address(o), scratch(o)).prop_map(|(n, a, s)| SymbolTableEntry::new(n, a, s))
}

fn superblock() -> impl Strategy<Value = Superblock> {
    (sizes(), 0..4u8, prop_oneof![Just(0u64), Just(512), Just(2048)]).prop_flat_map(|(sizes, version, ub)| {
        let o = sizes.offset;
        (
            Just(Superblock::new(version, sizes, ub).unwrap()),
            (defined(o), defined(o), address(o), address(o), address(o)),
            (1..=u16::MAX, 1..=u16::MAX, 1..=u16::MAX, any::<u32>(), any::<u8>()),
            (entry(o), any::<[u8; 3]>()),
        )
            .prop_map(move |(base, (b, eof, root, ext, free), (lk, ik, ck, flags, f8), (e, vers))| {
                let mut sb = Superblock { base_address: b, end_of_file_address: eof, ..base };
                if version < 2 {
                    sb.group_leaf_k = lk;
                    sb.group_internal_k = ik;
                    sb.chunk_internal_k = (version == 1).then_some(ck);
                    sb.file_consistency_flags = flags;
                    sb.free_space_address = (free != UNDEFINED_ADDRESS).then_some(free);
                    sb.driver_info_address = (ext != UNDEFINED_ADDRESS).then_some(ext);
                    sb.version_of_free_space = Some(vers[0]);
                    sb.version_of_root_group_entry = Some(vers[1]);
                    sb.version_of_shared_header = Some(vers[2]);
                    sb.with_root_group_entry(e).unwrap()
                } else {
                    sb.file_consistency_flags = u32::from(f8);
                    sb.extension_address = (ext != UNDEFINED_ADDRESS).then_some(ext);
                    sb.with_root_object_header(root)
                }
            })
    })
}

proptest! {
    #[test]
    fn superblock_round_trips(sb in superblock()) {
        let bytes = sb.to_bytes().unwrap();
        prop_assert_eq!(bytes.len() as u64, sb.encoded_size);
        prop_assert_eq!(Superblock::decode(&bytes, sb.superblock_address).unwrap(), sb);
    }

    #[test]
    fn superblock_update_is_one_write(sb in superblock(), eof in 0u64..1 << 31, root in 0u64..1 << 31) {
        let new = sb.with_end_of_file(eof).with_root_object_header(root);
        let mut bytes = vec![0u8; sb.superblock_address as usize];
        bytes.extend(sb.to_bytes().unwrap());
        if let Some((pos, patch)) = new.update(&sb).unwrap() {
            bytes[pos as usize..pos as usize + patch.len()].copy_from_slice(&patch);
        }
        prop_assert_eq!(Superblock::read(&h5kit_core::MemStorage::new(bytes)).unwrap(), new);
    }

    #[test]
    fn symbol_table_entry_round_trips((sizes, e) in sizes().prop_flat_map(|s| (Just(s), entry(s.offset)))) {
        let mut w = Writer::new(0, sizes);
        e.encode(&mut w).unwrap();
        prop_assert_eq!(w.position(), SymbolTableEntry::encoded_size(sizes.offset));
        let bytes = w.into_inner();
        prop_assert_eq!(SymbolTableEntry::decode(&mut Reader::new(&bytes, 0, sizes)).unwrap(), e);
    }

    #[test]
    fn driver_info_round_trips(id in "[A-Za-z0-9 ]{8}", data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let d = DriverInfo { driver_id: id, data };
        let mut w = Writer::new(0, Sizes::default());
        d.encode(&mut w).unwrap();
        prop_assert_eq!(w.position() as u64, d.encoded_size());
        let bytes = w.into_inner();
        prop_assert_eq!(DriverInfo::decode(&mut Reader::new(&bytes, 0, Sizes::default())).unwrap(), d);
    }
}

//! Type-1 v1 B-trees (chunk indexes) of jhdf/test_chunked_datasets_earliest.hdf5, checked
//! against h5debug and h5py `get_chunk_info`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::v1::{self, ChunkRecord};

#[test]
fn float32_leaf_tree() {
    let f = common::Open::new("jhdf/test_chunked_datasets_earliest.hdf5");
    let ctx = f.ctx();
    // /float/float32: rank 3, chunks {2,1,3}, index at 7888 (h5debug: one leaf, 20 children).
    let chunks = v1::read_chunk_records(ctx, 7888, 3).unwrap();
    assert_eq!(chunks.len(), 20);
    // h5py get_chunk_info: (0,0,0)@5808, (0,1,0)@5832, (0,2,0)@5856, ..., (6,4,0)@6264; 24 bytes.
    assert_eq!(chunks[0], ChunkRecord { offsets: vec![0, 0, 0], size: 24, filter_mask: 0, address: 5808 });
    assert_eq!(chunks[1], ChunkRecord { offsets: vec![0, 1, 0], size: 24, filter_mask: 0, address: 5832 });
    assert_eq!(chunks[2].address, 5856);
    assert_eq!(chunks[19], ChunkRecord { offsets: vec![6, 4, 0], size: 24, filter_mask: 0, address: 6264 });
    assert_eq!(chunks.iter().map(|c| c.address).sum::<u64>(), 120720);
    let found = v1::find_chunk(ctx, 7888, 3, &[6, 4, 0]).unwrap();
    assert_eq!(found.map(|c| c.address), Some(6264));
    assert_eq!(v1::find_chunk(ctx, 7888, 3, &[0, 1, 0]).unwrap().map(|c| c.address), Some(5832));
    assert_eq!(v1::find_chunk(ctx, 7888, 3, &[1, 1, 0]).unwrap(), None);
    assert_eq!(v1::find_chunk(ctx, 7888, 3, &[8, 0, 0]).unwrap(), None);
}

#[test]
fn large_int8_two_level_tree() {
    let f = common::Open::new("jhdf/test_chunked_datasets_earliest.hdf5");
    let ctx = f.ctx();
    // /int/large_int8: rank 1, 100 chunks of 1 byte, root at 28008 is level 1 with 2 children.
    let root = v1::read_chunk_node(ctx, 28008, 1).unwrap();
    assert_eq!(root.level, 1);
    assert_eq!(root.children.len(), 2);
    assert_eq!(root.children[0], 32200);
    let chunks = v1::read_chunk_records(ctx, 28008, 1).unwrap();
    assert_eq!(chunks.len(), 100);
    for (i, c) in chunks.iter().enumerate() {
        assert_eq!(c.offsets, vec![i as u64]);
        assert_eq!(c.size, 1);
    }
    // h5py: (0,)@7614, (1,)@7615, (2,)@15956, (99,)@16053; sum of addresses 1583670.
    assert_eq!(chunks[0].address, 7614);
    assert_eq!(chunks[1].address, 7615);
    assert_eq!(chunks[2].address, 15956);
    assert_eq!(chunks[99].address, 16053);
    assert_eq!(chunks.iter().map(|c| c.address).sum::<u64>(), 1583670);
    for i in [0u64, 2, 50, 63, 64, 99] {
        let c = v1::find_chunk(ctx, 28008, 1, &[i]).unwrap().unwrap();
        assert_eq!(c, chunks[i as usize]);
    }
    assert_eq!(v1::find_chunk(ctx, 28008, 1, &[100]).unwrap(), None);
}

#[test]
fn wrong_node_type_and_bad_addresses() {
    let f = common::Open::new("jhdf/test_chunked_datasets_earliest.hdf5");
    let ctx = f.ctx();
    let Some(entry) = f.sb.root_group_entry else { panic!("v0 superblock has a root entry") };
    let h5kit_superblock::ScratchPad::Group { btree_address, .. } = entry.scratch else { panic!() };
    // The root group's tree is of node type 0: not a chunk tree.
    let e = v1::read_chunk_records(ctx, btree_address, 3).unwrap_err();
    assert_eq!(e.offset, Some(btree_address));
    assert!(e.message.contains("node type is 0, expected 1"), "{}", e.message);
    assert!(v1::read_group_entries(ctx, btree_address).is_ok());
    // A chunk tree is not a group tree.
    assert!(v1::read_group_entries(ctx, 7888).is_err());
    // Not a node at all / past the end of the file.
    assert!(v1::read_chunk_records(ctx, 7889, 3).is_err());
    assert!(v1::read_chunk_records(ctx, u64::MAX - 3, 3).is_err());
    assert!(v1::find_chunk(ctx, 7888, 3, &[0, 0]).is_err());
}

//! Old-style groups: v1 group B-tree + symbol table nodes + local heap names, checked against
//! h5debug / h5ls output for jhdf/test_large_group_earliest.hdf5.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::v1;
use h5kit_heap::LocalHeap;
use h5kit_superblock::ScratchPad;

#[test]
fn root_group_of_large_group_earliest() {
    let f = common::Open::new("jhdf/test_large_group_earliest.hdf5");
    let ctx = f.ctx();
    // h5debug: root entry caches B-tree 136 and heap 680; heap data at 712, 88 bytes.
    let heap = LocalHeap::read(ctx, 680).unwrap();
    assert_eq!(heap.data_address, 712);
    assert_eq!(heap.data().len(), 88);
    assert_eq!(heap.free_list_offset, Some(24));
    assert_eq!(heap.string_at(8).unwrap(), b"large_group");
    assert_eq!(heap.string_at(0).unwrap(), b"");
    assert!(heap.string_at(88).is_err());
    let entries = v1::read_group_entries(ctx, 136).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].link_name_offset, 8);
    assert_eq!(entries[0].object_header_address, 800);
    assert_eq!(entries[0].scratch, ScratchPad::Group { btree_address: 840, local_heap_address: 1384 });
}

#[test]
fn large_group_names_match_h5ls() {
    let f = common::Open::new("jhdf/test_large_group_earliest.hdf5");
    let ctx = f.ctx();
    let heap = LocalHeap::read(ctx, 1384).unwrap();
    let entries = v1::read_group_entries(ctx, 840).unwrap();
    let names: Vec<String> =
        entries.iter().map(|e| String::from_utf8(heap.string_at(e.link_name_offset).unwrap().to_vec()).unwrap()).collect();
    // h5ls lists data0..data999 in byte order, which is the B-tree's name order.
    let mut expected: Vec<String> = (0..1000).map(|i| format!("data{}", i)).collect();
    expected.sort();
    assert_eq!(names, expected);
    // h5debug 4152 1384: first symbol table node holds data0 @1832, data1 @4480, data10 @7432.
    assert_eq!(entries[0].object_header_address, 1832);
    assert_eq!(entries[1].object_header_address, 4480);
    assert_eq!(entries[2].object_header_address, 7432);
    assert_eq!(entries[2].link_name_offset, 88);
}

#[test]
fn group_tree_node_fields() {
    let f = common::Open::new("jhdf/test_large_group_earliest.hdf5");
    let ctx = f.ctx();
    // h5debug 840 1384: level 1, 13 children, child 0 at 57600 with keys 0 and 96.
    let node = v1::read_group_node(ctx, 840).unwrap();
    assert_eq!(node.level, 1);
    assert_eq!(node.children.len(), 13);
    assert_eq!(node.children[0], 57600);
    assert_eq!(node.children[1], 64896);
    assert_eq!(&node.keys[..3], &[0, 96, 1392]);
    let leaf = v1::read_group_node(ctx, 57600).unwrap();
    assert_eq!(leaf.level, 0);
    assert_eq!(leaf.right_sibling, Some(64896));
    assert_eq!(leaf.left_sibling, None);
    assert_eq!(leaf.children[0], 4152);
    // Not a B-tree node: a clean error with the address.
    let e = v1::read_group_entries(ctx, 680).unwrap_err();
    assert_eq!(e.offset, Some(680));
}

#[test]
fn replayed_inserts_give_the_files_data_segment() {
    // libhdf5 made the group's heap with 88 bytes, inserted "" and then data0..data999 in
    // offset order: LocalHeap::insert, replayed, gives the same 11264 bytes (names, padding,
    // free list) and grows at the same points (88 doubled seven times).
    let f = common::Open::new("jhdf/test_large_group_earliest.hdf5");
    let ctx = f.ctx();
    let heap = LocalHeap::read(ctx, 1384).unwrap();
    let mut entries = v1::read_group_entries(ctx, 840).unwrap();
    entries.sort_by_key(|e| e.link_name_offset);
    let mut replay = LocalHeap::new(1384, heap.data_address, 88, ctx.sizes).unwrap();
    assert_eq!(replay.insert(b"", ctx.sizes).unwrap().offset, 0);
    let mut growths = Vec::new();
    for e in &entries {
        let name = heap.string_at(e.link_name_offset).unwrap();
        let ins = replay.insert(name, ctx.sizes).unwrap();
        assert_eq!(ins.offset, e.link_name_offset);
        growths.extend(ins.grown_to);
    }
    assert_eq!(growths, [176, 352, 704, 1408, 2816, 5632, 11264]);
    assert_eq!(replay.data(), heap.data());
    assert_eq!(replay.free_list_offset, heap.free_list_offset);
    assert_eq!(replay.header(), heap.header());
}

//! Dense link and attribute storage: fractal heap (managed, huge objects) + v2 B-trees of
//! types 5 and 8, checked against h5debug / h5ls / h5dump output.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::v2::{BTreeV2, Record};
use h5kit_heap::{FractalHeap, HeapId};

/// Name of an encoded Link message (spec IV.A.2.g), enough for tests.
fn link_name(msg: &[u8]) -> String {
    assert_eq!(msg[0], 1, "link message version");
    let flags = msg[1];
    let mut p = 2;
    if flags & 0x08 != 0 {
        p += 1;
    }
    if flags & 0x04 != 0 {
        p += 8;
    }
    if flags & 0x10 != 0 {
        p += 1;
    }
    let w = 1usize << (flags & 3);
    let mut len = 0usize;
    for i in 0..w {
        len |= (msg[p + i] as usize) << (8 * i);
    }
    p += w;
    String::from_utf8(msg[p..p + len].to_vec()).unwrap()
}

/// Name of an encoded Attribute message version 3 (spec IV.A.2.m), enough for tests.
fn attribute_name(msg: &[u8]) -> String {
    assert_eq!(msg[0], 3, "attribute message version");
    let name_size = u16::from_le_bytes([msg[2], msg[3]]) as usize;
    String::from_utf8(msg[9..9 + name_size - 1].to_vec()).unwrap()
}

#[test]
fn dense_group_of_1000_links() {
    let f = common::Open::new("jhdf/test_large_group_latest.hdf5");
    let ctx = f.ctx();
    // h5debug 1870: indirect root at 323790 with 8 rows, width 4, start 512, max direct 65536,
    // 32-bit heap, max managed object 4096, 1000 managed objects.
    let heap = FractalHeap::open(ctx, 1870).unwrap();
    assert_eq!(heap.root_block_address, Some(323790));
    assert_eq!(heap.current_root_rows, 8);
    assert_eq!(heap.table_width, 4);
    assert_eq!(heap.starting_block_size, 512);
    assert_eq!(heap.max_direct_block_size, 65536);
    assert_eq!(heap.max_heap_size, 32);
    assert_eq!(heap.max_managed_object_size, 4096);
    assert_eq!(heap.managed_objects, 1000);
    assert_eq!(heap.free_space_manager_address, Some(5270));
    assert_eq!(heap.max_direct_rows, 9);
    assert_eq!(heap.heap_id_length, 7);
    // h5debug 5232: type 5, node 512, record 11, depth 2, 1000 records, root 299032 with 1.
    let bt = BTreeV2::open(ctx, 5232).unwrap();
    assert_eq!(bt.record_type, 5);
    assert_eq!(bt.node_size, 512);
    assert_eq!(bt.record_size, 11);
    assert_eq!(bt.depth, 2);
    assert_eq!(bt.total_records, 1000);
    assert_eq!(bt.root_address, Some(299032));
    assert_eq!(bt.root_records, 1);
    let recs = bt.records(ctx, None).unwrap();
    assert_eq!(recs.len(), 1000);
    let mut names = Vec::new();
    let mut last_hash = 0;
    for r in &recs {
        let Record::LinkName { hash, heap_id } = r else { panic!("not a link name record: {:?}", r) };
        assert!(*hash >= last_hash, "records are in hash order");
        last_hash = *hash;
        let obj = heap.read_object(ctx, heap_id).unwrap();
        let name = link_name(&obj);
        assert_eq!(*hash, h5kit_core::lookup3(name.as_bytes(), 0));
        names.push(name);
    }
    names.sort();
    let mut expected: Vec<String> = (0..1000).map(|i| format!("data{}", i)).collect();
    expected.sort();
    assert_eq!(names, expected, "same names as h5ls");
    // Every direct block of the heap: rows 0..7 of width 4 as far as allocated (20480 bytes
    // allocated: 4*512 + 4*512 + 4*1024 + 4*2048 + 1*4096 -> 17 blocks).
    let blocks = heap.direct_blocks(ctx).unwrap();
    assert_eq!(blocks.iter().map(|b| b.2).sum::<u64>(), 20480);
}

#[test]
fn medium_dense_group() {
    let f = common::Open::new("jhdf/test_medium_group_latest.hdf5");
    let ctx = f.ctx();
    let heap = FractalHeap::open(ctx, 1870).unwrap();
    let bt = BTreeV2::open(ctx, 5232).unwrap();
    let mut names: Vec<String> = bt
        .records(ctx, None)
        .unwrap()
        .iter()
        .map(|r| match r {
            Record::LinkName { heap_id, .. } => link_name(&heap.read_object(ctx, heap_id).unwrap()),
            other => panic!("unexpected {:?}", other),
        })
        .collect();
    names.sort();
    let mut expected: Vec<String> = (0..20).map(|i| format!("data{}", i)).collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn huge_attribute_through_type1_btree() {
    let f = common::Open::new("jhdf/test_large_attribute.hdf5");
    let ctx = f.ctx();
    // h5debug 479: direct (empty) heap, 1 huge object of 65665 bytes, huge B-tree at 663.
    let heap = FractalHeap::open(ctx, 479).unwrap();
    assert_eq!(heap.huge_objects, 1);
    assert_eq!(heap.huge_objects_size, 65665);
    assert_eq!(heap.huge_object_btree_address, Some(663));
    assert_eq!(heap.root_block_address, None);
    let huge = BTreeV2::open(ctx, 663).unwrap();
    assert_eq!(huge.record_type, 1);
    // h5debug 701 663 1: record {67735, 65665, 2}.
    assert_eq!(
        huge.records(ctx, None).unwrap(),
        vec![Record::HugeObject { address: 67735, length: 65665, id: 2 }]
    );
    let bt = BTreeV2::open(ctx, 625).unwrap();
    assert_eq!(bt.record_type, 8);
    let recs = bt.records(ctx, None).unwrap();
    assert_eq!(recs.len(), 1);
    let Record::AttributeName { heap_id, hash, .. } = &recs[0] else { panic!("{:?}", recs[0]) };
    assert!(matches!(heap.parse_id(heap_id).unwrap(), HeapId::HugeIndirect { id: 2 }));
    let obj = heap.read_object(ctx, heap_id).unwrap();
    assert_eq!(obj.len(), 65665);
    assert_eq!(attribute_name(&obj), "large_attribute");
    assert_eq!(*hash, h5kit_core::lookup3(b"large_attribute", 0));
    // h5dump: the values are 0.0, 1.0, ... 8199.0 (f64 LE) at the end of the message.
    let data = &obj[obj.len() - 8200 * 8..];
    for i in [0usize, 1, 19, 8199] {
        let v = f64::from_le_bytes(data[i * 8..i * 8 + 8].try_into().unwrap());
        assert_eq!(v, i as f64);
    }
}

#[test]
fn dense_attributes_type8() {
    let f = common::Open::new("jhdf/test_attribute_latest.hdf5");
    let ctx = f.ctx();
    for (heap_addr, bt_addr) in [(812u64, 958u64), (8446, 8592)] {
        let heap = FractalHeap::open(ctx, heap_addr).unwrap();
        let bt = BTreeV2::open(ctx, bt_addr).unwrap();
        assert_eq!(bt.record_type, 8);
        let mut names: Vec<String> = bt
            .records(ctx, None)
            .unwrap()
            .iter()
            .map(|r| match r {
                Record::AttributeName { heap_id, hash, .. } => {
                    let n = attribute_name(&heap.read_object(ctx, heap_id).unwrap());
                    assert_eq!(*hash, h5kit_core::lookup3(n.as_bytes(), 0));
                    n
                }
                other => panic!("unexpected {:?}", other),
            })
            .collect();
        names.sort();
        assert_eq!(names.len() as u64, bt.total_records);
        assert!(!names.is_empty());
        println!("{:?}", names);
    }
}

fn fixture(name: &str) -> String {
    format!("{}/tests/data/{}", env!("CARGO_MANIFEST_DIR"), name)
}

/// Link names of a dense group through its name index, as h5ls would list them (sorted).
fn dense_names(ctx: h5kit_core::Context, heap: u64, btree: u64) -> Vec<String> {
    let heap = FractalHeap::open(ctx, heap).unwrap();
    let bt = BTreeV2::open(ctx, btree).unwrap();
    let mut names: Vec<String> = bt
        .records(ctx, None)
        .unwrap()
        .iter()
        .map(|r| match r {
            Record::LinkName { heap_id, hash } => {
                let n = link_name(&heap.read_object(ctx, heap_id).unwrap());
                assert_eq!(*hash, h5kit_core::lookup3(n.as_bytes(), 0));
                n
            }
            other => panic!("unexpected {:?}", other),
        })
        .collect();
    names.sort();
    names
}

#[test]
fn deflate_filtered_heaps_and_huge_names() {
    // tests/data/filtered_heaps.hdf5 (made by tests/data/mk_filtered.py with libhdf5 2.0):
    // three dense groups; h5debug gives their link info addresses.
    let storage = h5kit_core::FileStorage::open(fixture("filtered_heaps.hdf5")).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let huge = "H".repeat(5000);
    let links = |n: usize| (0..n).map(|i| format!("link_{:03}", i)).collect::<Vec<_>>();

    // filtered_indirect: deflate heap 274 (indirect root 13153, 1 row), 60 links + a name of
    // 5000 bytes stored as a filtered huge object (v2 B-tree 2100 of type 2).
    let h = FractalHeap::open(ctx, 274).unwrap();
    assert_eq!(h.filters.len(), 1);
    assert_eq!(h.filters[0].id, 1);
    assert_eq!(h.filters[0].client_data, vec![6]);
    assert_eq!(h.root_block_address, Some(13153));
    assert_eq!(h.current_root_rows, 1);
    assert_eq!(BTreeV2::open(ctx, 2100).unwrap().record_type, 2);
    let mut expected = links(60);
    expected.insert(0, huge.clone());
    assert_eq!(dense_names(ctx, 274, 444), expected);

    // filtered_direct: deflate heap 4793 whose root is a filtered direct block (12610).
    let h = FractalHeap::open(ctx, 4793).unwrap();
    assert_eq!(h.current_root_rows, 0);
    assert!(h.filtered_root_direct_block_size.is_some());
    assert_eq!(dense_names(ctx, 4793, 4963), links(3));

    // plain_huge: unfiltered heap 5654; the long name is a huge object (v2 B-tree 6432, type 1).
    assert_eq!(BTreeV2::open(ctx, 6432).unwrap().record_type, 1);
    let mut expected = links(3);
    expected.insert(0, huge);
    assert_eq!(dense_names(ctx, 5654, 5800), expected);
}

#[test]
fn name_lookup_by_hash_descent() {
    use std::cmp::Ordering;
    let f = common::Open::new("jhdf/test_large_group_latest.hdf5");
    let ctx = f.ctx();
    let heap = FractalHeap::open(ctx, 1870).unwrap();
    let bt = BTreeV2::open(ctx, 5232).unwrap();
    let lookup = |name: &str| {
        let h = h5kit_core::lookup3(name.as_bytes(), 0);
        bt.search(ctx, None, &mut |r| {
            let Record::LinkName { hash, heap_id } = r else { return Ok(Ordering::Less) };
            Ok(match h.cmp(hash) {
                Ordering::Equal => name.cmp(link_name(&heap.read_object(ctx, heap_id)?).as_str()),
                o => o,
            })
        })
        .unwrap()
    };
    for name in ["data0", "data537", "data999", "data10"] {
        let Some(Record::LinkName { heap_id, .. }) = lookup(name) else { panic!("{} not found", name) };
        assert_eq!(link_name(&heap.read_object(ctx, &heap_id).unwrap()), name);
    }
    assert_eq!(lookup("data1000"), None);
    assert_eq!(lookup(""), None);
}

#[test]
fn shared_message_index_type7_and_tiny_objects() {
    // tests/data/sohm.hdf5 (mk_sohm.py): one SOHM index for all message types, B-tree from the
    // start. h5debug 550: type 7, record size 17, 5 records in the root leaf 734, each with
    // reference count 4 (4 datasets share them); heap 588 holds 3 managed objects, the other
    // two are tiny objects inside their 8-byte heap IDs (first byte 0x23: tiny, 4 bytes).
    let storage = h5kit_core::FileStorage::open(fixture("sohm.hdf5")).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let bt = BTreeV2::open(ctx, 550).unwrap();
    assert_eq!((bt.record_type, bt.record_size, bt.total_records), (7, 17, 5));
    let heap = FractalHeap::open(ctx, 588).unwrap();
    assert_eq!(heap.managed_objects, 3);
    let recs = bt.records(ctx, None).unwrap();
    assert_eq!(recs.len(), 5);
    let mut tiny = 0;
    let mut last = 0;
    for r in &recs {
        let Record::SharedMessageInHeap { hash, reference_count, heap_id } = r else { panic!("{:?}", r) };
        assert_eq!(*reference_count, 4);
        assert!(*hash >= last);
        last = *hash;
        if matches!(heap.parse_id(heap_id).unwrap(), HeapId::Tiny { .. }) {
            tiny += 1;
        }
        let body = heap.read_object(ctx, heap_id).unwrap();
        // libhdf5 hashes the encoded message with the message type as lookup3's initial value.
        let types = [1u32, 3, 5, 11, 12];
        assert!(
            types.iter().any(|&t| h5kit_core::lookup3(&body, t) == *hash),
            "hash {:#x} matches no message type for {:?}",
            hash,
            body
        );
    }
    assert_eq!(tiny, 2);
    // h5debug record #0 prints the heap ID as the integer 547 = 0x223: tiny, 4 bytes.
    let Record::SharedMessageInHeap { heap_id, .. } = &recs[0] else { panic!() };
    assert_eq!(u64::from_le_bytes(*heap_id), 547);
}

#[test]
fn creation_order_indexes_types_6_and_9() {
    // tests/data/creation_order.hdf5 (mk_order.py): /g has links n19, n18, ..., n00 created in
    // that order, /d attributes a19 ... a00; both tracked and indexed. h5debug: /g link heap
    // 1865, name index 2011, creation order index 2049; /d attribute heap 7197, name index
    // 1085, creation order index 1280.
    let storage = h5kit_core::FileStorage::open(fixture("creation_order.hdf5")).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let created: Vec<String> = (0..20).rev().map(|i| format!("n{:02}", i)).collect();

    let heap = FractalHeap::open(ctx, 1865).unwrap();
    let bt = BTreeV2::open(ctx, 2049).unwrap();
    assert_eq!(bt.record_type, 6);
    let recs = bt.records(ctx, None).unwrap();
    let mut names = Vec::new();
    for (i, r) in recs.iter().enumerate() {
        let Record::LinkCreationOrder { creation_order, heap_id } = r else { panic!("{:?}", r) };
        assert_eq!(*creation_order, i as u64);
        names.push(link_name(&heap.read_object(ctx, heap_id).unwrap()));
    }
    assert_eq!(names, created);
    assert_eq!(BTreeV2::open(ctx, 2011).unwrap().record_type, 5);

    let heap = FractalHeap::open(ctx, 7197).unwrap();
    let bt = BTreeV2::open(ctx, 1280).unwrap();
    assert_eq!(bt.record_type, 9);
    let mut names = Vec::new();
    for (i, r) in bt.records(ctx, None).unwrap().iter().enumerate() {
        let Record::AttributeCreationOrder { creation_order, heap_id, flags } = r else { panic!("{:?}", r) };
        assert_eq!(*creation_order, i as u32);
        assert_eq!(*flags, 0);
        names.push(attribute_name(&heap.read_object(ctx, heap_id).unwrap()));
    }
    let created: Vec<String> = (0..20).rev().map(|i| format!("a{:02}", i)).collect();
    assert_eq!(names, created);
    // The name index (type 8) holds the same attributes with the same creation orders.
    let bt = BTreeV2::open(ctx, 1085).unwrap();
    let mut orders: Vec<u32> = bt
        .records(ctx, None)
        .unwrap()
        .iter()
        .map(|r| match r {
            Record::AttributeName { creation_order, .. } => *creation_order,
            other => panic!("{:?}", other),
        })
        .collect();
    orders.sort();
    assert_eq!(orders, (0..20).collect::<Vec<u32>>());
}

#[test]
fn child_indirect_blocks() {
    // tests/data/deep_heap.hdf5 (mk_deep_heap.py): deflate heap 274 with 200 links of 4000-byte
    // names; h5debug: root indirect block 11424 with 10 rows (9 direct rows max, so row 9
    // holds child indirect blocks: the three FHIB signatures in the file), 819200 bytes of managed space
    // allocated; name index 444.
    let storage = h5kit_core::FileStorage::open(fixture("deep_heap.hdf5")).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let heap = FractalHeap::open(ctx, 274).unwrap();
    assert_eq!((heap.current_root_rows, heap.max_direct_rows), (10, 9));
    assert_eq!(heap.allocated_managed_space, 819200);
    let root = heap.read_indirect_block(ctx, 11424, 10, 0).unwrap();
    let children: Vec<u64> = root.indirect.iter().flatten().copied().collect();
    assert_eq!(children, vec![8496, 6912, 5323]); // columns 0, 1, 2 of row 9
    // Blocks too small for a 4 KB object were never allocated.
    assert!(root.direct.iter().any(|d| d.is_none()));
    let blocks = heap.direct_blocks(ctx).unwrap();
    assert_eq!(blocks.iter().map(|b| b.2).sum::<u64>(), 819200);
    let expected: Vec<String> = (0..200).map(|i| format!("{:03}{}", i, "x".repeat(3997))).collect();
    assert_eq!(dense_names(ctx, 274, 444), expected);
}

//! Property tests: `decode(encode(x)) == x` for every structure of the crate, with 4- and
//! 8-byte offsets (and lengths), and `encode` writes exactly `encoded_size` bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use h5kit_btree::element::{DataBlockPage, Element, ElementFormat};
use h5kit_btree::extensible_array::{DataBlock, ExtensibleArrayHeader, IndexBlock, SecondaryBlock};
use h5kit_btree::fixed_array::{FixedArrayDataBlock, FixedArrayHeader};
use h5kit_btree::v1::{ChunkKey, Node as V1Node, SymbolTableNode};
use h5kit_btree::v2::{BTreeV2, ChildPointer, ChunkParams, ChunkRecordV2, Node as V2Node, Record};
use h5kit_core::{Reader, Sizes, Writer, UNDEFINED_ADDRESS};
use h5kit_superblock::{ScratchPad, SymbolTableEntry};
use proptest::collection::vec;
use proptest::prelude::*;

fn sizes() -> impl Strategy<Value = Sizes> {
    prop_oneof![Just(Sizes { offset: 4, length: 4 }), Just(Sizes { offset: 8, length: 8 }), Just(Sizes { offset: 4, length: 8 })]
}

/// A defined address that fits the offset width.
fn addr(s: Sizes) -> impl Strategy<Value = u64> {
    let max = if s.offset >= 8 { u64::MAX - 1 } else { (1u64 << (8 * s.offset as u32)) - 2 };
    0..=max
}

fn opt_addr(s: Sizes) -> impl Strategy<Value = Option<u64>> {
    prop::option::of(addr(s))
}

fn length(s: Sizes) -> impl Strategy<Value = u64> {
    let max = if s.length >= 8 { u64::MAX } else { (1u64 << (8 * s.length as u32)) - 1 };
    0..=max
}

fn fmt() -> impl Strategy<Value = ElementFormat> {
    prop_oneof![Just(ElementFormat::PLAIN), (1usize..=8).prop_map(ElementFormat::filtered)]
}

fn element(s: Sizes, f: ElementFormat) -> impl Strategy<Value = Element> {
    let size_max = if f.chunk_size_len >= 8 { u64::MAX } else { (1u64 << (8 * f.chunk_size_len)) - 1 };
    (opt_addr(s), 0..=size_max, any::<u32>()).prop_map(move |(address, chunk_size, filter_mask)| {
        if f.filtered {
            Element { address, chunk_size, filter_mask }
        } else {
            Element { address, chunk_size: 0, filter_mask: 0 }
        }
    })
}

fn encode_with(s: Sizes, at: u64, f: impl FnOnce(&mut Writer)) -> Vec<u8> {
    let mut w = Writer::new(at, s);
    f(&mut w);
    w.into_inner()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn data_block_page((s, f, els) in (sizes(), fmt()).prop_flat_map(|(s, f)| (Just(s), Just(f), vec(element(s, f), 0..40)))) {
        let page = DataBlockPage { elements: els };
        let bytes = encode_with(s, 64, |w| page.encode(w, f).unwrap());
        prop_assert_eq!(bytes.len() as u64, DataBlockPage::encoded_size(s, page.elements.len() as u64, f));
        let back = DataBlockPage::decode(&mut Reader::new(&bytes, 64, s), page.elements.len() as u64, f).unwrap();
        prop_assert_eq!(back, page);
    }

    #[test]
    fn fixed_array(
        (s, f, address, db, max_entries, page_bits, seed) in (sizes(), fmt()).prop_flat_map(|(s, f)| {
            (Just(s), Just(f), addr(s), opt_addr(s), 0u64..300, 0u8..8, any::<u64>())
        })
    ) {
        let hdr = FixedArrayHeader {
            address,
            client_id: f.client_id(),
            entry_size: f.element_size(s) as u8,
            page_bits,
            max_entries,
            data_block_address: db,
        };
        let bytes = encode_with(s, address, |w| hdr.encode(w).unwrap());
        prop_assert_eq!(bytes.len() as u64, FixedArrayHeader::encoded_size(s));
        prop_assert_eq!(FixedArrayHeader::decode(&mut Reader::new(&bytes, address, s)).unwrap(), hdr);
        prop_assert_eq!(hdr.element_format(s).unwrap(), f);
        let mut block = FixedArrayDataBlock::new(&hdr).unwrap();
        for (i, e) in block.elements.iter_mut().enumerate() {
            if (seed >> (i % 64)) & 1 == 1 {
                e.address = Some(i as u64 * 7);
                if f.filtered { e.chunk_size = (i % 200) as u64; e.filter_mask = i as u32; }
            }
        }
        for (i, b) in block.page_bitmap.iter_mut().enumerate() {
            *b = (seed >> (i % 56)) as u8;
        }
        let bytes = encode_with(s, 4096, |w| block.encode(w, f).unwrap());
        prop_assert_eq!(bytes.len() as u64, FixedArrayDataBlock::encoded_size(&hdr, s));
        prop_assert_eq!(FixedArrayDataBlock::decode(&mut Reader::new(&bytes, 4096, s), &hdr, f).unwrap(), block);
        // Every element has one place; pages tile the array.
        let mut seen = 0u64;
        for p in 0..hdr.npages() { seen += hdr.page_len(p); }
        prop_assert_eq!(seen, if hdr.is_paged() { max_entries } else { 0 });
        if max_entries > 0 {
            prop_assert!(hdr.locate(max_entries - 1).is_some());
        }
        prop_assert!(hdr.locate(max_entries).is_none());
    }

    #[test]
    fn extensible_array(
        (s, f, address, ib, seed) in (sizes(), fmt()).prop_flat_map(|(s, f)| (Just(s), Just(f), addr(s), opt_addr(s), any::<u64>())),
        (bits, ib_elmts, dmin, smin, page_bits) in (8u8..40, 0u8..8, 0u32..5, 0u32..4, 2u8..12),
    ) {
        let hdr = ExtensibleArrayHeader {
            address,
            client_id: f.client_id(),
            element_size: f.element_size(s) as u8,
            max_nelmts_bits: bits,
            index_block_elements: ib_elmts,
            data_block_min_elements: 1 << dmin,
            secondary_block_min_data_ptrs: 1 << smin,
            max_data_block_page_nelmts_bits: page_bits,
            num_secondary_blocks: seed % 1000,
            secondary_block_size: seed % 77777,
            num_data_blocks: seed % 333,
            data_block_size: seed % 99999,
            max_index_set: seed % 100_000,
            num_elements: seed % 100_003,
            index_block_address: ib,
        };
        let bytes = encode_with(s, address, |w| hdr.encode(w).unwrap());
        prop_assert_eq!(bytes.len() as u64, ExtensibleArrayHeader::encoded_size(s));
        prop_assert_eq!(ExtensibleArrayHeader::decode(&mut Reader::new(&bytes, address, s)).unwrap(), hdr);
        let g = hdr.geometry().unwrap();
        let mut iblock = IndexBlock::new(&hdr).unwrap();
        for (i, e) in iblock.elements.iter_mut().enumerate() {
            e.address = Some(i as u64 + 1);
        }
        for (i, a) in iblock.data_block_addresses.iter_mut().enumerate().filter(|(i, _)| (seed >> (i % 64)) & 1 == 1) {
            *a = Some(1000 + i as u64);
        }
        if let Some(a) = iblock.secondary_block_addresses.first_mut() { *a = Some(77); }
        let bytes = encode_with(s, 512, |w| iblock.encode(w, &hdr).unwrap());
        prop_assert_eq!(bytes.len() as u64, IndexBlock::encoded_size(&hdr, s).unwrap());
        prop_assert_eq!(IndexBlock::decode(&mut Reader::new(&bytes, 512, s), &hdr).unwrap(), iblock);
        for level in [g.iblock_nsblks, g.iblock_nsblks + 1, g.levels.len() as u32 - 1] {
            if level as usize >= g.levels.len() || g.levels[level as usize].ndblks > 4096 { continue; }
            let mut sb = SecondaryBlock::new(&hdr, level).unwrap();
            for b in sb.page_bitmap.iter_mut() { *b = seed as u8; }
            if let Some(a) = sb.data_block_addresses.last_mut() { *a = Some(5); }
            let bytes = encode_with(s, 900, |w| sb.encode(w, &hdr).unwrap());
            prop_assert_eq!(bytes.len() as u64, SecondaryBlock::encoded_size(&hdr, s, level).unwrap());
            prop_assert_eq!(SecondaryBlock::decode(&mut Reader::new(&bytes, 900, s), &hdr, level).unwrap(), sb);
            let n = g.levels[level as usize].dblk_nelmts;
            if n > 1 << 14 { continue; }
            let mut db = DataBlock::new(&hdr, n, g.levels[level as usize].start_idx).unwrap();
            if let Some(e) = db.elements.first_mut() { e.address = Some(3); }
            let bytes = encode_with(s, 700, |w| db.encode(w, &hdr).unwrap());
            prop_assert_eq!(bytes.len() as u64, DataBlock::encoded_size(&hdr, s, n).unwrap());
            prop_assert_eq!(DataBlock::decode(&mut Reader::new(&bytes, 700, s), &hdr, n).unwrap(), db);
        }
    }

    #[test]
    fn v1_group_node(
        (s, address, left, right, k, level, keys) in sizes().prop_flat_map(|s| {
            (Just(s), addr(s), opt_addr(s), opt_addr(s), 1u16..20, any::<u8>(), vec((length(s), addr(s)), 0..40))
        }),
        last in any::<u32>(),
    ) {
        let n = keys.len().min(2 * k as usize);
        let mut node = V1Node {
            address,
            node_type: 0,
            level,
            left_sibling: left,
            right_sibling: right,
            keys: keys.iter().take(n).map(|(k, _)| *k).collect::<Vec<u64>>(),
            children: keys.iter().take(n).map(|(_, c)| *c).collect(),
        };
        node.keys.push(last as u64);
        let bytes = encode_with(s, address, |w| node.encode(w, k, ()).unwrap());
        prop_assert_eq!(bytes.len() as u64, V1Node::<u64>::encoded_size(s, k, ()));
        prop_assert_eq!(V1Node::<u64>::decode(&mut Reader::new(&bytes, address, s), ()).unwrap(), node.clone());
        // More children than 2K: an error, not a panic.
        if n == 2 * k as usize {
            let mut big = node.clone();
            big.children.push(1);
            big.keys.push(1);
            prop_assert!(big.encode(&mut Writer::new(0, s), k, ()).is_err());
        }
    }

    #[test]
    fn v1_chunk_node(
        (s, address, rank, k, n, seed) in sizes().prop_flat_map(|s| (Just(s), addr(s), 1usize..6, 1u16..10, 0usize..20, any::<u64>())),
    ) {
        let n = n.min(2 * k as usize);
        let key = |i: usize| ChunkKey {
            size: (seed as u32).wrapping_add(i as u32),
            filter_mask: i as u32,
            offsets: (0..=rank).map(|d| (seed >> d).wrapping_mul(i as u64 + 1)).collect(),
        };
        let node = V1Node {
            address,
            node_type: 1,
            level: (seed % 3) as u8,
            left_sibling: None,
            right_sibling: Some(seed % 1000),
            keys: (0..=n).map(key).collect(),
            children: (0..n).map(|i| i as u64 * 48).collect(),
        };
        let bytes = encode_with(s, address, |w| node.encode(w, k, rank).unwrap());
        prop_assert_eq!(bytes.len() as u64, V1Node::<ChunkKey>::encoded_size(s, k, rank));
        prop_assert_eq!(V1Node::<ChunkKey>::decode(&mut Reader::new(&bytes, address, s), rank).unwrap(), node.clone());
        prop_assert!(node.encode(&mut Writer::new(0, s), k, rank + 1).is_err());
    }

    #[test]
    fn symbol_table_node(
        (s, k, entries) in sizes().prop_flat_map(|s| {
            let entry = (addr(s), addr(s), 0u32..3, addr(s), addr(s), any::<u32>()).prop_map(|(name, oh, ct, b, h, v)| SymbolTableEntry {
                link_name_offset: name,
                object_header_address: oh,
                cache_type: ct,
                scratch: match ct {
                    0 => ScratchPad::None,
                    1 => ScratchPad::Group { btree_address: b, local_heap_address: h },
                    _ => ScratchPad::SymbolicLink { link_value_offset: v },
                },
            });
            (Just(s), 1u16..10, vec(entry, 0..20))
        }),
    ) {
        let node = SymbolTableNode { entries: entries.into_iter().take(2 * k as usize).collect() };
        let bytes = encode_with(s, 0, |w| node.encode(w, k).unwrap());
        prop_assert_eq!(bytes.len() as u64, SymbolTableNode::encoded_size(s, k));
        prop_assert_eq!(SymbolTableNode::decode(&mut Reader::new(&bytes, 0, s)).unwrap(), node);
    }

    #[test]
    fn v2_header_and_nodes(
        (s, t, address, nrec, depth, seed) in sizes().prop_flat_map(|s| (Just(s), 1u8..=11, addr(s), 0usize..30, 0u16..3, any::<u64>())),
    ) {
        let o = s.offset as u64;
        let l = s.length as u64;
        let rank = 1 + (seed % 4) as usize;
        let csl = 1 + (seed % 8) as usize;
        let record_size = match t {
            1 => o + 2 * l,
            2 => o + 3 * l + 4,
            3 => o + l,
            4 => o + 2 * l + 4,
            5 => 11,
            6 => 15,
            7 => 17,
            8 => 17,
            9 => 13,
            10 => o + 8 * rank as u64,
            _ => o + csl as u64 + 4 + 8 * rank as u64,
        } as u16;
        let chunk = Some(ChunkParams { rank, chunk_size_len: if t == 11 { csl } else { 0 } });
        let mut hdr = BTreeV2::new(address, s, t, 512, record_size, 100, 40).unwrap();
        hdr.set_depth(depth).unwrap();
        hdr.root_address = Some(seed % 100_000);
        hdr.root_records = nrec as u16;
        hdr.total_records = seed % 1_000_000;
        let bytes = encode_with(s, address, |w| hdr.encode(w).unwrap());
        prop_assert_eq!(bytes.len() as u64, BTreeV2::encoded_size(s));
        prop_assert_eq!(BTreeV2::decode(&mut Reader::new(&bytes, address, s)).unwrap(), hdr.clone());
        let small = |i: u64| seed.wrapping_mul(i + 1) % (1 << 24);
        let record = |i: u64| -> Record {
            let a = small(i);
            let mut id = [0u8; 8];
            id.copy_from_slice(&a.to_le_bytes());
            let id7: [u8; 7] = id[..7].try_into().unwrap();
            match t {
                1 => Record::HugeObject { address: a, length: a + 1, id: i },
                2 => Record::FilteredHugeObject { address: a, length: 3, filter_mask: 1, memory_size: 9, id: i },
                3 => Record::HugeObjectDirect { address: a, length: 5 },
                4 => Record::FilteredHugeObjectDirect { address: a, length: 5, filter_mask: 2, memory_size: a },
                5 => Record::LinkName { hash: a as u32, heap_id: id7 },
                6 => Record::LinkCreationOrder { creation_order: i, heap_id: id7 },
                7 if i.is_multiple_of(2) => Record::SharedMessageInHeap { hash: a as u32, reference_count: 2, heap_id: id },
                7 => Record::SharedMessageInObjectHeader { hash: a as u32, message_type: 12, object_header_index: 3, object_header_address: a },
                8 => Record::AttributeName { heap_id: id, flags: 1, creation_order: i as u32, hash: a as u32 },
                9 => Record::AttributeCreationOrder { heap_id: id, flags: 0, creation_order: i as u32 },
                _ => Record::Chunk(ChunkRecordV2 {
                    address: a,
                    size: if t == 11 { a % (1 << (8 * csl.min(3))) } else { 0 },
                    filter_mask: if t == 11 { 5 } else { 0 },
                    scaled_offsets: (0..rank as u64).map(|d| d + i).collect(),
                }),
            }
        };
        for level in 0..=depth {
            let max = hdr.max_records(level).unwrap();
            let n = (nrec as u64).min(max);
            let records: Vec<Record> = (0..n).map(record).collect();
            let children = if level == 0 {
                Vec::new()
            } else {
                (0..=n).map(|i| {
                    let nr = i % (hdr.max_records(level - 1).unwrap() + 1);
                    ChildPointer { address: small(i) + 1, nrec: nr, total_records: if level == 1 { nr } else { nr + i } }
                }).collect()
            };
            let node = V2Node { level, records, children };
            let bytes = encode_with(s, 4096, |w| node.encode(w, &hdr, chunk).unwrap());
            prop_assert_eq!(bytes.len() as u64, V2Node::encoded_size(&hdr));
            prop_assert_eq!(V2Node::decode(&mut Reader::new(&bytes, 4096, s), &hdr, level, n, chunk).unwrap(), node);
        }
    }
}

#[test]
fn unencodable_values_are_errors() {
    let s = Sizes { offset: 4, length: 4 };
    let mut w = Writer::new(0, s);
    // Addresses and lengths too wide for 4 bytes.
    let hdr = FixedArrayHeader { address: 0, client_id: 0, entry_size: 4, page_bits: 10, max_entries: 1 << 40, data_block_address: None };
    assert!(hdr.encode(&mut w).is_err());
    let e = Element { address: Some(1 << 40), chunk_size: 0, filter_mask: 0 };
    assert!(e.encode(&mut w, ElementFormat::PLAIN).is_err());
    // A chunk size wider than its field; a non-filtered element with a size.
    let e = Element { address: Some(1), chunk_size: 1 << 16, filter_mask: 0 };
    assert!(e.encode(&mut w, ElementFormat::filtered(2)).is_err());
    assert!(e.encode(&mut w, ElementFormat::PLAIN).is_err());
    assert!(e.encode(&mut w, ElementFormat::filtered(9)).is_err());
    // A record of the wrong type, a record larger than the record size.
    let hdr = BTreeV2::new(0, s, 5, 512, 11, 100, 40).unwrap();
    let rec = Record::HugeObjectDirect { address: 1, length: 1 };
    assert!(rec.encode(&mut w, 5, 11, None).is_err());
    assert!(Record::LinkName { hash: 1, heap_id: [0; 7] }.encode(&mut w, 5, 10, None).is_err());
    // A node with more records than fit, or children that do not pair with records.
    let node = V2Node { level: 0, records: vec![Record::LinkName { hash: 1, heap_id: [0; 7] }; 1000], children: vec![] };
    assert!(node.encode(&mut w, &hdr, None).is_err());
    let node = V2Node { level: 1, records: vec![], children: vec![] };
    assert!(node.encode(&mut w, &hdr, None).is_err());
    // Invalid headers.
    assert!(BTreeV2::new(0, s, 12, 512, 11, 100, 40).is_err());
    assert!(BTreeV2::new(0, s, 5, 4, 11, 100, 40).is_err());
    let mut ea = ExtensibleArrayHeader {
        address: 0,
        client_id: 0,
        element_size: 4,
        max_nelmts_bits: 32,
        index_block_elements: 4,
        data_block_min_elements: 3,
        secondary_block_min_data_ptrs: 4,
        max_data_block_page_nelmts_bits: 10,
        num_secondary_blocks: 0,
        secondary_block_size: 0,
        num_data_blocks: 0,
        data_block_size: 0,
        max_index_set: 0,
        num_elements: 0,
        index_block_address: None,
    };
    assert!(ea.encode(&mut w).is_err());
    ea.data_block_min_elements = 16;
    ea.max_nelmts_bits = 2;
    assert!(ea.encode(&mut w).is_err());
    // The undefined address is written as all ones and read back as such.
    let mut w = Writer::new(0, s);
    w.offset(UNDEFINED_ADDRESS).unwrap();
    assert_eq!(w.as_slice(), &[0xff; 4]);
}

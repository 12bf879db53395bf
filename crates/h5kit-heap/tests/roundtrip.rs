//! Property tests: `decode(encode(x)) == x` for local heaps, global heap collections, fractal
//! heap headers, direct and indirect blocks and heap IDs, with offsets/lengths of 4 and 8
//! bytes; the writer operations (local heap insert, global heap insert, managed/tiny fractal
//! heap objects) read back through the readers; unencodable values are errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, Limits, MemStorage, Reader, Sizes, Writer};
use h5kit_heap::{
    ChildDirectBlock, DirectBlock, FractalHeap, FractalHeapParams, GlobalHeapCollection, GlobalHeapId, GlobalHeapObject,
    HeapId, IndirectBlock, LocalHeap, LocalHeapHeader,
};
use proptest::prelude::*;

fn sizes() -> impl Strategy<Value = Sizes> {
    prop_oneof![Just(Sizes::new(4, 4).unwrap()), Just(Sizes::new(8, 8).unwrap()), Just(Sizes::new(4, 8).unwrap()), Just(Sizes::new(8, 4).unwrap())]
}

fn max_of(bytes: u8) -> u64 {
    if bytes >= 8 {
        u64::MAX - 1
    } else {
        (1u64 << (8 * bytes)) - 2
    }
}

fn params() -> impl Strategy<Value = FractalHeapParams> {
    (0u32..3, 9u32..13, 0u32..5, 16u16..=40, 1u16..4, any::<bool>(), prop_oneof![Just(0u16), 12u16..30]).prop_map(
        |(w, start, extra, bits, rows, checksum, id_len)| FractalHeapParams {
            heap_id_length: id_len,
            max_managed_object_size: 1 << (start + extra - 1),
            table_width: 1 << (w + 1),
            starting_block_size: 1 << start,
            max_direct_block_size: 1 << (start + extra),
            max_heap_size: bits,
            starting_root_rows: rows,
            checksum_direct_blocks: checksum,
        },
    )
}

/// A Filter Pipeline message (version 2) with deflate level 6.
const DEFLATE_PIPELINE: [u8; 12] = [2, 1, 1, 0, 0, 0, 1, 0, 6, 0, 0, 0];

proptest! {
    #[test]
    fn local_heap_header_round_trips(sizes in sizes(), size in any::<u32>(), free in prop::option::of(any::<u32>()), data in any::<u32>()) {
        let h = LocalHeapHeader { data_segment_size: size.into(), free_list_offset: free.map(u64::from).filter(|&f| f != max_of(sizes.length) + 1), data_address: data.into() };
        let mut w = Writer::new(0, sizes);
        h.encode(&mut w).unwrap();
        prop_assert_eq!(w.position() as u64, LocalHeapHeader::encoded_size(sizes));
        prop_assert_eq!(LocalHeapHeader::decode(&mut Reader::new(w.as_slice(), 0, sizes)).unwrap(), h);
    }

    #[test]
    fn local_heap_inserts_read_back(sizes in sizes(), size in 2u64..40, names in prop::collection::vec("[a-z0-9_]{0,40}", 1..40)) {
        let mut heap = LocalHeap::new(680, 712, size * 8, sizes).unwrap();
        let mut placed = Vec::new();
        for n in &names {
            let ins = heap.insert(n.as_bytes(), sizes).unwrap();
            if let Some(g) = ins.grown_to {
                prop_assert_eq!(g, heap.data().len() as u64);
            }
            prop_assert_eq!(ins.offset % 8, 0);
            placed.push((ins.offset, n.clone()));
            // Names and free blocks never overlap.
            let free = heap.free_blocks(sizes).unwrap();
            for (o, n) in &placed {
                let end = o + n.len() as u64 + 1;
                prop_assert!(free.iter().all(|b| end <= b.offset || b.offset + b.size <= *o));
            }
        }
        for (o, n) in &placed {
            prop_assert_eq!(heap.string_at(*o).unwrap(), n.as_bytes());
        }
        // Header + data segment encode, then decode into the same heap.
        let mut w = Writer::new(680, sizes);
        heap.encode_header(&mut w).unwrap();
        let header = LocalHeapHeader::decode(&mut Reader::new(w.as_slice(), 680, sizes)).unwrap();
        let mut d = Writer::new(712, sizes);
        heap.encode_data(&mut d);
        prop_assert_eq!(LocalHeap::from_parts(680, header, d.into_inner()).unwrap(), heap);
    }

    #[test]
    fn global_heap_round_trips(sizes in sizes(), objects in prop::collection::vec((prop::collection::vec(any::<u8>(), 0..300), any::<u16>()), 1..40)) {
        let first = objects[0].0.len() as u64;
        let size = GlobalHeapCollection::size_for(first, sizes).unwrap();
        prop_assert!(size >= 4096);
        let mut col = GlobalHeapCollection::new(1000, size, sizes).unwrap();
        let mut inserted = 0;
        for (data, rc) in &objects {
            match col.insert(data, sizes).unwrap() {
                Some(i) => {
                    prop_assert_eq!(usize::from(i), inserted + 1);
                    inserted += 1;
                    col.objects.last_mut().unwrap().reference_count = *rc;
                }
                None => prop_assert!(col.free_space(sizes).unwrap() < 8 + u64::from(sizes.length) + (data.len() as u64).div_ceil(8) * 8),
            }
        }
        prop_assert!(inserted >= 1);
        let mut w = Writer::new(1000, sizes);
        col.encode(&mut w).unwrap();
        prop_assert_eq!(w.position() as u64, col.encoded_size());
        prop_assert_eq!(GlobalHeapCollection::decode(w.as_slice(), 1000, sizes).unwrap(), col);
    }

    #[test]
    fn global_heap_id_round_trips(sizes in sizes(), a in prop::option::of(0u32..u32::MAX - 1), index in any::<u32>()) {
        let id = GlobalHeapId { collection_address: a.map(u64::from), index };
        let mut w = Writer::new(0, sizes);
        id.encode(&mut w).unwrap();
        prop_assert_eq!(GlobalHeapId::decode(&mut Reader::new(w.as_slice(), 0, sizes)).unwrap(), id);
    }

    #[test]
    fn fractal_heap_header_round_trips(sizes in sizes(), p in params(), stats in prop::array::uniform12(0u32..u32::MAX), filtered in any::<bool>()) {
        let mut h = FractalHeap::new(4096, sizes, p).unwrap();
        let s = stats.map(u64::from);
        h.next_huge_object_id = s[0];
        h.huge_object_btree_address = Some(s[1]);
        h.free_space = s[2];
        h.free_space_manager_address = (s[3] % 2 == 0).then_some(s[3]);
        h.managed_space = s[4];
        h.allocated_managed_space = s[5];
        h.direct_block_allocation_iterator_offset = s[6];
        h.managed_objects = s[7];
        h.huge_objects_size = s[8];
        h.huge_objects = s[9];
        h.tiny_objects_size = s[10];
        h.tiny_objects = s[11];
        h.root_block_address = (s[0] % 3 != 0).then_some(s[1]);
        h.current_root_rows = (s[2] % 5) as u16;
        if filtered {
            h.io_filter_info = DEFLATE_PIPELINE.to_vec();
            h.io_filters_encoded_length = DEFLATE_PIPELINE.len() as u16;
            h.filtered_root_direct_block_size = Some(s[3]);
            h.root_filter_mask = s[4] as u32;
        }
        let mut w = Writer::new(4096, sizes);
        h.encode(&mut w).unwrap();
        prop_assert_eq!(w.position() as u64, h.encoded_size());
        let back = FractalHeap::decode(w.as_slice(), 4096, sizes).unwrap();
        let mut again = Writer::new(4096, sizes);
        back.encode(&mut again).unwrap();
        prop_assert_eq!(again.as_slice(), w.as_slice());
        prop_assert_eq!(back.filters.len(), usize::from(filtered));
        if !filtered {
            prop_assert_eq!(back, h);
        }
    }

    #[test]
    fn direct_block_round_trips(sizes in sizes(), p in params(), fill in any::<u8>(), offset in 0u32..u32::MAX) {
        let h = FractalHeap::new(4096, sizes, p).unwrap();
        let off = u64::from(offset) & ((1u64 << h.max_heap_size.min(32)) - 1);
        let mut b = DirectBlock::new(&h, off, h.starting_block_size).unwrap();
        for (i, x) in b.object_data.iter_mut().enumerate() {
            *x = fill.wrapping_add(i as u8);
        }
        let mut w = Writer::new(8192, sizes);
        b.encode(&h, &mut w).unwrap();
        prop_assert_eq!(w.position() as u64, h.starting_block_size);
        prop_assert_eq!(DirectBlock::decode(w.as_slice(), 8192, &h).unwrap(), b);
    }

    #[test]
    fn indirect_block_round_trips(sizes in sizes(), p in params(), nrows in 1u32..20, seed in any::<u64>(), filtered in any::<bool>()) {
        let mut h = FractalHeap::new(4096, sizes, p).unwrap();
        if filtered {
            let mut w = Writer::new(4096, sizes);
            h.io_filter_info = DEFLATE_PIPELINE.to_vec();
            h.io_filters_encoded_length = DEFLATE_PIPELINE.len() as u16;
            h.filtered_root_direct_block_size = Some(0);
            h.encode(&mut w).unwrap();
            h = FractalHeap::decode(w.as_slice(), 4096, sizes).unwrap();
        }
        let mut ib = IndirectBlock::new(&h, 9000, seed & 0xffff, nrows);
        for (i, e) in ib.direct.iter_mut().enumerate() {
            let a = seed.rotate_left(i as u32) & 0xffff_fff0;
            if a % 3 != 0 {
                *e = Some(ChildDirectBlock { address: a, filtered: filtered.then_some((a / 7, (a % 5) as u32)) });
            }
        }
        for (i, e) in ib.indirect.iter_mut().enumerate() {
            let a = seed.rotate_right(i as u32) & 0xffff_fff0;
            *e = (a % 2 == 0).then_some(a);
        }
        let mut w = Writer::new(9000, sizes);
        ib.encode(&h, &mut w).unwrap();
        prop_assert_eq!(w.position() as u64, IndirectBlock::encoded_size(&h, nrows).unwrap());
        prop_assert_eq!(IndirectBlock::decode(w.as_slice(), 9000, &h, nrows).unwrap(), ib);
    }

    #[test]
    fn heap_ids_round_trip(sizes in sizes(), p in params(), offset in any::<u64>(), length in any::<u64>(), tiny in prop::collection::vec(any::<u8>(), 1..40)) {
        let h = FractalHeap::new(4096, sizes, p).unwrap();
        let offset = offset >> (64 - 8 * h.heap_offset_size);
        let length = length >> (64 - 8 * h.heap_length_size);
        let id = h.managed_id(offset, length).unwrap();
        prop_assert_eq!(id.len(), usize::from(h.heap_id_length));
        prop_assert_eq!(h.parse_id(&id).unwrap(), HeapId::Managed { offset, length });
        let t = &tiny[..tiny.len().min(h.tiny_max_length())];
        if !t.is_empty() {
            let id = h.encode_id(&HeapId::Tiny { data: t }).unwrap();
            prop_assert_eq!(id.len(), usize::from(h.heap_id_length));
            prop_assert_eq!(h.parse_id(&id).unwrap(), HeapId::Tiny { data: t });
        }
        let too_long = vec![0; h.tiny_max_length() + 1];
        let e = h.encode_id(&HeapId::Tiny { data: &too_long });
        prop_assert!(e.is_err());
    }

    #[test]
    fn managed_objects_read_back(sizes in prop_oneof![Just(Sizes::new(4, 4).unwrap()), Just(Sizes::default())], objects in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..200), 1..30)) {
        let mut h = FractalHeap::new(64, sizes, FractalHeapParams::dense_storage()).unwrap();
        let mut block = h.new_root_direct_block(512).unwrap();
        let mut ids = Vec::new();
        for o in &objects {
            match h.insert_managed(&mut block, o).unwrap() {
                Some(id) => ids.push((id, o.clone())),
                None => {
                    prop_assert!(h.free_space < o.len() as u64);
                    break;
                }
            }
        }
        prop_assert_eq!(h.managed_objects, ids.len() as u64);
        let mut file = vec![0u8; 512];
        let mut w = Writer::new(64, sizes);
        h.encode(&mut w).unwrap();
        file[64..64 + w.position()].copy_from_slice(w.as_slice());
        let mut b = Writer::new(512, sizes);
        block.encode(&h, &mut b).unwrap();
        file.extend_from_slice(b.as_slice());
        let st = MemStorage::new(file);
        let limits = Limits::default();
        let ctx = Context::new(&st, sizes, &limits, 0);
        let back = FractalHeap::open(ctx, 64).unwrap();
        prop_assert_eq!(&back, &h);
        for (id, o) in &ids {
            prop_assert_eq!(&back.read_object(ctx, id).unwrap(), o);
        }
    }
}

#[test]
fn dense_storage_params_match_libhdf5() {
    // The dense link storage heap of a libhdf5 file: same doubling table and ID length.
    let h = FractalHeap::new(0, Sizes::default(), FractalHeapParams::dense_storage()).unwrap();
    assert_eq!((h.heap_id_length, h.heap_offset_size, h.heap_length_size, h.max_direct_rows), (7, 4, 2, 9));
    assert_eq!(h.row_block_size(0), Some(512));
    assert_eq!(h.row_block_size(1), Some(512));
    assert_eq!(h.row_block_size(2), Some(1024));
    assert_eq!(h.row_offset(2), Some(4096));
    assert_eq!(h.indirect_block_rows(131072, 0).unwrap(), 7);
    let mut h = h;
    assert_eq!(h.insert_tiny(b"abc").unwrap().unwrap(), vec![0x22, b'a', b'b', b'c', 0, 0, 0]);
    assert_eq!((h.tiny_objects, h.tiny_objects_size), (1, 3));
    assert_eq!(h.insert_tiny(&[1; 7]).unwrap(), None);
    assert_eq!(h.tiny_max_length(), 6);
}

#[test]
fn tiny_id_forms_follow_libhdf5() {
    for (id_len, max) in [(2u16, 1usize), (17, 16), (18, 16), (19, 17), (40, 38)] {
        let p = FractalHeapParams { heap_id_length: id_len.max(7), ..FractalHeapParams::dense_storage() };
        let h = FractalHeap::new(0, Sizes::default(), p).unwrap();
        if id_len >= 7 {
            assert_eq!(h.tiny_max_length(), max, "id length {}", id_len);
            let data = vec![7u8; max];
            let id = h.encode_id(&HeapId::Tiny { data: &data }).unwrap();
            assert_eq!(h.parse_id(&id).unwrap(), HeapId::Tiny { data: &data });
        }
    }
}

#[test]
fn unencodable_values_are_errors() {
    let s4 = Sizes::new(4, 4).unwrap();
    let mut w = Writer::new(0, s4);
    // Local heap: data address too wide for 4-byte offsets; bad new sizes; name in a corrupt list.
    assert!(LocalHeapHeader { data_segment_size: 88, free_list_offset: None, data_address: 1 << 40 }.encode(&mut w).is_err());
    assert!(LocalHeap::new(0, 0, 4, s4).is_err());
    assert!(LocalHeap::new(0, 0, 12, s4).is_err());
    // Global heap: objects beyond the collection, index 0, repeated indexes.
    let obj = |index, n| GlobalHeapObject { index, reference_count: 1, address: 0, data: vec![1; n] };
    for objects in [vec![obj(1, 5000)], vec![obj(0, 1)], vec![obj(2, 1), obj(2, 1)]] {
        assert!(GlobalHeapCollection { address: 0, size: 4096, objects }.encode(&mut w).is_err());
    }
    assert!(GlobalHeapCollection::new(0, 4, s4).is_err());
    // Fractal heap: values too wide, filter fields out of agreement, wrong entry counts.
    let h = FractalHeap::new(0, s4, FractalHeapParams::dense_storage()).unwrap();
    assert!({ let mut x = h.clone(); x.free_space = 1 << 40; x }.encode(&mut w).is_err());
    assert!({ let mut x = h.clone(); x.io_filters_encoded_length = 3; x }.encode(&mut w).is_err());
    assert!({ let mut x = h.clone(); x.root_filter_mask = 1; x }.encode(&mut w).is_err());
    assert!({ let mut x = h.clone(); x.io_filter_info = DEFLATE_PIPELINE.to_vec(); x.io_filters_encoded_length = 12; x }.encode(&mut w).is_err());
    let mut ib = IndirectBlock::new(&h, 0, 0, 2);
    ib.direct.pop();
    assert!(ib.encode(&h, &mut w).is_err());
    let mut ib = IndirectBlock::new(&h, 0, 0, 1);
    ib.direct[0] = Some(ChildDirectBlock { address: 8, filtered: Some((1, 0)) });
    assert!(ib.encode(&h, &mut w).is_err());
    assert!(h.managed_id(1 << 33, 1).is_err());
    assert!(h.managed_id(0, 1 << 17).is_err());
    assert!(h.encode_id(&HeapId::Tiny { data: &[] }).is_err());
    assert!(h.encode_id(&HeapId::HugeDirect { address: 1, length: 1 }).is_err(), "7-byte IDs cannot hold a direct huge ID");
    assert!(FractalHeap::new(0, s4, FractalHeapParams { table_width: 3, ..FractalHeapParams::dense_storage() }).is_err());
    assert!(FractalHeap::new(0, s4, FractalHeapParams { heap_id_length: 3, ..FractalHeapParams::dense_storage() }).is_err());
    assert!(DirectBlock::new(&h, 0, 8).is_err());
    assert!(w.is_empty(), "nothing written by a failed encode");
    // Managed objects: empty, too large, no root block, inside the header.
    let mut h2 = h.clone();
    let mut b = DirectBlock::new(&h2, 0, 512).unwrap();
    assert!(h2.insert_managed(&mut b, b"x").is_err());
    let mut b = h2.new_root_direct_block(100).unwrap();
    assert!(h2.new_root_direct_block(100).is_err());
    assert!(h2.insert_managed(&mut b, b"").is_err());
    assert!(h2.insert_managed(&mut b, &[0; 4097]).is_err());
    assert!(h2.insert_managed_at(&mut b, 3, b"x").is_err());
    assert_eq!(h2.insert_managed_at(&mut b, 510, b"xyz").unwrap(), None);
}

//! Extensible array chunk indexes, checked against h5debug and h5py `get_chunk_info`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::extensible_array::{self, ExtensibleArrayHeader};
use h5kit_btree::fixed_array::ChunkEntry;

#[test]
fn small_and_large_arrays() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    // /extensible_array/int8: 3 chunks at 4043, 4049, 4055 (all in the index block).
    let v = extensible_array::read_chunks(ctx, 15575, false, 0).unwrap();
    assert_eq!(v.iter().map(|c| (c.index, c.address)).collect::<Vec<_>>(), vec![(0, 4043), (1, 4049), (2, 4055)]);
    // h5debug 22350 22066 (/extensible_array/large_int16).
    let h = ExtensibleArrayHeader::read(ctx, 22350).unwrap();
    assert_eq!(h.element_size, 8);
    assert_eq!(h.max_nelmts_bits, 32);
    assert_eq!(h.index_block_elements, 4);
    assert_eq!(h.data_block_min_elements, 16);
    assert_eq!(h.secondary_block_min_data_ptrs, 4);
    assert_eq!(h.max_data_block_page_nelmts_bits, 10);
    assert_eq!(h.max_index_set, 10000);
    assert_eq!(h.num_secondary_blocks, 6);
    assert_eq!(h.num_data_blocks, 50);
    assert_eq!(h.num_elements, 10228);
    assert_eq!(h.index_block_address, Some(22422));
    // h5py: 10000 chunks, (0,0,0)@4085, (0,0,1)@17701, (0,0,2)@17703, last @126792.
    let v = extensible_array::read_chunks(ctx, 22350, false, 0).unwrap();
    assert_eq!(v.len(), 10000);
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 723042977);
    assert_eq!(v[0].address, 4085);
    assert_eq!(v[1].address, 17701);
    assert_eq!(v[2].address, 17703);
    assert_eq!(v[9999], ChunkEntry { index: 9999, address: 126792, size: 0, filter_mask: 0 });
    assert!(v.iter().enumerate().all(|(i, c)| c.index == i as u64));
}

#[test]
fn filtered_arrays() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    // /filtered_extensible_array/int8: (126794,14), (126808,14), (126822,14).
    let v = extensible_array::read_chunks(ctx, 125179, true, 2).unwrap();
    assert_eq!(
        v.iter().map(|c| (c.address, c.size, c.filter_mask)).collect::<Vec<_>>(),
        vec![(126794, 14, 0), (126808, 14, 0), (126822, 14, 0)]
    );
    // /filtered_extensible_array/large_int16: 10000 chunks of 10 bytes, address sum 2575188106.
    let v = extensible_array::read_chunks(ctx, 131409, true, 2).unwrap();
    assert_eq!(v.len(), 10000);
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 2575188106);
    assert_eq!(v.iter().map(|c| c.size).sum::<u64>(), 100000);
    assert_eq!((v[0].address, v[1].address, v[9999].address), (127205, 127925, 375395));
    assert!(extensible_array::read_chunks(ctx, 131409, false, 0).is_err());
}

#[test]
fn paged_data_blocks_with_uninitialized_page() {
    // tests/data/paged_earray.hdf5 (tests/data/mk_paged_ea.py, libhdf5 2.0): two 1-D datasets
    // of 140000 one-element chunks, elements 3, 20 and 132170 written. Element 132170 sits in
    // page 1 of a 2048-element paged data block whose page 0 was never initialized.
    // h5py get_chunk_info: plain (3)@2048, (20)@2049, (132170)@2050, 1 byte each;
    // gzip (layout message version 5: Chunk Size is Size of Offsets wide, element size 20):
    // (3)@2051, (20)@2060, (132170)@2069, 9 bytes each.
    let path = format!("{}/tests/data/paged_earray.hdf5", env!("CARGO_MANIFEST_DIR"));
    let storage = h5kit_core::FileStorage::open(path).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let h = ExtensibleArrayHeader::read(ctx, 447).unwrap();
    assert_eq!(h.max_data_block_page_nelmts_bits, 10);
    assert_eq!(h.max_index_set, 132171);
    let v = extensible_array::read_chunks(ctx, 447, false, 0).unwrap();
    assert_eq!(
        v,
        vec![
            ChunkEntry { index: 3, address: 2048, size: 0, filter_mask: 0 },
            ChunkEntry { index: 20, address: 2049, size: 0, filter_mask: 0 },
            ChunkEntry { index: 132170, address: 2050, size: 0, filter_mask: 0 },
        ]
    );
    let v = extensible_array::read_chunks(ctx, 1961, true, 8).unwrap();
    assert_eq!(
        v,
        vec![
            ChunkEntry { index: 3, address: 2051, size: 9, filter_mask: 0 },
            ChunkEntry { index: 20, address: 2060, size: 9, filter_mask: 0 },
            ChunkEntry { index: 132170, address: 2069, size: 9, filter_mask: 0 },
        ]
    );
}

#[test]
fn find_single_entries() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    for (addr, filtered) in [(22350u64, false), (131409, true), (15575, false)] {
        let all = extensible_array::read_chunks(ctx, addr, filtered, 2).unwrap();
        for e in all.iter().step_by(61).chain(all.last()) {
            assert_eq!(extensible_array::find_chunk(ctx, addr, filtered, 2, e.index).unwrap(), Some(*e));
        }
        assert_eq!(extensible_array::find_chunk(ctx, addr, filtered, 2, all.len() as u64).unwrap(), None);
    }
    let path = format!("{}/tests/data/paged_earray.hdf5", env!("CARGO_MANIFEST_DIR"));
    let storage = h5kit_core::FileStorage::open(path).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let e = extensible_array::find_chunk(ctx, 447, false, 0, 132170).unwrap();
    assert_eq!(e, Some(ChunkEntry { index: 132170, address: 2050, size: 0, filter_mask: 0 }));
    assert_eq!(extensible_array::find_chunk(ctx, 447, false, 0, 20).unwrap().map(|e| e.address), Some(2049));
    assert_eq!(extensible_array::find_chunk(ctx, 447, false, 0, 131100).unwrap(), None); // page 0 uninitialized
    assert_eq!(extensible_array::find_chunk(ctx, 447, false, 0, 132171).unwrap(), None);
    assert_eq!(extensible_array::find_chunk(ctx, 1961, true, 8, 132170).unwrap().map(|e| e.address), Some(2069));
}

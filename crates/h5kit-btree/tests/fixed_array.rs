//! Fixed array chunk indexes (unpaged and paged, filtered and not), checked against h5debug
//! and h5py `get_chunk_info` (chunk count, first/last addresses, sums of addresses/sizes).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::fixed_array::{self, ChunkEntry, FixedArrayHeader};

fn sums(v: &[ChunkEntry]) -> (u64, u64) {
    (v.iter().map(|c| c.address).sum(), v.iter().map(|c| c.size).sum())
}

#[test]
fn unpaged_small_arrays() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    // /fixed_array/int8: 3 chunks of 6 bytes at 3002, 3008, 3014.
    let v = fixed_array::read_chunks(ctx, 2012, false, 0).unwrap();
    assert_eq!(v.iter().map(|c| (c.index, c.address)).collect::<Vec<_>>(), vec![(0, 3002), (1, 3008), (2, 3014)]);
    // /fixed_array/string: 3344, 3440, 3536.
    let v = fixed_array::read_chunks(ctx, 12421, false, 0).unwrap();
    assert_eq!(sums(&v).0, 10320);
    // /filtered_fixed_array/int8 (h5debug 13036: element size 14, 3 elements, data block 13064):
    // chunks (3632, 14), (3646, 14), (3660, 14).
    let h = FixedArrayHeader::read(ctx, 13036).unwrap();
    assert_eq!((h.client_id, h.entry_size, h.page_bits, h.max_entries), (1, 14, 10, 3));
    assert_eq!(h.data_block_address, Some(13064));
    let v = fixed_array::read_chunks(ctx, 13036, true, 2).unwrap();
    assert_eq!(
        v,
        vec![
            ChunkEntry { index: 0, address: 3632, size: 14, filter_mask: 0 },
            ChunkEntry { index: 1, address: 3646, size: 14, filter_mask: 0 },
            ChunkEntry { index: 2, address: 3660, size: 14, filter_mask: 0 },
        ]
    );
    // /filtered_fixed_array/float64: sizes 25, 28, 23.
    let v = fixed_array::read_chunks(ctx, 14524, true, 2).unwrap();
    assert_eq!(v.iter().map(|c| c.size).collect::<Vec<_>>(), vec![25, 28, 23]);
    // Wrong element format is reported, not misread.
    assert!(fixed_array::read_chunks(ctx, 13036, false, 0).is_err());
    assert!(fixed_array::read_chunks(ctx, 2012, true, 2).is_err());
}

#[test]
fn paged_arrays() {
    let f = common::Open::new("jhdf/fixed_array_paged_datasets.hdf5");
    let ctx = f.ctx();
    // (index address, filtered, chunk count, address sum, size sum, first, last) from h5py.
    let cases: [(u64, bool, usize, u64, u64, u64, u64); 6] = [
        (610, false, 170, 520540, 0, 2048, 4076),
        (2016, false, 2048, 46656356, 0, 4088, 24861),
        (25131, false, 5000, 318745064, 0, 26911, 76948),
        (25574, true, 170, 13772328, 3376, 76950, 82709),
        (25870, true, 2048, 249126885, 20480, 82724, 131893),
        (26166, true, 5000, 1134614961, 50000, 131903, 251932),
    ];
    for (addr, filtered, n, asum, ssum, first, last) in cases {
        let v = fixed_array::read_chunks(ctx, addr, filtered, 2).unwrap();
        assert_eq!(v.len(), n, "chunks of fixed array {}", addr);
        assert_eq!(sums(&v), (asum, ssum), "sums of fixed array {}", addr);
        assert_eq!(v.first().unwrap().address, first);
        assert_eq!(v.last().unwrap().address, last);
        assert_eq!(v.last().unwrap().index, n as u64 - 1);
    }
    // (0, 3) of the unpaged 10x100 array with 2x3 chunks is linear index 1 at 2060.
    let v = fixed_array::read_chunks(ctx, 610, false, 0).unwrap();
    assert_eq!(v[1], ChunkEntry { index: 1, address: 2060, size: 0, filter_mask: 0 });
}

#[test]
fn find_single_entries() {
    let f = common::Open::new("jhdf/fixed_array_paged_datasets.hdf5");
    let ctx = f.ctx();
    for (addr, filtered) in [(610u64, false), (2016, false), (25131, false), (25574, true), (26166, true)] {
        let all = fixed_array::read_chunks(ctx, addr, filtered, 2).unwrap();
        for e in all.iter().step_by(97).chain(all.last()) {
            assert_eq!(fixed_array::find_chunk(ctx, addr, filtered, 2, e.index).unwrap(), Some(*e));
        }
        let n = all.len() as u64;
        assert_eq!(fixed_array::find_chunk(ctx, addr, filtered, 2, n).unwrap(), None);
    }
}

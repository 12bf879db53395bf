//! v2 B-tree chunk indexes (record types 10 and 11), checked against h5py `get_chunk_info`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_btree::v2::{BTreeV2, ChunkParams, ChunkRecordV2, Record};

fn chunks(ctx: h5kit_core::Context, addr: u64, rank: usize, csl: usize) -> Vec<ChunkRecordV2> {
    let bt = BTreeV2::open(ctx, addr).unwrap();
    bt.records(ctx, Some(ChunkParams { rank, chunk_size_len: csl }))
        .unwrap()
        .into_iter()
        .map(|r| match r {
            Record::Chunk(c) => c,
            other => panic!("not a chunk record: {:?}", other),
        })
        .collect()
}

#[test]
fn pyfive_btreev2() {
    let f = common::Open::new("pyfive/btreev2.hdf5");
    let ctx = f.ctx();
    // /btreev2: 100x100, chunks 10x10, 100 chunks of 400 bytes; (0,0)@2048, (0,10)@2448,
    // (0,20)@2848, (90,90)@47840; address sum 2445360.
    let bt = BTreeV2::open(ctx, 463).unwrap();
    assert_eq!(bt.record_type, 10);
    assert_eq!(bt.total_records, 100);
    let v = chunks(ctx, 463, 2, 0);
    assert_eq!(v.len(), 100);
    assert_eq!(v[0], ChunkRecordV2 { address: 2048, size: 0, filter_mask: 0, scaled_offsets: vec![0, 0] });
    assert_eq!(v[1], ChunkRecordV2 { address: 2448, size: 0, filter_mask: 0, scaled_offsets: vec![0, 1] });
    assert_eq!(v[2].address, 2848);
    assert_eq!(v[99], ChunkRecordV2 { address: 47840, size: 0, filter_mask: 0, scaled_offsets: vec![9, 9] });
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 2445360);
    // /btreev2_filters (gzip + fletcher32): type 11, chunk size field 3 bytes (400 needs 2).
    let bt = BTreeV2::open(ctx, 769).unwrap();
    assert_eq!(bt.record_type, 11);
    let v = chunks(ctx, 769, 2, 3);
    assert_eq!(v.len(), 100);
    assert_eq!(v[0], ChunkRecordV2 { address: 48240, size: 184, filter_mask: 0, scaled_offsets: vec![0, 0] });
    assert_eq!((v[1].address, v[1].size), (50472, 179));
    assert_eq!((v[2].address, v[2].size), (50651, 181));
    assert_eq!((v[99].address, v[99].size), (72425, 184));
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 6066845);
    assert_eq!(v.iter().map(|c| c.size).sum::<u64>(), 18225);
    // A wrong chunk size width is detected from the record size.
    assert!(bt.records(ctx, Some(ChunkParams { rank: 2, chunk_size_len: 2 })).is_err());
    assert!(bt.records(ctx, None).is_err());
}

#[test]
fn jhdf_large_btree_v2() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    // /btree_v2/large_int16: 200x5x10, chunks 1x1x1: 10000 chunks, address sum 5672362206.
    let v = chunks(ctx, 392109, 3, 0);
    assert_eq!(v.len(), 10000);
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 5672362206);
    assert_eq!((v[0].address, v[1].address, v[2].address, v[9999].address), (138313, 378856, 378858, 775257));
    assert_eq!(v[9999].scaled_offsets, vec![199, 4, 9]);
    // /filtered_btree_v2/large_int16: sizes sum 100000, address sum 10530810051.
    let v = chunks(ctx, 792037, 3, 2);
    assert_eq!(v.len(), 10000);
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 10530810051);
    assert_eq!(v.iter().map(|c| c.size).sum::<u64>(), 100000);
    assert_eq!((v[0].address, v[9999].address), (775670, 1314835));
    // /btree_v2/int8 and /filtered_btree_v2/int8.
    let v = chunks(ctx, 375742, 2, 0);
    assert_eq!(v.iter().map(|c| c.address).collect::<Vec<_>>(), vec![138307, 144977, 150653]);
    let v = chunks(ctx, 777718, 2, 2);
    assert_eq!(v.iter().map(|c| (c.address, c.size)).collect::<Vec<_>>(), vec![(775259, 14), (775273, 14), (775287, 14)]);
}

#[test]
fn search_descends_to_one_chunk() {
    use std::cmp::Ordering;
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    let bt = BTreeV2::open(ctx, 392109).unwrap();
    assert!(bt.depth >= 1, "a multi-level tree");
    let p = Some(ChunkParams { rank: 3, chunk_size_len: 0 });
    let find = |key: [u64; 3]| {
        bt.search(ctx, p, &mut |r| match r {
            Record::Chunk(c) => Ok(key.as_slice().cmp(c.scaled_offsets.as_slice())),
            _ => Ok(Ordering::Less),
        })
        .unwrap()
    };
    // h5py: (0,0,1)@378856, (199,4,9)@775257.
    let Some(Record::Chunk(c)) = find([0, 0, 1]) else { panic!() };
    assert_eq!(c.address, 378856);
    let Some(Record::Chunk(c)) = find([199, 4, 9]) else { panic!() };
    assert_eq!(c.address, 775257);
    // Every chunk is found at the address the full walk gives.
    let all = chunks(ctx, 392109, 3, 0);
    for c in all.iter().step_by(37) {
        let key = [c.scaled_offsets[0], c.scaled_offsets[1], c.scaled_offsets[2]];
        assert_eq!(find(key), Some(Record::Chunk(c.clone())));
    }
    assert_eq!(find([200, 0, 0]), None);
    assert_eq!(find([5, 5, 0]), None);
}

#[test]
fn type11_layout_v5_chunk_size_is_offset_sized() {
    // tests/data/bt2_layout_v5.hdf5 (mk_bt2_v5.py, libhdf5 2.0, layout message v5): 20x30 i4,
    // chunks 4x7, gzip: 25 chunks; h5py get_chunk_info: (0,0)@2048 57 bytes, (0,7)@2105 59,
    // (0,14)@2164 59, (16,28)@3374 38; sums 67673 / 1364. Records are 8+8+4+2x8 = 36 bytes.
    let path = format!("{}/tests/data/bt2_layout_v5.hdf5", env!("CARGO_MANIFEST_DIR"));
    let storage = h5kit_core::FileStorage::open(path).unwrap();
    let sb = h5kit_superblock::Superblock::read(&storage).unwrap();
    let limits = h5kit_core::Limits::default();
    let ctx = sb.context(&storage, &limits);
    let bt = BTreeV2::open(ctx, 447).unwrap();
    assert_eq!((bt.record_type, bt.record_size), (11, 36));
    let v = chunks(ctx, 447, 2, 8);
    assert_eq!(v.len(), 25);
    assert_eq!(v[0], ChunkRecordV2 { address: 2048, size: 57, filter_mask: 0, scaled_offsets: vec![0, 0] });
    assert_eq!((v[1].address, v[1].size, &v[1].scaled_offsets[..]), (2105, 59, &[0u64, 1][..]));
    assert_eq!((v[2].address, v[2].size), (2164, 59));
    assert_eq!(v[24], ChunkRecordV2 { address: 3374, size: 38, filter_mask: 0, scaled_offsets: vec![4, 4] });
    assert_eq!(v.iter().map(|c| c.address).sum::<u64>(), 67673);
    assert_eq!(v.iter().map(|c| c.size).sum::<u64>(), 1364);
    // The layout v4 width (1 + bytes for 112-byte chunks = 2) does not match the record size.
    assert!(bt.records(ctx, Some(ChunkParams { rank: 2, chunk_size_len: 2 })).is_err());
}

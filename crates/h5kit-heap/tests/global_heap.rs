//! Global heap collections, checked against h5dump / h5debug.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use h5kit_core::Reader;
use h5kit_heap::{GlobalHeapCollection, GlobalHeapId};

#[test]
fn vlen_string_attribute_one_collection_per_string() {
    let f = common::Open::new("jhdf/globalheaps_test.hdf5");
    let ctx = f.ctx();
    // The attribute's 8 elements (u32 length + heap ID) start at byte 163 of the file;
    // h5dump: "value0" .. "value6", "".
    let raw = ctx.read(163, 8 * 16, "attribute data").unwrap();
    let mut r = Reader::new(&raw, 163, ctx.sizes);
    let mut got = Vec::new();
    for _ in 0..8 {
        let len = r.u32().unwrap();
        let id = GlobalHeapId::decode(&mut r).unwrap();
        let col = GlobalHeapCollection::read(ctx, id.collection_address.unwrap()).unwrap();
        let obj = col.object(id.index).unwrap();
        assert_eq!(obj.len(), len as usize);
        got.push(String::from_utf8(obj.to_vec()).unwrap());
    }
    let expected: Vec<String> = (0..7).map(|i| format!("value{}", i)).chain([String::new()]).collect();
    assert_eq!(got, expected);
    // Collections of 40 bytes (smaller than libhdf5's usual 4096) hold a single object.
    let col = GlobalHeapCollection::read(ctx, 335).unwrap();
    assert_eq!(col.size, 40);
    assert_eq!(col.objects.len(), 1);
    assert!(col.object(0).is_err());
    assert!(col.object(2).is_err());
    assert!(GlobalHeapCollection::read(ctx, 336).is_err());
}

#[test]
fn vlen_dataset_collection() {
    let f = common::Open::new("jhdf/test_vlen_datasets_latest.hdf5");
    let ctx = f.ctx();
    // h5debug 2096: 4096 bytes, 64 objects; object 2 = 01 02, object 3 = 03 04 05,
    // object 6 has 6 bytes, object 64 has 20 bytes at offset 1752.
    let col = GlobalHeapCollection::read(ctx, 2096).unwrap();
    assert_eq!(col.size, 4096);
    assert_eq!(col.objects.len(), 64);
    assert_eq!(col.object(1).unwrap(), &[0]);
    assert_eq!(col.object(2).unwrap(), &[1, 2]);
    assert_eq!(col.object(3).unwrap(), &[3, 4, 5]);
    assert_eq!(col.object(6).unwrap().len(), 6);
    assert_eq!(col.object(64).unwrap().len(), 20);
    let o64 = col.objects.iter().find(|o| o.index == 64).unwrap();
    assert_eq!(o64.address, 2096 + 1752 + 16);
}

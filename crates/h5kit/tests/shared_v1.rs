//! Version 1 shared messages (libhdf5 1.6 and earlier): tests/data/shared_v1/committed_v1.h5
//! (scripts/make_shared_v1_fixture.py) holds datasets whose datatype message is a version 1
//! shared message naming a committed datatype. h5dump 1.10.8 reads them (goldens in
//! tests/golden/data/shared_v1); so does h5kit, with the values h5py wrote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use h5kit::{File, Object, TypeClass};

#[test]
fn committed_datatypes_through_version_1_shared_messages() {
    let path = h5kit_testkit::repo_root().join("tests/data/shared_v1/committed_v1.h5");
    let f = File::open(&path).unwrap();
    let root = f.root().unwrap();
    let Object::Dataset(ints) = root.open("ints").unwrap() else { panic!() };
    assert_eq!(ints.committed_datatype(), Some(800));
    assert!(matches!(ints.datatype().class, TypeClass::Integer { signed: true, .. }));
    let v: Vec<i32> = ints.read::<i32>().unwrap().into_vec();
    assert_eq!(v, (-5..7).collect::<Vec<i32>>());
    let Object::Dataset(pairs) = root.open("pairs").unwrap() else { panic!() };
    assert_eq!(pairs.committed_datatype(), Some(1168));
    let TypeClass::Compound { members } = &pairs.datatype().class else { panic!() };
    assert_eq!(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let raw = pairs.read_raw().unwrap();
    let mut want = Vec::new();
    for (a, b) in [(1i16, 1.5f64), (-2, 2.25)] {
        want.extend(a.to_le_bytes());
        want.extend(b.to_le_bytes());
    }
    assert_eq!(raw, want);
}

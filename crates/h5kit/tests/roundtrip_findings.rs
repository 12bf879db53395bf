//! Findings of the `roundtrip` fuzz target (fuzz/fuzz_targets/roundtrip.rs: write with the
//! public API, read back, compare), fixed and kept here as regression tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit::write::{dtype, DatasetSpec, LibVer};
use h5kit::{File, Object};

fn reopen(f: &File) -> File {
    File::from_bytes(f.to_bytes().unwrap()).unwrap()
}

/// Reproducer `Desc { latest: false, ops: [Group { parent: 0, name: "\0" }] }`: HDF5 names are
/// C strings, so a name with a NUL would read back cut at the NUL ("a\0b" read "a"). Every
/// name the writer stores is now checked.
#[test]
fn names_with_nul_are_refused() {
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let f = File::create_in_memory(libver).unwrap();
        let e = f.create_group("a\0b").unwrap_err();
        assert!(e.to_string().contains("NUL"), "{}", e);
        assert!(f.create_group("x/\0/y").is_err());
        f.create_group("g").unwrap();
        assert!(f.set_attr_str("g", "at\0tr", "v").is_err());
        assert!(f.create_soft_link("s", "/g\0").is_err());
        assert!(f.create_external_link("e", "other\0.h5", "/g").is_err());
        let cmp = dtype::compound(8, vec![("a\0", 0, dtype::int(4, true)), ("b", 4, dtype::int(4, true))]);
        assert!(f.create_dataset("c", DatasetSpec::new(cmp, &[2])).is_err());
        // Nothing half-made: the file still holds just "g", and reads back.
        let back = reopen(&f);
        let names: Vec<String> = back.root().unwrap().links().unwrap().into_iter().map(|l| l.name).collect();
        assert_eq!(names, vec!["g".to_string()], "{:?}", libver);
    }
}

/// Reproducer (minimised): a chunked dataset whose maxshape equals its shape (7,), then
/// `resize(&[0])`. h5py keeps maxshape (7,) (h5dump: `SIMPLE { ( 0 ) / ( 7 ) }`); the writer
/// wrote maxshape (0,), after which the dataset could never grow back.
#[test]
fn resize_keeps_the_creation_maxshape() {
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let f = File::create_in_memory(libver).unwrap();
        let mut spec = DatasetSpec::new(dtype::int(1, false), &[7]);
        spec.chunks = Some(vec![7]);
        f.create_dataset("d", spec).unwrap();
        f.resize("d", &[0]).unwrap();
        let back = reopen(&f);
        let Object::Dataset(d) = back.object("d").unwrap() else { panic!("not a dataset") };
        assert_eq!(d.shape(), &[0]);
        assert_eq!(d.dataspace().max_dims.as_deref(), Some(&[7u64][..]), "{:?}", libver);
        // ... and it grows back to 7, not past.
        f.resize("d", &[7]).unwrap();
        assert!(f.resize("d", &[8]).is_err());
    }
}

//! Virtual datasets (spec IV.A.2.i "Virtual Storage", III.F): reads through same-file and
//! other-file sources, strided, irregular, unlimited and printf-style mappings, missing
//! sources. Fixtures: tests/data/vds/gen_vds.py; expected values are what h5py 3.16
//! (libhdf5 2.0.0) reads (`f[name][()]`).
#![allow(clippy::unwrap_used, clippy::panic)]

use h5kit::vds::{Mapping, RegularDim, Selection};
use h5kit::{File, Hyperslab, Object};

fn path(name: &str) -> String {
    format!("{}/../../tests/data/vds/{}", env!("CARGO_MANIFEST_DIR"), name)
}

fn dataset(file: &File, name: &str) -> h5kit::snapshot::Dataset {
    match file.object(name).unwrap() {
        Object::Dataset(d) => d,
        _ => panic!("{} is not a dataset", name),
    }
}

fn i32s(file: &File, name: &str) -> Vec<i32> {
    let d = dataset(file, name);
    d.read_raw().unwrap().chunks(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

const F: i32 = -1;

fn expected(name: &str) -> Vec<i32> {
    match name {
        "one_d" => vec![1002, 1003, 1004, F, F, 0, 1, 2, 3, 4, F, F, F, F, F, F],
        "two_d" => vec![
            100, 101, 102, 103, 104, 105, 7, 7, 106, 107, 108, 109, 110, 111, 7, 7, 112, 113, 114, 115, 116, 117, 7, 7,
            118, 119, 120, 121, 122, 123, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 9, 7, 7, 7, 7, 7, 13, 14,
            15,
        ],
        "strided" => vec![
            F, F, F, F, F, F, F, F, F, F, F, F, 0, F, 2, F, 4, F, 6, F, 8, F, F, F, 100, 101, 103, 104, F, F, 106, 107,
            109, 110, F, F, 112, 113, 115, 116, F, F, 118, 119, 121, 122, F, F,
        ],
        "irregular" => vec![100, 101, 104, 105, 106, F, F, F, F, F, F, F, F, 107, 110, 111, F, F],
        "missing" => vec![-5; 6],
        "unlimited" => vec![200, F, F, 202, F, F, 204, F, F, 206],
        "printf" => vec![300, 301, 310, 311, 320, 321],
        _ => unreachable!(),
    }
}

const NAMES: [&str; 7] = ["one_d", "two_d", "strided", "irregular", "missing", "unlimited", "printf"];

#[test]
fn reads_match_h5py() {
    for ver in ["earliest", "latest"] {
        let f = File::open(path(&format!("vds_{}.h5", ver))).unwrap();
        for name in NAMES {
            assert_eq!(i32s(&f, name), expected(name), "{} {}", ver, name);
        }
    }
}

#[test]
fn typed_read_and_shape() {
    let f = File::open(path("vds_latest.h5")).unwrap();
    let a = dataset(&f, "two_d").read::<i64>().unwrap();
    assert_eq!(a.shape, vec![7, 8]);
    assert_eq!(a.data[..3], [100, 101, 102]);
    assert_eq!(a.data[46..48], [8, 9]);
}

#[test]
fn selection_read() {
    let f = File::open(path("vds_earliest.h5")).unwrap();
    let d = dataset(&f, "strided");
    // Rows 1..3, every other column from 0: h5py d[1:3, 0:12:2].
    let sel = Hyperslab { start: vec![1, 0], stride: vec![1, 2], count: vec![2, 6], block: vec![1, 1] };
    let raw = d.read_raw_selection(&sel).unwrap();
    let v: Vec<i32> = raw.chunks(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(v, vec![0, 2, 4, 6, 8, F, 100, 103, F, 106, 109, F]);
    let sel = Hyperslab::new(&[3], &[4]);
    let raw = dataset(&f, "one_d").read_raw_selection(&sel).unwrap();
    let v: Vec<i32> = raw.chunks(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    assert_eq!(v, vec![F, F, 0, 1]);
}

#[test]
fn mappings_decoded() {
    let f = File::open(path("vds_latest.h5")).unwrap();
    let m = dataset(&f, "unlimited").virtual_mappings().unwrap();
    assert_eq!(
        m,
        vec![Mapping {
            file: "src_latest.h5".into(),
            dataset: "grow".into(),
            source: Selection::Regular(vec![RegularDim { start: 0, stride: 2, count: h5kit::UNLIMITED, block: 1 }]),
            virtual_selection: Selection::Regular(vec![RegularDim {
                start: 0,
                stride: 3,
                count: h5kit::UNLIMITED,
                block: 1
            }]),
        }]
    );
    let m = dataset(&f, "missing").virtual_mappings().unwrap();
    assert_eq!(m.len(), 3);
    assert_eq!(m[1].source, Selection::None);
    assert_eq!(m[0].file, "no_such_file.h5");
    let m = dataset(&f, "two_d").virtual_mappings().unwrap();
    assert_eq!(m[0].source, Selection::All);
    assert_eq!(m[1].file, ".");
    assert!(dataset(&f, "local").virtual_mappings().unwrap().is_empty());
}

#[test]
fn generated_fixture_and_missing_source_file() {
    // tests/data/generated/vds_*.h5 (gen_fixtures.py): fill -1 in the unmapped tail.
    let g = format!("{}/../../tests/data/generated/vds_latest.h5", env!("CARGO_MANIFEST_DIR"));
    let f = File::open(&g).unwrap();
    assert_eq!(i32s(&f, "vds"), vec![0, 1, 2, 3, 4, 10, 11, 12, 13, 14, 100, 101, 102, 103, -1]);
    // The same file from memory has no directory: the other-file sources are missing, and
    // their parts read as the fill value (as libhdf5 does).
    let f = File::from_bytes(std::fs::read(&g).unwrap()).unwrap();
    let v = i32s(&f, "vds");
    assert_eq!(v[..10], [-1; 10]);
    assert_eq!(v[10..], [100, 101, 102, 103, -1]);
}

#[test]
fn heap_block_versions() {
    // libhdf5 2.0 writes block version 1 (per-mapping flags: shared names, same file) when
    // the lower bound is 2.0 ("latest" is 2.0 in libhdf5 2.0).
    for (ver, want) in [("earliest", 0), ("latest", 1)] {
        let f = File::open(path(&format!("vds_shared_{}.h5", ver))).unwrap();
        assert_eq!(i32s(&f, "shared_names"), vec![0, 1, 8, 9, 1000, 1001, 1010, 1011]);
        let d = dataset(&f, "shared_names");
        let h5kit::Layout::Virtual { heap_address: Some(addr), heap_index } = d.layout().layout else { panic!() };
        let data = f.global_heap_object(addr, heap_index).unwrap();
        let (version, maps) = h5kit::vds::decode_mappings(&data, addr, f.superblock().sizes).unwrap();
        assert_eq!(version, want, "{}", ver);
        let names: Vec<(&str, &str)> = maps.iter().map(|m| (m.file.as_str(), m.dataset.as_str())).collect();
        let src = format!("src_{}.h5", ver);
        assert_eq!(names, vec![(src.as_str(), "a"), (src.as_str(), "a"), (".", "local"), (".", "local")]);
        // Hyperslab selection version 1 (earliest) has only the irregular form (start, end
        // inclusive); later versions flag the regular form.
        let want_sel = if ver == "earliest" {
            Selection::Blocks(vec![(vec![8], vec![9])])
        } else {
            Selection::Regular(vec![RegularDim { start: 8, stride: 1, count: 1, block: 2 }])
        };
        assert_eq!(maps[1].source, want_sel, "{}", ver);
    }
}

#[test]
fn extent_follows_grown_sources() {
    // The sources grew after the virtual datasets were written (gen_vds.py gen_grown): the
    // stored extents (10), (3, 4), (2) are stale; h5py reports (37), (3, 6), (8).
    for ver in ["earliest", "latest"] {
        let f = File::open(path(&format!("vds_grown_{}.h5", ver))).unwrap();
        let d = dataset(&f, "unlimited");
        assert_eq!(d.shape(), [37]);
        let want: Vec<i32> = (0..37).map(|i| if i % 3 == 0 { 200 + 2 * (i / 3) } else { F }).collect();
        assert_eq!(i32s(&f, "unlimited"), want, "{}", ver);
        assert_eq!(dataset(&f, "unlimited_2d").shape(), [3, 6]);
        assert_eq!(
            i32s(&f, "unlimited_2d"),
            vec![F, 500, 501, 502, 503, 504, F, 503, 504, 505, 513, 514, 200, 201, F, F, F, F],
            "{}",
            ver
        );
        // blk0..blk2 exist, blk3 does not (blk4 is not reached)
        assert_eq!(dataset(&f, "printf").shape(), [8]);
        assert_eq!(i32s(&f, "printf"), vec![300, 301, F, 310, 311, F, 320, 321], "{}", ver);
        let a = dataset(&f, "unlimited").read::<i32>().unwrap();
        assert_eq!((a.shape.clone(), a.data.len()), (vec![37], 37));
    }
}

#[test]
fn sources_of_other_numeric_types_are_converted() {
    for ver in ["earliest", "latest"] {
        let f = File::open(path(&format!("vds_convert_{}.h5", ver))).unwrap();
        let raw = dataset(&f, "to_f8").read_raw().unwrap();
        let v: Vec<f64> = raw.chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(v, vec![-3.0, 0.0, 7.0, 2147483647.0, -300.0, 5.0, 32767.0], "{}", ver);
        // big-endian int32 from float64 (clamped, truncated) and big-endian int16
        let raw = dataset(&f, "to_i4be").read_raw().unwrap();
        let v: Vec<i32> = raw.chunks(4).map(|c| i32::from_be_bytes(c.try_into().unwrap())).collect();
        assert_eq!(v, vec![1, -2, i32::MAX, i32::MIN, -300, 5, 32767], "{}", ver);
    }
}

#[test]
fn self_mapping_datasets_end_in_an_error() {
    // libhdf5 recurses until it crashes on these; h5kit stops at a nesting limit.
    let f = File::open(path("hostile/self_reference.bad")).unwrap();
    for name in ["v", "w"] {
        let d = dataset(&f, name);
        let e = d.read_raw().unwrap_err();
        assert!(e.to_string().contains("nested"), "{}: {}", name, e);
    }
}

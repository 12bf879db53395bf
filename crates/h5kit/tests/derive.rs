//! `#[derive(H5Type)]`: a struct with a nested compound, an array member and an enum member
//! written through the dataset builder and as an attribute; h5py reads the same values and
//! types. h5py's own packed compound (other member order and offsets, an extra member) reads
//! back into the struct by member name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::process::Command;

use h5kit::write::LibVer;
use h5kit::{File, FixedString, H5Type, TypeClass};
use h5kit_testkit::oracle;

#[derive(Clone, Copy, Debug, PartialEq, H5Type)]
#[repr(u8)]
enum Level {
    Low = 0,
    Mid = 5,
    High = 10,
}

#[derive(Clone, Copy, Debug, PartialEq, H5Type)]
struct Pos {
    x: f64,
    y: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, H5Type)]
struct Reading {
    id: u32,
    pos: Pos,
    samples: [i16; 3],
    level: Level,
    weight: f64,
}

fn readings() -> Vec<Reading> {
    (0..4u32)
        .map(|i| Reading {
            id: 100 + i,
            pos: Pos { x: i as f64 * 0.5, y: -(i as f32) * 1.25 },
            samples: [i as i16, -(i as i16) * 7, 300],
            level: [Level::Low, Level::Mid, Level::High, Level::Mid][i as usize],
            weight: 2.0f64.powi(i as i32),
        })
        .collect()
}

/// Python's `repr` of `tolist()` of one element as h5py reads it (enums as their values).
fn py_repr(r: &Reading) -> String {
    format!(
        "({}, ({:?}, {:?}), [{}, {}, {}], {}, {:?})",
        r.id, r.pos.x, r.pos.y, r.samples[0], r.samples[1], r.samples[2], r.level as u8, r.weight
    )
}

const H5PY_READ: &str = r#"
import sys, h5py
def tl(v):
    if isinstance(v, tuple): return tuple(tl(x) for x in v)
    if hasattr(v, "tolist"): return v.tolist()
    return v
with h5py.File(sys.argv[1], "r") as f:
    for name in ("readings", "attr"):
        d = f["readings"][()] if name == "readings" else f["readings"].attrs["first_two"]
        print(name, d.dtype.names, d.dtype["pos"].names, d.dtype["samples"].shape, d.dtype["samples"].base.str,
              sorted(h5py.check_enum_dtype(d.dtype["level"]).items(), key=lambda kv: kv[1]))
        for e in d.tolist():
            print(repr(tl(e)).replace("(0.0, -0.0)", "(0.0, 0.0)"))
"#;

#[test]
fn derived_compound_roundtrip_read_by_h5py() {
    let dir = std::env::temp_dir().join(format!("h5kit-derive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("derive.h5");
    let data = readings();
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let f = File::builder().libver(libver).create(&path).unwrap();
        let ds = f.new_dataset::<Reading>().with_data(&data).create("readings").unwrap();
        ds.attrs().set("first_two", &data[..2]).unwrap();
        f.close().unwrap();

        let f = File::open(&path).unwrap();
        let ds = f.dataset("readings").unwrap();
        assert_eq!(ds.read::<Reading>().unwrap().data, data);
        assert_eq!(ds.read_slice::<Reading>(1..3).unwrap().data, data[1..3]);
        assert_eq!(ds.attrs().get::<Vec<Reading>>("first_two").unwrap(), data[..2]);
        let e = ds.read::<u8>().unwrap_err().to_string();
        assert!(e.starts_with("usage error: cannot convert HDF5 H5T_COMPOUND { H5T_STD_U32LE \"id\"; H5T_COMPOUND { H5T_IEEE_F64LE \"x\";"), "{}", e);
        assert!(e.ends_with("H5T_IEEE_F64LE \"weight\"; } data to u8 (object /readings)"), "{}", e);
        let TypeClass::Compound { members } = ds.dtype().unwrap().class else { panic!() };
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["id", "pos", "samples", "level", "weight"]);
        drop(f);

        if oracle::check(oracle::H5PY, 1, "h5py reads a derived compound") {
            let out = Command::new("python3").arg("-c").arg(H5PY_READ).arg(&path).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let header = "('id', 'pos', 'samples', 'level', 'weight') ('x', 'y') (3,) <i2 [('Low', 0), ('Mid', 5), ('High', 10)]";
            let mut want = vec![format!("readings {}", header)];
            want.extend(data.iter().map(py_repr));
            want.push(format!("attr {}", header));
            want.extend(data[..2].iter().map(py_repr));
            let want = want.join("\n").replace("(0.0, -0.0)", "(0.0, 0.0)") + "\n";
            assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
            oracle::compared(oracle::H5PY, 1);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const H5PY_WRITE: &str = r#"
import sys, h5py, numpy as np
level = h5py.enum_dtype({"Low": 0, "Mid": 5, "High": 10}, basetype="u1")
pos = np.dtype([("y", "<f4"), ("x", "<f8")])
dt = np.dtype([("weight", "<f8"), ("level", level), ("note", "<i8"), ("samples", "<i2", (3,)), ("pos", pos), ("id", "<u4")])
a = np.zeros(3, dtype=dt)
for i in range(3):
    a[i] = (1.5 * i, [0, 5, 10][i], 99, (i, 2 * i, 3 * i), (0.25 * i, -4.0 * i), 7 + i)
with h5py.File(sys.argv[1], "w") as f:
    f["packed"] = a
"#;

#[test]
fn h5py_packed_compound_reads_by_member_name() {
    if !oracle::check(oracle::H5PY, 1, "h5py writes a packed compound") {
        return;
    }
    let path = std::env::temp_dir().join(format!("h5kit-derive-h5py-{}.h5", std::process::id()));
    let out = Command::new("python3").arg("-c").arg(H5PY_WRITE).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let f = File::open(&path).unwrap();
    let got = f.dataset("packed").unwrap().read::<Reading>().unwrap().data;
    let want: Vec<Reading> = (0..3u32)
        .map(|i| Reading {
            id: 7 + i,
            pos: Pos { x: -4.0 * i as f64, y: 0.25 * i as f32 },
            samples: [i as i16, 2 * i as i16, 3 * i as i16],
            level: [Level::Low, Level::Mid, Level::High][i as usize],
            weight: 1.5 * i as f64,
        })
        .collect();
    assert_eq!(got, want);
    oracle::compared(oracle::H5PY, 1);
    // A struct whose member the file lacks: a clear error naming both.
    #[derive(Clone, Copy, Debug, H5Type)]
    struct Other {
        missing: i32,
    }
    let e = f.dataset("packed").unwrap().read::<Other>().unwrap_err();
    assert!(e.to_string().starts_with("usage error: cannot convert HDF5 H5T_COMPOUND {"), "{}", e);
    assert!(e.to_string().ends_with("data to Other: no member named \"missing\" (object /packed)"), "{}", e);
    std::fs::remove_file(&path).unwrap();
}

#[derive(Clone, Copy, Debug, PartialEq, H5Type)]
struct Tagged {
    tag: FixedString<6>,
    v: i32,
}

#[test]
fn fixed_length_strings_in_compounds_and_datasets() {
    let path = std::env::temp_dir().join(format!("h5kit-derive-str-{}.h5", std::process::id()));
    let tags = ["apple", "kiwi", "fig"];
    let data: Vec<Tagged> = tags.iter().enumerate().map(|(i, t)| Tagged { tag: FixedString::new(t).unwrap(), v: i as i32 * 10 }).collect();
    let f = File::create(&path).unwrap();
    f.new_dataset::<Tagged>().with_data(&data).create("tagged").unwrap();
    let names: Vec<FixedString<6>> = tags.iter().map(|t| FixedString::new(t).unwrap()).collect();
    f.new_dataset::<FixedString<6>>().with_data(&names).create("names").unwrap();
    f.close().unwrap();
    let f = File::open(&path).unwrap();
    assert_eq!(f.dataset("tagged").unwrap().read::<Tagged>().unwrap().data, data);
    assert_eq!(f.dataset("names").unwrap().read_strings().unwrap(), tags);
    // Truncated to the Rust size, as libhdf5 converts strings.
    let short: Vec<String> = f.dataset("names").unwrap().read::<FixedString<3>>().unwrap().data.iter().map(|s| s.to_string()).collect();
    assert_eq!(short, ["app", "kiw", "fig"]);
    drop(f);
    if oracle::check(oracle::H5PY, 1, "h5py reads fixed-length string members") {
        let script = "import sys, h5py\nwith h5py.File(sys.argv[1]) as f:\n    print(f['tagged'].dtype.descr, f['tagged'][()].tolist(), f['names'][()].tolist())\n";
        let out = Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "[('tag', ('|S6', {'h5py_encoding': 'ascii'})), ('v', '<i4')] [(b'apple', 0), (b'kiwi', 10), (b'fig', 20)] [b'apple', b'kiwi', b'fig']\n"
        );
        oracle::compared(oracle::H5PY, 1);
    }
    std::fs::remove_file(&path).unwrap();
}

//! `#[derive(H5Type)]` with variable-length members: a struct with a nested compound (itself
//! holding a string), a fixed-size array, an enum, a variable-length UTF-8 `String`, a
//! `FixedString` and `VarLen<T>` sequences, written as a dataset (both file formats) and as an
//! attribute, read back by h5kit and by h5py with the same values and member types; `String`
//! and `VarLen<T>` as whole dataset and attribute elements too; h5py's compound with string and
//! sequence members (another member order, an extra member) read into a struct by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::process::Command;

use h5kit::write::LibVer;
use h5kit::{File, FixedString, H5Type, TypeClass, VarLen};
use h5kit_testkit::oracle;

#[derive(Clone, Copy, Debug, PartialEq, H5Type)]
#[repr(i16)]
enum Kind {
    Fruit = 1,
    Vegetable = -2,
}

#[derive(Clone, Debug, PartialEq, H5Type)]
struct Origin {
    country: String,
    lat: f32,
}

#[derive(Clone, Debug, PartialEq, H5Type)]
struct Item {
    id: u16,
    name: String,
    code: FixedString<4>,
    origin: Origin,
    sizes: [f64; 2],
    kind: Kind,
    stock: VarLen<i32>,
    pairs: VarLen<[u8; 2]>,
}

fn items() -> Vec<Item> {
    let names = ["apple", "", "Käse", "leek"];
    let countries = ["NZ", "Ελλάδα", "", "FR"];
    (0..4usize)
        .map(|i| Item {
            id: 10 + i as u16,
            name: names[i].to_string(),
            code: FixedString::new(&format!("c{}", i)).unwrap(),
            origin: Origin { country: countries[i].to_string(), lat: -45.5 + 10.0 * i as f32 },
            sizes: [i as f64 * 0.25, -(i as f64)],
            kind: if i % 2 == 0 { Kind::Fruit } else { Kind::Vegetable },
            stock: VarLen((0..i as i32).map(|k| k * 100 - 7).collect()),
            pairs: VarLen((0..(3 - i) as u8).map(|k| [k, 255 - k]).collect()),
        })
        .collect()
}

/// Python's `repr` of the element as the h5py script below normalizes it (bytes decoded,
/// arrays and sequences as lists, enums as their values).
fn py_repr(e: &Item) -> String {
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    format!(
        "({}, '{}', '{}', ('{}', {:?}), [{:?}, {:?}], {}, {}, {})",
        e.id,
        e.name,
        e.code,
        e.origin.country,
        e.origin.lat,
        e.sizes[0],
        e.sizes[1],
        e.kind as i16,
        list(&e.stock.0.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
        list(&e.pairs.0.iter().map(|p| format!("[{}, {}]", p[0], p[1])).collect::<Vec<_>>()),
    )
}

const H5PY_READ: &str = r#"
import sys, h5py, numpy as np
def norm(v):
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, np.ndarray): return [norm(x) for x in v.tolist()] if v.dtype != object else [norm(x) for x in v]
    if isinstance(v, (tuple, np.void)): return tuple(norm(x) for x in v)
    if isinstance(v, list): return [norm(x) for x in v]
    if hasattr(v, "item"): return v.item()
    return v
def describe(dt):
    out = []
    for n in dt.names:
        m = dt[n]
        s, vl, en = h5py.check_string_dtype(m), h5py.check_vlen_dtype(m), h5py.check_enum_dtype(m)
        if m.names: out.append("%s:compound(%s)" % (n, describe(m)))
        elif s is not None: out.append("%s:str(%s,%s)" % (n, s.encoding, s.length))
        elif vl is not None: out.append("%s:vlen(%s)" % (n, vl.str if vl.names is None and vl.subdtype is None else vl.descr))
        elif en is not None: out.append("%s:enum(%s,%s)" % (n, m.str, sorted(en.items(), key=lambda kv: kv[1])))
        elif m.subdtype is not None: out.append("%s:array(%s,%s)" % (n, m.subdtype[0].str, m.subdtype[1]))
        else: out.append("%s:%s" % (n, m.str))
    return " ".join(out)
with h5py.File(sys.argv[1], "r") as f:
    for name, d in (("items", f["items"][()]), ("attr", f["items"].attrs["first_two"])):
        print(name, describe(d.dtype))
        for e in d:
            print(repr(norm(e)))
    print("names", [norm(x) for x in f["names"][()]], h5py.check_string_dtype(f["names"].dtype))
    print("ragged", [norm(x) for x in f["ragged"][()]], h5py.check_vlen_dtype(f["ragged"].dtype))
    print("labels", [norm(x) for x in f.attrs["labels"]])
"#;

const HEADER: &str = "id:<u2 name:str(utf-8,None) code:str(ascii,4) origin:compound(country:str(utf-8,None) lat:<f4) \
sizes:array(<f8,(2,)) kind:enum(<i2,[('Vegetable', -2), ('Fruit', 1)]) stock:vlen(<i4) pairs:vlen([('', '|V2')])";

#[test]
fn derived_struct_with_vlen_members_roundtrip_read_by_h5py() {
    let dir = std::env::temp_dir().join(format!("h5kit-derive-vlen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("items.h5");
    let data = items();
    let names: Vec<String> = ["α", "", "longer name"].iter().map(|s| s.to_string()).collect();
    let ragged = [VarLen(vec![1i64, -2, 3]), VarLen(vec![]), VarLen(vec![i64::MAX])];
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let f = File::builder().libver(libver).create(&path).unwrap();
        let ds = f.new_dataset::<Item>().with_data(&data).create("items").unwrap();
        ds.attrs().set("first_two", &data[..2]).unwrap();
        f.new_dataset::<String>().with_data(&names).create("names").unwrap();
        f.new_dataset::<VarLen<i64>>().with_data(&ragged).create("ragged").unwrap();
        f.attrs().set("labels", &names).unwrap();
        // Read through the live handles before the file is closed...
        assert_eq!(ds.read::<Item>().unwrap().data, data);
        f.close().unwrap();

        // ... and after it is reopened.
        let f = File::open(&path).unwrap();
        let ds = f.dataset("items").unwrap();
        assert_eq!(ds.read::<Item>().unwrap().data, data, "{:?}", libver);
        assert_eq!(ds.read_slice::<Item>(1..3).unwrap().data, data[1..3]);
        assert_eq!(ds.attrs().get::<Vec<Item>>("first_two").unwrap(), data[..2]);
        assert_eq!(f.dataset("names").unwrap().read::<String>().unwrap().data, names);
        assert_eq!(f.dataset("names").unwrap().read_strings().unwrap(), names);
        assert_eq!(f.dataset("ragged").unwrap().read::<VarLen<i64>>().unwrap().data, ragged);
        assert_eq!(f.attrs().get::<Vec<String>>("labels").unwrap(), names);
        let TypeClass::Compound { members } = ds.dtype().unwrap().class else { panic!() };
        let kinds: Vec<(&str, bool)> =
            members.iter().map(|m| (m.name.as_str(), matches!(m.datatype.class, TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. }))).collect();
        assert_eq!(
            kinds,
            [("id", false), ("name", true), ("code", false), ("origin", false), ("sizes", false), ("kind", false), ("stock", true), ("pairs", true)]
        );
        // A variable-length member read as a number: a clear error, not garbage.
        #[derive(Clone, Debug, H5Type)]
        struct Wrong {
            stock: i32,
        }
        let e = ds.read::<Wrong>().unwrap_err().to_string();
        assert!(e.contains("cannot convert HDF5 H5T_VLEN { H5T_STD_I32LE } data to i32") || e.contains("H5T_VLEN"), "{}", e);
        drop(f);

        if oracle::check(oracle::H5PY, 1, "h5py reads a derived compound with variable-length members") {
            let out = Command::new("python3").arg("-c").arg(H5PY_READ).arg(&path).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let mut want = vec![format!("items {}", HEADER)];
            want.extend(data.iter().map(py_repr));
            want.push(format!("attr {}", HEADER));
            want.extend(data[..2].iter().map(py_repr));
            want.push("names ['α', '', 'longer name'] string_info(encoding='utf-8', length=None)".into());
            want.push(format!("ragged [[1, -2, 3], [], [{}]] int64", i64::MAX));
            want.push("labels ['α', '', 'longer name']".into());
            assert_eq!(String::from_utf8(out.stdout).unwrap(), want.join("\n") + "\n", "{:?}", libver);
            oracle::compared(oracle::H5PY, 1);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

const H5PY_WRITE: &str = r#"
import sys, h5py, numpy as np
kind = h5py.enum_dtype({"Fruit": 1, "Vegetable": -2}, basetype="<i2")
origin = np.dtype([("lat", "<f4"), ("country", h5py.string_dtype())])
dt = np.dtype([("stock", h5py.vlen_dtype(np.int32)), ("kind", kind), ("origin", origin), ("name", h5py.string_dtype()),
               ("sizes", "<f8", (2,)), ("code", "S4"), ("extra", "<i8"), ("id", "<u2")])
a = np.zeros(2, dtype=dt)
a[0] = (np.array([5, 6], dtype=np.int32), -2, (1.5, "Ísland"), "skyr", (0.5, 1.0), b"ab", 99, 3)
a[1] = (np.array([], dtype=np.int32), 1, (-0.25, ""), "", (2.0, -3.0), b"wxyz", 99, 4)
with h5py.File(sys.argv[1], "w") as f:
    f["items"] = a
"#;

/// [`Item`] without the sequence of arrays (h5py cannot write one).
#[derive(Clone, Debug, PartialEq, H5Type)]
struct Sub {
    id: u16,
    name: String,
    code: FixedString<4>,
    origin: Origin,
    sizes: [f64; 2],
    kind: Kind,
    stock: VarLen<i32>,
}

#[test]
fn h5py_compound_with_vlen_members_reads_by_name() {
    if !oracle::check(oracle::H5PY, 1, "h5py writes a compound with variable-length members") {
        return;
    }
    let path = std::env::temp_dir().join(format!("h5kit-derive-vlen-h5py-{}.h5", std::process::id()));
    let out = Command::new("python3").arg("-c").arg(H5PY_WRITE).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let f = File::open(&path).unwrap();
    let got = f.dataset("items").unwrap().read::<Sub>().unwrap().data;
    let want = vec![
        Sub {
            id: 3,
            name: "skyr".into(),
            code: FixedString::new("ab").unwrap(),
            origin: Origin { country: "Ísland".into(), lat: 1.5 },
            sizes: [0.5, 1.0],
            kind: Kind::Vegetable,
            stock: VarLen(vec![5, 6]),
        },
        Sub {
            id: 4,
            name: String::new(),
            code: FixedString::new("wxyz").unwrap(),
            origin: Origin { country: String::new(), lat: -0.25 },
            sizes: [2.0, -3.0],
            kind: Kind::Fruit,
            stock: VarLen(vec![]),
        },
    ];
    assert_eq!(got, want);
    oracle::compared(oracle::H5PY, 1);
    std::fs::remove_file(&path).unwrap();
}

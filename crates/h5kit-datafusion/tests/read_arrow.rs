//! `Dataset::read_arrow` (h5kit's `arrow` feature) against h5py's values, for every type it
//! supports: tests/data/types.h5 (written by h5py, `oracle.py types`) and h5py's reading of
//! it (`oracle.py dump`, types.txt) without python; with python also a freshly written file.

use std::path::{Path, PathBuf};
use std::process::Command;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type, Int32Type};
use h5kit::ErrorKind;
use h5kit_testkit::oracle;

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn python(args: &[&str]) -> String {
    let out = Command::new("python3").arg(tests_dir().join("oracle.py")).args(args).output().unwrap();
    assert!(out.status.success(), "oracle.py {:?}: {}", args, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{:02x}", b)).collect()
}

/// An Arrow array's values as oracle.py's dump prints h5py's (floats compared by value).
fn values(a: &ArrayRef) -> Vec<String> {
    let n = a.len();
    match a.data_type() {
        DataType::Float32 => a.as_primitive::<Float32Type>().values().iter().map(|v| format!("{:?}", *v as f64)).collect(),
        DataType::Float64 => a.as_primitive::<Float64Type>().values().iter().map(|v| format!("{:?}", v)).collect(),
        DataType::Utf8 => a.as_string::<i32>().iter().map(|v| hex(v.unwrap().as_bytes())).collect(),
        DataType::Binary => a.as_binary::<i32>().iter().map(|v| hex(v.unwrap())).collect(),
        DataType::Dictionary(..) => {
            let d = a.as_dictionary::<Int32Type>();
            let names = d.values().as_string::<i32>();
            d.keys().iter().map(|k| names.value(k.unwrap() as usize).to_string()).collect()
        }
        _ => {
            let s = datafusion::arrow::compute::cast(a, &DataType::Decimal128(38, 0)).unwrap();
            let d = s.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
            (0..n).map(|i| d.value(i).to_string()).collect()
        }
    }
}

/// The array at `name` (`dataset` or `dataset.member.member`).
fn lookup(f: &h5kit::File, name: &str) -> ArrayRef {
    let mut parts = name.split('.');
    let mut a = f.dataset(parts.next().unwrap()).unwrap().read_arrow().unwrap();
    for m in parts {
        let s: &StructArray = a.as_struct();
        a = s.column_by_name(m).unwrap_or_else(|| panic!("no member {} in {}", m, name)).clone();
    }
    a
}

/// Compares every dump line with our read; returns the number of values compared.
fn compare(file: &Path, dump: &str) -> usize {
    let f = h5kit::File::open(file).unwrap();
    let mut n = 0;
    for line in dump.lines() {
        let mut fields = line.split('\t');
        let name = fields.next().unwrap();
        let theirs: Vec<&str> = fields.collect();
        let a = lookup(&f, name);
        let ours = values(&a);
        assert_eq!(ours.len(), theirs.len(), "{}: lengths", name);
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            if matches!(a.data_type(), DataType::Float32 | DataType::Float64) {
                let (x, y): (f64, f64) = (o.parse().unwrap(), t.parse().unwrap());
                assert_eq!(x.to_bits(), y.to_bits(), "{}[{}]: {} vs h5py {}", name, i, o, t);
            } else {
                assert_eq!(o, t, "{}[{}] ({})", name, i, a.data_type());
            }
        }
        n += ours.len();
    }
    n
}

#[test]
fn read_arrow_gives_h5py_values_golden() {
    let dump = std::fs::read_to_string(tests_dir().join("data/types.txt")).unwrap();
    let n = compare(&tests_dir().join("data/types.h5"), &dump);
    assert!(n > 1000, "{} values", n);
    // The Arrow types, one per HDF5 type class.
    let f = h5kit::File::open(tests_dir().join("data/types.h5")).unwrap();
    let t = |p: &str| f.dataset(p).unwrap().read_arrow().unwrap().data_type().clone();
    assert_eq!(t("int_le_u1"), DataType::UInt8);
    assert_eq!(t("int_be_i2"), DataType::Int16);
    assert_eq!(t("int_be_u4"), DataType::UInt32);
    assert_eq!(t("int_le_i8"), DataType::Int64);
    assert_eq!(t("f2"), DataType::Float32);
    assert_eq!(t("f8_be"), DataType::Float64);
    assert_eq!(t("s_nullpad"), DataType::Utf8);
    assert_eq!(t("vs_utf8"), DataType::Utf8);
    assert_eq!(t("s_latin1"), DataType::Binary, "bytes that are not UTF-8 stay bytes");
    assert_eq!(t("enum"), DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)));
    assert!(matches!(t("compound"), DataType::Struct(ref fs) if fs.len() == 6));
    // What the schema says is what the read gives (strings aside, which may be Binary).
    for p in ["int_le_i1", "f4", "enum", "compound", "vs_chunked"] {
        let ds = f.dataset(p).unwrap();
        assert_eq!(h5kit::arrow::data_type(&ds.dtype().unwrap()).unwrap(), t(p), "{}", p);
    }
}

#[test]
fn read_arrow_gives_h5py_values_fresh_file() {
    if !oracle::check(oracle::H5PY, 1, "read_arrow vs h5py on a freshly written file") {
        return;
    }
    let path = h5kit_testkit::temp_path("datafusion", "types.h5");
    python(&["types", path.to_str().unwrap()]);
    let dump = python(&["dump", path.to_str().unwrap()]);
    // The golden dump is h5py's reading of the checked-in file.
    let golden = python(&["dump", tests_dir().join("data/types.h5").to_str().unwrap()]);
    assert_eq!(golden, std::fs::read_to_string(tests_dir().join("data/types.txt")).unwrap(), "tests/data/types.txt is stale");
    let n = compare(&path, &dump);
    oracle::compared(oracle::H5PY, n as u64);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn read_arrow_slice_reads_a_row_range() {
    let f = h5kit::File::open(tests_dir().join("data/types.h5")).unwrap();
    for name in ["f8_chunked", "vs_chunked", "int_le_i4", "compound"] {
        let ds = f.dataset(name).unwrap();
        let all = ds.read_arrow().unwrap();
        let n = all.len() as u64;
        for (start, len) in [(0, n), (1, n - 2), (n / 2, 1), (n, 0), (n / 3, n / 3)] {
            let part = ds.read_arrow_slice(start, len).unwrap();
            assert_eq!(part.as_ref(), all.slice(start as usize, len as usize).as_ref(), "{} [{}, +{})", name, start, len);
        }
        let err = ds.read_arrow_slice(n - 1, 2).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Usage, "{}", err);
        assert!(err.to_string().contains(name), "{}", err);
    }
}

#[test]
fn unsupported_types_name_the_type_and_path() {
    let f = h5kit::File::open(tests_dir().join("data/types.h5")).unwrap();
    for (name, ty) in [("unsupported_array", "H5T_ARRAY"), ("unsupported_ref", "H5T_REFERENCE")] {
        let err = f.dataset(name).unwrap().read_arrow().unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unsupported, "{}", err);
        let msg = err.to_string();
        assert!(msg.contains(ty) && msg.contains(&format!("/{}", name)), "{}", msg);
    }
    // Only 1-D datasets are columns.
    let f = h5kit::File::open(tests_dir().join("data/table/part00.h5")).unwrap();
    let err = f.dataset("grid").unwrap().read_arrow().unwrap_err();
    assert_eq!(err.kind, ErrorKind::Usage, "{}", err);
    assert!(err.to_string().contains("1-D") && err.to_string().contains("/grid"), "{}", err);
}

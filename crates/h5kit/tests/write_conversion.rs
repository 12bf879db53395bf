//! `File::write::<T>` into a dataset of another numeric type stores the values converted as
//! h5py (libhdf5's hard conversions) converts a numpy array of another dtype, never the bits
//! of `T`; compared with what h5py itself writes when it is installed, and with the values
//! h5py 3.16 / libhdf5 2.x wrote on this project's machine otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::process::Command;

use h5kit::write::{dtype, DatasetSpec};
use h5kit::{File, Object};

fn read_f64(f: &File, ds: &str) -> Vec<f64> {
    match f.object(ds).unwrap() {
        Object::Dataset(d) => d.read::<f64>().unwrap().data,
        o => panic!("{:?}", o),
    }
}

/// What h5py wrote for the same values (`[2.9, -2.9, nan, 1e30, -1e30, 40000]` into int16,
/// `[-5, 70000, 3]` into uint16, `[0.1, 1e300, -1e300]` into float32), printed by h5py as
/// float64 lists; `None` when h5py is absent.
fn h5py_reference() -> Option<String> {
    let script = r#"
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    f.create_dataset('i16', (6,), dtype='i2')[...] = np.array([2.9, -2.9, np.nan, 1e30, -1e30, 40000.0])
    f.create_dataset('u16', (3,), dtype='u2')[...] = np.array([-5, 70000, 3], dtype='i8')
    f.create_dataset('f32', (3,), dtype='f4')[...] = np.array([0.1, 1e300, -1e300])
    for k in ('i16', 'u16', 'f32'):
        print(k, [float(x) for x in f[k][...]])
"#;
    if !h5kit_testkit::oracle::check(h5kit_testkit::oracle::H5PY, 1, "h5py's own conversions") {
        return None;
    }
    let path = std::env::temp_dir().join(format!("h5kit-conv-h5py-{}.h5", std::process::id()));
    let out = Command::new("python3").args(["-c", script]).arg(&path).output().unwrap();
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    h5kit_testkit::oracle::compared(h5kit_testkit::oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn numeric_writes_convert_as_h5py_does() {
    let path = std::env::temp_dir().join(format!("h5kit-conv-{}.h5", std::process::id()));
    let f = File::open_with_mode(&path, "w").unwrap();
    f.create_dataset("/i16", DatasetSpec::new(dtype::int(2, true), &[6])).unwrap();
    f.write("/i16", &[2.9f64, -2.9, f64::NAN, 1e30, -1e30, 40000.0]).unwrap();
    f.create_dataset("/u16", DatasetSpec::new(dtype::int(2, false), &[3])).unwrap();
    f.write_slice("/u16", &[0], &[3], &[-5i64, 70000, 3]).unwrap();
    f.create_dataset("/f32", DatasetSpec::new(dtype::float32(), &[3])).unwrap();
    f.write("/f32", &[0.1f64, 1e300, -1e300]).unwrap();
    f.close().unwrap();

    let g = File::open(&path).unwrap();
    let (i16v, u16v, f32v) = (read_f64(&g, "/i16"), read_f64(&g, "/u16"), read_f64(&g, "/f32"));
    assert_eq!(i16v, vec![2.0, -2.0, 0.0, 32767.0, -32768.0, 32767.0]);
    assert_eq!(u16v, vec![0.0, 65535.0, 3.0]);
    assert_eq!(f32v, vec![0.1f32 as f64, f64::INFINITY, f64::NEG_INFINITY]);
    let ours = format!(
        "i16 {:?}\nu16 {:?}\nf32 {:?}\n",
        i16v,
        u16v,
        f32v.iter().map(|x| if x.is_infinite() { format!("{}inf", if *x < 0.0 { "-" } else { "" }) } else { format!("{:?}", x) }).collect::<Vec<_>>()
    );
    let recorded = "i16 [2.0, -2.0, 0.0, 32767.0, -32768.0, 32767.0]\nu16 [0.0, 65535.0, 3.0]\nf32 [0.10000000149011612, inf, -inf]\n";
    let normalize = |s: &str| s.replace('"', "");
    assert_eq!(normalize(&ours), recorded);
    if let Some(live) = h5py_reference() {
        assert_eq!(live, recorded, "h5py's conversions differ from the recorded ones");
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn numbers_into_a_string_dataset_are_refused_at_the_call() {
    let f = File::create_in_memory(h5kit::write::LibVer::Earliest).unwrap();
    let s = dtype::fixed_string(4, h5kit::StringPadding::NullPad, h5kit::CharacterSet::Ascii);
    f.create_dataset("/s", DatasetSpec::new(s, &[2])).unwrap();
    let e = f.write("/s", &[1i32, 2]).unwrap_err();
    assert!(e.message.contains("cannot write i32 values into a dataset of HDF5 type H5T_STRING { STRSIZE 4; }"), "{}", e);
    // The file is still good: a later write of the right kind works.
    f.write_raw("/s", b"abcdefgh").unwrap();
    assert!(f.to_bytes().unwrap().starts_with(b"\x89HDF"));
}

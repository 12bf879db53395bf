//! File modes and writing through the public API, checked with our reader and, when
//! installed, with libhdf5 through h5py and h5dump.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{dtype, DatasetSpec};
use h5kit::{File, Object, UNLIMITED};
use h5kit_testkit::oracle;

fn tmp(name: &str) -> PathBuf {
    h5kit_testkit::temp_path("modes", name)
}

/// Whether h5py is installed (when not: the check is recorded as skipped; under
/// `H5KIT_REQUIRE_ORACLES=1` the test fails).
fn have_h5py() -> bool {
    oracle::check(oracle::H5PY, 1, "libhdf5 (h5py) reads the file")
}

/// Runs python with h5py; returns stdout.
fn h5py(script: &str) -> String {
    let out = Command::new("python3").args(["-c", script]).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    String::from_utf8(out.stdout).unwrap()
}

fn read_f64(path: &Path, ds: &str) -> Vec<f64> {
    let f = File::open(path).unwrap();
    match f.object(ds).unwrap() {
        Object::Dataset(d) => d.read::<f64>().unwrap().data,
        o => panic!("{:?}", o),
    }
}

#[test]
fn mode_strings() {
    for (s, ok) in [("r", true), ("r+", true), ("w", true), ("w-", true), ("x", true), ("a", true), ("rw", false)] {
        assert_eq!(s.parse::<h5kit::Mode>().is_ok(), ok, "{}", s);
    }
}

#[test]
fn create_write_reopen() {
    let p = tmp("create.h5");
    let f = File::create(&p).unwrap();
    f.create_group("/grp/sub").unwrap();
    f.write_new("/grp/data", &[2, 3], &[1.5f64, 2.5, 3.5, 4.5, 5.5, 6.5]).unwrap();
    f.set_attr_str("/grp", "label", "hello").unwrap();
    f.set_attr("/grp/data", "scale", None, &[0.5f32]).unwrap();
    // Reads see the writes before any flush.
    match f.object("/grp/data").unwrap() {
        Object::Dataset(d) => assert_eq!(d.read::<f64>().unwrap().data, vec![1.5, 2.5, 3.5, 4.5, 5.5, 6.5]),
        o => panic!("{:?}", o),
    }
    // The classic mistakes.
    let e = f.create_group("/grp").unwrap_err();
    assert!(e.message.contains("already exists"), "{}", e);
    let e = f.resize("/grp/data", &[4, 3]).unwrap_err();
    assert!(e.message.contains("only chunked datasets can be resized"), "{}", e);
    f.close().unwrap();

    assert_eq!(read_f64(&p, "/grp/data"), vec![1.5, 2.5, 3.5, 4.5, 5.5, 6.5]);
    // w- refuses an existing file; r refuses writes.
    assert!(File::open_with_mode(&p, "w-").is_err());
    assert!(File::open_with_mode(&p, "x").is_err());
    let r = File::open_with_mode(&p, "r").unwrap();
    let e = r.create_group("/other").unwrap_err();
    assert!(e.message.contains("read-only"), "{}", e);
    assert!(File::open_with_mode(tmp("missing.h5"), "r+").is_err());

    if have_h5py() {
        let out = h5py(&format!(
            "import h5py\nf=h5py.File({:?},'r')\nprint(f['grp/data'][...].tolist(), f['grp'].attrs['label'], float(f['grp/data'].attrs['scale']), list(f['grp'].keys()))",
            p.display().to_string()
        ));
        assert_eq!(out.trim(), "[[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]] hello 0.5 ['data', 'sub']");
    }
}

/// The h5py tutorial's append pattern: a resizable dataset grown one row at a time.
#[test]
fn append_rows_by_resizing() {
    let p = tmp("append.h5");
    let f = File::open_with_mode(&p, "w").unwrap();
    let mut spec = DatasetSpec::new(dtype::float32(), &[0, 4]);
    spec.maxshape = Some(vec![UNLIMITED, 4]);
    spec.chunks = Some(vec![16, 4]);
    f.create_dataset("/rows", spec).unwrap();
    for i in 0..50u64 {
        f.resize("/rows", &[i + 1, 4]).unwrap();
        let row: Vec<f32> = (0..4).map(|j| (i * 4 + j) as f32).collect();
        f.write_slice("/rows", &[i, 0], &[1, 4], &row).unwrap();
    }
    let e = f.resize("/rows", &[10, 5]).unwrap_err();
    assert!(e.message.contains("maxshape") || e.message.contains("max"), "{}", e);
    f.close().unwrap();
    let v = read_f64(&p, "/rows");
    assert_eq!(v, (0..200).map(|x| x as f64).collect::<Vec<_>>());
    if have_h5py() {
        let out = h5py(&format!(
            "import h5py\nf=h5py.File({:?},'r')\nd=f['rows']\nprint(d.shape, d.maxshape, d.chunks, float(d[49,3]))",
            p.display().to_string()
        ));
        assert_eq!(out.trim(), "(50, 4) (None, 4) (16, 4) 199.0");
    }
}

/// A file libhdf5 wrote, opened in `a` mode, changed, and read back by libhdf5 with its old
/// content intact.
#[test]
fn append_mode_on_a_libhdf5_file() {
    let src = h5kit_testkit::interop("pyfive/latest.hdf5").to_string_lossy().into_owned();
    assert!(Path::new(&src).exists(), "{} is missing", src);
    let p = tmp("latest_a.h5");
    std::fs::copy(&src, &p).unwrap();
    let f = File::open_with_mode(&p, "a").unwrap();
    f.write_new("/group1/added", &[3], &[7i32, 8, 9]).unwrap();
    f.set_attr("/", "added_attr", None, &[42i64]).unwrap();
    f.delete_attr("/", "attr1").unwrap();
    f.close().unwrap();
    let r = File::open(&p).unwrap();
    match r.object("/group1/added").unwrap() {
        Object::Dataset(d) => assert_eq!(d.read::<i32>().unwrap().data, vec![7, 8, 9]),
        o => panic!("{:?}", o),
    }
    let names: Vec<String> = r.root().unwrap().attributes().unwrap().into_iter().map(|a| a.name).collect();
    assert_eq!(names, vec!["added_attr".to_string()]);
    if have_h5py() {
        let out = h5py(&format!(
            "import h5py\nf=h5py.File({:?},'r')\nprint(f['dataset1'][...].tolist(), f['group1/dataset2'][...].tolist(), f['group1/added'][...].tolist(), int(f.attrs['added_attr']), int(f['dataset1'].attrs['attr2']))",
            p.display().to_string()
        ));
        // The original values (h5dump of pyfive/latest.hdf5) and the additions.
        let orig = h5py(&format!(
            "import h5py\nf=h5py.File({:?},'r')\nprint(f['dataset1'][...].tolist(), f['group1/dataset2'][...].tolist())",
            src
        ));
        assert!(out.trim().starts_with(orig.trim()), "{} vs {}", out, orig);
        assert!(out.trim().ends_with("[7, 8, 9] 42 130"), "{}", out);
    }
}

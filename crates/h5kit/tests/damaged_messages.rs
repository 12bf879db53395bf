//! A damaged or unknown header message does what it does in libhdf5
//! (tests/data/damaged, scripts/make_damaged_fixtures.py; h5dump goldens in
//! tests/golden/data/damaged):
//! - a damaged attribute message: the dataset opens and its data reads; `attributes()` is an
//!   error naming the object and the message (attributes are decoded when read);
//! - an unknown message type with flags 0 is ignored; with bit 7 ("fail if unknown always")
//!   the object is refused.
//!
//! With h5py installed, libhdf5 is checked to behave the same on the same files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

use h5kit::{File, Object};
use h5kit_testkit::oracle;

fn dir() -> std::path::PathBuf {
    h5kit_testkit::repo_root().join("tests/data/damaged")
}

#[test]
fn damaged_attribute_hides_only_the_attributes() {
    let f = File::open(dir().join("bad_attribute.h5")).unwrap();
    let Object::Dataset(d) = f.root().unwrap().open("d").unwrap() else { panic!() };
    assert_eq!(d.read::<i32>().unwrap().into_vec(), (0..12).collect::<Vec<i32>>());
    let e = d.attributes().unwrap_err().to_string();
    assert!(e.contains("attribute message version 7") && e.contains("/d"), "{}", e);
    // The object and its siblings are still listed and opened through the group.
    assert_eq!(f.root().unwrap().keys().unwrap(), ["d"]);
}

#[test]
fn fail_if_unknown_flag_refuses_the_object() {
    let f = File::open(dir().join("fail_if_unknown.h5")).unwrap();
    let root = f.root().unwrap();
    for name in ["plain", "unknown_ok"] {
        let Object::Dataset(d) = root.open(name).unwrap() else { panic!() };
        assert_eq!(d.read::<i32>().unwrap().into_vec(), [0, 1, 2, 3], "{}", name);
    }
    let e = root.open("unknown_fail").unwrap_err().to_string();
    assert!(e.contains("0x00c8") && e.contains("fail if unknown") && e.contains("unknown_fail"), "{}", e);
    // "Fail if unknown and open for write": read here, refused by the on-disk writer.
    let Object::Dataset(d) = root.open("unknown_write").unwrap() else { panic!() };
    assert_eq!(d.read::<i32>().unwrap().into_vec(), [0, 1, 2, 3]);
}

#[test]
#[cfg(not(target_family = "wasm"))] // a temporary file: no temporary directory under WASI
fn fail_if_unknown_for_write_refuses_edits() {
    use std::sync::Arc;
    let tmp = std::env::temp_dir().join(format!("h5kit-fail-unknown-{}.h5", std::process::id()));
    std::fs::copy(dir().join("fail_if_unknown.h5"), &tmp).unwrap();
    let storage: Arc<dyn h5kit_core::WritableStorage> = Arc::new(h5kit_core::WritableFile::open(&tmp).unwrap());
    let mut ed = h5kit::write::edit::Editor::open(storage, h5kit::Limits::default()).unwrap();
    let e = ed.write_dataset("/unknown_write", &[9u8; 16]).unwrap_err().to_string();
    assert!(e.contains("0x00c8") && e.contains("open for write"), "{}", e);
    let e = ed.set_attribute("/unknown_fail", "x", h5kit::write::dtype::int(4, true), None, &[1, 0, 0, 0]).unwrap_err().to_string();
    assert!(e.contains("fail if unknown"), "{}", e);
    // Other objects are still edited.
    ed.write_dataset("/plain", &[7u8; 16]).unwrap();
    ed.flush().unwrap();
    drop(ed);
    let f = File::open(&tmp).unwrap();
    let Object::Dataset(d) = f.root().unwrap().open("plain").unwrap() else { panic!() };
    assert_eq!(d.read_raw().unwrap(), vec![7u8; 16]);
    let Object::Dataset(d) = f.root().unwrap().open("unknown_write").unwrap() else { panic!() };
    assert_eq!(d.read::<i32>().unwrap().into_vec(), [0, 1, 2, 3]);
    let _ = std::fs::remove_file(&tmp);
}

#[test]
fn libhdf5_behaves_the_same() {
    if !oracle::check(oracle::H5PY, 1, "h5py on the damaged-message files") {
        return;
    }
    const SCRIPT: &str = r#"
import sys, h5py, numpy as np
d = sys.argv[1]
g = h5py.File(d + "/bad_attribute.h5", "r")
assert (g["d"][()] == np.arange(12).reshape(3, 4)).all()
try:
    dict(g["d"].attrs)
    raise SystemExit("attributes read")
except (OSError, RuntimeError, KeyError):
    pass
f = h5py.File(d + "/fail_if_unknown.h5", "r")
assert list(f["plain"][()]) == [0, 1, 2, 3] and list(f["unknown_ok"][()]) == [0, 1, 2, 3]
assert list(f["unknown_write"][()]) == [0, 1, 2, 3]
try:
    f["unknown_fail"]
    raise SystemExit("unknown_fail opened")
except (OSError, KeyError) as e:
    assert "fail if unknown" in str(e), e
import shutil, tempfile
t = tempfile.mktemp(suffix=".h5")
shutil.copy(d + "/fail_if_unknown.h5", t)
w = h5py.File(t, "r+")
try:
    w["unknown_write"]
    raise SystemExit("unknown_write opened for write")
except (OSError, KeyError) as e:
    assert "fail if unknown" in str(e), e
print("ok")
"#;
    let o = Command::new("python3").args(["-c", SCRIPT]).arg(dir()).output().unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    oracle::compared(oracle::H5PY, 3);
}

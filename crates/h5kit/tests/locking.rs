//! File locking as libhdf5 does it: a writer holds an exclusive lock, so a second writer (h5kit
//! or libhdf5 through h5py) gets a clear error and nothing is lost; `HDF5_USE_FILE_LOCKING=FALSE`
//! is honoured by h5py (libhdf5) and h5kit alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(unix, not(target_family = "wasm")))]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use h5kit::{File, Object};
use h5kit_testkit::oracle;

fn tmp(name: &str) -> std::path::PathBuf {
    h5kit_testkit::temp_path("lock", name)
}

#[test]
fn a_second_h5kit_writer_is_refused_and_nothing_is_lost() {
    let p = tmp("two.h5");
    let f = File::open_with_mode(&p, "w").unwrap();
    f.write_new("/x", &[3], &[1i32, 2, 3]).unwrap();
    f.flush().unwrap();
    let e = File::open_with_mode(&p, "a").unwrap_err();
    assert!(e.message.contains("unable to lock"), "{}", e);
    let e = File::open_with_mode(&p, "w").unwrap_err();
    assert!(e.message.contains("unable to lock"), "{}", e);
    f.write_new("/y", &[1], &[4i32]).unwrap();
    f.close().unwrap();
    // Closed: the lock is gone.
    let g = File::open_with_mode(&p, "a").unwrap();
    let Object::Dataset(x) = g.object("/x").unwrap() else { panic!() };
    assert_eq!(x.read::<i32>().unwrap().data, [1, 2, 3]);
    let Object::Dataset(y) = g.object("/y").unwrap() else { panic!() };
    assert_eq!(y.read::<i32>().unwrap().data, [4]);
}

#[test]
fn h5py_and_h5kit_writers_exclude_each_other() {
    if !oracle::check(oracle::H5PY, 2, "libhdf5's file lock against h5kit's") {
        return;
    }
    let p = tmp("h5py.h5");
    // h5py holds the file open for writing until told to close it.
    let script = "import h5py, sys\nf = h5py.File(sys.argv[1], 'w')\nf['a'] = [1, 2]\nf.flush()\nprint('open', flush=True)\nsys.stdin.readline()\nf['b'] = [3]\nf.close()\nprint('closed', flush=True)\n";
    let mut child =
        Command::new("python3").args(["-c", script]).arg(&p).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "open");
    let e = File::open_with_mode(&p, "a").unwrap_err();
    assert!(e.message.contains("unable to lock"), "{}", e);
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    line.clear();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "closed");
    assert!(child.wait().unwrap().success());
    oracle::compared(oracle::H5PY, 1);

    // Now h5kit writes and h5py is refused.
    let f = File::open_with_mode(&p, "a").unwrap();
    f.write_new("/c", &[1], &[5i64]).unwrap();
    f.flush().unwrap();
    let o = Command::new("python3").args(["-c", "import h5py, sys\nh5py.File(sys.argv[1], 'a')"]).arg(&p).output().unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("lock"), "{}", String::from_utf8_lossy(&o.stderr));
    oracle::compared(oracle::H5PY, 1);
    f.close().unwrap();
    let o = Command::new("python3")
        .args(["-c", "import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\nprint(f['a'][...].tolist(), f['b'][...].tolist(), f['c'][...].tolist())"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[1, 2] [3] [5]");
    oracle::compared(oracle::H5PY, 1);
}

//! Edits the on-disk writer makes in files of the earliest format beyond creating objects:
//! deletes (links, attributes; objects freed), soft, hard and external links, datasets of
//! variable-length strings and of compact layout, shrinking resizes, files built in memory.
//! Each test edits a file through `h5kit::File` (checking the file is edited in place: the
//! same inode, no fallback to the in-memory model, which writes a new file), and compares
//! with libhdf5 doing the same edits through h5py on a copy: `h5dump` of both must be equal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{dtype, DatasetSpec, LayoutKind, UNLIMITED};
use h5kit::{File, Object};
use h5kit_testkit::oracle;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/generated").join(name)
}

fn tmp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-edit-more-{}-{}", tag, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn inode(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().ino()
}

/// Runs `edits` (Python, on an h5py file `f` opened with mode `r+`) on a copy of `src` named
/// `name`; its path. `None` without h5py.
fn h5py_edit(src: &Path, dir: &Path, name: &str, edits: &str) -> Option<PathBuf> {
    if !oracle::check(oracle::H5PY, 1, "the same edits made by libhdf5") {
        return None;
    }
    let p = dir.join(name);
    std::fs::copy(src, &p).unwrap();
    let script = format!("import h5py, sys, numpy as np\nf = h5py.File(sys.argv[1], 'r+')\n{}\nf.close()\n", edits);
    let out = Command::new("python3").args(["-c", &script]).arg(&p).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(p)
}

/// `h5dump` of `p` without its first line (the file name); `None` without h5dump.
fn h5dump(p: &Path, args: &[&str]) -> Option<String> {
    if !oracle::check(oracle::H5DUMP, 1, "h5dump of an edited file") {
        return None;
    }
    let out = Command::new("h5dump").args(args).arg(p).output().unwrap();
    assert!(out.status.success(), "h5dump {}: {}", p.display(), String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5DUMP, 1);
    let text = String::from_utf8(out.stdout).unwrap();
    Some(text.lines().skip(1).collect::<Vec<_>>().join("\n"))
}

/// h5dump of ours equals h5dump of libhdf5's.
fn same_dump(ours: &Path, theirs: Option<PathBuf>) {
    let Some(theirs) = theirs else { return };
    let (Some(a), Some(b)) = (h5dump(ours, &[]), h5dump(&theirs, &[])) else { return };
    assert_eq!(a, b, "h5dump of {} differs from libhdf5's {}", ours.display(), theirs.display());
}

fn h5py_print(p: &Path, code: &str) -> Option<String> {
    if !oracle::check(oracle::H5PY, 1, "reading an edited file") {
        return None;
    }
    let script = format!("import h5py, sys, numpy as np\nf = h5py.File(sys.argv[1], 'r')\n{}\n", code);
    let out = Command::new("python3").args(["-c", &script]).arg(p).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

fn keys(f: &File, group: &str) -> Vec<String> {
    match f.object(group).unwrap() {
        Object::Group(g) => g.keys().unwrap(),
        _ => panic!("{} is not a group", group),
    }
}

#[test]
fn deletes_and_links_in_a_file_h5py_wrote_match_libhdf5() {
    let src = fixture("groups_earliest.h5");
    let dir = tmp_dir("links");
    let p = dir.join("ours.h5");
    std::fs::copy(&src, &p).unwrap();
    let ino = inode(&p);
    let f = File::open_with_mode(&p, "r+").unwrap();
    f.delete("/deep/link005").unwrap();
    f.delete("/a/b").unwrap();
    f.create_soft_link("/soft_to_first", "/deep/link000").unwrap();
    f.create_soft_link("/deep/dangling", "/no/such/thing").unwrap();
    f.create_hard_link("/hard_again", "/deep/link000").unwrap();
    f.flush().unwrap();
    f.delete("/deep/link010").unwrap();
    f.set_attr("/a", "gone", None, &[1.5f64]).unwrap();
    f.set_attr("/a", "kept", None, &[7i32]).unwrap();
    f.flush().unwrap();
    f.delete_attr("/a", "gone").unwrap();
    // A name deleted and made again in one flush.
    f.delete("/deep/link011").unwrap();
    f.create_soft_link("/deep/link011", "/deep/link000").unwrap();
    assert!(f.delete("/deep/link005").is_err(), "a deleted name is gone");
    assert!(f.delete_attr("/a", "gone").is_err(), "a deleted attribute is gone");
    f.close().unwrap();
    assert_eq!(inode(&p), ino, "edited in place (no fallback to the model)");

    let g = File::open(&p).unwrap();
    let deep = keys(&g, "/deep");
    assert!(!deep.contains(&"link005".to_string()) && !deep.contains(&"link010".to_string()));
    assert!(deep.contains(&"dangling".to_string()) && deep.contains(&"link011".to_string()));
    assert_eq!(keys(&g, "/a"), Vec::<String>::new());
    match g.object("/soft_to_first").unwrap() {
        Object::Dataset(d) => assert!(!d.read_raw().unwrap().is_empty()),
        _ => panic!("soft link does not lead to the dataset"),
    }
    let theirs = h5py_edit(
        &src,
        &dir,
        "theirs.h5",
        "del f['/deep/link005']\ndel f['/a/b']\nf['/soft_to_first'] = h5py.SoftLink('/deep/link000')\n\
         f['/deep/dangling'] = h5py.SoftLink('/no/such/thing')\nf['/hard_again'] = f['/deep/link000']\n\
         del f['/deep/link010']\nf['/a'].attrs['kept'] = np.int32(7)\n\
         del f['/deep/link011']\nf['/deep/link011'] = h5py.SoftLink('/deep/link000')",
    );
    same_dump(&p, theirs);
    // Reference counts as libhdf5 keeps them: link000 had one link per name of /deep that is
    // a hard link to it; two went, one came.
    let rc = "print(h5py.h5o.get_info(f['/deep/link000'].id).rc, len([k for k in f['/deep'] if f['/deep'].get(k, getlink=True).__class__ is h5py.HardLink]) + 1)";
    if let Some(out) = h5py_print(&p, rc) {
        let v: Vec<&str> = out.split(' ').collect();
        assert_eq!(v[0], v[1], "reference count {} for {} hard links", v[0], v[1]);
    }
}

#[test]
fn deleted_objects_give_their_space_back() {
    let dir = tmp_dir("space");
    let p = dir.join("space.h5");
    let f = File::create(&p).unwrap();
    let big: Vec<f64> = (0..100_000).map(|v| v as f64).collect();
    f.write_new("/big", &[100_000], &big).unwrap();
    let mut spec = DatasetSpec::new(dtype::int(4, true), &[1000]);
    spec.chunks = Some(vec![100]);
    spec.deflate = Some(1);
    f.create_dataset("/g/chunked", spec).unwrap();
    f.write("/g/chunked", &(0..1000).collect::<Vec<i32>>()).unwrap();
    f.flush().unwrap();
    let size = std::fs::metadata(&p).unwrap().len();
    f.delete("/big").unwrap();
    f.delete("/g").unwrap();
    f.flush().unwrap();
    // The freed space is reused after the flush that committed the deletes.
    f.write_new("/again", &[100_000], &big).unwrap();
    f.flush().unwrap();
    let after = std::fs::metadata(&p).unwrap().len();
    // (A few metadata blocks may land at the end; the 800 KB block must not.)
    assert!(after < size + 4096, "file grew from {} to {} bytes: freed space not reused", size, after);
    f.close().unwrap();
    let g = File::open(&p).unwrap();
    assert_eq!(keys(&g, "/"), vec!["again".to_string()]);
    match g.object("/again").unwrap() {
        Object::Dataset(d) => assert_eq!(d.read::<f64>().unwrap().data, big),
        _ => panic!(),
    }
    if let Some(out) = h5py_print(&p, "print(list(f.keys()), float(f['again'][...].sum()))") {
        assert_eq!(out, format!("['again'] {:?}", big.iter().sum::<f64>()));
    }
}

#[test]
fn deletes_in_large_groups_match_libhdf5() {
    // 300 names: several symbol table nodes and a two-level group tree; every third deleted,
    // then some made again.
    let dir = tmp_dir("large");
    let src = dir.join("src.h5");
    {
        let f = File::create(&src).unwrap();
        for i in 0..300 {
            f.write_new(&format!("/many/n{:04}", i), &[1], &[i as i32]).unwrap();
        }
        f.close().unwrap();
    }
    let p = dir.join("ours.h5");
    std::fs::copy(&src, &p).unwrap();
    let ino = inode(&p);
    let f = File::open_with_mode(&p, "a").unwrap();
    for i in (0..300).step_by(3) {
        f.delete(&format!("/many/n{:04}", i)).unwrap();
        if i % 30 == 0 {
            f.flush().unwrap();
        }
    }
    for i in (0..300).step_by(9) {
        f.create_soft_link(&format!("/many/n{:04}", i), &format!("/many/n{:04}", i + 1)).unwrap();
    }
    f.close().unwrap();
    assert_eq!(inode(&p), ino, "edited in place");
    let g = File::open(&p).unwrap();
    assert_eq!(keys(&g, "/many").len(), 200 + 34);
    let theirs = h5py_edit(
        &src,
        &dir,
        "theirs.h5",
        "for i in range(0, 300, 3):\n    del f['/many/n%04d' % i]\nfor i in range(0, 300, 9):\n    f['/many/n%04d' % i] = h5py.SoftLink('/many/n%04d' % (i + 1))",
    );
    same_dump(&p, theirs);
}

#[test]
fn external_links_convert_the_group_as_libhdf5_does() {
    let dir = tmp_dir("external");
    let src = dir.join("src.h5");
    {
        let f = File::create(&src).unwrap();
        f.write_new("/g/a", &[3], &[1i32, 2, 3]).unwrap();
        f.create_group("/g/sub").unwrap();
        f.create_soft_link("/g/s", "/g/a").unwrap();
        f.set_attr("/g", "x", None, &[4i64]).unwrap();
        f.close().unwrap();
    }
    let p = dir.join("ours.h5");
    std::fs::copy(&src, &p).unwrap();
    let ino = inode(&p);
    let f = File::open_with_mode(&p, "r+").unwrap();
    f.create_external_link("/g/e", "other.h5", "/x").unwrap();
    f.flush().unwrap();
    assert_eq!(inode(&p), ino, "converted in place");
    // Later changes inside the converted group go to the model; elsewhere still in place.
    f.create_group("/h").unwrap();
    f.close().unwrap();
    let g = File::open(&p).unwrap();
    assert_eq!(keys(&g, "/g"), vec!["a", "e", "s", "sub"]);
    let theirs = h5py_edit(&src, &dir, "theirs.h5", "f['/g/e'] = h5py.ExternalLink('other.h5', '/x')\nf.create_group('/h')");
    same_dump(&p, theirs);
}

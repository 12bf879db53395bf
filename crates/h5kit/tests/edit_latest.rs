//! The on-disk writer edits files of the latest format in place (superblock version 3,
//! version 2 object headers, groups of link messages, compact and dense): files h5kit wrote
//! with `LibVer::Latest` and files h5py wrote with `libver='latest'`. Each test checks the file
//! stayed the same inode (the in-memory model replaces the file by a rename, so a fallback
//! shows) and reads it back with h5kit and, when installed, h5dump and h5py.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{dtype, DatasetSpec, LibVer, UNLIMITED};
use h5kit::{File, Mode, Object};
use h5kit_testkit::inode as ino;
use h5kit_testkit::oracle;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/generated").join(name)
}

fn tmp(name: &str) -> PathBuf {
    h5kit_testkit::temp_path("latest", name)
}


fn h5dump(args: &[&str], file: &Path) -> Option<String> {
    if !oracle::check(oracle::H5DUMP, 1, "h5dump of a latest-format file the editor wrote") {
        return None;
    }
    let out = Command::new("h5dump").args(args).arg(file).output().unwrap();
    assert!(out.status.success(), "h5dump failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
    oracle::compared(oracle::H5DUMP, 1);
    Some(String::from_utf8(out.stdout).unwrap())
}

fn h5py(script: &str, file: &Path) -> Option<String> {
    if !oracle::check(oracle::H5PY, 1, "h5py reading a latest-format file the editor wrote") {
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).arg(file).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap())
}

/// h5diff finds `object` equal in both files.
fn h5diff_same(a: &Path, b: &Path, object: &str) {
    if !oracle::check(oracle::H5DIFF, 1, "h5diff of an object the editor kept") {
        return;
    }
    let out = Command::new("h5diff").arg(a).arg(b).arg(object).output().unwrap();
    assert!(out.status.success(), "h5diff {}: {}{}", object, String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5DIFF, 1);
}

fn values_i32(f: &File, path: &str) -> Vec<i32> {
    match f.object(path).unwrap() {
        Object::Dataset(d) => d.read::<i32>().unwrap().data,
        o => panic!("{:?}", o),
    }
}

fn keys(f: &File, path: &str) -> Vec<String> {
    match f.object(path).unwrap() {
        Object::Group(g) => g.keys().unwrap(),
        o => panic!("{:?}", o),
    }
}

/// Names sorted as h5py lists them.
fn names(prefix: &str, n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("{}{:02}", prefix, i)).collect();
    v.sort();
    v
}

#[test]
fn a_new_latest_file_is_written_in_place() {
    let p = tmp("new.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let inode = ino(&p);
    assert_eq!(f.superblock().version, 3);
    f.create_group("/g/sub").unwrap();
    f.write_new("/g/data", &[2, 3], &[1i32, 2, 3, 4, 5, 6]).unwrap();
    let mut spec = DatasetSpec::new(dtype::int(4, true), &[0]);
    spec.maxshape = Some(vec![UNLIMITED]);
    spec.chunks = Some(vec![4]);
    f.create_dataset("/g/log", spec).unwrap();
    f.resize("/g/log", &[6]).unwrap();
    f.write_slice("/g/log", &[0], &[6], &[10i32, 11, 12, 13, 14, 15]).unwrap();
    f.flush().unwrap();
    // Dense: past 8 links.
    for i in 0..12 {
        f.create_group(&format!("/many/m{:02}", i)).unwrap();
    }
    f.create_soft_link("/g/soft", "/g/data").unwrap();
    f.create_external_link("/g/ext", "other.h5", "/x").unwrap();
    f.create_hard_link("/g/hard", "/g/data").unwrap();
    f.set_attr("/g", "count", None, &[7i64]).unwrap();
    f.set_attr_str("/g/data", "units", "m/s").unwrap();
    f.flush().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    f.delete("/many/m03").unwrap();
    f.delete("/g/sub").unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");

    let r = File::open(&p).unwrap();
    assert_eq!(values_i32(&r, "/g/data"), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(values_i32(&r, "/g/hard"), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(values_i32(&r, "/g/log"), vec![10, 11, 12, 13, 14, 15]);
    let mut want: Vec<String> = names("m", 12).into_iter().filter(|n| n != "m03").collect();
    want.sort();
    assert_eq!(keys(&r, "/many"), want);
    assert_eq!(keys(&r, "/g"), vec!["data", "ext", "hard", "log", "soft"]);
    if let Some(out) = h5dump(&["-A", "0"], &p) {
        assert!(out.contains("DATASET \"data\""), "{}", out);
        assert!(out.contains("(0,0): 1, 2, 3,"), "{}", out);
        assert!(out.contains("(0): 10, 11, 12, 13, 14, 15"), "{}", out);
        assert!(out.contains("SOFTLINK \"soft\"") && out.contains("LINKTARGET \"/g/data\""), "{}", out);
        assert!(out.contains("EXTERNAL_LINK \"ext\"") && out.contains("TARGETFILE \"other.h5\""), "{}", out);
        assert!(out.contains("HARDLINK \"/g/data\""), "{}", out);
        assert!(!out.contains("\"m03\"") && out.contains("GROUP \"m11\""), "{}", out);
    }
    let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nprint(sorted(f['many'].keys()))\nprint(f['g/data'][()].tolist(), f['g/log'][()].tolist())\nprint(f['g'].attrs['count'], f['g/data'].attrs['units'])\nprint(f.id.get_create_plist().get_version()[0])";
    if let Some(out) = h5py(script, &p) {
        let want_keys = format!("{:?}", want).replace('"', "'");
        assert_eq!(out, format!("{}\n[[1, 2, 3], [4, 5, 6]] [10, 11, 12, 13, 14, 15]\n7 m/s\n3\n", want_keys));
    }
}

#[test]
fn dense_groups_go_back_to_compact_below_six() {
    let p = tmp("back.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    for i in 0..10 {
        f.write_new(&format!("/d{:02}", i), &[1], &[i as i32]).unwrap();
    }
    f.flush().unwrap();
    for i in 0..6 {
        f.delete(&format!("/d{:02}", i)).unwrap();
        f.flush().unwrap();
    }
    f.close().unwrap();
    let r = File::open(&p).unwrap();
    assert_eq!(keys(&r, "/"), names("d", 10).split_off(6));
    for i in 6..10 {
        assert_eq!(values_i32(&r, &format!("/d{:02}", i)), vec![i]);
    }
    if let Some(out) = h5dump(&[], &p) {
        assert!(out.contains("DATASET \"d09\"") && !out.contains("\"d05\""), "{}", out);
    }
}

#[test]
fn files_h5py_wrote_with_libver_latest_are_edited_in_place() {
    for name in ["groups_latest.h5", "links_latest.h5", "attributes_latest.h5"] {
        let p = tmp(name);
        std::fs::copy(fixture(name), &p).unwrap();
        let before = File::open(&p).unwrap();
        let root_keys = keys(&before, "/");
        let inode = ino(&p);
        let f = File::open_with(&p, Mode::ReadWrite, LibVer::Earliest).unwrap();
        f.create_group("/added/inner").unwrap();
        f.write_new("/added/values", &[3], &[7i32, 8, 9]).unwrap();
        for i in 0..10 {
            f.create_group(&format!("/added/many/x{:02}", i)).unwrap();
        }
        f.create_soft_link("/added/soft", "/added/values").unwrap();
        f.close().unwrap();
        assert_eq!(ino(&p), inode, "{}: the file was replaced (fell back to the model)", name);
        let r = File::open(&p).unwrap();
        let mut want = root_keys.clone();
        want.push("added".into());
        want.sort();
        assert_eq!(keys(&r, "/"), want, "{}", name);
        assert_eq!(values_i32(&r, "/added/values"), vec![7, 8, 9]);
        assert_eq!(keys(&r, "/added/many"), names("x", 10));
        if let Some(out) = h5dump(&["-g", "/added"], &p) {
            assert!(out.contains("(0): 7, 8, 9") && out.contains("GROUP \"x09\"") && out.contains("SOFTLINK \"soft\""), "{}: {}", name, out);
        }
        // Everything that was there reads as before (links_latest.h5 links back to the root:
        // every path there reaches the new group; libhdf5 1.10's h5diff cannot read the
        // attributes of attributes_latest.h5's group "compact", which libhdf5 2.0 wrote).
        for k in root_keys.iter().filter(|_| name == "groups_latest.h5") {
            h5diff_same(&fixture(name), &p, &format!("/{}", k));
        }
        let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nprint(f['added/values'][()].tolist(), len(f['added/many']))";
        if let Some(out) = h5py(script, &p) {
            assert_eq!(out, "[7, 8, 9] 10\n");
        }
    }
}

#[test]
fn deleting_links_of_a_dense_group_h5py_wrote() {
    let p = tmp("groups_del.h5");
    std::fs::copy(fixture("groups_latest.h5"), &p).unwrap();
    let before = keys(&File::open(&p).unwrap(), "/deep");
    assert!(before.len() > 8, "{:?}", before);
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, LibVer::Earliest).unwrap();
    let gone = before[before.len() - 1].clone();
    f.delete(&format!("/deep/{}", gone)).unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode);
    let after = keys(&File::open(&p).unwrap(), "/deep");
    assert_eq!(after, before[..before.len() - 1].to_vec());
    if let Some(out) = h5dump(&["-g", "/deep"], &p) {
        assert!(!out.contains(&format!("\"{}\"", gone)), "{}", out);
    }
}

#[test]
fn opening_a_latest_file_and_closing_without_change_keeps_every_byte() {
    for name in ["groups_latest.h5", "links_latest.h5", "attributes_latest.h5", "layouts_latest.h5"] {
        let p = tmp(&format!("same_{}", name));
        std::fs::copy(fixture(name), &p).unwrap();
        let before = std::fs::read(&p).unwrap();
        let f = File::open_with(&p, Mode::Append, LibVer::Earliest).unwrap();
        f.flush().unwrap();
        f.close().unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), before, "{}", name);
    }
}

#[test]
fn attributes_of_version_2_headers_compact_and_dense() {
    let p = tmp("attrs.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let inode = ino(&p);
    f.create_group("/g").unwrap();
    for i in 0..12 {
        f.set_attr("/g", &format!("a{:02}", i), None, &[i as i32]).unwrap();
    }
    f.set_attr_str("/g", "name", "über").unwrap();
    f.flush().unwrap();
    f.set_attr("/g", "a05", Some(&[2]), &[50i32, 51]).unwrap();
    f.write_new("/d", &[2], &[1i32, 2]).unwrap();
    for i in 0..10 {
        f.set_attr("/d", &format!("b{:02}", i), None, &[i as f64]).unwrap();
    }
    f.flush().unwrap();
    for i in 0..6 {
        f.delete_attr("/d", &format!("b{:02}", i)).unwrap();
    }
    f.delete_attr("/g", "a00").unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\ng=f['g'].attrs\nprint(sorted(g.keys()))\nprint(g['a05'].tolist(), g['a11'], g['name'])\nd=f['d'].attrs\nprint(sorted(d.keys()), d['b09'])";
    if let Some(out) = h5py(script, &p) {
        let mut gk: Vec<String> = (1..12).map(|i| format!("'a{:02}'", i)).collect();
        gk.push("'name'".into());
        assert_eq!(out, format!("[{}]\n[50, 51] 11 über\n['b06', 'b07', 'b08', 'b09'] 9.0\n", gk.join(", ")));
    }
    if let Some(out) = h5dump(&["-a", "/g/a05", "-a", "/d/b07"], &p) {
        assert!(out.contains("(0): 50, 51") && out.contains("(0): 7"), "{}", out);
    }
}

#[test]
fn attributes_of_a_file_h5py_wrote_with_libver_latest() {
    let p = tmp("attrs_h5py.h5");
    std::fs::copy(fixture("attributes_latest.h5"), &p).unwrap();
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, LibVer::Earliest).unwrap();
    f.set_attr("/dense", "attr_new", None, &[42i32]).unwrap();
    f.set_attr("/dense", "attr_03", None, &[-3i32]).unwrap();
    f.delete_attr("/dense", "attr_00").unwrap();
    f.set_attr("/dataset", "extra", None, &[1.5f64]).unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\na=f['dense'].attrs\nprint(len(a), a['attr_new'], a['attr_03'], 'attr_00' in a, a['attr_19'].tolist())\nprint(f['dataset'].attrs['extra'], sorted(f['dataset'].attrs.keys()))";
    let before = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\na=f['dense'].attrs\nprint(len(a), a['attr_19'].tolist())\nprint(sorted(f['dataset'].attrs.keys()))";
    if let (Some(out), Some(old)) = (h5py(script, &p), h5py(before, &fixture("attributes_latest.h5"))) {
        let mut lines = old.lines();
        let first: Vec<&str> = lines.next().unwrap().splitn(2, ' ').collect();
        let n: usize = first[0].parse().unwrap();
        let mut keys: Vec<String> = lines.next().unwrap().trim_matches(|c| c == '[' || c == ']').split(", ").map(String::from).collect();
        keys.push("'extra'".into());
        keys.sort();
        assert_eq!(out, format!("{} 42 -3 False {}\n1.5 [{}]\n", n, first[1], keys.join(", ")));
    }
}

fn values_f64(f: &File, path: &str) -> (Vec<u64>, Vec<f64>) {
    match f.object(path).unwrap() {
        Object::Dataset(d) => (d.shape().to_vec(), d.read::<f64>().unwrap().data),
        o => panic!("{:?}", o),
    }
}

/// Writes a box of new values into `path` (after growing its unlimited dimensions by 5 when
/// `grow`) and returns the values the dataset should then hold (row-major) with its shape.
fn edit_box(f: &File, before: &(Vec<u64>, Vec<f64>), path: &str, max: &[u64], grow: bool) -> (Vec<u64>, Vec<f64>) {
    let (shape0, vals0) = before;
    let mut shape = shape0.clone();
    if grow {
        for (s, &m) in shape.iter_mut().zip(max) {
            if m == UNLIMITED {
                *s += 5;
            }
        }
        f.resize(path, &shape).unwrap();
    }
    // The box: the last two elements of each dimension (reaching the grown part).
    let start: Vec<u64> = shape.iter().map(|&s| s.saturating_sub(2)).collect();
    let count: Vec<u64> = shape.iter().map(|&s| s.min(2)).collect();
    let n: u64 = count.iter().product();
    let data: Vec<f64> = (0..n).map(|i| 100.0 + i as f64).collect();
    f.write_slice(path, &start, &count, &data).unwrap();
    // Expected: the old values in the new shape (zeros where grown), the box over them.
    let total: u64 = shape.iter().product();
    let mut want = vec![0.0f64; total as usize];
    let strides = |sh: &[u64]| -> Vec<u64> { (0..sh.len()).map(|d| sh[d + 1..].iter().product()).collect() };
    let (s0, s1) = (strides(shape0), strides(&shape));
    for (i, v) in vals0.iter().enumerate() {
        let idx: Vec<u64> = s0.iter().zip(shape0).map(|(&st, &d)| (i as u64 / st) % d).collect();
        let at: u64 = idx.iter().zip(&s1).map(|(a, b)| a * b).sum();
        want[at as usize] = *v;
    }
    let cs = strides(&count);
    for k in 0..n {
        let idx: Vec<u64> = cs.iter().zip(&count).map(|(&st, &d)| (k / st) % d).collect();
        let at: u64 = idx.iter().zip(&start).zip(&s1).map(|((a, s), b)| (a + s) * b).sum();
        want[at as usize] = 100.0 + k as f64;
    }
    (shape, want)
}

#[test]
fn chunked_datasets_of_every_index_h5py_wrote_are_written_in_place() {
    let src = fixture("layouts_latest.h5");
    let orig = File::open(&src).unwrap();
    let cases = [
        "chunked_btree_v2",
        "chunked_btree_v2_gzip",
        "chunked_extensible_array",
        "chunked_extensible_array_2d",
        "chunked_extensible_array_gzip",
        "chunked_fixed_array",
        "chunked_fixed_array_gzip",
        "chunked_fixed_array_paged",
        "chunked_resized",
        "chunked_single",
        "chunked_single_gzip",
        "chunked_sparse",
    ];
    for name in cases {
        let p = tmp(&format!("idx_{}.h5", name));
        std::fs::copy(&src, &p).unwrap();
        let inode = ino(&p);
        let path = format!("/{}", name);
        let max = match orig.object(&path).unwrap() {
            Object::Dataset(d) => d.dataspace().max_dims.clone().unwrap_or_else(|| d.shape().to_vec()),
            o => panic!("{:?}", o),
        };
        let grow = max.contains(&UNLIMITED);
        let before = values_f64(&orig, &path);
        let f = File::open_with(&p, Mode::ReadWrite, LibVer::Earliest).unwrap();
        let want = edit_box(&f, &before, &path, &max, grow);
        f.flush().unwrap();
        // A second change after the first flush (the index written again).
        let start: Vec<u64> = vec![0; want.0.len()];
        let one: Vec<u64> = vec![1; want.0.len()];
        f.write_slice(&path, &start, &one, &[77.0f64]).unwrap();
        f.close().unwrap();
        let mut want = want;
        want.1[0] = 77.0;
        assert_eq!(ino(&p), inode, "{}: the file was replaced (fell back to the model)", name);
        let r = File::open(&p).unwrap();
        assert_eq!(values_f64(&r, &path), want, "{}", name);
        // The other datasets are untouched.
        let script = format!("import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nd=f['{}']\nprint(list(d.shape), [float(x) for x in d[()].flatten()])", name);
        if let Some(out) = h5py(&script, &p) {
            let vals: Vec<String> = want.1.iter().map(|v| format!("{:?}", v)).collect();
            let shape: Vec<String> = want.0.iter().map(|v| v.to_string()).collect();
            assert_eq!(out, format!("[{}] [{}]\n", shape.join(", "), vals.join(", ")), "{}", name);
        }
        // (h5dump 1.10 cannot open layouts_latest.h5, which libhdf5 2.0 wrote: h5py checks.)
    }
}

/// The datasets of `chunk_indexes_of_new_datasets`: name, shape, maxshape, chunks, gzip.
type Case = (&'static str, Vec<u64>, Option<Vec<u64>>, Vec<u64>, bool);

#[test]
fn chunk_indexes_of_new_datasets_in_a_new_latest_file() {
    let p = tmp("indexes.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let inode = ino(&p);
    let cases: Vec<Case> = vec![
        ("single", vec![6, 5], None, vec![6, 5], false),
        ("single_gzip", vec![6, 5], None, vec![6, 5], true),
        ("fixed", vec![20, 7], None, vec![3, 2], false),
        ("fixed_gzip", vec![20, 7], Some(vec![40, 7]), vec![3, 2], true),
        ("earray", vec![0], Some(vec![UNLIMITED]), vec![1], false),
        ("earray_gzip", vec![0, 3], Some(vec![UNLIMITED, 3]), vec![2, 3], true),
        ("btree2", vec![5, 5], Some(vec![UNLIMITED, UNLIMITED]), vec![1, 1], false),
        ("btree2_gzip", vec![5, 5], Some(vec![UNLIMITED, UNLIMITED]), vec![2, 2], true),
    ];
    let mut want: Vec<(String, Vec<u64>, Vec<i32>)> = Vec::new();
    for (name, shape, max, chunks, gzip) in &cases {
        let mut spec = DatasetSpec::new(dtype::int(4, true), shape);
        spec.maxshape = max.clone();
        spec.chunks = Some(chunks.clone());
        if *gzip {
            spec.deflate = Some(4);
        }
        let path = format!("/{}", name);
        f.create_dataset(&path, spec).unwrap();
        let n: u64 = shape.iter().product();
        let vals: Vec<i32> = (0..n as i32).map(|i| i * 3 + 1).collect();
        if n > 0 {
            f.write(&path, &vals).unwrap();
        }
        want.push((path, shape.clone(), vals));
    }
    f.flush().unwrap();
    // Grow the resizable ones in steps with a flush after each (the index rewritten each time):
    // the 1-D extensible array passes its index block and direct data blocks (244 elements).
    for step in 0..30u64 {
        for (path, shape, vals) in want.iter_mut() {
            match path.as_str() {
                "/earray" => {
                    let rows = shape[0] + 13;
                    f.resize(path, &[rows]).unwrap();
                    let add: Vec<i32> = (shape[0]..rows).map(|i| i as i32 * 7).collect();
                    f.write_slice(path, &[shape[0]], &[13], &add).unwrap();
                    vals.extend(add);
                    shape[0] = rows;
                }
                "/earray_gzip" | "/btree2" | "/btree2_gzip" if step % 5 == 0 => {
                    let old = shape.clone();
                    let new: Vec<u64> = if path.starts_with("/btree2") { old.iter().map(|d| d + 2).collect() } else { vec![old[0] + 4, 3] };
                    f.resize(path, &new).unwrap();
                    let mut full = vec![0i32; new.iter().product::<u64>() as usize];
                    for (i, v) in vals.iter().enumerate() {
                        let (r, c) = (i as u64 / old[1], i as u64 % old[1]);
                        full[(r * new[1] + c) as usize] = *v;
                    }
                    // The new last row written.
                    let row: Vec<i32> = (0..new[1]).map(|c| (step * 100 + c) as i32).collect();
                    f.write_slice(path, &[new[0] - 1, 0], &[1, new[1]], &row).unwrap();
                    for c in 0..new[1] {
                        full[((new[0] - 1) * new[1] + c) as usize] = row[c as usize];
                    }
                    *vals = full;
                    *shape = new;
                }
                _ => {}
            }
        }
        f.flush().unwrap();
    }
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    let r = File::open(&p).unwrap();
    for (path, shape, vals) in &want {
        match r.object(path).unwrap() {
            Object::Dataset(d) => {
                assert_eq!(d.shape(), &shape[..], "{}", path);
                assert_eq!(&d.read::<i32>().unwrap().data, vals, "{}", path);
            }
            o => panic!("{:?}", o),
        }
    }
    let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nfor k in sorted(f):\n    d=f[k]\n    print(k, list(d.shape), d.id.get_create_plist().get_layout(), int(d[()].astype('int64').sum()))";
    if let Some(out) = h5py(script, &p) {
        let mut sorted = want.clone();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let lines: Vec<String> = sorted
            .iter()
            .map(|(path, shape, vals)| {
                let sh: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
                format!("{} [{}] 2 {}", &path[1..], sh.join(", "), vals.iter().map(|&v| v as i64).sum::<i64>())
            })
            .collect();
        assert_eq!(out, lines.join("\n") + "\n");
    }
    for (path, _, vals) in &want {
        if let Some(out) = h5dump(&["-y", "-w", "0", "-d", path], &p) {
            assert_eq!(&h5dump_data(&out), vals, "h5dump {}", path);
        }
    }
}

/// The values of the DATA block of h5dump's output (run with `-y -w 0`).
fn h5dump_data(out: &str) -> Vec<i32> {
    let start = out.find("DATA {").expect("a DATA block") + 6;
    let end = start + out[start..].find('}').expect("the end of the DATA block");
    out[start..end].split(|c: char| c == ',' || c.is_whitespace()).filter(|t| !t.is_empty()).map(|t| t.parse().unwrap()).collect()
}

#[test]
fn groups_tracking_creation_order_keep_it() {
    let p = tmp("ordered.h5");
    std::fs::copy(fixture("groups_latest.h5"), &p).unwrap();
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, LibVer::Earliest).unwrap();
    // Compact, tracked and indexed: goes dense past 8 links.
    for n in ["omega", "aa", "kappa", "b2", "c3", "d4"] {
        f.create_group(&format!("/ordered/{}", n)).unwrap();
    }
    // Dense and indexed.
    f.create_group("/ordered_dense/first_new").unwrap();
    f.delete("/ordered_dense/item_10").unwrap();
    f.create_soft_link("/ordered_dense/last_new", "/ordered").unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced (fell back to the model)");
    let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nprint(list(f['ordered'].keys()))\nprint(list(f['ordered_dense'].keys()))";
    let before = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nprint(list(f['ordered_dense'].keys()))";
    if let (Some(out), Some(old)) = (h5py(script, &p), h5py(before, &fixture("groups_latest.h5"))) {
        let mut dense: Vec<String> = old.trim().trim_matches(|c| c == '[' || c == ']').split(", ").map(String::from).collect();
        dense.retain(|n| n != "'item_10'");
        dense.push("'first_new'".into());
        dense.push("'last_new'".into());
        let want = format!(
            "['zeta', 'alpha', 'mu', 'beta', 'omega', 'aa', 'kappa', 'b2', 'c3', 'd4']\n[{}]\n",
            dense.join(", ")
        );
        assert_eq!(out, want);
    }
    if let Some(out) = h5dump(&["-g", "/ordered"], &p) {
        assert!(out.contains("GROUP \"omega\"") && out.contains("GROUP \"zeta\""), "{}", out);
    }
}

#[test]
fn a_thousand_appends_with_flushes_stay_near_h5pys_size() {
    let p = tmp("appends.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let mut spec = DatasetSpec::new(dtype::float64(), &[0, 4]);
    spec.maxshape = Some(vec![UNLIMITED, 4]);
    spec.chunks = Some(vec![64, 4]);
    f.create_dataset("/log", spec).unwrap();
    f.flush().unwrap();
    let n = 1000u64;
    for i in 0..n {
        f.resize("/log", &[i + 1, 4]).unwrap();
        f.write_slice("/log", &[i, 0], &[1, 4], &[i as f64, 1.0, 2.0, 3.0]).unwrap();
        f.flush().unwrap();
    }
    f.close().unwrap();
    let ours = std::fs::metadata(&p).unwrap().len();
    let r = File::open(&p).unwrap();
    let (shape, vals) = values_f64(&r, "/log");
    assert_eq!(shape, vec![n, 4]);
    assert!((0..n as usize).all(|i| vals[i * 4] == i as f64 && vals[i * 4 + 3] == 3.0));
    let script = "import sys,h5py,os\np=sys.argv[1]+'.h5py.h5'\nwith h5py.File(p,'w',libver='latest') as f:\n    d=f.create_dataset('log',shape=(0,4),maxshape=(None,4),chunks=(64,4),dtype='f8')\n    for i in range(1000):\n        d.resize((i+1,4)); d[i]=[i,1,2,3]; f.flush()\nprint(os.path.getsize(p))";
    if let Some(out) = h5py(script, &p) {
        let theirs: u64 = out.trim().parse().unwrap();
        eprintln!("1000 appends+flushes, latest format: h5kit {} bytes, h5py {} bytes", ours, theirs);
        assert!(ours as f64 <= theirs as f64 * 1.1, "h5kit {} bytes, h5py {}", ours, theirs);
    }
}

#[test]
fn an_extensible_array_reaching_paged_data_blocks() {
    // One-element chunks: past 131,076 elements the extensible array's data blocks hold
    // 2048 elements and are paged (pages of 1024), addressed through secondary blocks.
    let p = tmp("paged.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let mut spec = DatasetSpec::new(dtype::int(4, true), &[0]);
    spec.maxshape = Some(vec![UNLIMITED]);
    spec.chunks = Some(vec![1]);
    f.create_dataset("/e", spec).unwrap();
    let n = 135_000u64;
    let half = n / 2;
    f.resize("/e", &[half]).unwrap();
    let vals: Vec<i32> = (0..n as i32).map(|i| i ^ 0x5a5a).collect();
    f.write("/e", &vals[..half as usize]).unwrap();
    f.flush().unwrap();
    f.resize("/e", &[n]).unwrap();
    f.write_slice("/e", &[half], &[n - half], &vals[half as usize..]).unwrap();
    f.close().unwrap();
    let r = File::open(&p).unwrap();
    assert_eq!(values_i32(&r, "/e"), vals);
    let script = "import sys,h5py\nf=h5py.File(sys.argv[1],'r')\nd=f['e'][()]\nprint(len(d), int(d.astype('int64').sum()), int(d[-1]))";
    if let Some(out) = h5py(script, &p) {
        let sum: i64 = vals.iter().map(|&v| v as i64).sum();
        assert_eq!(out, format!("{} {} {}\n", n, sum, vals[n as usize - 1]));
    }
    if let Some(out) = h5dump(&["-y", "-w", "0", "-d", "/e"], &p) {
        assert_eq!(h5dump_data(&out), vals);
    }
    // The same array written by libhdf5 reads back in h5kit (the page bits of the data
    // blocks of a level follow one another).
    let q = tmp("paged_h5py.h5");
    let script = format!(
        "import sys,h5py,numpy as np\nv=np.arange({n},dtype='i4')^0x5a5a\nwith h5py.File(sys.argv[1],'w',libver='latest') as f:\n    d=f.create_dataset('e',shape=({n},),maxshape=(None,),chunks=(1,),dtype='i4')\n    d[:]=v\nprint('ok')"
    );
    if h5py(&script, &q).is_some() {
        assert_eq!(values_i32(&File::open(&q).unwrap(), "/e"), vals);
    }
}

#[test]
fn writes_through_soft_links_reach_their_targets() {
    let p = tmp("soft.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let inode = ino(&p);
    f.write_new("/g/sub/d", &[3], &[1i32, 2, 3]).unwrap();
    f.create_soft_link("/abs", "/g/sub/d").unwrap();
    f.create_soft_link("/g/rel", "sub/d").unwrap();
    f.create_soft_link("/g/to_sub", "/g/sub").unwrap();
    f.create_soft_link("/loop", "/loop").unwrap();
    f.flush().unwrap();
    f.write_slice("/abs", &[0], &[1], &[10i32]).unwrap();
    f.write_slice("/g/rel", &[1], &[1], &[20i32]).unwrap();
    f.write_slice("/g/to_sub/d", &[2], &[1], &[30i32]).unwrap();
    f.set_attr("/g/rel", "via", None, &[5i32]).unwrap();
    assert!(f.write_slice("/loop", &[0], &[1], &[0i32]).is_err());
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    let r = File::open(&p).unwrap();
    assert_eq!(values_i32(&r, "/g/sub/d"), vec![10, 20, 30]);
    if let Some(out) = h5dump(&["-d", "/g/sub/d", "-a", "/g/sub/d/via"], &p) {
        assert!(out.contains("(0): 10, 20, 30") && out.contains("(0): 5"), "{}", out);
    }
}

//! The on-disk writer (`h5kit_write::edit::Editor`) edits files where they live: files h5py
//! wrote get new datasets and appended rows, existing chunks are rewritten, and everything
//! else keeps its bytes; checked with h5kit's reader and, when installed, h5dump and h5py.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use h5kit::write::edit::Editor;
use h5kit::write::{dtype, DatasetSpec, UNLIMITED};
use h5kit::{File, Limits, Object};
use h5kit_core::{WritableFile, WritableStorage};
use h5kit_testkit::oracle;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/generated").join(name)
}

fn tmp_copy(src: &Path, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-edit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::copy(src, &p).unwrap();
    p
}

fn open_storage(p: &Path) -> Arc<dyn WritableStorage> {
    Arc::new(WritableFile::open(p).unwrap())
}

fn raw(f: &File, path: &str) -> Vec<u8> {
    match f.object(path).unwrap() {
        Object::Dataset(d) => d.read_raw().unwrap(),
        o => panic!("{:?}", o),
    }
}

fn values_f32(f: &File, path: &str) -> Vec<f32> {
    match f.object(path).unwrap() {
        Object::Dataset(d) => d.read::<f32>().unwrap().data,
        o => panic!("{:?}", o),
    }
}

fn h5py(script: &str, file: &Path) -> Option<String> {
    if !oracle::check(oracle::H5PY, 1, "reading a file the editor wrote") {
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).arg(file).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap())
}

fn h5dump_ok(file: &Path) {
    if !oracle::check(oracle::H5DUMP, 1, "h5dump -H of a file the editor wrote") {
        return;
    }
    let out = Command::new("h5dump").arg("-H").arg(file).output().unwrap();
    assert!(out.status.success(), "h5dump -H failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5DUMP, 1);
}

fn row(i: usize) -> Vec<u8> {
    (0..16).flat_map(|j| ((i * 16 + j) as f32).to_le_bytes()).collect()
}

#[test]
fn rows_appended_and_flushed_to_a_file_h5py_wrote() {
    let src = fixture("filters_earliest.h5");
    let p = tmp_copy(&src, "append.h5");
    let before = File::open(&src).unwrap();
    let mut ed = Editor::open(open_storage(&p), Limits::default()).unwrap();
    let mut spec = DatasetSpec::new(dtype::float32(), &[0, 16]);
    spec.maxshape = Some(vec![UNLIMITED, 16]);
    spec.chunks = Some(vec![1024, 16]);
    ed.create_dataset("/log", spec).unwrap();
    let n = 300;
    for i in 0..n {
        ed.resize("/log", &[i as u64 + 1, 16]).unwrap();
        ed.write_slice("/log", &[i as u64, 0], &[1, 16], &row(i)).unwrap();
        ed.flush().unwrap();
        if i == 5 {
            // After each flush the file is complete: another reader sees every row so far.
            let f = File::open(&p).unwrap();
            assert_eq!(values_f32(&f, "/log").len(), 6 * 16);
        }
    }
    // Overwrite part of a gzip dataset h5py wrote (its chunks are read, changed, recompressed).
    let new_rows: Vec<u8> = (0..16).flat_map(|v: i32| (1000 + v).to_le_bytes()).collect();
    ed.write_slice("/gzip_4", &[2, 0], &[2, 8], &new_rows).unwrap();
    ed.flush().unwrap();
    drop(ed);

    let f = File::open(&p).unwrap();
    let want: Vec<f32> = (0..n * 16).map(|v| v as f32).collect();
    assert_eq!(values_f32(&f, "/log"), want);
    let mut gz: Vec<u8> = raw(&before, "/gzip_4");
    gz.splice(2 * 8 * 4..4 * 8 * 4, new_rows.iter().copied());
    assert_eq!(raw(&f, "/gzip_4"), gz);
    for name in ["gzip_1", "gzip_9", "fletcher32", "float_gzip", "lzf", "shuffle_gzip"] {
        if before.root().unwrap().contains(name) {
            assert_eq!(raw(&f, name), raw(&before, name), "{} changed", name);
        }
    }
    h5dump_ok(&p);
    if let Some(out) = h5py(
        "import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\nx = f['log'][...]\nprint(x.shape, float(x.sum()), int(f['gzip_4'][2:4].sum()))",
        &p,
    ) {
        let sum: f64 = want.iter().map(|&v| v as f64).sum();
        let gz_sum: i64 = (0..16).map(|v| 1000 + v).sum();
        assert_eq!(out.trim(), format!("({}, 16) {:?} {}", n, sum, gz_sum));
    }
}

#[test]
fn a_new_file_written_through_the_editor() {
    let dir = std::env::temp_dir().join(format!("h5kit-edit-new-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("new.h5");
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&p).unwrap();
    let mut ed = Editor::create(Arc::new(WritableFile::from_file(file).unwrap()), Limits::default()).unwrap();
    ed.create_group("/a/b").unwrap();
    ed.create_dataset("/a/ints", DatasetSpec::new(dtype::int(8, true), &[10])).unwrap();
    let ints: Vec<u8> = (0..10i64).flat_map(|v| (v * v).to_le_bytes()).collect();
    ed.write_dataset("/a/ints", &ints).unwrap();
    let mut spec = DatasetSpec::new(dtype::float64(), &[100, 100]);
    spec.chunks = Some(vec![10, 10]);
    spec.deflate = Some(4);
    spec.shuffle = true;
    ed.create_dataset("/a/b/grid", spec).unwrap();
    let grid: Vec<f64> = (0..10_000).map(|v| (v as f64).sqrt()).collect();
    for q in 0..4u64 {
        let part: Vec<u8> = grid[q as usize * 2500..(q as usize + 1) * 2500].iter().flat_map(|v| v.to_le_bytes()).collect();
        ed.write_slice("/a/b/grid", &[q * 25, 0], &[25, 100], &part).unwrap();
    }
    let mut partial = DatasetSpec::new(dtype::int(4, true), &[5, 3]);
    partial.fill_value = Some(7i32.to_le_bytes().to_vec());
    ed.create_dataset("/partial", partial).unwrap();
    ed.write_slice("/partial", &[1, 1], &[2, 2], &[1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]).unwrap();
    ed.flush().unwrap();
    drop(ed);

    let f = File::open(&p).unwrap();
    assert_eq!(raw(&f, "/a/ints"), ints);
    let got = match f.object("/a/b/grid").unwrap() {
        Object::Dataset(d) => d.read::<f64>().unwrap().data,
        _ => panic!(),
    };
    assert_eq!(got, grid);
    let part = match f.object("/partial").unwrap() {
        Object::Dataset(d) => d.read::<i32>().unwrap().data,
        _ => panic!(),
    };
    assert_eq!(part, vec![7, 7, 7, 7, 1, 2, 7, 3, 4, 7, 7, 7, 7, 7, 7]);
    h5dump_ok(&p);
    if let Some(out) = h5py(
        "import h5py, sys, numpy as np\nf = h5py.File(sys.argv[1], 'r')\nprint(f['a/ints'][...].tolist(), bool((f['a/b/grid'][...].ravel() == np.sqrt(np.arange(10000.0))).all()), f['a/b/grid'].compression, f['partial'][...].tolist())",
        &p,
    ) {
        assert_eq!(out.trim(), "[0, 1, 4, 9, 16, 25, 36, 49, 64, 81] True gzip [[7, 7, 7], [7, 1, 2], [7, 3, 4], [7, 7, 7], [7, 7, 7]]");
    }
}

#[test]
fn opening_and_flushing_without_change_keeps_every_byte() {
    for name in ["filters_earliest.h5", "groups_earliest.h5", "datatypes_earliest.h5"] {
        let src = fixture(name);
        let p = tmp_copy(&src, name);
        let mut ed = Editor::open(open_storage(&p), Limits::default()).unwrap();
        ed.flush().unwrap();
        drop(ed);
        assert_eq!(std::fs::read(&p).unwrap(), std::fs::read(&src).unwrap(), "{}", name);
    }
}

#[test]
fn files_with_a_superblock_extension_are_refused_before_any_write() {
    // groups_latest.h5 with its superblock's "Superblock Extension Address" set (and the
    // checksum recomputed) to bytes that are no object header: an error, nothing written.
    let src = fixture("groups_latest.h5");
    let p = tmp_copy(&src, "extension.h5");
    let mut bytes = std::fs::read(&p).unwrap();
    bytes[20..28].copy_from_slice(&40u64.to_le_bytes());
    let sum = h5kit_core::lookup3(&bytes[..44], 0);
    bytes[44..48].copy_from_slice(&sum.to_le_bytes());
    std::fs::write(&p, &bytes).unwrap();
    assert!(Editor::open(open_storage(&p), Limits::default()).is_err());
    assert_eq!(std::fs::read(&p).unwrap(), bytes);
    // An extension the editor does not keep valid (paged aggregation, h5py's
    // fs_strategy='page'): `Unsupported`, nothing written.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fs_page.h5");
    let p = tmp_copy(&src, "fs_page.h5");
    let bytes = std::fs::read(&p).unwrap();
    let e = Editor::open(open_storage(&p), Limits::default()).unwrap_err();
    assert_eq!(e.kind, h5kit::ErrorKind::Unsupported, "{}", e);
    assert_eq!(std::fs::read(&p).unwrap(), bytes);
}

#[test]
fn hundreds_of_links_split_symbol_table_nodes_and_the_group_tree() {
    let dir = std::env::temp_dir().join(format!("h5kit-edit-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("many.h5");
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&p).unwrap();
    let mut ed = Editor::create(Arc::new(WritableFile::from_file(file).unwrap()), Limits::default()).unwrap();
    // Names in an order that is neither sorted nor reversed, so inserts land everywhere.
    let mut names: Vec<String> = (0..600).map(|i| format!("item{:04}", (i * 7919) % 600)).collect();
    for (i, n) in names.iter().enumerate() {
        ed.create_dataset(&format!("/g/{}", n), DatasetSpec::new(dtype::int(4, true), &[1])).unwrap();
        ed.write_dataset(&format!("/g/{}", n), &(i as i32).to_le_bytes()).unwrap();
        if i % 100 == 0 {
            ed.flush().unwrap();
        }
    }
    ed.flush().unwrap();
    drop(ed);
    let f = File::open(&p).unwrap();
    let g = match f.object("/g").unwrap() {
        Object::Group(g) => g,
        o => panic!("{:?}", o),
    };
    let mut keys = g.keys().unwrap();
    keys.sort();
    let order = names.clone();
    names.sort();
    assert_eq!(keys, names);
    for (i, n) in order.iter().enumerate().step_by(37) {
        let v = match f.object(&format!("/g/{}", n)).unwrap() {
            Object::Dataset(d) => d.read::<i32>().unwrap().data,
            _ => panic!(),
        };
        assert_eq!(v, vec![i as i32]);
    }
    h5dump_ok(&p);
    if let Some(out) = h5py("import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\ng = f['g']\nprint(len(g), list(g)[:3], int(g['item0599'][0]))", &p) {
        let i = order.iter().position(|n| n == "item0599").unwrap();
        assert_eq!(out.trim(), format!("600 ['item0000', 'item0001', 'item0002'] {}", i));
    }
}

#[test]
fn attributes_numeric_and_string_added_and_replaced_in_place() {
    let src = fixture("groups_earliest.h5");
    let p = tmp_copy(&src, "attrs.h5");
    let mut ed = Editor::open(open_storage(&p), Limits::default()).unwrap();
    let ints: Vec<u8> = [1i64, 2, 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    ed.set_attribute("/", "ids", dtype::int(8, true), Some(&[3]), &ints).unwrap();
    ed.set_string_attribute("/", "label", "first").unwrap();
    // Many attributes: the root header needs continuation chunks.
    for i in 0..40 {
        ed.set_attribute("/", &format!("a{:02}", i), dtype::float64(), None, &(i as f64 * 0.5).to_le_bytes()).unwrap();
    }
    ed.flush().unwrap();
    ed.set_string_attribute("/", "label", "second, longer than the first").unwrap();
    ed.set_attribute("/", "ids", dtype::int(8, true), Some(&[3]), &[9u8; 24]).unwrap();
    let e = ed.set_attribute("/", "bad", dtype::int(4, true), Some(&[2]), &[0u8; 7]).unwrap_err();
    assert!(e.message.contains("data size mismatch"), "{}", e);
    let e = ed.set_attribute("/", "huge", dtype::int(1, false), Some(&[70_000]), &vec![0u8; 70_000]).unwrap_err();
    assert!(e.message.contains("more than an object header message holds"), "{}", e);
    ed.flush().unwrap();
    drop(ed);

    let f = File::open(&p).unwrap();
    let root = f.root().unwrap();
    let attrs = root.attributes().unwrap();
    let find = |n: &str| attrs.iter().find(|a| a.name == n).unwrap_or_else(|| panic!("no attribute {}", n));
    assert_eq!(find("label").read_strings().unwrap(), vec!["second, longer than the first".to_string()]);
    assert_eq!(find("ids").read::<i64>().unwrap().data, vec![i64::from_le_bytes([9; 8]); 3]);
    assert_eq!(find("a39").read::<f64>().unwrap().data, vec![19.5]);
    assert_eq!(attrs.iter().filter(|a| a.name == "label").count(), 1);
    h5dump_ok(&p);
    if let Some(out) = h5py(
        "import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\na = f.attrs\nprint(a['label'], float(a['a39']), len(a))",
        &p,
    ) {
        assert_eq!(out.trim(), format!("second, longer than the first 19.5 {}", attrs.len()));
    }
}

#[test]
fn overlapping_small_writes_before_a_flush_keep_the_newest_bytes() {
    let dir = std::env::temp_dir().join(format!("h5kit-edit-small-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("small.h5");
    let f = File::open_with_mode(&p, "w").unwrap();
    f.create_dataset("/v", DatasetSpec::new(dtype::int(4, true), &[10])).unwrap();
    f.write_slice("/v", &[2], &[3], &[1i32, 1, 1]).unwrap();
    f.write_slice("/v", &[0], &[10], &[2i32; 10]).unwrap();
    f.write_slice("/v", &[4], &[4], &[3i32; 4]).unwrap();
    f.write_slice("/v", &[3], &[2], &[4i32; 2]).unwrap();
    f.write_slice("/v", &[9], &[1], &[5i32]).unwrap();
    // A large write over everything, then small ones again.
    let big: Vec<i32> = (0..10).collect();
    f.write("/v", &big).unwrap();
    f.write_slice("/v", &[1], &[1], &[-1i32]).unwrap();
    f.close().unwrap();
    let g = File::open(&p).unwrap();
    let Object::Dataset(v) = g.object("/v").unwrap() else { panic!() };
    assert_eq!(v.read::<i32>().unwrap().data, [0, -1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let f = File::open_with_mode(&p, "a").unwrap();
    f.write_slice("/v", &[2], &[3], &[7i32, 7, 7]).unwrap();
    f.write_slice("/v", &[3], &[1], &[8i32]).unwrap();
    f.close().unwrap();
    let g = File::open(&p).unwrap();
    let Object::Dataset(v) = g.object("/v").unwrap() else { panic!() };
    assert_eq!(v.read::<i32>().unwrap().data, [0, -1, 7, 8, 7, 5, 6, 7, 8, 9]);
}

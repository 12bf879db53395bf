//! The on-disk writer with the datatypes that went to the in-memory model before: committed
//! datatypes (a dataset's shared datatype message and the type's reference count), object and
//! dataset region references (datasets and attributes), null dataspaces, variable-length
//! members inside compounds, slices of variable-length datasets; in files of both formats,
//! new ones (h5kit builds the content) and copies of h5py's (`tests/data/make_types.py`).
//! Each case checks the file kept its inode (a fallback to the model replaces the file), reads
//! the result back with h5kit, and with h5py (values, reference targets, the committed type's
//! reference count) and h5dump (the whole file reads) when they are installed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{dtype, DatasetSpec, LibVer, Region};
use h5kit::{File, Mode};
use h5kit_testkit::inode as ino;
use h5kit_testkit::oracle;

fn tmp(name: &str) -> PathBuf {
    h5kit_testkit::temp_path("edit-types", name)
}


fn source(libver: LibVer) -> PathBuf {
    let name = if libver == LibVer::Latest { "types_latest.h5" } else { "types_earliest.h5" };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name)
}

/// The compound of the committed type `t`: a i32 at 0, b f64 at 4 (numpy's packed layout).
fn t_type() -> h5kit::Datatype {
    dtype::compound(12, vec![("a", 0, dtype::int(4, true)), ("b", 4, dtype::float64())])
}

fn t_bytes(values: &[(i32, f64)]) -> Vec<u8> {
    values.iter().flat_map(|(a, b)| a.to_le_bytes().into_iter().chain(b.to_le_bytes())).collect()
}

/// The compound with a variable-length string member: id i32 at 0, name at 4.
fn vc_type() -> h5kit::Datatype {
    dtype::compound(20, vec![("id", 0, dtype::int(4, true)), ("name", 4, dtype::vlen_string())])
}

/// The raw-byte encoding of `vc` elements: 20 element bytes, then u32 length and the string.
fn vc_bytes(values: &[(i32, &str)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (id, name) in values {
        v.extend_from_slice(&id.to_le_bytes());
        v.extend_from_slice(&[0; 16]);
        v.extend_from_slice(&(name.len() as u32).to_le_bytes());
        v.extend_from_slice(name.as_bytes());
    }
    v
}

fn vlen_bytes(strings: &[&str]) -> Vec<u8> {
    strings.iter().flat_map(|s| (s.len() as u32).to_le_bytes().into_iter().chain(s.bytes())).collect()
}

/// What h5py's file holds, made by h5kit in a new file (tests/data/make_types.py).
fn build_source(f: &File) {
    f.commit_datatype("t", t_type()).unwrap();
    f.create_dataset("d", DatasetSpec { committed_type: Some("/t".into()), ..DatasetSpec::new(dtype::int(1, false), &[3]) }).unwrap();
    f.write_raw("d", &t_bytes(&[(1, 0.5), (2, 1.5), (3, 2.5)])).unwrap();
    f.write_new::<i32>("x", &[2, 3], &[10, 20, 30, 40, 50, 60]).unwrap();
    f.create_group("g").unwrap();
    f.create_dataset("vc", DatasetSpec::new(vc_type(), &[2])).unwrap();
    f.write_raw("vc", &vc_bytes(&[(1, "one"), (2, "two")])).unwrap();
    f.create_dataset("s", DatasetSpec::new(dtype::vlen_string(), &[4])).unwrap();
    f.write_strings("s", &["aa", "bb", "cc", "dd"]).unwrap();
    f.create_dataset("r", DatasetSpec::new(dtype::object_reference(), &[2])).unwrap();
    f.write_references("r", &[Some("/d"), Some("/g")]).unwrap();
    f.create_dataset("rr", DatasetSpec::new(dtype::region_reference(), &[1])).unwrap();
    f.write_region_references("rr", &[Some(("/x", Region::Blocks(vec![(vec![0, 1], vec![1, 2])])))]).unwrap();
    f.create_null_dataset("n", DatasetSpec::scalar(dtype::float32())).unwrap();
    f.set_attr_null("/", "na", dtype::int(4, true)).unwrap();
}

/// The edits of every case (on h5py's file or the one `build_source` made).
fn edit(f: &File) {
    // A second dataset of the committed type; the first one rewritten.
    f.create_dataset("d2", DatasetSpec { committed_type: Some("/t".into()), ..DatasetSpec::new(dtype::int(1, false), &[2]) }).unwrap();
    f.write_raw("d2", &t_bytes(&[(7, -1.25), (8, 1e300)])).unwrap();
    f.write_raw("d", &t_bytes(&[(4, 4.5), (5, 5.5), (6, 6.5)])).unwrap();
    // A committed type used by a dataset that is then deleted: its count goes back.
    f.create_dataset("gone", DatasetSpec { committed_type: Some("/t".into()), ..DatasetSpec::new(dtype::int(1, false), &[1]) }).unwrap();
    f.flush().unwrap();
    f.delete("gone").unwrap();
    // References: rewritten, new datasets, attributes.
    f.write_references("r", &[Some("/g"), Some("/x")]).unwrap();
    f.create_dataset("r2", DatasetSpec::new(dtype::object_reference(), &[3])).unwrap();
    f.write_references("r2", &[Some("/x"), None, Some("/d2")]).unwrap();
    f.create_dataset("rr2", DatasetSpec::new(dtype::region_reference(), &[2])).unwrap();
    f.write_region_references("rr2", &[Some(("/x", Region::Blocks(vec![(vec![1, 0], vec![1, 2])]))), Some(("/d", Region::All))]).unwrap();
    f.set_attr_references("x", "ra", Some(&[2]), &[Some("/d"), Some("/g")]).unwrap();
    f.set_attr_region_references("g", "rra", None, &[Some(("/x", Region::All))]).unwrap();
    // Null dataspaces: a new dataset and attribute; a write of nothing into the old one.
    f.create_null_dataset("n2", DatasetSpec::scalar(dtype::int(2, true))).unwrap();
    f.set_attr_null("x", "na2", dtype::float32()).unwrap();
    f.write_raw("n", &[]).unwrap();
    assert!(f.write_raw("n", &[0; 4]).is_err(), "a null dataset holds no elements");
    // Variable-length members in a compound (new, whole and a slice), slices of strings.
    f.create_dataset("vc2", DatasetSpec::new(vc_type(), &[3])).unwrap();
    f.write_raw("vc2", &vc_bytes(&[(10, "ten"), (11, ""), (12, "twelve")])).unwrap();
    f.write_slice_raw("vc", &[1], &[1], &vc_bytes(&[(22, "twenty-two")])).unwrap();
    f.write_slice_raw("s", &[1], &[2], &vlen_bytes(&["BB", "a longer string"])).unwrap();
    f.set_attr_raw("g", "vca", vc_type(), Some(&[1]), &vc_bytes(&[(5, "five")])).unwrap();
}

/// The file after `edit`, as h5py shows it (the script below prints the same lines).
fn expected() -> String {
    [
        "t rc 3",
        "d True [(4, 4.5), (5, 5.5), (6, 6.5)]",
        "d2 True [(7, -1.25), (8, 1e+300)]",
        "gone False",
        "r ['/g', '/x']",
        "r2 ['/x', None, '/d2']",
        "rr [('/x', [20, 30])]",
        "rr2 [('/x', [40, 50]), ('/d', [(4, 4.5), (5, 5.5), (6, 6.5)])]",
        "ra ['/d', '/g']",
        "rra /x [10, 20, 30, 40, 50, 60]",
        "n None float32",
        "n2 None int16",
        "na int32",
        "na2 float32",
        "vc [(1, b'one'), (22, b'twenty-two')]",
        "vc2 [(10, b'ten'), (11, b''), (12, b'twelve')]",
        "vca [(5, b'five')]",
        "s [b'aa', b'BB', b'a longer string', b'dd']",
    ]
    .join("\n")
}

const H5PY_SCRIPT: &str = r#"
import h5py, sys, numpy as np
f = h5py.File(sys.argv[1], 'r')
name = lambda r: f[r].name if r else None
def region(r):
    v = np.asarray(f[r][r]).ravel().tolist() if f[r].dtype.names is None else f[r][r].ravel().tolist()
    return (name(r), v)
out = ['t rc %d' % h5py.h5o.get_info(f['t'].id).rc]
for k in ['d', 'd2']:
    out.append('%s %s %s' % (k, f[k].id.get_type().committed(), f[k][...].tolist()))
out.append('gone %s' % ('gone' in f))
for k in ['r', 'r2']:
    out.append('%s %s' % (k, [name(r) for r in f[k][...]]))
for k in ['rr', 'rr2']:
    out.append('%s %s' % (k, [region(r) for r in f[k][...]]))
out.append('ra %s' % [name(r) for r in f['x'].attrs['ra']])
r = f['g'].attrs['rra']
out.append('rra %s %s' % (name(r), np.asarray(f[r][r]).ravel().tolist()))
for k in ['n', 'n2']:
    out.append('%s %s %s' % (k, f[k].shape, f[k].dtype))
out.append('na %s' % f.attrs['na'].dtype)
out.append('na2 %s' % f['x'].attrs['na2'].dtype)
for k in ['vc', 'vc2']:
    out.append('%s %s' % (k, f[k][...].tolist()))
out.append('vca %s' % f['g'].attrs['vca'].tolist())
out.append('s %s' % f['s'][...].tolist())
print('\n'.join(out))
"#;

/// Checks the edited file: h5kit reads it; h5py sees `expected()`; h5dump reads it whole.
fn check(p: &Path) {
    let f = File::open(p).unwrap();
    let d = f.dataset("d").unwrap();
    assert!(d.snapshot().unwrap().committed_datatype().is_some(), "d keeps its committed type");
    assert_eq!(d.read_raw().unwrap(), t_bytes(&[(4, 4.5), (5, 5.5), (6, 6.5)]));
    assert_eq!(f.dataset("d2").unwrap().read_raw().unwrap(), t_bytes(&[(7, -1.25), (8, 1e300)]));
    assert_eq!(f.dataset("s").unwrap().read_strings().unwrap(), ["aa", "BB", "a longer string", "dd"]);
    if oracle::check(oracle::H5PY, 1, "h5py reads the types the editor wrote") {
        let out = Command::new("python3").args(["-c", H5PY_SCRIPT]).arg(p).output().unwrap();
        assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), expected());
        oracle::compared(oracle::H5PY, 1);
    }
    if oracle::check(oracle::H5DUMP, 1, "h5dump reads the types the editor wrote") {
        let out = Command::new("h5dump").arg(p).output().unwrap();
        assert!(out.status.success(), "h5dump failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("DATATYPE  \"/t\""), "h5dump shows the datasets of the committed type:\n{}", text);
        assert!(text.contains("DATASPACE  NULL"), "{}", text);
        oracle::compared(oracle::H5DUMP, 1);
    }
}

fn run_new(libver: LibVer, name: &str) {
    let p = tmp(name);
    let f = File::open_with(&p, Mode::Truncate, libver).unwrap();
    let inode = ino(&p);
    build_source(&f);
    f.flush().unwrap();
    edit(&f);
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was edited in place (no fallback to the model)");
    check(&p);
}

fn run_h5py(libver: LibVer, name: &str) {
    let p = tmp(name);
    std::fs::copy(source(libver), &p).unwrap();
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, libver).unwrap();
    edit(&f);
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was edited in place (no fallback to the model)");
    check(&p);
}

#[test]
fn types_in_a_new_earliest_file() {
    run_new(LibVer::Earliest, "new_earliest.h5");
}

#[test]
fn types_in_a_new_latest_file() {
    run_new(LibVer::Latest, "new_latest.h5");
}

#[test]
fn types_in_an_h5py_earliest_file() {
    run_h5py(LibVer::Earliest, "h5py_earliest.h5");
}

#[test]
fn types_in_an_h5py_latest_file() {
    run_h5py(LibVer::Latest, "h5py_latest.h5");
}

/// `File::create_in_memory(LibVer::Latest)` runs on the editor: the same bytes as the same
/// edits on disk.
#[test]
fn latest_in_memory_files_are_the_editors() {
    let p = tmp("mem_latest.h5");
    let disk = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let mem = File::create_in_memory(LibVer::Latest).unwrap();
    for f in [&disk, &mem] {
        build_source(f);
        f.flush().unwrap();
        edit(f);
    }
    let bytes = mem.to_bytes().unwrap();
    disk.close().unwrap();
    assert_eq!(bytes, std::fs::read(&p).unwrap());
    check(&p);
}

fn fixture(name: &str, copy: &str) -> PathBuf {
    let p = tmp(copy);
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(name), &p).unwrap();
    p
}

/// Runs `script` (h5py) on `p`; its output, or `None` without h5py.
fn h5py_out(script: &str, p: &Path, what: &str) -> Option<String> {
    if !oracle::check(oracle::H5PY, 1, what) {
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).arg(p).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

fn h5dump_ok(p: &Path) {
    if oracle::check(oracle::H5DUMP, 1, "h5dump reads the edited file") {
        let out = Command::new("h5dump").arg(p).output().unwrap();
        assert!(out.status.success(), "h5dump failed: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
        oracle::compared(oracle::H5DUMP, 1);
    }
}

/// A dataset with an implicit chunk index (h5py: early allocation, unfiltered, 5x4 in 2x2
/// chunks) written in place: a box across chunks (edge chunks too), then the whole dataset
/// twice with a flush between.
#[test]
fn implicit_chunk_index_is_written_in_place() {
    let p = fixture("implicit_v110.h5", "implicit.h5");
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, LibVer::Latest).unwrap();
    let mut want: Vec<i32> = (0..20).collect();
    // Rows 1..5, columns 1..3.
    let boxed: Vec<i32> = (0..8).map(|i| 100 + i).collect();
    f.write_slice("imp", &[1, 1], &[4, 2], &boxed).unwrap();
    for (k, v) in boxed.iter().enumerate() {
        want[(1 + k / 2) * 4 + 1 + k % 2] = *v;
    }
    f.flush().unwrap();
    assert_eq!(f.dataset("imp").unwrap().read::<i32>().unwrap().data, want);
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "edited in place (no fallback to the model)");
    assert_eq!(File::open(&p).unwrap().dataset("imp").unwrap().read::<i32>().unwrap().data, want);
    let script = "import h5py, sys\nf = h5py.File(sys.argv[1], 'r')\nprint(f['imp'][...].ravel().tolist(), f['imp'].id.get_storage_size())";
    if let Some(out) = h5py_out(script, &p, "h5py reads an implicit-index dataset the editor wrote") {
        // The storage keeps its 6 chunks of 16 bytes (nothing moved or grew).
        assert_eq!(out, format!("{:?} 96", want));
    }
    h5dump_ok(&p);
}

/// A superblock extension with persisted (empty) free-space managers: edited in place, then
/// libhdf5 (h5py `r+`) edits the file further and reads everything back.
#[test]
fn superblock_extension_with_file_space_info_is_edited_in_place() {
    let p = fixture("fsm_persist.h5", "fsm_persist.h5");
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, LibVer::Latest).unwrap();
    f.write::<i32>("x", &[5, 4, 3, 2, 1, 0]).unwrap();
    f.write_new::<f64>("y", &[3], &[0.5, 1.5, 2.5]).unwrap();
    f.set_attr::<i32>("y", "a", None, &[7]).unwrap();
    f.create_group("g").unwrap();
    f.delete("g").unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "edited in place (no fallback to the model)");
    let script = "import h5py, sys\n\
        with h5py.File(sys.argv[1], 'r+') as f:\n    f['z'] = [9, 8]\n    f['x'][0] = 50\n\
        f = h5py.File(sys.argv[1], 'r')\n\
        print(f['x'][...].tolist(), f['y'][...].tolist(), int(f['y'].attrs['a']), f['z'][...].tolist(), sorted(f.keys()))";
    if let Some(out) = h5py_out(script, &p, "libhdf5 edits and reads a file with a superblock extension the editor changed") {
        assert_eq!(out, "[50, 4, 3, 2, 1, 0] [0.5, 1.5, 2.5] 7 [9, 8] ['x', 'y', 'z']");
    }
    h5dump_ok(&p);
}

/// Paged aggregation (page-aligned allocation) is not edited: opening for writing fails with
/// `Unsupported` naming the file and what is refused, and the file is left byte for byte.
#[test]
fn paged_file_space_is_refused_at_open() {
    let p = fixture("fs_page.h5", "fs_page.h5");
    let before = std::fs::read(&p).unwrap();
    let e = File::open_with(&p, Mode::ReadWrite, LibVer::Latest).expect_err("r+ of a paged file must fail");
    assert_eq!(e.kind, h5kit::ErrorKind::Unsupported, "{}", e);
    let msg = e.to_string();
    assert!(msg.contains("fs_page.h5") && msg.contains("for writing"), "{}", msg);
    assert!(msg.to_lowercase().contains("page"), "the error names paged aggregation: {}", msg);
    assert!(std::fs::read(&p).unwrap() == before, "the file was changed");
    // Reading still works.
    let f = File::open(&p).unwrap();
    assert_eq!(f.dataset("x").unwrap().read::<i32>().unwrap().data, [0, 1, 2, 3, 4, 5]);
}

/// A path through an external link is an error (its target is in another file), as the
/// in-memory model gives, without a fallback: the file keeps its inode and stays whole. Soft
/// links on the way of a new object's path are followed.
#[test]
fn paths_through_external_links_are_errors_in_place() {
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let p = tmp(&format!("ext_{:?}.h5", libver));
        let f = File::open_with(&p, Mode::Truncate, libver).unwrap();
        f.flush().unwrap();
        let inode = ino(&p);
        f.create_external_link("/ext", "other.h5", "/g").unwrap();
        let e = f.write_new::<i32>("/ext/x", &[1], &[1]).unwrap_err();
        assert_eq!(e.kind, h5kit::ErrorKind::Usage, "{}", e);
        assert!(e.to_string().contains("external link"), "{}", e);
        f.write_new::<i32>("/y", &[2], &[3, 4]).unwrap();
        // A soft link on the way is followed, as libhdf5 traverses it.
        f.create_group("/real").unwrap();
        f.create_soft_link("/soft", "/real").unwrap();
        f.write_new::<i32>("/soft/z", &[1], &[9]).unwrap();
        f.create_soft_link("/soft/s2", "/y").unwrap();
        f.close().unwrap();
        assert_eq!(ino(&p), inode, "{:?}: no fallback to the model", libver);
        let f = File::open(&p).unwrap();
        assert_eq!(f.dataset("y").unwrap().read::<i32>().unwrap().data, [3, 4]);
        assert_eq!(f.dataset("/real/z").unwrap().read::<i32>().unwrap().data, [9]);
        assert_eq!(f.dataset("/real/s2").unwrap().read::<i32>().unwrap().data, [3, 4]);
        h5dump_ok(&p);
    }
}

/// An external link into a symbol-table group of more than 8 links converts it to dense
/// storage, as libhdf5 does, in place; libhdf5 then edits the dense group further.
#[test]
fn external_link_into_a_large_symbol_table_group_goes_dense_in_place() {
    let p = tmp("dense_ext.h5");
    let f = File::create(&p).unwrap();
    for i in 0..20 {
        f.write_new::<i32>(&format!("/g/d{:02}", i), &[1], &[i]).unwrap();
    }
    f.create_soft_link("/g/soft", "/g/d03").unwrap();
    f.flush().unwrap();
    let inode = ino(&p);
    f.create_external_link("/g/ext", "other.h5", "/t").unwrap();
    f.write_new::<i32>("/g/after", &[1], &[99]).unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "no fallback to the model");
    let f = File::open(&p).unwrap();
    let g = f.group("/g").unwrap();
    assert_eq!(g.len().unwrap(), 23);
    assert_eq!(f.dataset("/g/d07").unwrap().read::<i32>().unwrap().data, [7]);
    assert_eq!(f.dataset("/g/soft").unwrap().read::<i32>().unwrap().data, [3]);
    assert_eq!(f.dataset("/g/after").unwrap().read::<i32>().unwrap().data, [99]);
    let script = "import h5py, sys\n\
        with h5py.File(sys.argv[1], 'r+') as f:\n    f['g/by_libhdf5'] = [5]\n\
        f = h5py.File(sys.argv[1], 'r')\ng = f['g']\n\
        e = g.get('ext', getlink=True)\ns = g.get('soft', getlink=True)\n\
        print(len(g), [int(g['d%02d' % i][0]) for i in range(20)], e.filename, e.path, s.path, int(g['after'][0]), int(g['by_libhdf5'][0]))";
    if let Some(out) = h5py_out(script, &p, "libhdf5 reads and edits the dense group the editor converted") {
        let ds: Vec<i32> = (0..20).collect();
        assert_eq!(out, format!("24 {:?} other.h5 /t /g/d03 99 5", ds));
    }
    h5dump_ok(&p);
}

//! The on-disk writer's shrinking resize, variable-length strings and sequences, compact
//! datasets, fixed-length strings and deletes in files of the latest format (superblock 3,
//! version 2 object headers, link-message and dense groups, the chunk indexes of spec
//! III.H-III.K). Each test checks the file stayed the same inode (a fallback to the in-memory
//! model replaces the file) and compares with what libhdf5 reads (h5py, h5dump, h5diff) or
//! with h5py doing the same edits on a copy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{dtype, DatasetSpec, LayoutKind, LibVer};
use h5kit::{File, Mode, Object};
use h5kit_testkit::inode as ino;
use h5kit_testkit::oracle;

fn tmp(name: &str) -> PathBuf {
    h5kit_testkit::temp_path("latest-more", name)
}


fn python(script: &str, file: &Path, what: &str) -> Option<String> {
    if !oracle::check(oracle::H5PY, 1, what) {
        return None;
    }
    let out = Command::new("python3").args(["-c", script]).arg(file).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5PY, 1);
    Some(String::from_utf8(out.stdout).unwrap())
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

fn h5diff_same(a: &Path, b: &Path) {
    if !oracle::check(oracle::H5DIFF, 1, "h5diff of the editor's and h5py's edits") {
        return;
    }
    let out = Command::new("h5diff").arg(a).arg(b).output().unwrap();
    assert!(out.status.success(), "h5diff: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    oracle::compared(oracle::H5DIFF, 1);
}

fn values_i32(f: &File, path: &str) -> (Vec<u64>, Vec<i32>) {
    match f.object(path).unwrap() {
        Object::Dataset(d) => (d.shape().to_vec(), d.read::<i32>().unwrap().data),
        o => panic!("{:?}", o),
    }
}

/// The shrink cases: name, first shape, shrunk shape, grown shape (each index of spec III.H-K
/// as libhdf5 picks it from the maxshape and chunks h5py gives in `SHRINK_SOURCE`).
/// Name, first shape, shrunk shape, grown shape.
type Shrink = (&'static str, &'static [u64], &'static [u64], &'static [u64]);

const SHRINKS: [Shrink; 6] = [
    ("ea", &[40], &[13], &[30]),
    ("ea_gz", &[40], &[13], &[30]),
    ("bt2", &[12, 10], &[5, 3], &[14, 12]),
    ("bt2_gz", &[12, 10], &[5, 3], &[14, 12]),
    ("fa", &[12, 10], &[7, 6], &[12, 10]),
    ("single", &[6, 5], &[4, 3], &[6, 5]),
];

/// h5py writes the source file (libver v110: superblock 3, the latest chunk indexes, which
/// h5dump 1.10 reads).
const SHRINK_SOURCE: &str = "import sys,h5py,numpy as np
f=h5py.File(sys.argv[1],'w',libver=('v110','v110'))
f.create_dataset('ea',data=np.arange(40,dtype='i4'),maxshape=(None,),chunks=(4,),fillvalue=-1)
f.create_dataset('ea_gz',data=np.arange(40,dtype='i4'),maxshape=(None,),chunks=(4,),compression='gzip')
f.create_dataset('bt2',data=np.arange(120,dtype='i4').reshape(12,10),maxshape=(None,None),chunks=(4,4),fillvalue=-7)
f.create_dataset('bt2_gz',data=np.arange(120,dtype='i4').reshape(12,10),maxshape=(None,None),chunks=(4,4),compression='gzip',shuffle=True)
f.create_dataset('fa',data=np.arange(120,dtype='i4').reshape(12,10),chunks=(4,4),fillvalue=5)
f.create_dataset('single',data=np.arange(30,dtype='i4').reshape(6,5),chunks=(6,5),fillvalue=9)
";

/// h5py's same edits: shrink, grow, one value written in the grown part.
const SHRINK_EDIT: &str = "import sys,h5py
f=h5py.File(sys.argv[1],'r+')
for name,a,b in [('ea',(13,),(30,)),('ea_gz',(13,),(30,)),('bt2',(5,3),(14,12)),('bt2_gz',(5,3),(14,12)),('fa',(7,6),(12,10)),('single',(4,3),(6,5))]:
    d=f[name]; d.resize(a); d.resize(b); d[tuple(x-1 for x in b)]=1000
f.close()
";

const SHRINK_PRINT: &str = "import sys,h5py
f=h5py.File(sys.argv[1],'r')
for n in ['ea','ea_gz','bt2','bt2_gz','fa','single']:
    d=f[n]; print(n, list(d.shape), d[()].flatten().tolist())
";

fn shrink_print(f: &File) -> String {
    let mut s = String::new();
    for (name, ..) in SHRINKS {
        let (shape, v) = values_i32(f, &format!("/{}", name));
        s += &format!("{} {:?} {:?}\n", name, shape, v);
    }
    s
}

#[test]
fn shrinking_each_latest_chunk_index_then_growing_shows_fill_values_as_h5py() {
    let src = tmp("shrink_src.h5");
    if python(SHRINK_SOURCE, &src, "h5py writing the shrink source").is_none() {
        return;
    }
    let ours = tmp("shrink_ours.h5");
    let theirs = tmp("shrink_h5py.h5");
    std::fs::copy(&src, &ours).unwrap();
    std::fs::copy(&src, &theirs).unwrap();
    python(SHRINK_EDIT, &theirs, "h5py doing the shrink edits").unwrap();
    let inode = ino(&ours);
    let f = File::open_with(&ours, Mode::ReadWrite, LibVer::Earliest).unwrap();
    for (i, (name, _, small, big)) in SHRINKS.iter().enumerate() {
        let path = format!("/{}", name);
        f.resize(&path, small).unwrap();
        if i % 2 == 0 {
            f.flush().unwrap(); // the shrink committed alone for half of them
        }
        f.resize(&path, big).unwrap();
        let last: Vec<u64> = big.iter().map(|b| b - 1).collect();
        f.write_slice(&path, &last, &vec![1; big.len()], &[1000i32]).unwrap();
    }
    f.close().unwrap();
    assert_eq!(ino(&ours), inode, "the file was replaced: the editor fell back to the model");
    let want = python(SHRINK_PRINT, &theirs, "h5py reading its own shrink edits").unwrap();
    let got = python(SHRINK_PRINT, &ours, "h5py reading the editor's shrink edits").unwrap();
    assert_eq!(got, want);
    // h5kit reads the same, and the fill values are there (not the old data).
    let r = File::open(&ours).unwrap();
    assert_eq!(shrink_print(&r), want);
    let (_, ea) = values_i32(&r, "/ea");
    assert_eq!(&ea[..13], &(0..13).collect::<Vec<i32>>()[..]);
    assert_eq!(&ea[13..29], &[-1; 16][..]);
    h5diff_same(&ours, &theirs);
    if let Some(out) = h5dump(&["-d", "/single"], &ours) {
        assert!(out.contains("(0,0): 0, 1, 2, 9, 9,") && out.contains("(5,0): 9, 9, 9, 9, 1000"), "{}", out);
    }
}

fn vlen_raw(elements: &[&[u8]]) -> Vec<u8> {
    elements.iter().flat_map(|e| (e.len() as u32).to_le_bytes().into_iter().chain(e.iter().copied())).collect()
}

/// Variable-length strings and sequences, compact datasets and fixed-length strings, in a new
/// latest file and in one h5py wrote: datasets and attributes, written, rewritten, deleted.
fn strings_and_compact(f: &File) {
    f.create_dataset("/s", DatasetSpec::new(dtype::vlen_string(), &[3])).unwrap();
    f.write_strings("/s", &["alpha", "", "a much longer string than the others"]).unwrap();
    f.flush().unwrap();
    f.write_strings("/s", &["one", "two", "three"]).unwrap();
    let mut spec = DatasetSpec::new(dtype::int(4, true), &[4]);
    spec.layout = Some(LayoutKind::Compact);
    f.create_dataset("/cp", spec).unwrap();
    f.write_raw("/cp", &[1i32, 2, 3, 4].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    f.flush().unwrap();
    f.write_slice("/cp", &[2], &[2], &[30i32, 40]).unwrap();
    let fixed = dtype::fixed_string(6, h5kit::StringPadding::NullPad, h5kit::CharacterSet::Ascii);
    f.create_dataset("/fs", DatasetSpec::new(fixed.clone(), &[2])).unwrap();
    f.write_raw("/fs", b"abc\0\0\0hello!").unwrap();
    f.set_attr_raw("/s", "names", dtype::vlen_string(), Some(&[2]), &vlen_raw(&[b"a", b"bc"])).unwrap();
    f.set_attr_raw("/cp", "seq", dtype::vlen_sequence(dtype::int(2, true)), Some(&[2]), &vlen_raw(&[&[1, 0, 2, 0], &[]])).unwrap();
    f.set_attr_raw("/", "fixed", fixed, None, b"xyz\0\0\0").unwrap();
    f.set_attr_str("/", "gone", "deleted below").unwrap();
    f.flush().unwrap();
    f.set_attr_raw("/s", "names", dtype::vlen_string(), Some(&[3]), &vlen_raw(&[b"x", b"", b"zzz"])).unwrap();
    f.delete_attr("/", "gone").unwrap();
}

const STRINGS_PRINT: &str = "import sys,h5py
f=h5py.File(sys.argv[1],'r')
t=lambda x: x.decode() if isinstance(x,bytes) else x
print([t(x) for x in f['s'][()]], [t(x) for x in f['s'].attrs['names']])
print(f['cp'][()].tolist(), f['cp'].id.get_create_plist().get_layout()==h5py.h5d.COMPACT, [x.tolist() for x in f['cp'].attrs['seq']])
print(f['fs'][()].tolist(), f.attrs['fixed'], sorted(f.attrs.keys()))
print(f.id.get_create_plist().get_version()[0])
";

const STRINGS_WANT: &str = "['one', 'two', 'three'] ['x', '', 'zzz']\n[1, 2, 30, 40] True [[1, 2], []]\n[b'abc', b'hello!'] b'xyz' ['fixed']\n3\n";

fn check_strings(p: &Path) {
    let r = File::open(p).unwrap();
    let ds = |path: &str| match r.object(path).unwrap() {
        Object::Dataset(d) => d,
        o => panic!("{:?}", o),
    };
    assert_eq!(ds("/s").read_strings().unwrap(), vec!["one", "two", "three"]);
    assert_eq!(ds("/cp").read::<i32>().unwrap().data, vec![1, 2, 30, 40]);
    assert_eq!(ds("/fs").read_raw().unwrap(), b"abc\0\0\0hello!".to_vec());
    let a = ds("/s").attributes().unwrap();
    assert_eq!(a.iter().find(|a| a.name == "names").unwrap().read_strings().unwrap(), vec!["x", "", "zzz"]);
    if let Some(out) = python(STRINGS_PRINT, p, "h5py reading strings and compact datasets the editor wrote") {
        assert_eq!(out, STRINGS_WANT);
    }
    if let Some(out) = h5dump(&["-d", "/s", "-d", "/cp", "-d", "/fs"], p) {
        assert!(out.contains("(0): \"one\", \"two\", \"three\""), "{}", out);
        assert!(out.contains("(0): 1, 2, 30, 40"), "{}", out);
        assert!(out.contains("(0): \"abc\\000\\000\\000\", \"hello!\""), "{}", out);
    }
}

#[test]
fn vlen_strings_compact_datasets_and_fixed_strings_in_latest_files() {
    let p = tmp("strings_new.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    f.flush().unwrap();
    let inode = ino(&p);
    strings_and_compact(&f);
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    check_strings(&p);

    let q = tmp("strings_h5py.h5");
    if python("import sys,h5py\nf=h5py.File(sys.argv[1],'w',libver=('v110','v110'))\nf.create_group('g')\n", &q, "h5py writing an empty latest file").is_none() {
        return;
    }
    let inode = ino(&q);
    let f = File::open_with(&q, Mode::ReadWrite, LibVer::Earliest).unwrap();
    strings_and_compact(&f);
    f.close().unwrap();
    assert_eq!(ino(&q), inode, "the file was replaced: the editor fell back to the model");
    check_strings(&q);
}

/// Creates `n` datasets of 2000 doubles (16 KB each) in `group`.
fn fill_group(f: &File, group: &str, n: usize, tag: f64) {
    for i in 0..n {
        let v: Vec<f64> = (0..2000).map(|j| tag + i as f64 * 10_000.0 + j as f64).collect();
        f.write_new(&format!("{}/d{:02}", group, i), &[2000], &v).unwrap();
    }
}

const DELETE_PRINT: &str = "import sys,h5py
f=h5py.File(sys.argv[1],'r')
for g in ['c','dense','nest/inner']:
    print(g, sorted(f[g].keys()))
print(float(f['keep'][0]), float(f['c/d00'][1999]), float(f['dense/d03'][5]))
print(h5py.h5o.get_info(f['keep'].id).rc, h5py.h5o.get_info(f['c/d00'].id).rc)
print([float(f['again/d%02d'%i][j]) for i in range(10) for j in (0,1999)]==[3e6+i*1e4+j for i in range(10) for j in (0,1999)])
";

#[test]
fn deletes_in_link_message_and_dense_groups_free_space_and_count_hard_links() {
    let p = tmp("deletes.h5");
    let f = File::open_with(&p, Mode::Truncate, LibVer::Latest).unwrap();
    let inode = ino(&p);
    fill_group(&f, "/c", 3, 0.0); // compact: link messages in the header
    fill_group(&f, "/dense", 12, 1e6); // dense: fractal heap and name index
    fill_group(&f, "/nest/inner", 4, 2e6);
    f.create_hard_link("/keep", "/c/d01").unwrap();
    f.create_hard_link("/c/alias", "/c/d00").unwrap();
    f.flush().unwrap();
    let full = std::fs::metadata(&p).unwrap().len();
    // Deletes: datasets of both kinds of group, a hard link of two, a group with children.
    f.delete("/c/d01").unwrap(); // still reachable as /keep
    f.delete("/c/alias").unwrap(); // /c/d00 stays, its count back to 1
    f.delete("/c/d02").unwrap();
    for i in [0, 1, 2, 4, 5, 6, 7, 8, 9] {
        f.delete(&format!("/dense/d{:02}", i)).unwrap();
    }
    f.delete("/nest").unwrap();
    f.flush().unwrap();
    // The space of the deleted datasets (13 of 16 KB, counting /nest's four) is reused.
    fill_group(&f, "/again", 10, 3e6);
    // A deleted name made again, and an object made and deleted before any flush.
    f.write_new("/nest/inner/x", &[2], &[1.5f64, 2.5]).unwrap();
    f.write_new("/c/brief", &[3], &[1.0f64, 2.0, 3.0]).unwrap();
    f.delete("/c/brief").unwrap();
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    let end = std::fs::metadata(&p).unwrap().len();
    assert!(end < full + 60_000, "deleted datasets' space not reused: {} bytes before the deletes, {} after 10 new datasets", full, end);

    let r = File::open(&p).unwrap();
    let keys = |g: &str| match r.object(g).unwrap() {
        Object::Group(g) => g.keys().unwrap(),
        o => panic!("{:?}", o),
    };
    assert_eq!(keys("/c"), vec!["d00"]);
    assert_eq!(keys("/dense"), vec!["d03", "d10", "d11"]);
    assert_eq!(keys("/nest/inner"), vec!["x"]);
    let f64s = |p: &str| match r.object(p).unwrap() {
        Object::Dataset(d) => d.read::<f64>().unwrap().data,
        o => panic!("{:?}", o),
    };
    assert_eq!(f64s("/keep")[0], 10_000.0);
    assert_eq!(f64s("/nest/inner/x"), vec![1.5, 2.5]);
    assert_eq!(f64s("/again/d09")[1], 3e6 + 90_001.0);
    if let Some(out) = python(DELETE_PRINT, &p, "h5py reading a latest file after deletes") {
        assert_eq!(out, "c ['d00']\ndense ['d03', 'd10', 'd11']\nnest/inner ['x']\n10000.0 1999.0 1030005.0\n1 1\nTrue\n");
    }
    if let Some(out) = h5dump(&["-H"], &p) {
        assert!(out.contains("DATASET \"d11\"") && out.contains("DATASET \"x\"") && !out.contains("\"alias\"") && !out.contains("\"brief\""), "{}", out);
    }
}

/// Every dataset of `layouts_latest.h5` (libhdf5 2.0 wrote it: each chunk index, compact,
/// contiguous) but those in `KEEP`, deleted; then new datasets into the freed space. libhdf5
/// reads what stays with the values it had.
#[test]
fn deleting_datasets_of_every_latest_chunk_index_h5py_wrote() {
    const KEEP: [&str; 3] = ["chunked_btree_v2", "chunked_fixed_array_paged", "contiguous"];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/generated/layouts_latest.h5");
    let p = tmp("layouts_deleted.h5");
    std::fs::copy(&src, &p).unwrap();
    let inode = ino(&p);
    let f = File::open_with(&p, Mode::ReadWrite, LibVer::Earliest).unwrap();
    let all = match f.object("/").unwrap() {
        Object::Group(g) => g.keys().unwrap(),
        o => panic!("{:?}", o),
    };
    assert!(all.len() > 15, "{:?}", all);
    for name in all.iter().filter(|n| !KEEP.contains(&n.as_str())) {
        f.delete(&format!("/{}", name)).unwrap();
    }
    f.flush().unwrap();
    for i in 0..4 {
        f.write_new(&format!("/new{}", i), &[50], &(0..50).map(|x| x * (i + 1)).collect::<Vec<i32>>()).unwrap();
    }
    f.close().unwrap();
    assert_eq!(ino(&p), inode, "the file was replaced: the editor fell back to the model");
    let r = File::open(&p).unwrap();
    assert_eq!(values_i32(&r, "/new3").1, (0..50).map(|x| x * 4).collect::<Vec<i32>>());
    let script = format!(
        "import sys,h5py,numpy as np
f=h5py.File(sys.argv[1],'r'); o=h5py.File('{}','r')
print(sorted(f.keys()))
print([np.array_equal(f[k][()], o[k][()]) for k in {:?}], [f['new%d'%i][()].tolist()==[x*(i+1) for x in range(50)] for i in range(4)])
",
        src.display(),
        KEEP
    );
    if let Some(out) = python(&script, &p, "h5py reading a file after deletes of every chunk index") {
        assert_eq!(out, "['chunked_btree_v2', 'chunked_fixed_array_paged', 'contiguous', 'new0', 'new1', 'new2', 'new3']\n[True, True, True] [True, True, True, True]\n");
    }
}

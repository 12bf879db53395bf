//! The live handles (`h5kit::handle`): h5py's tutorial steps written through groups, the
//! dataset builder and attribute mappings, read back by h5py (and kept as a golden for runs
//! without it); handles taken before a write see the write; errors print one readable line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
#![cfg(not(target_family = "wasm"))] // temp files, processes: not under WASI

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::handle::{Dataset, Node};
use h5kit::write::{dtype, LibVer};
use h5kit::{ByteOrder, ErrorKind, File, TypeClass};
use h5kit_testkit::oracle;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-handles-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// h5py's description of a file: every object by `visititems` (name order, each once), with
/// its shape, maxshape, chunks, dtype, filters, fill value, values and attributes.
const H5PY_DESCRIBE: &str = r#"
import sys, h5py, numpy as np
def fmt(v):
    if isinstance(v, bytes): v = v.decode()
    if isinstance(v, str): return repr(v)
    a = np.asarray(v)
    if a.ndim == 0: return repr(a.item())
    return repr(a.ravel().tolist())
def attrs(o):
    return " ".join("@%s=%s" % (k, fmt(o.attrs[k])) for k in sorted(o.attrs.keys()))
out = []
with h5py.File(sys.argv[1], "r") as f:
    out.append(("/ group " + attrs(f)).rstrip())
    def visit(name, o):
        if isinstance(o, h5py.Group):
            out.append(("%s group %s" % (name, attrs(o))).rstrip())
        else:
            chunks = list(o.chunks) if o.chunks else None
            out.append(("%s dataset shape=%s maxshape=%s chunks=%s dtype=%s compression=%s opts=%s shuffle=%s fletcher32=%s fill=%s values=%s %s" % (
                name, list(o.shape), list(o.maxshape) if o.maxshape is not None else None, chunks, o.dtype.str, o.compression,
                o.compression_opts, o.shuffle, o.fletcher32, fmt(o.fillvalue), fmt(o[()]), attrs(o))).rstrip())
    f.visititems(visit)
print("\n".join(out))
"#;

fn h5py_describe(path: &Path) -> String {
    let out = Command::new("python3").arg("-c").arg(H5PY_DESCRIBE).arg(path).output().unwrap();
    assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// numpy's `dtype.str` of a numeric datatype.
fn numpy_str(dt: &h5kit::Datatype) -> String {
    let (kind, order) = match &dt.class {
        TypeClass::Integer { signed, order, .. } => (if *signed { 'i' } else { 'u' }, *order),
        TypeClass::Float { order, .. } => ('f', *order),
        other => panic!("not numeric: {:?}", other),
    };
    let o = if dt.size == 1 { '|' } else if order == ByteOrder::BigEndian { '>' } else { '<' };
    format!("{}{}{}", o, kind, dt.size)
}

/// Python's `repr` of the values (floats as floats, integers as integers).
fn py_values(ds: &Dataset) -> String {
    let dt = ds.dtype().unwrap();
    let items: Vec<String> = match dt.class {
        TypeClass::Float { .. } => ds.read::<f64>().unwrap().data.iter().map(|v| format!("{:?}", v)).collect(),
        _ => ds.read::<i64>().unwrap().data.iter().map(|v| v.to_string()).collect(),
    };
    if ds.ndim().unwrap() == 0 {
        items[0].clone()
    } else {
        format!("[{}]", items.join(", "))
    }
}

fn py_attrs(attrs: &h5kit::Attrs) -> String {
    let mut parts = Vec::new();
    for name in attrs.keys().unwrap() {
        let a = attrs.attribute(&name).unwrap();
        let v = match &a.datatype.class {
            TypeClass::String { .. } | TypeClass::VarLenString { .. } => format!("'{}'", attrs.get_string(&name).unwrap()),
            TypeClass::Float { .. } => {
                let v: Vec<f64> = attrs.get(&name).unwrap();
                if a.dataspace.dims.is_empty() { format!("{:?}", v[0]) } else { format!("{:?}", v) }
            }
            _ => {
                let v: Vec<i64> = attrs.get(&name).unwrap();
                if a.dataspace.dims.is_empty() { v[0].to_string() } else { format!("{:?}", v) }
            }
        };
        parts.push(format!("@{}={}", name, v));
    }
    parts.join(" ")
}

fn py_list<T: std::fmt::Display>(v: &[T]) -> String {
    format!("[{}]", v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", "))
}

/// The same description through h5kit's handles.
fn describe(f: &File) -> String {
    let mut out = vec![format!("/ group {}", py_attrs(&f.attrs())).trim_end().to_string()];
    f.visit(|name, node| {
        let line = match node {
            Node::Group(g) => format!("{} group {}", name, py_attrs(&g.attrs())),
            Node::Dataset(d) => {
                let maxshape: Vec<String> = d.maxshape()?.iter().map(|m| m.map_or("None".into(), |m| m.to_string())).collect();
                let filters = d.filters()?;
                let deflate = filters.iter().find(|f| f.id == 1);
                let fill = match (d.snapshot()?.fill_value().and_then(|f| f.value.clone()), d.dtype()?.class) {
                    (None, TypeClass::Float { .. }) => "0.0".to_string(),
                    (None, _) => "0".to_string(),
                    (Some(bytes), TypeClass::Float { .. }) => format!("{:?}", f64::from_le_bytes(bytes[..8].try_into().unwrap())),
                    (Some(bytes), _) => {
                        let mut b = [0u8; 8];
                        b[..bytes.len()].copy_from_slice(&bytes);
                        let shift = 64 - 8 * bytes.len() as u32;
                        ((i64::from_le_bytes(b) << shift) >> shift).to_string()
                    }
                };
                format!(
                    "{} dataset shape={} maxshape={} chunks={} dtype={} compression={} opts={} shuffle={} fletcher32={} fill={} values={} {}",
                    name,
                    py_list(&d.shape()?),
                    py_list(&maxshape),
                    d.chunk()?.map_or("None".into(), |c| py_list(&c)),
                    numpy_str(&d.dtype()?),
                    if deflate.is_some() { "gzip" } else { "None" },
                    deflate.map_or("None".into(), |f| f.client_data[0].to_string()),
                    if filters.iter().any(|f| f.id == 2) { "True" } else { "False" },
                    if filters.iter().any(|f| f.id == 3) { "True" } else { "False" },
                    fill,
                    py_values(d),
                    py_attrs(&d.attrs()),
                )
            }
            other => panic!("unexpected {:?}", other),
        };
        out.push(line.trim_end().to_string());
        Ok(())
    })
    .unwrap();
    out.join("\n") + "\n"
}

/// h5py's tutorial steps through the handles: groups (nested, by path), datasets with chunks,
/// compression and a fill value, attributes of several kinds, resize, links, then a reopen in
/// mode r+ that appends and deletes.
fn build(path: &Path, libver: LibVer) {
    let f = File::builder().libver(libver).create(path).unwrap();
    f.attrs().set("title", "handles").unwrap();
    let fruits = f.create_group("fruits").unwrap();
    fruits.attrs().set("count", 2i64).unwrap();
    fruits.attrs().set("origin", [1.5f64, -2.0]).unwrap();
    let apples = fruits
        .new_dataset::<i64>()
        .shape([0])
        .maxshape([None])
        .chunk([4])
        .deflate(4)
        .shuffle()
        .fletcher32()
        .fill_value(-1)
        .create("apples")
        .unwrap();
    apples.resize([6]).unwrap();
    apples.write_slice(0..3, &[3, 5, 2]).unwrap();
    apples.attrs().set("unit", "kg").unwrap();
    let c = f.create_group("a/b/c").unwrap();
    c.new_dataset::<f64>().shape([2, 3]).with_data(&[0.5, 1.5, 2.5, 3.5, 4.5, 5.5]).create("grid").unwrap();
    let m: Vec<i32> = (0..12).collect();
    f.new_dataset::<i32>().shape([3, 4]).chunk([2, 2]).deflate(1).with_data(&m).create("matrix").unwrap();
    f.new_dataset::<f64>().dtype(dtype::float32()).with_data(&[0.25, -8.5, 3.0]).create("converted").unwrap();
    f.new_dataset::<i64>().shape([]).with_data(&[42]).create("answer").unwrap();
    f.group("/").unwrap().link_hard("fruits/apples", "alias").unwrap();
    f.group("/").unwrap().link_soft("/a/b", "shortcut").unwrap();
    f.close().unwrap();

    let f = File::open_rw(path).unwrap();
    let apples = f.dataset("alias").unwrap();
    let n = apples.len().unwrap();
    apples.resize([n + 2]).unwrap();
    apples.write_slice(n..n + 2, &[9, 10]).unwrap();
    f.group("fruits").unwrap().attrs().delete("origin").unwrap();
    f.attrs().set("version", [1u8, 2]).unwrap();
    f.close().unwrap();
}

fn tutorial_case(libver: LibVer, name: &str) {
    let path = tmp(name);
    build(&path, libver);
    let golden = include_str!("golden/handles_describe.txt");
    let f = File::open(&path).unwrap();
    assert_eq!(describe(&f), golden, "h5kit's reading of its own file differs from the golden");
    drop(f);
    if oracle::check(oracle::H5PY, 1, "h5py reads the file written through the handles") {
        assert_eq!(h5py_describe(&path), golden, "h5py's reading differs from the golden");
        oracle::compared(oracle::H5PY, 1);
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn tutorial_steps_read_by_h5py() {
    tutorial_case(LibVer::Earliest, "tutorial-earliest.h5");
}

#[test]
fn tutorial_steps_read_by_h5py_latest_format() {
    tutorial_case(LibVer::Latest, "tutorial-latest.h5");
}

/// Every step of the liveness contract, on one file: handles taken before a change see it.
fn liveness(f: &File) {
    let root = f.group("/").unwrap();
    assert!(root.keys().unwrap().is_empty());
    let g = f.create_group("g").unwrap();
    assert_eq!(root.keys().unwrap(), ["g"], "a root handle taken before create_group lists the new group");
    let g_early = f.group("g").unwrap();
    g.create_group("sub/deeper").unwrap();
    assert!(g_early.contains("sub/deeper"));
    assert_eq!(g_early.len().unwrap(), 1);

    let ds = g.new_dataset::<f64>().shape([2]).maxshape([None]).chunk([2]).create("d").unwrap();
    let ds_early = f.dataset("/g/d").unwrap();
    assert_eq!(ds_early.read::<f64>().unwrap().data, [0.0, 0.0]);
    ds.write(&[1.0, 2.0]).unwrap();
    assert_eq!(ds_early.read::<f64>().unwrap().data, [1.0, 2.0], "a dataset handle sees a write through another handle");
    f.write("/g/d", &[3.0f64, 4.0]).unwrap();
    assert_eq!(ds_early.read::<f64>().unwrap().data, [3.0, 4.0], "and a write through the file's path methods");
    ds.resize([3]).unwrap();
    assert_eq!(ds_early.shape().unwrap(), [3]);
    assert_eq!(ds_early.read_slice::<f64>(1..3).unwrap().data, [4.0, 0.0]);

    let attrs_early = ds_early.attrs();
    assert!(!attrs_early.contains("a").unwrap());
    ds.attrs().set("a", 7i64).unwrap();
    assert_eq!(attrs_early.get::<i64>("a").unwrap(), 7);
    ds.attrs().set("a", "now a string").unwrap();
    assert_eq!(attrs_early.get_string("a").unwrap(), "now a string");

    let clone = f.clone();
    clone.dataset("g/d").unwrap().write_slice(0..1, &[-1.0]).unwrap();
    assert_eq!(ds_early.read_scalar::<f64>().unwrap_err().kind, ErrorKind::Usage);
    assert_eq!(ds_early.read::<f64>().unwrap().data, [-1.0, 4.0, 0.0], "a write through a clone of the file");

    g.delete("d").unwrap();
    let e = ds_early.read::<f64>().unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{}", e);
    assert!(!root.contains("g/d"));
}

#[test]
fn handles_taken_before_a_write_see_it_on_disk() {
    let path = tmp("live-earliest.h5");
    let f = File::create(&path).unwrap();
    liveness(&f);
    f.close().unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn handles_taken_before_a_write_see_it_in_the_model() {
    let path = tmp("live-latest.h5");
    let f = File::builder().libver(LibVer::Latest).create(&path).unwrap();
    liveness(&f);
    f.close().unwrap();
    std::fs::remove_file(&path).unwrap();
    liveness(&File::builder().libver(LibVer::Earliest).in_memory().unwrap());
}

#[test]
fn modes_as_constructors() {
    let path = tmp("modes.h5");
    let _ = std::fs::remove_file(&path);
    // r and r+ on a missing file: the same kind of error.
    let r = File::open(&path).unwrap_err();
    let rw = File::open_rw(&path).unwrap_err();
    assert_eq!((r.kind, rw.kind), (ErrorKind::NotFound, ErrorKind::NotFound), "{} / {}", r, rw);
    assert_eq!(r.to_string(), format!("not found: unable to open {}: no such file", path.display()));
    assert_eq!(rw.to_string(), r.to_string());
    // An I/O error keeps the operating system's error as its source.
    let dir_as_file = std::env::temp_dir();
    let e = File::open_rw(&dir_as_file).unwrap_err();
    let source = std::error::Error::source(&e).map(|s| s.to_string());
    assert!(source.is_some(), "{} has no source", e);
    assert!(e.to_string().ends_with(&source.unwrap()), "{}", e);
    let f = File::append(&path).unwrap(); // a: creates
    f.create_group("made_by_append").unwrap();
    f.close().unwrap();
    let e = File::create_excl(&path).unwrap_err(); // w-: exists
    assert_eq!(e.to_string(), format!("usage error: unable to create {}: file exists (mode w-)", path.display()));
    let f = File::append(&path).unwrap(); // a: opens
    assert_eq!(f.keys().unwrap(), ["made_by_append"]);
    f.close().unwrap();
    let f = File::open_with(&path, "r".parse().unwrap(), LibVer::Earliest).unwrap();
    let e = f.group("/").unwrap().create_group("x").unwrap_err();
    assert_eq!(e.to_string(), format!("usage error: {}: file is read-only (opened with mode r) (object /x)", path.display()));
    let e = "rw".parse::<h5kit::Mode>().unwrap_err();
    assert_eq!(e.to_string(), "usage error: invalid mode \"rw\": expected one of r, r+, w, w-, x, a");
    drop(f);
    let f = File::create(&path).unwrap(); // w: truncates
    assert!(f.is_empty().unwrap());
    f.close().unwrap();
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn require_group_and_dataset_follow_h5py() {
    let f = File::create_in_memory(LibVer::Earliest).unwrap();
    let g = f.require_group("a/b").unwrap();
    assert_eq!(g.path(), "/a/b");
    assert_eq!(f.require_group("/a/b").unwrap().path(), "/a/b");
    let d = f.require_dataset::<i32>("a/d", &[4]).unwrap();
    d.write(&[1, 2, 3, 4]).unwrap();
    // Exists with the shape; i16 values fit i32 (numpy safe casting): the same dataset.
    assert_eq!(f.require_dataset::<i16>("a/d", &[4]).unwrap().read::<i32>().unwrap().data, [1, 2, 3, 4]);
    let e = f.require_dataset::<i32>("a/d", &[5]).unwrap_err();
    assert_eq!(e.to_string(), "usage error: shapes are incompatible: existing [4], requested [5] (object /a/d)");
    let e = f.require_dataset::<f64>("a/d", &[4]).unwrap_err();
    assert_eq!(e.to_string(), "usage error: datatypes are incompatible: existing H5T_STD_I32LE, requested H5T_IEEE_F64LE (f64) (object /a/d)");
    let e = f.require_group("a/d").unwrap_err();
    assert_eq!(e.to_string(), "usage error: /a/d is a dataset, not a group (object /a/d)");
    let e = f.require_dataset::<i32>("a/b", &[4]).unwrap_err();
    assert_eq!(e.to_string(), "usage error: /a/b is a group, not a dataset (object /a/b)");
}

#[test]
fn links_move_and_delete() {
    let f = File::create_in_memory(LibVer::Earliest).unwrap();
    let root = f.group("/").unwrap();
    root.new_dataset::<u8>().with_data(&[1, 2, 3]).create("data").unwrap();
    root.link_soft("/data", "soft").unwrap();
    root.link_soft("/nowhere", "dangling").unwrap();
    root.link_external("other.h5", "/x", "ext").unwrap();
    root.link_hard("data", "hard").unwrap();
    assert_eq!(f.dataset("soft").unwrap().read::<u8>().unwrap().data, [1, 2, 3]);
    assert!(!f.contains("dangling"));
    assert_eq!(root.link_target("ext").unwrap(), Some(h5kit::LinkTarget::External { file: "other.h5".into(), path: "/x".into() }));
    let kinds: Vec<(String, &str)> = root
        .items()
        .unwrap()
        .into_iter()
        .map(|(n, node)| {
            let k = match node {
                Node::Dataset(_) => "dataset",
                Node::Group(_) => "group",
                Node::Link(_) => "link",
                Node::Datatype(_) => "datatype",
            };
            (n, k)
        })
        .collect();
    let want = [("dangling", "link"), ("data", "dataset"), ("ext", "link"), ("hard", "dataset"), ("soft", "dataset")];
    assert_eq!(kinds, want.map(|(a, b)| (a.to_string(), b)));
    f.create_group("g").unwrap();
    root.move_link("hard", "g/moved").unwrap();
    assert!(!f.contains("hard"));
    assert_eq!(f.dataset("g/moved").unwrap().read::<u8>().unwrap().data, [1, 2, 3]);
    root.move_link("soft", "g/soft2").unwrap();
    assert_eq!(f.group("g").unwrap().link_target("soft2").unwrap(), Some(h5kit::LinkTarget::Soft { path: "/data".into() }));
    root.delete("data").unwrap();
    assert_eq!(f.dataset("g/moved").unwrap().read::<u8>().unwrap().data, [1, 2, 3], "still reached by its other hard link");
    assert_eq!(f.keys().unwrap(), ["dangling", "ext", "g"]);
}

#[test]
fn visit_reaches_every_object_once_in_name_order() {
    let f = File::create_in_memory(LibVer::Latest).unwrap();
    for p in ["b/y", "a/z", "a/x/deep", "c"] {
        f.create_group(p).unwrap();
    }
    f.new_dataset::<u8>().with_data(&[1]).create("a/x/d").unwrap();
    f.group("/").unwrap().link_hard("a/x", "b/again").unwrap(); // the same group: visited once
    f.group("/").unwrap().link_soft("/a", "s").unwrap(); // soft: not followed
    let mut names = Vec::new();
    f.visit(|name, _| {
        names.push(name.to_string());
        Ok(())
    })
    .unwrap();
    // h5py's visititems on this layout: each object once, under the first name in name order.
    assert_eq!(names, ["a", "a/x", "a/x/d", "a/x/deep", "a/z", "b", "b/y", "c"]);
    let mut below = Vec::new();
    f.group("b")
        .unwrap()
        .visit(|n, _| {
            below.push(n.to_string());
            Ok(())
        })
        .unwrap();
    assert_eq!(below, ["again", "again/d", "again/deep", "y"]);
    let e = f.visit(|n, _| if n == "a/z" { Err(h5kit::Error::usage("stop here")) } else { Ok(()) }).unwrap_err();
    assert_eq!(e.to_string(), "usage error: stop here");
}

#[test]
fn builder_mistakes_are_reported_before_anything_is_written() {
    let f = File::create_in_memory(LibVer::Earliest).unwrap();
    let before = f.to_bytes().unwrap();
    let cases: Vec<(h5kit::Error, &str)> = vec![
        (f.new_dataset::<f64>().create("x").unwrap_err(), "usage error: creating a dataset: no shape: call .shape(..) or .with_data(..) (object /x)"),
        (
            f.new_dataset::<f64>().shape([4]).with_data(&[1.0, 2.0]).create("x").unwrap_err(),
            "usage error: creating a dataset: 2 values given for shape [4] (4 elements) (object /x)",
        ),
        (
            f.new_dataset::<f64>().shape([4, 4]).chunk([2]).create("x").unwrap_err(),
            "usage error: creating a dataset: chunk shape [2] has 1 dimensions, shape [4, 4] has 2 (object /x)",
        ),
        (
            f.new_dataset::<f64>().shape([4]).chunk([8]).create("x").unwrap_err(),
            "usage error: creating a dataset: chunk shape [8] is larger than the shape [4] in some dimension (object /x)",
        ),
        (
            f.new_dataset::<f64>().shape([4]).maxshape([Some(2)]).create("x").unwrap_err(),
            "usage error: creating a dataset: maxshape (2) is smaller than shape [4] in dimension 0 (object /x)",
        ),
        (
            f.new_dataset::<f64>().shape([4]).deflate(12).create("x").unwrap_err(),
            "usage error: creating a dataset: deflate level 12 is not in 0..=9 (object /x)",
        ),
        (
            f.new_dataset::<f64>().shape([4]).maxshape([None]).layout(h5kit::write::LayoutKind::Contiguous).create("x").unwrap_err(),
            "usage error: creating a dataset: chunks, a maximum shape or filters need the chunked layout (object /x)",
        ),
        (
            f.new_dataset::<f64>().shape([2]).dtype(dtype::vlen_string()).with_data(&[1.0, 2.0]).create("x").unwrap_err(),
            "usage error: creating a dataset: cannot write f64 values into a dataset of HDF5 type H5T_STRING { STRSIZE H5T_VARIABLE; }: no conversion between them (object /x)",
        ),
    ];
    for (e, want) in cases {
        assert_eq!(e.to_string(), want);
        assert_eq!(format!("{:?}", e), want, "Debug prints the same line (fn main() -> Result<()>)");
    }
    assert!(f.is_empty().unwrap());
    assert_eq!(f.to_bytes().unwrap(), before, "nothing was written");
}

#[test]
fn errors_print_one_line_with_path_and_offset() {
    let f = File::create_in_memory(LibVer::Earliest).unwrap();
    f.create_group("fruits").unwrap();
    f.new_dataset::<f64>().with_data(&[1.5]).create("fruits/apple").unwrap();
    let e = f.dataset("fruits/pear").unwrap_err();
    assert_eq!(e.to_string(), "not found: no object named \"pear\" in /fruits (object /fruits/pear)");
    let e = f.group("fruits/apple").unwrap_err();
    assert_eq!(e.to_string(), "usage error: /fruits/apple is a dataset, not a group (object /fruits/apple)");
    let e = f.group("fruits").unwrap().attrs().get::<i64>("nope").unwrap_err();
    assert_eq!(e.to_string(), "not found: no attribute named \"nope\" (object /fruits)");
    f.dataset("fruits/apple").unwrap().attrs().set("unit", "kg").unwrap();
    let e = f.dataset("fruits/apple").unwrap().attrs().get::<f64>("unit").unwrap_err();
    assert_eq!(
        e.to_string(),
        "usage error: attribute \"unit\": cannot convert HDF5 H5T_STRING { STRSIZE H5T_VARIABLE; } data to f64 (object /fruits/apple)"
    );
    let e = f.dataset("fruits/apple").unwrap().write(&[1.0, 2.0]).unwrap_err();
    assert_eq!(e.to_string(), "usage error: write: 2 values for a dataset of 1 elements (shape [1]) (object /fruits/apple)");
    // A damaged object header: the message names the object and the file offset.
    let mut bytes = f.to_bytes().unwrap();
    let g = File::from_bytes(bytes.clone()).unwrap();
    let at = match g.object("/fruits/apple").unwrap() {
        h5kit::Object::Dataset(d) => d.address(),
        o => panic!("{:?}", o),
    };
    bytes[at as usize] = 9; // object header version 9 does not exist
    let g = File::from_bytes(bytes).unwrap();
    let e = g.dataset("/fruits/apple").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Format);
    assert!(e.to_string().ends_with(&format!("(object /fruits/apple) (at file offset {})", at)), "{}", e);
    assert!(!e.to_string().contains('\n') && !format!("{:?}", e).contains("Error {"), "{:?}", e);
}

#[test]
fn file_group_dataset_are_send_sync_debug() {
    fn check<T: Send + Sync + std::fmt::Debug + Clone>() {}
    check::<File>();
    check::<h5kit::handle::Group>();
    check::<Dataset>();
    check::<h5kit::Attrs>();
    let f = File::create_in_memory(LibVer::Earliest).unwrap();
    let g = f.create_group("g").unwrap();
    assert_eq!(format!("{:?}", g), "Group(\"/g\" in <memory>)");
}

/// 8 threads read 8 datasets of one `File` (whole and by slices) at once: the results equal
/// the serial reads, for a file opened read-only and for one in r+ with a change not yet
/// flushed (the first reads of the threads race to refresh the reader view).
#[test]
fn eight_threads_read_different_datasets_of_one_file() {
    let path = tmp("threads.h5");
    let f = File::create(&path).unwrap();
    for i in 0..8u64 {
        let data: Vec<f64> = (0..50_000u64).map(|j| (i * 1_000_000 + j) as f64 * 0.5).collect();
        f.new_dataset::<f64>().shape([50_000]).chunk([1000]).deflate(1).with_data(&data).create(&format!("d{}", i)).unwrap();
    }
    f.close().unwrap();
    for writable in [false, true] {
        let f = if writable { File::open_rw(&path).unwrap() } else { File::open(&path).unwrap() };
        let serial: Vec<Vec<f64>> = (0..8).map(|i| f.dataset(&format!("d{}", i)).unwrap().read::<f64>().unwrap().data).collect();
        for (i, s) in serial.iter().enumerate() {
            assert!(s.iter().enumerate().all(|(j, &v)| v == (i as u64 * 1_000_000 + j as u64) as f64 * 0.5), "d{}", i);
        }
        if writable {
            f.attrs().set("touched", 1i64).unwrap(); // the reader view is stale now
        }
        let parallel: Vec<Vec<f64>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let f = &f;
                    s.spawn(move || {
                        let ds = f.dataset(&format!("d{}", i)).unwrap();
                        let mut v = ds.read::<f64>().unwrap().data;
                        // Slices too, through the shared chunk cache of the handle.
                        for k in 0..10u64 {
                            let part = ds.read_slice::<f64>(k * 5000..k * 5000 + 3).unwrap().data;
                            assert_eq!(part, v[(k * 5000) as usize..(k * 5000 + 3) as usize]);
                        }
                        v.shrink_to_fit();
                        v
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(parallel, serial, "writable: {}", writable);
        f.close().unwrap();
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn raw_chunks_as_h5py_reads_them() {
    let path = tmp("raw-chunks.h5");
    let f = File::create(&path).unwrap();
    let data: Vec<i32> = (0..10).collect();
    let plain = f.new_dataset::<i32>().shape([10]).chunk([4]).with_data(&data).create("plain").unwrap();
    let packed = f.new_dataset::<i32>().shape([10]).chunk([4]).deflate(6).shuffle().with_data(&data).create("packed").unwrap();
    f.new_dataset::<i32>().shape([10]).chunk([4]).create("empty").unwrap();
    // Without filters the stored chunk is the values' bytes; the edge chunk is whole.
    let c = plain.read_chunk_raw(&[8]).unwrap().unwrap();
    assert_eq!(c.filter_mask, 0);
    assert_eq!(c.data.len(), 16);
    assert_eq!(c.data[..8], [8, 0, 0, 0, 9, 0, 0, 0]);
    assert_eq!(f.dataset("empty").unwrap().read_chunk_raw(&[4]).unwrap(), None);
    let e = plain.read_chunk_raw(&[3]).unwrap_err();
    assert_eq!(e.to_string(), "usage error: read_chunk_raw: [3] is not the offset of a chunk (chunk shape [4]) (object /plain)");
    let ours: Vec<String> = [0u64, 4, 8]
        .iter()
        .map(|&o| {
            let c = packed.read_chunk_raw(&[o]).unwrap().unwrap();
            format!("{} {}", c.filter_mask, c.data.iter().map(|b| format!("{:02x}", b)).collect::<String>())
        })
        .collect();
    f.close().unwrap();
    if oracle::check(oracle::H5PY, 1, "h5py's read_direct_chunk of chunks h5kit wrote") {
        let script = "import sys, h5py\nwith h5py.File(sys.argv[1]) as f:\n    for o in (0, 4, 8):\n        m, b = f['packed'].id.read_direct_chunk((o,))\n        print(m, b.hex())\n";
        let out = Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let theirs: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
        assert_eq!(ours, theirs);
        oracle::compared(oracle::H5PY, 1);
    }
    std::fs::remove_file(&path).unwrap();
}

/// Direct chunk writes (`write_chunk_raw`, libhdf5's `H5Dwrite_chunk`): a filtered chunk
/// copied as stored from another dataset, a chunk whose filters were all skipped (mask 0b11:
/// the plain values), replacing a chunk already written; in both formats, read back by h5kit
/// and by h5py.
fn write_chunk_raw_case(libver: LibVer, name: &str) {
    let path = tmp(name);
    let f = File::builder().libver(libver).create(&path).unwrap();
    let src: Vec<i32> = (0..12).map(|i| i * 7 - 20).collect();
    let a = f.new_dataset::<i32>().shape([12]).maxshape([None]).chunk([4]).deflate(6).shuffle().with_data(&src).create("a").unwrap();
    let b = f.new_dataset::<i32>().shape([12]).maxshape([None]).chunk([4]).deflate(6).shuffle().create("b").unwrap();
    let first = a.read_chunk_raw(&[0]).unwrap().unwrap();
    assert_eq!(first.filter_mask, 0);
    b.write_chunk_raw(&[8], first.filter_mask, &first.data).unwrap();
    let plain: Vec<u8> = [100i32, 101, 102, 103].iter().flat_map(|v| v.to_le_bytes()).collect();
    b.write_chunk_raw(&[4], 0b11, &plain).unwrap();
    // Replaced: the chunk at 8 again, now from a's last chunk.
    let last = a.read_chunk_raw(&[8]).unwrap().unwrap();
    b.write_chunk_raw(&[0], last.filter_mask, &last.data).unwrap();
    let want: Vec<i32> = src[8..12].iter().copied().chain([100, 101, 102, 103]).chain(src[0..4].iter().copied()).collect();
    assert_eq!(b.read::<i32>().unwrap().data, want);
    assert_eq!(b.read_chunk_raw(&[4]).unwrap().unwrap(), h5kit::handle::RawChunk { filter_mask: 0b11, data: plain.clone() });
    let e = b.write_chunk_raw(&[3], 0, &plain).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Usage, "{}", e);
    f.close().unwrap();
    let f = File::open(&path).unwrap();
    assert_eq!(f.dataset("b").unwrap().read::<i32>().unwrap().data, want);
    drop(f);
    if oracle::check(oracle::H5PY, 1, "h5py reads chunks h5kit stored with write_chunk_raw") {
        let script = "import sys, h5py\nwith h5py.File(sys.argv[1]) as f:\n    print(' '.join(str(v) for v in f['b'][:]))\n    print(f['b'].id.read_direct_chunk((4,))[0])\n";
        let out = Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let shown = want.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(" ");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{}\n3\n", shown));
        oracle::compared(oracle::H5PY, 1);
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn write_chunk_raw_earliest() {
    write_chunk_raw_case(LibVer::Earliest, "raw-chunk-earliest.h5");
}

#[test]
fn write_chunk_raw_latest() {
    write_chunk_raw_case(LibVer::Latest, "raw-chunk-latest.h5");
}

/// h5py's `iter_chunks()` of a (5, 7) dataset with (2, 3) chunks, as (start, stop) pairs
/// (recorded from h5py 3 / libhdf5 2.0; checked live when h5py is installed).
const H5PY_ITER_CHUNKS: &str = "[((0, 2), (0, 3)), ((0, 2), (3, 6)), ((0, 2), (6, 7)), ((2, 4), (0, 3)), ((2, 4), (3, 6)), ((2, 4), (6, 7)), ((4, 5), (0, 3)), ((4, 5), (3, 6)), ((4, 5), (6, 7))]";

#[test]
fn iter_chunks_as_h5py() {
    let path = tmp("iter-chunks.h5");
    let f = File::create(&path).unwrap();
    let ds = f.new_dataset::<i32>().shape([5, 7]).chunk([2, 3]).create("x").unwrap();
    let boxes: Vec<String> = ds
        .iter_chunks()
        .unwrap()
        .iter()
        .map(|h| {
            let dims: Vec<String> = h.start.iter().zip(&h.count).map(|(s, c)| format!("({}, {})", s, s + c)).collect();
            format!("({})", dims.join(", "))
        })
        .collect();
    let ours = format!("[{}]", boxes.join(", "));
    assert_eq!(ours, H5PY_ITER_CHUNKS);
    let e = f.new_dataset::<i32>().shape([3]).create("flat").unwrap().iter_chunks().unwrap_err();
    assert_eq!(e.to_string(), "usage error: iter_chunks: the dataset is not chunked (object /flat)");
    f.close().unwrap();
    if oracle::check(oracle::H5PY, 1, "h5py's iter_chunks") {
        let script = "import sys, h5py\nwith h5py.File(sys.argv[1]) as f:\n    print([tuple((s.start, s.stop) for s in c) for c in f['x'].iter_chunks()])\n";
        let out = Command::new("python3").arg("-c").arg(script).arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), ours);
        oracle::compared(oracle::H5PY, 1);
    }
    std::fs::remove_file(&path).unwrap();
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_in_and_out() {
    let f = File::create_in_memory(LibVer::Earliest).unwrap();
    let ds = f.new_dataset::<f64>().shape([2, 3]).create("m").unwrap();
    let a = ndarray::Array2::from_shape_fn((3, 2), |(i, j)| (10 * i + j) as f64);
    ds.write_ndarray(&a.t()).unwrap(); // a transposed view: not in memory order
    let back = ds.read_ndarray::<f64>().unwrap();
    assert_eq!(back.shape(), [2, 3]);
    assert_eq!(back.iter().copied().collect::<Vec<f64>>(), [0.0, 10.0, 20.0, 1.0, 11.0, 21.0]);
    let e = ds.write_ndarray(&a).unwrap_err();
    assert_eq!(e.to_string(), "usage error: write_ndarray: array of shape [3, 2] for a dataset of shape [2, 3] (object /m)");
}

#[test]
fn handles_of_a_closed_file_fail_and_do_not_hold_its_lock() {
    let path = tmp("closed.h5");
    let f = File::create(&path).unwrap();
    let ds = f.new_dataset::<i32>().with_data(&[1, 2]).create("d").unwrap();
    let g = f.group("/").unwrap();
    assert_eq!(ds.read::<i32>().unwrap().data, [1, 2]);
    f.close().unwrap();
    assert_eq!(ds.read::<i32>().unwrap_err().to_string(), "usage error: file is closed (object /d)");
    assert_eq!(g.keys().unwrap_err().to_string(), "usage error: file is closed (object /)");
    assert_eq!(ds.write(&[3, 4]).unwrap_err().to_string(), "usage error: file is closed (object /d)");
    // The lock went with close: the file opens for writing again while the handles live.
    let again = File::open_rw(&path).unwrap();
    assert_eq!(again.dataset("d").unwrap().read::<i32>().unwrap().data, [1, 2]);
    again.close().unwrap();
    drop((ds, g));
    std::fs::remove_file(&path).unwrap();
}

//! `h5kit::repack::copy_file` on every interop file (../shared/interop), in both format
//! bounds: our reader must read back the same values for every dataset and attribute (exact
//! bytes, variable-length data and references compared by content), and when the tools are
//! installed, `h5diff IN OUT` must exit 0 and `h5dump -H` must print the same tree.
#![cfg(not(target_family = "wasm"))] // temp files and the libhdf5 tools: not under WASI
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{enc, FileWriter, LibVer};
use h5kit::{Datatype, File, LinkTarget, Object, ReferenceKind, TypeClass};

/// Files whose copy is not yet exact, with the reason. Shrink it as they are fixed.
const SKIP: &[(&str, &str)] = &[
    // h5dump 1.10.8 itself cannot read it (byte shuffle filter unknown to it).
    ("test_byteshuffle_compressed_datasets_latest.hdf5", "h5dump cannot read the source"),
    // Anonymous committed datatypes (no link) are written inline: h5dump -H shows no "#addr" types.
    ("isssue-523.hdf5", "anonymous committed datatypes become inline types"),
    // Filters the writer does not apply (lzf, lz4, bitshuffle): data stored unfiltered,
    // h5dump -p/h5diff differ in the filter pipeline.
    ("bitshuffle_datasets.hdf5", "bitshuffle/lz4 filters not written"),
    ("lz4_datasets.hdf5", "lz4 filter not written"),
    ("test_compressed_chunked_datasets_earliest.hdf5", "lzf filter not written"),
    ("test_compressed_chunked_datasets_latest.hdf5", "lzf filter not written"),
];

/// Skipped in the earliest format only (the latest format copies them).
const SKIP_EARLIEST: &[(&str, &str)] = &[
    // An attribute over 64 KiB needs dense attribute storage, which only the latest format has.
    ("test_large_attribute.hdf5", "attribute larger than 64 KiB"),
];

fn interop_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/interop");
    let mut out = Vec::new();
    for sub in ["jhdf", "pyfive"] {
        let Ok(rd) = std::fs::read_dir(root.join(sub)) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().map(|o| o.status.success()).unwrap_or(false)
}

/// Every object's first path (depth first, links in name order), by address.
fn paths(f: &File) -> HashMap<u64, String> {
    fn walk(f: &File, g: &h5kit::Group, out: &mut HashMap<u64, String>) {
        let mut links = g.links().unwrap();
        links.sort_by(|a, b| a.name.cmp(&b.name));
        for l in links {
            if let LinkTarget::Hard { address } = l.target {
                if out.contains_key(&address) {
                    continue;
                }
                let p = if g.path() == "/" { format!("/{}", l.name) } else { format!("{}/{}", g.path(), l.name) };
                out.insert(address, p.clone());
                if let Object::Group(c) = f.object_at(address, &p).unwrap() {
                    walk(f, &c, out);
                }
            }
        }
    }
    let root = f.root().unwrap();
    let mut out = HashMap::new();
    out.insert(root.address(), "/".to_string());
    walk(f, &root, &mut out);
    out
}

fn ref_path(paths: &HashMap<u64, String>, bytes: &[u8]) -> String {
    let mut a = [0u8; 8];
    a[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
    match u64::from_le_bytes(a) {
        0 => "NULL".to_string(),
        x => paths.get(&x).cloned().unwrap_or_else(|| format!("?{}", x)),
    }
}

/// Values of `raw` elements of `dt` independent of file addresses.
fn canon(f: &File, paths: &HashMap<u64, String>, dt: &Datatype, raw: &[u8], n: u64) -> Vec<u8> {
    let want = (n * dt.size as u64) as usize;
    let raw = &raw[..raw.len().min(want)];
    if let TypeClass::Reference { kind: ReferenceKind::Object } = dt.class {
        return raw.chunks(8).flat_map(|c| (ref_path(paths, c) + "\n").into_bytes()).collect();
    }
    if let TypeClass::Reference { kind: ReferenceKind::DatasetRegion } = dt.class {
        // Heap ID -> target path + the encoded selection.
        let mut out = Vec::new();
        for c in raw.chunks(12) {
            let coll = u64::from_le_bytes(c[..8].try_into().unwrap());
            let idx = u32::from_le_bytes(c[8..12].try_into().unwrap());
            if coll == 0 {
                out.extend_from_slice(b"NULL\n");
                continue;
            }
            let obj = f.global_heap_object(coll, idx).unwrap();
            out.extend((ref_path(paths, &obj[..8]) + ":").into_bytes());
            out.extend_from_slice(&obj[8..]);
            out.push(b'\n');
        }
        return out;
    }
    if let TypeClass::VarLenSequence { base } = &dt.class {
        if matches!(base.class, TypeClass::Reference { kind: ReferenceKind::Object }) {
            let w = 16usize;
            let mut out = Vec::new();
            for e in raw.chunks(w) {
                let count = u32::from_le_bytes(e[..4].try_into().unwrap());
                let addr = u64::from_le_bytes(e[4..12].try_into().unwrap());
                let idx = u32::from_le_bytes(e[12..16].try_into().unwrap());
                out.extend_from_slice(format!("[{}]", count).as_bytes());
                if count > 0 && addr != 0 {
                    for c in f.global_heap_object(addr, idx).unwrap().chunks(8).take(count as usize) {
                        out.extend((ref_path(paths, c) + ",").into_bytes());
                    }
                }
            }
            return out;
        }
    }
    let slots = enc::ref_slots(dt).unwrap();
    if !slots.is_empty() && !enc::is_vlen(dt) {
        let mut out = Vec::new();
        for e in raw.chunks(dt.size as usize) {
            let mut e = e.to_vec();
            for &o in &slots {
                let o = o as usize;
                out.extend((ref_path(paths, &e[o..o + 8]) + ",").into_bytes());
                e[o..o + 8].fill(0);
            }
            out.extend_from_slice(&e);
        }
        return out;
    }
    h5kit::repack::canonical_values(f, dt, raw).unwrap()
}

/// Every dataset's and attribute's values, by object path and attribute name.
fn values(f: &File) -> Vec<(String, Vec<u8>)> {
    let paths = paths(f);
    let mut sorted: Vec<(&u64, &String)> = paths.iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(b.1));
    let mut out = Vec::new();
    for (&addr, p) in sorted {
        let obj = f.object_at(addr, p).unwrap();
        let attrs = match &obj {
            Object::Group(g) => g.attributes().unwrap(),
            Object::Dataset(d) => d.attributes().unwrap(),
            Object::Datatype(t) => t.attributes().unwrap(),
        };
        if let Object::Dataset(d) = &obj {
            let n = d.dataspace().dims.iter().product::<u64>();
            let n = if d.dataspace().kind == h5kit::DataspaceKind::Null { 0 } else { n };
            let raw = if n == 0 { Vec::new() } else { d.read_raw().unwrap() };
            out.push((p.clone(), canon(f, &paths, d.datatype(), &raw, n)));
        }
        let mut attrs: Vec<_> = attrs.into_iter().collect();
        attrs.sort_by(|a, b| a.name.cmp(&b.name));
        for a in attrs {
            let n = match a.dataspace.kind {
                h5kit::DataspaceKind::Null => 0,
                _ => a.dataspace.dims.iter().product::<u64>(),
            };
            out.push((format!("{}@{}", p, a.name), canon(f, &paths, &a.datatype, &a.data, n)));
        }
    }
    out
}

fn h5dump_tree(dir: &Path, name: &str) -> String {
    let o = Command::new("h5dump").arg("-H").arg(name).current_dir(dir).output().unwrap();
    String::from_utf8_lossy(&o.stdout).lines().skip(1).collect::<Vec<_>>().join("\n")
}

fn run(libver: LibVer, tag: &str) {
    let files = interop_files();
    if files.is_empty() {
        eprintln!("skipping: ../shared/interop not present");
        return;
    }
    let tools = tool("h5diff") && tool("h5dump");
    let out_dir = std::env::temp_dir().join(format!("h5kit-repack-test-{}-{}", tag, std::process::id()));
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut copied = Vec::new();
    let mut failures = Vec::new();
    for p in &files {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let skip = SKIP.iter().chain(if libver == LibVer::Earliest { SKIP_EARLIEST } else { &[] }).find(|s| s.0 == name);
        if skip.is_some() {
            continue;
        }
        let Ok(src) = File::open(p) else { continue };
        let out = out_dir.join(&name);
        let mut w = FileWriter::create(&out, libver).unwrap();
        let report = match h5kit::repack::copy_file(&src, &mut w, &Default::default()) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: copy failed: {}", name, e));
                continue;
            }
        };
        if let Err(e) = w.close() {
            failures.push(format!("{}: write failed: {}", name, e));
            continue;
        }
        if !report.warnings.is_empty() {
            failures.push(format!("{}: warnings: {:?}", name, report.warnings));
        }
        let back = File::open(&out).unwrap();
        let (a, b) = (values(&src), values(&back));
        if a.len() != b.len() {
            failures.push(format!("{}: {} values read back, {} in the source", name, b.len(), a.len()));
        }
        for ((pa, va), (pb, vb)) in a.iter().zip(&b) {
            if pa != pb || va != vb {
                failures.push(format!("{}: {} differs (copy: {})", name, pa, pb));
                break;
            }
        }
        copied.push((p.clone(), name));
    }
    // Tools last: external links in the copies point at files copied beside them.
    if tools {
        for (p, name) in &copied {
            let out = out_dir.join(name);
            let st = Command::new("h5diff").arg(p).arg(&out).output().unwrap();
            if st.status.code() != Some(0) {
                failures.push(format!("{}: h5diff exit {:?}: {}", name, st.status.code(), String::from_utf8_lossy(&st.stdout)));
            }
            let t1 = h5dump_tree(p.parent().unwrap(), name);
            let t2 = h5dump_tree(&out_dir, name);
            if t1 != t2 {
                failures.push(format!("{}: h5dump -H trees differ", name));
            }
        }
    } else {
        eprintln!("h5diff/h5dump not installed: tool checks skipped");
    }
    let _ = std::fs::remove_dir_all(&out_dir);
    assert!(copied.len() >= 80, "only {} files copied", copied.len());
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn repack_interop_earliest() {
    run(LibVer::Earliest, "earliest");
}

#[test]
fn repack_interop_latest() {
    run(LibVer::Latest, "latest");
}

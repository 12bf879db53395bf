//! Files closed with a metadata cache image (superblock extension message 0x0018), written by
//! libhdf5 1.10.8: tests/data/cache_image (gen_cache_image.c; h5dump goldens in
//! tests/golden/data/cache_image).
//!
//! - ci_latest.h5, ci_v18.h5: written in one session with the image requested; every metadata
//!   entry was dirty at close, so libhdf5 wrote it only into the image (its address holds
//!   zeros). h5kit serves the entries from the image and reads every dataset and attribute
//!   as h5dump prints them; without the image the file does not read at all.
//! - ci_minimal.h5: the same with one contiguous dataset and one attribute.
//! - ci_reopened.h5: an image of clean entries (reopened read/write, read, closed): each
//!   entry is also at its address with the same bytes, and the file reads the same with and
//!   without the image.
//!
//! libhdf5 2.0 (h5py here) cannot open an object of any of these files ("non-parent entry
//! has children"), so h5dump 1.10.8 is the oracle. h5dump -H, -n and h5ls also crash
//! (SIGSEGV) on ci_latest.h5; its full dump works and is the golden compared here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use h5kit::{File, LinkTarget, Object};
use h5kit_core::MemStorage;
use h5kit_superblock::cache_image::{CacheImage, CacheImageMessage, MESSAGE_TYPE};
use h5kit_testkit::oracle;

const FILES: [&str; 4] = ["ci_latest.h5", "ci_v18.h5", "ci_reopened.h5", "ci_minimal.h5"];

fn fixture(name: &str) -> PathBuf {
    h5kit_testkit::repo_root().join("tests/data/cache_image").join(name)
}

/// A value as h5dump prints it: a number or a quoted string.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Num(f64),
    Str(String),
}

/// Values of every dataset (`/path`) and attribute (`/path@name`) of an h5dump full dump.
fn parse_dump(text: &str) -> BTreeMap<String, Vec<Value>> {
    let mut out = BTreeMap::new();
    // Frames: (keyword, name) for every open brace.
    let mut stack: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let in_data = stack.last().is_some_and(|(k, _)| k == "DATA");
        if in_data && t != "}" {
            let key = data_key(&stack);
            out.entry(key).or_insert_with(Vec::new).extend(values_of(t));
            continue;
        }
        let opens = t.matches('{').count();
        let closes = t.matches('}').count();
        let named = ["GROUP", "DATASET", "ATTRIBUTE"].iter().find(|k| t.starts_with(&format!("{} \"", k)));
        for i in 0..opens {
            let frame = match (i, named) {
                (0, Some(k)) => (k.to_string(), t[k.len() + 2..t.rfind('"').unwrap()].to_string()),
                (0, None) if t == "DATA {" => ("DATA".to_string(), String::new()),
                _ => (String::new(), String::new()),
            };
            stack.push(frame);
        }
        for _ in 0..closes {
            stack.pop();
        }
    }
    out
}

fn data_key(stack: &[(String, String)]) -> String {
    let mut path = String::new();
    let mut attr = None;
    for (k, name) in stack {
        match k.as_str() {
            "GROUP" if name == "/" => {}
            "GROUP" | "DATASET" => path = format!("{}/{}", path, name),
            "ATTRIBUTE" => attr = Some(name.clone()),
            _ => {}
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    match attr {
        Some(a) => format!("{}@{}", path, a),
        None => path,
    }
}

/// The values of one DATA line: index prefixes `(i,j): ` dropped.
fn values_of(line: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        rest = rest.trim_start_matches([' ', ',']);
        if rest.starts_with('(') {
            let end = rest.find("):").expect("index prefix");
            rest = &rest[end + 2..];
        } else if let Some(s) = rest.strip_prefix('"') {
            let end = s.find('"').expect("closing quote");
            out.push(Value::Str(s[..end].to_string()));
            rest = &s[end + 1..];
        } else if !rest.is_empty() {
            let end = rest.find(',').unwrap_or(rest.len());
            let tok = rest[..end].trim();
            out.push(Value::Num(tok.parse().unwrap_or_else(|_| panic!("not a number: {tok:?} in {line:?}"))));
            rest = &rest[end..];
        }
    }
    out
}

/// The same for a file read by h5kit: every dataset and attribute reachable by hard links.
fn read_all(file: &File) -> h5kit::Result<BTreeMap<String, Vec<Value>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![String::from("/")];
    while let Some(path) = stack.pop() {
        let obj = file.object(&path)?;
        let attrs = match &obj {
            Object::Group(g) => {
                for l in g.links()? {
                    if let LinkTarget::Hard { .. } = l.target {
                        stack.push(format!("{}/{}", path.trim_end_matches('/'), l.name));
                    }
                }
                g.attributes()?
            }
            Object::Dataset(d) => {
                out.insert(path.clone(), d.read::<f64>()?.data.into_iter().map(Value::Num).collect());
                d.attributes()?
            }
            _ => Vec::new(),
        };
        for a in attrs {
            let v = match a.read::<f64>() {
                Ok(v) => v.data.into_iter().map(Value::Num).collect(),
                Err(_) => a.read_strings()?.into_iter().map(Value::Str).collect(),
            };
            out.insert(format!("{}@{}", path, a.name), v);
        }
    }
    Ok(out)
}

/// Equal as h5dump prints them: numbers to the digits printed (`%g`: 6 significant digits
/// unless `exact`).
fn assert_same(what: &str, dump: &BTreeMap<String, Vec<Value>>, ours: &BTreeMap<String, Vec<Value>>, exact: bool) {
    assert_eq!(dump.keys().collect::<Vec<_>>(), ours.keys().collect::<Vec<_>>(), "{what}: objects");
    for (k, want) in dump {
        let got = &ours[k];
        assert_eq!(want.len(), got.len(), "{what}: {k}: value count");
        for (i, (w, g)) in want.iter().zip(got).enumerate() {
            let same = match (w, g) {
                (Value::Num(w), Value::Num(g)) if exact => w == g,
                (Value::Num(w), Value::Num(g)) => (w - g).abs() <= 5e-6 * w.abs().max(1e-300),
                (w, g) => w == g,
            };
            assert!(same, "{what}: {k}[{i}]: h5dump {w:?}, h5kit {g:?}");
        }
    }
}

#[test]
fn every_dataset_and_attribute_equals_the_h5dump_golden() {
    for name in FILES {
        let golden = h5kit_testkit::repo_root().join("tests/golden/data/cache_image").join(format!("{name}.full.txt"));
        let dump = parse_dump(&std::fs::read_to_string(&golden).unwrap());
        let ours = read_all(&File::open(fixture(name)).unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let least = if name == "ci_minimal.h5" { 2 } else { 100 };
        assert!(dump.len() >= least, "{name}: only {} datasets and attributes in the golden", dump.len());
        assert_same(name, &dump, &ours, false);
    }
}

#[test]
fn every_dataset_equals_live_h5dump_to_the_last_digit() {
    if !oracle::check(oracle::H5DUMP, FILES.len() as u64, "cache image files against live h5dump") {
        return;
    }
    for name in FILES {
        let out = std::process::Command::new("h5dump").args(["-m", "%.17g"]).arg(fixture(name)).output().unwrap();
        assert!(out.status.success(), "h5dump {name}: {:?}", out.status);
        let dump = parse_dump(&String::from_utf8_lossy(&out.stdout));
        let ours = read_all(&File::open(fixture(name)).unwrap()).unwrap();
        assert_same(name, &dump, &ours, true);
    }
    oracle::compared(oracle::H5DUMP, FILES.len() as u64);
}

/// The image of a fixture, decoded from the file's bytes.
fn image_of(bytes: &[u8]) -> (CacheImage, usize) {
    let f = File::from_bytes(bytes.to_vec()).unwrap();
    let ext = f.superblock().extension_address.unwrap() as usize;
    let (msg_at, body, _) = extension_message(bytes, ext, MESSAGE_TYPE).expect("a cache image message");
    let sizes = f.superblock().sizes;
    let m = CacheImageMessage::decode(&bytes[body..body + 17], body as u64, sizes).unwrap();
    let storage = MemStorage::new(bytes.to_vec());
    (CacheImage::read(&storage, m, sizes, 0, &h5kit::Limits::default()).unwrap(), msg_at)
}

/// Positions of the first message of `type_id` in the version 2 object header at `at` (the
/// superblock extension: one chunk) and of its body, and the header's checksum position.
fn extension_message(b: &[u8], at: usize, type_id: u16) -> Option<(usize, usize, usize)> {
    assert_eq!(&b[at..at + 4], b"OHDR");
    let flags = b[at + 5];
    let mut p = at + 6;
    if flags & 0x20 != 0 {
        p += 16;
    }
    if flags & 0x10 != 0 {
        p += 4;
    }
    let width = 1usize << (flags & 3);
    let size = b[p..p + width].iter().rev().fold(0usize, |v, &x| (v << 8) | x as usize);
    p += width;
    let end = p + size;
    let mut found = None;
    let prefix = 4 + if flags & 4 != 0 { 2 } else { 0 };
    while p + prefix <= end {
        let (t, n) = (b[p], u16::from_le_bytes([b[p + 1], b[p + 2]]) as usize);
        if u16::from(t) == type_id && found.is_none() {
            found = Some((p, p + prefix));
        }
        p += prefix + n;
    }
    found.map(|(m, body)| (m, body, end))
}

/// The file with its cache image message turned into a NIL message (checksum updated): what
/// a reader that ignores the image sees.
fn without_image(bytes: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    let f = File::from_bytes(bytes.to_vec()).unwrap();
    let ext = f.superblock().extension_address.unwrap() as usize;
    let (msg, _, sum_at) = extension_message(&b, ext, MESSAGE_TYPE).unwrap();
    b[msg] = 0;
    let sum = h5kit_core::lookup3(&b[ext..sum_at], 0);
    b[sum_at..sum_at + 4].copy_from_slice(&sum.to_le_bytes());
    b
}

#[test]
fn dirty_entries_are_only_in_the_image() {
    for name in ["ci_latest.h5", "ci_v18.h5"] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let (image, _) = image_of(&bytes);
        assert!(image.entries.len() >= 80, "{name}: {} entries", image.entries.len());
        for e in &image.entries {
            assert!(e.is_dirty(), "{name}: entry at {} clean", e.address);
            let at = e.address as usize;
            assert!(bytes[at..at + e.image.len()].iter().all(|&x| x == 0), "{name}: dirty entry at {} written at its address", at);
        }
        // Object headers are among them (OHDR) with their continuation chunks (OCHK).
        assert!(image.entries.iter().any(|e| e.type_id == 5 && e.image.starts_with(b"OHDR")));
        assert!(image.entries.iter().any(|e| e.type_id == 6 && e.image.starts_with(b"OCHK")));
        // Without the image, the file cannot be read: the root group's header is not there.
        let plain = File::from_bytes(without_image(&bytes)).unwrap();
        assert!(read_all(&plain).is_err(), "{name} read without its image");
    }
}

#[test]
fn clean_entries_are_also_at_their_addresses_and_both_paths_agree() {
    let bytes = std::fs::read(fixture("ci_reopened.h5")).unwrap();
    let (image, _) = image_of(&bytes);
    assert!(image.entries.len() >= 70);
    for e in &image.entries {
        assert!(!e.is_dirty(), "entry at {} dirty", e.address);
        let at = e.address as usize;
        assert_eq!(&bytes[at..at + e.image.len()], e.image.as_slice(), "entry at {at} differs from the file");
    }
    let through_image = read_all(&File::from_bytes(bytes.clone()).unwrap()).unwrap();
    let from_disk = read_all(&File::from_bytes(without_image(&bytes)).unwrap()).unwrap();
    assert!(through_image.len() >= 100);
    assert_same("ci_reopened.h5 with and without its image", &from_disk, &through_image, true);
}

#[test]
fn a_damaged_image_is_an_error_naming_it() {
    let bytes = std::fs::read(fixture("ci_latest.h5")).unwrap();
    let (image, _) = image_of(&bytes);
    let at = image.message.address as usize;
    // A flipped byte inside an entry: the image's checksum fails; the file does not open.
    let mut bad = bytes.clone();
    bad[at + 100] ^= 0x40;
    let e = File::from_bytes(bad).unwrap_err().to_string();
    assert!(e.contains("metadata cache image") && e.contains("checksum"), "{e}");
    // A wrong signature.
    let mut bad = bytes.clone();
    bad[at] = b'X';
    let e = File::from_bytes(bad).unwrap_err().to_string();
    assert!(e.contains("metadata cache image"), "{e}");
    // The file cut inside the image.
    let e = File::from_bytes(bytes[..at + 50].to_vec()).unwrap_err().to_string();
    assert!(e.contains("metadata cache image"), "{e}");
}

/// Files opened from a path read through the image too, positioned reads or mapped.
#[test]
fn mapped_and_positioned_opens_agree() {
    for name in FILES {
        let a = read_all(&File::open(fixture(name)).unwrap()).unwrap();
        let b = read_all(&File::open_mapped(fixture(name)).unwrap()).unwrap();
        let c = read_all(&File::from_bytes(std::fs::read(fixture(name)).unwrap()).unwrap()).unwrap();
        assert_same(name, &a, &b, true);
        assert_same(name, &a, &c, true);
    }
}

/// Opening for writing (r+, a): the on-disk writer does not edit files with a cache image
/// (their metadata is in the image, not where it belongs; libhdf5 loads the image and drops
/// it), and there is no in-memory rewrite any more: the open fails with `Unsupported`,
/// naming the file, and leaves it byte for byte; it still reads.
#[test]
#[cfg(not(target_family = "wasm"))] // temporary files and locks: not under WASI
fn opening_for_writing_is_refused_and_leaves_the_file() {
    for name in FILES {
        let before = read_all(&File::open(fixture(name)).unwrap()).unwrap();
        for mode in ["r+", "a"] {
            let dir = std::env::temp_dir().join(format!("h5kit-ci-write-{}-{}-{}", std::process::id(), name, mode));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::copy(fixture(name), &path).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let e = File::open_with_mode(&path, mode).expect_err("a cache image file opened for writing");
            assert_eq!(e.kind, h5kit::ErrorKind::Unsupported, "{name} {mode}: {e}");
            let msg = e.to_string();
            assert!(msg.contains(name) && msg.contains("cache image"), "{name} {mode}: {msg}");
            assert!(std::fs::read(&path).unwrap() == bytes, "{name} {mode}: the file changed");
            let after = read_all(&File::open(&path).unwrap()).unwrap();
            assert_same(&format!("{name} after {mode}"), &before, &after, true);
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}

//! Object headers of the libhdf5-written interop files (`/work/shared/interop`): every object
//! listed in `tests/data/interop_headers.txt` (file, object header address, path, from
//! `h5ls -r -v`) is read and all its messages decoded; selected messages are checked field by
//! field against h5dump/h5debug output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use h5kit_core::{Context, Limits, MemStorage, Sizes};
use h5kit_object_header::*;

const INTEROP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/interop/");

/// A whole file in memory with its superblock's sizes (superblock v0-3 sizes read directly:
/// these tests must not depend on the superblock crate).
pub struct TestFile {
    pub storage: MemStorage,
    pub sizes: Sizes,
    pub base: u64,
    pub limits: Limits,
}

impl TestFile {
    pub fn open(rel: &str) -> TestFile {
        let data = std::fs::read(format!("{}{}", INTEROP, rel)).unwrap_or_else(|e| panic!("{}: {}", rel, e));
        // Signature at 0, 512, 1024, ...
        let mut at = 0usize;
        while data.get(at..at + 8) != Some(b"\x89HDF\r\n\x1a\n".as_slice()) {
            at = if at == 0 { 512 } else { at * 2 };
            assert!(at < data.len(), "{}: no superblock", rel);
        }
        let version = data[at + 8];
        let (offset, length) = if version <= 1 { (data[at + 13], data[at + 14]) } else { (data[at + 9], data[at + 10]) };
        TestFile { storage: MemStorage::new(data), sizes: Sizes::new(offset, length).unwrap(), base: at as u64, limits: Limits::default() }
    }
    pub fn ctx(&self) -> Context<'_> {
        Context::new(&self.storage, self.sizes, &self.limits, self.base)
    }
    pub fn header(&self, address: u64) -> ObjectHeader {
        ObjectHeader::read(self.ctx(), address).unwrap_or_else(|e| panic!("header at {}: {}", address, e))
    }
}

fn listed() -> Vec<(String, u64, String)> {
    let text = include_str!("data/interop_headers.txt");
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some((it.next()?.to_string(), it.next()?.parse().ok()?, it.next()?.to_string()))
        })
        .collect()
}

#[test]
fn every_interop_object_header_decodes() {
    let mut files: HashMap<String, TestFile> = HashMap::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for (file, address, path) in listed() {
        let f = files.entry(file.clone()).or_insert_with(|| TestFile::open(&file));
        count += 1;
        match ObjectHeader::read(f.ctx(), address) {
            Ok(h) => {
                for m in &h.messages {
                    if let Err(e) = m.decode(f.sizes) {
                        failures.push(format!("{} {} ({}): message {:#x}: {}", file, path, address, m.type_id, e));
                    }
                }
            }
            Err(e) => failures.push(format!("{} {} ({}): {}", file, path, address, e)),
        }
    }
    assert!(count > 2000, "only {} objects listed", count);
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

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
        Self::open_path(&format!("{}{}", INTEROP, rel))
    }
    /// A fixture of this crate (`tests/data/NAME`).
    pub fn fixture(name: &str) -> TestFile {
        Self::open_path(&format!("{}/tests/data/{}", env!("CARGO_MANIFEST_DIR"), name))
    }
    pub fn open_path(rel: &str) -> TestFile {
        let data = std::fs::read(rel).unwrap_or_else(|e| panic!("{}: {}", rel, e));
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

fn heap_id(m: &Message) -> [u8; 8] {
    match m {
        Message::Dataspace(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::Datatype(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::FillValue(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::FilterPipeline(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }))
        | Message::Attribute(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id })) => *heap_id,
        other => panic!("not in the shared message heap: {:?}", other),
    }
}

fn i32le() -> Datatype {
    Datatype {
        version: 1,
        size: 4,
        class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed: true, bit_offset: 0, precision: 32, pad_lo: false, pad_hi: false },
    }
}

/// `tests/data/sohm.h5` (made by `gen_sohm.py` with libhdf5 2.0): two SOHM indexes, every
/// shareable message of /d1 stored in the shared message heaps. Expected values from
/// `h5debug sohm.h5 97` and `h5dump -p -A sohm.h5`.
#[test]
fn shared_message_table_and_heap() {
    let f = TestFile::fixture("sohm.h5");
    let sizes = f.sizes;
    // Superblock extension (superblock v2 "Superblock Extension Address" 48).
    let ext = f.header(48);
    let msgs = ext.decode_all(sizes).unwrap();
    assert_eq!(msgs, vec![Message::SharedMessageTable { version: 0, table_address: 97, index_count: 2 }]);
    let table = SharedMessageTable::read(f.ctx(), 97, 2).unwrap();
    assert_eq!(
        table.indexes,
        vec![
            SharedMessageIndex {
                version: 0,
                index_type: 0,
                message_type_flags: 0x000a,
                min_message_size: 1,
                list_cutoff: 50,
                btree_cutoff: 40,
                message_count: 6,
                index_address: Some(592),
                heap_address: Some(1450),
            },
            SharedMessageIndex {
                version: 0,
                index_type: 0,
                message_type_flags: 0x1820,
                min_message_size: 1,
                list_cutoff: 50,
                btree_cutoff: 40,
                message_count: 6,
                index_address: Some(1596),
                heap_address: Some(2454),
            },
        ]
    );
    assert_eq!(table.index_for(msg_type::DATATYPE).map(|i| i.heap_address), Some(Some(1450)));
    assert_eq!(table.index_for(msg_type::ATTRIBUTE).map(|i| i.heap_address), Some(Some(2454)));
    assert!(table.index_for(msg_type::LINK).is_none());

    let h = f.header(9476);
    assert_eq!((h.version, h.flags), (2, 0x05));
    let resolve = |type_id: u16, m: &Message| {
        let body = table.message_body(f.ctx(), type_id, &heap_id(m)).unwrap();
        decode_message(type_id, 0, &body, 0, sizes).unwrap()
    };
    let decoded = h.decode_all(sizes).unwrap();
    let mut attrs = Vec::new();
    for (raw, m) in h.messages.iter().zip(&decoded) {
        match raw.type_id {
            msg_type::DATASPACE => assert_eq!(
                resolve(raw.type_id, m),
                Message::Dataspace(MaybeShared::Inline(Dataspace {
                    version: 2,
                    kind: DataspaceKind::Simple,
                    dims: vec![3, 4],
                    max_dims: Some(vec![3, 4])
                }))
            ),
            msg_type::DATATYPE => assert_eq!(resolve(raw.type_id, m), Message::Datatype(MaybeShared::Inline(i32le()))),
            msg_type::FILL_VALUE => assert_eq!(
                resolve(raw.type_id, m),
                Message::FillValue(MaybeShared::Inline(FillValue {
                    version: 3,
                    alloc_time: AllocTime::Incremental,
                    fill_time: FillTime::IfSet,
                    defined: true,
                    value: Some(vec![7, 0, 0, 0])
                }))
            ),
            msg_type::FILTER_PIPELINE => assert_eq!(
                resolve(raw.type_id, m),
                Message::FilterPipeline(MaybeShared::Inline(FilterPipeline {
                    version: 2,
                    filters: vec![Filter { id: 1, name: None, flags: 1, client_data: vec![4] }]
                }))
            ),
            msg_type::ATTRIBUTE => match resolve(raw.type_id, m) {
                Message::Attribute(MaybeShared::Inline(a)) => attrs.push(a),
                other => panic!("{:?}", other),
            },
            _ => {}
        }
    }
    assert_eq!(attrs.len(), 2);
    // The attributes' own datatypes and dataspaces are shared too (a tiny heap object for the
    // scalar dataspace of "name").
    let units = &attrs[0];
    assert_eq!(units.name, "units");
    let dt = match &units.datatype {
        MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }) => table.message_body(f.ctx(), msg_type::DATATYPE, heap_id).unwrap(),
        other => panic!("{:?}", other),
    };
    let dt = Datatype::decode(&mut h5kit_core::Reader::new(&dt, 0, sizes)).unwrap();
    assert_eq!(dt.size, 8);
    assert!(matches!(dt.class, TypeClass::Float { order: ByteOrder::LittleEndian, precision: 64, exponent_bias: 1023, .. }));
    assert_eq!(units.data, [1.5f64.to_le_bytes(), 2.5f64.to_le_bytes()].concat());
    let name = &attrs[1];
    assert_eq!(name.name, "name");
    let ds = match &name.dataspace {
        MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }) => {
            assert_eq!(heap_id[0] & 0x30, 0x20, "tiny heap object");
            table.message_body(f.ctx(), msg_type::DATASPACE, heap_id).unwrap()
        }
        other => panic!("{:?}", other),
    };
    let ds = Dataspace::decode(&mut h5kit_core::Reader::new(&ds, 0, sizes)).unwrap();
    assert_eq!(ds.kind, DataspaceKind::Scalar);
    let dt = match &name.datatype {
        MaybeShared::Shared(SharedLocation::SharedHeap { heap_id }) => table.message_body(f.ctx(), msg_type::DATATYPE, heap_id).unwrap(),
        other => panic!("{:?}", other),
    };
    let dt = Datatype::decode(&mut h5kit_core::Reader::new(&dt, 0, sizes)).unwrap();
    assert!(matches!(dt.class, TypeClass::VarLenString { padding: StringPadding::NullTerminate, charset: CharacterSet::Ascii, .. }));
    // A message type no index tracks.
    assert!(table.message_body(f.ctx(), msg_type::LINK, &[0; 8]).is_err());
}

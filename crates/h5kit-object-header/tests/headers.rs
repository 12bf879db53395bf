//! Object header structure (prefixes, chunks, continuations, NIL messages, times) and group
//! messages checked against `h5debug FILE ADDRESS` / `h5dump` output; corrupt headers fail
//! cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, ErrorKind, Limits, MemStorage, Sizes};
use h5kit_object_header::*;

mod common;
use common::INTEROP;

fn load(rel: &str) -> (Vec<u8>, Sizes, u64) {
    let data = std::fs::read(format!("{}{}", INTEROP, rel)).unwrap();
    let version = data[8];
    let sizes = if version <= 1 { Sizes::new(data[13], data[14]) } else { Sizes::new(data[9], data[10]) }.unwrap();
    (data, sizes, 0)
}

fn read(data: Vec<u8>, sizes: Sizes, address: u64) -> h5kit_core::Result<ObjectHeader> {
    let storage = MemStorage::new(data);
    let limits = Limits::default();
    ObjectHeader::read(Context::new(&storage, sizes, &limits, 0), address)
}

/// `h5debug hdf_v14_test1.hdf5 744`: version 1, 2 chunks (744+16 size 96; 6944 size 64),
/// messages continuation, dataspace, mtime (old), null, datatype, layout (v1).
#[test]
fn v1_header_with_continuation_block() {
    let (data, sizes, _) = load("jhdf/hdf_v14_test1.hdf5");
    let h = read(data, sizes, 744).unwrap();
    assert_eq!((h.version, h.reference_count, h.flags, h.times), (1, 1, 0, None));
    let types: Vec<u16> = h.messages.iter().map(|m| m.type_id).collect();
    assert_eq!(types, vec![0x0010, 0x0001, 0x000e, 0x0003, 0x0008]);
    // Body addresses: chunk 0 data starts at 760; (offset 24 + 8) in h5debug's chunk numbering
    // is relative to the header address 744.
    let addrs: Vec<u64> = h.messages.iter().map(|m| m.address).collect();
    assert_eq!(addrs, vec![768, 792, 824, 6952, 6976]);
    let msgs = h.decode_all(sizes).unwrap();
    assert_eq!(msgs[0], Message::Continuation { address: 6944, length: 64 });
    // "Time: 1999-07-07 19:33:18 UTC"
    assert_eq!(msgs[2], Message::ModificationTimeOld(931_375_998));
    assert_eq!(
        msgs[1],
        Message::Dataspace(MaybeShared::Inline(Dataspace { version: 1, kind: DataspaceKind::Simple, dims: vec![10, 20], max_dims: None }))
    );
    // Layout version 1, contiguous: 10 x 20 x 4 bytes at 856 (h5dump: SIZE 800, OFFSET 856).
    assert_eq!(msgs[4], Message::Layout(LayoutMessage {
            version: 1,
            layout: Layout::Contiguous { address: Some(856), size: 800 },
            stored_dims: vec![10, 20, 4]
        }));
}

/// `h5debug hdf_v14_test2.hdf5 744`: layout version 1, chunked 5 x 5, element size 4.
#[test]
fn v1_chunked_layout() {
    let (data, sizes, _) = load("jhdf/hdf_v14_test2.hdf5");
    let h = read(data, sizes, 744).unwrap();
    let layout = h.first(msg_type::LAYOUT, sizes).unwrap().unwrap();
    assert_eq!(
        layout,
        Message::Layout(LayoutMessage {
            version: 1,
            layout: Layout::Chunked {
                chunk_dims: vec![5, 5],
                element_size: 4,
                index: ChunkIndex::BTreeV1 { address: Some(856) },
                flags: 0
            },
            stored_dims: vec![]
        })
    );
}

/// `h5debug chunked_v4_datasets.hdf5 10240`: version 2 header with times (2019-12-19 20:03:31
/// UTC), 3 chunks (10240 size 120; OCHK 12045 size 50; OCHK 12449 size 49), 11 messages of
/// which one NIL; links int8 -> 10387, float32 -> 11379, int16 -> 10671, float64 -> 11733,
/// int32 -> 11025, string -> 12137 in that order.
#[test]
fn v2_header_with_ochk_blocks() {
    let (data, sizes, _) = load("jhdf/chunked_v4_datasets.hdf5");
    let h = read(data, sizes, 10240).unwrap();
    assert_eq!((h.version, h.flags, h.reference_count), (2, 0x20, 1));
    let t = 1_576_785_811;
    assert_eq!(h.times, Some(HeaderTimes { access: t, modification: t, change: t, birth: t }));
    assert_eq!(h.messages.len(), 10);
    let msgs = h.decode_all(sizes).unwrap();
    let links: Vec<(String, u64)> = msgs
        .iter()
        .filter_map(|m| match m {
            Message::Link(LinkMessage { name, target: LinkTarget::Hard { address }, .. }) => Some((name.clone(), *address)),
            _ => None,
        })
        .collect();
    let want = [("int8", 10387), ("float32", 11379), ("int16", 10671), ("float64", 11733), ("int32", 11025), ("string", 12137)];
    assert_eq!(links, want.iter().map(|(n, a)| (n.to_string(), *a)).collect::<Vec<_>>());
    let conts: Vec<&Message> = msgs.iter().filter(|m| matches!(m, Message::Continuation { .. })).collect();
    assert_eq!(conts, vec![&Message::Continuation { address: 12045, length: 50 }, &Message::Continuation { address: 12449, length: 49 }]);
}

/// `h5debug test_large_group_latest.hdf5 195`: dense link storage (fractal heap 1870, name
/// index v2 B-tree 5232, no creation order index); group info with defaults not stored.
#[test]
fn link_info_and_group_info() {
    let (data, sizes, _) = load("jhdf/test_large_group_latest.hdf5");
    let h = read(data, sizes, 195).unwrap();
    let msgs = h.decode_all(sizes).unwrap();
    assert!(msgs.contains(&Message::LinkInfo(LinkInfo {
        max_creation_index: None,
        fractal_heap_address: Some(1870),
        name_index_address: Some(5232),
        index_creation_order: false,
        creation_order_index_address: None
    })));
    assert!(msgs.contains(&Message::GroupInfo(GroupInfo::default())));
}

/// Soft and external links of test_file.hdf5 /links_group (h5dump: SOFTLINK / EXTLINK).
#[test]
fn soft_and_external_links() {
    let (data, sizes, _) = load("jhdf/test_file.hdf5");
    let h = read(data, sizes, 12048).unwrap();
    let links: Vec<LinkMessage> =
        h.decode_all(sizes).unwrap().into_iter().filter_map(|m| if let Message::Link(l) = m { Some(l) } else { None }).collect();
    let find = |n: &str| links.iter().find(|l| l.name == n).unwrap().target.clone();
    assert_eq!(find("soft_link_to_int8"), LinkTarget::Soft { path: "/datasets_group/int/int8".into() });
    assert_eq!(find("broken_soft_link"), LinkTarget::Soft { path: "/datasets_group/int/missing_dataset".into() });
    assert_eq!(
        find("external_link"),
        LinkTarget::External { file: "test_file_ext.hdf5".into(), path: "/external_dataset".into() }
    );
}

/// A committed datatype used by an attribute (version 2, datatype shared flag):
/// issue255_example.hdf5 /groupB "important" -> committed type at 2208.
#[test]
fn attribute_with_committed_datatype() {
    let (data, sizes, _) = load("jhdf/issue255_example.hdf5");
    let storage = MemStorage::new(data);
    let limits = Limits::default();
    let ctx = Context::new(&storage, sizes, &limits, 0);
    let h = ObjectHeader::read(ctx, 2976).unwrap();
    let a = h
        .decode_all(sizes)
        .unwrap()
        .into_iter()
        .find_map(|m| match m {
            Message::Attribute(MaybeShared::Inline(a)) if a.name == "important" => Some(a),
            _ => None,
        })
        .unwrap();
    assert_eq!(a.version, 2);
    assert_eq!(a.datatype, MaybeShared::Shared(SharedLocation::ObjectHeader { address: 2208 }));
    let committed = ObjectHeader::read(ctx, 2208).unwrap();
    assert!(matches!(committed.first(msg_type::DATATYPE, sizes).unwrap(), Some(Message::Datatype(MaybeShared::Inline(_)))));
}

/// Corruption: every single-byte change and every truncation of real headers gives a value or
/// an error, never a panic; checksums catch v2 changes; continuation loops are detected.
#[test]
fn corrupt_headers_fail_cleanly() {
    for (rel, address, len) in [("jhdf/chunked_v4_datasets.hdf5", 10240u64, 124usize), ("jhdf/hdf_v14_test1.hdf5", 744, 112)] {
        let (data, sizes, _) = load(rel);
        let orig = read(data.clone(), sizes, address).unwrap();
        for i in 0..len {
            for v in [0x00u8, 0xff, 0x80, 0x01] {
                let mut d = data.clone();
                let at = address as usize + i;
                if d[at] == v {
                    continue;
                }
                d[at] = v;
                if let Ok(h) = read(d, sizes, address) {
                    let _ = h.decode_all(sizes);
                    if orig.version == 2 {
                        panic!("{}: changed byte {} not caught by the checksum", rel, at);
                    }
                }
            }
        }
        for cut in [address as usize + 1, address as usize + 20, address as usize + 60] {
            assert!(read(data[..cut].to_vec(), sizes, address).is_err());
        }
    }
}

#[test]
fn continuation_loop_and_limits() {
    // A version 1 header whose continuation points back at its own first chunk.
    let sizes = Sizes::new(8, 8).unwrap();
    let mut d = vec![0u8; 64];
    d[0] = 1; // version
    d[2] = 1; // 1 message
    d[4] = 1; // reference count
    d[8] = 24; // header size
    // message at 16: type 0x10, size 16
    d[16] = 0x10;
    d[18] = 16;
    d[24..32].copy_from_slice(&16u64.to_le_bytes()); // continuation to 16 (the first chunk)
    d[32..40].copy_from_slice(&24u64.to_le_bytes());
    let e = read(d.clone(), sizes, 0).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Format, "{}", e);
    // A continuation past the end of the file.
    d[24..32].copy_from_slice(&1000u64.to_le_bytes());
    assert!(read(d.clone(), sizes, 0).is_err());
    // Message limit.
    d[24..32].copy_from_slice(&40u64.to_le_bytes());
    d[32..40].copy_from_slice(&8u64.to_le_bytes());
    let storage = MemStorage::new(d);
    let limits = Limits { max_items: 1, ..Limits::default() };
    let e = ObjectHeader::read(Context::new(&storage, sizes, &limits, 0), 0).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Limit, "{}", e);
    // Not a header at all.
    assert!(read(vec![7u8; 64], sizes, 0).is_err());
    assert!(read(vec![1u8; 4], sizes, 0).is_err());
}

/// A hand-built version 2 header (IV.A.1.b): flags 0x34 (creation order tracked, phase change
/// values, times; 1-byte chunk size), a NIL message, a reference count message, a 3-byte gap and
/// the lookup3 checksum.
#[test]
fn v2_header_phase_change_creation_order_gap() {
    let mut h = b"OHDR".to_vec();
    h.extend_from_slice(&[2, 0x34]);
    for t in [10u32, 20, 30, 40] {
        h.extend_from_slice(&t.to_le_bytes());
    }
    h.extend_from_slice(&8u16.to_le_bytes());
    h.extend_from_slice(&6u16.to_le_bytes());
    let mut body = Vec::new();
    body.extend_from_slice(&[0x00, 2, 0, 0, 0, 0, 0xaa, 0xbb]); // NIL, 2 bytes
    body.extend_from_slice(&[0x16, 5, 0, 0, 7, 0, 0, 5, 0, 0, 0]); // reference count 5, order 7
    body.extend_from_slice(&[0, 0, 0]); // gap
    h.push(body.len() as u8);
    h.extend_from_slice(&body);
    let sum = h5kit_core::lookup3(&h, 0);
    h.extend_from_slice(&sum.to_le_bytes());
    let sizes = Sizes::default();
    let hdr = read(h.clone(), sizes, 0).unwrap();
    assert_eq!(hdr.times, Some(HeaderTimes { access: 10, modification: 20, change: 30, birth: 40 }));
    assert_eq!(hdr.attribute_phase_change, Some((8, 6)));
    assert_eq!(hdr.reference_count, 5);
    assert_eq!(hdr.messages.len(), 1);
    assert_eq!(hdr.messages[0].creation_order, Some(7));
    assert_eq!(hdr.messages[0].address, 4 + 2 + 16 + 4 + 1 + 8 + 6);
    // Checksum mismatch.
    let n = h.len();
    h[n - 1] ^= 1;
    let e = read(h, sizes, 0).unwrap_err();
    assert!(e.message.contains("checksum"), "{}", e);
}

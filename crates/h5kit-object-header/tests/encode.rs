//! Header encoding built from scratch (read back by the reader), the chunk primitives, and
//! encoders refusing values that have no encoding: errors, never panics. Plus
//! `decode(encode(decode(bytes))) == decode(bytes)` for random message bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, Limits, MemStorage, Sizes, Writer};
use h5kit_object_header::*;
use proptest::prelude::*;

fn s8() -> Sizes {
    Sizes::default()
}

fn raw(m: &Message, creation_order: Option<u16>) -> RawMessage {
    RawMessage::encode(m, creation_order, s8()).unwrap()
}

fn messages() -> Vec<Message> {
    vec![
        Message::Dataspace(MaybeShared::Inline(Dataspace { version: 2, kind: DataspaceKind::Simple, dims: vec![3, 4], max_dims: None })),
        Message::Datatype(MaybeShared::Inline(Datatype {
            version: 1,
            size: 4,
            class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed: true, bit_offset: 0, precision: 32, pad_lo: false, pad_hi: false },
        })),
        Message::Layout(LayoutMessage { version: 3, layout: Layout::Contiguous { address: Some(4096), size: 48 }, stored_dims: vec![] }),
        Message::ModificationTime(1_700_000_000),
        Message::Comment("a comment".into()),
    ]
}

/// Writes the encoded chunks into an image and reads the header back.
fn read_back(chunks: &[(u64, Vec<u8>)], address: u64) -> ObjectHeader {
    let mut image = vec![0u8; 8192];
    for (a, b) in chunks {
        image[*a as usize..*a as usize + b.len()].copy_from_slice(b);
    }
    let storage = MemStorage::new(image);
    let limits = Limits::default();
    ObjectHeader::read(Context::new(&storage, s8(), &limits, 0), address).unwrap()
}

fn strip(ms: &[RawMessage]) -> Vec<(u16, u8, Option<u16>, Vec<u8>)> {
    ms.iter().map(|m| (m.type_id, m.flags, m.creation_order, m.data.clone())).collect()
}

/// A header of `version` with the messages split over chunk #0 and one continuation block.
fn header(version: u8, flags: u8) -> ObjectHeader {
    let order = |i: usize| (flags & 0x04 != 0).then_some(i as u16);
    let mut ms: Vec<RawMessage> = messages().iter().enumerate().map(|(i, m)| raw(m, order(i))).collect();
    let cont = raw(&Message::Continuation { address: 2048, length: 160 }, order(0));
    ms.insert(2, cont);
    let h = ObjectHeader {
        version,
        address: 1024,
        flags,
        times: (flags & 0x20 != 0).then_some(HeaderTimes { access: 1, modification: 2, change: 3, birth: 4 }),
        attribute_phase_change: (flags & 0x10 != 0).then_some((8, 6)),
        reference_count: 1,
        messages: ms,
        chunks: vec![],
    };
    let prefix = h.prefix_size() as u64 + if version == 2 { 4 } else { 0 };
    let first = if version == 1 { 200 } else { prefix + 200 };
    ObjectHeader {
        chunks: vec![
            HeaderChunk { address: if version == 1 { 1040 } else { 1024 }, size: first, messages: 0..3, nil_messages: vec![], gap: 0 },
            HeaderChunk { address: 2048, size: 160, messages: 3..6, nil_messages: vec![], gap: 0 },
        ],
        ..h
    }
}

#[test]
fn headers_built_from_messages_read_back() {
    for (version, flags) in [(1u8, 0u8), (2, 0x00), (2, 0x01), (2, 0x04), (2, 0x0c | 0x10 | 0x20)] {
        let h = header(version, flags);
        let chunks = h.encode(s8()).unwrap();
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[1].1.len(), 160);
        let back = read_back(&chunks, 1024);
        if version == 2 {
            assert_eq!(strip(&back.messages), strip(&h.messages), "flags {:#x}", flags);
        }
        // Version 1 bodies come back padded to multiples of 8: same values.
        let values = |ms: &[RawMessage]| ms.iter().map(|m| m.decode(s8()).unwrap()).collect::<Vec<_>>();
        assert_eq!(values(&back.messages), values(&h.messages));
        assert_eq!((back.flags, back.times, back.attribute_phase_change), (h.flags, h.times, h.attribute_phase_change));
        assert_eq!(back.chunks.len(), 2);
        for (a, b) in back.chunks.iter().zip(&h.chunks) {
            assert_eq!((a.address, a.size, &a.messages), (b.address, b.size, &b.messages));
            // The free space is one trailing NIL message.
            assert_eq!(a.nil_messages.len(), 1);
        }
        let decoded = back.decode_all(s8()).unwrap();
        assert!(decoded.contains(&Message::Comment("a comment".into())));
        // Encoding what was read gives the same bytes again.
        assert_eq!(back.encode(s8()).unwrap(), chunks);
    }
}

#[test]
fn chunk_primitives() {
    let ms: Vec<RawMessage> = messages().iter().map(|m| raw(m, None)).collect();
    let bodies: Vec<usize> = ms.iter().map(|m| m.data.len()).collect();
    let v1: usize = bodies.iter().map(|&b| message_space(1, false, b)).sum();
    let v2: usize = bodies.iter().map(|&b| message_space(2, false, b)).sum();
    assert!(messages_fit(1, false, bodies.iter().copied(), v1));
    assert!(messages_fit(1, false, bodies.iter().copied(), v1 + 8));
    assert!(!messages_fit(1, false, bodies.iter().copied(), v1 - 8));
    assert!(!messages_fit(1, false, bodies.iter().copied(), v1 + 4)); // v1 areas are multiples of 8
    assert!(messages_fit(2, false, bodies.iter().copied(), v2 + 3)); // a gap
    assert!(!messages_fit(2, false, bodies.iter().copied(), v2 - 1));
    assert_eq!(message_prefix_size(2, true), 6);

    // Version 2, remainder smaller than a message prefix: a gap.
    let mut w = Writer::new(0, s8());
    assert_eq!(encode_message_area(&mut w, 2, false, &ms, v2 + 3).unwrap(), ms.len());
    assert_eq!(w.position(), v2 + 3);
    assert_eq!(&w.as_slice()[v2..], &[0, 0, 0]);
    // Otherwise a NIL message.
    let mut w = Writer::new(0, s8());
    assert_eq!(encode_message_area(&mut w, 2, false, &ms, v2 + 10).unwrap(), ms.len() + 1);
    assert_eq!(&w.as_slice()[v2..v2 + 4], &[0, 6, 0, 0]);
    // A continuation block: "OCHK", messages, checksum.
    let mut w = Writer::new(0, s8());
    encode_chunk(&mut w, 2, false, &ms, v2 + 8).unwrap();
    assert_eq!(&w.as_slice()[..4], b"OCHK");
    // Not fitting: an error and nothing written.
    let mut w = Writer::new(0, s8());
    assert!(encode_message_area(&mut w, 1, false, &ms, 8).is_err());
    assert!(encode_chunk(&mut w, 2, false, &ms, 4).is_err());
    assert!(w.is_empty());
    assert_eq!(chunk_size_flags(255), 0);
    assert_eq!(chunk_size_flags(256), 1);
    assert_eq!(chunk_size_flags(1 << 20), 2);
}

fn encode_err(m: &Message, sizes: Sizes) {
    let mut w = Writer::new(0, sizes);
    assert!(encode_message(m, &mut w).is_err(), "{:?} encoded", m);
    assert!(w.is_empty());
}

#[test]
fn values_without_an_encoding_are_errors() {
    let s4 = Sizes::new(4, 4).unwrap();
    let int = |order| Datatype {
        version: 1,
        size: 4,
        class: TypeClass::Integer { order, signed: false, bit_offset: 0, precision: 32, pad_lo: false, pad_hi: false },
    };
    let space = Dataspace { version: 1, kind: DataspaceKind::Scalar, dims: vec![], max_dims: None };
    let attr = |version: u8, name: String| AttributeMessage {
        version,
        name,
        charset: CharacterSet::Ascii,
        datatype: MaybeShared::Inline(int(ByteOrder::LittleEndian)),
        dataspace: MaybeShared::Inline(space.clone()),
        data: vec![0; 4],
    };
    // A v1 attribute with a name over 64 KiB.
    encode_err(&Message::Attribute(MaybeShared::Inline(attr(1, "n".repeat(70_000)))), s8());
    // Attribute data that does not match its type and space.
    encode_err(&Message::Attribute(MaybeShared::Inline(AttributeMessage { data: vec![1], ..attr(3, "a".into()) })), s8());
    // A body over 65535 bytes cannot go in a header (but encodes for a fractal heap).
    let big = Message::Attribute(MaybeShared::Inline(AttributeMessage {
        dataspace: MaybeShared::Inline(Dataspace { version: 1, kind: DataspaceKind::Simple, dims: vec![20_000], max_dims: None }),
        data: vec![0; 80_000],
        ..attr(3, "big".into())
    }));
    assert!(RawMessage::encode(&big, None, s8()).is_err());
    let mut w = Writer::new(0, s8());
    encode_message(&big, &mut w).unwrap();
    let huge = RawMessage { type_id: 0x0c, flags: 0, creation_order: None, address: 0, data: vec![0; 70_000] };
    assert!(encode_message_area(&mut Writer::new(0, s8()), 2, false, &[huge], 80_000).is_err());
    // Version 2 headers have 1-byte message types.
    let wide = RawMessage { type_id: 0x1234, flags: 0, creation_order: None, address: 0, data: vec![] };
    assert!(encode_message_area(&mut Writer::new(0, s8()), 2, false, &[wide], 16).is_err());

    encode_err(&Message::Dataspace(MaybeShared::Inline(Dataspace { version: 1, kind: DataspaceKind::Null, dims: vec![], max_dims: None })), s8());
    encode_err(&Message::Dataspace(MaybeShared::Inline(Dataspace { version: 2, kind: DataspaceKind::Simple, dims: vec![1; 33], max_dims: None })), s8());
    encode_err(&Message::Dataspace(MaybeShared::Inline(Dataspace { version: 2, kind: DataspaceKind::Simple, dims: vec![1 << 40], max_dims: None })), s4);
    encode_err(&Message::Datatype(MaybeShared::Inline(int(ByteOrder::Vax))), s8());
    let opaque = Datatype { version: 1, size: 1, class: TypeClass::Opaque { tag: "t".repeat(300) } };
    encode_err(&Message::Datatype(MaybeShared::Inline(opaque)), s8());
    let enum_t = Datatype {
        version: 3,
        size: 4,
        class: TypeClass::Enum { base: Box::new(int(ByteOrder::LittleEndian)), members: vec![("a".into(), vec![1, 2])] },
    };
    encode_err(&Message::Datatype(MaybeShared::Inline(enum_t)), s8());
    let compound = Datatype {
        version: 3,
        size: 4,
        class: TypeClass::Compound {
            members: (0..70_000).map(|i| CompoundMember { name: format!("m{}", i), byte_offset: 0, datatype: int(ByteOrder::LittleEndian) }).collect(),
        },
    };
    encode_err(&Message::Datatype(MaybeShared::Inline(compound)), s8());
    let mut deep = int(ByteOrder::LittleEndian);
    for _ in 0..100 {
        deep = Datatype { version: 1, size: 16, class: TypeClass::VarLenSequence { base: Box::new(deep) } };
    }
    encode_err(&Message::Datatype(MaybeShared::Inline(deep)), s8());
    let nul = Datatype {
        version: 3,
        size: 4,
        class: TypeClass::Compound { members: vec![CompoundMember { name: "a\0b".into(), byte_offset: 0, datatype: int(ByteOrder::BigEndian) }] },
    };
    encode_err(&Message::Datatype(MaybeShared::Inline(nul)), s8());
    let v4_btree = LayoutMessage {
        version: 4,
        layout: Layout::Chunked { chunk_dims: vec![2], element_size: 4, index: ChunkIndex::BTreeV1 { address: None }, flags: 0 },
        stored_dims: vec![],
    };
    encode_err(&Message::Layout(v4_btree), s8());
    let compact = LayoutMessage { version: 3, layout: Layout::Compact { data: vec![0; 70_000] }, stored_dims: vec![] };
    encode_err(&Message::Layout(compact), s8());
    let bad_single = LayoutMessage {
        version: 4,
        layout: Layout::Chunked { chunk_dims: vec![2], element_size: 4, index: ChunkIndex::SingleChunk { address: None, filtered: Some((1, 0)) }, flags: 0 },
        stored_dims: vec![],
    };
    encode_err(&Message::Layout(bad_single), s8());
    encode_err(&Message::Layout(LayoutMessage { version: 3, layout: Layout::Contiguous { address: Some(1 << 40), size: 1 }, stored_dims: vec![] }), s4);
    let filters = FilterPipeline { version: 2, filters: vec![Filter { id: 1, name: None, flags: 0, client_data: vec![] }; 40] };
    encode_err(&Message::FilterPipeline(MaybeShared::Inline(filters)), s8());
    let fill = FillValue { version: 3, alloc_time: AllocTime::Late, fill_time: FillTime::IfSet, defined: false, value: Some(vec![1]) };
    encode_err(&Message::FillValue(MaybeShared::Inline(fill.clone())), s8());
    encode_err(&Message::FillValueOld(fill), s8());
    let link = |name: &str, target| Message::Link(LinkMessage { name: name.into(), charset: CharacterSet::Ascii, creation_order: None, target });
    encode_err(&link("", LinkTarget::Hard { address: 1 }), s8());
    encode_err(&link("a", LinkTarget::UserDefined { link_type: 64, data: vec![] }), s8());
    encode_err(&link("a", LinkTarget::Soft { path: "p".repeat(70_000) }), s8());
    encode_err(&Message::ModificationTimeOld(u64::MAX), s8());
    encode_err(&Message::DriverInfo { id: "NCSAmultiX".into(), data: vec![] }, s8());
    encode_err(&Message::Comment("a\0b".into()), s8());
}

#[test]
fn old_modification_time_round_trips() {
    for secs in [0u64, 951_782_400, 1_709_210_096, 253_402_300_799] {
        let m = Message::ModificationTimeOld(secs);
        let mut w = Writer::new(0, s8());
        encode_message(&m, &mut w).unwrap();
        assert_eq!(decode_message(0x0e, 0, w.as_slice(), 0, s8()).unwrap(), m);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Any body that decodes re-encodes to a body that decodes to the same value.
    #[test]
    fn decoded_random_bodies_reencode(type_id in 0u16..=0x17, shared in any::<bool>(), body in prop::collection::vec(any::<u8>(), 0..48), small in any::<bool>()) {
        let sizes = if small { Sizes::new(4, 4).unwrap() } else { s8() };
        let flags = if shared { FLAG_SHARED } else { 0 };
        if let Ok(m) = decode_message(type_id, flags, &body, 0, sizes) {
            let mut w = Writer::new(0, sizes);
            encode_message(&m, &mut w).map_err(|e| TestCaseError::fail(format!("{:?}: {}", m, e)))?;
            prop_assert_eq!(w.position(), message_size(&m, sizes));
            prop_assert_eq!(decode_message(type_id, message_flags(&m), w.as_slice(), 0, sizes).unwrap(), m);
        }
    }
}

/// `attribute_message_name` reads the name of an encoded attribute body of each version, as
/// the full decoder does, and refuses bodies too short or of an unknown version.
#[test]
fn attribute_name_without_decoding() {
    for version in 1..=3u8 {
        for name in ["x", "score", "a longer name of 23 ch", "exactly8"] {
            let msg = Message::Attribute(MaybeShared::Inline(AttributeMessage {
                version,
                name: name.to_string(),
                charset: CharacterSet::Ascii,
                datatype: MaybeShared::Inline(Datatype {
                    version: 1,
                    size: 8,
                    class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed: true, bit_offset: 0, precision: 64, pad_lo: false, pad_hi: false },
                }),
                dataspace: MaybeShared::Inline(Dataspace { version: 1, kind: DataspaceKind::Scalar, dims: vec![], max_dims: None }),
                data: 7i64.to_le_bytes().to_vec(),
            }));
            let body = raw(&msg, None).data;
            assert_eq!(attribute_message_name(&body), Some(name.as_bytes()), "version {}", version);
            match raw(&msg, None).decode(s8()).unwrap() {
                Message::Attribute(MaybeShared::Inline(a)) => assert_eq!(a.name, name),
                other => panic!("decoded {:?}", other),
            }
            assert_eq!(attribute_message_name(&body[..5]), None);
        }
    }
    assert_eq!(attribute_message_name(&[4, 0, 1, 0, 0, 0, 0, 0, b'a', 0]), None);
    assert_eq!(attribute_message_name(&[]), None);
}

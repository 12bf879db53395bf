//! Hand-built message bodies for encodings no interop file contains, byte layouts from the
//! spec sections named in each test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Reader, Sizes};
use h5kit_object_header::*;

fn s() -> Sizes {
    Sizes::default()
}

fn dt(b: &[u8]) -> Datatype {
    Datatype::decode(&mut Reader::new(b, 0, s())).unwrap()
}

fn u8_type() -> Vec<u8> {
    vec![0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0]
}

/// IV.A.2.d compound, datatype version 1: member with 2 array dimensions (3 x 2) of u8.
#[test]
fn compound_v1_array_member() {
    let mut b = vec![0x16, 1, 0, 0, 6, 0, 0, 0];
    b.extend_from_slice(b"abc\0\0\0\0\0"); // name padded to 8
    b.extend_from_slice(&0u32.to_le_bytes()); // offset
    b.extend_from_slice(&[2, 0, 0, 0]); // dimensionality + reserved
    b.extend_from_slice(&[0; 8]); // permutation + reserved
    for d in [3u32, 2, 0, 0] {
        b.extend_from_slice(&d.to_le_bytes());
    }
    b.extend_from_slice(&u8_type());
    let t = dt(&b);
    let TypeClass::Compound { members } = t.class else { panic!() };
    assert_eq!(members[0].name, "abc");
    assert_eq!(members[0].datatype.size, 6);
    assert!(matches!(&members[0].datatype.class, TypeClass::Array { dims, .. } if dims == &vec![3, 2]));
}

/// Compound version 3: member offsets are 2 bytes wide for a 300-byte compound.
#[test]
fn compound_v3_offset_width() {
    let mut b = vec![0x36, 2, 0, 0];
    b.extend_from_slice(&300u32.to_le_bytes());
    b.extend_from_slice(b"a\0");
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(&u8_type());
    b.extend_from_slice(b"b\0");
    b.extend_from_slice(&299u16.to_le_bytes());
    b.extend_from_slice(&u8_type());
    let TypeClass::Compound { members } = dt(&b).class else { panic!() };
    assert_eq!(members.iter().map(|m| m.byte_offset).collect::<Vec<_>>(), vec![0, 299]);
}

/// Time (class 2), VAX float byte order (bits 0 and 6), opaque tag padded to 8, array
/// version 2 with permutation indices, bitfield.
#[test]
fn other_classes() {
    let t = dt(&[0x12, 0x01, 0, 0, 8, 0, 0, 0, 64, 0]);
    assert_eq!(t.class, TypeClass::Time { order: ByteOrder::BigEndian, precision: 64 });
    let t = dt(&[0x11, 0x41, 0x1f, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 0x81, 0, 0, 0]);
    assert!(matches!(t.class, TypeClass::Float { order: ByteOrder::Vax, sign_location: 31, exponent_bias: 129, .. }));
    let mut b = vec![0x15, 8, 0, 0, 4, 0, 0, 0];
    b.extend_from_slice(b"tag\0\0\0\0\0");
    assert_eq!(dt(&b).class, TypeClass::Opaque { tag: "tag".into() });
    let mut b = vec![0x2a, 0, 0, 0, 6, 0, 0, 0, 2, 0, 0, 0];
    for v in [2u32, 3, 0, 1] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&u8_type());
    assert!(matches!(dt(&b).class, TypeClass::Array { dims, .. } if dims == vec![2, 3]));
    let t = dt(&[0x14, 0x01, 0, 0, 2, 0, 0, 0, 4, 0, 12, 0]);
    assert_eq!(t.class, TypeClass::Bitfield { order: ByteOrder::BigEndian, bit_offset: 4, precision: 12, pad_lo: false, pad_hi: false });
}

/// IV.A.2.m attribute version 1: name, datatype, dataspace each padded to 8 bytes.
#[test]
fn attribute_v1_padding() {
    let mut b = vec![1, 0, 3, 0, 12, 0, 8, 0];
    b.extend_from_slice(b"ab\0\0\0\0\0\0");
    b.extend_from_slice(&u8_type());
    b.extend_from_slice(&[0, 0, 0, 0]); // datatype padding to 16
    b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]); // dataspace v1 scalar
    b.push(42);
    b.extend_from_slice(&[0; 7]); // message padding
    let m = decode_message(msg_type::ATTRIBUTE, 0, &b, 0, s()).unwrap();
    let Message::Attribute(MaybeShared::Inline(a)) = m else { panic!() };
    assert_eq!((a.name.as_str(), a.version, a.data.clone()), ("ab", 1, vec![42]));
    assert_eq!(a.dataspace, MaybeShared::Inline(Dataspace { version: 1, kind: DataspaceKind::Scalar, dims: vec![], max_dims: None }));
}

/// IV.A.2.l filter pipeline version 1: name padded to 8, odd client data count padded.
#[test]
fn filter_pipeline_v1() {
    let mut b = vec![1, 2, 0, 0, 0, 0, 0, 0];
    b.extend_from_slice(&[1, 0, 8, 0, 0, 0, 1, 0]);
    b.extend_from_slice(b"deflate\0");
    b.extend_from_slice(&6u32.to_le_bytes());
    b.extend_from_slice(&[0; 4]); // padding (odd count)
    b.extend_from_slice(&[2, 0, 0, 0, 1, 0, 0, 0]); // shuffle, no name, optional
    let Message::FilterPipeline(MaybeShared::Inline(p)) = decode_message(msg_type::FILTER_PIPELINE, 0, &b, 0, s()).unwrap() else {
        panic!()
    };
    assert_eq!(
        p.filters,
        vec![
            Filter { id: 1, name: Some("deflate".into()), flags: 0, client_data: vec![6] },
            Filter { id: 2, name: None, flags: 1, client_data: vec![] }
        ]
    );
}

/// IV.A.2.f fill value versions 1-3 and defined/undefined forms.
#[test]
fn fill_values() {
    let f = |b: &[u8]| match decode_message(msg_type::FILL_VALUE, 0, b, 0, s()).unwrap() {
        Message::FillValue(MaybeShared::Inline(f)) => f,
        other => panic!("{:?}", other),
    };
    // v1: size always present (0: default).
    let v = f(&[1, 1, 0, 1, 0, 0, 0, 0]);
    assert_eq!((v.alloc_time, v.fill_time, v.defined, v.value), (AllocTime::Early, FillTime::OnAlloc, true, None));
    // v2 undefined: no size.
    let v = f(&[2, 2, 2, 0]);
    assert_eq!((v.defined, v.value), (false, None));
    // v3: flags alloc 3 (incremental), time 1 (never), bit 5 value present.
    let v = f(&[3, 0x27, 2, 0, 0, 0, 0xab, 0xcd]);
    assert_eq!((v.alloc_time, v.fill_time, v.defined, v.value), (AllocTime::Incremental, FillTime::Never, true, Some(vec![0xab, 0xcd])));
    // v3 undefined (bit 4).
    let v = f(&[3, 0x12]);
    assert_eq!((v.alloc_time, v.fill_time, v.defined), (AllocTime::Late, FillTime::OnAlloc, false));
    // v3: both bits is an error; version 4 unknown.
    assert!(decode_message(msg_type::FILL_VALUE, 0, &[3, 0x30, 0, 0, 0, 0], 0, s()).is_err());
    assert!(decode_message(msg_type::FILL_VALUE, 0, &[4, 0], 0, s()).is_err());
}

/// IV.A.2.g link message: creation order, UTF-8 name, 2-byte name length, user-defined type.
#[test]
fn link_flags() {
    let mut b = vec![1, 0x1d, 70];
    b.extend_from_slice(&5u64.to_le_bytes());
    b.push(1); // UTF-8
    b.extend_from_slice(&3u16.to_le_bytes());
    b.extend_from_slice("é1".as_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&[9, 9]);
    let Message::Link(l) = decode_message(msg_type::LINK, 0, &b, 0, s()).unwrap() else { panic!() };
    assert_eq!(
        l,
        LinkMessage {
            name: "é1".into(),
            charset: CharacterSet::Utf8,
            creation_order: Some(5),
            target: LinkTarget::UserDefined { link_type: 70, data: vec![9, 9] }
        }
    );
    // Name length beyond the message.
    assert!(decode_message(msg_type::LINK, 0, &[1, 0, 200, b'a'], 0, s()).is_err());
}

/// Shared message encodings versions 1, 2, 3 (IV.A.2, "Shared Message").
#[test]
fn shared_message_versions() {
    // Version 1 as libhdf5 1.6 wrote it (H5O__shared_decode): 6 reserved bytes, then a symbol
    // table entry's name offset (size of lengths) before the address, which the spec omits.
    let mut v1 = vec![1, 0, 0, 0, 0, 0, 0, 0];
    v1.extend_from_slice(&0u64.to_le_bytes());
    v1.extend_from_slice(&4096u64.to_le_bytes());
    let mut v2 = vec![2, 0];
    v2.extend_from_slice(&4096u64.to_le_bytes());
    let mut v3 = vec![3, 2];
    v3.extend_from_slice(&4096u64.to_le_bytes());
    for b in [v1, v2, v3] {
        assert_eq!(
            decode_message(msg_type::DATATYPE, FLAG_SHARED, &b, 0, s()).unwrap(),
            Message::Datatype(MaybeShared::Shared(SharedLocation::ObjectHeader { address: 4096 }))
        );
    }
    let b = [3, 1, 1, 2, 3, 4, 5, 6, 7, 8];
    assert_eq!(
        decode_message(msg_type::DATASPACE, FLAG_SHARED, &b, 0, s()).unwrap(),
        Message::Dataspace(MaybeShared::Shared(SharedLocation::SharedHeap { heap_id: [1, 2, 3, 4, 5, 6, 7, 8] }))
    );
    assert!(decode_message(msg_type::DATASPACE, FLAG_SHARED, &[3, 0, 0], 0, s()).is_err());
}

/// Small messages: B-tree 'K' values, driver info, reference count, comment, bogus, unknown.
#[test]
fn small_messages() {
    assert_eq!(
        decode_message(msg_type::BTREE_K_VALUES, 0, &[0, 32, 0, 16, 0, 4, 0], 0, s()).unwrap(),
        Message::BTreeKValues { group_internal_k: 16, group_leaf_k: 4, chunk_internal_k: 32 }
    );
    let mut b = vec![0];
    b.extend_from_slice(b"NCSAmult");
    b.extend_from_slice(&[2, 0, 7, 8]);
    assert_eq!(decode_message(msg_type::DRIVER_INFO, 0, &b, 0, s()).unwrap(), Message::DriverInfo { id: "NCSAmult".into(), data: vec![7, 8] });
    assert_eq!(decode_message(msg_type::REFERENCE_COUNT, 0, &[0, 3, 0, 0, 0], 0, s()).unwrap(), Message::ReferenceCount(3));
    assert_eq!(decode_message(msg_type::COMMENT, 0, b"hello\0\0\0", 0, s()).unwrap(), Message::Comment("hello".into()));
    assert_eq!(decode_message(msg_type::BOGUS, 0, &[0xef, 0xbe, 0xad, 0xde], 0, s()).unwrap(), Message::Bogus);
    assert_eq!(decode_message(0x0100, 0, &[1, 2], 0, s()).unwrap(), Message::Unknown { type_id: 0x100, data: vec![1, 2] });
}

/// Every message type decodes any truncation of a valid body to a value or an error, never a
/// panic; bodies of random bytes likewise.
#[test]
fn no_panics_on_garbage() {
    let mut seed = 0x1234_5678u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    for type_id in 0u16..0x18 {
        for flags in [0u8, FLAG_SHARED] {
            for len in 0..64usize {
                for _ in 0..20 {
                    let b: Vec<u8> = (0..len).map(|_| (next() & 0xff) as u8).collect();
                    let _ = decode_message(type_id, flags, &b, 0, Sizes::new(4, 4).unwrap());
                    let _ = decode_message(type_id, flags, &b, 0, s());
                }
            }
        }
    }
}

//! Property tests: `decode(encode(x)) == x` for generated message values (dataspace,
//! datatype with nested compound/array/variable-length types, fill value, layout, filter
//! pipeline, attribute, link), with 4- and 8-byte offsets and lengths; `message_size` is the
//! encoded length. And encoders refuse values without an encoding (errors, no panics).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Reader, Sizes, Writer};
use h5kit_object_header::*;
use proptest::prelude::*;

fn sizes_strategy() -> impl Strategy<Value = Sizes> {
    prop_oneof![Just(Sizes::new(4, 4).unwrap()), Just(Sizes::new(8, 8).unwrap()), Just(Sizes::new(4, 8).unwrap())]
}

/// A value that fits `width` bytes and is not all ones (all ones means undefined/unlimited).
fn fits(width: u8, x: u64) -> u64 {
    if width >= 8 {
        x.min(u64::MAX - 1)
    } else {
        x % ((1u64 << (8 * width)) - 1)
    }
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_ ]{1,12}"
}

fn roundtrip(m: &Message, sizes: Sizes) -> Result<(), TestCaseError> {
    let mut w = Writer::new(0, sizes);
    encode_message(m, &mut w).map_err(|e| TestCaseError::fail(format!("{}: {:?}", e, m)))?;
    let bytes = w.into_inner();
    prop_assert_eq!(bytes.len(), message_size(m, sizes), "size of {:?}", m);
    let back = decode_message(m.type_id(), message_flags(m), &bytes, 0, sizes).map_err(|e| TestCaseError::fail(format!("{}: {:?}", e, m)))?;
    prop_assert_eq!(&back, m);
    Ok(())
}

// ---- dataspace

fn dataspace(sizes: Sizes) -> impl Strategy<Value = Dataspace> {
    let l = sizes.length;
    let simple = (1u8..=2, prop::collection::vec((any::<u64>(), any::<u64>(), any::<bool>()), 1..=4), any::<bool>()).prop_map(
        move |(version, dims, with_max)| {
            let cur: Vec<u64> = dims.iter().map(|&(d, _, _)| fits(l, d)).collect();
            let max = with_max.then(|| {
                dims.iter().zip(&cur).map(|(&(_, m, unlimited), &d)| if unlimited { UNLIMITED } else { d.max(fits(l, m)) }).collect()
            });
            Dataspace { version, kind: DataspaceKind::Simple, dims: cur, max_dims: max }
        },
    );
    prop_oneof![
        (1u8..=2).prop_map(|version| Dataspace { version, kind: DataspaceKind::Scalar, dims: vec![], max_dims: None }),
        Just(Dataspace { version: 2, kind: DataspaceKind::Null, dims: vec![], max_dims: None }),
        simple,
    ]
}

// ---- datatype

fn order() -> impl Strategy<Value = ByteOrder> {
    prop_oneof![Just(ByteOrder::LittleEndian), Just(ByteOrder::BigEndian)]
}

fn padding() -> impl Strategy<Value = StringPadding> {
    prop_oneof![Just(StringPadding::NullTerminate), Just(StringPadding::NullPad), Just(StringPadding::SpacePad)]
}

fn charset() -> impl Strategy<Value = CharacterSet> {
    prop_oneof![Just(CharacterSet::Ascii), Just(CharacterSet::Utf8)]
}

fn integer() -> impl Strategy<Value = Datatype> {
    (1u8..=3, 1u32..=8, order(), any::<bool>(), any::<u16>(), any::<u16>(), any::<bool>(), any::<bool>()).prop_map(
        |(version, size, order, signed, bit_offset, precision, pad_lo, pad_hi)| Datatype {
            version,
            size,
            class: TypeClass::Integer { order, signed, bit_offset, precision, pad_lo, pad_hi },
        },
    )
}

fn float() -> impl Strategy<Value = Datatype> {
    let norm = prop_oneof![Just(MantissaNorm::None), Just(MantissaNorm::MsbSet), Just(MantissaNorm::Implied)];
    let order = prop_oneof![Just(ByteOrder::LittleEndian), Just(ByteOrder::BigEndian), Just(ByteOrder::Vax)];
    (1u8..=3, prop_oneof![Just(2u32), Just(4), Just(8), Just(16)], order, any::<[bool; 3]>(), norm, any::<[u8; 5]>(), any::<u16>(), any::<u32>())
        .prop_map(|(version, size, order, pads, mantissa_norm, locs, precision, exponent_bias)| Datatype {
            version,
            size,
            class: TypeClass::Float {
                order,
                bit_offset: 0,
                precision,
                pad_lo: pads[0],
                pad_hi: pads[1],
                pad_internal: pads[2],
                mantissa_norm,
                sign_location: locs[0],
                exponent_location: locs[1],
                exponent_size: locs[2],
                mantissa_location: locs[3],
                mantissa_size: locs[4],
                exponent_bias,
            },
        })
}

fn leaf() -> impl Strategy<Value = Datatype> {
    let refs = prop_oneof![
        Just(ReferenceKind::Object),
        Just(ReferenceKind::DatasetRegion),
        Just(ReferenceKind::Object2),
        Just(ReferenceKind::DatasetRegion2),
        Just(ReferenceKind::Attribute)
    ];
    prop_oneof![
        integer(),
        float(),
        (1u8..=3, order(), any::<u16>()).prop_map(|(version, order, precision)| Datatype {
            version,
            size: 4,
            class: TypeClass::Time { order, precision }
        }),
        (1u8..=3, 1u32..=64, padding(), charset()).prop_map(|(version, size, padding, charset)| Datatype {
            version,
            size,
            class: TypeClass::String { padding, charset }
        }),
        (1u8..=3, 1u32..=8, order(), any::<u16>(), any::<u16>(), any::<bool>(), any::<bool>()).prop_map(
            |(version, size, order, bit_offset, precision, pad_lo, pad_hi)| Datatype {
                version,
                size,
                class: TypeClass::Bitfield { order, bit_offset, precision, pad_lo, pad_hi }
            }
        ),
        (1u8..=3, 1u32..=64, "[a-z0-9 ]{0,20}").prop_map(|(version, size, tag)| Datatype { version, size, class: TypeClass::Opaque { tag } }),
        (1u8..=4, refs).prop_map(|(version, kind)| Datatype { version, size: 8, class: TypeClass::Reference { kind } }),
    ]
}

fn datatype() -> impl Strategy<Value = Datatype> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        let member = (name(), inner.clone(), prop::collection::vec(1u32..=4, 0..=2));
        prop_oneof![
            // Compound; in version 1 a member may carry array dimensions (an array type of
            // version 1).
            (1u8..=3, prop::collection::vec(member, 1..=4), 1u32..=100_000).prop_map(|(version, members, extra)| {
                let size = members.iter().map(|(_, t, _)| t.size).fold(extra, u32::saturating_add);
                let members = members
                    .into_iter()
                    .enumerate()
                    .map(|(i, (name, t, dims))| {
                        let array_size = dims.iter().try_fold(t.size, |a, &d| a.checked_mul(d));
                        let t = match array_size {
                            Some(size) if version == 1 && !dims.is_empty() => {
                                Datatype { version: 1, size, class: TypeClass::Array { dims, base: Box::new(t) } }
                            }
                            _ => t,
                        };
                        CompoundMember { name, byte_offset: (i as u64 * 7919) % u64::from(size), datatype: t }
                    })
                    .collect();
                Datatype { version, size, class: TypeClass::Compound { members } }
            }),
            (1u8..=3, integer(), prop::collection::vec(name(), 0..=5), any::<u64>()).prop_map(|(version, base, names, seed)| {
                let n = base.size as usize;
                let members = names
                    .into_iter()
                    .enumerate()
                    .map(|(i, name)| (name, (seed.wrapping_add(i as u64)).to_le_bytes().iter().cycle().take(n).copied().collect()))
                    .collect();
                Datatype { version, size: base.size, class: TypeClass::Enum { base: Box::new(base), members } }
            }),
            (1u8..=3, inner.clone()).prop_map(|(version, base)| Datatype {
                version,
                size: 16,
                class: TypeClass::VarLenSequence { base: Box::new(base) }
            }),
            (1u8..=3, padding(), charset(), integer()).prop_map(|(version, padding, charset, base)| Datatype {
                version,
                size: 16,
                class: TypeClass::VarLenString { padding, charset, base: Box::new(base) }
            }),
            (2u8..=3, prop::collection::vec(1u32..=1000, 1..=4), inner).prop_map(|(version, dims, base)| Datatype {
                version,
                size: dims.iter().fold(base.size, |a, &d| a.saturating_mul(d)),
                class: TypeClass::Array { dims, base: Box::new(base) }
            }),
            float().prop_map(|base| Datatype { version: 5, size: base.size * 2, class: TypeClass::Complex { base: Box::new(base) } }),
        ]
    })
}

// ---- fill value, layout, filter pipeline

fn fill_value() -> impl Strategy<Value = FillValue> {
    let alloc = prop_oneof![Just(AllocTime::Early), Just(AllocTime::Late), Just(AllocTime::Incremental)];
    let fill = prop_oneof![Just(FillTime::OnAlloc), Just(FillTime::Never), Just(FillTime::IfSet)];
    let value = prop::option::of(prop::collection::vec(any::<u8>(), 1..=16));
    (0u8..=3, alloc, fill, any::<bool>(), value).prop_map(|(version, alloc_time, fill_time, defined, value)| match version {
        0 => FillValue { version, alloc_time: AllocTime::Late, fill_time: FillTime::IfSet, defined: true, value },
        1 => FillValue { version, alloc_time, fill_time, defined, value },
        _ => FillValue { version, alloc_time, fill_time, defined, value: if defined { value } else { None } },
    })
}

fn address(sizes: Sizes) -> impl Strategy<Value = Option<u64>> {
    let o = sizes.offset;
    prop::option::of(any::<u64>().prop_map(move |a| fits(o, a)))
}

fn layout(sizes: Sizes) -> impl Strategy<Value = LayoutMessage> {
    let l = sizes.length;
    let data = prop::collection::vec(any::<u8>(), 0..=40);
    let dims32 = prop::collection::vec(1u64..=100, 1..=4);
    let old = (1u8..=2, prop_oneof![Just(0u8), Just(1), Just(2)], data.clone(), dims32.clone(), address(sizes), 1u32..=64).prop_map(
        |(version, class, data, dims, address, element_size)| match class {
            0 => LayoutMessage { version, layout: Layout::Compact { data }, stored_dims: dims },
            1 => {
                let size = dims.iter().product();
                LayoutMessage { version, layout: Layout::Contiguous { address, size }, stored_dims: dims }
            }
            _ => LayoutMessage {
                version,
                layout: Layout::Chunked { chunk_dims: dims, element_size, index: ChunkIndex::BTreeV1 { address }, flags: 0 },
                stored_dims: vec![],
            },
        },
    );
    let index = (0u8..5, address(sizes), any::<[u8; 5]>(), any::<u32>(), any::<u64>(), any::<u32>()).prop_map(move |(t, address, p, node, fsize, mask)| match t {
        0 => ChunkIndex::SingleChunk { address, filtered: (p[0] & 1 == 1).then_some((fits(l, fsize), mask)) },
        1 => ChunkIndex::Implicit { address },
        2 => ChunkIndex::FixedArray { address, page_bits: p[0] },
        3 => ChunkIndex::ExtensibleArray { address, max_bits: p[0], index_elements: p[1], min_pointers: p[2], min_elements: p[3], page_bits: p[4] },
        _ => ChunkIndex::BTreeV2 { address, node_size: node, split_percent: p[0], merge_percent: p[1] },
    });
    let chunk_dims = prop::collection::vec(prop_oneof![1u64..=300, 1u64..=u64::MAX], 1..=4);
    let new = (3u8..=5, 0u8..4, data, address(sizes), any::<u64>(), chunk_dims, 1u32..=u32::MAX, index, any::<bool>(), any::<u32>()).prop_map(
        move |(version, class, data, address, size, chunk_dims, element_size, index, partial, heap_index)| {
            let layout = match class {
                0 => Layout::Compact { data },
                1 => Layout::Contiguous { address, size: fits(l, size) },
                2 if version == 3 => Layout::Chunked {
                    chunk_dims: chunk_dims.iter().map(|&d| d % u64::from(u32::MAX) + 1).collect(),
                    element_size,
                    index: ChunkIndex::BTreeV1 { address },
                    flags: 0,
                },
                2 => {
                    let flags = u8::from(partial) | if matches!(index, ChunkIndex::SingleChunk { filtered: Some(_), .. }) { 2 } else { 0 };
                    Layout::Chunked { chunk_dims, element_size, index, flags }
                }
                _ if version == 3 => Layout::Contiguous { address, size: fits(l, size) },
                _ => Layout::Virtual { heap_address: address, heap_index },
            };
            LayoutMessage { version, layout, stored_dims: vec![] }
        },
    );
    prop_oneof![old, new]
}

fn filter_pipeline() -> impl Strategy<Value = FilterPipeline> {
    let filter = (any::<u16>(), prop::option::of("[a-z]{0,20}"), any::<u16>(), prop::collection::vec(any::<u32>(), 0..=5));
    (1u8..=2, prop::collection::vec(filter, 0..=4)).prop_map(|(version, filters)| FilterPipeline {
        version,
        filters: filters
            .into_iter()
            .map(|(id, name, flags, client_data)| Filter {
                id,
                name: if version == 2 && id < 256 { None } else { name },
                flags,
                client_data,
            })
            .collect(),
    })
}

// ---- attribute, link

fn shared_location(sizes: Sizes) -> impl Strategy<Value = SharedLocation> {
    let o = sizes.offset;
    prop_oneof![
        any::<u64>().prop_map(move |a| SharedLocation::ObjectHeader { address: fits(o, a) }),
        any::<[u8; 8]>().prop_map(|heap_id| SharedLocation::SharedHeap { heap_id }),
    ]
}

fn attribute(sizes: Sizes) -> impl Strategy<Value = AttributeMessage> {
    let small_space = (1u8..=2, prop::collection::vec(1u64..=3, 0..=2)).prop_map(|(version, dims)| Dataspace {
        version,
        kind: if dims.is_empty() { DataspaceKind::Scalar } else { DataspaceKind::Simple },
        dims,
        max_dims: None,
    });
    let inline = (1u8..=3, "[a-zA-Z0-9_]{0,20}", charset(), datatype(), small_space, any::<u8>()).prop_map(
        |(version, name, charset, t, s, fill)| {
            let n = (s.element_count().unwrap() * t.element_size()).min(1 << 16) as usize;
            let t = if n == 1 << 16 { Datatype { version: 1, size: 1, class: TypeClass::String { padding: StringPadding::NullPad, charset: CharacterSet::Ascii } } } else { t };
            let n = (s.element_count().unwrap() * t.element_size()) as usize;
            AttributeMessage {
                version,
                name,
                charset: if version == 3 { charset } else { CharacterSet::Ascii },
                datatype: MaybeShared::Inline(t),
                dataspace: MaybeShared::Inline(s),
                data: vec![fill; n],
            }
        },
    );
    let shared = (2u8..=3, name(), shared_location(sizes), shared_location(sizes), prop::collection::vec(any::<u8>(), 0..=20)).prop_map(
        |(version, name, t, s, data)| AttributeMessage {
            version,
            name,
            charset: CharacterSet::Ascii,
            datatype: MaybeShared::Shared(t),
            dataspace: MaybeShared::Shared(s),
            data,
        },
    );
    prop_oneof![inline, shared]
}

fn link(sizes: Sizes) -> impl Strategy<Value = LinkMessage> {
    let o = sizes.offset;
    let target = prop_oneof![
        any::<u64>().prop_map(move |a| LinkTarget::Hard { address: fits(o, a) }),
        "[a-z/]{0,40}".prop_map(|path| LinkTarget::Soft { path }),
        ("[a-z.]{0,20}", "[a-z/]{0,20}").prop_map(|(file, path)| LinkTarget::External { file, path }),
        (prop_oneof![2u8..=63, 65u8..=255], prop::collection::vec(any::<u8>(), 0..=20))
            .prop_map(|(link_type, data)| LinkTarget::UserDefined { link_type, data }),
    ];
    let long_name = prop_oneof!["[a-z]{1,10}", "[a-z]{250,300}"];
    (long_name, charset(), prop::option::of(any::<u64>()), target).prop_map(|(name, charset, creation_order, target)| LinkMessage {
        name,
        charset,
        creation_order,
        target,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn dataspaces((sizes, d) in sizes_strategy().prop_flat_map(|s| (Just(s), dataspace(s)))) {
        roundtrip(&Message::Dataspace(MaybeShared::Inline(d)), sizes)?;
    }

    #[test]
    fn datatypes(sizes in sizes_strategy(), t in datatype()) {
        let mut w = Writer::new(0, sizes);
        t.encode(&mut w).unwrap();
        prop_assert_eq!(w.position(), t.encoded_size(sizes));
        let back = Datatype::decode(&mut Reader::new(w.as_slice(), 0, sizes)).unwrap();
        prop_assert_eq!(&back, &t);
        roundtrip(&Message::Datatype(MaybeShared::Inline(t)), sizes)?;
    }

    #[test]
    fn fill_values(sizes in sizes_strategy(), f in fill_value()) {
        let m = if f.version == 0 { Message::FillValueOld(f) } else { Message::FillValue(MaybeShared::Inline(f)) };
        roundtrip(&m, sizes)?;
    }

    #[test]
    fn layouts((sizes, l) in sizes_strategy().prop_flat_map(|s| (Just(s), layout(s)))) {
        roundtrip(&Message::Layout(l), sizes)?;
    }

    #[test]
    fn filter_pipelines(sizes in sizes_strategy(), p in filter_pipeline()) {
        roundtrip(&Message::FilterPipeline(MaybeShared::Inline(p)), sizes)?;
    }

    #[test]
    fn attributes((sizes, a) in sizes_strategy().prop_flat_map(|s| (Just(s), attribute(s)))) {
        roundtrip(&Message::Attribute(MaybeShared::Inline(a)), sizes)?;
    }

    #[test]
    fn links((sizes, l) in sizes_strategy().prop_flat_map(|s| (Just(s), link(s)))) {
        roundtrip(&Message::Link(l), sizes)?;
    }

    #[test]
    fn shared_messages((sizes, at) in sizes_strategy().prop_flat_map(|s| (Just(s), shared_location(s)))) {
        roundtrip(&Message::Datatype(MaybeShared::Shared(at)), sizes)?;
        roundtrip(&Message::Dataspace(MaybeShared::Shared(at)), sizes)?;
        roundtrip(&Message::Attribute(MaybeShared::Shared(at)), sizes)?;
    }
}

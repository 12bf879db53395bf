//! `tests/data/types.h5`, written by libhdf5 2.0 (`gen_types.py`): datatype version 4
//! (revised reference), version 5 (complex), layout version 5 (single chunk with filter,
//! fixed array, extensible array, v2 B-tree). Object header addresses from the root group's
//! link messages; chunk addresses/sizes checked with h5py's `get_chunk_info` (libhdf5 2.0),
//! index parameters are libhdf5's defaults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, Limits, MemStorage, Sizes};
use h5kit_object_header::*;

fn with_file<T>(f: impl FnOnce(Context, Sizes) -> T) -> T {
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/types.h5")).unwrap();
    let sizes = Sizes::new(data[9], data[10]).unwrap();
    let storage = MemStorage::new(data);
    let limits = Limits::default();
    f(Context::new(&storage, sizes, &limits, 0), sizes)
}

fn message(ctx: Context, sizes: Sizes, address: u64, type_id: u16) -> Message {
    ObjectHeader::read(ctx, address).unwrap().first(type_id, sizes).unwrap().unwrap()
}

fn f64le() -> Datatype {
    Datatype {
        version: 1,
        size: 8,
        class: TypeClass::Float {
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            precision: 64,
            pad_lo: false,
            pad_hi: false,
            pad_internal: false,
            mantissa_norm: MantissaNorm::Implied,
            sign_location: 63,
            exponent_location: 52,
            exponent_size: 11,
            mantissa_location: 0,
            mantissa_size: 52,
            exponent_bias: 1023,
        },
    }
}

#[test]
fn root_links() {
    with_file(|ctx, sizes| {
        let root = ObjectHeader::read(ctx, 48).unwrap();
        let mut links: Vec<(String, u64)> = root
            .decode_all(sizes)
            .unwrap()
            .into_iter()
            .filter_map(|m| match m {
                Message::Link(LinkMessage { name, target: LinkTarget::Hard { address }, .. }) => Some((name, address)),
                _ => None,
            })
            .collect();
        links.sort();
        let want = [
            ("btree2_filtered", 4442),
            ("complex", 179),
            ("contiguous", 6758),
            ("earray_filtered", 1446),
            ("fixed_filtered", 1015),
            ("ref2", 463),
            ("single_filtered", 747),
        ];
        assert_eq!(links, want.iter().map(|(n, a)| (n.to_string(), *a)).collect::<Vec<_>>());
    });
}

#[test]
fn complex_and_revised_reference_datatypes() {
    with_file(|ctx, sizes| {
        assert_eq!(
            message(ctx, sizes, 179, msg_type::DATATYPE),
            Message::Datatype(MaybeShared::Inline(Datatype { version: 5, size: 16, class: TypeClass::Complex { base: Box::new(f64le()) } }))
        );
        assert_eq!(
            message(ctx, sizes, 463, msg_type::DATATYPE),
            Message::Datatype(MaybeShared::Inline(Datatype {
                version: 4,
                size: 18,
                class: TypeClass::Reference { kind: ReferenceKind::Object2 }
            }))
        );
    });
}

#[test]
fn layout_version_5_indexes() {
    with_file(|ctx, sizes| {
        let layout = |a| match message(ctx, sizes, a, msg_type::LAYOUT) {
            Message::Layout(l) => l,
            other => panic!("{:?}", other),
        };
        // h5py: StoreInfo(chunk_offset=(0,), filter_mask=0, byte_offset=2048, size=39)
        assert_eq!(
            layout(747),
            LayoutMessage {
                version: 5,
                layout: Layout::Chunked {
                    chunk_dims: vec![20],
                    element_size: 2,
                    index: ChunkIndex::SingleChunk { address: Some(2048), filtered: Some((39, 0)) },
                    flags: 2
                },
                stored_dims: vec![]
            }
        );
        assert_eq!(
            layout(1015).layout,
            Layout::Chunked { chunk_dims: vec![10], element_size: 4, index: ChunkIndex::FixedArray { address: Some(1320), page_bits: 10 }, flags: 0 }
        );
        assert_eq!(
            layout(1446).layout,
            Layout::Chunked {
                chunk_dims: vec![10],
                element_size: 4,
                index: ChunkIndex::ExtensibleArray {
                    address: Some(1774),
                    max_bits: 32,
                    index_elements: 4,
                    min_pointers: 4,
                    min_elements: 16,
                    page_bits: 10
                },
                flags: 0
            }
        );
        assert_eq!(
            layout(4442).layout,
            Layout::Chunked {
                chunk_dims: vec![2, 5],
                element_size: 8,
                index: ChunkIndex::BTreeV2 { address: Some(1906), node_size: 2048, split_percent: 100, merge_percent: 40 },
                flags: 0
            }
        );
        // Filter pipeline version 2 with a named third-party filter (lzf, id 32000).
        assert_eq!(
            message(ctx, sizes, 4442, msg_type::FILTER_PIPELINE),
            Message::FilterPipeline(MaybeShared::Inline(FilterPipeline {
                version: 2,
                filters: vec![Filter { id: 32000, name: Some("lzf".into()), flags: 1, client_data: vec![4, 261, 80] }]
            }))
        );
    });
}

/// Only an old fill value message (type 4): libhdf5 (h5dump -p) reports fill time "if set",
/// allocation time "late" (even for chunked storage) and the value; `FillValue::decode_old`
/// returns the same (`tests/data/oldfill_chunked.h5`, see `gen_types.py`).
#[test]
fn old_fill_value_only() {
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/oldfill_chunked.h5")).unwrap();
    let sizes = Sizes::new(data[13], data[14]).unwrap();
    let storage = MemStorage::new(data);
    let limits = Limits::default();
    let ctx = Context::new(&storage, sizes, &limits, 0);
    let h = ObjectHeader::read(ctx, 800).unwrap();
    assert!(h.first(msg_type::FILL_VALUE, sizes).unwrap().is_none());
    assert_eq!(
        h.first(msg_type::FILL_VALUE_OLD, sizes).unwrap(),
        Some(Message::FillValueOld(FillValue {
            version: 0,
            alloc_time: AllocTime::Late,
            fill_time: FillTime::IfSet,
            defined: true,
            value: Some(vec![3, 0, 0, 0])
        }))
    );
}

/// B-tree 'K' values message (IV.A.2.t) in a superblock extension: `tests/data/kvalues.h5`
/// (`gen_k.py`: `H5Pset_sym_k(20, 6)`, `H5Pset_istore_k(40)`); h5dump -B: BTREE_RANK 20,
/// BTREE_LEAF 6, ISTORE_K 40. The chunk ("indexed storage") K comes first in the message.
#[test]
fn btree_k_values() {
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kvalues.h5")).unwrap();
    let sizes = Sizes::new(data[9], data[10]).unwrap();
    let storage = MemStorage::new(data);
    let limits = Limits::default();
    let h = ObjectHeader::read(Context::new(&storage, sizes, &limits, 0), 48).unwrap();
    assert_eq!(
        h.first(msg_type::BTREE_K_VALUES, sizes).unwrap(),
        Some(Message::BTreeKValues { group_internal_k: 20, group_leaf_k: 6, chunk_internal_k: 40 })
    );
}

/// `tests/data/vds_ext.h5` (`gen_vds_ext.py`): a virtual dataset (layout v4 class 3; h5debug
/// 800: "Global heap address: 2048, Global heap index: 1") and external storage (h5debug 1400:
/// heap 1672, slots 2/2, names at heap offsets 8 and 24; h5dump: ext_a.bin SIZE 4 OFFSET 0,
/// ext_b.bin SIZE 4 OFFSET 16).
#[test]
fn virtual_layout_and_external_files() {
    let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vds_ext.h5")).unwrap();
    let sizes = Sizes::new(data[13], data[14]).unwrap();
    let storage = MemStorage::new(data);
    let limits = Limits::default();
    let ctx = Context::new(&storage, sizes, &limits, 0);
    assert_eq!(
        ObjectHeader::read(ctx, 800).unwrap().first(msg_type::LAYOUT, sizes).unwrap(),
        Some(Message::Layout(LayoutMessage { version: 4, layout: Layout::Virtual { heap_address: Some(2048), heap_index: 1 }, stored_dims: vec![] }))
    );
    let h = ObjectHeader::read(ctx, 1400).unwrap();
    assert_eq!(
        h.first(msg_type::EXTERNAL_FILES, sizes).unwrap(),
        Some(Message::ExternalFiles(ExternalFiles {
            allocated: 2,
            heap_address: 1672,
            files: vec![
                ExternalFile { name_offset: 8, file_offset: 0, size: 4 },
                ExternalFile { name_offset: 24, file_offset: 16, size: 4 },
            ]
        }))
    );
    assert_eq!(
        h.first(msg_type::LAYOUT, sizes).unwrap(),
        Some(Message::Layout(LayoutMessage { version: 3, layout: Layout::Contiguous { address: None, size: 8 }, stored_dims: vec![] }))
    );
}

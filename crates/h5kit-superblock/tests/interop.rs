//! Superblocks of real files written by libhdf5, checked against `h5debug FILE` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, FileStorage, Limits, Reader, Sizes, Storage};
use h5kit_superblock::{read_driver_info, ScratchPad, Superblock, SIGNATURE};

fn interop(rel: &str) -> String {
    format!("{}/../../tests/data/interop/{}", env!("CARGO_MANIFEST_DIR"), rel)
}
fn data(rel: &str) -> String {
    format!("{}/tests/data/{}", env!("CARGO_MANIFEST_DIR"), rel)
}
fn open(path: &str) -> (FileStorage, Superblock) {
    let st = FileStorage::open(path).unwrap();
    let sb = Superblock::read(&st).unwrap();
    (st, sb)
}

/// The root object header must start with "OHDR" (v2 header) or version byte 1 (v1 header),
/// at the address the superblock gives, mapped through the superblock's context.
fn root_header_is_there(st: &FileStorage, sb: &Superblock) {
    let limits = Limits::default();
    let ctx = sb.context(st, &limits);
    let head = ctx.read(sb.root_object_header_address, 4, "root object header").unwrap();
    assert!(&*head == b"OHDR" || head[0] == 1, "no object header at root address: {:?}", &*head);
}

#[test]
fn v0_earliest_with_h5debug_values() {
    let (st, sb) = open(&interop("jhdf/test_chunked_datasets_earliest.hdf5"));
    assert_eq!(sb.version, 0);
    assert_eq!(sb.superblock_address, 0);
    assert_eq!(sb.sizes, Sizes { offset: 8, length: 8 });
    assert_eq!((sb.group_leaf_k, sb.group_internal_k, sb.chunk_internal_k), (4, 16, None));
    assert_eq!(sb.file_consistency_flags, 0);
    assert_eq!(sb.free_space_address, None);
    assert_eq!(sb.driver_info_address, None);
    assert_eq!(sb.extension_address, None);
    assert_eq!(sb.end_of_file_address, st.len());
    assert_eq!(sb.version_of_free_space, Some(0));
    assert_eq!(sb.version_of_root_group_entry, Some(0));
    assert_eq!(sb.version_of_shared_header, Some(0));
    assert_eq!(sb.root_object_header_address, 96);
    let e = sb.root_group_entry.unwrap();
    assert_eq!(e.link_name_offset, 0);
    assert_eq!(e.scratch, ScratchPad::Group { btree_address: 136, local_heap_address: 680 });
    assert_eq!(sb.encoded_size, 96);
    root_header_is_there(&st, &sb);
}

#[test]
fn v0_hdf_v14_root_entry() {
    // h5debug: object header 696, B-tree 152, heap 96 (an HDF5 1.4-era layout).
    let (st, sb) = open(&interop("jhdf/hdf_v14_test1.hdf5"));
    assert_eq!(sb.version, 0);
    assert_eq!(sb.root_object_header_address, 696);
    assert_eq!(sb.root_group_entry.unwrap().scratch, ScratchPad::Group { btree_address: 152, local_heap_address: 96 });
    root_header_is_there(&st, &sb);
}

#[test]
fn v0_userblock_base_address_is_superblock_position() {
    let (st, sb) = open(&interop("jhdf/test_userblock_earliest.hdf5"));
    assert_eq!(sb.version, 0);
    assert_eq!(sb.superblock_address, 512);
    assert_eq!(sb.userblock_size(), 512);
    // Stored base address: the absolute superblock position (bytes 0x218..0x220).
    assert_eq!(sb.base_address, 512);
    assert_eq!(sb.effective_base_address(), 512);
    // Stored end of file: 0x520, the absolute size of the file.
    assert_eq!(sb.end_of_file_address, 1312);
    assert_eq!(sb.root_object_header_address, 96);
    assert_eq!(sb.root_group_entry.unwrap().scratch, ScratchPad::Group { btree_address: 136, local_heap_address: 680 });
    root_header_is_there(&st, &sb);
    // The local heap of the root group ("HEAP") sits at 512 + 680.
    let limits = Limits::default();
    assert_eq!(&*sb.context(&st, &limits).read(680, 4, "heap").unwrap(), b"HEAP");
}

#[test]
fn v3_userblock_base_address() {
    let (st, sb) = open(&interop("jhdf/test_userblock_latest.hdf5"));
    assert_eq!(sb.version, 3);
    assert_eq!(sb.superblock_address, 1024);
    // Stored base address 0x400 (bytes 0x40c..0x414); end of file 0x4c3 = file size.
    assert_eq!(sb.base_address, 1024);
    assert_eq!(sb.effective_base_address(), 1024);
    assert_eq!(sb.end_of_file_address, 1219);
    assert_eq!(sb.root_object_header_address, 48);
    assert_eq!(sb.extension_address, None);
    assert_eq!(sb.root_group_entry, None);
    assert_eq!(sb.encoded_size, 48);
    root_header_is_there(&st, &sb);
}

#[test]
fn v2_with_extension() {
    let (st, sb) = open(&interop("jhdf/superblock-extension.hdf5"));
    assert_eq!(sb.version, 2);
    assert_eq!(sb.extension_address, Some(48));
    assert_eq!(sb.root_object_header_address, 152);
    assert_eq!(sb.file_consistency_flags, 0);
    root_header_is_there(&st, &sb);
    let limits = Limits::default();
    assert_eq!(&*sb.context(&st, &limits).read(48, 4, "extension").unwrap(), b"OHDR");
}

#[test]
fn v3_flags_open_for_write() {
    // Left "open for write" (flags 0x01): h5debug refuses it ("cannot open file"), we decode it.
    let (st, sb) = open(&interop("jhdf/test_byteshuffle_compressed_datasets_latest.hdf5"));
    assert_eq!(sb.version, 3);
    assert_eq!(sb.file_consistency_flags, 1);
    assert_eq!(sb.end_of_file_address, 0x150a);
    assert_eq!(sb.root_object_header_address, 48);
    root_header_is_there(&st, &sb);
}

#[test]
fn v2_pyfive_latest() {
    let (st, sb) = open(&interop("pyfive/latest.hdf5"));
    assert_eq!(sb.version, 2);
    assert_eq!(sb.root_object_header_address, 48);
    assert_eq!(sb.end_of_file_address, st.len());
    root_header_is_there(&st, &sb);
}

#[test]
fn v1_sizes4_userblock() {
    // tests/data/gen.py; h5debug: version 1, offsets/lengths 4, sym K 8/32, istore K 64,
    // superblock at 512, root header 76, B-tree 116, heap 648.
    let (st, sb) = open(&data("v1_sizes4.h5"));
    assert_eq!(sb.version, 1);
    assert_eq!(sb.superblock_address, 512);
    assert_eq!(sb.sizes, Sizes { offset: 4, length: 4 });
    assert_eq!((sb.group_leaf_k, sb.group_internal_k, sb.chunk_internal_k), (8, 32, Some(64)));
    assert_eq!(sb.base_address, 512);
    assert_eq!(sb.free_space_address, None);
    assert_eq!(sb.driver_info_address, None);
    assert_eq!(sb.end_of_file_address, 2576);
    assert_eq!(sb.root_object_header_address, 76);
    assert_eq!(sb.root_group_entry.unwrap().scratch, ScratchPad::Group { btree_address: 116, local_heap_address: 648 });
    assert_eq!(sb.encoded_size, 8 + 8 + 4 + 4 + 4 + 4 * 4 + (2 * 4 + 24));
    root_header_is_there(&st, &sb);
}

#[test]
fn v0_family_driver_info() {
    let (st, sb) = open(&data("family-0.h5"));
    assert_eq!(sb.version, 0);
    assert_eq!(sb.driver_info_address, Some(0x60));
    assert_eq!(sb.root_object_header_address, 0x78);
    let limits = Limits::default();
    let d = read_driver_info(sb.context(&st, &limits), 0x60).unwrap();
    assert_eq!(d.driver_id, "NCSAfami");
    assert_eq!(d.data.len(), 8);
    assert_eq!(d.family_member_size(), Some(4096));
}

#[test]
fn every_interop_superblock_decodes() {
    let mut n = 0;
    for dir in ["jhdf", "pyfive"] {
        for entry in std::fs::read_dir(interop(dir)).unwrap() {
            let path = entry.unwrap().path();
            let st = FileStorage::open(&path).unwrap();
            let sb = Superblock::read(&st).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
            assert!(sb.version <= 3);
            assert_eq!(sb.root_group_entry.is_some(), sb.version < 2, "{}", path.display());
            assert!(sb.end_of_file_address <= st.len() + sb.superblock_address, "{}", path.display());
            root_header_is_there(&st, &sb);
            sb.check_truncation(&st).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
            n += 1;
        }
    }
    assert!(n >= 90, "only {} interop files", n);
}

#[test]
fn corruption_never_panics() {
    let bytes = std::fs::read(interop("jhdf/test_userblock_earliest.hdf5")).unwrap();
    for i in 512..512 + 100 {
        for v in [0u8, 0xff, 0x03, 0x80] {
            let mut b = bytes.clone();
            b[i] = v;
            let _ = Superblock::read(&h5kit_core::MemStorage::new(b));
        }
    }
    // A signature alone at 2048, nothing after it.
    let mut b = vec![0u8; 2048];
    b.extend_from_slice(&SIGNATURE);
    b.push(0);
    assert!(Superblock::read(&h5kit_core::MemStorage::new(b)).is_err());
    let _ = (Context::new, Reader::new);
}

#[test]
fn truncated_file_is_reported() {
    let bytes = std::fs::read(interop("jhdf/test_userblock_earliest.hdf5")).unwrap();
    let cut = h5kit_core::MemStorage::new(bytes[..1311].to_vec());
    let sb = Superblock::read(&cut).unwrap();
    let e = sb.check_truncation(&cut).unwrap_err();
    assert!(e.message.contains("1311") && e.message.contains("1312"), "{}", e);
}

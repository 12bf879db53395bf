//! Superblocks of real files written by libhdf5, checked against `h5debug FILE` output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{Context, FileStorage, Limits, Reader, Sizes, Storage};
use h5kit_core::Writer;
use h5kit_superblock::{find_signature, read_driver_info, DriverInfo, ScratchPad, Superblock, SIGNATURE};

fn interop(rel: &str) -> String {
    format!("{}/../../tests/data/interop/{}", env!("CARGO_MANIFEST_DIR"), rel)
}
/// Every file of the byte-identity corpus: the interop files and the repository's generated
/// files (files without an HDF5 signature, e.g. external raw data, are skipped by callers).
fn corpus() -> Vec<std::path::PathBuf> {
    let repo = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    let dirs = [interop("jhdf"), interop("pyfive"), format!("{}/tests/data/generated", repo), format!("{}/tests/data/v2x", repo)];
    let mut files: Vec<_> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {}", d, e)))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
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

/// Every superblock (and driver info block) of the corpus re-encodes byte for byte; the field
/// ranges point at the stored values; an update of the end of file / root is one write.
#[test]
fn every_corpus_superblock_reencodes_byte_for_byte() {
    let mut per_version = [0usize; 4];
    let mut driver_infos = 0;
    let mut skipped = Vec::new();
    let extra = [data("v1_sizes4.h5"), data("family-0.h5")];
    for path in corpus().into_iter().chain(extra.iter().map(std::path::PathBuf::from)) {
        let bytes = std::fs::read(&path).unwrap();
        let st = h5kit_core::MemStorage::new(bytes.clone());
        let Ok(at) = find_signature(&st) else {
            skipped.push(path.display().to_string());
            continue;
        };
        let sb = Superblock::read_at(&st, at).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
        let name = path.display();
        let n = Superblock::encoded_size_for(sb.version, sb.sizes).unwrap();
        assert_eq!(n, sb.encoded_size, "{}", name);
        let stored = &bytes[at as usize..(at + n) as usize];
        let mut w = Writer::new(0, Sizes::default());
        sb.encode(&mut w).unwrap();
        assert_eq!(w.as_slice(), stored, "{}: superblock v{} re-encoded differently", name, sb.version);
        assert_eq!(Superblock::decode(w.as_slice(), at).unwrap(), sb, "{}", name);
        // Field ranges.
        let o = sb.sizes.offset as usize;
        let field = |r: std::ops::Range<u64>| {
            let mut x = 0u64;
            for (i, b) in bytes[r.start as usize..r.end as usize].iter().enumerate() {
                x |= (*b as u64) << (8 * i);
            }
            x
        };
        let eof = sb.end_of_file_field().unwrap();
        assert_eq!(eof.end - eof.start, o as u64);
        assert_eq!(field(eof), sb.end_of_file_address, "{}", name);
        assert_eq!(field(sb.root_address_field().unwrap()), sb.root_object_header_address, "{}", name);
        // One write moves the end of file and the root; applied, it reads back.
        let moved = sb.with_end_of_file(sb.end_of_file_address + 4096).with_root_object_header(sb.root_object_header_address + 8);
        let (pos, patch) = sb.update(&sb).unwrap().map_or((0, vec![]), |x| x);
        assert!(patch.is_empty() && pos == 0, "{}: no change, no write", name);
        let (pos, patch) = moved.update(&sb).unwrap().unwrap();
        let mut edited = bytes.clone();
        edited[pos as usize..pos as usize + patch.len()].copy_from_slice(&patch);
        assert_eq!(Superblock::read(&h5kit_core::MemStorage::new(edited)).unwrap(), moved, "{}", name);
        if sb.version >= 2 {
            assert_eq!(pos + patch.len() as u64, sb.checksum_field().unwrap().end, "{}: the write reaches the checksum", name);
        } else {
            assert!(patch.len() <= 5 * o, "{}: v0/1 update of {} bytes", name, patch.len());
        }
        if let Some(di) = sb.driver_info_address {
            let limits = Limits::default();
            let d = read_driver_info(sb.context(&st, &limits), di).unwrap();
            let mut w = Writer::new(di, sb.sizes);
            d.encode(&mut w).unwrap();
            let start = (at + di) as usize;
            assert_eq!(w.as_slice(), &bytes[start..start + d.encoded_size() as usize], "{}: driver info", name);
            let mut r = Reader::new(w.as_slice(), di, sb.sizes);
            assert_eq!(DriverInfo::decode(&mut r).unwrap(), d);
            driver_infos += 1;
        }
        per_version[sb.version as usize] += 1;
    }
    eprintln!("superblocks re-encoded byte for byte, by version: {:?}; driver info blocks: {}; skipped (no signature): {:?}", per_version, driver_infos, skipped);
    assert!(per_version.iter().sum::<usize>() >= 140, "{:?}", per_version);
    assert!(per_version.iter().all(|&n| n > 0), "every version in the corpus: {:?}", per_version);
    assert!(driver_infos >= 1);
}

#[test]
fn new_superblocks_with_userblocks() {
    for version in 0..=3u8 {
        for (o, l) in [(4u8, 4u8), (8, 8), (2, 4)] {
            for ub in [0u64, 512, 4096] {
                let sizes = Sizes::new(o, l).unwrap();
                let sb = Superblock::new(version, sizes, ub).unwrap().with_root_object_header(96);
                let bytes = sb.to_bytes().unwrap();
                assert_eq!(bytes.len() as u64, sb.encoded_size);
                let mut file = vec![0u8; ub as usize];
                file.extend_from_slice(&bytes);
                let back = Superblock::read(&h5kit_core::MemStorage::new(file)).unwrap();
                assert_eq!(back, sb);
                assert_eq!(back.effective_base_address(), ub);
                assert_eq!(back.end_of_file_address, ub + sb.encoded_size);
            }
        }
    }
    assert!(Superblock::new(2, Sizes::default(), 100).is_err());
    assert!(Superblock::new(2, Sizes::default(), 768).is_err());
    assert!(Superblock::new(4, Sizes::default(), 0).is_err());
    assert!(Superblock::new(2, Sizes::new(3, 8).unwrap(), 0).is_err());
}

#[test]
fn unencodable_superblocks_are_errors() {
    let v0 = Superblock::new(0, Sizes::default(), 0).unwrap();
    let v2 = Superblock::new(2, Sizes::default(), 0).unwrap();
    let v4 = Superblock::new(0, Sizes::new(4, 4).unwrap(), 0).unwrap();
    let bad = [
        Superblock { version: 7, ..v2.clone() },
        Superblock { file_consistency_flags: 256, ..v2.clone() },
        Superblock { root_group_entry: v0.root_group_entry, ..v2.clone() },
        Superblock { group_leaf_k: 8, ..v2.clone() },
        Superblock { driver_info_address: Some(96), ..v2.clone() },
        Superblock { root_group_entry: None, ..v0.clone() },
        Superblock { root_object_header_address: 5, ..v0.clone() },
        Superblock { chunk_internal_k: Some(32), ..v0.clone() },
        Superblock { version: 1, ..v0.clone() },
        Superblock { group_internal_k: 0, ..v0.clone() },
        Superblock { extension_address: Some(48), ..v0.clone() },
        Superblock { end_of_file_address: 1 << 40, ..v4.clone() },
        Superblock { sizes: Sizes::new(1, 8).unwrap(), ..v2.clone() },
    ];
    for sb in bad {
        let mut w = Writer::new(0, Sizes::default());
        assert!(sb.encode(&mut w).is_err(), "{:?}", sb);
        assert!(w.is_empty(), "nothing written on error");
    }
    assert!(v2.with_root_group_entry(v0.root_group_entry.unwrap()).is_err());
    assert!(v0.update(&v2).is_err());
}

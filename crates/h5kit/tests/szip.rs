//! szip (filter 4) against libhdf5: tests/data/szip (scripts/make_szip_fixtures.sh) holds a
//! source file and its copies by Debian's h5repack (libhdf5 1.10.8 + libaec 1.0.6) with
//! SZIP=8,NN / 16,EC / 32,NN / 8,EC.
//! - Reading: every dataset of every copy reads as the source (h5diff says libhdf5 sees the
//!   copies equal to the source, so h5kit decodes as libhdf5); the client data equal what
//!   h5kit's `set_local` computes from the source's type and chunk; every chunk h5repack
//!   compressed is re-encoded by h5kit to the same bytes (where libaec 1.0.6's scanline
//!   handling equals 1.1's: whole scanlines of whole blocks), and chunks the optional filter
//!   declined carry its mask bit.
//! - Writing: h5kit writes the source's datasets with szip; h5kit reads them back, h5diff
//!   finds them equal to the source, h5dump reads every one, and the chunks equal h5repack's.
#![cfg(not(target_family = "wasm"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

use h5kit::write::{DatasetSpec, FileWriter, Filter, LibVer};
use h5kit::{File, Layout, Object};
use h5kit::snapshot::Dataset;
use h5kit_szip::hdf5 as szh;
use h5kit_testkit::oracle;

const COPIES: [(&str, u32, u32); 4] = [("szip_8nn.h5", 32, 8), ("szip_16ec.h5", 4, 16), ("szip_32nn.h5", 32, 32), ("szip_8ec.h5", 4, 8)];

fn dir() -> PathBuf {
    h5kit_testkit::repo_root().join("tests/data/szip")
}

fn datasets(f: &File) -> Vec<(String, Dataset)> {
    let root = f.root().unwrap();
    let mut out = Vec::new();
    for name in root.keys().unwrap() {
        if let Object::Dataset(d) = root.open(&name).unwrap() {
            out.push((name, d));
        }
    }
    out
}

fn chunk_dims(d: &Dataset) -> Vec<u64> {
    match &d.layout().layout {
        Layout::Chunked { chunk_dims, .. } => chunk_dims.clone(),
        other => panic!("{}: not chunked: {:?}", d.path(), other),
    }
}

fn type_info(d: &Dataset) -> szh::TypeInfo {
    use h5kit::{ByteOrder, TypeClass};
    let t = d.datatype();
    let (precision, offset, order) = match &t.class {
        TypeClass::Integer { order, bit_offset, precision, .. } | TypeClass::Float { order, bit_offset, precision, .. } => {
            (*precision as u32, *bit_offset as u32, *order)
        }
        c => panic!("{:?}", c),
    };
    szh::TypeInfo { size: t.size, precision, offset, big_endian: Some(order == ByteOrder::BigEndian) }
}

/// Stored chunks of `d` in file `path`: (scaled offset, filter mask, bytes).
fn stored_chunks(path: &Path, d: &Dataset) -> Vec<(Vec<u64>, u32, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap();
    d.chunk_locations()
        .unwrap()
        .into_iter()
        .map(|c| (c.scaled_offset, c.filter_mask, bytes[c.address as usize..(c.address + c.size) as usize].to_vec()))
        .collect()
}

/// Whether libaec 1.0.6 and 1.1 write the same bytes for these chunks: scanlines of whole
/// blocks and chunks of whole scanlines.
fn same_in_both_libaecs(cd: &[u32], chunk: &[u64]) -> bool {
    let elems: u64 = chunk.iter().product();
    let (ppb, bpp, pps) = (cd[1] as u64, cd[2], cd[3] as u64);
    let pixels = if bpp == 32 || bpp == 64 { elems * (bpp as u64 / 8) } else { elems };
    pps % ppb == 0 && pixels % pps == 0
}

#[test]
fn h5repack_szip_copies_read_as_the_source() {
    let src = File::open(dir().join("szip_source.h5")).unwrap();
    let source: Vec<(String, Vec<u8>, Vec<u64>, szh::TypeInfo)> =
        datasets(&src).into_iter().map(|(n, d)| (n, d.read_raw().unwrap(), chunk_dims(&d), type_info(&d))).collect();
    assert!(source.len() >= 20);
    let (mut reencoded, mut declined, mut values) = (0u64, 0u64, 0u64);
    for (file, nn, ppb) in COPIES {
        let path = dir().join(file);
        let f = File::open(&path).unwrap();
        for (name, want, chunk, ti) in &source {
            let Object::Dataset(d) = f.root().unwrap().open(name).unwrap() else { panic!() };
            assert_eq!(&d.read_raw().unwrap(), want, "{} {}", file, name);
            values += 1;
            let p = d.filters().unwrap();
            assert_eq!(p.filters.len(), 1);
            let fl = &p.filters[0];
            assert_eq!((fl.id, fl.flags), (4, 1), "{} {}", file, name);
            let cd = szh::set_local(&[nn, ppb], ti, chunk).unwrap();
            assert_eq!(fl.client_data, cd, "{} {}: client data", file, name);
            for (off, mask, bytes) in stored_chunks(&path, &d) {
                if mask & 1 != 0 {
                    // The filter declined the chunk (it would grow): stored as is; h5kit's
                    // encoder declines it too.
                    if same_in_both_libaecs(&cd, chunk) {
                        assert_eq!(szh::encode_chunk(&cd, &bytes).unwrap(), None, "{} {} {:?} declined", file, name, off);
                    }
                    declined += 1;
                    continue;
                }
                let plain = szh::decode_chunk(&cd, &bytes, 1 << 24).unwrap();
                if same_in_both_libaecs(&cd, chunk) {
                    let again = szh::encode_chunk(&cd, &plain).unwrap().unwrap();
                    assert!(again == bytes, "{} {} chunk {:?}: h5kit's szip bytes differ from libaec's", file, name, off);
                    reencoded += 1;
                }
            }
        }
        if oracle::check(oracle::H5DIFF, 1, "h5diff of the szip copy and its source") {
            let o = Command::new("h5diff").arg(dir().join("szip_source.h5")).arg(&path).output().unwrap();
            assert!(o.status.success(), "h5diff {}: {}", file, String::from_utf8_lossy(&o.stdout));
            oracle::compared(oracle::H5DIFF, 1);
        }
    }
    assert!(reencoded > 100 && declined >= 4, "{} re-encoded, {} declined", reencoded, declined);
    h5kit_testkit::say(&format!("szip: {} datasets read, {} libaec chunks re-encoded byte for byte, {} declined", values, reencoded, declined));
}

#[test]
fn h5kit_writes_szip_that_libhdf5_reads() {
    let src_path = dir().join("szip_source.h5");
    let src = File::open(&src_path).unwrap();
    let tmp = std::env::temp_dir().join(format!("h5kit-szip-write-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut identical = 0u64;
    for (file, nn, ppb) in COPIES {
        for libver in [LibVer::Earliest, LibVer::Latest] {
            let out = tmp.join(format!("{}_{:?}.h5", file, libver));
            let mut w = FileWriter::create(&out, libver).unwrap();
            for (name, d) in datasets(&src) {
                let mut spec = DatasetSpec::new(d.datatype().clone(), d.shape());
                spec.chunks = Some(chunk_dims(&d));
                spec.filters = vec![Filter { id: 4, name: None, flags: 1, client_data: vec![nn, ppb] }];
                w.create_dataset(&name, spec).unwrap();
                w.write_dataset(&name, &d.read_raw().unwrap()).unwrap();
            }
            w.close().unwrap();
            let ours = File::open(&out).unwrap();
            let theirs_path = dir().join(file);
            let theirs = File::open(&theirs_path).unwrap();
            for (name, d) in datasets(&src) {
                let Object::Dataset(o) = ours.root().unwrap().open(&name).unwrap() else { panic!() };
                assert_eq!(o.read_raw().unwrap(), d.read_raw().unwrap(), "{} {}", file, name);
                let Object::Dataset(t) = theirs.root().unwrap().open(&name).unwrap() else { panic!() };
                let fo = &o.filters().unwrap().filters[0];
                let ft = &t.filters().unwrap().filters[0];
                assert_eq!((fo.id, fo.flags, &fo.client_data), (ft.id, ft.flags, &ft.client_data), "{}", name);
                if same_in_both_libaecs(&fo.client_data, &chunk_dims(&d)) {
                    let a = stored_chunks(&out, &o);
                    let b = stored_chunks(&theirs_path, &t);
                    assert_eq!(a.len(), b.len());
                    for (x, y) in a.iter().zip(&b) {
                        assert!(x == y, "{} {} chunk {:?}: bytes or mask differ from h5repack's", file, name, x.0);
                        identical += 1;
                    }
                }
            }
            if oracle::check(oracle::H5DIFF, 1, "h5diff of h5kit's szip file and the source") {
                let o = Command::new("h5diff").arg(&src_path).arg(&out).output().unwrap();
                assert!(o.status.success(), "h5diff {}: {}{}", out.display(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
                oracle::compared(oracle::H5DIFF, 1);
            }
            if oracle::check(oracle::H5DUMP, 1, "h5dump reads h5kit's szip file") {
                let o = Command::new("h5dump").arg(&out).output().unwrap();
                let text = String::from_utf8_lossy(&o.stdout);
                assert!(o.status.success() && !text.contains("error"), "h5dump {}: {}", out.display(), String::from_utf8_lossy(&o.stderr));
                oracle::compared(oracle::H5DUMP, 1);
            }
        }
    }
    assert!(identical > 100, "{}", identical);
    h5kit_testkit::say(&format!("szip write: {} chunks identical to h5repack's", identical));
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn hostile_szip_chunks_are_errors() {
    let path = dir().join("szip_8nn.h5");
    let bytes = std::fs::read(&path).unwrap();
    let f = File::open(&path).unwrap();
    let Object::Dataset(d) = f.root().unwrap().open("smooth_le_i2").unwrap() else { panic!() };
    let locs = d.chunk_locations().unwrap();
    let c = &locs[0];
    let (a, n) = (c.address as usize, c.size as usize);
    type Patch = Box<dyn Fn(&mut Vec<u8>)>;
    let cases: Vec<(&str, Patch)> = vec![
        ("truncated stream", Box::new(move |b: &mut Vec<u8>| b[a + 4..a + n].iter_mut().for_each(|x| *x = 0))),
        ("huge declared size", Box::new(move |b: &mut Vec<u8>| b[a..a + 4].copy_from_slice(&u32::MAX.to_le_bytes()))),
        ("size beyond stream", Box::new(move |b: &mut Vec<u8>| b[a..a + 4].copy_from_slice(&(1u32 << 20).to_le_bytes()))),
        ("garbage", Box::new(move |b: &mut Vec<u8>| b[a + 4..a + n].iter_mut().enumerate().for_each(|(i, x)| *x = (i * 37 % 251) as u8))),
    ];
    let tmp = std::env::temp_dir().join(format!("h5kit-szip-hostile-{}.h5", std::process::id()));
    for (what, patch) in cases {
        let mut b = bytes.clone();
        patch(&mut b);
        std::fs::write(&tmp, &b).unwrap();
        let f = File::open(&tmp).unwrap();
        let Object::Dataset(d) = f.root().unwrap().open("smooth_le_i2").unwrap() else { panic!() };
        match d.read_raw() {
            Err(e) => {
                let m = e.to_string();
                assert!(m.contains("szip") || m.contains("limit"), "{}: {}", what, m);
            }
            // Garbage may decode to other values (szip has no checksum), never to a panic.
            Ok(v) => assert!(what == "garbage" && v.len() == 2 * 23 * 128, "{}", what),
        }
    }
    let _ = std::fs::remove_file(&tmp);
}

//! `read_all` and `storage_size` on every dataset listed in tests/data/read.manifest (generated
//! by tests/data/gen_read.py from read.h5 and interop files): exact bytes h5py reads, and
//! h5py's `get_storage_size()` (h5dump -p "SIZE").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{FileStorage, Limits};
use h5kit_dataset::{read_all, read_all_into, read_block, read_block_mapped, storage_size, ChunkCache, ChunkMap};
use h5kit_object_header::{msg_type, FilterPipeline, MaybeShared, Message, ObjectHeader};
use h5kit_superblock::Superblock;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

struct Entry {
    label: String,
    path: String,
    address: u64,
    expected: String,
    storage: u64,
}

fn manifest() -> Vec<Entry> {
    std::fs::read_to_string(format!("{}/read.manifest", DATA))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            Entry { label: f[1].into(), path: f[2].into(), address: f[3].parse().unwrap(), expected: f[4].into(), storage: f[5].parse().unwrap() }
        })
        .collect()
}

mod common;

fn file_of(label: &str) -> String {
    match label.strip_prefix("interop:") {
        Some(rel) => common::interop(rel),
        None => format!("{}/read.h5", DATA),
    }
}

/// The block start..start+count of a row-major array, computed element by element.
fn extract(all: &[u8], dims: &[u64], start: &[u64], count: &[u64], elem: usize) -> Vec<u8> {
    let n: u64 = count.iter().product();
    let mut out = Vec::new();
    for k in 0..n {
        let mut rem = k;
        let mut pos = vec![0u64; dims.len()];
        for r in (0..dims.len()).rev() {
            pos[r] = start[r] + rem % count[r];
            rem /= count[r];
        }
        let lin = pos.iter().zip(dims).fold(0u64, |a, (p, d)| a * d + p) as usize;
        out.extend_from_slice(&all[lin * elem..(lin + 1) * elem]);
    }
    out
}

enum Outcome {
    Checked,
    Skipped(String),
}

fn check(e: &Entry, st: &FileStorage, sb: &Superblock) -> Outcome {
    let limits = Limits::default();
    let ctx = sb.context(st, &limits);
    let oh = ObjectHeader::read(ctx, e.address).unwrap_or_else(|err| panic!("{} {}: {}", e.label, e.path, err));
    let get = |t| oh.first(t, ctx.sizes).unwrap_or_else(|err| panic!("{} {}: {}", e.label, e.path, err));
    let Some(Message::Dataspace(MaybeShared::Inline(space))) = get(msg_type::DATASPACE) else {
        return Outcome::Skipped("shared dataspace".into());
    };
    let Some(Message::Datatype(MaybeShared::Inline(dtype))) = get(msg_type::DATATYPE) else {
        return Outcome::Skipped("committed datatype".into());
    };
    let Some(Message::Layout(layout)) = get(msg_type::LAYOUT) else { panic!("{} {}: no layout", e.label, e.path) };
    let filters = match get(msg_type::FILTER_PIPELINE) {
        Some(Message::FilterPipeline(MaybeShared::Inline(p))) => p,
        None => FilterPipeline::default(),
        _ => return Outcome::Skipped("shared filter pipeline".into()),
    };
    let fill = match get(msg_type::FILL_VALUE) {
        Some(Message::FillValue(MaybeShared::Inline(f))) => Some(f),
        _ => match get(msg_type::FILL_VALUE_OLD) {
            Some(Message::FillValueOld(f)) => Some(f),
            _ => None,
        },
    };
    let external = match get(msg_type::EXTERNAL_FILES) {
        Some(Message::ExternalFiles(x)) => Some(x),
        _ => None,
    };
    let names: Vec<String> =
        external.as_ref().map(|x| x.files.iter().map(|_| format!("{}/read_ext.bin", DATA)).collect()).unwrap_or_default();
    let elem = dtype.size as usize;
    let got = match read_all(ctx, &layout, &space, elem, &filters, fill.as_ref(), external.as_ref().map(|x| (x, names.as_slice()))) {
        Ok(g) => g,
        Err(err) => panic!("{} {}: {}", e.label, e.path, err),
    };
    let want = std::fs::read(format!("{}/read_expected/{}", DATA, e.expected)).unwrap();
    assert_eq!(got.len(), want.len(), "{} {}: size", e.label, e.path);
    assert!(got == want, "{} {}: data differs (first at byte {:?})", e.label, e.path, got.iter().zip(&want).position(|(a, b)| a != b));
    // A block in the middle, read through the chunks / rows it touches only.
    if !space.dims.is_empty() && space.dims.iter().all(|&d| d > 0) {
        let start: Vec<u64> = space.dims.iter().map(|&d| d / 3).collect();
        let count: Vec<u64> = space.dims.iter().zip(&start).map(|(&d, &s)| d.div_ceil(2).min(d - s)).collect();
        let ext = external.as_ref().map(|x| (x, names.as_slice()));
        let block = read_block(ctx, &layout, &space, elem, &filters, fill.as_ref(), ext, &start, &count)
            .unwrap_or_else(|err| panic!("{} {}: block: {}", e.label, e.path, err));
        assert_eq!(block, extract(&want, &space.dims, &start, &count, elem), "{} {}: block {:?}+{:?}", e.label, e.path, start, count);
        // The same block through a prebuilt chunk map, without and with a chunk cache (the
        // second cached read comes from decoded chunks kept in memory).
        if matches!(layout.layout, h5kit_object_header::Layout::Chunked { .. }) {
            let map = ChunkMap::build(ctx, &layout, &space, elem, !filters.filters.is_empty()).unwrap();
            let cache = ChunkCache::new(1 << 20);
            for k in [None, Some(&cache), Some(&cache)] {
                let b = read_block_mapped(ctx, &layout, &space, elem, &filters, fill.as_ref(), &map, k, &start, &count)
                    .unwrap_or_else(|err| panic!("{} {}: mapped block: {}", e.label, e.path, err));
                assert_eq!(b, block, "{} {}: mapped block {:?}+{:?}", e.label, e.path, start, count);
            }
            let whole = read_block_mapped(ctx, &layout, &space, elem, &filters, fill.as_ref(), &map, Some(&cache), &vec![0; space.dims.len()], &space.dims)
                .unwrap_or_else(|err| panic!("{} {}: mapped whole: {}", e.label, e.path, err));
            assert!(whole == want, "{} {}: mapped whole read differs", e.label, e.path);
        }
    }
    // Into a caller's buffer: the same bytes; a buffer of the wrong size is refused.
    if external.is_none() {
        let mut buf = vec![0xA5u8; want.len()];
        read_all_into(ctx, &layout, &space, elem, &filters, fill.as_ref(), None, &mut buf)
            .unwrap_or_else(|err| panic!("{} {}: into: {}", e.label, e.path, err));
        assert!(buf == want, "{} {}: read_all_into differs", e.label, e.path);
        let mut short = vec![0u8; want.len() + 1];
        assert!(read_all_into(ctx, &layout, &space, elem, &filters, fill.as_ref(), None, &mut short).is_err());
    }
    let size = storage_size(ctx, &layout, &space, elem).unwrap();
    if external.is_none() {
        assert_eq!(size, e.storage, "{} {}: storage size", e.label, e.path);
    }
    Outcome::Checked
}

#[test]
fn every_manifest_dataset_reads_as_h5py() {
    let mut checked = 0;
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    let mut current: Option<(String, FileStorage, Superblock)> = None;
    for e in manifest() {
        if current.as_ref().map(|c| &c.0) != Some(&e.label) {
            let st = FileStorage::open(file_of(&e.label)).unwrap();
            let sb = Superblock::read(&st).unwrap();
            current = Some((e.label.clone(), st, sb));
        }
        let (_, st, sb) = current.as_ref().unwrap();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&e, st, sb))) {
            Ok(Outcome::Checked) => checked += 1,
            Ok(Outcome::Skipped(why)) => skipped.push(format!("{} {}: {}", e.label, e.path, why)),
            Err(p) => failed.push(p.downcast_ref::<String>().cloned().unwrap_or_default()),
        }
    }
    eprintln!("checked {}, skipped {:?}", checked, skipped);
    assert!(failed.is_empty(), "{} failures:\n{}", failed.len(), failed.join("\n"));
    assert!(checked >= 210, "only {} datasets checked; skipped {:?}", checked, skipped);
    assert!(skipped.is_empty(), "skipped {:?}", skipped);
}

#[test]
fn read_block_only_touches_intersecting_chunks() {
    let e = manifest().into_iter().find(|e| e.label == "local" && e.path == "btree2_gzip").unwrap();
    let mut bytes = std::fs::read(file_of(&e.label)).unwrap();
    let limits = Limits::default();
    let locs = {
        let st = h5kit_core::MemStorage::new(bytes.clone());
        let sb = Superblock::read(&st).unwrap();
        let ctx = sb.context(&st, &limits);
        let oh = ObjectHeader::read(ctx, e.address).unwrap();
        let Some(Message::Layout(layout)) = oh.first(msg_type::LAYOUT, ctx.sizes).unwrap() else { panic!() };
        let Some(Message::Dataspace(MaybeShared::Inline(space))) = oh.first(msg_type::DATASPACE, ctx.sizes).unwrap() else { panic!() };
        h5kit_dataset::chunk_locations(ctx, &layout, &space, 8, true).unwrap()
    };
    // Corrupt the zlib stream of the chunk at (8, 8).
    let bad = locs.iter().find(|c| c.offsets == [8, 8]).unwrap();
    for b in &mut bytes[bad.address as usize..bad.address as usize + 4] {
        *b ^= 0xff;
    }
    let st = h5kit_core::MemStorage::new(bytes);
    let sb = Superblock::read(&st).unwrap();
    let ctx = sb.context(&st, &limits);
    let oh = ObjectHeader::read(ctx, e.address).unwrap();
    let Some(Message::Layout(layout)) = oh.first(msg_type::LAYOUT, ctx.sizes).unwrap() else { panic!() };
    let Some(Message::Dataspace(MaybeShared::Inline(space))) = oh.first(msg_type::DATASPACE, ctx.sizes).unwrap() else { panic!() };
    let Some(Message::FilterPipeline(MaybeShared::Inline(filters))) = oh.first(msg_type::FILTER_PIPELINE, ctx.sizes).unwrap() else { panic!() };
    let err = read_all(ctx, &layout, &space, 8, &filters, None, None).unwrap_err();
    assert_eq!(err.offset, Some(bad.address), "{}", err);
    // Rows 0..8, columns 0..8 do not touch the chunk at (8, 8).
    let block = read_block(ctx, &layout, &space, 8, &filters, None, None, &[0, 0], &[8, 8]).unwrap();
    let want = std::fs::read(format!("{}/read_expected/{}", DATA, e.expected)).unwrap();
    assert_eq!(block, extract(&want, &[9, 11], &[0, 0], &[8, 8], 8));
    assert!(read_block(ctx, &layout, &space, 8, &filters, None, None, &[8, 8], &[1, 1]).is_err());
    assert!(read_block(ctx, &layout, &space, 8, &filters, None, None, &[8, 8], &[2, 1]).is_err());
}

#[test]
fn hostile_layouts_and_dataspaces_never_panic() {
    use h5kit_object_header::{ChunkIndex, Layout};
    let limits = Limits { max_alloc: 1 << 22, max_items: 1 << 16, ..Limits::default() };
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut tried = 0;
    let mut current: Option<(String, FileStorage, Superblock)> = None;
    for e in manifest().into_iter().step_by(3) {
        if current.as_ref().map(|c| &c.0) != Some(&e.label) {
            let st = FileStorage::open(file_of(&e.label)).unwrap();
            let sb = Superblock::read(&st).unwrap();
            current = Some((e.label.clone(), st, sb));
        }
        let (_, st, sb) = current.as_ref().unwrap();
        let ctx = sb.context(st, &limits);
        let oh = ObjectHeader::read(ctx, e.address).unwrap();
        let Some(Message::Layout(layout)) = oh.first(msg_type::LAYOUT, ctx.sizes).unwrap() else { continue };
        let Some(Message::Dataspace(MaybeShared::Inline(space))) = oh.first(msg_type::DATASPACE, ctx.sizes).unwrap() else { continue };
        let filters = match oh.first(msg_type::FILTER_PIPELINE, ctx.sizes).unwrap() {
            Some(Message::FilterPipeline(MaybeShared::Inline(p))) => p,
            _ => FilterPipeline::default(),
        };
        let specials = [0u64, 1, 2, 3, 7, 1 << 20, u32::MAX as u64, u64::MAX / 3, u64::MAX];
        for _ in 0..40 {
            let mut l = layout.clone();
            let mut s = space.clone();
            let pick = |v: u64| specials[(v % specials.len() as u64) as usize];
            match next() % 6 {
                0 => {
                    if let Some(d) = s.dims.first_mut() {
                        *d = pick(next());
                    }
                }
                1 => {
                    if let Layout::Chunked { chunk_dims, .. } = &mut l.layout {
                        if let Some(c) = chunk_dims.last_mut() {
                            *c = pick(next());
                        }
                    }
                }
                2 => {
                    if let Layout::Chunked { index, .. } = &mut l.layout {
                        let shift = next() % 64;
                        match index {
                            ChunkIndex::BTreeV1 { address: Some(a) }
                            | ChunkIndex::Implicit { address: Some(a) }
                            | ChunkIndex::SingleChunk { address: Some(a), .. }
                            | ChunkIndex::FixedArray { address: Some(a), .. }
                            | ChunkIndex::ExtensibleArray { address: Some(a), .. }
                            | ChunkIndex::BTreeV2 { address: Some(a), .. } => *a = a.wrapping_add(shift),
                            _ => {}
                        }
                    }
                    if let Layout::Contiguous { address: Some(a), .. } = &mut l.layout {
                        *a = pick(next());
                    }
                }
                3 => s.max_dims = Some(s.dims.iter().map(|_| pick(next())).collect()),
                4 => {
                    s.dims.push(pick(next()));
                }
                _ => l.version = 5,
            }
            let elem = [1usize, 4, 8, 3][(next() % 4) as usize];
            let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _ = read_all(ctx, &l, &s, elem, &filters, None, None);
                let _ = storage_size(ctx, &l, &s, elem);
                let start: Vec<u64> = s.dims.iter().map(|d| d / 2).collect();
                let count: Vec<u64> = s.dims.iter().map(|d| (d / 2).min(3)).collect();
                let _ = read_block(ctx, &l, &s, elem, &filters, None, None, &start, &count);
            }));
            assert!(res.is_ok(), "{} {}: panic with layout {:?} dataspace {:?} elem {}", e.label, e.path, l, s, elem);
            tried += 1;
        }
    }
    assert!(tried > 1000);
}

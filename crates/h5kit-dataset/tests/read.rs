//! `read_all` and `storage_size` on every dataset listed in tests/data/read.manifest (generated
//! by tests/data/gen_read.py from read.h5 and interop files): exact bytes h5py reads, and
//! h5py's `get_storage_size()` (h5dump -p "SIZE").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_core::{FileStorage, Limits};
use h5kit_dataset::{read_all, storage_size};
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

fn file_of(label: &str) -> String {
    match label.strip_prefix("interop:") {
        Some(rel) => format!("{}/../../../shared/interop/{}", env!("CARGO_MANIFEST_DIR"), rel),
        None => format!("{}/read.h5", DATA),
    }
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

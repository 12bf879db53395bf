//! Objects created one after another through the path API (shared/bench/WORKLOADS.md
//! `write_groups`): names in order take the editor's shortcuts (the last resolved path and
//! parent group kept, the entry appended to the right-most symbol table node, the new header
//! and the attribute bodies copied from the last ones). Files written in order, in order with
//! flushes between (the shortcuts meet committed nodes that must move), and in shuffled order
//! (the general B-tree insert) must hold the same objects, values and attributes; deletes in
//! between must not leave a stale path behind. libhdf5 (h5diff) compares the files too.

#![cfg(not(target_family = "wasm"))] // temporary files and h5diff: not under WASI
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use h5kit::{File, Object};
use h5kit_testkit::oracle;

/// Datasets in "g": enough that the group's B-tree gets a second level (more than 2K = 32
/// symbol table nodes of up to 8 entries).
const N: usize = 400;

fn write(path: &std::path::Path, order: &[usize], flush_every: Option<usize>) {
    let f = File::create(path).unwrap();
    f.create_group("g").unwrap();
    f.set_attr_str("g", "label", "series").unwrap();
    for (k, &i) in order.iter().enumerate() {
        let d = format!("g/item{:04}", i);
        f.write_new(&d, &[3], &[i as i64, 7, -(i as i64)]).unwrap();
        f.set_attr(&d, "id", None, &[i as i64 * 10]).unwrap();
        f.set_attr(&d, "score", None, &[i as f64 * 0.5]).unwrap();
        // Replaced: the body built from the remembered bytes takes the old one's place.
        f.set_attr(&d, "id", None, &[i as i64 * 100]).unwrap();
        if flush_every.is_some_and(|m| k % m == m - 1) {
            f.flush().unwrap();
        }
    }
    f.close().unwrap();
}

/// Every dataset of "g": name, values, "id" and "score".
fn contents(path: &std::path::Path) -> Vec<(String, Vec<i64>, i64, f64)> {
    let file = File::open(path).unwrap();
    let Object::Group(g) = file.root().unwrap().open("g").unwrap() else { panic!("g is not a group") };
    let mut out = Vec::new();
    for l in g.links().unwrap() {
        let Object::Dataset(d) = g.open(&l.name).unwrap() else { panic!("{} is not a dataset", l.name) };
        let attrs = d.attributes().unwrap();
        let id = attrs.iter().find(|a| a.name == "id").unwrap().read::<i64>().unwrap().data[0];
        let score = attrs.iter().find(|a| a.name == "score").unwrap().read::<f64>().unwrap().data[0];
        out.push((l.name.clone(), d.read::<i64>().unwrap().data, id, score));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn expected() -> Vec<(String, Vec<i64>, i64, f64)> {
    (0..N).map(|i| (format!("item{:04}", i), vec![i as i64, 7, -(i as i64)], i as i64 * 100, i as f64 * 0.5)).collect()
}

fn h5diff_same(a: &std::path::Path, b: &std::path::Path) {
    if !oracle::check("h5diff", 1, "comparing files written in different orders") {
        return;
    }
    let out = std::process::Command::new("h5diff").arg(a).arg(b).output().unwrap();
    assert!(out.status.success(), "h5diff {} {}: {}", a.display(), b.display(), String::from_utf8_lossy(&out.stdout));
    oracle::compared("h5diff", 1);
}

#[test]
fn in_order_with_flushes_and_shuffled_hold_the_same_objects() {
    let in_order: Vec<usize> = (0..N).collect();
    // A fixed shuffle (multiplier coprime to N).
    let shuffled: Vec<usize> = (0..N).map(|k| (k * 263 + 17) % N).collect();
    let a = h5kit_testkit::temp_path("write-series", "in_order.h5");
    let b = h5kit_testkit::temp_path("write-series", "flushed.h5");
    let c = h5kit_testkit::temp_path("write-series", "shuffled.h5");
    write(&a, &in_order, None);
    write(&b, &in_order, Some(7));
    write(&c, &shuffled, None);
    let want = expected();
    for p in [&a, &b, &c] {
        assert_eq!(contents(p), want, "{}", p.display());
    }
    h5diff_same(&a, &b);
    h5diff_same(&a, &c);
}

#[test]
fn a_deleted_path_is_not_resolved_again() {
    let p = h5kit_testkit::temp_path("write-series", "deleted.h5");
    let f = File::create(&p).unwrap();
    f.write_new("g/a", &[2], &[1i64, 2]).unwrap();
    f.set_attr("g/a", "id", None, &[1i64]).unwrap();
    f.delete("g/a").unwrap();
    // The last resolved path was "g/a": it must not lead to the freed header.
    assert!(f.set_attr("g/a", "id", None, &[2i64]).is_err());
    f.write_new("g/a", &[3], &[4i64, 5, 6]).unwrap();
    f.set_attr("g/a", "id", None, &[3i64]).unwrap();
    f.delete("g").unwrap();
    assert!(f.write_new("g/b", &[1], &[1i64]).is_ok(), "the parent group of the last new object was deleted: made again");
    f.close().unwrap();
    let file = File::open(&p).unwrap();
    let Object::Group(g) = file.root().unwrap().open("g").unwrap() else { panic!("g is not a group") };
    let names: Vec<String> = g.links().unwrap().into_iter().map(|l| l.name).collect();
    assert_eq!(names, vec!["b".to_string()]);
}

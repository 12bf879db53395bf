//! Inserts into v2 B-trees: rebuilding libhdf5's trees of the corpus by inserting their
//! records in their insertion order (chunk address order, creation order) gives the same trees (depth, records per node, records), for the
//! record types ordered by a plain key (6, 9: creation order; 10, 11: chunk offsets).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::cmp::Ordering;
use std::collections::HashMap;

use h5kit_btree::v2::{BTreeV2, ChunkParams, ChunkRecordV2, Node, Record};
use h5kit_core::{Error, Reader, Sizes};

fn key_cmp(a: &Record, b: &Record) -> Ordering {
    match (a, b) {
        (Record::Chunk(x), Record::Chunk(y)) => x.scaled_offsets.cmp(&y.scaled_offsets),
        (Record::LinkCreationOrder { creation_order: x, .. }, Record::LinkCreationOrder { creation_order: y, .. }) => x.cmp(y),
        (Record::AttributeCreationOrder { creation_order: x, .. }, Record::AttributeCreationOrder { creation_order: y, .. }) => x.cmp(y),
        _ => panic!("no plain key"),
    }
}

/// A tree in memory: nodes by address, a bump allocator.
struct Mem {
    hdr: BTreeV2,
    nodes: HashMap<u64, Node>,
    next: u64,
}

impl Mem {
    fn new(hdr: BTreeV2) -> Mem {
        Mem { hdr, nodes: HashMap::new(), next: 1 << 30 }
    }
    /// `H5B2_update` (chunk indexes) for chunk records, `H5B2_insert` otherwise.
    fn insert(&mut self, r: Record) -> Result<(), Error> {
        let nodes = &self.nodes;
        let next = &mut self.next;
        let f = if matches!(r, Record::Chunk(_)) { BTreeV2::update } else { BTreeV2::insert };
        let out = f(
            &self.hdr,
            r,
            &key_cmp,
            &mut |a, _, _| Ok(nodes[&a].clone()),
            &mut |n| {
                let a = *next;
                *next += n;
                Ok(a)
            },
        )?;
        for (a, n) in out.nodes {
            self.nodes.insert(a, n);
        }
        self.hdr = out.header;
        Ok(())
    }
    /// (level, records) of every node, depth first.
    fn shape(&self) -> Vec<(u16, Vec<Record>)> {
        let mut out = Vec::new();
        if let Some(r) = self.hdr.root_address {
            self.walk(r, &mut out);
        }
        out
    }
    fn walk(&self, a: u64, out: &mut Vec<(u16, Vec<Record>)>) {
        let n = &self.nodes[&a];
        out.push((n.level, n.records.clone()));
        for c in &n.children {
            assert_eq!(c.nrec, self.nodes[&c.address].records.len() as u64);
            self.walk(c.address, out);
        }
    }
}

fn file_shape(bytes: &[u8], base: u64, s: Sizes, hdr: &BTreeV2, chunk: Option<ChunkParams>) -> Vec<(u16, Vec<Record>)> {
    let mut out = Vec::new();
    #[allow(clippy::too_many_arguments)]
    fn walk(bytes: &[u8], base: u64, s: Sizes, hdr: &BTreeV2, chunk: Option<ChunkParams>, a: u64, level: u16, nrec: u64, out: &mut Vec<(u16, Vec<Record>)>) {
        let mut r = Reader::new(&bytes[(base + a) as usize..], a, s);
        let n = Node::decode(&mut r, hdr, level, nrec, chunk).unwrap();
        out.push((level, n.records.clone()));
        for c in &n.children {
            walk(bytes, base, s, hdr, chunk, c.address, level - 1, c.nrec, out);
        }
    }
    if let Some(root) = hdr.root_address {
        walk(bytes, base, s, hdr, chunk, root, hdr.depth, hdr.root_records as u64, &mut out);
    }
    out
}

#[test]
fn rebuilding_corpus_trees_by_inserts_gives_libhdf5s_trees() {
    let (mut same, mut differ, mut deeper) = (0, Vec::new(), 0);
    for path in common::corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        let storage = h5kit_core::MemStorage::new(bytes.clone());
        let Ok(sb) = h5kit_superblock::Superblock::read(&storage) else { continue };
        let base = sb.effective_base_address();
        let s = sb.sizes;
        for pos in bytes.windows(4).enumerate().filter(|(_, w)| *w == b"BTHD").map(|(i, _)| i as u64) {
            let Some(a) = pos.checked_sub(base) else { continue };
            let Ok(hdr) = BTreeV2::decode(&mut Reader::new(&bytes[pos as usize..], a, s)) else { continue };
            let o = s.offset as usize;
            let rs = hdr.record_size as usize;
            let chunk = match hdr.record_type {
                6 | 9 => None,
                10 => Some(ChunkParams { rank: (rs - o) / 8, chunk_size_len: 0 }),
                11 => {
                    let rest = rs - o - 4;
                    let csl = if rest.is_multiple_of(8) { 8 } else { rest % 8 };
                    Some(ChunkParams { rank: (rest - csl) / 8, chunk_size_len: csl })
                }
                _ => continue,
            };
            let shape = file_shape(&bytes, base, s, &hdr, chunk);
            let mut records: Vec<Record> = shape.iter().flat_map(|(_, r)| r.clone()).collect();
            // Insertion order: chunks were allocated as they were written, so chunk address
            // order; creation order indexes in key order.
            records.sort_by(|a, b| match (a, b) {
                (Record::Chunk(x), Record::Chunk(y)) => x.address.cmp(&y.address),
                _ => key_cmp(a, b),
            });
            let mut empty = BTreeV2::new(a, s, hdr.record_type, hdr.node_size, hdr.record_size, hdr.split_percent, hdr.merge_percent).unwrap();
            empty.address = a;
            let mut m = Mem::new(empty);
            for r in records {
                m.insert(r).unwrap();
            }
            assert_eq!(m.hdr.total_records, hdr.total_records);
            if m.shape() == shape && m.hdr.depth == hdr.depth && m.hdr.root_records == hdr.root_records {
                same += 1;
                deeper += usize::from(hdr.depth > 0);
            } else {
                let sh = |v: &[(u16, Vec<Record>)]| v.iter().map(|(l, r)| format!("{}:{}", l, r.len())).collect::<Vec<_>>().join(" ");
                println!("file   {}\nmine   {}", sh(&shape), sh(&m.shape()));
                differ.push(format!("{} @{} type {} depth {}", path.display(), a, hdr.record_type, hdr.depth));
            }
        }
    }
    println!("v2 trees rebuilt identically: {} ({} with internal nodes); differing: {:?}", same, deeper, differ);
    assert!(same > 0 && deeper > 0);
    assert!(differ.is_empty(), "{:?}", differ);
}

#[test]
fn inserts_split_and_redistribute() {
    let s = Sizes { offset: 8, length: 8 };
    // Type 10, rank 1: 16-byte records; 256-byte nodes hold 15 records per leaf.
    let hdr = BTreeV2::new(0, s, 10, 256, 16, 100, 40).unwrap();
    assert_eq!(hdr.max_records(0), Some(15));
    let mut m = Mem::new(hdr);
    let rec = |i: u64| Record::Chunk(ChunkRecordV2 { address: 1000 + i, size: 0, filter_mask: 0, scaled_offsets: vec![i] });
    // Out of order, to exercise left, middle and right redistributions.
    let order: Vec<u64> = (0..3000).map(|i| (i * 1237) % 3000).collect();
    for &i in &order {
        m.insert(rec(i)).unwrap();
    }
    assert_eq!(m.hdr.total_records, 3000);
    assert!(m.hdr.depth >= 2);
    let all: Vec<Record> = {
        fn inorder(m: &Mem, a: u64, out: &mut Vec<Record>) {
            let n = &m.nodes[&a];
            for (i, r) in n.records.iter().enumerate() {
                if let Some(c) = n.children.get(i) {
                    inorder(m, c.address, out);
                }
                out.push(r.clone());
            }
            if let Some(c) = n.children.last() {
                inorder(m, c.address, out);
            }
        }
        let mut v = Vec::new();
        inorder(&m, m.hdr.root_address.unwrap(), &mut v);
        v
    };
    assert_eq!(all, (0..3000).map(rec).collect::<Vec<_>>());
    // Totals in child pointers add up.
    for n in m.nodes.values() {
        for c in &n.children {
            let child = &m.nodes[&c.address];
            let total = child.records.len() as u64 + child.children.iter().map(|g| g.total_records).sum::<u64>();
            assert_eq!(c.total_records, total);
        }
    }
    // Every node still encodes.
    for n in m.nodes.values() {
        let mut w = h5kit_core::Writer::new(0, s);
        n.encode(&mut w, &m.hdr, Some(ChunkParams { rank: 1, chunk_size_len: 0 })).unwrap();
    }
    // Updating an existing chunk replaces it in place.
    let before = m.hdr.clone();
    let nodes = &m.nodes;
    let changed = Record::Chunk(ChunkRecordV2 { address: 7, size: 0, filter_mask: 0, scaled_offsets: vec![5] });
    let out = m.hdr.update(changed.clone(), &key_cmp, &mut |a, _, _| Ok(nodes[&a].clone()), &mut |_| panic!("no allocation")).unwrap();
    assert_eq!(out.header, before);
    assert_eq!(out.nodes.len(), 1);
    assert!(out.nodes[0].1.records.contains(&changed));
    // With H5B2_insert semantics a duplicate is an error.
    let out = m.hdr.insert(changed, &key_cmp, &mut |a, _, _| Ok(nodes[&a].clone()), &mut |_| Ok(0));
    assert!(out.is_err());
}

use proptest::prelude::*;

fn in_order(m: &Mem) -> Vec<Record> {
    fn go(m: &Mem, a: u64, level: u16, out: &mut Vec<Record>) {
        let n = &m.nodes[&a];
        assert_eq!(n.level, level);
        assert!(n.records.len() as u64 <= m.hdr.max_records(level).unwrap());
        for (i, r) in n.records.iter().enumerate() {
            if let Some(c) = n.children.get(i) {
                go(m, c.address, level - 1, out);
            }
            out.push(r.clone());
        }
        if let Some(c) = n.children.last() {
            go(m, c.address, level - 1, out);
        }
        for c in &n.children {
            let child = &m.nodes[&c.address];
            assert_eq!(c.nrec, child.records.len() as u64);
            let total = child.records.len() as u64 + child.children.iter().map(|g| g.total_records).sum::<u64>();
            assert_eq!(c.total_records, total);
        }
    }
    let mut v = Vec::new();
    if let Some(r) = m.hdr.root_address {
        assert_eq!(m.nodes[&r].records.len(), m.hdr.root_records as usize);
        go(m, r, m.hdr.depth, &mut v);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn random_inserts_keep_a_valid_v2_tree(
        order in proptest::sample::subsequence((0u64..1500).collect::<Vec<_>>(), 1..1500).prop_flat_map(|v| Just(v).prop_shuffle()),
        node_size in 160u32..600,
        creation_order in proptest::bool::ANY,
    ) {
        let s = Sizes { offset: 8, length: 8 };
        let (t, rs) = if creation_order { (6u8, 15u16) } else { (10u8, 24u16) };
        let mut m = Mem::new(BTreeV2::new(0, s, t, node_size, rs, 100, 40).unwrap());
        let rec = |i: u64| if creation_order {
            Record::LinkCreationOrder { creation_order: i, heap_id: [i as u8; 7] }
        } else {
            Record::Chunk(ChunkRecordV2 { address: 1 + i, size: 0, filter_mask: 0, scaled_offsets: vec![i / 40, i % 40] })
        };
        for &i in &order {
            m.insert(rec(i)).unwrap();
        }
        let mut sorted = order.clone();
        sorted.sort_unstable();
        prop_assert_eq!(in_order(&m), sorted.into_iter().map(rec).collect::<Vec<_>>());
        prop_assert_eq!(m.hdr.total_records, order.len() as u64);
        let chunk = if creation_order { None } else { Some(ChunkParams { rank: 2, chunk_size_len: 0 }) };
        for n in m.nodes.values() {
            let mut w = h5kit_core::Writer::new(0, s);
            n.encode(&mut w, &m.hdr, chunk).unwrap();
        }
    }
}

//! Chunk inserts into type-1 v1 B-trees: rebuilding libhdf5's trees of the corpus by
//! inserting their chunks in order gives the same trees (levels, keys, chunk addresses,
//! split points, sibling links); and the split cases one by one.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;

use h5kit_btree::v1::{self, insert_chunk, ChunkInsertParams, ChunkKey, ChunkRecord, InsertOutcome, Node};
use h5kit_core::{Error, Sizes};

const ROOT: u64 = 1_000_000;

/// An in-memory tree: nodes by address and a bump allocator.
struct Tree {
    nodes: HashMap<u64, Node<ChunkKey>>,
    next: u64,
    p: ChunkInsertParams,
}

impl Tree {
    fn new(p: ChunkInsertParams) -> Tree {
        let rank = p.rank;
        let root = Node {
            address: ROOT,
            node_type: 1,
            level: 0,
            left_sibling: None,
            right_sibling: None,
            keys: vec![ChunkKey { size: 0, filter_mask: 0, offsets: vec![0; rank + 1] }],
            children: vec![],
        };
        Tree { nodes: HashMap::from([(ROOT, root)]), next: 2_000_000, p }
    }
    fn insert(&mut self, rec: &ChunkRecord) -> InsertOutcome {
        let nodes = &self.nodes;
        let next = &mut self.next;
        let size = self.p.node_size();
        let out = insert_chunk(
            ROOT,
            rec,
            &self.p,
            &mut |a| nodes.get(&a).cloned().ok_or_else(|| Error::usage("no such node")),
            &mut |n| {
                assert_eq!(n, size);
                let a = *next;
                *next += n;
                Ok(a)
            },
        )
        .unwrap();
        for n in &out.nodes {
            self.nodes.insert(n.address, n.clone());
        }
        out
    }
    /// Leaf-level records in key order, checking levels and sibling links on the way.
    fn records(&self) -> Vec<(Vec<u64>, u64)> {
        let mut out = Vec::new();
        self.walk(ROOT, &mut out);
        out
    }
    fn walk(&self, a: u64, out: &mut Vec<(Vec<u64>, u64)>) {
        let n = &self.nodes[&a];
        for (i, &c) in n.children.iter().enumerate() {
            if n.level == 0 {
                out.push((n.keys[i].offsets.clone(), c));
            } else {
                assert_eq!(self.nodes[&c].level + 1, n.level);
                self.walk(c, out);
            }
        }
    }
}

/// Compares the in-memory tree with the file's, node by node (addresses of nodes aside).
fn same_tree(ctx: h5kit_core::Context, file_addr: u64, t: &Tree, addr: u64, rank: usize, map: &mut HashMap<u64, u64>) {
    let fnode = v1::read_chunk_node(ctx, file_addr, rank).unwrap();
    let mnode = &t.nodes[&addr];
    map.insert(addr, file_addr);
    assert_eq!(fnode.level, mnode.level, "level at {}", file_addr);
    assert_eq!(fnode.keys, mnode.keys, "keys at {}", file_addr);
    assert_eq!(fnode.children.len(), mnode.children.len());
    if fnode.level == 0 {
        assert_eq!(fnode.children, mnode.children, "chunk addresses at {}", file_addr);
    } else {
        for (&fc, &mc) in fnode.children.iter().zip(&mnode.children) {
            same_tree(ctx, fc, t, mc, rank, map);
        }
    }
}

fn rebuild(file: &str, root: u64, rank: usize, dims: Vec<u64>) {
    let f = common::Open::new(file);
    let ctx = f.ctx();
    let k = f.sb.chunk_internal_k.unwrap_or(32);
    let chunks = v1::read_chunk_records(ctx, root, rank).unwrap();
    let mut t = Tree::new(ChunkInsertParams::new(rank, dims, k, ctx.sizes));
    for c in &chunks {
        t.insert(c);
    }
    assert_eq!(t.records().len(), chunks.len());
    let mut map = HashMap::new();
    same_tree(ctx, root, &t, ROOT, rank, &mut map);
    // Sibling links agree under the node address mapping.
    for (m, fa) in &map {
        let fnode = v1::read_chunk_node(ctx, *fa, rank).unwrap();
        let mnode = &t.nodes[m];
        assert_eq!(fnode.left_sibling, mnode.left_sibling.map(|a| map[&a]), "left sibling of {}", fa);
        assert_eq!(fnode.right_sibling, mnode.right_sibling.map(|a| map[&a]), "right sibling of {}", fa);
    }
}

#[test]
fn rebuilds_libhdf5_two_level_tree() {
    // /int/large_int8: rank 1, 100 one-byte chunks, K = 32: the leaf split at the 65th chunk
    // keeps 57 (0.9 of 64) in the left leaf.
    rebuild("jhdf/test_chunked_datasets_earliest.hdf5", 28008, 1, vec![1, 1]);
}

#[test]
fn rebuilds_libhdf5_leaf_tree() {
    // /float/float32: rank 3, chunks {2,1,3} of 4-byte elements, 20 chunks in one leaf.
    rebuild("jhdf/test_chunked_datasets_earliest.hdf5", 7888, 3, vec![2, 1, 3, 4]);
}

fn rec(offsets: Vec<u64>, address: u64) -> ChunkRecord {
    ChunkRecord { offsets, size: 8, filter_mask: 0, address }
}

fn small_tree(k: u16) -> Tree {
    Tree::new(ChunkInsertParams::new(1, vec![2, 4], k, Sizes::default()))
}

#[test]
fn first_insert_fills_the_empty_root() {
    let mut t = small_tree(2);
    let out = t.insert(&rec(vec![4], 100));
    assert!(out.new_nodes.is_empty());
    let root = &t.nodes[&ROOT];
    assert_eq!(root.children, vec![100]);
    // The right key is one chunk past, in every dimension (element size included).
    assert_eq!(root.keys[1], ChunkKey { size: 0, filter_mask: 0, offsets: vec![6, 4] });
}

#[test]
fn appends_split_the_right_most_leaf_and_then_the_root_moves() {
    let mut t = small_tree(2); // 2K = 4 children per node
    for i in 0..4 {
        t.insert(&rec(vec![2 * i], 100 + i));
    }
    assert_eq!(t.nodes[&ROOT].children.len(), 4);
    // The fifth chunk splits the root leaf: floor(4 * 0.9) = 3 stay left; the old root moves.
    let out = t.insert(&rec(vec![8], 104));
    assert_eq!(out.new_nodes.len(), 2);
    let (twin, moved) = (out.new_nodes[0], out.new_nodes[1]);
    let root = &t.nodes[&ROOT];
    assert_eq!(root.level, 1);
    assert_eq!(root.children, vec![moved, twin]);
    assert_eq!(t.nodes[&moved].children, vec![100, 101, 102]);
    assert_eq!(t.nodes[&twin].children, vec![103, 104]);
    assert_eq!(t.nodes[&moved].right_sibling, Some(twin));
    assert_eq!(t.nodes[&twin].left_sibling, Some(moved));
    assert_eq!(root.keys.iter().map(|k| k.offsets[0]).collect::<Vec<_>>(), vec![0, 6, 10]);
    // New nodes come first in the outcome, the root last.
    assert_eq!(out.nodes.iter().map(|n| n.address).collect::<Vec<_>>(), vec![twin, moved, ROOT]);
    for i in 5..40 {
        t.insert(&rec(vec![2 * i], 100 + i));
    }
    let r = t.records();
    assert_eq!(r.len(), 40);
    assert!(r.iter().enumerate().all(|(i, (o, a))| o[0] == 2 * i as u64 && *a == 100 + i as u64));
    assert!(t.nodes[&ROOT].level >= 2);
}

#[test]
fn inserts_before_between_and_replacing() {
    let mut t = small_tree(2);
    for i in [5u64, 7, 9, 1, 3, 8, 0, 2, 4, 6] {
        t.insert(&rec(vec![2 * i], 100 + i));
    }
    let r = t.records();
    assert_eq!(r.iter().map(|(o, _)| o[0] / 2).collect::<Vec<_>>(), (0..10).collect::<Vec<_>>());
    assert!(r.iter().all(|(o, a)| *a == 100 + o[0] / 2));
    // Replacing a chunk (new size and address) changes only its leaf entry.
    let out = t.insert(&ChunkRecord { offsets: vec![8], size: 9, filter_mask: 1, address: 555 });
    assert!(out.new_nodes.is_empty());
    let r = t.records();
    assert_eq!(r.len(), 10);
    assert_eq!(r[4].1, 555);
    // Overlapping (not chunk-aligned) chunks are refused.
    let e = insert_chunk(ROOT, &rec(vec![3], 1), &t.p, &mut |a| Ok(t.nodes[&a].clone()), &mut |_| Ok(0));
    assert!(e.is_err());
    // Wrong rank is an error, not a panic.
    assert!(insert_chunk(ROOT, &rec(vec![3, 3], 1), &t.p, &mut |a| Ok(t.nodes[&a].clone()), &mut |_| Ok(0)).is_err());
}

/// Checks the structure of a tree: levels decrease by one, keys bracket their children
/// (a parent's key i is its child i's first key, its last key the last child's last key),
/// every node has at most 2K children, and each level's sibling links chain its nodes left
/// to right.
fn check_tree(t: &Tree) {
    let mut levels: Vec<Vec<u64>> = Vec::new();
    fn walk(t: &Tree, a: u64, levels: &mut Vec<Vec<u64>>, depth: usize) {
        let n = &t.nodes[&a];
        assert!(n.children.len() <= 2 * t.p.k as usize);
        assert_eq!(n.keys.len(), n.children.len() + 1);
        if levels.len() <= depth {
            levels.push(Vec::new());
        }
        levels[depth].push(a);
        if n.level > 0 {
            for (i, &c) in n.children.iter().enumerate() {
                let child = &t.nodes[&c];
                assert_eq!(child.level + 1, n.level);
                assert_eq!(child.keys[0].offsets, n.keys[i].offsets);
                if i + 1 == n.children.len() {
                    assert_eq!(child.keys.last().unwrap().offsets, n.keys[i + 1].offsets);
                }
                walk(t, c, levels, depth + 1);
            }
        }
    }
    walk(t, ROOT, &mut levels, 0);
    for level in &levels {
        for (i, &a) in level.iter().enumerate() {
            let n = &t.nodes[&a];
            assert_eq!(n.left_sibling, if i == 0 { None } else { Some(level[i - 1]) });
            assert_eq!(n.right_sibling, level.get(i + 1).copied());
        }
    }
}

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn random_inserts_keep_a_valid_tree(
        k in 1u16..4,
        order in proptest::sample::subsequence((0u64..150).collect::<Vec<_>>(), 1..150).prop_flat_map(|v| Just(v).prop_shuffle()),
        two_d in proptest::bool::ANY,
    ) {
        let (rank, dims) = if two_d { (2, vec![3, 5, 8]) } else { (1, vec![4, 8]) };
        let mut t = Tree::new(ChunkInsertParams::new(rank, dims, k, Sizes::default()));
        let offsets = |i: u64| if two_d { vec![(i / 10) * 3, (i % 10) * 5] } else { vec![i * 4] };
        for &i in &order {
            t.insert(&rec(offsets(i), 10_000 + i));
        }
        check_tree(&t);
        let mut sorted = order.clone();
        sorted.sort_by_key(|&i| offsets(i));
        let r = t.records();
        prop_assert_eq!(r.iter().map(|(o, a)| (o[..rank].to_vec(), *a)).collect::<Vec<_>>(), sorted.iter().map(|&i| (offsets(i), 10_000 + i)).collect::<Vec<_>>());
        // Every node encodes.
        for n in t.nodes.values() {
            let mut w = h5kit_core::Writer::new(0, Sizes::default());
            n.encode(&mut w, k, rank).unwrap();
        }
    }
}

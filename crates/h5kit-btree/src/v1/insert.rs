//! Inserting a chunk into a type-1 v1 B-tree (spec III.A.1), as libhdf5 does (`H5B_insert`,
//! `H5B__insert_helper`, `H5B__split`, with the chunk callbacks of `H5Dbtree.c`):
//!
//! - a chunk equal to an existing one replaces its size, filter mask and address;
//! - a new chunk goes right of the child whose keys bracket it (`key[i] <= chunk < key[i+1]`;
//!   the right-most key is one chunk past the last chunk in every dimension, with size 0);
//!   a chunk before every key becomes the new first child, one past every key the new last
//!   child (and the right-most key moves one chunk past it);
//! - full nodes split and the root moves as in [`super::tree`].
//!
//! Pure logic: nodes come from `load`, addresses from `alloc` (called in libhdf5's
//! allocation order: split nodes bottom-up, then the moved root).

use std::collections::BTreeMap;

use h5kit_core::{Error, Result, Sizes};

use super::tree::{Op, Step, Tree};
use super::{ChunkKey, ChunkRecord, Node};

/// What a chunk tree insert needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkInsertParams {
    /// The dataset's rank.
    pub rank: usize,
    /// The chunk's dimensions in elements plus, last, the element size in bytes (`rank + 1`
    /// values, as in the layout message).
    pub dims: Vec<u64>,
    /// "Indexed Storage Internal Node K".
    pub k: u16,
    /// Children kept in the left node when splitting: [left-most node, middle node,
    /// right-most node] (libhdf5 default 0.1, 0.5, 0.9).
    pub split_ratios: [f64; 3],
    pub sizes: Sizes,
}

impl ChunkInsertParams {
    pub fn new(rank: usize, dims: Vec<u64>, k: u16, sizes: Sizes) -> ChunkInsertParams {
        ChunkInsertParams { rank, dims, k, split_ratios: [0.1, 0.5, 0.9], sizes }
    }
    /// Bytes of one node.
    pub fn node_size(&self) -> u64 {
        Node::<ChunkKey>::encoded_size(self.sizes, self.k, self.rank)
    }
}

/// The nodes an insert wrote: every changed or new node (with its address), new ones in the
/// order they were allocated first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    pub nodes: Vec<Node<ChunkKey>>,
    /// Addresses of the nodes allocated by this insert, in allocation order.
    pub new_nodes: Vec<u64>,
}

struct Ins<'a> {
    t: Tree<'a, ChunkKey>,
    p: &'a ChunkInsertParams,
    new_key: ChunkKey,
    address: u64,
}

/// Inserts (or replaces) chunk `rec` in the tree whose root is at `root`.
pub fn insert_chunk(
    root: u64,
    rec: &ChunkRecord,
    p: &ChunkInsertParams,
    load: &mut dyn FnMut(u64) -> Result<Node<ChunkKey>>,
    alloc: &mut dyn FnMut(u64) -> Result<u64>,
) -> Result<InsertOutcome> {
    if rec.offsets.len() != p.rank || p.dims.len() != p.rank + 1 || p.dims.contains(&0) {
        return Err(Error::usage(format!(
            "chunk of rank {} / {} dims for a tree of rank {}",
            rec.offsets.len(),
            p.dims.len(),
            p.rank
        )));
    }
    if p.k == 0 {
        return Err(Error::usage("v1 B-tree K must be positive"));
    }
    let size = u32::try_from(rec.size).map_err(|_| Error::usage(format!("chunk of {} bytes is too large for a v1 B-tree key", rec.size)))?;
    let mut offsets = rec.offsets.clone();
    offsets.push(0);
    let new_key = ChunkKey { size, filter_mask: rec.filter_mask, offsets };
    let t = Tree {
        k: p.k,
        node_size: p.node_size(),
        split_ratios: p.split_ratios,
        nodes: BTreeMap::new(),
        dirty: Vec::new(),
        new_nodes: Vec::new(),
        load,
        alloc,
    };
    let mut ins = Ins { t, p, new_key, address: rec.address };
    let (op, _, _) = ins.helper(root, 0)?;
    if let Op::Right { md_key, child } = op {
        ins.t.split_root(root, md_key, child)?;
    }
    Ok(InsertOutcome { nodes: ins.t.changed(), new_nodes: ins.t.new_nodes })
}

/// libhdf5 `H5D__btree_cmp3`: -1 when `new` sorts before `lt`, 1 when at or after `rt`.
fn cmp3(lt: &ChunkKey, new: &ChunkKey, rt: &ChunkKey) -> i32 {
    if new.offsets >= rt.offsets {
        1
    } else if new.offsets < lt.offsets {
        -1
    } else {
        0
    }
}

impl Ins<'_> {
    /// The key one chunk past `k` in every dimension (libhdf5's right key of a new chunk).
    fn plus_one(&self, k: &ChunkKey) -> ChunkKey {
        let offsets = k.offsets.iter().zip(&self.p.dims).map(|(o, d)| o.saturating_add(*d)).collect();
        ChunkKey { size: 0, filter_mask: 0, offsets }
    }

    /// Whether two chunks' boxes are disjoint (`H5VM_hyper_disjointp`).
    fn disjoint(&self, a: &ChunkKey, b: &ChunkKey) -> bool {
        a.offsets.iter().zip(&b.offsets).zip(&self.p.dims).any(|((x, y), d)| x.saturating_add(*d) <= *y || y.saturating_add(*d) <= *x)
    }

    /// Inserts into the subtree at `addr`; returns the operation for the parent and the new
    /// left / right keys of the subtree when they changed.
    fn helper(&mut self, addr: u64, depth: u32) -> Result<Step<ChunkKey>> {
        if depth > 64 {
            return Err(Error::format(addr, "v1 B-tree deeper than 64 levels"));
        }
        let mut bt = self.t.get(addr)?;
        let n = bt.children.len();
        let (mut lt, mut rt, mut idx, mut cmp) = (0usize, n, 0usize, -1i32);
        while lt < rt && cmp != 0 {
            idx = (lt + rt) / 2;
            let (Some(l), Some(r)) = (bt.keys.get(idx), bt.keys.get(idx + 1)) else { break };
            cmp = cmp3(l, &self.new_key, r);
            if cmp < 0 {
                rt = idx;
            } else {
                lt = idx + 1;
            }
        }
        let (mut lt_changed, mut rt_changed) = (false, false);
        let my_ins;
        if n == 0 {
            if bt.level != 0 {
                return Err(Error::format(addr, "empty v1 B-tree node above the leaves"));
            }
            bt.keys = vec![self.new_key.clone(), self.plus_one(&self.new_key)];
            bt.children = vec![self.address];
            idx = 0;
            my_ins = Op::Noop;
            self.t.put(bt.clone());
        } else if cmp < 0 && idx == 0 && bt.level > 0 {
            my_ins = self.descend(&mut bt, 0, depth, &mut lt_changed, &mut rt_changed)?;
        } else if cmp < 0 && idx == 0 {
            // A new minimum leaf entry.
            let md_key = bt.keys.first().cloned().ok_or_else(|| Error::format(addr, "v1 B-tree node without keys"))?;
            if let Some(k0) = bt.keys.first_mut() {
                *k0 = self.new_key.clone();
            }
            lt_changed = true;
            my_ins = Op::Left { md_key, child: self.address };
        } else if cmp > 0 && idx + 1 >= n && bt.level > 0 {
            idx = n - 1;
            my_ins = self.descend(&mut bt, idx, depth, &mut lt_changed, &mut rt_changed)?;
        } else if cmp > 0 && idx + 1 >= n {
            // A new maximum leaf entry; the right-most key moves past it.
            idx = n - 1;
            let past = self.plus_one(&self.new_key);
            if let Some(k) = bt.keys.get_mut(idx + 1) {
                *k = past;
            }
            rt_changed = true;
            my_ins = Op::Right { md_key: self.new_key.clone(), child: self.address };
        } else if cmp != 0 {
            return Err(Error::format(addr, "v1 B-tree keys are out of order"));
        } else if bt.level > 0 {
            my_ins = self.descend(&mut bt, idx, depth, &mut lt_changed, &mut rt_changed)?;
        } else {
            let lt_key = bt.keys.get(idx).cloned().ok_or_else(|| Error::format(addr, "v1 B-tree key missing"))?;
            if lt_key.offsets == self.new_key.offsets && lt_key.size != 0 {
                // The chunk exists: new size, filter mask and address.
                if lt_key.size != self.new_key.size || lt_key.filter_mask != self.new_key.filter_mask {
                    if let Some(k) = bt.keys.get_mut(idx) {
                        k.size = self.new_key.size;
                        k.filter_mask = self.new_key.filter_mask;
                    }
                    lt_changed = true;
                }
                my_ins = Op::Change { child: self.address };
            } else if self.disjoint(&lt_key, &self.new_key) {
                my_ins = Op::Right { md_key: self.new_key.clone(), child: self.address };
            } else {
                return Err(Error::format(addr, "v1 B-tree chunk overlaps an existing chunk"));
            }
        }
        self.t.finish_node(bt, idx, my_ins, (lt_changed, rt_changed))
    }

    /// Recurses into child `idx` of `bt`, applying the child's key changes to `bt`'s keys.
    fn descend(&mut self, bt: &mut Node<ChunkKey>, idx: usize, depth: u32, lt_changed: &mut bool, rt_changed: &mut bool) -> Result<Op<ChunkKey>> {
        let child = *bt.children.get(idx).ok_or_else(|| Error::format(bt.address, "v1 B-tree child missing"))?;
        let (op, lt, rt) = self.helper(child, depth + 1)?;
        let mut changed = (*lt_changed, *rt_changed);
        Tree::apply_child_keys(bt, idx, lt, rt, &mut changed);
        (*lt_changed, *rt_changed) = changed;
        Ok(op)
    }
}

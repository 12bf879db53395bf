//! Inserting a chunk into a type-1 v1 B-tree (spec III.A.1), as libhdf5 does (`H5B_insert`,
//! `H5B__insert_helper`, `H5B__split`, with the chunk callbacks of `H5Dbtree.c`):
//!
//! - a chunk equal to an existing one replaces its size, filter mask and address;
//! - a new chunk goes right of the child whose keys bracket it (`key[i] <= chunk < key[i+1]`;
//!   the right-most key is one chunk past the last chunk in every dimension, with size 0);
//!   a chunk before every key becomes the new first child, one past every key the new last
//!   child (and the right-most key moves one chunk past it);
//! - a full node (2K children) splits before the insertion: the left part keeps
//!   `floor(2K * ratio)` children, ratio 0.9 for the right-most node of its level, 0.1 for the
//!   left-most, 0.5 otherwise (libhdf5's default split ratios), adjusted so both parts
//!   are non-empty on the side of the insertion; the new node goes right of the old one in
//!   the sibling list;
//! - when the root splits, the root keeps its address: the old root moves to a new address
//!   and a new root of one more level takes its place, with two children.
//!
//! Pure logic: nodes come from `load`, addresses from `alloc` (called in libhdf5's
//! allocation order: split nodes bottom-up, then the moved root).

use std::collections::BTreeMap;

use h5kit_core::{Error, Result, Sizes};

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

/// Result of inserting into one subtree (libhdf5 `H5B_ins_t`).
enum Op {
    Noop,
    /// Insert `child` right of the current child, with left key `md_key`.
    Right { md_key: ChunkKey, child: u64 },
    /// Insert `child` left of the current child, `md_key` the key between them.
    Left { md_key: ChunkKey, child: u64 },
    /// The current child's address changed.
    Change { child: u64 },
}

struct Ins<'a> {
    p: &'a ChunkInsertParams,
    new_key: ChunkKey,
    address: u64,
    nodes: BTreeMap<u64, Node<ChunkKey>>,
    dirty: Vec<u64>,
    new_nodes: Vec<u64>,
    load: &'a mut dyn FnMut(u64) -> Result<Node<ChunkKey>>,
    alloc: &'a mut dyn FnMut(u64) -> Result<u64>,
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
    let mut ins = Ins {
        p,
        new_key,
        address: rec.address,
        nodes: BTreeMap::new(),
        dirty: Vec::new(),
        new_nodes: Vec::new(),
        load,
        alloc,
    };
    let (op, _, _) = ins.helper(root, 0)?;
    if let Op::Right { md_key, child } = op {
        ins.split_root(root, md_key, child)?;
    }
    let mut out = Vec::new();
    for a in ins.new_nodes.iter().chain(ins.dirty.iter().filter(|a| !ins.new_nodes.contains(a))) {
        if let Some(n) = ins.nodes.get(a) {
            out.push(n.clone());
        }
    }
    Ok(InsertOutcome { nodes: out, new_nodes: ins.new_nodes })
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
    fn get(&mut self, a: u64) -> Result<Node<ChunkKey>> {
        if let Some(n) = self.nodes.get(&a) {
            return Ok(n.clone());
        }
        let n = (self.load)(a)?;
        if n.children.len() > 2 * self.p.k as usize || n.keys.len() != n.children.len() + 1 {
            return Err(Error::format(a, "v1 B-tree node does not fit K or its keys"));
        }
        Ok(n)
    }

    fn put(&mut self, n: Node<ChunkKey>) {
        if !self.dirty.contains(&n.address) {
            self.dirty.push(n.address);
        }
        self.nodes.insert(n.address, n);
    }

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
    fn helper(&mut self, addr: u64, depth: u32) -> Result<(Op, Option<ChunkKey>, Option<ChunkKey>)> {
        if depth > 64 {
            return Err(Error::format(addr, "v1 B-tree deeper than 64 levels"));
        }
        let mut bt = self.get(addr)?;
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
            self.put(bt.clone());
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
        // Left and right keys of this subtree, for the parent.
        let mut lt_out = None;
        let mut rt_out = None;
        if lt_changed || rt_changed {
            self.put(bt.clone());
        }
        if lt_changed && idx == 0 {
            lt_out = bt.keys.first().cloned();
        }
        if rt_changed && idx + 1 >= n {
            rt_out = bt.keys.get(idx + 1).cloned();
        }
        let twin = match my_ins {
            Op::Noop => None,
            Op::Change { child } => {
                if let Some(c) = bt.children.get_mut(idx) {
                    *c = child;
                }
                self.put(bt);
                None
            }
            Op::Left { md_key, child } => self.add_child(bt, idx, child, false, md_key)?,
            Op::Right { md_key, child } => self.add_child(bt, idx, child, true, md_key)?,
        };
        match twin {
            Some((md_key, child)) => Ok((Op::Right { md_key, child }, lt_out, rt_out)),
            None => Ok((Op::Noop, lt_out, rt_out)),
        }
    }

    /// Adds `child` beside child `idx` of `bt`, splitting `bt` first when it is full; returns
    /// the new right node's first key and address after a split.
    fn add_child(&mut self, bt: Node<ChunkKey>, idx: usize, child: u64, right: bool, md_key: ChunkKey) -> Result<Option<(ChunkKey, u64)>> {
        if bt.children.len() < 2 * self.p.k as usize {
            let mut bt = bt;
            insert_child(&mut bt, idx, child, right, md_key);
            self.put(bt);
            return Ok(None);
        }
        let (mut left, mut twin) = self.split(bt, idx)?;
        let nleft = left.children.len();
        if idx < nleft {
            insert_child(&mut left, idx, child, right, md_key);
        } else {
            insert_child(&mut twin, idx - nleft, child, right, md_key);
        }
        let first = twin.keys.first().cloned().ok_or_else(|| Error::format(twin.address, "split v1 B-tree node without keys"))?;
        let twin_addr = twin.address;
        self.put(left);
        self.put(twin);
        Ok(Some((first, twin_addr)))
    }

    /// Recurses into child `idx` of `bt`, applying the child's key changes to `bt`'s keys.
    fn descend(&mut self, bt: &mut Node<ChunkKey>, idx: usize, depth: u32, lt_changed: &mut bool, rt_changed: &mut bool) -> Result<Op> {
        let child = *bt.children.get(idx).ok_or_else(|| Error::format(bt.address, "v1 B-tree child missing"))?;
        let (op, lt, rt) = self.helper(child, depth + 1)?;
        // The helper may have rewritten `bt` in the cache only through its own address; it
        // does not touch the parent.
        if let Some(k) = lt {
            if let Some(slot) = bt.keys.get_mut(idx) {
                *slot = k;
            }
            *lt_changed = true;
        }
        if let Some(k) = rt {
            if let Some(slot) = bt.keys.get_mut(idx + 1) {
                *slot = k;
            }
            *rt_changed = true;
        }
        Ok(op)
    }

    /// Splits the full node `old` before inserting at child `idx` (libhdf5 `H5B__split`).
    fn split(&mut self, mut old: Node<ChunkKey>, idx: usize) -> Result<(Node<ChunkKey>, Node<ChunkKey>)> {
        let two_k = 2 * self.p.k as usize;
        let ratio = if old.right_sibling.is_none() {
            self.p.split_ratios[2]
        } else if old.left_sibling.is_none() {
            self.p.split_ratios[0]
        } else {
            self.p.split_ratios[1]
        };
        let mut nleft = ((two_k as f64) * ratio) as usize;
        nleft = nleft.min(two_k);
        if idx < nleft && nleft == two_k {
            nleft -= 1;
        } else if idx >= nleft && nleft == 0 {
            nleft += 1;
        }
        let new_addr = (self.alloc)(self.p.node_size())?;
        self.new_nodes.push(new_addr);
        let twin = Node {
            address: new_addr,
            node_type: old.node_type,
            level: old.level,
            left_sibling: Some(old.address),
            right_sibling: old.right_sibling,
            keys: old.keys.get(nleft..).map(|k| k.to_vec()).unwrap_or_default(),
            children: old.children.get(nleft..).map(|c| c.to_vec()).unwrap_or_default(),
        };
        old.keys.truncate(nleft + 1);
        old.children.truncate(nleft);
        if let Some(r) = old.right_sibling {
            let mut right = self.get(r)?;
            right.left_sibling = Some(new_addr);
            self.put(right);
        }
        old.right_sibling = Some(new_addr);
        Ok((old, twin))
    }

    /// The root split: the old root moves to a new address, the root address gets a node one
    /// level up over the old root and `twin`.
    fn split_root(&mut self, root: u64, md_key: ChunkKey, twin: u64) -> Result<()> {
        let old = self.get(root)?;
        let moved_addr = (self.alloc)(self.p.node_size())?;
        self.new_nodes.push(moved_addr);
        let mut twin_node = self.get(twin)?;
        twin_node.left_sibling = Some(moved_addr);
        let rt_key = twin_node.keys.last().cloned().ok_or_else(|| Error::format(twin, "v1 B-tree node without keys"))?;
        self.put(twin_node);
        let lt_key = old.keys.first().cloned().ok_or_else(|| Error::format(root, "v1 B-tree node without keys"))?;
        let level = old.level.checked_add(1).ok_or_else(|| Error::format(root, "v1 B-tree too deep"))?;
        let mut moved = old.clone();
        moved.address = moved_addr;
        self.put(moved);
        self.put(Node {
            address: root,
            node_type: old.node_type,
            level,
            left_sibling: None,
            right_sibling: None,
            keys: vec![lt_key, md_key, rt_key],
            children: vec![moved_addr, twin],
        });
        Ok(())
    }
}

/// Adds `child` next to child `idx` with the key `md_key` between them (libhdf5
/// `H5B__insert_child`): right of it for `right`, else left of it.
fn insert_child(bt: &mut Node<ChunkKey>, idx: usize, child: u64, right: bool, md_key: ChunkKey) {
    let ki = (idx + 1).min(bt.keys.len());
    bt.keys.insert(ki, md_key);
    let ci = if right { idx + 1 } else { idx }.min(bt.children.len());
    bt.children.insert(ci, child);
}

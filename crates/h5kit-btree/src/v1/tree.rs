//! The v1 B-tree insert machinery shared by chunk trees and group trees (spec III.A.1; libhdf5
//! `H5B__insert_helper`'s second half, `H5B__split`, `H5B__insert_child`, the root move of
//! `H5B_insert`), over a cache of the nodes read and changed.
//!
//! A full node (2K children) splits before an insertion: the left part keeps
//! `floor(2K * ratio)` children, ratio 0.9 for the right-most node of its level, 0.1 for the
//! left-most, 0.5 otherwise (libhdf5's default split ratios), adjusted so that the part
//! receiving the new child is not empty; the new node goes right of the old one in the
//! sibling list. When the root splits it keeps its address: the old root moves to a new
//! address and a new root one level up takes its place, with two children.

use std::collections::BTreeMap;

use h5kit_core::{Error, Result};

use super::Node;

/// Result of inserting into one subtree (libhdf5 `H5B_ins_t`).
pub(crate) enum Op<K> {
    Noop,
    /// Insert `child` right of the current child, with left key `md_key`.
    Right { md_key: K, child: u64 },
    /// Insert `child` left of the current child, `md_key` the key between them.
    Left { md_key: K, child: u64 },
    /// The current child's address changed.
    Change { child: u64 },
}

/// What inserting into a subtree returns: the operation for the parent, and the subtree's
/// new left / right keys when they changed.
pub(crate) type Step<K> = (Op<K>, Option<K>, Option<K>);

pub(crate) struct Tree<'a, K> {
    pub(crate) k: u16,
    pub(crate) node_size: u64,
    pub(crate) split_ratios: [f64; 3],
    pub(crate) nodes: BTreeMap<u64, Node<K>>,
    pub(crate) dirty: Vec<u64>,
    /// Every address allocated (tree nodes and, for groups, symbol table nodes), in order.
    pub(crate) new_nodes: Vec<u64>,
    pub(crate) load: &'a mut dyn FnMut(u64) -> Result<Node<K>>,
    pub(crate) alloc: &'a mut dyn FnMut(u64) -> Result<u64>,
}

impl<K: Clone> Tree<'_, K> {
    pub(crate) fn get(&mut self, a: u64) -> Result<Node<K>> {
        if let Some(n) = self.nodes.get(&a) {
            return Ok(n.clone());
        }
        let n = (self.load)(a)?;
        if n.children.len() > 2 * self.k as usize || n.keys.len() != n.children.len() + 1 {
            return Err(Error::format(a, "v1 B-tree node does not fit K or its keys"));
        }
        Ok(n)
    }

    pub(crate) fn put(&mut self, n: Node<K>) {
        if !self.dirty.contains(&n.address) {
            self.dirty.push(n.address);
        }
        self.nodes.insert(n.address, n);
    }

    pub(crate) fn allocate(&mut self, size: u64) -> Result<u64> {
        let a = (self.alloc)(size)?;
        self.new_nodes.push(a);
        Ok(a)
    }

    /// The changed and new tree nodes, new ones first in allocation order, taken out of the
    /// insert's cache (moved, not copied: the insert is over).
    pub(crate) fn changed(&mut self) -> Vec<Node<K>> {
        let mut out = Vec::with_capacity(self.new_nodes.len() + self.dirty.len());
        for a in self.new_nodes.iter().chain(self.dirty.iter().filter(|a| !self.new_nodes.contains(a))) {
            if let Some(n) = self.nodes.remove(a) {
                out.push(n);
            }
        }
        out
    }

    /// Applies the key changes child `idx` reported to `bt`'s keys around it.
    pub(crate) fn apply_child_keys(bt: &mut Node<K>, idx: usize, lt: Option<K>, rt: Option<K>, changed: &mut (bool, bool)) {
        if let Some(k) = lt {
            if let Some(slot) = bt.keys.get_mut(idx) {
                *slot = k;
            }
            changed.0 = true;
        }
        if let Some(k) = rt {
            if let Some(slot) = bt.keys.get_mut(idx + 1) {
                *slot = k;
            }
            changed.1 = true;
        }
    }

    /// The end of `H5B__insert_helper`: stores `bt` when its keys changed, reports its new
    /// left / right keys (when child `idx` is its first / last), and applies the operation on
    /// child `idx`, splitting `bt` when it is full.
    pub(crate) fn finish_node(&mut self, bt: Node<K>, idx: usize, my_ins: Op<K>, changed: (bool, bool)) -> Result<Step<K>> {
        let n = bt.children.len();
        if changed.0 || changed.1 {
            self.put(bt.clone());
        }
        let lt_out = if changed.0 && idx == 0 { bt.keys.first().cloned() } else { None };
        let rt_out = if changed.1 && idx + 1 >= n { bt.keys.get(idx + 1).cloned() } else { None };
        let twin = match my_ins {
            Op::Noop => None,
            Op::Change { child } => {
                let mut bt = bt;
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
    fn add_child(&mut self, bt: Node<K>, idx: usize, child: u64, right: bool, md_key: K) -> Result<Option<(K, u64)>> {
        if bt.children.len() < 2 * self.k as usize {
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

    /// Splits the full node `old` before inserting at child `idx` (libhdf5 `H5B__split`).
    fn split(&mut self, mut old: Node<K>, idx: usize) -> Result<(Node<K>, Node<K>)> {
        let two_k = 2 * self.k as usize;
        let ratio = if old.right_sibling.is_none() {
            self.split_ratios[2]
        } else if old.left_sibling.is_none() {
            self.split_ratios[0]
        } else {
            self.split_ratios[1]
        };
        let mut nleft = ((two_k as f64) * ratio) as usize;
        nleft = nleft.min(two_k);
        if idx < nleft && nleft == two_k {
            nleft -= 1;
        } else if idx >= nleft && nleft == 0 {
            nleft += 1;
        }
        let new_addr = self.allocate(self.node_size)?;
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
    pub(crate) fn split_root(&mut self, root: u64, md_key: K, twin: u64) -> Result<()> {
        let old = self.get(root)?;
        let moved_addr = self.allocate(self.node_size)?;
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
fn insert_child<K>(bt: &mut Node<K>, idx: usize, child: u64, right: bool, md_key: K) {
    let ki = (idx + 1).min(bt.keys.len());
    bt.keys.insert(ki, md_key);
    let ci = if right { idx + 1 } else { idx }.min(bt.children.len());
    bt.children.insert(ci, child);
}

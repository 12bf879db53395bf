//! Inserting a link into an old-style group: a symbol table entry into the group's type-0 v1
//! B-tree (spec III.A.1) and its symbol table nodes (spec III.B), as libhdf5 does
//! (`H5B_insert` with the group callbacks of `H5Gnode.c`):
//!
//! - keys are local heap offsets of names; a name belongs to child `i` when
//!   `name(key[i]) < name <= name(key[i+1])`; a name before or after every key goes to the
//!   first or last child (the tree follows its minimum and maximum branches);
//! - in the symbol table node the entry goes in name order (an equal name is an error); when
//!   it becomes the node's last entry, the key right of the node becomes its name;
//! - a full node (2K entries, K = "Group Leaf Node K") splits first: K entries stay, K move to
//!   a new node right of it, the key between them is the last name left; then the entry goes
//!   into its half;
//! - tree nodes split and the root moves as in [`super::tree`] (K = "Group Internal Node K").
//!
//! Pure logic: the caller has put the name into the local heap (the entry's
//! `link_name_offset`) and gives the names of existing offsets through `name_of`; nodes come
//! from the loaders, addresses from `alloc` (a new symbol table node, then tree nodes, in
//! libhdf5's order).

use std::collections::BTreeMap;

use h5kit_core::{Error, Result, Sizes};
use h5kit_superblock::SymbolTableEntry;

use super::tree::{Op, Step, Tree};
use super::{Node, SymbolTableNode};

/// What a group tree insert needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInsertParams {
    /// "Group Internal Node K" (tree nodes hold 2K children).
    pub internal_k: u16,
    /// "Group Leaf Node K" (symbol table nodes hold 2K entries).
    pub leaf_k: u16,
    pub split_ratios: [f64; 3],
    pub sizes: Sizes,
}

impl GroupInsertParams {
    pub fn new(internal_k: u16, leaf_k: u16, sizes: Sizes) -> GroupInsertParams {
        GroupInsertParams { internal_k, leaf_k, split_ratios: [0.1, 0.5, 0.9], sizes }
    }
}

/// What a group insert wrote: changed or new tree nodes and symbol table nodes, and the
/// addresses allocated, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInsertOutcome {
    pub tree_nodes: Vec<Node<u64>>,
    /// (address, node) of every changed or new symbol table node.
    pub symbol_nodes: Vec<(u64, SymbolTableNode)>,
    pub new_nodes: Vec<u64>,
}

/// Loads a symbol table node.
pub type LoadSymbolNode<'a> = dyn FnMut(u64) -> Result<SymbolTableNode> + 'a;

struct Ins<'a> {
    t: Tree<'a, u64>,
    p: &'a GroupInsertParams,
    entry: SymbolTableEntry,
    name: &'a [u8],
    name_of: &'a dyn Fn(u64) -> Result<Vec<u8>>,
    load_snod: &'a mut LoadSymbolNode<'a>,
    snods: BTreeMap<u64, SymbolTableNode>,
    snod_dirty: Vec<u64>,
}

/// Inserts `entry` (named `name`) into the group whose B-tree root is at `root`.
#[allow(clippy::too_many_arguments)]
pub fn insert_symbol<'a>(
    root: u64,
    entry: SymbolTableEntry,
    name: &'a [u8],
    name_of: &'a dyn Fn(u64) -> Result<Vec<u8>>,
    p: &'a GroupInsertParams,
    load_tree: &'a mut dyn FnMut(u64) -> Result<Node<u64>>,
    load_snod: &'a mut LoadSymbolNode<'a>,
    alloc: &'a mut dyn FnMut(u64) -> Result<u64>,
) -> Result<GroupInsertOutcome> {
    if p.internal_k == 0 || p.leaf_k == 0 {
        return Err(Error::usage("group B-tree K values must be positive"));
    }
    let t = Tree {
        k: p.internal_k,
        node_size: Node::<u64>::encoded_size(p.sizes, p.internal_k, ()),
        split_ratios: p.split_ratios,
        nodes: BTreeMap::new(),
        dirty: Vec::new(),
        new_nodes: Vec::new(),
        load: load_tree,
        alloc,
    };
    let mut ins = Ins { t, p, entry, name, name_of, load_snod, snods: BTreeMap::new(), snod_dirty: Vec::new() };
    let (op, _, _) = ins.helper(root, 0)?;
    if let Op::Right { md_key, child } = op {
        ins.t.split_root(root, md_key, child)?;
    }
    // Moved out of the insert's cache (the insert is over), not copied.
    let mut snods = std::mem::take(&mut ins.snods);
    let symbol_nodes = ins
        .t
        .new_nodes
        .iter()
        .chain(ins.snod_dirty.iter().filter(|a| !ins.t.new_nodes.contains(a)))
        .filter_map(|a| snods.remove(a).map(|n| (*a, n)))
        .collect();
    Ok(GroupInsertOutcome { tree_nodes: ins.t.changed(), symbol_nodes, new_nodes: ins.t.new_nodes })
}

impl Ins<'_> {
    /// libhdf5 `H5G__node_cmp3`: -1 when the name is at or before `lt`'s, 1 after `rt`'s.
    fn cmp3(&self, lt: u64, rt: u64) -> Result<i32> {
        if self.name <= (self.name_of)(lt)?.as_slice() {
            return Ok(-1);
        }
        if self.name > (self.name_of)(rt)?.as_slice() {
            return Ok(1);
        }
        Ok(0)
    }

    fn snod(&mut self, a: u64) -> Result<SymbolTableNode> {
        if let Some(n) = self.snods.get(&a) {
            return Ok(n.clone());
        }
        (self.load_snod)(a)
    }

    fn put_snod(&mut self, a: u64, n: SymbolTableNode) {
        if !self.snod_dirty.contains(&a) {
            self.snod_dirty.push(a);
        }
        self.snods.insert(a, n);
    }

    fn helper(&mut self, addr: u64, depth: u32) -> Result<Step<u64>> {
        if depth > 64 {
            return Err(Error::format(addr, "v1 B-tree deeper than 64 levels"));
        }
        let mut bt = self.t.get(addr)?;
        let n = bt.children.len();
        let (mut lt, mut rt, mut idx, mut cmp) = (0usize, n, 0usize, -1i32);
        while lt < rt && cmp != 0 {
            idx = (lt + rt) / 2;
            let (Some(&l), Some(&r)) = (bt.keys.get(idx), bt.keys.get(idx + 1)) else { break };
            cmp = self.cmp3(l, r)?;
            if cmp < 0 {
                rt = idx;
            } else {
                lt = idx + 1;
            }
        }
        let mut changed = (false, false);
        let my_ins;
        if n == 0 {
            if bt.level != 0 {
                return Err(Error::format(addr, "empty v1 B-tree node above the leaves"));
            }
            // A first symbol table node, keys both at the empty name (offset 0).
            let snod = self.t.allocate(SymbolTableNode::encoded_size(self.p.sizes, self.p.leaf_k))?;
            self.put_snod(snod, SymbolTableNode { entries: Vec::new() });
            bt.keys = vec![0, 0];
            bt.children = vec![snod];
            self.t.put(bt.clone());
            idx = 0;
            my_ins = self.leaf_insert(&mut bt, idx, &mut changed)?;
        } else if cmp < 0 && idx == 0 && bt.level > 0 {
            my_ins = self.descend(&mut bt, 0, depth, &mut changed)?;
        } else if cmp < 0 && idx == 0 {
            my_ins = self.leaf_insert(&mut bt, 0, &mut changed)?;
        } else if cmp > 0 && idx + 1 >= n {
            idx = n - 1;
            my_ins = if bt.level > 0 {
                self.descend(&mut bt, idx, depth, &mut changed)?
            } else {
                self.leaf_insert(&mut bt, idx, &mut changed)?
            };
        } else if cmp != 0 {
            return Err(Error::format(addr, "group B-tree keys are out of order"));
        } else if bt.level > 0 {
            my_ins = self.descend(&mut bt, idx, depth, &mut changed)?;
        } else {
            my_ins = self.leaf_insert(&mut bt, idx, &mut changed)?;
        }
        self.t.finish_node(bt, idx, my_ins, changed)
    }

    fn descend(&mut self, bt: &mut Node<u64>, idx: usize, depth: u32, changed: &mut (bool, bool)) -> Result<Op<u64>> {
        let child = *bt.children.get(idx).ok_or_else(|| Error::format(bt.address, "v1 B-tree child missing"))?;
        let (op, lt, rt) = self.helper(child, depth + 1)?;
        Tree::apply_child_keys(bt, idx, lt, rt, changed);
        Ok(op)
    }

    /// libhdf5 `H5G__node_insert`: the entry into the symbol table node of child `idx`.
    fn leaf_insert(&mut self, bt: &mut Node<u64>, idx: usize, changed: &mut (bool, bool)) -> Result<Op<u64>> {
        let a = *bt.children.get(idx).ok_or_else(|| Error::format(bt.address, "v1 B-tree child missing"))?;
        let mut sn = self.snod(a)?;
        let (mut lo, mut hi) = (0usize, sn.entries.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let off = sn.entries.get(mid).map(|e| e.link_name_offset).unwrap_or(0);
            match self.name.cmp((self.name_of)(off)?.as_slice()) {
                std::cmp::Ordering::Equal => return Err(Error::usage("the name is already in the group")),
                std::cmp::Ordering::Less => hi = mid,
                std::cmp::Ordering::Greater => lo = mid + 1,
            }
        }
        let mut pos = lo;
        let k = self.p.leaf_k as usize;
        let new_off = self.entry.link_name_offset;
        let mut set_rt = |bt: &mut Node<u64>| {
            if let Some(key) = bt.keys.get_mut(idx + 1) {
                *key = new_off;
            }
            changed.1 = true;
        };
        if sn.entries.len() > 2 * k {
            return Err(Error::format(a, format!("symbol table node holds {} entries, K = {} allows {}", sn.entries.len(), k, 2 * k)));
        }
        if sn.entries.len() == 2 * k {
            let right_addr = self.t.allocate(SymbolTableNode::encoded_size(self.p.sizes, self.p.leaf_k))?;
            let mut right = SymbolTableNode { entries: sn.entries.split_off(k) };
            let mut md_key = sn.entries.last().map(|e| e.link_name_offset).unwrap_or(0);
            if pos <= k {
                if pos == k {
                    md_key = new_off;
                }
                sn.entries.insert(pos, self.entry);
            } else {
                pos -= k;
                if pos == k {
                    set_rt(bt);
                }
                right.entries.insert(pos.min(right.entries.len()), self.entry);
            }
            self.put_snod(a, sn);
            self.put_snod(right_addr, right);
            return Ok(Op::Right { md_key, child: right_addr });
        }
        if pos == sn.entries.len() {
            set_rt(bt);
        }
        sn.entries.insert(pos, self.entry);
        self.put_snod(a, sn);
        Ok(Op::Noop)
    }
}

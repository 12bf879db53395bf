//! Copy-on-write for v1 B-trees (spec III.A.1) and symbol table nodes (III.B): a node that
//! the file committed at the last flush and that changes now moves to new space, and its
//! parent points at the new copy (so the parent changes too, and moves, up to the tree's
//! root, whose address others hold and which is rewritten in place). A flush then switches a
//! whole tree change (a node split moves entries between two nodes) with the one write of
//! the root: a process killed before it leaves the old tree, after it the new one.
//!
//! Sibling addresses of moved nodes are updated in their neighbours in place: readers never
//! follow them, and until those writes land a neighbour names the old copy, which stays
//! intact (freed space is reused only after the flush commits).

use std::collections::BTreeSet;

use h5kit_btree::v1::{read_chunk_node, read_group_node, ChunkKey, Node, SymbolTableNode};
use h5kit_core::{Error, Result};

use super::{Cached, Editor};

/// Deepest tree searched for a parent.
const MAX_DEPTH: usize = 64;

/// Which tree: a group's (nodes of type 0 over symbol table nodes) or a dataset's chunk tree
/// (type 1, of the given rank).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Tree {
    Group { root: u64 },
    Chunk { root: u64, rank: usize },
}

impl Tree {
    fn root(&self) -> u64 {
        match *self {
            Tree::Group { root } | Tree::Chunk { root, .. } => root,
        }
    }
}

impl Editor {
    /// (level, children) of tree node `a`.
    pub(super) fn tree_node(&mut self, tree: Tree, a: u64) -> Result<(u8, Vec<u64>)> {
        match tree {
            Tree::Group { .. } => {
                if !self.group_nodes.contains_key(&a) {
                    let n = read_group_node(self.ctx(), a)?;
                    self.group_nodes.insert(a, Cached { value: n, dirty: false });
                }
                let n = &self.group_nodes.get(&a).ok_or_else(|| Error::usage("internal error: group node cache"))?.value;
                Ok((n.level, n.children.clone()))
            }
            Tree::Chunk { rank, .. } => {
                if !self.chunk_nodes.contains_key(&a) {
                    let n = read_chunk_node(self.ctx(), a, rank)?;
                    self.chunk_nodes.insert(a, Cached { value: n, dirty: false });
                }
                let n = &self.chunk_nodes.get(&a).ok_or_else(|| Error::usage("internal error: chunk node cache"))?.value;
                Ok((n.level, n.children.clone()))
            }
        }
    }

    /// The tree node whose children include `child` (a tree node or, in a group tree, a
    /// symbol table node).
    fn parent_of(&mut self, tree: Tree, child: u64) -> Result<u64> {
        let mut todo = vec![(tree.root(), 0usize)];
        while let Some((a, depth)) = todo.pop() {
            if depth > MAX_DEPTH {
                return Err(Error::format(a, "v1 B-tree deeper than 64 levels"));
            }
            let (level, children) = self.tree_node(tree, a)?;
            if children.contains(&child) {
                return Ok(a);
            }
            if level > 0 {
                todo.extend(children.into_iter().map(|c| (c, depth + 1)));
            }
        }
        Err(Error::format(child, "internal error: a changed B-tree node has no parent in its tree"))
    }

    /// Moves every node of `changed` (addresses of nodes changed since the last flush) that
    /// the committed file holds, except the root, to new space; parents follow, up to the root.
    pub(crate) fn relocate(&mut self, tree: Tree, changed: &[u64]) -> Result<()> {
        let root = tree.root();
        // Symbol table nodes first (level -1), then tree nodes by level.
        let mut work: BTreeSet<(i32, u64)> = BTreeSet::new();
        for &a in changed {
            if a == root || self.is_fresh(a) {
                continue;
            }
            let level = match tree {
                Tree::Group { .. } if self.snods.contains_key(&a) && !self.group_nodes.contains_key(&a) => -1,
                _ => i32::from(self.tree_node(tree, a)?.0),
            };
            work.insert((level, a));
        }
        while let Some((level, a)) = work.pop_first() {
            if a == root || self.is_fresh(a) {
                continue;
            }
            let parent = self.parent_of(tree, a)?;
            let moved = self.move_node(tree, level, a)?;
            self.set_child(tree, parent, a, moved)?;
            if parent != root && !self.is_fresh(parent) {
                let (plevel, _) = self.tree_node(tree, parent)?;
                work.insert((i32::from(plevel), parent));
            }
        }
        Ok(())
    }

    /// Moves node `a` to new space; returns the new address.
    fn move_node(&mut self, tree: Tree, level: i32, a: u64) -> Result<u64> {
        let sizes = self.sizes;
        if level < 0 {
            let len = SymbolTableNode::encoded_size(sizes, self.sb.group_leaf_k);
            let to = self.allocate(len)?;
            let c = self.snods.remove(&a).ok_or_else(|| Error::usage("internal error: symbol table node not cached"))?;
            self.snods.insert(to, Cached { value: c.value, dirty: true });
            self.space.free(a, len);
            return Ok(to);
        }
        let (to, siblings) = match tree {
            Tree::Group { .. } => {
                let len = Node::<u64>::encoded_size(sizes, self.sb.group_internal_k, ());
                let to = self.allocate(len)?;
                let mut c = self.group_nodes.remove(&a).ok_or_else(|| Error::usage("internal error: group node not cached"))?;
                c.value.address = to;
                c.dirty = true;
                let siblings = (c.value.left_sibling, c.value.right_sibling);
                self.group_nodes.insert(to, c);
                self.space.free(a, len);
                (to, siblings)
            }
            Tree::Chunk { rank, .. } => {
                let len = Node::<ChunkKey>::encoded_size(sizes, self.chunk_k(), rank);
                let to = self.allocate(len)?;
                let mut c = self.chunk_nodes.remove(&a).ok_or_else(|| Error::usage("internal error: chunk node not cached"))?;
                c.value.address = to;
                c.dirty = true;
                let siblings = (c.value.left_sibling, c.value.right_sibling);
                self.chunk_nodes.insert(to, c);
                self.space.free(a, len);
                (to, siblings)
            }
        };
        self.fix_siblings(tree, siblings, a, to)?;
        Ok(to)
    }

    /// Points the neighbours of a node moved from `from` to `to` at its new address.
    fn fix_siblings(&mut self, tree: Tree, (left, right): (Option<u64>, Option<u64>), from: u64, to: u64) -> Result<()> {
        for (s, is_left) in [(left, true), (right, false)] {
            let Some(s) = s else { continue };
            self.tree_node(tree, s)?;
            match tree {
                Tree::Group { .. } => {
                    if let Some(c) = self.group_nodes.get_mut(&s) {
                        let field = if is_left { &mut c.value.right_sibling } else { &mut c.value.left_sibling };
                        if *field == Some(from) {
                            *field = Some(to);
                            c.dirty = true;
                        }
                    }
                }
                Tree::Chunk { .. } => {
                    if let Some(c) = self.chunk_nodes.get_mut(&s) {
                        let field = if is_left { &mut c.value.right_sibling } else { &mut c.value.left_sibling };
                        if *field == Some(from) {
                            *field = Some(to);
                            c.dirty = true;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Replaces child address `from` by `to` in tree node `parent`.
    fn set_child(&mut self, tree: Tree, parent: u64, from: u64, to: u64) -> Result<()> {
        self.tree_node(tree, parent)?;
        let children = match tree {
            Tree::Group { .. } => self.group_nodes.get_mut(&parent).map(|c| {
                c.dirty = true;
                &mut c.value.children
            }),
            Tree::Chunk { .. } => self.chunk_nodes.get_mut(&parent).map(|c| {
                c.dirty = true;
                &mut c.value.children
            }),
        };
        let children = children.ok_or_else(|| Error::usage("internal error: parent not cached"))?;
        for c in children.iter_mut().filter(|c| **c == from) {
            *c = to;
        }
        Ok(())
    }
}

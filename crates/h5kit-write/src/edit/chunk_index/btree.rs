//! The version 2 B-tree chunk index (spec III.A.2, record types 10/11) kept by the editor as
//! the nodes it wrote, changed copy-on-write at each flush.
//!
//! Changed records go in by libhdf5's `H5B2_update` (`h5kit_btree::v2`, nodes handed to it
//! from the editor's copy), so a flush touches the leaves that receive them, the nodes a
//! split or redistribution changes and their ancestors. Nodes are not tied to their header,
//! so every changed node that an earlier flush wrote moves to new space (its parent, which
//! then changes, moves too, up to the root), and a new header goes into new space: the
//! object header's one write of the layout message switches the dataset to it. Nodes outside
//! the changed paths keep their addresses. The superseded nodes and header are freed after
//! the commit (never reused in SWMR mode).

use std::collections::{HashMap, HashSet};

use h5kit_btree::v2::{BTreeV2, ChunkParams, Node, Record};
use h5kit_core::{Error, Result, Writer};

use super::Owned;
use crate::edit::Editor;

/// A v2 B-tree as this editor wrote it: its header and every node by address.
#[derive(Debug, Clone)]
pub(crate) struct Bt2Image {
    hdr: BTreeV2,
    chunk: ChunkParams,
    nodes: HashMap<u64, Node>,
}

/// Orders chunk records by their scaled offsets (libhdf5 `H5D__bt2_compare`).
fn cmp(a: &Record, b: &Record) -> std::cmp::Ordering {
    match (a, b) {
        (Record::Chunk(x), Record::Chunk(y)) => x.scaled_offsets.cmp(&y.scaled_offsets),
        _ => std::cmp::Ordering::Equal,
    }
}

impl Bt2Image {
    /// An empty tree (its header goes into new space at the first update).
    pub fn new(hdr: BTreeV2, chunk: ChunkParams) -> Bt2Image {
        Bt2Image { hdr, chunk, nodes: HashMap::new() }
    }

    pub fn address(&self) -> u64 {
        self.hdr.address
    }
}

impl Editor {
    /// Puts `records` (new or changed, in key order) into the tree of `img`: changed nodes
    /// written by earlier flushes move to new space with their ancestors, then the header
    /// goes to new space (the caller points the layout message at [`Bt2Image::address`]).
    /// `owned` holds the extents of the tree's nodes and header (superseded ones are freed).
    /// `false` (nothing written; `img` to be dropped) when the tree would then hold another
    /// number of records than `expect`.
    pub(crate) fn update_btree_index(&mut self, img: &mut Bt2Image, records: Vec<Record>, owned: &mut Owned, expect: Option<u64>) -> Result<bool> {
        let sizes = self.sizes;
        let mut new: HashSet<u64> = HashSet::new();
        let mut modified: HashSet<u64> = HashSet::new();
        for rec in records {
            let out = {
                let nodes = &img.nodes;
                let mut load = |a: u64, _level: u16, _nrec: u64| -> Result<Node> {
                    nodes.get(&a).cloned().ok_or_else(|| Error::usage("internal error: v2 B-tree node not in the editor's copy"))
                };
                let Editor { space, fresh, .. } = self;
                let mut alloc = |n: u64| -> Result<u64> {
                    let a = space.allocate(n)?;
                    fresh.insert(a, n);
                    owned.insert(a, n);
                    new.insert(a);
                    Ok(a)
                };
                img.hdr.update(rec, &cmp, &mut load, &mut alloc)?
            };
            img.hdr = out.header;
            for (a, n) in out.nodes {
                img.nodes.insert(a, n);
                modified.insert(a);
            }
        }
        if expect.is_some_and(|n| n != img.hdr.total_records) {
            return Ok(false);
        }
        // Copy-on-write of the changed nodes the file holds, from the leaves up.
        let mut to_write = Vec::new();
        if let Some(root) = img.hdr.root_address {
            if let Some(r) = self.relocate_node(img, root, &new, &modified, owned, &mut to_write)? {
                img.hdr.root_address = Some(r);
            }
        }
        for a in to_write {
            let n = img.nodes.get(&a).ok_or_else(|| Error::usage("internal error: v2 B-tree node lost"))?;
            let mut w = Writer::new(a, sizes);
            n.encode(&mut w, &img.hdr, Some(img.chunk))?;
            self.write_now(a, &w.into_inner())?;
        }
        // A new header (nothing in the tree names it); the old one is freed after the commit.
        let len = BTreeV2::encoded_size(sizes);
        let at = self.allocate(len)?;
        let old = std::mem::replace(&mut img.hdr.address, at);
        if old != at {
            self.free_block(old, owned);
        }
        owned.insert(at, len);
        let mut w = Writer::new(at, sizes);
        img.hdr.encode(&mut w)?;
        self.write_now(at, &w.into_inner())?;
        Ok(true)
    }

    /// The node at `a` (and its subtree) after this flush's changes: `Some(address)` when it
    /// is to be written (a node of this flush where it is, a changed one of the file's at a
    /// new address), `None` when neither it nor anything below changed.
    fn relocate_node(
        &mut self,
        img: &mut Bt2Image,
        a: u64,
        new: &HashSet<u64>,
        modified: &HashSet<u64>,
        owned: &mut Owned,
        to_write: &mut Vec<u64>,
    ) -> Result<Option<u64>> {
        let Some(node) = img.nodes.get(&a) else { return Ok(None) };
        let children: Vec<u64> = if node.level > 0 { node.children.iter().map(|c| c.address).collect() } else { Vec::new() };
        let mut changed = modified.contains(&a) || new.contains(&a);
        for (i, c) in children.into_iter().enumerate() {
            if let Some(n) = self.relocate_node(img, c, new, modified, owned, to_write)? {
                changed = true;
                if n != c {
                    if let Some(p) = img.nodes.get_mut(&a).and_then(|node| node.children.get_mut(i)) {
                        p.address = n;
                    }
                }
            }
        }
        if !changed {
            return Ok(None);
        }
        if new.contains(&a) {
            to_write.push(a);
            return Ok(Some(a));
        }
        let len = u64::from(img.hdr.node_size);
        let n = self.allocate(len)?;
        owned.insert(n, len);
        if let Some(node) = img.nodes.remove(&a) {
            img.nodes.insert(n, node);
        }
        self.free_block(a, owned);
        to_write.push(n);
        Ok(Some(n))
    }
}

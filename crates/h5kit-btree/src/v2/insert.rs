//! Inserting a record into a version 2 B-tree (spec III.A.2) as libhdf5 does (`H5B2_insert`,
//! `H5B2__insert_internal`, `H5B2__insert_leaf`, `H5B2__split1`, `H5B2__split_root`,
//! `H5B2__redistribute2`, `H5B2__redistribute3`):
//!
//! - an empty tree gets a leaf root;
//! - a root holding "split" records (`max records * Split Percent / 100`) splits first: a new
//!   internal root one level up over the old root, whose middle record moves up;
//! - descending, a child holding "split" records first shares records with a sibling that
//!   has room (the left-most / right-most child with its one neighbour, a middle child with
//!   both), else splits in two around its middle record;
//! - the record goes into its leaf in key order (an equal record is an error).
//!
//! Pure logic: nodes come from `load(address, level, nrec)`, addresses from `alloc(size)`
//! (called in libhdf5's order: a new root, then split nodes top-down).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use h5kit_core::{Error, Result};

use super::{BTreeV2, ChildPointer, Node, Record};

/// What an insert changed: the new header values and every node to write (new ones in
/// allocation order first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertOutcome {
    /// The header with the new depth, root and record counts.
    pub header: BTreeV2,
    /// (address, node) of every changed or new node.
    pub nodes: Vec<(u64, Node)>,
    /// Addresses allocated by this insert, in order.
    pub new_nodes: Vec<u64>,
}

/// A node loader: `(address, level, number of records)`.
pub type LoadNode<'a> = dyn FnMut(u64, u16, u64) -> Result<Node> + 'a;

impl BTreeV2 {
    /// Records of a node of `level` at which libhdf5 splits or redistributes it:
    /// `max_nrec * Split Percent / 100` (`H5B2__hdr_init`).
    pub fn split_records(&self, level: u16) -> Option<u64> {
        self.node_info(level).map(|l| l.max_nrec * self.split_percent as u64 / 100)
    }

    /// Records below which libhdf5 merges a node: `max_nrec * Merge Percent / 100`.
    pub fn merge_records(&self, level: u16) -> Option<u64> {
        self.node_info(level).map(|l| l.max_nrec * self.merge_percent as u64 / 100)
    }

    /// Inserts or replaces `record` as libhdf5's `H5B2_update` does (what the chunk indexes
    /// use): an equal record is replaced in place; a new one goes into its leaf without any
    /// restructuring unless that leaf is full, in which case the insert algorithm runs from
    /// the lowest ancestor that is not itself about to split (`H5B2__update_internal`).
    pub fn update(
        &self,
        record: Record,
        cmp: &dyn Fn(&Record, &Record) -> Ordering,
        load: &mut LoadNode,
        alloc: &mut dyn FnMut(u64) -> Result<u64>,
    ) -> Result<InsertOutcome> {
        let mut ins = Ins { hdr: self.clone(), cmp, load, alloc, nodes: BTreeMap::new(), dirty: Vec::new(), new_nodes: Vec::new() };
        match ins.hdr.root_address {
            None => ins.run(record)?,
            Some(root) => {
                let (depth, nrec) = (ins.hdr.depth, ins.hdr.root_records as u64);
                match ins.update_node(root, depth, nrec, &record)? {
                    Update::Modified => {}
                    Update::Inserted(n) => {
                        ins.hdr.root_records = u16::try_from(n).map_err(|_| Error::usage("v2 B-tree root too large"))?;
                        ins.hdr.total_records = ins.hdr.total_records.saturating_add(1);
                    }
                    Update::ChildFull => ins.run(record)?,
                }
            }
        }
        Ok(ins.finish())
    }

    /// Inserts `record` as libhdf5's `H5B2_insert` does (links, attributes, huge objects):
    /// full nodes on the way down split or share records first. `cmp(a, b)` orders records
    /// by key; an equal record is an error.
    pub fn insert(
        &self,
        record: Record,
        cmp: &dyn Fn(&Record, &Record) -> Ordering,
        load: &mut LoadNode,
        alloc: &mut dyn FnMut(u64) -> Result<u64>,
    ) -> Result<InsertOutcome> {
        let mut ins = Ins { hdr: self.clone(), cmp, load, alloc, nodes: BTreeMap::new(), dirty: Vec::new(), new_nodes: Vec::new() };
        ins.run(record)?;
        Ok(ins.finish())
    }
}

/// What `H5B2__update_*` reports to the parent.
enum Update {
    Modified,
    /// Inserted; the node now has this many records.
    Inserted(u64),
    /// The leaf on the path is full: the caller inserts with splits.
    ChildFull,
}

struct Ins<'a, 'l> {
    hdr: BTreeV2,
    cmp: &'a dyn Fn(&Record, &Record) -> Ordering,
    load: &'a mut LoadNode<'l>,
    alloc: &'a mut dyn FnMut(u64) -> Result<u64>,
    nodes: BTreeMap<u64, Node>,
    dirty: Vec<u64>,
    new_nodes: Vec<u64>,
}

/// Records in a subtree: its own plus its children's totals.
fn subtree_total(n: &Node) -> u64 {
    n.records.len() as u64 + n.children.iter().map(|c| c.total_records).sum::<u64>()
}

impl Ins<'_, '_> {
    fn finish(self) -> InsertOutcome {
        let mut nodes = Vec::new();
        for a in self.new_nodes.iter().chain(self.dirty.iter().filter(|a| !self.new_nodes.contains(a))) {
            if let Some(n) = self.nodes.get(a) {
                nodes.push((*a, n.clone()));
            }
        }
        InsertOutcome { header: self.hdr, nodes, new_nodes: self.new_nodes }
    }

    /// Position of `rec` among `records`: `Ok(i)` when equal to record `i`, else `Err(i)`
    /// the insertion point.
    fn search(&self, records: &[Record], rec: &Record) -> std::result::Result<usize, usize> {
        records.binary_search_by(|r| (self.cmp)(r, rec))
    }

    fn update_node(&mut self, a: u64, level: u16, nrec: u64, record: &Record) -> Result<Update> {
        let mut node = self.get(a, level, nrec)?;
        let idx = match self.search(&node.records, record) {
            Ok(i) => {
                if let Some(r) = node.records.get_mut(i) {
                    *r = record.clone();
                }
                self.put(a, node);
                return Ok(Update::Modified);
            }
            Err(i) => i,
        };
        if level == 0 {
            if nrec >= self.split_nrec(0)? {
                return Ok(Update::ChildFull);
            }
            node.records.insert(idx, record.clone());
            let n = node.records.len() as u64;
            self.put(a, node);
            return Ok(Update::Inserted(n));
        }
        let c = *node.children.get(idx).ok_or_else(|| Error::format(a, "v2 B-tree child missing"))?;
        match self.update_node(c.address, level - 1, c.nrec, record)? {
            Update::Modified => Ok(Update::Modified),
            Update::Inserted(n) => {
                if let Some(p) = node.children.get_mut(idx) {
                    p.nrec = n;
                    p.total_records = if level == 1 { n } else { p.total_records.saturating_add(1) };
                }
                let n = node.records.len() as u64;
                self.put(a, node);
                Ok(Update::Inserted(n))
            }
            Update::ChildFull => {
                let split = self.split_nrec(level - 1)?;
                let pair = |i: usize, j: usize| {
                    node.children.get(i).map(|c| c.nrec).unwrap_or(0) + node.children.get(j).map(|c| c.nrec).unwrap_or(0)
                        >= (2 * split).saturating_sub(1)
                };
                let last = node.records.len();
                let could_split = if idx == 0 {
                    pair(0, 1)
                } else if idx == last {
                    pair(idx - 1, idx)
                } else {
                    pair(idx - 1, idx) || pair(idx, idx + 1)
                };
                if nrec >= self.split_nrec(level)? && could_split {
                    return Ok(Update::ChildFull);
                }
                let n = self.insert_into(a, level, nrec, record.clone())?;
                Ok(Update::Inserted(n))
            }
        }
    }

    fn get(&mut self, a: u64, level: u16, nrec: u64) -> Result<Node> {
        if let Some(n) = self.nodes.get(&a) {
            return Ok(n.clone());
        }
        let n = (self.load)(a, level, nrec)?;
        let children = if level > 0 { n.records.len() + 1 } else { 0 };
        if n.level != level || n.records.len() as u64 != nrec || n.children.len() != children {
            return Err(Error::format(a, format!("v2 B-tree node is not of level {} with {} records", level, nrec)));
        }
        Ok(n)
    }

    fn put(&mut self, a: u64, n: Node) {
        if !self.dirty.contains(&a) {
            self.dirty.push(a);
        }
        self.nodes.insert(a, n);
    }

    fn new_address(&mut self) -> Result<u64> {
        let a = (self.alloc)(self.hdr.node_size as u64)?;
        self.new_nodes.push(a);
        Ok(a)
    }

    fn split_nrec(&self, level: u16) -> Result<u64> {
        self.hdr.split_records(level).ok_or_else(|| Error::format(self.hdr.address, format!("v2 B-tree has no level {}", level)))
    }

    /// Index of the first record not less than `rec`; an equal record is an error.
    fn locate(&self, records: &[Record], rec: &Record) -> Result<usize> {
        let mut lo = 0;
        let mut hi = records.len();
        while lo < hi {
            let mid = (lo + hi) / 2;
            let Some(r) = records.get(mid) else { break };
            match (self.cmp)(rec, r) {
                Ordering::Less => hi = mid,
                Ordering::Greater => lo = mid + 1,
                Ordering::Equal => return Err(Error::usage("record is already in the v2 B-tree")),
            }
        }
        Ok(lo)
    }

    fn run(&mut self, record: Record) -> Result<()> {
        let Some(root) = self.hdr.root_address else {
            let a = self.new_address()?;
            self.put(a, Node { level: 0, records: vec![record], children: Vec::new() });
            self.hdr.set_depth(0)?;
            self.hdr.root_address = Some(a);
            self.hdr.root_records = 1;
            self.hdr.total_records = 1;
            return Ok(());
        };
        let depth = self.hdr.depth;
        if self.hdr.root_records as u64 >= self.split_nrec(depth)? {
            self.split_root(root)?;
        }
        let root = self.hdr.root_address.ok_or_else(|| Error::usage("v2 B-tree without root"))?;
        let root_nrec = self.hdr.root_records as u64;
        let new_nrec = self.insert_into(root, self.hdr.depth, root_nrec, record)?;
        self.hdr.root_records =
            u16::try_from(new_nrec).map_err(|_| Error::usage("v2 B-tree root has more than 65535 records"))?;
        self.hdr.total_records = self.hdr.total_records.saturating_add(1);
        Ok(())
    }

    /// Inserts into the subtree at `a` (level, records); returns its new number of records.
    fn insert_into(&mut self, a: u64, level: u16, nrec: u64, record: Record) -> Result<u64> {
        let mut node = self.get(a, level, nrec)?;
        let mut idx = self.locate(&node.records, &record)?;
        if level == 0 {
            node.records.insert(idx, record);
            let n = node.records.len() as u64;
            let max = self.hdr.max_records(0).unwrap_or(0);
            if n > max {
                return Err(Error::format(a, format!("v2 B-tree leaf would hold {} records, at most {} fit", n, max)));
            }
            self.put(a, node);
            return Ok(n);
        }
        let child_level = level - 1;
        let split = self.split_nrec(child_level)?;
        let nrec_of = |node: &Node, i: usize| node.children.get(i).map(|c| c.nrec).unwrap_or(0);
        // Preemptively split or redistribute the child to enter; a redistribution can move
        // the insertion point into another full child, so after two tries it splits.
        let mut retries = 2i32;
        while nrec_of(&node, idx) >= split {
            let last = node.records.len();
            if idx == 0 {
                if retries > 0 && nrec_of(&node, 1) < split {
                    self.redistribute2(&mut node, level, 0)?;
                } else {
                    self.split1(&mut node, level, 0)?;
                }
            } else if idx == last {
                if retries > 0 && nrec_of(&node, idx - 1) < split {
                    self.redistribute2(&mut node, level, idx - 1)?;
                } else {
                    self.split1(&mut node, level, idx)?;
                }
            } else if retries > 0 && (nrec_of(&node, idx + 1) < split || nrec_of(&node, idx - 1) < split) {
                self.redistribute3(&mut node, level, idx)?;
            } else {
                self.split1(&mut node, level, idx)?;
            }
            idx = self.locate(&node.records, &record)?;
            retries -= 1;
        }
        let c = *node.children.get(idx).ok_or_else(|| Error::format(a, "v2 B-tree child missing"))?;
        let n = self.insert_into(c.address, child_level, c.nrec, record)?;
        if let Some(p) = node.children.get_mut(idx) {
            p.nrec = n;
            p.total_records = p.total_records.saturating_add(1);
            if child_level == 0 {
                p.total_records = n;
            }
        }
        let n = node.records.len() as u64;
        self.put(a, node);
        Ok(n)
    }

    /// Loads children `first..first + count` of `parent` (at `level`).
    fn children(&mut self, parent: &Node, level: u16, first: usize, count: usize) -> Result<Vec<(u64, Node)>> {
        let mut out = Vec::with_capacity(count);
        for i in first..first + count {
            let c = *parent.children.get(i).ok_or_else(|| Error::format(self.hdr.address, format!("v2 B-tree child {} of {} missing at level {}", i, parent.children.len(), level)))?;
            out.push((c.address, self.get(c.address, level - 1, c.nrec)?));
        }
        Ok(out)
    }

    /// Lays the records and child pointers of consecutive children (and the parent's
    /// separators between them) out again with `counts` records per child, and stores them.
    fn relayout(&mut self, parent: &mut Node, first: usize, kids: Vec<(u64, Node)>, counts: &[usize]) -> Result<()> {
        let k = kids.len();
        let mut recs = Vec::new();
        let mut ptrs: Vec<ChildPointer> = Vec::new();
        for (i, (_, n)) in kids.iter().enumerate() {
            recs.extend(n.records.iter().cloned());
            ptrs.extend(n.children.iter().copied());
            if i + 1 < k {
                recs.push(parent.records.get(first + i).cloned().ok_or_else(|| Error::format(self.hdr.address, "v2 B-tree separator missing"))?);
            }
        }
        let mut recs = recs.into_iter();
        let mut ptrs = ptrs.into_iter();
        let internal = kids.first().is_some_and(|(_, n)| n.level > 0);
        for (i, ((a, mut n), &cnt)) in kids.into_iter().zip(counts).enumerate() {
            n.records = recs.by_ref().take(cnt).collect();
            if internal {
                n.children = ptrs.by_ref().take(cnt + 1).collect();
            }
            if i + 1 < k {
                let sep = recs.next().ok_or_else(|| Error::format(a, "v2 B-tree redistribution ran out of records"))?;
                if let Some(s) = parent.records.get_mut(first + i) {
                    *s = sep;
                }
            }
            if let Some(p) = parent.children.get_mut(first + i) {
                *p = ChildPointer { address: a, nrec: n.records.len() as u64, total_records: subtree_total(&n) };
            }
            self.put(a, n);
        }
        Ok(())
    }

    /// libhdf5 `H5B2__redistribute2`: evens out children `idx` and `idx + 1`.
    fn redistribute2(&mut self, parent: &mut Node, level: u16, idx: usize) -> Result<()> {
        let kids = self.children(parent, level, idx, 2)?;
        let len = |i: usize| kids.get(i).map(|(_, n)| n.records.len()).unwrap_or(0);
        let (l, r) = (len(0), len(1));
        let nl = if l < r { l + r - (l + r) / 2 } else { (l + r) / 2 };
        self.relayout(parent, idx, kids, &[nl, l + r - nl])
    }

    /// libhdf5 `H5B2__redistribute3`: evens out children `idx - 1`, `idx` and `idx + 1`.
    fn redistribute3(&mut self, parent: &mut Node, level: u16, idx: usize) -> Result<()> {
        let kids = self.children(parent, level, idx - 1, 3)?;
        let total: usize = kids.iter().map(|(_, n)| n.records.len()).sum();
        let nm = total / 3;
        let nl = (total - nm) / 2;
        self.relayout(parent, idx - 1, kids, &[nl, nm, total - nl - nm])
    }

    /// libhdf5 `H5B2__split1`: child `idx` keeps its first half, its middle record moves
    /// into the parent, a new right node takes the rest.
    fn split1(&mut self, parent: &mut Node, level: u16, idx: usize) -> Result<()> {
        let mut kids = self.children(parent, level, idx, 1)?;
        let (a, mut left) = kids.pop().ok_or_else(|| Error::format(self.hdr.address, "v2 B-tree child to split missing"))?;
        let n = left.records.len();
        if n == 0 {
            return Err(Error::format(a, "cannot split an empty v2 B-tree node"));
        }
        let mid = n / 2;
        let right_addr = self.new_address()?;
        let mut upper = left.records.split_off(mid);
        let promoted = upper.remove(0);
        let right_children = if left.level > 0 { left.children.split_off(mid + 1) } else { Vec::new() };
        let right = Node { level: left.level, records: upper, children: right_children };
        parent.records.insert(idx, promoted);
        let lp = ChildPointer { address: a, nrec: left.records.len() as u64, total_records: subtree_total(&left) };
        let rp = ChildPointer { address: right_addr, nrec: right.records.len() as u64, total_records: subtree_total(&right) };
        if let Some(p) = parent.children.get_mut(idx) {
            *p = lp;
        }
        parent.children.insert(idx + 1, rp);
        self.put(a, left);
        self.put(right_addr, right);
        Ok(())
    }

    /// libhdf5 `H5B2__split_root`: a new root one level up, then the old root splits.
    fn split_root(&mut self, old_root: u64) -> Result<()> {
        let depth = self.hdr.depth.checked_add(1).ok_or_else(|| Error::usage("v2 B-tree too deep"))?;
        self.hdr.set_depth(depth)?;
        let new_root = self.new_address()?;
        let old = ChildPointer { address: old_root, nrec: self.hdr.root_records as u64, total_records: self.hdr.total_records };
        let mut root = Node { level: depth, records: Vec::new(), children: vec![old] };
        self.split1(&mut root, depth, 0)?;
        self.hdr.root_address = Some(new_root);
        self.hdr.root_records = root.records.len() as u16;
        self.put(new_root, root);
        Ok(())
    }
}

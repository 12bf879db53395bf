//! Version 2 B-trees (spec III.A.2 "Disk Format: Level 1A2 - Version 2 B-trees"): header
//! ("BTHD"), internal nodes ("BTIN") and leaf nodes ("BTLF"), all checksummed, with the record
//! layouts of types 1 to 11.
//!
//! The width of the "Number of Records" and "Total Number of Records" fields of child pointers
//! is derived from the node size as libhdf5 does (`H5B2__hdr_init`): the leaf capacity sets the
//! width of every "Number of Records for Child Node" field, and the cumulative capacity of the
//! level below sets the width of "Total Number of Records".

use h5kit_core::{Context, Error, Reader, Result, Sizes, Writer};

use crate::element::verify_trailing_checksum;
use crate::util::{limit_enc_size, Walk};

mod insert;
mod node;
mod record;

pub use insert::{InsertOutcome, LoadNode};
pub use node::{ChildPointer, Node};
pub use record::{decode_record, ChunkParams, ChunkRecordV2, Record};

/// Signature, version, type (6 bytes) and checksum (4 bytes) of every node.
const NODE_OVERHEAD: u64 = 10;

/// The header of a v2 B-tree, plus the per-level capacities derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BTreeV2 {
    /// Address of the header.
    pub address: u64,
    /// "Type": 1..=11.
    pub record_type: u8,
    /// "Node Size" in bytes (all nodes).
    pub node_size: u32,
    /// "Record Size" in bytes.
    pub record_size: u16,
    /// "Depth" of the tree (0: the root is a leaf).
    pub depth: u16,
    pub split_percent: u8,
    pub merge_percent: u8,
    /// "Root Node Address" (`None` for an empty tree).
    pub root_address: Option<u64>,
    /// "Number of Records in Root Node".
    pub root_records: u16,
    /// "Total Number of Records in B-tree".
    pub total_records: u64,
    levels: Vec<NodeInfo>,
    max_nrec_size: usize,
    offset_size: u8,
}

/// Capacities of the nodes of one level (libhdf5 `H5B2_node_info_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeInfo {
    /// Most records a node of this level holds.
    pub max_nrec: u64,
    /// Most records a node of this level and its descendants hold.
    pub cum_max_nrec: u64,
    /// Bytes of a "Total Number of Records" field counting such a subtree.
    pub cum_max_nrec_size: usize,
}

impl BTreeV2 {
    /// Reads the header ("BTHD") at `address`, checksum verified.
    pub fn open(ctx: Context, address: u64) -> Result<BTreeV2> {
        let data = ctx.read(address, Self::encoded_size(ctx.sizes), "v2 B-tree header")?;
        Self::decode(&mut Reader::new(&data, address, ctx.sizes))
    }

    /// Decodes a header (signature to checksum, verified) at the reader's position.
    pub fn decode(r: &mut Reader) -> Result<BTreeV2> {
        let address = r.address();
        let start = r.position();
        r.signature(b"BTHD", "v2 B-tree header")?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("v2 B-tree header version {} (expected 0)", version)));
        }
        let record_type = r.u8()?;
        let node_size = r.u32()?;
        let record_size = r.u16()?;
        let depth = r.u16()?;
        let split_percent = r.u8()?;
        let merge_percent = r.u8()?;
        let root_address = r.address_field()?;
        let root_records = r.u16()?;
        let total_records = r.length()?;
        verify_trailing_checksum(r, start, address, "v2 B-tree header")?;
        let mut bt = BTreeV2 {
            address,
            record_type,
            node_size,
            record_size,
            depth,
            split_percent,
            merge_percent,
            root_address,
            root_records,
            total_records,
            levels: Vec::new(),
            max_nrec_size: 0,
            offset_size: r.sizes().offset,
        };
        bt.init_levels().map_err(|e| e.at(address))?;
        Ok(bt)
    }

    /// A header for an empty tree (no root node) at `address`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        address: u64,
        sizes: Sizes,
        record_type: u8,
        node_size: u32,
        record_size: u16,
        split_percent: u8,
        merge_percent: u8,
    ) -> Result<BTreeV2> {
        let mut bt = BTreeV2 {
            address,
            record_type,
            node_size,
            record_size,
            depth: 0,
            split_percent,
            merge_percent,
            root_address: None,
            root_records: 0,
            total_records: 0,
            levels: Vec::new(),
            max_nrec_size: 0,
            offset_size: sizes.offset,
        };
        bt.init_levels().map_err(|e| Error::usage(e.message))?;
        Ok(bt)
    }

    /// Sets the depth and recomputes the per-level capacities.
    pub fn set_depth(&mut self, depth: u16) -> Result<()> {
        let old = self.depth;
        self.depth = depth;
        self.init_levels().inspect_err(|_| self.depth = old)
    }

    /// Per-level capacities (libhdf5 `H5B2__hdr_init`); checks the type and sizes.
    fn init_levels(&mut self) -> Result<()> {
        if !(1..=11).contains(&self.record_type) {
            return Err(Error::format(self.address, format!("v2 B-tree type {} is not 1..=11", self.record_type)));
        }
        if self.record_size == 0 || (self.node_size as u64) <= NODE_OVERHEAD {
            return Err(Error::format(
                self.address,
                format!("v2 B-tree node size {} / record size {} are invalid", self.node_size, self.record_size),
            ));
        }
        if self.depth > 64 {
            return Err(Error::limit(self.address, format!("v2 B-tree depth {} is too large", self.depth)));
        }
        let o = self.offset_size as u64;
        let ns = self.node_size as u64;
        let rs = self.record_size as u64;
        let leaf_max = (ns - NODE_OVERHEAD) / rs;
        let mut levels = vec![NodeInfo { max_nrec: leaf_max, cum_max_nrec: leaf_max, cum_max_nrec_size: 0 }];
        let max_nrec_size = limit_enc_size(leaf_max);
        for _ in 1..=self.depth as usize {
            // `levels` holds one entry per level below this one: the last is the level under it.
            let Some(prev) = levels.last().copied() else { break };
            let ptr = o + max_nrec_size as u64 + prev.cum_max_nrec_size as u64;
            let max_nrec = ns.checked_sub(NODE_OVERHEAD + ptr).map(|v| v / (rs + ptr)).unwrap_or(0);
            let cum = max_nrec.saturating_add(1).saturating_mul(prev.cum_max_nrec).saturating_add(max_nrec);
            levels.push(NodeInfo { max_nrec, cum_max_nrec: cum, cum_max_nrec_size: limit_enc_size(cum) });
        }
        self.levels = levels;
        self.max_nrec_size = max_nrec_size;
        Ok(())
    }

    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        let start = w.position();
        w.signature(b"BTHD");
        w.u8(0);
        w.u8(self.record_type);
        w.u32(self.node_size);
        w.u16(self.record_size);
        w.u16(self.depth);
        w.u8(self.split_percent);
        w.u8(self.merge_percent);
        w.address_field(self.root_address)?;
        w.u16(self.root_records);
        w.length(self.total_records)?;
        w.checksum_from(start);
        Ok(())
    }

    /// Bytes of the header, checksum included.
    pub fn encoded_size(sizes: Sizes) -> u64 {
        22 + sizes.offset as u64 + sizes.length as u64
    }

    /// Capacities of the nodes at `level` (0: leaves), up to the tree's depth.
    pub fn node_info(&self, level: u16) -> Option<NodeInfo> {
        self.levels.get(level as usize).copied()
    }

    /// Bytes of every "Number of Records for Child Node" field (from the leaf capacity).
    pub fn max_nrec_size(&self) -> usize {
        self.max_nrec_size
    }

    /// Bytes of the "Total Number of Records" fields in nodes at `level` (0 for levels 0
    /// and 1, which store none).
    pub fn total_records_size(&self, level: u16) -> usize {
        if level > 1 {
            self.levels.get(level as usize - 1).map(|l| l.cum_max_nrec_size).unwrap_or(0)
        } else {
            0
        }
    }

    /// Bytes of one child pointer in a node at `level` (address, records, total records).
    pub fn child_pointer_size(&self, level: u16) -> usize {
        self.offset_size as usize + self.max_nrec_size + self.total_records_size(level)
    }

    /// Most records a node of `level` holds (libhdf5 splits earlier, see
    /// [`BTreeV2::split_records`]).
    pub fn max_records(&self, level: u16) -> Option<u64> {
        self.node_info(level).map(|l| l.max_nrec)
    }

    /// All records in key order (internal "BTIN" and leaf "BTLF" nodes, checksums verified,
    /// depth-bounded). `chunk` is needed only for record types 10/11.
    pub fn records(&self, ctx: Context, chunk: Option<ChunkParams>) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        self.for_each(ctx, chunk, &mut |r| {
            out.push(r);
            Ok(true)
        })?;
        Ok(out)
    }

    /// Visits the records in key order; `f` returns `false` to stop early.
    pub fn for_each(
        &self,
        ctx: Context,
        chunk: Option<ChunkParams>,
        f: &mut dyn FnMut(Record) -> Result<bool>,
    ) -> Result<()> {
        if matches!(self.record_type, 10 | 11) && chunk.is_none() {
            return Err(Error::usage("v2 B-tree chunk records (types 10/11) need ChunkParams"));
        }
        if let (Some(p), 10 | 11) = (chunk, self.record_type) {
            let o = ctx.sizes.offset as usize;
            let extra = if self.record_type == 11 { p.chunk_size_len + 4 } else { 0 };
            let expected = p.rank.checked_mul(8).and_then(|v| v.checked_add(o + extra));
            if expected != Some(self.record_size as usize) {
                return Err(Error::format(
                    self.address,
                    format!(
                        "v2 B-tree chunk records are {} bytes, not the {:?} expected for rank {} and chunk size length {}",
                        self.record_size, expected, p.rank, p.chunk_size_len
                    ),
                ));
            }
        }
        let Some(root) = self.root_address else { return Ok(()) };
        if self.total_records == 0 {
            return Ok(());
        }
        let mut w = Walk::new(&ctx);
        self.walk(ctx, root, self.root_records as u64, self.depth, chunk, f, &mut w)
            .map(|_| ())
            .map_err(|e| e.context(format!("reading v2 B-tree at {}", self.address)))
    }

    /// The first record (in key order) for which `pred` holds, walking the whole tree.
    pub fn find(&self, ctx: Context, chunk: Option<ChunkParams>, pred: &dyn Fn(&Record) -> bool) -> Result<Option<Record>> {
        let mut found = None;
        self.for_each(ctx, chunk, &mut |r| {
            if pred(&r) {
                found = Some(r);
                return Ok(false);
            }
            Ok(true)
        })?;
        Ok(found)
    }

    /// Descends the tree to the record that `cmp` reports `Equal` for, in O(depth) node
    /// reads. `cmp(record)` orders the sought key against the record: `Less` when the key
    /// sorts before the record, `Greater` after it. (For the name indexes, compare the hash
    /// first and then the name read from the heap, as libhdf5 does, so that hash collisions
    /// resolve.)
    pub fn search(
        &self,
        ctx: Context,
        chunk: Option<ChunkParams>,
        cmp: &mut dyn FnMut(&Record) -> Result<std::cmp::Ordering>,
    ) -> Result<Option<Record>> {
        use std::cmp::Ordering;
        let Some(mut address) = self.root_address else { return Ok(None) };
        if self.total_records == 0 {
            return Ok(None);
        }
        let mut nrec = self.root_records as u64;
        let mut depth = self.depth;
        let mut w = Walk::new(&ctx);
        loop {
            w.visit(address, "v2 B-tree node")?;
            let (records, children) = self.read_node(ctx, address, nrec, depth, chunk)?;
            // First record not less than the key.
            let mut idx = records.len();
            for (i, r) in records.iter().enumerate() {
                match cmp(r)? {
                    Ordering::Equal => return Ok(Some(r.clone())),
                    Ordering::Less => {
                        idx = i;
                        break;
                    }
                    Ordering::Greater => {}
                }
            }
            if depth == 0 {
                return Ok(None);
            }
            let Some(&(child, n)) = children.get(idx) else { return Ok(None) };
            address = child;
            nrec = n;
            depth -= 1;
        }
    }

    /// Reads one node; returns its records and (for internal nodes) child (address, nrec).
    fn read_node(
        &self,
        ctx: Context,
        address: u64,
        nrec: u64,
        depth: u16,
        chunk: Option<ChunkParams>,
    ) -> Result<NodeContent> {
        let len = Node::used_size(self, depth, nrec).map_err(|e| e.at(address))?;
        let data = ctx.read(address, len, "v2 B-tree node")?;
        let node = Node::decode(&mut Reader::new(&data, address, ctx.sizes), self, depth, nrec, chunk)?;
        let children = node.children.iter().map(|c| (c.address, c.nrec)).collect();
        Ok((node.records, children))
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        ctx: Context,
        address: u64,
        nrec: u64,
        depth: u16,
        chunk: Option<ChunkParams>,
        f: &mut dyn FnMut(Record) -> Result<bool>,
        w: &mut Walk,
    ) -> Result<bool> {
        w.visit(address, "v2 B-tree node")?;
        let (records, children) = self.read_node(ctx, address, nrec, depth, chunk)?;
        w.count(records.len() as u64, address, "v2 B-tree records")?;
        if depth == 0 {
            for rec in records {
                if !f(rec)? {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        let mut recs = records.into_iter();
        for (i, (child, n)) in children.into_iter().enumerate() {
            if !self.walk(ctx, child, n, depth - 1, chunk, f, w)? {
                return Ok(false);
            }
            if i < nrec as usize {
                if let Some(rec) = recs.next() {
                    if !f(rec)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }
}

/// A node's records and (internal nodes) its children as (address, number of records).
type NodeContent = (Vec<Record>, Vec<(u64, u64)>);


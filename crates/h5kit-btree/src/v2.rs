//! Version 2 B-trees (spec III.A.2 "Disk Format: Level 1A2 - Version 2 B-trees"): header
//! ("BTHD"), internal nodes ("BTIN") and leaf nodes ("BTLF"), all checksummed, with the record
//! layouts of types 1 to 11.
//!
//! The width of the "Number of Records" and "Total Number of Records" fields of child pointers
//! is derived from the node size as libhdf5 does (`H5B2__hdr_init`): the leaf capacity sets the
//! width of every "Number of Records for Child Node" field, and the cumulative capacity of the
//! level below sets the width of "Total Number of Records".

use h5kit_core::{Context, Error, Reader, Result};

use crate::util::{add, limit_enc_size, mul, Walk};

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
    levels: Vec<LevelInfo>,
    max_nrec_size: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LevelInfo {
    max_nrec: u64,
    cum_max_nrec: u64,
    cum_max_nrec_size: usize,
}

/// A chunk record of a type-10 (non-filtered) or type-11 (filtered) tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecordV2 {
    /// "Address" of the chunk.
    pub address: u64,
    /// "Chunk Size" (type 11); 0 for type 10 (the chunk has its unfiltered size).
    pub size: u64,
    /// "Filter Mask" (type 11); 0 for type 10.
    pub filter_mask: u32,
    /// "Dimension #n Scaled Offset": chunk offset divided by the chunk dimension, one per
    /// dataset dimension, slowest-changing first.
    pub scaled_offsets: Vec<u64>,
}

/// One record, per tree type (field names from the spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Type 1: indirectly accessed, non-filtered huge fractal heap object.
    HugeObject { address: u64, length: u64, id: u64 },
    /// Type 2: indirectly accessed, filtered huge fractal heap object.
    FilteredHugeObject { address: u64, length: u64, filter_mask: u32, memory_size: u64, id: u64 },
    /// Type 3: directly accessed, non-filtered huge fractal heap object.
    HugeObjectDirect { address: u64, length: u64 },
    /// Type 4: directly accessed, filtered huge fractal heap object.
    FilteredHugeObjectDirect { address: u64, length: u64, filter_mask: u32, memory_size: u64 },
    /// Type 5: link name for an indexed group.
    LinkName { hash: u32, heap_id: [u8; 7] },
    /// Type 6: creation order for an indexed group.
    LinkCreationOrder { creation_order: u64, heap_id: [u8; 7] },
    /// Type 7, sub-type 0: shared message stored in the shared message index heap.
    SharedMessageInHeap { hash: u32, reference_count: u32, heap_id: [u8; 8] },
    /// Type 7, sub-type 1: shared message stored in an object header.
    SharedMessageInObjectHeader { hash: u32, message_type: u8, object_header_index: u16, object_header_address: u64 },
    /// Type 8: attribute name for indexed attributes.
    AttributeName { heap_id: [u8; 8], flags: u8, creation_order: u32, hash: u32 },
    /// Type 9: creation order for indexed attributes.
    AttributeCreationOrder { heap_id: [u8; 8], flags: u8, creation_order: u32 },
    /// Types 10 and 11: dataset chunks.
    Chunk(ChunkRecordV2),
}

/// What records of types 10/11 need to be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkParams {
    /// The dataset's rank (number of scaled offsets per record).
    pub rank: usize,
    /// Bytes of the "Chunk Size" field in type-11 records (layout v4: one more than the bytes
    /// needed for the unfiltered chunk size, at most 8; layout v5: Size of Offsets).
    pub chunk_size_len: usize,
}

impl BTreeV2 {
    /// Reads the header ("BTHD") at `address`, checksum verified.
    pub fn open(ctx: Context, address: u64) -> Result<BTreeV2> {
        let o = ctx.sizes.offset as u64;
        let l = ctx.sizes.length as u64;
        let len = 4 + 2 + 4 + 2 + 2 + 2 + o + 2 + l;
        let data = ctx.read(address, len + 4, "v2 B-tree header")?;
        let mut r = checked(&ctx, &data, address, "v2 B-tree header")?;
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
        if !(1..=11).contains(&record_type) {
            return Err(Error::format(address, format!("v2 B-tree type {} is not 1..=11", record_type)));
        }
        if record_size == 0 || (node_size as u64) <= NODE_OVERHEAD {
            return Err(Error::format(
                address,
                format!("v2 B-tree node size {} / record size {} are invalid", node_size, record_size),
            ));
        }
        ctx.limits.check_depth(depth as u32, address, "v2 B-tree")?;
        // Per-level capacities (libhdf5 H5B2__hdr_init).
        let ns = node_size as u64;
        let rs = record_size as u64;
        let leaf_max = (ns - NODE_OVERHEAD) / rs;
        let mut levels = vec![LevelInfo { max_nrec: leaf_max, cum_max_nrec: leaf_max, cum_max_nrec_size: 0 }];
        let max_nrec_size = limit_enc_size(leaf_max);
        for _ in 1..=depth as usize {
            // `levels` holds one entry per level below this one: the last is the level under it.
            let Some(prev) = levels.last().copied() else { break };
            let ptr = o + max_nrec_size as u64 + prev.cum_max_nrec_size as u64;
            let max_nrec = ns.checked_sub(NODE_OVERHEAD + ptr).map(|v| v / (rs + ptr)).unwrap_or(0);
            let cum = max_nrec
                .saturating_add(1)
                .saturating_mul(prev.cum_max_nrec)
                .saturating_add(max_nrec);
            levels.push(LevelInfo { max_nrec, cum_max_nrec: cum, cum_max_nrec_size: limit_enc_size(cum) });
        }
        Ok(BTreeV2 {
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
            levels,
            max_nrec_size,
        })
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
        let o = ctx.sizes.offset as u64;
        let level = self.levels.get(depth as usize).copied().ok_or_else(|| Error::format(address, "v2 B-tree depth"))?;
        if nrec > level.max_nrec {
            return Err(Error::format(
                address,
                format!("v2 B-tree node claims {} records, at most {} fit", nrec, level.max_nrec),
            ));
        }
        let (sig, what): (&[u8; 4], &str) = if depth == 0 { (b"BTLF", "v2 B-tree leaf node") } else { (b"BTIN", "v2 B-tree internal node") };
        let total_size = if depth > 1 {
            self.levels.get(depth as usize - 1).map(|l| l.cum_max_nrec_size).unwrap_or(0)
        } else {
            0
        };
        let ptr = o + self.max_nrec_size as u64 + total_size as u64;
        let records_len = mul(nrec, self.record_size as u64, address, what)?;
        let ptrs_len = if depth == 0 { 0 } else { mul(nrec + 1, ptr, address, what)? };
        let len = add(add(6, records_len, address, what)?, ptrs_len, address, what)?;
        if len.saturating_add(4) > self.node_size as u64 {
            return Err(Error::format(address, format!("{} content of {} bytes exceeds the node size {}", what, len + 4, self.node_size)));
        }
        let data = ctx.read(address, len + 4, what)?;
        let mut r = checked(&ctx, &data, address, what)?;
        r.signature(sig, what)?;
        let version = r.u8()?;
        if version != 0 {
            return Err(Error::format(address, format!("{} version {} (expected 0)", what, version)));
        }
        let t = r.u8()?;
        if t != self.record_type {
            return Err(Error::format(address, format!("{} has type {}, the header says {}", what, t, self.record_type)));
        }
        let mut records = Vec::with_capacity(nrec as usize);
        for _ in 0..nrec {
            let mut rr = r.split(self.record_size as usize)?;
            records.push(decode_record(self.record_type, &mut rr, chunk)?);
        }
        let mut children = Vec::new();
        if depth > 0 {
            for _ in 0..=nrec {
                let at = r.address();
                let child = r.address_field()?.ok_or_else(|| Error::format(at, "v2 B-tree child address is undefined"))?;
                let n = r.uint(self.max_nrec_size)?;
                if depth > 1 {
                    let _total = r.uint(total_size)?;
                }
                children.push((child, n));
            }
        }
        Ok((records, children))
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

/// Checks the checksum in the last 4 bytes of `data`, returns a reader over the rest.
fn checked<'a>(ctx: &Context, data: &'a [u8], at: u64, what: &str) -> Result<Reader<'a>> {
    let n = data.len().checked_sub(4).ok_or_else(|| Error::format(at, format!("{} truncated", what)))?;
    let (body, sum) = data.split_at(n);
    // `sum` is exactly the last 4 bytes (split at `len - 4`).
    let stored = u32::from_le_bytes(sum.try_into().unwrap_or_default());
    h5kit_core::verify_checksum(body, stored, at, what)?;
    Ok(Reader::new(body, at, ctx.sizes))
}

/// Decodes one record of `record_type` from a reader bounded to the record size.
pub fn decode_record(record_type: u8, r: &mut Reader, chunk: Option<ChunkParams>) -> Result<Record> {
    Ok(match record_type {
        1 => Record::HugeObject { address: r.offset()?, length: r.length()?, id: r.length()? },
        2 => Record::FilteredHugeObject {
            address: r.offset()?,
            length: r.length()?,
            filter_mask: r.u32()?,
            memory_size: r.length()?,
            id: r.length()?,
        },
        3 => Record::HugeObjectDirect { address: r.offset()?, length: r.length()? },
        4 => Record::FilteredHugeObjectDirect {
            address: r.offset()?,
            length: r.length()?,
            filter_mask: r.u32()?,
            memory_size: r.length()?,
        },
        5 => Record::LinkName { hash: r.u32()?, heap_id: r.array()? },
        6 => Record::LinkCreationOrder { creation_order: r.u64()?, heap_id: r.array()? },
        7 => {
            let at = r.address();
            let location = r.u8()?;
            match location {
                // No padding after the location byte (the spec's table spacing is cosmetic):
                // type 7 records are 17 bytes with 8-byte offsets.
                0 => {
                    Record::SharedMessageInHeap { hash: r.u32()?, reference_count: r.u32()?, heap_id: r.array()? }
                }
                1 => {
                    let hash = r.u32()?;
                    let _reserved = r.u8()?;
                    let message_type = r.u8()?;
                    let object_header_index = r.u16()?;
                    let object_header_address = r.offset()?;
                    Record::SharedMessageInObjectHeader { hash, message_type, object_header_index, object_header_address }
                }
                other => return Err(Error::format(at, format!("shared message location {} is not 0 or 1", other))),
            }
        }
        8 => Record::AttributeName { heap_id: r.array()?, flags: r.u8()?, creation_order: r.u32()?, hash: r.u32()? },
        9 => Record::AttributeCreationOrder { heap_id: r.array()?, flags: r.u8()?, creation_order: r.u32()? },
        10 | 11 => {
            let p = chunk.ok_or_else(|| Error::usage("v2 B-tree chunk records (types 10/11) need ChunkParams"))?;
            let address = r.offset()?;
            let (size, filter_mask) =
                if record_type == 11 { (r.uint(p.chunk_size_len)?, r.u32()?) } else { (0, 0) };
            let mut scaled_offsets = Vec::with_capacity(p.rank.min(r.remaining() / 8));
            for _ in 0..p.rank {
                scaled_offsets.push(r.u64()?);
            }
            Record::Chunk(ChunkRecordV2 { address, size, filter_mask, scaled_offsets })
        }
        other => return Err(r.error(format!("v2 B-tree record type {} is not 1..=11", other))),
    })
}

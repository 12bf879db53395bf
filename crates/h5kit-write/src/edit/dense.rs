//! Dense storage of links and attributes (spec IV.A.2.c "The Link Info Message", IV.A.2.v
//! "The Attribute Info Message"): the messages as objects of a fractal heap (III.G), indexed
//! by a v2 B-tree (III.A.2) of name hashes (record type 5 for links, 8 for attributes) and,
//! when creation order is indexed, of creation order (types 6 and 9).
//!
//! The editor writes a changed dense store whole into new space: a heap whose root is one
//! direct block holding every message (its starting block size the power of two that holds
//! them, as the in-memory writer lays it out) and new B-trees filled by libhdf5's insert
//! algorithm (`h5kit_btree::v2`). Nothing committed points at the new structures until the
//! one write of the object header message (link info / attribute info) that names them, so
//! a process killed at any moment leaves the old store or the new one. The old store's space
//! is freed after the commit when this editor wrote it.

use std::collections::BTreeMap;

use h5kit_btree::v2::{BTreeV2, ChunkParams, Node, Record};
use h5kit_core::{checksum::lookup3, Context, Error, Result, Writer};
use h5kit_heap::fractal::{DirectBlock, FractalHeapParams};
use h5kit_heap::FractalHeap;

use super::{unsupported, Editor};

/// libhdf5's v2 B-tree parameters for dense storage indexes (`H5G_NAME_BT2_*`,
/// `H5A_NAME_BT2_*`): 512-byte nodes, split at 100%, merge at 40%.
const NODE_SIZE: u32 = 512;
const SPLIT: u8 = 100;
const MERGE: u8 = 40;
/// Largest root direct block written (1 MiB): a store of more is not written (`Unsupported`).
const MAX_BLOCK: u64 = 1 << 20;
/// libhdf5's "Maximum Size of Managed Objects" for dense storage.
const MAX_MANAGED: u32 = 4096;

/// What is stored: links (heap IDs of 7 bytes, records of types 5/6) or attributes (8
/// bytes, types 8/9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Store {
    Links,
    Attributes,
}

/// One message of a dense store: its name (hashed for the name index), creation order and
/// encoded body.
pub(crate) struct DenseItem {
    pub name: Vec<u8>,
    pub creation_order: u64,
    pub body: Vec<u8>,
}

/// Where a dense store was written: heap header, name index, creation order index, and every
/// range it takes.
#[derive(Debug, Clone, Default)]
pub(crate) struct DenseWritten {
    pub heap: u64,
    pub name_index: u64,
    pub order_index: Option<u64>,
    pub extents: Vec<(u64, u64)>,
}

/// Reads every message body of the dense store whose heap and name index are at
/// `heap_address` and `index_address`, in index order.
/// Each comes with its creation order (attribute records hold it; 0 for links, whose
/// messages hold it).
pub(crate) fn read_dense(ctx: Context, heap_address: u64, index_address: u64) -> Result<Vec<(u64, Vec<u8>)>> {
    let heap = FractalHeap::open(ctx, heap_address)?;
    let btree = BTreeV2::open(ctx, index_address)?;
    let mut out = Vec::new();
    for record in btree.records(ctx, None)? {
        let (order, heap_id): (u64, &[u8]) = match &record {
            Record::LinkName { heap_id, .. } => (0, &heap_id[..]),
            Record::AttributeName { heap_id, flags, creation_order, .. } => {
                if flags & 1 != 0 {
                    return Err(unsupported("attributes shared in the shared message heap"));
                }
                (u64::from(*creation_order), &heap_id[..])
            }
            _ => return Err(Error::format(index_address, "dense storage name index holds a record of another kind")),
        };
        out.push((order, heap.read_object(ctx, heap_id)?));
    }
    Ok(out)
}

/// Bytes of a record of `record_type` in a dense storage index.
fn record_size(record_type: u8) -> u16 {
    match record_type {
        5 => 4 + 7,
        6 => 8 + 7,
        8 => 8 + 1 + 4 + 4,
        _ => 8 + 1 + 4,
    }
}

impl Editor {
    /// Writes a dense store holding `items` into new space; returns where.
    pub(crate) fn write_dense(&mut self, store: Store, items: &[DenseItem], order_index: bool) -> Result<DenseWritten> {
        let sizes = self.sizes;
        let id_len: u16 = if store == Store::Links { 7 } else { 8 };
        let mut params = FractalHeapParams::dense_storage();
        params.heap_id_length = id_len;
        // The root direct block: a power of two from 512 that holds every object.
        let probe = FractalHeap::new(0, sizes, params)?;
        let prefix = DirectBlock::header_size(&probe);
        let used: u64 = items.iter().map(|i| i.body.len() as u64).sum();
        let mut block = 512u64;
        while block < prefix + used {
            block *= 2;
        }
        // Links over 4096 bytes would be huge objects (not written); attributes over it stay
        // managed objects, the heap's maximum managed size raised to its direct block size
        // (as the in-memory writer laid them out; libhdf5 reads either).
        let largest = items.iter().map(|i| i.body.len()).max().unwrap_or(0);
        let too_large = store == Store::Links && largest > MAX_MANAGED as usize;
        if block > MAX_BLOCK || too_large || items.iter().any(|i| i.body.is_empty()) {
            return Err(unsupported("dense storage of more than 1 MiB, or of links over 4096 bytes"));
        }
        params.starting_block_size = block;
        params.max_direct_block_size = block.max(65536);
        if largest > MAX_MANAGED as usize {
            params.max_managed_object_size = u32::try_from(params.max_direct_block_size).unwrap_or(u32::MAX);
        }
        let heap_len = FractalHeap::header_size(sizes, 0);
        let heap_at = self.allocate(heap_len)?;
        let mut heap = FractalHeap::new(heap_at, sizes, params)?;
        let block_at = self.allocate(block)?;
        let mut dblock = heap.new_root_direct_block(block_at)?;
        let mut ids = Vec::with_capacity(items.len());
        for it in items {
            let id = heap
                .insert_managed(&mut dblock, &it.body)?
                .ok_or_else(|| Error::usage("internal error: a dense storage object does not fit its block"))?;
            ids.push(id);
        }
        let mut extents = vec![(heap_at, heap_len), (block_at, block)];
        let mut w = Writer::new(block_at, sizes);
        dblock.encode(&heap, &mut w)?;
        self.write_now(block_at, &w.into_inner())?;
        let mut w = Writer::new(heap_at, sizes);
        heap.encode(&mut w)?;
        self.write_now(heap_at, &w.into_inner())?;

        let name_type = if store == Store::Links { 5 } else { 8 };
        let records: Vec<Record> = items
            .iter()
            .zip(&ids)
            .map(|(it, id)| {
                let hash = lookup3(&it.name, 0);
                match store {
                    Store::Links => Record::LinkName { hash, heap_id: fixed(id) },
                    Store::Attributes => Record::AttributeName { heap_id: fixed(id), flags: 0, creation_order: it.creation_order as u32, hash },
                }
            })
            .collect();
        // Equal hashes are ordered by name, as libhdf5 compares them.
        let names: BTreeMap<Vec<u8>, Vec<u8>> = items.iter().zip(&ids).map(|(it, id)| (id.clone(), it.name.clone())).collect();
        let cmp = move |a: &Record, b: &Record| -> std::cmp::Ordering {
            let key = |r: &Record| -> (u32, Vec<u8>) {
                match r {
                    Record::LinkName { hash, heap_id } => (*hash, names.get(&heap_id[..]).cloned().unwrap_or_default()),
                    Record::AttributeName { hash, heap_id, .. } => (*hash, names.get(&heap_id[..]).cloned().unwrap_or_default()),
                    _ => (0, Vec::new()),
                }
            };
            key(a).cmp(&key(b))
        };
        let shape = TreeShape { record_type: name_type, node_size: NODE_SIZE, record_size: record_size(name_type), split: SPLIT, merge: MERGE, chunk: None };
        let (name_index, ext) = self.write_btree(shape, records, &cmp)?;
        extents.extend(ext);
        let order = if order_index {
            let order_type = if store == Store::Links { 6 } else { 9 };
            let records: Vec<Record> = items
                .iter()
                .zip(&ids)
                .map(|(it, id)| match store {
                    Store::Links => Record::LinkCreationOrder { creation_order: it.creation_order, heap_id: fixed(id) },
                    Store::Attributes => {
                        Record::AttributeCreationOrder { heap_id: fixed(id), flags: 0, creation_order: it.creation_order as u32 }
                    }
                })
                .collect();
            let key = |r: &Record| -> u64 {
                match r {
                    Record::LinkCreationOrder { creation_order, .. } => *creation_order,
                    Record::AttributeCreationOrder { creation_order, .. } => u64::from(*creation_order),
                    _ => 0,
                }
            };
            let cmp = move |a: &Record, b: &Record| key(a).cmp(&key(b));
            let shape = TreeShape { record_type: order_type, node_size: NODE_SIZE, record_size: record_size(order_type), split: SPLIT, merge: MERGE, chunk: None };
            let (a, ext) = self.write_btree(shape, records, &cmp)?;
            extents.extend(ext);
            Some(a)
        } else {
            None
        };
        Ok(DenseWritten { heap: heap_at, name_index, order_index: order, extents })
    }

    /// A new v2 B-tree of `shape` holding `records` (inserted in order as libhdf5 inserts),
    /// written into new space; its header address and every range it takes.
    pub(crate) fn write_btree(
        &mut self,
        shape: TreeShape,
        records: Vec<Record>,
        cmp: &dyn Fn(&Record, &Record) -> std::cmp::Ordering,
    ) -> Result<(u64, Vec<(u64, u64)>)> {
        let sizes = self.sizes;
        let len = BTreeV2::encoded_size(sizes);
        let at = self.allocate(len)?;
        let mut extents = vec![(at, len)];
        let mut hdr = BTreeV2::new(at, sizes, shape.record_type, shape.node_size, shape.record_size, shape.split, shape.merge)?;
        let mut nodes: BTreeMap<u64, Node> = BTreeMap::new();
        for rec in records {
            let out = {
                let mut load = |a: u64, _level: u16, _nrec: u64| -> Result<Node> {
                    nodes.get(&a).cloned().ok_or_else(|| Error::usage("internal error: v2 B-tree node not built"))
                };
                let Editor { space, fresh, .. } = self;
                let mut alloc = |n: u64| -> Result<u64> {
                    let a = space.allocate(n)?;
                    fresh.insert(a, n);
                    extents.push((a, n));
                    Ok(a)
                };
                hdr.insert(rec, cmp, &mut load, &mut alloc)?
            };
            hdr = out.header;
            for (a, n) in out.nodes {
                nodes.insert(a, n);
            }
        }
        for (a, n) in &nodes {
            let mut w = Writer::new(*a, sizes);
            n.encode(&mut w, &hdr, shape.chunk)?;
            self.write_now(*a, &w.into_inner())?;
        }
        let mut w = Writer::new(at, sizes);
        hdr.encode(&mut w)?;
        self.write_now(at, &w.into_inner())?;
        Ok((at, extents))
    }
}

/// The parameters of a new v2 B-tree.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeShape {
    pub record_type: u8,
    pub node_size: u32,
    pub record_size: u16,
    pub split: u8,
    pub merge: u8,
    /// Chunk records (types 10, 11): the dataset's rank and chunk size width.
    pub chunk: Option<ChunkParams>,
}

/// A heap ID as the fixed-size array a record holds (zero padded).
fn fixed<const N: usize>(id: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (d, s) in out.iter_mut().zip(id) {
        *d = *s;
    }
    out
}

//! Version 1 B-trees (spec III.A.1 "Disk Format: Level 1A1 - Version 1 B-trees") and group
//! symbol table nodes (spec III.B "Disk Format: Level 1B - Group Symbol Table Nodes").
//!
//! Node type 0 trees index a group's symbol table nodes ("SNOD"); their keys are local heap
//! offsets (Size of Lengths). Node type 1 trees index raw data chunks; their keys are
//! (chunk size, filter mask, rank + 1 64-bit offsets).

use h5kit_core::{Context, Error, Reader, Result};
use h5kit_superblock::SymbolTableEntry;

use crate::util::{add, mul, Walk};

/// One raw data chunk from a type-1 v1 B-tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRecord {
    /// The chunk's element offset in each of the dataset's `rank` dimensions (the trailing
    /// element-size dimension of the key is dropped).
    pub offsets: Vec<u64>,
    /// Size of the chunk in bytes (after filtering).
    pub size: u64,
    /// Filters skipped for this chunk (bit i set: filter i not applied).
    pub filter_mask: u32,
    /// Address of the chunk.
    pub address: u64,
}

mod group_insert;
mod insert;
mod lookup;
mod node;
mod tree;

pub use group_insert::{insert_symbol, GroupInsertOutcome, GroupInsertParams, LoadSymbolNode};
pub use insert::{insert_chunk, ChunkInsertParams, InsertOutcome};
pub use lookup::find_group_entry;
pub use node::{ChunkKey, Node, NodeKey, SymbolTableNode};

const SIGNATURE: &[u8; 4] = b"TREE";

/// Reads one node whose keys are `K`: the header first, then the used entries.
fn read_node<K: NodeKey>(ctx: Context, address: u64, params: K::Params) -> Result<Node<K>> {
    let o = ctx.sizes.offset as u64;
    let prefix = add(8, 2 * o, address, "v1 B-tree node")?;
    let head = ctx.read(address, prefix, "v1 B-tree node header")?;
    let mut r = Reader::new(&head, address, ctx.sizes);
    r.signature(SIGNATURE, "v1 B-tree node")?;
    let node_type = r.u8()?;
    let _level = r.u8()?;
    let entries = r.u16()? as u64;
    if node_type != K::NODE_TYPE {
        return Err(Error::format(
            address,
            format!("v1 B-tree node type is {}, expected {}", node_type, K::NODE_TYPE),
        ));
    }
    let key_size = K::key_size(ctx.sizes, params) as u64;
    // entries * (key + child) + one more key.
    let body = add(mul(entries, add(key_size, o, address, "v1 B-tree node")?, address, "v1 B-tree node")?, key_size, address, "v1 B-tree node")?;
    let data = ctx.read(address, add(prefix, body, address, "v1 B-tree node")?, "v1 B-tree node entries")?;
    Node::decode(&mut Reader::new(&data, address, ctx.sizes), params)
}

/// Reads one type-0 (group) node: keys are local heap offsets.
pub fn read_group_node(ctx: Context, address: u64) -> Result<Node<u64>> {
    read_node(ctx, address, ())
}

/// Reads one type-1 (chunk) node of a dataset of rank `rank`.
pub fn read_chunk_node(ctx: Context, address: u64, rank: usize) -> Result<Node<ChunkKey>> {
    read_node(ctx, address, rank)
}

/// Checks a child's level against its parent's.
fn check_child_level(parent_level: u8, child_level: u8, child: u64) -> Result<()> {
    if parent_level == 0 || child_level.checked_add(1) != Some(parent_level) {
        return Err(Error::format(
            child,
            format!("v1 B-tree node level {} under a node of level {}", child_level, parent_level),
        ));
    }
    Ok(())
}

/// Visits the leaf-level children of a tree in key order, calling `leaf(key_left, child)`.
fn walk<K: Clone>(
    ctx: Context,
    root: u64,
    read: &dyn Fn(u64) -> Result<Node<K>>,
    leaf: &mut dyn FnMut(&K, u64) -> Result<()>,
) -> Result<()> {
    let mut w = Walk::new(&ctx);
    let root_node = read(root)?;
    w.visit(root, "v1 B-tree node")?;
    ctx.limits.check_depth(root_node.level as u32, root, "v1 B-tree")?;
    walk_node(&root_node, read, leaf, &mut w)
}

fn walk_node<K: Clone>(
    node: &Node<K>,
    read: &dyn Fn(u64) -> Result<Node<K>>,
    leaf: &mut dyn FnMut(&K, u64) -> Result<()>,
    w: &mut Walk,
) -> Result<()> {
    for (i, &child) in node.children.iter().enumerate() {
        if node.level == 0 {
            w.count(1, node.address, "v1 B-tree records")?;
            if let Some(k) = node.keys.get(i) {
                leaf(k, child)?;
            }
        } else {
            w.visit(child, "v1 B-tree node")?;
            let c = read(child)?;
            check_child_level(node.level, c.level, child)?;
            walk_node(&c, read, leaf, w)?;
        }
    }
    Ok(())
}

/// Reads a symbol table node ("SNOD", spec III.B): its valid entries.
pub fn read_symbol_table_node(ctx: Context, address: u64) -> Result<Vec<SymbolTableEntry>> {
    let head = ctx.read(address, 8, "symbol table node")?;
    let n = u16::from_le_bytes([head.get(6).copied().unwrap_or(0), head.get(7).copied().unwrap_or(0)]) as u64;
    let es = SymbolTableEntry::encoded_size(ctx.sizes.offset) as u64;
    let len = add(8, mul(n, es, address, "symbol table node")?, address, "symbol table node")?;
    let data = ctx.read(address, len, "symbol table node entries")?;
    Ok(SymbolTableNode::decode(&mut Reader::new(&data, address, ctx.sizes))?.entries)
}

/// Every entry of a group's symbol table, in B-tree key (name) order: walks the type-0 v1
/// B-tree ("TREE") at `btree_address` and reads each symbol table node ("SNOD").
pub fn read_group_entries(ctx: Context, btree_address: u64) -> Result<Vec<SymbolTableEntry>> {
    let mut out = Vec::new();
    let mut items = Walk::new(&ctx);
    let read = |a: u64| read_group_node(ctx, a);
    walk(ctx, btree_address, &read, &mut |_k, snod| {
        let entries = read_symbol_table_node(ctx, snod)?;
        items.count(entries.len() as u64, snod, "group symbol table entries")?;
        out.extend(entries);
        Ok(())
    })
    .map_err(|e| e.context("reading group v1 B-tree"))?;
    Ok(out)
}

/// Every chunk of a type-1 v1 B-tree; `rank` = the dataset's rank.
pub fn read_chunk_records(ctx: Context, btree_address: u64, rank: usize) -> Result<Vec<ChunkRecord>> {
    let mut out = Vec::new();
    let read = |a: u64| read_chunk_node(ctx, a, rank);
    walk(ctx, btree_address, &read, &mut |k, child| {
        out.push(to_record(k, child, rank));
        Ok(())
    })
    .map_err(|e| e.context("reading chunk v1 B-tree"))?;
    Ok(out)
}

fn to_record(k: &ChunkKey, address: u64, rank: usize) -> ChunkRecord {
    ChunkRecord {
        offsets: k.offsets.iter().take(rank).copied().collect(),
        size: k.size as u64,
        filter_mask: k.filter_mask,
        address,
    }
}

/// Lexicographic comparison of the first `rank` offsets.
fn cmp_offsets(a: &[u64], b: &[u64], rank: usize) -> std::cmp::Ordering {
    a.iter().take(rank).cmp(b.iter().take(rank))
}

/// Finds the chunk whose offsets equal `offsets` by descending the tree (O(depth) node reads).
pub fn find_chunk(ctx: Context, btree_address: u64, rank: usize, offsets: &[u64]) -> Result<Option<ChunkRecord>> {
    use std::cmp::Ordering;
    if offsets.len() != rank {
        return Err(Error::usage(format!("find_chunk: {} offsets given for rank {}", offsets.len(), rank)));
    }
    let mut w = Walk::new(&ctx);
    let mut address = btree_address;
    let mut parent_level: Option<u8> = None;
    let mut depth = 0u32;
    loop {
        w.visit(address, "v1 B-tree node")?;
        ctx.limits.check_depth(depth, address, "v1 B-tree")?;
        let node = read_chunk_node(ctx, address, rank)?;
        if let Some(pl) = parent_level {
            check_child_level(pl, node.level, address)?;
        }
        // Child i holds chunks with key[i] <= chunk < key[i+1]: the last i with key[i] <= target.
        let mut found = None;
        for (i, _) in node.children.iter().enumerate() {
            match node.keys.get(i) {
                Some(k) if cmp_offsets(&k.offsets, offsets, rank) != Ordering::Greater => found = Some(i),
                _ => break,
            }
        }
        let Some(i) = found else { return Ok(None) };
        let (Some(k), Some(&child)) = (node.keys.get(i), node.children.get(i)) else { return Ok(None) };
        if node.level == 0 {
            if cmp_offsets(&k.offsets, offsets, rank) == Ordering::Equal {
                return Ok(Some(to_record(k, child, rank)));
            }
            return Ok(None);
        }
        parent_level = Some(node.level);
        address = child;
        depth += 1;
    }
}

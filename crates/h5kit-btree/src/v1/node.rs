//! Version 1 B-tree nodes ("TREE", spec III.A.1) and group symbol table nodes ("SNOD", spec
//! III.B) as typed values. A node occupies a fixed size set by K: "TREE" nodes hold 2K
//! children and 2K+1 keys (K: "Group Internal Node K" for type 0, "Indexed Storage Internal
//! Node K" for type 1), "SNOD" nodes 2K entries (K: "Group Leaf Node K"). Only the used
//! entries are meaningful; libhdf5 zeroes the rest (`H5B__cache_serialize`,
//! `H5G__cache_node_serialize`), and so does `encode`.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};
use h5kit_superblock::SymbolTableEntry;

use super::SIGNATURE;

/// The key of one node type (spec III.A.1 "Key").
pub trait NodeKey: Sized + Clone {
    /// What a key's size depends on besides the file's sizes: `()` for group keys, the
    /// dataset's rank for chunk keys.
    type Params: Copy;
    /// "Node Type".
    const NODE_TYPE: u8;
    fn key_size(sizes: Sizes, params: Self::Params) -> usize;
    fn decode_key(r: &mut Reader, params: Self::Params) -> Result<Self>;
    fn encode_key(&self, w: &mut Writer, params: Self::Params) -> Result<()>;
}

/// Node type 0 (group nodes): the key is a local heap offset ("Size of Lengths" bytes).
impl NodeKey for u64 {
    type Params = ();
    const NODE_TYPE: u8 = 0;
    fn key_size(sizes: Sizes, _: ()) -> usize {
        sizes.length as usize
    }
    fn decode_key(r: &mut Reader, _: ()) -> Result<u64> {
        r.length()
    }
    fn encode_key(&self, w: &mut Writer, _: ()) -> Result<()> {
        w.length(*self)
    }
}

/// The key of a type-1 (chunk) node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkKey {
    /// "Size of chunk in bytes".
    pub size: u32,
    pub filter_mask: u32,
    /// `rank + 1` offsets (the last is the offset in the datatype: 0 for chunks; the
    /// element size in the right-most key libhdf5 writes past the last chunk).
    pub offsets: Vec<u64>,
}

/// Node type 1 (raw data chunks); the parameter is the dataset's rank.
impl NodeKey for ChunkKey {
    type Params = usize;
    const NODE_TYPE: u8 = 1;
    fn key_size(_: Sizes, rank: usize) -> usize {
        rank.saturating_add(1).saturating_mul(8).saturating_add(8)
    }
    fn decode_key(r: &mut Reader, rank: usize) -> Result<ChunkKey> {
        let size = r.u32()?;
        let filter_mask = r.u32()?;
        if rank.saturating_add(1).saturating_mul(8) > r.remaining() {
            return Err(r.error(format!("v1 chunk key of rank {} truncated", rank)));
        }
        let offsets = (0..=rank).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
        Ok(ChunkKey { size, filter_mask, offsets })
    }
    fn encode_key(&self, w: &mut Writer, rank: usize) -> Result<()> {
        if self.offsets.len() != rank.saturating_add(1) {
            return Err(Error::usage(format!("v1 chunk key has {} offsets, rank {} needs {}", self.offsets.len(), rank, rank + 1)));
        }
        w.u32(self.size);
        w.u32(self.filter_mask);
        for &o in &self.offsets {
            w.u64(o);
        }
        Ok(())
    }
}

/// A decoded v1 B-tree node (header fields, keys and child addresses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node<K> {
    pub address: u64,
    /// 0: group nodes, 1: raw data chunks.
    pub node_type: u8,
    /// 0 for leaves.
    pub level: u8,
    pub left_sibling: Option<u64>,
    pub right_sibling: Option<u64>,
    /// `entries_used + 1` keys.
    pub keys: Vec<K>,
    /// `entries_used` child addresses.
    pub children: Vec<u64>,
}

impl<K: NodeKey> Node<K> {
    /// Decodes the header and the used entries at the reader's position (the node's address
    /// is the reader's).
    pub fn decode(r: &mut Reader, params: K::Params) -> Result<Node<K>> {
        let address = r.address();
        r.signature(SIGNATURE, "v1 B-tree node")?;
        let node_type = r.u8()?;
        let level = r.u8()?;
        let entries = r.u16()? as usize;
        let left_sibling = r.address_field()?;
        let right_sibling = r.address_field()?;
        if node_type != K::NODE_TYPE {
            return Err(Error::format(address, format!("v1 B-tree node type is {}, expected {}", node_type, K::NODE_TYPE)));
        }
        let entry = K::key_size(r.sizes(), params).saturating_add(r.sizes().offset as usize);
        if entries.saturating_mul(entry) > r.remaining() {
            return Err(r.error(format!("v1 B-tree node of {} entries truncated", entries)));
        }
        let mut keys = Vec::with_capacity(entries + 1);
        let mut children = Vec::with_capacity(entries);
        for _ in 0..entries {
            keys.push(K::decode_key(r, params)?);
            let at = r.address();
            children.push(r.address_field()?.ok_or_else(|| Error::format(at, "v1 B-tree child address is undefined"))?);
        }
        keys.push(K::decode_key(r, params)?);
        Ok(Node { address, node_type, level, left_sibling, right_sibling, keys, children })
    }

    /// Encodes the whole node as allocated for `k` (2K entries, unused ones zeroed). Fails
    /// when more than 2K children are used or keys and children do not pair up.
    pub fn encode(&self, w: &mut Writer, k: u16, params: K::Params) -> Result<()> {
        let two_k = 2 * k as usize;
        let n = self.children.len();
        if n > two_k || n > u16::MAX as usize {
            return Err(Error::usage(format!("v1 B-tree node with {} children, K = {} allows {}", n, k, two_k)));
        }
        if self.keys.len() != n + 1 {
            return Err(Error::usage(format!("v1 B-tree node with {} children has {} keys", n, self.keys.len())));
        }
        if self.node_type != K::NODE_TYPE {
            return Err(Error::usage(format!("v1 B-tree node type {} for keys of type {}", self.node_type, K::NODE_TYPE)));
        }
        let start = w.position();
        w.signature(SIGNATURE);
        w.u8(self.node_type);
        w.u8(self.level);
        w.u16(n as u16);
        w.address_field(self.left_sibling)?;
        w.address_field(self.right_sibling)?;
        for (key, &child) in self.keys.iter().zip(&self.children) {
            key.encode_key(w, params)?;
            w.offset(child)?;
        }
        if let Some(last) = self.keys.last() {
            last.encode_key(w, params)?;
        }
        let size = Self::encoded_size(w.sizes(), k, params);
        let used = (w.position() - start) as u64;
        w.zeros(size.saturating_sub(used) as usize);
        Ok(())
    }

    /// Bytes of a node for `k`: header, 2K children and 2K+1 keys.
    pub fn encoded_size(sizes: Sizes, k: u16, params: K::Params) -> u64 {
        let o = sizes.offset as u64;
        let ks = K::key_size(sizes, params) as u64;
        (8 + 2 * o).saturating_add((2 * k as u64).saturating_mul(ks + o)).saturating_add(ks)
    }
}

const SNOD: &[u8; 4] = b"SNOD";

/// A group symbol table node ("SNOD", version 1): its used entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolTableNode {
    pub entries: Vec<SymbolTableEntry>,
}

impl SymbolTableNode {
    pub fn decode(r: &mut Reader) -> Result<SymbolTableNode> {
        let address = r.address();
        r.signature(SNOD, "symbol table node")?;
        let version = r.u8()?;
        if version != 1 {
            return Err(Error::format(address, format!("symbol table node version {} (expected 1)", version)));
        }
        let _reserved = r.u8()?;
        let n = r.u16()? as usize;
        if n.saturating_mul(SymbolTableEntry::encoded_size(r.sizes().offset)) > r.remaining() {
            return Err(r.error(format!("symbol table node of {} entries truncated", n)));
        }
        let entries = (0..n).map(|_| SymbolTableEntry::decode(r)).collect::<Result<Vec<_>>>()?;
        Ok(SymbolTableNode { entries })
    }

    /// Encodes the whole node as allocated for `leaf_k` ("Group Leaf Node K": 2K entries,
    /// unused ones zeroed).
    pub fn encode(&self, w: &mut Writer, leaf_k: u16) -> Result<()> {
        let n = self.entries.len();
        if n > 2 * leaf_k as usize || n > u16::MAX as usize {
            return Err(Error::usage(format!("symbol table node with {} entries, K = {} allows {}", n, leaf_k, 2 * leaf_k as usize)));
        }
        let start = w.position();
        w.signature(SNOD);
        w.u8(1);
        w.u8(0);
        w.u16(n as u16);
        for e in &self.entries {
            e.encode(w)?;
        }
        let used = (w.position() - start) as u64;
        w.zeros(Self::encoded_size(w.sizes(), leaf_k).saturating_sub(used) as usize);
        Ok(())
    }

    /// Bytes of a node for `leaf_k`: 8 + 2K entries.
    pub fn encoded_size(sizes: Sizes, leaf_k: u16) -> u64 {
        8 + 2 * leaf_k as u64 * SymbolTableEntry::encoded_size(sizes.offset) as u64
    }
}

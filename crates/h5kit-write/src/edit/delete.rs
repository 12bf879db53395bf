//! Deletes in files of the earliest format: links unlinked from symbol-table groups (spec
//! III.B "Group Symbol Table Nodes"), attributes removed from object headers (IV.A.2.m), and
//! objects no link reaches any more freed (IV.A.1 "Object Reference Count").
//!
//! As libhdf5 (`H5G__node_remove`, `H5O_msg_remove`):
//! - the entry leaves its symbol table node, which is rewritten by copy-on-write
//!   ([`super::relocate`]) so the one write of the group's B-tree root switches the group.
//!   The name stays in the local heap: it may still be a B-tree key (libhdf5 moves the key to
//!   the node's new last name and frees it), and a key naming freed heap bytes that a later
//!   name reuses would break the tree order. A node left empty stays in the tree (readers and
//!   inserts handle nodes without entries; libhdf5 would unlink it).
//! - the target's reference count goes down by one. Its header is written after the group,
//!   so a crash between the two leaves a count too high (space lost, never a dangling link);
//!   a version 2 header (an earliest-format file may hold some; the editor does not rewrite
//!   them) keeps its count, too high in the same way. At zero the object is freed: its header chunks, its raw data (contiguous block, chunks
//!   and chunk B-tree nodes), a group's local heap, B-tree and symbol table nodes, and the
//!   objects only it linked to. The space becomes reusable after the flush commits.
//! - an attribute message becomes a NIL message of the same size in its place (one small
//!   write of the message type).

use h5kit_btree::v1::{ChunkKey, Node, SymbolTableNode};
use h5kit_core::{Error, ErrorKind, Result};
use h5kit_heap::local::LocalHeapHeader;
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{ChunkIndex, Layout, LayoutMessage, MaybeShared, Message, ObjectHeader, RawMessage, SharedLocation, SymbolTable, FLAG_SHARED};

use super::dataset::{DatasetEdit, RawStorage};

use super::group::split_path;
use super::relocate::Tree;
use super::Editor;

/// Deepest nesting of groups freed with the group that held them.
const MAX_FREE_DEPTH: usize = 64;
/// Deepest group B-tree searched.
const MAX_DEPTH: usize = 64;

impl Editor {
    /// Removes the link at `path` (h5py's `del f[path]`); the object is freed when no other
    /// link reaches it.
    pub(super) fn delete_link_st(&mut self, path: &str) -> Result<()> {
        self.paths.forget();
        let parts = split_path(path);
        let (last, dirs) = parts.split_last().ok_or_else(|| Error::usage("cannot delete the root group"))?;
        let g = self.resolve(&dirs.join("/"))?;
        let st = self.symbol_table(g)?;
        let target = match self.group_names(g)?.get(last.as_bytes()).copied() {
            Some(t) => t,
            None => return Err(Error::not_found(format!("unable to delete {}: name doesn't exist", path))),
        };
        if target != u64::MAX {
            // The target's header, read before anything changes (a damaged one fails here).
            match self.header(target) {
                Err(e) if e.kind != ErrorKind::Unsupported => return Err(e),
                _ => {}
            }
        }
        let (snod, index) = self
            .find_entry(&st, last.as_bytes())?
            .ok_or_else(|| Error::format(st.btree_address, format!("{}: the name is in no symbol table node of its group", path)))?;
        let c = self.snod(snod)?;
        if index < c.value.entries.len() {
            c.value.entries.remove(index);
        }
        c.dirty = true;
        self.relocate(Tree::Group { root: st.btree_address }, &[snod])?;
        self.group_names(g)?.remove(last.as_bytes());
        self.changed = true;
        if target != u64::MAX {
            self.unlink_object(target, 0)?;
        }
        Ok(())
    }

    /// The symbol table node holding `name` in the group of `st`, and the entry's index:
    /// down the B-tree by its keys (child `i` holds the names after key `i` up to key `i+1`),
    /// then, if the keys mislead, every node.
    pub(super) fn find_entry(&mut self, st: &SymbolTable, name: &[u8]) -> Result<Option<(u64, usize)>> {
        let heap = st.local_heap_address;
        let mut a = st.btree_address;
        for _ in 0..MAX_DEPTH {
            let node = self.group_node(a)?.value.clone();
            let Some(&last_child) = node.children.last() else { return Ok(None) };
            let mut child = last_child;
            for (i, &c) in node.children.iter().enumerate() {
                let Some(&key) = node.keys.get(i + 1) else { break };
                if name <= self.name_at(heap, key)?.as_slice() {
                    child = c;
                    break;
                }
            }
            if node.level > 0 {
                a = child;
                continue;
            }
            if let Some(i) = self.entry_index(heap, child, name)? {
                return Ok(Some((child, i)));
            }
            break;
        }
        // Every symbol table node of the tree.
        let mut todo = vec![(st.btree_address, 0usize)];
        while let Some((a, depth)) = todo.pop() {
            if depth > MAX_DEPTH {
                return Err(Error::format(a, "group B-tree deeper than 64 levels"));
            }
            let node = self.group_node(a)?.value.clone();
            for &c in &node.children {
                if node.level > 0 {
                    todo.push((c, depth + 1));
                } else if let Some(i) = self.entry_index(heap, c, name)? {
                    return Ok(Some((c, i)));
                }
            }
        }
        Ok(None)
    }

    /// Index of the entry named `name` in symbol table node `snod`.
    fn entry_index(&mut self, heap: u64, snod: u64, name: &[u8]) -> Result<Option<usize>> {
        let offsets: Vec<u64> = self.snod(snod)?.value.entries.iter().map(|e| e.link_name_offset).collect();
        for (i, off) in offsets.into_iter().enumerate() {
            if self.name_at(heap, off)? == name {
                return Ok(Some(i));
            }
        }
        Ok(None)
    }

    /// One link to the object at `a` is gone: its reference count goes down, and at zero the
    /// object is freed.
    pub(super) fn unlink_object(&mut self, a: u64, depth: usize) -> Result<()> {
        self.paths.forget();
        let hdr = match self.header(a) {
            Ok(h) => h,
            // A version 2 header the editor does not rewrite (in an earliest-format file): its
            // reference count is left as it is, too high (its space is lost, nothing dangles).
            Err(e) if e.kind == ErrorKind::Unsupported => return Ok(()),
            Err(e) => return Err(e),
        };
        if hdr.header.version == 1 {
            if hdr.header.reference_count > 1 {
                hdr.header.reference_count -= 1;
                hdr.dirty = true;
                return Ok(());
            }
        } else {
            // Version 2: the count is the reference count message (none: one).
            let n = self.reference_count(a)?;
            if n > 1 {
                let sizes = self.sizes;
                self.header(a)?.set_reference_count(n - 1, sizes)?;
                return Ok(());
            }
        }
        self.free_object(a, depth)
    }

    /// Frees the object at `a` (no link reaches it): its header and the storage only it uses.
    fn free_object(&mut self, a: u64, depth: usize) -> Result<()> {
        let mut loaded;
        if depth > MAX_FREE_DEPTH {
            return Err(Error::format(a, "groups nested more than 64 deep"));
        }
        let sizes = self.sizes;
        let header = self.header(a)?.header.clone();
        // The hard links of a group of link messages (compact or dense), unlinked below.
        let links: Vec<u64> = if header.version > 1 && self.is_link_group(a)? {
            self.link_names(a)?.into_values().filter(|&t| t != u64::MAX).collect()
        } else {
            Vec::new()
        };
        let mut types = Vec::new();
        // Nothing of it is written any more.
        self.headers.remove(&a);
        loaded = self.datasets.remove(&a);
        self.names.remove(&a);
        self.drop_link_group(a);
        self.attr_sets.remove(&a);
        for (i, c) in header.chunks.iter().enumerate() {
            if i == 0 && header.version == 1 {
                // The 16-byte prefix and the first chunk's messages.
                self.space.free(a, 16 + c.size);
            } else {
                self.space.free(c.address, c.size);
            }
        }
        for m in &header.messages {
            match m.type_id {
                msg_type::LAYOUT => {
                    if let Ok(Message::Layout(l)) = m.decode(sizes) {
                        match l.layout {
                            Layout::Contiguous { address: Some(x), size } => self.space.free(x, size),
                            Layout::Chunked { chunk_dims, index: ChunkIndex::BTreeV1 { address: Some(root) }, .. } => {
                                self.free_chunk_tree(root, chunk_dims.len(), true)?;
                            }
                            Layout::Chunked { .. } => {
                                let ds = loaded.take();
                                self.free_latest_chunks(&header, &l, ds)?;
                            }
                            _ => {}
                        }
                    }
                }
                msg_type::SYMBOL_TABLE => {
                    if let Ok(Message::SymbolTable(st)) = m.decode(sizes) {
                        self.free_group_storage(&st, depth)?;
                    }
                }
                // A committed datatype used by the object loses that use (libhdf5's
                // `H5O__shared_link_adj`), as a link.
                msg_type::DATATYPE if m.flags & FLAG_SHARED != 0 => {
                    if let Ok(Message::Datatype(MaybeShared::Shared(SharedLocation::ObjectHeader { address }))) = m.decode(sizes) {
                        types.push(address);
                    }
                }
                _ => {}
            }
        }
        for t in links.into_iter().chain(types) {
            self.unlink_object(t, depth + 1)?;
        }
        Ok(())
    }

    /// Frees the chunks of a dataset with a chunk index of the latest format (spec III.H-III.K)
    /// and the index this editor wrote for it; an index libhdf5 wrote stays where it is,
    /// unreachable (its extents are not tracked).
    fn free_latest_chunks(&mut self, header: &ObjectHeader, layout: &LayoutMessage, loaded: Option<DatasetEdit>) -> Result<()> {
        if let Some(ds) = loaded {
            if let RawStorage::Chunked(mut c) = ds.storage {
                for r in c.records.values() {
                    self.space.free(r.address, r.size.max(1));
                }
                for (x, n) in c.new_index.as_mut().map(|ix| ix.take_owned()).unwrap_or_default() {
                    self.space.free(x, n);
                }
            }
            return Ok(());
        }
        let sizes = self.sizes;
        let (mut space, mut esize, mut filtered) = (None, None, false);
        for m in &header.messages {
            match m.decode(sizes) {
                Ok(Message::Dataspace(MaybeShared::Inline(s))) => space = Some(s),
                Ok(Message::Datatype(MaybeShared::Inline(t))) => esize = Some(t.size as usize),
                Ok(Message::FilterPipeline(_)) => filtered = true,
                _ => {}
            }
        }
        let (Some(space), Some(esize)) = (space, esize) else { return Ok(()) };
        for l in h5kit_dataset::chunk_locations(self.ctx(), layout, &space, esize, filtered)? {
            self.space.free(l.address, l.size.max(1));
        }
        Ok(())
    }

    /// Frees a chunk B-tree (type 1, `rank` chunk dimensions): its nodes, and its chunks when
    /// `with_chunks`.
    pub(super) fn free_chunk_tree(&mut self, root: u64, rank: usize, with_chunks: bool) -> Result<()> {
        let tree = Tree::Chunk { root, rank };
        let len = Node::<ChunkKey>::encoded_size(self.sizes, self.chunk_k(), rank);
        let mut todo = vec![(root, 0usize)];
        while let Some((n, depth)) = todo.pop() {
            if depth > MAX_DEPTH {
                return Err(Error::format(n, "chunk B-tree deeper than 64 levels"));
            }
            let (level, children) = self.tree_node(tree, n)?;
            if level > 0 {
                todo.extend(children.iter().map(|&c| (c, depth + 1)));
            } else if let Some(c) = self.chunk_nodes.get(&n).filter(|_| with_chunks) {
                let chunks: Vec<(u64, u64)> = c.value.children.iter().zip(&c.value.keys).map(|(&x, k)| (x, u64::from(k.size))).collect();
                for (x, size) in chunks {
                    self.space.free(x, size);
                }
            }
            self.chunk_nodes.remove(&n);
            self.space.free(n, len);
        }
        Ok(())
    }

    /// Frees a group's local heap, B-tree and symbol table nodes, and unlinks what it links to.
    fn free_group_storage(&mut self, st: &SymbolTable, depth: usize) -> Result<()> {
        for t in self.free_symbol_table(st)? {
            self.unlink_object(t, depth + 1)?;
        }
        Ok(())
    }

    /// Frees a group's local heap, B-tree and symbol table nodes (reusable after the flush
    /// commits); returns the object header addresses of its hard links.
    pub(super) fn free_symbol_table(&mut self, st: &SymbolTable) -> Result<Vec<u64>> {
        let sizes = self.sizes;
        let node_len = Node::<u64>::encoded_size(sizes, self.sb.group_internal_k, ());
        let snod_len = SymbolTableNode::encoded_size(sizes, self.sb.group_leaf_k);
        let tree = Tree::Group { root: st.btree_address };
        let mut targets = Vec::new();
        let mut todo = vec![(st.btree_address, 0usize)];
        while let Some((n, d)) = todo.pop() {
            if d > MAX_DEPTH {
                return Err(Error::format(n, "group B-tree deeper than 64 levels"));
            }
            let (level, children) = self.tree_node(tree, n)?;
            for c in children {
                if level > 0 {
                    todo.push((c, d + 1));
                    continue;
                }
                let entries = self.snod(c)?.value.entries.clone();
                targets.extend(entries.iter().filter(|e| e.scratch.cache_type() != 2).map(|e| e.object_header_address));
                self.snods.remove(&c);
                self.space.free(c, snod_len);
            }
            self.group_nodes.remove(&n);
            self.space.free(n, node_len);
        }
        let heap = self.heap(st.local_heap_address)?;
        let (ha, da, dlen) = (heap.address, heap.data_address, heap.data().len() as u64);
        self.heaps.remove(&st.local_heap_address);
        let head = LocalHeapHeader::padded_size(sizes);
        if da == ha + head {
            self.space.free(ha, head + dlen);
        } else {
            self.space.free(ha, LocalHeapHeader::encoded_size(sizes));
            self.space.free(da, dlen);
        }
        Ok(targets)
    }

    /// Removes the attribute `name` of the object at `object_path`: its message becomes a NIL
    /// message of the same size, as libhdf5 leaves it.
    pub(super) fn delete_attribute_v1(&mut self, object_path: &str, name: &str) -> Result<()> {
        let sizes = self.sizes;
        let h = self.resolve(object_path)?;
        let hdr = self.header(h)?;
        let mut found = None;
        for (i, m) in hdr.header.messages.iter().enumerate().filter(|(_, m)| m.type_id == msg_type::ATTRIBUTE) {
            match m.decode(sizes) {
                Ok(Message::Attribute(MaybeShared::Inline(a))) if a.name == name => {
                    found = Some(i);
                    break;
                }
                Ok(Message::Attribute(MaybeShared::Shared(_))) => {
                    return Err(super::unsupported(format!("{}: deleting shared attribute messages", object_path)));
                }
                _ => {}
            }
        }
        let i = found.ok_or_else(|| Error::not_found(format!("{}: no attribute named {:?}", object_path, name)))?;
        if let Some(m) = hdr.header.messages.get_mut(i) {
            *m = RawMessage { type_id: msg_type::NIL, flags: 0, creation_order: m.creation_order, address: m.address, data: vec![0; m.data.len()] };
        }
        hdr.dirty = true;
        self.changed = true;
        Ok(())
    }
}

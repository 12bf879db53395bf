//! Groups of the earliest format (spec III.B "Group Symbol Table Nodes", III.D "Local
//! Heaps", IV.A.2.r "Symbol Table Message"): names in the group's local heap, entries in
//! symbol table nodes sorted by name, found through a v1 B-tree of type 0 whose keys are the
//! heap offsets of the largest name of each child.

use std::collections::BTreeMap;

use h5kit_btree::v1::{insert_symbol, read_group_node, read_symbol_table_node, GroupInsertParams, Node, SymbolTableNode};
use h5kit_core::{Context, Error, Result};
use h5kit_heap::local::LocalHeap;
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{Message, SymbolTable};
use h5kit_superblock::symbol_table_entry::{ScratchPad, SymbolTableEntry};

use super::relocate::Tree;
use super::{unsupported, Cached, Editor};

/// Bytes of a new group's local heap data segment (libhdf5's default for a new group).
const NEW_HEAP_SIZE: u64 = 88;

/// Deepest group B-tree followed.
const MAX_DEPTH: usize = 32;

/// The paths resolved last, as the caller spelled them: the object of the last
/// [`Editor::resolve`] and the parent group of the last [`Editor::parent_for_new`]. A path
/// leads to the same object until a link is removed (links are only added otherwise, and
/// object headers never move), so [`PathCache::forget`] runs at every delete.
#[derive(Debug, Default)]
pub(super) struct PathCache {
    object: Option<(String, u64)>,
    parent: Option<(String, u64)>,
    /// The symbol table message read last: group header address and message.
    table: Option<(u64, SymbolTable)>,
}

impl PathCache {
    pub(super) fn forget(&mut self) {
        self.object = None;
        self.parent = None;
        self.table = None;
    }

    fn object(&self, path: &str) -> Option<u64> {
        self.object.as_ref().filter(|(p, _)| p == path).map(|&(_, a)| a)
    }

    /// Records that `path` leads to the object at `a`.
    pub(super) fn set_object(&mut self, path: &str, a: u64) {
        set(&mut self.object, path, a);
    }
}

/// Sets a cache entry, reusing its string.
fn set(entry: &mut Option<(String, u64)>, path: &str, a: u64) {
    match entry {
        Some((p, x)) => {
            p.clear();
            p.push_str(path);
            *x = a;
        }
        None => *entry = Some((path.to_string(), a)),
    }
}

/// The names of `path` from the root (empty and "." components dropped).
pub(crate) fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty() && *s != ".").collect()
}

impl Editor {
    /// The symbol table message of the group whose header is at `g`.
    pub(super) fn symbol_table(&mut self, g: u64) -> Result<SymbolTable> {
        // The group of the last call again (a group's symbol table message never changes;
        // forgotten when an object is freed).
        if let Some((a, st)) = self.paths.table {
            if a == g {
                return Ok(st);
            }
        }
        let sizes = self.sizes;
        match self.header(g)?.first(msg_type::SYMBOL_TABLE, sizes)? {
            Some(Message::SymbolTable(st)) => {
                self.paths.table = Some((g, st));
                Ok(st)
            }
            _ => Err(unsupported("groups without a symbol table (link messages)")),
        }
    }

    pub(super) fn heap(&mut self, a: u64) -> Result<&mut LocalHeap> {
        if !self.heaps.contains_key(&a) {
            let h = LocalHeap::read(self.ctx(), a)?;
            self.heaps.insert(a, Cached { value: h, dirty: false });
        }
        self.heaps.get_mut(&a).map(|c| &mut c.value).ok_or_else(|| Error::usage("internal error: heap cache"))
    }

    pub(super) fn snod(&mut self, a: u64) -> Result<&mut Cached<SymbolTableNode>> {
        if !self.snods.contains_key(&a) {
            let entries = read_symbol_table_node(self.ctx(), a)?;
            self.snods.insert(a, Cached { value: SymbolTableNode { entries }, dirty: false });
        }
        self.snods.get_mut(&a).ok_or_else(|| Error::usage("internal error: symbol table node cache"))
    }

    pub(super) fn group_node(&mut self, a: u64) -> Result<&mut Cached<Node<u64>>> {
        if !self.group_nodes.contains_key(&a) {
            let n = read_group_node(self.ctx(), a)?;
            self.group_nodes.insert(a, Cached { value: n, dirty: false });
        }
        self.group_nodes.get_mut(&a).ok_or_else(|| Error::usage("internal error: group node cache"))
    }

    /// The name at `offset` of heap `heap`.
    pub(super) fn name_at(&mut self, heap: u64, offset: u64) -> Result<Vec<u8>> {
        Ok(self.heap(heap)?.string_at(offset)?.to_vec())
    }

    /// Every entry of group `g`: name -> object header address (read once, then kept).
    pub(crate) fn group_names(&mut self, g: u64) -> Result<&mut BTreeMap<Vec<u8>, u64>> {
        if !self.names.contains_key(&g) && self.is_link_group(g)? {
            let names = self.link_names(g)?;
            self.names.insert(g, names);
        }
        if !self.names.contains_key(&g) {
            let st = self.symbol_table(g)?;
            let mut names = BTreeMap::new();
            let mut todo = vec![(st.btree_address, 0usize)];
            while let Some((a, depth)) = todo.pop() {
                if depth > MAX_DEPTH {
                    return Err(Error::format(a, "group B-tree deeper than 32 levels"));
                }
                let node = self.group_node(a)?.value.clone();
                for &child in &node.children {
                    if node.level > 0 {
                        todo.push((child, depth + 1));
                        continue;
                    }
                    let entries = self.snod(child)?.value.entries.clone();
                    for e in entries {
                        let name = self.name_at(st.local_heap_address, e.link_name_offset)?;
                        if e.scratch.cache_type() == 2 {
                            // Soft links: kept out of the map (resolving them is not supported
                            // here); their names still count as taken.
                            names.insert(name, u64::MAX);
                        } else {
                            names.insert(name, e.object_header_address);
                        }
                    }
                }
            }
            self.names.insert(g, names);
        }
        self.names.get_mut(&g).ok_or_else(|| Error::usage("internal error: names cache"))
    }

    /// The object header address of `path` (hard links from the root).
    pub(crate) fn resolve(&mut self, path: &str) -> Result<u64> {
        if let Some(a) = self.paths.object(path) {
            return Ok(a);
        }
        let a = self.resolve_hops(path, 0)?;
        self.paths.set_object(path, a);
        Ok(a)
    }

    /// [`Editor::resolve`] after `hops` soft links followed.
    fn resolve_hops(&mut self, path: &str, hops: usize) -> Result<u64> {
        let mut cur = self.root()?;
        let parts = split_path(path);
        for (i, part) in parts.iter().enumerate() {
            // Groups already looked up: one search of the names map (this runs for every
            // operation on a path).
            let next = match self.names.get(&cur) {
                Some(names) => names.get(part.as_bytes()).copied(),
                None => self.group_names(cur)?.get(part.as_bytes()).copied(),
            };
            cur = match next {
                Some(u64::MAX) if self.is_link_group(cur)? => self.follow_soft_link(cur, part, path)?,
                Some(u64::MAX) => {
                    let target = self.soft_target(cur, part.as_bytes(), parts.get(..i).unwrap_or(&[]), hops)?;
                    self.resolve_hops(&target, hops + 1)?
                }
                Some(a) => a,
                None => return Err(Error::not_found(format!("{}: no object named {:?}", path, part))),
            };
        }
        Ok(cur)
    }

    /// The parent group of a new object at `path` (creating missing groups on the way) and
    /// the new object's name. Fails when the name is taken.
    pub(crate) fn parent_for_new(&mut self, path: &str) -> Result<(u64, String)> {
        // The parent of the last new object again (objects made one after another in one
        // group): only the new name is checked.
        if let Some((dir, last)) = path.rsplit_once('/') {
            let cached = self.paths.parent.as_ref().filter(|(p, _)| p == dir).map(|&(_, g)| g);
            if let Some(g) = cached {
                if !last.is_empty() && last != "." && !last.contains('\0') {
                    if self.group_names(g)?.contains_key(last.as_bytes()) {
                        return Err(Error::usage(format!("unable to create {}: name already exists", path)));
                    }
                    return Ok((g, last.to_string()));
                }
            }
        }
        let (g, name) = self.parent_for_new_walk(path)?;
        if let Some((dir, _)) = path.rsplit_once('/') {
            set(&mut self.paths.parent, dir, g);
        }
        Ok((g, name))
    }

    /// [`Editor::parent_for_new`] by walking the path.
    fn parent_for_new_walk(&mut self, path: &str) -> Result<(u64, String)> {
        let parts = split_path(path);
        for p in &parts {
            if p.contains('\0') {
                return Err(Error::usage(format!("name {:?} contains a NUL byte (HDF5 names are C strings)", p)));
            }
        }
        let (last, dirs) = parts.split_last().ok_or_else(|| Error::usage("the root group already exists"))?;
        // Check the whole path can be made before creating anything.
        let mut cur = Some(self.root()?);
        // The groups on the way that exist (soft links followed, as libhdf5 traverses them).
        let mut found = Vec::with_capacity(dirs.len());
        for (k, d) in dirs.iter().enumerate() {
            let Some(g) = cur else { break };
            // A group whose names are known is a group (its names were read, or the editor
            // made it).
            if !self.names.contains_key(&g) {
                self.check_group(g, path)?;
            }
            cur = match self.group_names(g)?.get(d.as_bytes()).copied() {
                Some(u64::MAX) => Some(self.resolve(&dirs.get(..=k).unwrap_or(&[]).join("/"))?),
                Some(a) => Some(a),
                None => None,
            };
            found.push(cur);
        }
        if let Some(g) = cur {
            // A group whose names are known is a group (its names were read, or the editor
            // made it).
            if !self.names.contains_key(&g) {
                self.check_group(g, path)?;
            }
            if self.group_names(g)?.contains_key(last.as_bytes()) {
                return Err(Error::usage(format!("unable to create {}: name already exists", path)));
            }
        }
        let mut cur = self.root()?;
        for (k, d) in dirs.iter().enumerate() {
            cur = match found.get(k).copied().flatten() {
                Some(a) => a,
                None => {
                    let g = self.new_group()?;
                    self.insert_link(cur, d.as_bytes(), g)?;
                    g
                }
            };
        }
        Ok((cur, (*last).to_string()))
    }

    /// Creates a group at `path` (and missing groups on the way).
    pub fn create_group(&mut self, path: &str) -> Result<()> {
        let (parent, name) = self.parent_for_new(path)?;
        let g = self.new_group()?;
        self.insert_link(parent, name.as_bytes(), g)?;
        self.paths.set_object(path, g);
        Ok(())
    }

    /// A new empty group: local heap (holding the empty name), an empty B-tree, and its
    /// header with the symbol table message. Returns the header address.
    pub(super) fn new_group(&mut self) -> Result<u64> {
        if self.latest {
            return self.new_link_group();
        }
        let sizes = self.sizes;
        let heap_header_len = h5kit_heap::local::LocalHeapHeader::padded_size(sizes);
        let heap_addr = self.allocate(heap_header_len + NEW_HEAP_SIZE)?;
        let mut heap = LocalHeap::new(heap_addr, heap_addr + heap_header_len, NEW_HEAP_SIZE, sizes)?;
        heap.insert(b"", sizes)?;
        self.heaps.insert(heap_addr, Cached { value: heap, dirty: true });
        let node_len = Node::<u64>::encoded_size(sizes, self.sb.group_internal_k, ());
        let btree = self.allocate(node_len)?;
        let node = Node { address: btree, node_type: 0, level: 0, left_sibling: None, right_sibling: None, keys: vec![0], children: vec![] };
        self.group_nodes.insert(btree, Cached { value: node, dirty: true });
        let msg = Message::SymbolTable(SymbolTable { btree_address: btree, local_heap_address: heap_addr });
        let a = self.new_header(&[msg])?;
        self.names.insert(a, BTreeMap::new());
        self.changed = true;
        Ok(a)
    }

    /// Enters `name` -> object header `target` in group `g` (the caller checked the name is
    /// free): the name into the group's local heap (its data segment moves when it grows),
    /// the entry into its symbol table node, splitting nodes as libhdf5 does.
    pub(crate) fn insert_link(&mut self, g: u64, name: &[u8], target: u64) -> Result<()> {
        if self.is_link_group(g)? {
            return self.add_link_message(g, name, h5kit_object_header::LinkTarget::Hard { address: target });
        }
        let st = self.symbol_table(g)?;
        let offset = self.heap_insert(st.local_heap_address, name)?;
        // Only a group's header holds a symbol table message (found without decoding others).
        let scratch = match self.header(target)?.find(msg_type::SYMBOL_TABLE) {
            Some(_) => {
                let t = self.symbol_table(target)?;
                ScratchPad::Group { btree_address: t.btree_address, local_heap_address: t.local_heap_address }
            }
            None => ScratchPad::None,
        };
        let entry = SymbolTableEntry::new(offset, target, scratch);
        if !self.append_entry(&st, name, entry)? {
            self.insert_entry(g, name, entry)?;
        }
        self.group_names(g)?.insert(name.to_vec(), target);
        Ok(())
    }

    /// Puts `bytes` (a name or a soft link value) into the local heap at `heap_addr`; its
    /// offset. The changed data segment goes to new space (the free list lives in it and the
    /// header points at its head: changing both in place would be two writes a crash can
    /// separate); the header then switches to it in one write.
    pub(crate) fn heap_insert(&mut self, heap_addr: u64, bytes: &[u8]) -> Result<u64> {
        let sizes = self.sizes;
        let (old_data, old_size) = {
            let h = self.heap(heap_addr)?;
            (h.data_address, h.data().len() as u64)
        };
        let ins = self.heap(heap_addr)?.insert(bytes, sizes)?;
        if !self.is_fresh(old_data) {
            let a = self.allocate(ins.grown_to.unwrap_or(old_size))?;
            self.heap(heap_addr)?.data_address = a;
            self.space.free(old_data, old_size);
        } else if let Some(new_size) = ins.grown_to {
            let a = self.allocate(new_size)?;
            self.heap(heap_addr)?.data_address = a;
            self.space.free(old_data, old_size);
        }
        if let Some(c) = self.heaps.get_mut(&heap_addr) {
            c.dirty = true;
        }
        self.changed = true;
        Ok(ins.offset)
    }

    /// The common case of [`Editor::insert_entry`], names added in order: `name` after every
    /// name of the group, in a tree whose nodes on the right-most path and right-most symbol
    /// table node were made since the last commit (nothing to move) and whose right-most
    /// symbol table node has room. The entry is appended to that node and the right-most key
    /// of every node on the way becomes its name, as the general insert does
    /// (`h5kit_btree::v1::insert_symbol`: no split, the key right of the last child follows
    /// the node's last name). Returns false, changing nothing, when the case does not apply.
    fn append_entry(&mut self, st: &SymbolTable, name: &[u8], entry: SymbolTableEntry) -> Result<bool> {
        let Some(heap) = self.heaps.get(&st.local_heap_address).map(|c| &c.value) else { return Ok(false) };
        let after = |off: u64| heap.string_at(off).is_ok_and(|n| name > n);
        let leaf_k = usize::from(self.sb.group_leaf_k);
        let internal_k = usize::from(self.sb.group_internal_k);
        let mut path = [0u64; MAX_DEPTH];
        let mut depth = 0;
        let mut a = st.btree_address;
        let snod = loop {
            let Some(c) = self.group_nodes.get(&a) else { return Ok(false) };
            let n = &c.value;
            let count = n.children.len();
            if count == 0 || count > 2 * internal_k || n.keys.len() != count + 1 || (a != st.btree_address && !self.is_fresh(a)) {
                return Ok(false);
            }
            let (Some(&last_key), Some(&child)) = (n.keys.last(), n.children.last()) else { return Ok(false) };
            let before_last = n.keys.get(count - 1).copied().unwrap_or(0);
            if !after(last_key) || !after(before_last) {
                return Ok(false);
            }
            let Some(slot) = path.get_mut(depth) else { return Ok(false) };
            *slot = a;
            depth += 1;
            if n.level == 0 {
                break child;
            }
            a = child;
        };
        let Some(c) = self.snods.get(&snod) else { return Ok(false) };
        let len = c.value.entries.len();
        if !c.value.entries.last().is_some_and(|e| after(e.link_name_offset)) || len > 2 * leaf_k || !self.is_fresh(snod) {
            return Ok(false);
        }
        // A full symbol table node splits (K entries stay, K move to a new node right of it,
        // the key between them the last name left, the entry at the end of the new node); its
        // new child goes to the lowest tree node, which must have room for it.
        let leaf = path.get(depth - 1).copied().unwrap_or(st.btree_address);
        let split = len == 2 * leaf_k;
        if split && self.group_nodes.get(&leaf).is_none_or(|c| c.value.children.len() >= 2 * internal_k) {
            return Ok(false);
        }
        let new_off = entry.link_name_offset;
        for a in path.get(..depth).unwrap_or_default() {
            if let Some(c) = self.group_nodes.get_mut(a) {
                if let Some(k) = c.value.keys.last_mut() {
                    *k = new_off;
                }
                c.dirty = true;
            }
        }
        if !split {
            if let Some(c) = self.snods.get_mut(&snod) {
                c.value.entries.push(entry);
                c.dirty = true;
            }
            self.changed = true;
            return Ok(true);
        }
        let right_addr = self.allocate(SymbolTableNode::encoded_size(self.sizes, self.sb.group_leaf_k))?;
        let Some(c) = self.snods.get_mut(&snod) else { return Err(Error::usage("internal error: symbol table node cache")) };
        let mut right = SymbolTableNode { entries: c.value.entries.split_off(leaf_k) };
        let md_key = c.value.entries.last().map_or(0, |e| e.link_name_offset);
        c.dirty = true;
        right.entries.push(entry);
        self.snods.insert(right_addr, Cached { value: right, dirty: true });
        if let Some(c) = self.group_nodes.get_mut(&leaf) {
            let n = c.value.children.len();
            c.value.keys.insert(n, md_key);
            c.value.children.push(right_addr);
        }
        self.changed = true;
        Ok(true)
    }

    /// Enters `entry` (named `name`, already in the heap) into the symbol table nodes of group
    /// `g`, splitting nodes as libhdf5 does; changed nodes the file holds move (copy-on-write).
    pub(crate) fn insert_entry(&mut self, g: u64, name: &[u8], entry: SymbolTableEntry) -> Result<()> {
        let sizes = self.sizes;
        let st = self.symbol_table(g)?;
        let heap_addr = st.local_heap_address;
        self.heap(heap_addr)?;
        let params = GroupInsertParams::new(self.sb.group_internal_k, self.sb.group_leaf_k, sizes);
        let Editor { storage, limits, sb, group_nodes, snods, space, fresh, heaps, .. } = self;
        // The group's heap, borrowed (not copied) while the tree changes.
        let heap = &heaps.get(&heap_addr).ok_or_else(|| Error::usage("internal error: heap cache"))?.value;
        let name_of = move |off: u64| -> Result<Vec<u8>> { Ok(heap.string_at(off)?.to_vec()) };
        let ctx = || Context::new(storage.as_ref(), sizes, limits, sb.base_address);
        let mut load_tree = |a: u64| -> Result<Node<u64>> {
            match group_nodes.get(&a) {
                Some(c) => Ok(c.value.clone()),
                None => read_group_node(ctx(), a),
            }
        };
        let mut load_snod = |a: u64| -> Result<SymbolTableNode> {
            match snods.get(&a) {
                Some(c) => Ok(c.value.clone()),
                None => Ok(SymbolTableNode { entries: read_symbol_table_node(ctx(), a)? }),
            }
        };
        let mut alloc = |len: u64| -> Result<u64> {
            let a = space.allocate(len)?;
            fresh.insert(a, len);
            Ok(a)
        };
        let out = insert_symbol(st.btree_address, entry, name, &name_of, &params, &mut load_tree, &mut load_snod, &mut alloc)?;
        let mut changed = Vec::new();
        for n in out.tree_nodes {
            changed.push(n.address);
            self.group_nodes.insert(n.address, Cached { value: n, dirty: true });
        }
        for (a, n) in out.symbol_nodes {
            changed.push(a);
            self.snods.insert(a, Cached { value: n, dirty: true });
        }
        self.relocate(Tree::Group { root: st.btree_address }, &changed)?;
        self.changed = true;
        Ok(())
    }
}

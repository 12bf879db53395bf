//! Groups of the earliest format (spec III.B "Group Symbol Table Nodes", III.D "Local
//! Heaps", IV.A.2.r "Symbol Table Message"): names in the group's local heap, entries in
//! symbol table nodes sorted by name, found through a v1 B-tree of type 0 whose keys are the
//! heap offsets of the largest name of each child.

use std::collections::BTreeMap;

use h5kit_btree::v1::{read_group_node, read_symbol_table_node, Node, SymbolTableNode};
use h5kit_core::{Error, Result};
use h5kit_heap::local::LocalHeap;
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{Message, SymbolTable};
use h5kit_superblock::symbol_table_entry::{ScratchPad, SymbolTableEntry};

use super::{unsupported, Cached, Editor};

/// Bytes of a new group's local heap data segment (libhdf5's default for a new group).
const NEW_HEAP_SIZE: u64 = 88;

/// Group B-tree nodes on the way down (address, child index) and the symbol table node
/// reached (`None`: an empty tree).
type LeafPath = (Vec<(u64, usize)>, Option<u64>);

/// Deepest group B-tree followed.
const MAX_DEPTH: usize = 32;

/// The names of `path` from the root (empty and "." components dropped).
pub(crate) fn split_path(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty() && *s != ".").collect()
}

impl Editor {
    /// The symbol table message of the group whose header is at `g`.
    fn symbol_table(&mut self, g: u64) -> Result<SymbolTable> {
        let sizes = self.sizes;
        match self.header(g)?.first(msg_type::SYMBOL_TABLE, sizes)? {
            Some(Message::SymbolTable(st)) => Ok(st),
            _ => Err(unsupported("groups without a symbol table (link messages)")),
        }
    }

    fn heap(&mut self, a: u64) -> Result<&mut LocalHeap> {
        if !self.heaps.contains_key(&a) {
            let h = LocalHeap::read(self.ctx(), a)?;
            self.heaps.insert(a, Cached { value: h, dirty: false });
        }
        self.heaps.get_mut(&a).map(|c| &mut c.value).ok_or_else(|| Error::usage("internal error: heap cache"))
    }

    fn snod(&mut self, a: u64) -> Result<&mut Cached<SymbolTableNode>> {
        if !self.snods.contains_key(&a) {
            let entries = read_symbol_table_node(self.ctx(), a)?;
            self.snods.insert(a, Cached { value: SymbolTableNode { entries }, dirty: false });
        }
        self.snods.get_mut(&a).ok_or_else(|| Error::usage("internal error: symbol table node cache"))
    }

    fn group_node(&mut self, a: u64) -> Result<&mut Cached<Node<u64>>> {
        if !self.group_nodes.contains_key(&a) {
            let n = read_group_node(self.ctx(), a)?;
            self.group_nodes.insert(a, Cached { value: n, dirty: false });
        }
        self.group_nodes.get_mut(&a).ok_or_else(|| Error::usage("internal error: group node cache"))
    }

    /// The name at `offset` of heap `heap`.
    fn name_at(&mut self, heap: u64, offset: u64) -> Result<Vec<u8>> {
        Ok(self.heap(heap)?.string_at(offset)?.to_vec())
    }

    /// Every entry of group `g`: name -> object header address (read once, then kept).
    fn group_names(&mut self, g: u64) -> Result<&mut BTreeMap<Vec<u8>, u64>> {
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
        let mut cur = self.root()?;
        for part in split_path(path) {
            let next = self.group_names(cur)?.get(part.as_bytes()).copied();
            cur = match next {
                Some(u64::MAX) => return Err(unsupported(format!("{}: following soft link {:?}", path, part))),
                Some(a) => a,
                None => return Err(Error::not_found(format!("{}: no object named {:?}", path, part))),
            };
        }
        Ok(cur)
    }

    /// The parent group of a new object at `path` (creating missing groups on the way) and
    /// the new object's name. Fails when the name is taken.
    pub(crate) fn parent_for_new(&mut self, path: &str) -> Result<(u64, String)> {
        let parts = split_path(path);
        for p in &parts {
            if p.contains('\0') {
                return Err(Error::usage(format!("name {:?} contains a NUL byte (HDF5 names are C strings)", p)));
            }
        }
        let (last, dirs) = parts.split_last().ok_or_else(|| Error::usage("the root group already exists"))?;
        // Check the whole path can be made before creating anything.
        let mut cur = Some(self.root()?);
        for d in dirs {
            let Some(g) = cur else { break };
            self.symbol_table(g)?;
            cur = match self.group_names(g)?.get(d.as_bytes()).copied() {
                Some(u64::MAX) => return Err(unsupported(format!("{}: {:?} is a soft link", path, d))),
                Some(a) => Some(a),
                None => None,
            };
        }
        if let Some(g) = cur {
            self.symbol_table(g).map_err(|e| match e.kind {
                h5kit_core::ErrorKind::Unsupported => e,
                _ => Error::usage(format!("{}: the parent is not a group", path)),
            })?;
            if self.group_names(g)?.contains_key(last.as_bytes()) {
                return Err(Error::usage(format!("unable to create {}: name already exists", path)));
            }
        }
        let mut cur = self.root()?;
        for d in dirs {
            cur = match self.group_names(cur)?.get(d.as_bytes()).copied() {
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
        self.check_room(parent, name.as_bytes())?;
        let g = self.new_group()?;
        self.insert_link(parent, name.as_bytes(), g)
    }

    /// A new empty group: local heap (holding the empty name), an empty B-tree, and its
    /// header with the symbol table message. Returns the header address.
    fn new_group(&mut self) -> Result<u64> {
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

    /// Fails with `Unsupported` when inserting `name` into group `g` would need a symbol
    /// table node split (not done yet), before anything changes.
    pub(crate) fn check_room(&mut self, g: u64, name: &[u8]) -> Result<()> {
        let (_, snod) = self.find_leaf(g, name)?;
        if let Some(s) = snod {
            let cap = 2 * usize::from(self.sb.group_leaf_k);
            if self.snod(s)?.value.entries.len() >= cap {
                return Err(unsupported("splitting a full symbol table node"));
            }
        }
        Ok(())
    }

    /// The path of group B-tree nodes (address, child index) down to the leaf where `name`
    /// goes, and that leaf's symbol table node (`None` for an empty tree).
    fn find_leaf(&mut self, g: u64, name: &[u8]) -> Result<LeafPath> {
        let st = self.symbol_table(g)?;
        let mut a = st.btree_address;
        let mut path = Vec::new();
        for _ in 0..MAX_DEPTH {
            let node = self.group_node(a)?.value.clone();
            if node.children.is_empty() {
                return Ok((path, None));
            }
            // The first child whose right key (its largest name) is >= name; the last child
            // when name is past them all.
            let mut idx = node.children.len() - 1;
            for i in 0..node.children.len() {
                let key = node.keys.get(i + 1).copied().unwrap_or(0);
                if self.name_at(st.local_heap_address, key)?.as_slice() >= name {
                    idx = i;
                    break;
                }
            }
            path.push((a, idx));
            let child = node.children.get(idx).copied().ok_or_else(|| Error::format(a, "group B-tree child missing"))?;
            if node.level == 0 {
                return Ok((path, Some(child)));
            }
            a = child;
        }
        Err(Error::format(a, "group B-tree deeper than 32 levels"))
    }

    /// Enters `name` -> object header `target` in group `g` (the caller checked the name is
    /// free and [`Editor::check_room`]).
    pub(crate) fn insert_link(&mut self, g: u64, name: &[u8], target: u64) -> Result<()> {
        self.check_room(g, name)?;
        let sizes = self.sizes;
        let st = self.symbol_table(g)?;
        let (path, snod) = self.find_leaf(g, name)?;
        // The name into the heap (moving its data segment when it grows).
        let heap_addr = st.local_heap_address;
        let (old_data, old_size) = {
            let h = self.heap(heap_addr)?;
            (h.data_address, h.data().len() as u64)
        };
        let ins = self.heap(heap_addr)?.insert(name, sizes)?;
        if let Some(new_size) = ins.grown_to {
            let a = self.allocate(new_size)?;
            self.heap(heap_addr)?.data_address = a;
            self.space.free(old_data, old_size);
        }
        if let Some(c) = self.heaps.get_mut(&heap_addr) {
            c.dirty = true;
        }
        let scratch = match self.header(target)?.first(msg_type::SYMBOL_TABLE, sizes)? {
            Some(Message::SymbolTable(t)) => ScratchPad::Group { btree_address: t.btree_address, local_heap_address: t.local_heap_address },
            _ => ScratchPad::None,
        };
        let entry = SymbolTableEntry::new(ins.offset, target, scratch);
        match snod {
            Some(s) => {
                let mut entries = std::mem::take(&mut self.snod(s)?.value.entries);
                let mut pos = entries.len();
                for (i, e) in entries.iter().enumerate() {
                    if self.name_at(heap_addr, e.link_name_offset)?.as_slice() > name {
                        pos = i;
                        break;
                    }
                }
                entries.insert(pos, entry);
                let c = self.snod(s)?;
                c.value.entries = entries;
                c.dirty = true;
            }
            None => {
                let len = SymbolTableNode::encoded_size(sizes, self.sb.group_leaf_k);
                let s = self.allocate(len)?;
                self.snods.insert(s, Cached { value: SymbolTableNode { entries: vec![entry] }, dirty: true });
                let c = self.group_node(st.btree_address)?;
                c.value.children = vec![s];
                c.value.keys = vec![0, ins.offset];
                c.dirty = true;
            }
        }
        // A name past every other becomes the right key of each node on the way down.
        for (a, idx) in path {
            let key = self.group_node(a)?.value.keys.get(idx + 1).copied().unwrap_or(0);
            if self.name_at(heap_addr, key)?.as_slice() < name {
                let c = self.group_node(a)?;
                if let Some(k) = c.value.keys.get_mut(idx + 1) {
                    *k = ins.offset;
                }
                c.dirty = true;
            }
        }
        self.group_names(g)?.insert(name.to_vec(), target);
        self.changed = true;
        Ok(())
    }
}

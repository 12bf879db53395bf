//! Group membership: links of every storage kind (spec IV.A.2.g "The Link Message",
//! IV.A.2.c "The Link Info Message", IV.A.2.r "The Symbol Table Message") and path lookup.
//!
//! - Symbol-table groups (the original format): a v1 B-tree of symbol table nodes whose
//!   entries name links through the group's local heap (III.A.1, III.B, III.D).
//! - Compact groups: link messages in the object header.
//! - Dense groups: link messages stored in a fractal heap, indexed by a v2 B-tree of link
//!   name hashes (record type 5) (III.G, III.A.2).

use std::collections::HashSet;

use h5kit_core::{Error, Result};
use h5kit_heap::LocalHeap;
use h5kit_object_header::{CharacterSet, LinkTarget, Message};
use h5kit_superblock::ScratchPad;

use crate::object::{Group, Object};

/// A link of a group: its name and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link's name in its group.
    pub name: String,
    /// What the link points to (an object address, a path, or a path in another file).
    pub target: LinkTarget,
    /// The creation order index, when the group tracks it.
    pub creation_order: Option<u64>,
    /// Character set of the name.
    pub charset: CharacterSet,
}

const LINK_MESSAGE: u16 = 0x0006;

fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Group {
    /// All links, in storage order (symbol-table groups: name order; compact groups: header
    /// order; dense groups: name-hash order). Sort as needed.
    pub fn links(&self) -> Result<Vec<Link>> {
        Ok(self.cached_links()?.to_vec())
    }

    /// The links, read from the file on first use.
    fn cached_links(&self) -> Result<&[Link]> {
        if let Some(l) = self.links.get() {
            return Ok(l);
        }
        let links = self.read_links().map_err(|e| e.in_object(self.core.path.clone()))?;
        Ok(self.links.get_or_init(|| links))
    }

    fn read_links(&self) -> Result<Vec<Link>> {
        let file = &self.core.file;
        let ctx = file.ctx();
        let mut links = Vec::new();
        for m in &self.core.messages {
            match m {
                Message::SymbolTable(st) => {
                    let heap = LocalHeap::read(ctx, st.local_heap_address)?;
                    for entry in h5kit_btree::v1::read_group_entries(ctx, st.btree_address)? {
                        let name = utf8(heap.string_at(entry.link_name_offset)?);
                        let target = match entry.scratch {
                            ScratchPad::SymbolicLink { link_value_offset } => {
                                LinkTarget::Soft { path: utf8(heap.string_at(link_value_offset as u64)?) }
                            }
                            _ => LinkTarget::Hard { address: entry.object_header_address },
                        };
                        links.push(Link { name, target, creation_order: None, charset: CharacterSet::Ascii });
                    }
                }
                Message::Link(l) => links.push(Link {
                    name: l.name.clone(),
                    target: l.target.clone(),
                    creation_order: l.creation_order,
                    charset: l.charset,
                }),
                Message::LinkInfo(info) => {
                    let (Some(heap), Some(index)) = (info.fractal_heap_address, info.name_index_address) else {
                        continue;
                    };
                    for m in crate::dense::dense_messages(file, heap, index, LINK_MESSAGE)? {
                        match m {
                            Message::Link(l) => links.push(Link {
                                name: l.name,
                                target: l.target,
                                creation_order: l.creation_order,
                                charset: l.charset,
                            }),
                            _ => return Err(Error::format(heap, "dense link storage holds a non-link message")),
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(links)
    }

    /// The link named `name` (one path component), if any.
    pub fn link(&self, name: &str) -> Result<Option<Link>> {
        if self.links.get().is_none() {
            if let Some(found) = self.find_link_direct(name)? {
                return Ok(found);
            }
        }
        Ok(self.cached_links()?.iter().find(|l| l.name == name).cloned())
    }

    /// The link `name` found without listing the group (`Some(None)`: there is none): in a
    /// symbol table by one descent of its B-tree, in dense storage by one descent of the name
    /// index. `None` for compact groups (their links are in the header already) and groups
    /// mixing storages. Over a network this reads a few nodes instead of the whole group.
    fn find_link_direct(&self, name: &str) -> Result<Option<Option<Link>>> {
        let mut tables = self.core.messages.iter().filter_map(|m| match m {
            Message::SymbolTable(st) => Some(st),
            _ => None,
        });
        let has_links = self.core.messages.iter().any(|m| matches!(m, Message::Link(_)));
        let mut infos = self.core.messages.iter().filter_map(|m| match m {
            Message::LinkInfo(info) => Some(info),
            _ => None,
        });
        let (table, info) = (tables.next(), infos.next());
        if tables.next().is_some() || infos.next().is_some() || has_links {
            return Ok(None);
        }
        let st = match (table, info) {
            (Some(st), None) => st,
            (None, Some(info)) => {
                let (Some(heap), Some(index)) = (info.fractal_heap_address, info.name_index_address) else { return Ok(None) };
                let found = crate::dense::find_dense_link(&self.core.file, heap, index, name)
                    .map_err(|e| e.in_object(self.core.path.clone()))?;
                return Ok(Some(found.and_then(|m| match m {
                    Message::Link(l) => Some(Link { name: l.name, target: l.target, creation_order: l.creation_order, charset: l.charset }),
                    _ => None,
                })));
            }
            _ => return Ok(None),
        };
        let ctx = self.core.file.ctx();
        let heap = LocalHeap::read(ctx, st.local_heap_address).map_err(|e| e.in_object(self.core.path.clone()))?;
        let name_at = |offset: u64| heap.string_at(offset);
        let entry = h5kit_btree::v1::find_group_entry(ctx, st.btree_address, name.as_bytes(), &name_at)
            .map_err(|e| e.context("reading group v1 B-tree").in_object(self.core.path.clone()))?;
        let Some(e) = entry else { return Ok(Some(None)) };
        let target = match e.scratch {
            ScratchPad::SymbolicLink { link_value_offset } => LinkTarget::Soft { path: utf8(heap.string_at(link_value_offset as u64)?) },
            _ => LinkTarget::Hard { address: e.object_header_address },
        };
        Ok(Some(Some(Link { name: name.to_string(), target, creation_order: None, charset: CharacterSet::Ascii })))
    }

    /// Whether `path` (relative to this group, or absolute) names an object or link.
    pub fn contains(&self, path: &str) -> bool {
        self.open(path).is_ok()
    }

    /// Names of the links, in name order (h5py's `keys()`).
    pub fn keys(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.links()?.into_iter().map(|l| l.name).collect();
        names.sort();
        Ok(names)
    }

    /// Opens the object at `path`: relative to this group, or absolute from the root.
    /// Hard and soft links are followed; external links are not (an error says so).
    pub fn open(&self, path: &str) -> Result<Object> {
        let mut seen_soft = HashSet::new();
        self.open_inner(path, &mut seen_soft, 0)
    }

    fn open_inner(&self, path: &str, seen_soft: &mut HashSet<String>, depth: u32) -> Result<Object> {
        let file = self.core.file.clone();
        file.limits.check_depth(depth, self.core.address, "soft link chain")?;
        let mut current: Object = if path.starts_with('/') {
            let root_addr = file.superblock.root_object_header_address;
            Object::open(file.clone(), root_addr, "/".to_string())?
        } else {
            Object::Group(self.clone())
        };
        for component in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            let group = match &current {
                Object::Group(g) => g.clone(),
                _ => return Err(Error::not_found(format!("{} is not a group", current.path())).in_object(path)),
            };
            let link = group
                .link(component)?
                .ok_or_else(|| Error::not_found(format!("no object named {:?} in {}", component, group.path())))?;
            let child_path = if group.path() == "/" { format!("/{}", component) } else { format!("{}/{}", group.path(), component) };
            current = match link.target {
                LinkTarget::Hard { address } => Object::open(file.clone(), address, child_path)?,
                LinkTarget::Soft { path: target } => {
                    if !seen_soft.insert(format!("{}:{}", group.address(), target)) {
                        return Err(Error::format(group.address(), format!("soft link cycle through {:?}", target)).in_object(child_path));
                    }
                    group.open_inner(&target, seen_soft, depth + 1)?
                }
                LinkTarget::External { file: f, path: p } => {
                    return Err(Error::new(
                        h5kit_core::ErrorKind::Unsupported,
                        format!("{} is an external link to {}:{}", child_path, f, p),
                    ))
                }
                LinkTarget::UserDefined { link_type, .. } => {
                    return Err(Error::new(
                        h5kit_core::ErrorKind::Unsupported,
                        format!("{} is a user-defined link of type {}", child_path, link_type),
                    ))
                }
            };
        }
        Ok(current)
    }
}

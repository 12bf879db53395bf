//! Groups of the new style (spec IV.A.2.c "The Link Info Message", IV.A.2.g "The Link
//! Message", IV.A.2.k "The Group Info Message"): a group whose header holds a link info
//! message keeps its links as link messages in that header (compact storage) or, past the
//! group info's "Maximum Compact Value" (8 by default), in dense storage ([`super::dense`]),
//! back to compact below "Minimum Dense Value" (6), as libhdf5 switches them.
//!
//! Hard, soft and external links are added and removed here; a removed hard link lowers its
//! object's reference count (the object's space is not reclaimed when it reaches 0: nothing
//! reaches the object any more).

use std::collections::BTreeMap;

use h5kit_object_header::message::msg_type;
use h5kit_object_header::{CharacterSet, GroupInfo, LinkInfo, LinkMessage, LinkTarget, Message, RawMessage};

use h5kit_core::{Error, Result};

use super::dense::{read_dense, DenseItem, Store};
use super::group::split_path;
use super::{unsupported, Editor};

/// libhdf5's default group info: at most 8 links compact, back to compact below 6.
const MAX_COMPACT: usize = 8;
const MIN_DENSE: usize = 6;
/// Free bytes of a new group's header: four link messages with 8-byte names, as libhdf5
/// estimates a new group (`H5G_CRT_GINFO_EST_NUM_ENTRIES`, `..._EST_NAME_LEN`).
const NEW_GROUP_SPARE: usize = 4 * (4 + 19);
/// Most soft links followed resolving one path (libhdf5's default `H5L_NUM_LINKS`, 16).
const MAX_SOFT_DEPTH: u32 = 16;

/// A new-style group loaded for change.
#[derive(Debug, Clone)]
pub(crate) struct LinkGroup {
    info: LinkInfo,
    max_compact: usize,
    min_dense: usize,
    /// Every link, by name.
    links: BTreeMap<Vec<u8>, LinkMessage>,
    /// The links are in dense storage (as the header will say once flushed).
    dense: bool,
    /// The dense storage must be written again at the flush.
    dense_dirty: bool,
    /// Ranges of the dense storage this editor wrote last (freed when replaced).
    owned: Vec<(u64, u64)>,
}

impl Editor {
    /// Whether the object whose header is at `g` is a group of link messages (loaded then).
    pub(crate) fn is_link_group(&mut self, g: u64) -> Result<bool> {
        if self.links.contains_key(&g) {
            return Ok(true);
        }
        let sizes = self.sizes;
        let hdr = self.header(g)?;
        let info = match hdr.first(msg_type::LINK_INFO, sizes)? {
            Some(Message::LinkInfo(i)) => i,
            _ => return Ok(false),
        };
        let ginfo = match hdr.first(msg_type::GROUP_INFO, sizes)? {
            Some(Message::GroupInfo(gi)) => gi,
            _ => GroupInfo::default(),
        };
        let mut links = BTreeMap::new();
        let dense = info.fractal_heap_address.is_some();
        if let (Some(heap), Some(index)) = (info.fractal_heap_address, info.name_index_address) {
            for (_, body) in read_dense(self.ctx(), heap, index)? {
                let m = h5kit_object_header::decode_message(msg_type::LINK, 0, &body, heap, sizes)?;
                if let Message::Link(l) = m {
                    links.insert(l.name.as_bytes().to_vec(), l);
                }
            }
        } else if dense {
            return Err(Error::format(g, "link info with a fractal heap but no name index"));
        } else {
            for m in hdr.header.messages.iter().filter(|m| m.type_id == msg_type::LINK) {
                if let Message::Link(l) = m.decode(sizes)? {
                    links.insert(l.name.as_bytes().to_vec(), l);
                }
            }
        }
        let group = LinkGroup {
            info,
            max_compact: ginfo.max_compact.map(usize::from).unwrap_or(MAX_COMPACT),
            min_dense: ginfo.min_dense.map(usize::from).unwrap_or(MIN_DENSE),
            links,
            dense,
            dense_dirty: false,
            owned: Vec::new(),
        };
        self.links.insert(g, group);
        Ok(true)
    }

    /// The object the soft link `name` of group `g` reaches (`path` is the whole path, for
    /// errors): its target resolved from the root (absolute) or from `g` (relative), at most
    /// [`MAX_SOFT_DEPTH`] soft links deep, as libhdf5's `H5L_NUM_LINKS` bounds traversal.
    /// External links are not followed (an error, as the in-memory model gives); the soft
    /// links of symbol-table groups are followed elsewhere (`link.rs`).
    pub(crate) fn follow_soft_link(&mut self, g: u64, name: &str, path: &str) -> Result<u64> {
        if !self.is_link_group(g)? {
            return Err(unsupported(format!("{}: following soft link {:?}", path, name)));
        }
        let target = self.links.get(&g).and_then(|l| l.links.get(name.as_bytes())).map(|l| l.target.clone());
        let Some(LinkTarget::Soft { path: to }) = target else {
            // As the in-memory model: a path through an external link is not written (its
            // target lives in another file).
            return Err(Error::usage(format!("{}: {:?} is an external link (to another file): not followed when writing", path, name)));
        };
        if self.soft_depth >= MAX_SOFT_DEPTH {
            return Err(Error::usage(format!("{}: more than {} soft links followed (a cycle?)", path, MAX_SOFT_DEPTH)));
        }
        self.soft_depth += 1;
        let r = if to.starts_with('/') {
            self.resolve(&to)
        } else {
            // Relative to the group holding the link.
            let mut cur = Ok(g);
            for part in split_path(&to) {
                let Ok(c) = cur else { break };
                cur = match self.group_names(c).map(|n| n.get(part.as_bytes()).copied()) {
                    Ok(Some(u64::MAX)) => self.follow_soft_link(c, part, path),
                    Ok(Some(a)) => Ok(a),
                    Ok(None) => Err(Error::not_found(format!("{}: soft link {:?} dangles ({})", path, name, to))),
                    Err(e) => Err(e),
                };
            }
            cur
        };
        self.soft_depth -= 1;
        r.map_err(|e| if e.kind == h5kit_core::ErrorKind::NotFound { Error::not_found(format!("{}: soft link {:?} to {} dangles", path, name, to)) } else { e })
    }

    /// Checks that the object at `g` is a group (of either style) before a name goes into it.
    pub(crate) fn check_group(&mut self, g: u64, path: &str) -> Result<()> {
        if self.is_link_group(g)? {
            return Ok(());
        }
        let sizes = self.sizes;
        match self.header(g)?.first(msg_type::SYMBOL_TABLE, sizes)? {
            Some(Message::SymbolTable(_)) => Ok(()),
            _ => Err(Error::usage(format!("{}: the parent is not a group", path))),
        }
    }

    /// Names of link group `g`: name -> object header address (`u64::MAX` for soft and
    /// external links, which are not followed).
    pub(crate) fn link_names(&mut self, g: u64) -> Result<BTreeMap<Vec<u8>, u64>> {
        self.is_link_group(g)?;
        let group = self.links.get(&g).ok_or_else(|| Error::usage("internal error: link group cache"))?;
        Ok(group
            .links
            .iter()
            .map(|(n, l)| match l.target {
                LinkTarget::Hard { address } => (n.clone(), address),
                _ => (n.clone(), u64::MAX),
            })
            .collect())
    }

    /// A new empty group of the new style: link info (no creation order), group info and
    /// room for four links in a version 2 header. Returns the header address.
    pub(crate) fn new_link_group(&mut self) -> Result<u64> {
        let info = LinkInfo {
            max_creation_index: None,
            fractal_heap_address: None,
            name_index_address: None,
            index_creation_order: false,
            creation_order_index_address: None,
        };
        let msgs = [Message::LinkInfo(info.clone()), Message::GroupInfo(GroupInfo::default())];
        let a = self.new_v2_header(&msgs, NEW_GROUP_SPARE)?;
        let group = LinkGroup {
            info,
            max_compact: MAX_COMPACT,
            min_dense: MIN_DENSE,
            links: BTreeMap::new(),
            dense: false,
            dense_dirty: false,
            owned: Vec::new(),
        };
        self.links.insert(a, group);
        self.names.insert(a, BTreeMap::new());
        Ok(a)
    }

    /// Adds the link `name` -> `target` to link group `g` (the caller checked the name is
    /// free): a link message in the header while the group stays compact, else into dense
    /// storage (the switch when the count passes "Maximum Compact Value").
    pub(crate) fn add_link_message(&mut self, g: u64, name: &[u8], target: LinkTarget) -> Result<()> {
        let sizes = self.sizes;
        self.is_link_group(g)?;
        let name_str = std::str::from_utf8(name).map_err(|_| Error::usage("link names must be UTF-8"))?.to_string();
        let charset = if name_str.is_ascii() { CharacterSet::Ascii } else { CharacterSet::Utf8 };
        let group = self.links.get_mut(&g).ok_or_else(|| Error::usage("internal error: link group cache"))?;
        let mut info_changed = false;
        let creation_order = match group.info.max_creation_index {
            Some(next) => {
                group.info.max_creation_index = Some(next.saturating_add(1));
                info_changed = true;
                Some(next)
            }
            None => None,
        };
        let link = LinkMessage { name: name_str, charset, creation_order, target: target.clone() };
        let to_dense = !group.dense && group.links.len() + 1 > group.max_compact;
        group.links.insert(name.to_vec(), link.clone());
        let dense = group.dense;
        if to_dense {
            group.dense = true;
        }
        if dense || to_dense {
            group.dense_dirty = true;
        }
        if to_dense {
            self.header(g)?.remove_messages_where(|m| m.type_id == msg_type::LINK);
        } else if !dense {
            self.header(g)?.add(&Message::Link(link), sizes)?;
        }
        if info_changed {
            self.write_link_info(g)?;
        }
        let address = match target {
            LinkTarget::Hard { address } => address,
            _ => u64::MAX,
        };
        self.names.entry(g).or_default().insert(name.to_vec(), address);
        self.changed = true;
        Ok(())
    }

    /// Removes link `name` of link group `g`; returns it. Dense storage below "Minimum Dense
    /// Value" links goes back to link messages.
    pub(crate) fn remove_link_message(&mut self, g: u64, name: &[u8]) -> Result<LinkMessage> {
        let sizes = self.sizes;
        self.is_link_group(g)?;
        let group = self.links.get_mut(&g).ok_or_else(|| Error::usage("internal error: link group cache"))?;
        self.paths.forget();
        let link = group.links.remove(name).ok_or_else(|| Error::not_found(format!("no link named {:?}", String::from_utf8_lossy(name))))?;
        let (dense, to_compact) = (group.dense, group.dense && group.links.len() < group.min_dense);
        if let Some(n) = self.names.get_mut(&g) {
            n.remove(name);
        }
        self.changed = true;
        if !dense {
            let hdr = self.header(g)?;
            hdr.remove_messages_where(|m| m.type_id == msg_type::LINK && link_name(m, sizes).as_deref() == Some(name));
            return Ok(link);
        }
        if !to_compact {
            if let Some(group) = self.links.get_mut(&g) {
                group.dense_dirty = true;
            }
            return Ok(link);
        }
        // Back to compact: every link into the header, the dense storage unnamed.
        let (links, owned) = match self.links.get_mut(&g) {
            Some(group) => {
                group.dense = false;
                group.dense_dirty = false;
                group.info.fractal_heap_address = None;
                group.info.name_index_address = None;
                group.info.creation_order_index_address = None;
                (group.links.values().cloned().collect::<Vec<_>>(), std::mem::take(&mut group.owned))
            }
            None => return Err(Error::usage("internal error: link group cache")),
        };
        for l in links {
            self.header(g)?.add(&Message::Link(l), sizes)?;
        }
        self.write_link_info(g)?;
        for (a, n) in owned {
            self.space.free(a, n);
        }
        Ok(link)
    }

    /// Replaces the link info message of group `g` with the cached one.
    fn write_link_info(&mut self, g: u64) -> Result<()> {
        let sizes = self.sizes;
        let info = self.links.get(&g).map(|l| l.info.clone()).ok_or_else(|| Error::usage("internal error: link group cache"))?;
        let hdr = self.header(g)?;
        let i = hdr.find(msg_type::LINK_INFO).ok_or_else(|| Error::format(g, "group without a link info message"))?;
        hdr.replace(i, &Message::LinkInfo(info), sizes)
    }

    /// Writes the dense storage of every group whose links changed there (into new space;
    /// the link info message switches to it), before the headers are encoded.
    pub(super) fn flush_dense_links(&mut self) -> Result<()> {
        let groups: Vec<u64> = self.links.iter().filter(|(_, l)| l.dense_dirty).map(|(a, _)| *a).collect();
        for g in groups {
            let (items, order_index) = {
                let Some(group) = self.links.get(&g) else { continue };
                let mut items = Vec::with_capacity(group.links.len());
                for l in group.links.values() {
                    let raw = RawMessage::encode(&Message::Link(l.clone()), None, self.sizes)?;
                    items.push(DenseItem { name: l.name.as_bytes().to_vec(), creation_order: l.creation_order.unwrap_or(0), body: raw.data });
                }
                (items, group.info.index_creation_order)
            };
            let written = self.write_dense(Store::Links, &items, order_index)?;
            let old = match self.links.get_mut(&g) {
                Some(group) => {
                    group.info.fractal_heap_address = Some(written.heap);
                    group.info.name_index_address = Some(written.name_index);
                    group.info.creation_order_index_address = written.order_index;
                    group.dense_dirty = false;
                    std::mem::replace(&mut group.owned, written.extents)
                }
                None => continue,
            };
            self.write_link_info(g)?;
            for (a, n) in old {
                self.space.free(a, n);
            }
        }
        Ok(())
    }

    /// The parent group of `path` (which must exist) and the last name.
    fn parent_of_path(&mut self, path: &str) -> Result<(u64, String)> {
        let parts = split_path(path);
        let (last, dirs) = parts.split_last().ok_or_else(|| Error::usage("the root group cannot be unlinked"))?;
        let parent = self.resolve(&dirs.join("/"))?;
        Ok((parent, (*last).to_string()))
    }

    /// Whether the parent group of a new link at `path` is (or, made now, will be) a group of
    /// link messages: checked before anything is created.
    fn parent_takes_link_messages(&mut self, path: &str) -> Result<bool> {
        let parts = split_path(path);
        let Some((_, dirs)) = parts.split_last() else { return Err(Error::usage("the root group already exists")) };
        let mut cur = self.root()?;
        for (k, d) in dirs.iter().enumerate() {
            match self.group_names(cur)?.get(d.as_bytes()).copied() {
                // Soft links followed (external ones are an error), as `parent_for_new` does.
                Some(u64::MAX) => cur = self.resolve(&dirs.get(..=k).unwrap_or(&[]).join("/"))?,
                Some(a) => cur = a,
                None => return Ok(self.latest),
            }
            self.check_group(cur, path)?;
        }
        self.is_link_group(cur)
    }

    /// Creates a soft link at `path` to `target` (h5py's `f[path] = SoftLink(target)`).
    pub fn create_soft_link(&mut self, path: &str, target: &str) -> Result<()> {
        super::link::check_value("soft link target", target)?;
        if !self.parent_takes_link_messages(path)? {
            return self.create_soft_link_st(path, target);
        }
        let (parent, name) = self.parent_for_new(path)?;
        self.add_link_message(parent, name.as_bytes(), LinkTarget::Soft { path: target.to_string() })
    }

    /// Creates an external link at `path` to `target` in `file`.
    pub fn create_external_link(&mut self, path: &str, file: &str, target: &str) -> Result<()> {
        super::link::check_value("external link file name", file)?;
        super::link::check_value("external link target", target)?;
        if !self.parent_takes_link_messages(path)? {
            return self.create_external_link_st(path, file, target);
        }
        let (parent, name) = self.parent_for_new(path)?;
        self.add_link_message(parent, name.as_bytes(), LinkTarget::External { file: file.to_string(), path: target.to_string() })
    }

    /// Creates a hard link at `path` to the object at `existing`; its reference count grows.
    pub fn create_hard_link(&mut self, path: &str, existing: &str) -> Result<()> {
        if !self.parent_takes_link_messages(path)? {
            return self.create_hard_link_st(path, existing);
        }
        let target = self.resolve(existing)?;
        let (parent, name) = self.parent_for_new(path)?;
        let n = self.reference_count(target)?;
        let sizes = self.sizes;
        self.header(target)?.set_reference_count(n.saturating_add(1), sizes)?;
        self.add_link_message(parent, name.as_bytes(), LinkTarget::Hard { address: target })
    }

    /// Removes the link at `path` (h5py's `del f[path]`). A hard link's object loses one
    /// reference; at none it is freed.
    pub fn delete_link(&mut self, path: &str) -> Result<()> {
        // Paths resolved before may lead through this link (or to an object freed here), and
        // so may those resolved while deleting it.
        self.paths.forget();
        let r = self.delete_link_any(path);
        self.paths.forget();
        r
    }

    fn delete_link_any(&mut self, path: &str) -> Result<()> {
        let (parent, name) = self.parent_of_path(path)?;
        if !self.is_link_group(parent)? {
            return self.delete_link_st(path);
        }
        let link = self.remove_link_message(parent, name.as_bytes()).map_err(|e| e.in_object(path))?;
        if let LinkTarget::Hard { address } = link.target {
            // One reference less; at none the object is freed (`delete`).
            self.unlink_object(address, 0)?;
        }
        Ok(())
    }

    /// Forgets the link group at `g` (its object is freed): the dense storage this editor
    /// wrote for it is freed.
    pub(super) fn drop_link_group(&mut self, g: u64) {
        if let Some(group) = self.links.remove(&g) {
            for (a, n) in group.owned {
                self.space.free(a, n);
            }
        }
    }
}

/// The name of a raw link message (`None` when it does not decode).
fn link_name(m: &RawMessage, sizes: h5kit_core::Sizes) -> Option<Vec<u8>> {
    match m.decode(sizes) {
        Ok(Message::Link(l)) => Some(l.name.into_bytes()),
        _ => None,
    }
}

//! Links other than a new object's first hard link, in groups of the earliest format.
//!
//! - A soft link is a symbol table entry of cache type 2 (spec III.C "Symbol Table Entry":
//!   the scratch-pad holds the heap offset of the link value) whose object header address is
//!   undefined; name and value go into the group's local heap, as libhdf5 stores them.
//! - A second hard link to an object is an entry like the first one; the object's reference
//!   count (IV.A.1, version 1 prefix) goes up by one first, by one 4-byte write at once: a
//!   crash before the link is committed leaves a count too high (space lost if the object is
//!   deleted later), never one too low (the object freed while a link remains).
//! - External links cannot live in a symbol table. libhdf5 (`H5G__obj_insert`) converts the
//!   group to the "new style" first: a Link Info message (IV.A.2.c), a Group Info message
//!   (IV.A.2.k) and one Link message (IV.A.2.g) per existing link in name order replace the
//!   Symbol Table message, then the new link's message follows. The editor does the same for
//!   groups that stay compact (at most 8 links, the default "maximum compact" value): the new
//!   messages in a new continuation chunk, and a continuation message to it in the symbol
//!   table message's place (as libhdf5's file shows it), so one write of that header chunk
//!   switches the group; the old heap and nodes are freed after the flush. A larger group
//!   goes to dense storage, as libhdf5 converts it: the new-style messages without links,
//!   then every link added (`link_message.rs`), the store written at the flush.
//!   Later changes inside a converted group are those of a new-style group (`link_message.rs`).

use h5kit_core::{Error, Result, Writer};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{
    encode_chunk, message_space, CharacterSet, GroupInfo, HeaderChunk, LinkInfo, LinkMessage, LinkTarget, Message, RawMessage, SymbolTable,
};
use h5kit_superblock::symbol_table_entry::{ScratchPad, SymbolTableEntry};

use super::relocate::Tree;
use super::{unsupported, Editor};

/// libhdf5's default "maximum compact" link count: more links need dense storage.
const MAX_COMPACT_LINKS: usize = 8;
/// Dense link storage the editor writes (`dense.rs`): one direct block of at most 1 MiB,
/// messages of at most 4096 bytes (checked, with room for the block's prefix, before a
/// conversion changes anything).
const DENSE_MAX_STORE: usize = (1 << 20) - 4096;
const DENSE_MAX_MESSAGE: usize = 4096;
/// Longest link value accepted (a heap string and a link message body both fit).
const MAX_LINK_VALUE: usize = 0xfff0;

/// Soft links followed in a row at most (libhdf5's `H5L_NUM_LINKS`).
const MAX_SOFT_HOPS: usize = 16;

/// Undefined address (all bits set).
const UNDEFINED: u64 = u64::MAX;

/// A link value (soft link path, external file or object name): no NUL, at most
/// [`MAX_LINK_VALUE`] bytes.
pub(super) fn check_value(what: &str, s: &str) -> Result<()> {
    if s.contains('\0') {
        return Err(Error::usage(format!("{} {:?} contains a NUL byte (HDF5 names are C strings)", what, s)));
    }
    if s.len() > MAX_LINK_VALUE {
        return Err(Error::usage(format!("{} of {} bytes is too long", what, s.len())));
    }
    Ok(())
}

impl Editor {
    /// Creates a soft link at `path` whose value is `target` (not checked: soft links may
    /// dangle).
    pub(super) fn create_soft_link_st(&mut self, path: &str, target: &str) -> Result<()> {
        check_value("soft link target", target)?;
        let (parent, name) = self.parent_for_new(path)?;
        let st = self.symbol_table(parent)?;
        let name_off = self.heap_insert(st.local_heap_address, name.as_bytes())?;
        let value_off = self.heap_insert(st.local_heap_address, target.as_bytes())?;
        let value_off = u32::try_from(value_off).map_err(|_| Error::usage("local heap offset past 4 GiB"))?;
        let entry = SymbolTableEntry::new(name_off, UNDEFINED, ScratchPad::SymbolicLink { link_value_offset: value_off });
        self.insert_entry(parent, name.as_bytes(), entry)?;
        self.group_names(parent)?.insert(name.into_bytes(), u64::MAX);
        Ok(())
    }

    /// Creates a hard link at `path` to the object at `existing` (its reference count goes up).
    pub(super) fn create_hard_link_st(&mut self, path: &str, existing: &str) -> Result<()> {
        let target = self.resolve(existing)?;
        // Loaded (and so checked editable) before anything changes.
        self.header(target)?;
        let (parent, name) = self.parent_for_new(path)?;
        self.symbol_table(parent)?;
        let fresh = self.is_fresh(target);
        let hdr = self.header(target)?;
        if hdr.header.version != 1 {
            return Err(super::unsupported(format!("{}: hard link from a symbol-table group to a version 2 object header", path)));
        }
        let count = hdr.header.reference_count.checked_add(1).ok_or_else(|| Error::usage(format!("{}: too many links", existing)))?;
        hdr.header.reference_count = count;
        hdr.dirty = true;
        if !fresh {
            // Version 1 prefix: version, reserved, message count (2), reference count (4).
            self.write_now(target + 4, &count.to_le_bytes())?;
        }
        self.insert_link(parent, name.as_bytes(), target)
    }

    /// Creates an external link at `path` to object `target` of file `file`, converting its
    /// group to link messages as libhdf5 does (see the module notes).
    pub(super) fn create_external_link_st(&mut self, path: &str, file: &str, target: &str) -> Result<()> {
        check_value("external link file name", file)?;
        check_value("external link target", target)?;
        if file.len() + target.len() > MAX_LINK_VALUE {
            return Err(Error::usage("external link file name and path too long"));
        }
        let sizes = self.sizes;
        if sizes.offset != sizes.length {
            return Err(unsupported(format!("{}: converting a group of a file whose offsets and lengths differ in size", path)));
        }
        let (parent, name) = self.parent_for_new(path)?;
        let st = self.symbol_table(parent)?;
        let mut links = self.symbol_links(&st)?;
        links.push(LinkMessage {
            name: name.clone(),
            charset: CharacterSet::Ascii,
            creation_order: None,
            target: LinkTarget::External { file: file.to_string(), path: target.to_string() },
        });
        // More links than a compact group holds: libhdf5 converts to dense storage. The group
        // is converted empty, then every link is added to it (the store, written whole at the
        // flush into new space, is switched by the header's one write like the rest).
        let dense = links.len() > MAX_COMPACT_LINKS;
        if dense {
            let mut total = 0usize;
            for l in &links {
                let n = RawMessage::encode(&Message::Link(l.clone()), None, sizes)?.data.len();
                if n > DENSE_MAX_MESSAGE {
                    return Err(unsupported(format!("{}: a link message over {} bytes in dense storage", path, DENSE_MAX_MESSAGE)));
                }
                total += n;
            }
            if total > DENSE_MAX_STORE {
                return Err(unsupported(format!("{}: dense link storage of more than {} bytes", path, DENSE_MAX_STORE)));
            }
        }
        let info = LinkInfo {
            max_creation_index: None,
            fractal_heap_address: None,
            name_index_address: None,
            index_creation_order: false,
            creation_order_index_address: None,
        };
        let mut raws = vec![RawMessage::encode(&Message::LinkInfo(info), None, sizes)?];
        let mut ginfo = RawMessage::encode(&Message::GroupInfo(GroupInfo::default()), None, sizes)?;
        ginfo.flags |= 0x01; // constant, as libhdf5 marks it
        raws.push(ginfo);
        let later = if dense { std::mem::take(&mut links) } else { Vec::new() };
        for l in links {
            raws.push(RawMessage::encode(&Message::Link(l), None, sizes)?);
        }
        // The new messages go to a new continuation chunk, written now (nothing points at it
        // yet); the continuation message pointing at it takes the symbol table message's
        // place (bodies of the same size), so the header's one in-place write switches the
        // group.
        let len = raws.iter().map(|m| message_space(1, false, m.data.len())).sum::<usize>().max(24) as u64;
        let hdr = self.header(parent)?;
        let i = hdr.find(msg_type::SYMBOL_TABLE).ok_or_else(|| Error::usage("internal error: group without a symbol table"))?;
        let addr = self.allocate(len)?;
        let mut w = Writer::new(addr, sizes);
        encode_chunk(&mut w, 1, false, &raws, len as usize)?;
        self.write_now(addr, &w.into_inner())?;
        let cont = RawMessage::encode(&Message::Continuation { address: addr, length: len }, None, sizes)?;
        let hdr = self.header(parent)?;
        if let Some(m) = hdr.header.messages.get_mut(i) {
            *m = RawMessage { address: m.address, ..cont };
        }
        let start = hdr.header.messages.len();
        hdr.header.messages.extend(raws);
        let end = hdr.header.messages.len();
        hdr.header.chunks.push(HeaderChunk { address: addr, size: len, messages: start..end, nil_messages: Vec::new(), gap: 0 });
        hdr.dirty = true;
        self.free_symbol_table(&st)?;
        self.group_names(parent)?.insert(name.into_bytes(), u64::MAX);
        self.changed = true;
        for l in later {
            self.add_link_message(parent, l.name.as_bytes(), l.target)?;
        }
        Ok(())
    }

    /// The path a soft link `name` of group `g` (reached by the path `group_path`) leads to,
    /// `hops` soft links followed so far: its value, from the root when absolute, else from
    /// the group holding it (as libhdf5 follows them, at most 16 in a row).
    pub(super) fn soft_target(&mut self, g: u64, name: &[u8], group_path: &[&str], hops: usize) -> Result<String> {
        let shown = String::from_utf8_lossy(name).into_owned();
        if hops >= MAX_SOFT_HOPS {
            return Err(Error::usage(format!("{:?}: more than {} soft links in a row", shown, MAX_SOFT_HOPS)));
        }
        let st = match self.symbol_table(g) {
            Ok(st) => st,
            Err(_) => return Err(unsupported(format!("following the link {:?} of a group with link messages", shown))),
        };
        let (snod, i) = self.find_entry(&st, name)?.ok_or_else(|| Error::not_found(format!("no link named {:?}", shown)))?;
        let entry = self.snod(snod)?.value.entries.get(i).cloned().ok_or_else(|| Error::usage("internal error: symbol table entry"))?;
        let ScratchPad::SymbolicLink { link_value_offset } = entry.scratch else {
            return Err(Error::usage(format!("internal error: {:?} is not a soft link", shown)));
        };
        let value = self.name_at(st.local_heap_address, u64::from(link_value_offset))?;
        let value = String::from_utf8(value).map_err(|_| Error::format(st.local_heap_address, "soft link value is not UTF-8"))?;
        Ok(if value.starts_with('/') { value } else { format!("/{}/{}", group_path.join("/"), value) })
    }

    /// Every link of the symbol-table group of `st` as a link message, in name order.
    fn symbol_links(&mut self, st: &SymbolTable) -> Result<Vec<LinkMessage>> {
        let heap = st.local_heap_address;
        let mut entries = Vec::new();
        let mut todo = vec![(st.btree_address, 0usize)];
        while let Some((a, depth)) = todo.pop() {
            if depth > 64 {
                return Err(Error::format(a, "group B-tree deeper than 64 levels"));
            }
            let (level, children) = self.tree_node(Tree::Group { root: st.btree_address }, a)?;
            for c in children.into_iter().rev() {
                if level > 0 {
                    todo.push((c, depth + 1));
                } else {
                    entries.extend(self.snod(c)?.value.entries.clone());
                }
            }
        }
        let mut links = Vec::with_capacity(entries.len());
        for e in entries {
            let name = String::from_utf8(self.name_at(heap, e.link_name_offset)?)
                .map_err(|_| Error::format(heap, "link name is not UTF-8"))?;
            let target = match e.scratch {
                ScratchPad::SymbolicLink { link_value_offset } => {
                    let v = self.name_at(heap, u64::from(link_value_offset))?;
                    LinkTarget::Soft { path: String::from_utf8(v).map_err(|_| Error::format(heap, "soft link value is not UTF-8"))? }
                }
                _ => LinkTarget::Hard { address: e.object_header_address },
            };
            links.push(LinkMessage { name, charset: CharacterSet::Ascii, creation_order: None, target });
        }
        links.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        Ok(links)
    }
}

//! The on-disk writer: a file opened for writing is edited where it lives.
//!
//! Opening parses the superblock only; objects are read when an operation reaches them (as the
//! reader does) and only what an operation changes is rewritten: an object header where it
//! lives ([`header`]), a symbol table node, a local heap, the chunk index nodes a chunk
//! enters. Raw data goes to disk as it is written: contiguous data by positioned writes into
//! its block, chunks through a bounded write-back cache ([`crate::chunk_cache`]).
//!
//! Commit order of a flush ([`Editor::flush`]): first every structure written into new
//! space (nothing committed points there), then the superblock's end-of-file address, then
//! the structures rewritten in place, children before what points at them (heap data, heap
//! header, symbol table nodes, chunk B-tree nodes leaves first, object headers), each one
//! write. Space freed by superseded structures becomes reusable after that
//! ([`crate::space::FileSpace::commit`]). See spec-notes/writer.md.
//!
//! It edits files of both formats: the earliest (superblock 0/1, version 1 object headers,
//! symbol-table groups, v1 B-tree chunk indexes: h5py's default) and the latest (superblock
//! 2/3, version 2 headers [`header_v2`], groups of link messages [`link_message`], dense
//! link and attribute storage [`dense`], attributes of version 2 headers [`attribute_v2`],
//! the chunk indexes of layout version 4 [`chunk_index`]). Beyond creating objects: deletes
//! (`delete.rs`), soft, hard and external links in symbol-table groups (`link.rs`),
//! variable-length data, also inside compounds and arrays (`vlen.rs`), compact datasets
//! (`compact.rs`), shrinking resizes (`shrink.rs`), stored chunks written as they are
//! (`raw_chunk.rs`), committed datatypes and attributes of them (`committed.rs`,
//! `committed_attribute.rs`), object and region references, also inside compounds, arrays and
//! sequences (`reference.rs`, `reference_nested.rs`), null dataspaces (`null_space.rs`),
//! superblock extensions it keeps valid (`extension.rs`), SWMR writing (`swmr.rs`). Operations
//! it cannot do fail with [`h5kit_core::ErrorKind::Unsupported`] before changing anything
//! (spec-notes/writer.md, "What the editor refuses").

mod addr_map;
mod attribute;
mod attribute_v2;
mod chunk_index;
mod committed;
mod committed_attribute;
mod compact;
mod dataset;
mod delete;
mod dense;
mod extension;
mod group;
pub mod header;
pub mod header_v2;
mod link;
mod link_message;
mod null_space;
mod raw_chunk;
mod reference;
mod reference_nested;
mod relocate;
mod shrink;
mod swmr;
mod vlen;

pub use swmr::{SWMR_WRITE_ACCESS, WRITE_ACCESS};

use std::collections::BTreeMap;
use std::sync::Arc;

use h5kit_btree::v1::{ChunkKey, Node, SymbolTableNode};
use h5kit_core::{Context, Error, ErrorKind, Limits, Result, Sizes, WritableStorage, Writer};
use h5kit_heap::local::LocalHeap;
use h5kit_object_header::ObjectHeader;
use h5kit_superblock::symbol_table_entry::{ScratchPad, SymbolTableEntry};
use h5kit_superblock::Superblock;

use crate::space::FileSpace;
use dataset::DatasetEdit;
use header::HeaderEdit;

/// Raw data writes of at most this many bytes into fresh space wait for the flush.
const SMALL_WRITE: usize = 64 << 10;
/// Waiting small writes are written once they hold this many bytes.
const SMALL_WRITES_BYTES: usize = 8 << 20;

pub(crate) fn unsupported(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unsupported, what)
}

/// A cached structure and whether it changed since it was read or written.
#[derive(Debug, Clone)]
struct Cached<T> {
    value: T,
    dirty: bool,
}

/// A file opened for writing, edited in place.
pub struct Editor {
    storage: Arc<dyn WritableStorage>,
    /// The superblock as it should be.
    sb: Superblock,
    /// The superblock as the file holds it.
    on_disk: Superblock,
    sizes: Sizes,
    limits: Limits,
    space: FileSpace,
    /// Ranges allocated since the last commit: start -> length (relative addresses).
    fresh: BTreeMap<u64, u64>,
    /// The end of allocated space at the last commit: everything past it is fresh.
    committed_eoa: u64,
    /// Small raw data writes into fresh space, in order, written together at the next flush
    /// (or when they pass [`SMALL_WRITES_BYTES`]): a file of many small datasets is written in
    /// a few large writes, not one per dataset.
    small_writes: Vec<(u64, Vec<u8>)>,
    small_bytes: usize,
    headers: addr_map::AddrMap<HeaderEdit>,
    snods: addr_map::AddrMap<Cached<SymbolTableNode>>,
    group_nodes: addr_map::AddrMap<Cached<Node<u64>>>,
    heaps: addr_map::AddrMap<Cached<LocalHeap>>,
    chunk_nodes: BTreeMap<u64, Cached<Node<ChunkKey>>>,
    datasets: addr_map::AddrMap<DatasetEdit>,
    /// Global heap collections written to (variable-length data), and the one new objects go to.
    gcols: BTreeMap<u64, Cached<h5kit_heap::global::GlobalHeapCollection>>,
    gcol_current: Option<u64>,
    /// Names of the groups looked up so far: group header address -> name -> object header.
    names: addr_map::AddrMap<BTreeMap<Vec<u8>, u64>>,
    /// Whether anything changed since the last flush.
    changed: bool,
    /// New objects get the latest format (superblock version 2 or 3): version 2 object
    /// headers, groups of link messages ([`header_v2`], [`link_message`]).
    latest: bool,
    /// Link messages of the new-style groups read so far ([`link_message`]).
    links: BTreeMap<u64, link_message::LinkGroup>,
    /// Attributes of the version 2 headers changed so far ([`attribute_v2`]).
    attr_sets: BTreeMap<u64, attribute_v2::AttrSet>,
    /// Soft links being followed by the current path lookup.
    soft_depth: u32,
    /// SWMR writing ([`swmr`]): freed space is never reused.
    swmr: bool,
    /// The paths resolved last ([`group::PathCache`]): consecutive operations on one object,
    /// or new objects in one group, do not walk the path again.
    paths: group::PathCache,
    /// The last new version 1 header: its messages, minimum message area, the header at
    /// address 0 and its size ([`Editor::new_header_min`]).
    header_template: Option<Box<HeaderTemplate>>,
    /// Attribute bodies up to their data, by name, type and shape ([`attribute::AttrPrefix`]).
    attr_prefixes: Vec<attribute::AttrPrefix>,
    /// Extensible array headers to rewrite in place at this flush ([`chunk_index`]).
    index_in_place: Vec<(u64, Vec<u8>)>,
}

type HeaderTemplate = (Vec<h5kit_object_header::Message>, usize, ObjectHeader, u64);

impl std::fmt::Debug for Editor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Editor").field("eoa", &self.space.eoa()).finish()
    }
}

impl Editor {
    /// Opens the file in `storage` for editing: superblock versions 0 to 3. Files whose
    /// superblock extension holds more than the editor keeps valid ([`extension`]) are
    /// refused with an `Unsupported` error (nothing is written).
    pub fn open(storage: Arc<dyn WritableStorage>, limits: Limits) -> Result<Editor> {
        let sb = Superblock::read(storage.as_ref())?;
        if sb.version > 3 {
            return Err(unsupported(format!("editing files with superblock version {} in place", sb.version)));
        }
        swmr::refuse_marked(&sb)?;
        if sb.version < 2 && sb.root_group_entry.is_none() {
            return Err(Error::format(sb.superblock_address, "superblock without a root group symbol table entry"));
        }
        sb.check_truncation(storage.as_ref())?;
        let extension = sb.extension_address;
        let mut ed = Editor::open_superblock(storage, sb, limits)?;
        if let Some(x) = extension {
            ed.check_extension(x)?;
        }
        Ok(ed)
    }

    /// An editor of the file in `storage` whose superblock (checked) is `sb`.
    fn open_superblock(storage: Arc<dyn WritableStorage>, sb: Superblock, limits: Limits) -> Result<Editor> {
        // The stored end of file counts the userblock (libhdf5 writes the relative end plus
        // the base address); file space here is relative to the base address.
        let space = FileSpace::new(sb.end_of_file_address.saturating_sub(sb.base_address));
        let committed_eoa = space.eoa();
        let latest = sb.version >= 2;
        Ok(Editor {
            storage,
            on_disk: sb.clone(),
            sizes: sb.sizes,
            sb,
            limits,
            space,
            fresh: BTreeMap::new(),
            committed_eoa,
            small_writes: Vec::new(),
            small_bytes: 0,
            headers: addr_map::AddrMap::default(),
            snods: addr_map::AddrMap::default(),
            group_nodes: addr_map::AddrMap::default(),
            heaps: addr_map::AddrMap::default(),
            chunk_nodes: BTreeMap::new(),
            datasets: addr_map::AddrMap::default(),
            gcols: BTreeMap::new(),
            gcol_current: None,
            names: addr_map::AddrMap::default(),
            changed: false,
            latest,
            links: BTreeMap::new(),
            attr_sets: BTreeMap::new(),
            soft_depth: 0,
            swmr: false,
            paths: group::PathCache::default(),
            header_template: None,
            attr_prefixes: Vec::new(),
            index_in_place: Vec::new(),
        })
    }

    /// Writes a new, empty file of the earliest format into `storage` (emptied first): a
    /// version 0 superblock whose root symbol table entry caches the root group's B-tree and
    /// local heap, as libhdf5 writes it; then opens it.
    pub fn create(storage: Arc<dyn WritableStorage>, limits: Limits) -> Result<Editor> {
        Editor::create_format(storage, limits, crate::LibVer::Earliest)
    }

    /// Writes a new, empty file of the format `libver` names into `storage` (emptied first):
    /// the earliest ([`Editor::create`]), or the latest as libhdf5 1.10+ writes it with libver
    /// latest (superblock version 3, the root group a version 2 object header with link info
    /// and group info messages); then opens it.
    pub fn create_format(storage: Arc<dyn WritableStorage>, limits: Limits, libver: crate::LibVer) -> Result<Editor> {
        if libver == crate::LibVer::Latest {
            return Editor::create_latest(storage, limits);
        }
        storage.set_len(0)?;
        let sb = Superblock::new(0, Sizes::default(), 0)?;
        // The superblock first (with no root yet): the editor then lays the root group out
        // after it and the flush writes the root entry and the end of file into it.
        storage.write_at(0, &sb.to_bytes()?)?;
        let mut ed = Editor::open_superblock(storage, sb, limits)?;
        let root = ed.new_group()?;
        let sizes = ed.sizes;
        let scratch = match ed.header(root)?.first(h5kit_object_header::message::msg_type::SYMBOL_TABLE, sizes)? {
            Some(h5kit_object_header::Message::SymbolTable(t)) => {
                ScratchPad::Group { btree_address: t.btree_address, local_heap_address: t.local_heap_address }
            }
            _ => return Err(Error::usage("internal error: a new group without a symbol table")),
        };
        ed.sb = ed.sb.with_root_group_entry(SymbolTableEntry::new(0, root, scratch))?;
        ed.flush()?;
        Ok(ed)
    }

    /// The storage edited.
    pub fn storage(&self) -> &Arc<dyn WritableStorage> {
        &self.storage
    }

    /// Whether changes wait for a flush.
    pub fn has_changes(&self) -> bool {
        self.changed
    }

    fn ctx(&self) -> Context<'_> {
        Context::new(self.storage.as_ref(), self.sizes, &self.limits, self.sb.base_address)
    }

    /// Absolute storage position of relative address `a`.
    fn abs(&self, a: u64) -> Result<u64> {
        self.sb
            .base_address
            .checked_add(a)
            .ok_or_else(|| Error::format(a, "address past the end of the address space"))
    }

    /// New file space (recorded as fresh until the next commit).
    fn allocate(&mut self, len: u64) -> Result<u64> {
        let a = self.space.allocate(len)?;
        self.note_fresh(a, len);
        Ok(a)
    }

    /// Records `[a, a + len)` as allocated since the last commit (space past the committed end
    /// of allocation is known fresh without it).
    fn note_fresh(&mut self, a: u64, len: u64) {
        if a < self.committed_eoa {
            self.fresh.insert(a, len);
        }
    }

    /// A new object header holding `messages` (in fresh space, written at the next flush):
    /// version 2 in files of the latest format, else version 1; its address.
    fn new_header(&mut self, messages: &[h5kit_object_header::Message]) -> Result<u64> {
        self.new_header_min(messages, 0)
    }

    /// [`Editor::new_header`] with a message area of at least `min_area` bytes.
    fn new_header_min(&mut self, messages: &[h5kit_object_header::Message], min_area: usize) -> Result<u64> {
        if self.latest {
            // libhdf5 sizes a new header's first chunk to at least `min_area`: the room left
            // after the messages stays free (one NIL message).
            let (_, len) = header_v2::new_v2_header(0, messages, header_v2::SPARE, self.sizes)?;
            let spare = header_v2::SPARE + min_area.saturating_sub(usize::try_from(len).unwrap_or(usize::MAX));
            return self.new_v2_header(messages, spare);
        }
        // Encoded once (the messages do not depend on where the header goes), then placed; a
        // header of the same messages as the last one (datasets of one type and shape) is
        // copied from it, not encoded again.
        let (mut h, len) = match self.header_template.as_deref() {
            Some((m, area, h, len)) if *area == min_area && m.as_slice() == messages => {
                // Room for the attributes usually added next (no regrowth of the list).
                let mut raws = Vec::with_capacity(h.messages.len() + 4);
                raws.extend_from_slice(&h.messages);
                let header = ObjectHeader { messages: raws, chunks: h.chunks.clone(), ..*h };
                (header, *len)
            }
            _ => {
                let (h, len) = header::new_v1_header_min(0, messages, self.sizes, min_area)?;
                // Kept for datasets (a group's messages hold its own addresses: never again).
                if min_area > 0 {
                    self.header_template = Some(Box::new((messages.to_vec(), min_area, h.clone(), len)));
                }
                (h, len)
            }
        };
        let a = self.allocate(len)?;
        h.address = a;
        for c in &mut h.chunks {
            c.address += a;
        }
        self.headers.insert(a, HeaderEdit { header: h, dirty: true });
        self.changed = true;
        Ok(a)
    }

    fn is_fresh(&self, a: u64) -> bool {
        // Space past the committed end was allocated since (nothing committed points there).
        if a >= self.committed_eoa {
            return true;
        }
        self.fresh.range(..=a).next_back().is_some_and(|(&s, &l)| a < s.saturating_add(l))
    }

    /// Writes raw bytes at relative address `a` now (raw data and other writes into space
    /// nothing committed points at, or data the caller overwrites).
    fn write_now(&self, a: u64, bytes: &[u8]) -> Result<()> {
        self.storage.write_at(self.abs(a)?, bytes)
    }

    /// Writes `bytes` at `a` over what the file holds there: only the span from the first to
    /// the last byte that differs (nothing when none does).
    fn write_changed(&self, a: u64, bytes: &[u8]) -> Result<()> {
        let old = match self.read_bytes(a, bytes.len()) {
            Ok(old) => old,
            Err(_) => return self.write_now(a, bytes),
        };
        let first = bytes.iter().zip(&old).position(|(x, y)| x != y);
        let last = bytes.iter().zip(&old).rposition(|(x, y)| x != y);
        match (first, last) {
            (Some(f), Some(l)) => self.write_now(a + f as u64, bytes.get(f..=l).unwrap_or(bytes)),
            _ => Ok(()),
        }
    }

    /// Writes raw data at `a`: small writes into fresh space wait to be written together.
    fn write_raw(&mut self, a: u64, bytes: &[u8]) -> Result<()> {
        if bytes.len() > SMALL_WRITE || !self.is_fresh(a) {
            // Waiting writes first: this one may cover their bytes and must win.
            self.write_small()?;
            return self.write_now(a, bytes);
        }
        let end = a + bytes.len() as u64;
        // The waiting writes are in address order, none overlapping another: `i` is where this
        // one goes (the end, as new space is allocated upwards).
        let i = self.small_writes.partition_point(|(s, _)| *s <= a);
        // A waiting write that holds this range takes the new bytes; one that overlaps it
        // otherwise goes out first, so the newer bytes always win.
        if let Some((start, buf)) = i.checked_sub(1).and_then(|j| self.small_writes.get_mut(j)) {
            if *start + buf.len() as u64 >= end {
                let at = (a - *start) as usize;
                if let Some(dst) = buf.get_mut(at..at + bytes.len()) {
                    dst.copy_from_slice(bytes);
                    return Ok(());
                }
            }
        }
        let before = i.checked_sub(1).and_then(|j| self.small_writes.get(j)).is_some_and(|(s, b)| s + b.len() as u64 > a);
        let after = self.small_writes.get(i).is_some_and(|(s, _)| *s < end);
        if before || after {
            self.write_small()?;
            self.small_writes.push((a, bytes.to_vec()));
        } else {
            self.small_writes.insert(i, (a, bytes.to_vec()));
        }
        self.small_bytes += bytes.len();
        if self.small_bytes >= SMALL_WRITES_BYTES {
            self.write_small()?;
        }
        Ok(())
    }

    /// Writes the waiting small writes, runs of adjacent ones as one write.
    fn write_small(&mut self) -> Result<()> {
        if self.small_writes.is_empty() {
            return Ok(());
        }
        let writes = std::mem::take(&mut self.small_writes);
        self.small_bytes = 0;
        write_coalesced(self, writes.into_iter())
    }

    fn read_bytes(&self, a: u64, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.storage.read_at(self.abs(a)?, &mut buf)?;
        Ok(buf)
    }

    /// The object header at `a`, loaded once.
    fn header(&mut self, a: u64) -> Result<&mut HeaderEdit> {
        // One search of the cache (this runs several times per operation).
        match self.headers.entry(a) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(e.into_mut()),
            std::collections::hash_map::Entry::Vacant(v) => {
                let ctx = Context::new(self.storage.as_ref(), self.sizes, &self.limits, self.sb.base_address);
                let h = ObjectHeader::read(ctx, a)?;
                // An unknown message flagged "fail if unknown and open for write" (or always):
                // libhdf5 refuses to modify the object; so do we.
                if let Some(e) = h.messages.iter().find_map(|m| h5kit_object_header::refuse_unknown(m, true)) {
                    return Err(e);
                }
                Ok(v.insert(HeaderEdit::new(h)))
            }
        }
    }

    /// Address of the root group's object header.
    fn root(&self) -> Result<u64> {
        match self.sb.root_group_entry {
            Some(e) => Ok(e.object_header_address),
            None if self.sb.version >= 2 => Ok(self.sb.root_object_header_address),
            None => Err(Error::format(0, "no root group")),
        }
    }

    /// Writes every change to the file: chunks waiting in caches, then the metadata in commit
    /// order. The writes are handed to the operating system (as `H5Fflush`); see
    /// [`Editor::sync`] for durability against power loss.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_datasets()?;
        self.flush_dense_links()?;
        self.flush_dense_attributes()?;
        let sizes = self.sizes;
        let mut fresh: Vec<(u64, Vec<u8>)> = Vec::new();
        // In-place writes by rank: 0 heap data, 1 heap headers, 2 symbol table nodes, 3 group
        // nodes, 4 chunk nodes (leaves first: rank 4 + level), then headers last.
        let mut in_place: Vec<(u32, u64, Vec<u8>)> = Vec::new();

        let heaps = addr_map::sorted_keys(&self.heaps, |c| c.dirty);
        for a in heaps {
            let Some(c) = self.heaps.get(&a) else { continue };
            let heap = &c.value;
            let mut data = Writer::new(heap.data_address, sizes);
            heap.encode_data(&mut data);
            let mut head = Writer::new(heap.address, sizes);
            heap.encode_header(&mut head)?;
            let (da, ha) = (heap.data_address, heap.address);
            self.place(&mut fresh, &mut in_place, 0, da, data.into_inner());
            self.place(&mut fresh, &mut in_place, 1, ha, head.into_inner());
            if let Some(c) = self.heaps.get_mut(&a) {
                c.dirty = false;
            }
        }
        let gcols: Vec<u64> = self.gcols.iter().filter(|(_, c)| c.dirty).map(|(a, _)| *a).collect();
        for a in gcols {
            let Some(c) = self.gcols.get(&a) else { continue };
            let mut w = Writer::new(a, sizes);
            c.value.encode(&mut w)?;
            self.place(&mut fresh, &mut in_place, 0, a, w.into_inner());
            if let Some(c) = self.gcols.get_mut(&a) {
                c.dirty = false;
            }
        }
        let leaf_k = self.sb.group_leaf_k;
        let snods = addr_map::sorted_keys(&self.snods, |c| c.dirty);
        for a in snods {
            let Some(c) = self.snods.get(&a) else { continue };
            let mut w = Writer::new(a, sizes);
            c.value.encode(&mut w, leaf_k)?;
            self.place(&mut fresh, &mut in_place, 2, a, w.into_inner());
            if let Some(c) = self.snods.get_mut(&a) {
                c.dirty = false;
            }
        }
        let internal_k = self.sb.group_internal_k;
        let gnodes = addr_map::sorted_keys(&self.group_nodes, |c| c.dirty);
        for a in gnodes {
            let Some(c) = self.group_nodes.get(&a) else { continue };
            // Every node of a group B-tree holds up to 2K children, K = "Group Internal Node K".
            let mut w = Writer::new(a, sizes);
            c.value.encode(&mut w, internal_k, ())?;
            let rank = 3 + u32::from(c.value.level);
            self.place(&mut fresh, &mut in_place, rank, a, w.into_inner());
            if let Some(c) = self.group_nodes.get_mut(&a) {
                c.dirty = false;
            }
        }
        let cnodes: Vec<u64> = self.chunk_nodes.iter().filter(|(_, c)| c.dirty).map(|(a, _)| *a).collect();
        for a in cnodes {
            let Some(c) = self.chunk_nodes.get(&a) else { continue };
            let rank_of_key = c.value.keys.first().map(|k| k.offsets.len().saturating_sub(1)).unwrap_or(0);
            let mut w = Writer::new(a, sizes);
            c.value.encode(&mut w, self.chunk_k(), rank_of_key)?;
            let rank = 300 + u32::from(c.value.level);
            self.place(&mut fresh, &mut in_place, rank, a, w.into_inner());
            if let Some(c) = self.chunk_nodes.get_mut(&a) {
                c.dirty = false;
            }
        }
        // Chunk index headers (extensible arrays) after their blocks, before object headers.
        in_place.extend(std::mem::take(&mut self.index_in_place).into_iter().map(|(a, b)| (500, a, b)));
        // In address order (continuation chunks are allocated in this order).
        let dirty_headers = addr_map::sorted_keys(&self.headers, |h| h.dirty);
        for a in dirty_headers {
            let fresh_header = self.is_fresh(a);
            let mut fresh_at = Vec::new();
            let writes = if fresh_header {
                match self.headers.get_mut(&a) {
                    Some(h) => h.encode(sizes, &mut self.space, &mut fresh_at)?,
                    None => continue,
                }
            } else {
                // Changed continuation chunks move; chunk #0 is the one write in place.
                self.encode_header_copy_on_write(a, &mut fresh_at)?
            };
            self.fresh.extend(fresh_at);
            fresh.extend(writes.fresh);
            for (addr, bytes) in writes.in_place {
                if fresh_header {
                    fresh.push((addr, bytes));
                } else {
                    in_place.push((1000, addr, bytes));
                }
            }
        }

        // 1. New structures and the small raw data writes waiting (none overlap: each has
        // its own new space), in address order, runs of adjacent ones as one write.
        fresh.extend(std::mem::take(&mut self.small_writes));
        self.small_bytes = 0;
        fresh.sort_by_key(|(a, _)| *a);
        write_coalesced(self, fresh.into_iter())?;
        // The file reaches the end of allocated space (a file shorter than its superblock's
        // end-of-file address is "truncated" to libhdf5).
        let eoa = self.space.eoa();
        let end = self.abs(eoa)?;
        if self.storage.len() < end {
            self.storage.set_len(end)?;
        }
        // 2. The superblock's end of file.
        self.sb = self.sb.with_end_of_file(end);
        self.write_superblock()?;
        // 3. In place, children first; each write covers only the bytes that changed (a
        // resize rewrites a few bytes of a dimension, not the header).
        in_place.sort_by_key(|(rank, a, _)| (*rank, *a));
        for (_, a, bytes) in &in_place {
            self.write_changed(*a, bytes)?;
        }
        self.fresh.clear();
        if self.swmr {
            // Readers may still follow the old structures (spec-notes/swmr.md).
            self.space.forget_pending();
        } else {
            self.space.commit();
        }
        self.committed_eoa = self.space.eoa();
        self.changed = false;
        Ok(())
    }

    /// Queues `bytes` for relative address `a`: with the new structures when `a` is fresh,
    /// else with the in-place writes of `rank`.
    fn place(&self, fresh: &mut Vec<(u64, Vec<u8>)>, in_place: &mut Vec<(u32, u64, Vec<u8>)>, rank: u32, a: u64, bytes: Vec<u8>) {
        if self.is_fresh(a) {
            fresh.push((a, bytes));
        } else {
            in_place.push((rank, a, bytes));
        }
    }

    /// Writes the superblock bytes that changed (one write).
    fn write_superblock(&mut self) -> Result<()> {
        if let Some((at, bytes)) = self.sb.update(&self.on_disk)? {
            self.storage.write_at(at, &bytes)?;
            self.on_disk = self.sb.clone();
        }
        Ok(())
    }

    /// Makes everything flushed durable: fsync of the file.
    pub fn sync(&self) -> Result<()> {
        self.storage.sync()
    }

    /// "Indexed Storage Internal Node K": from a version 1 superblock, else libhdf5's
    /// default, 32.
    fn chunk_k(&self) -> u16 {
        self.sb.chunk_internal_k.unwrap_or(32)
    }
}

/// Writes `writes` in their order, joining each run of writes that continue one another into
/// one (gathered into one buffer of the run's exact size: no regrowth and copying as it
/// fills).
fn write_coalesced(ed: &Editor, writes: impl Iterator<Item = (u64, Vec<u8>)>) -> Result<()> {
    let writes: Vec<(u64, Vec<u8>)> = writes.collect();
    let mut rest = writes.as_slice();
    while let Some(((start, first), _)) = rest.split_first() {
        // The run: writes that each begin where the one before ends.
        let mut end = *start + first.len() as u64;
        let mut n = 1;
        for (a, bytes) in rest.iter().skip(1) {
            if *a != end {
                break;
            }
            end += bytes.len() as u64;
            n += 1;
        }
        let (run, tail) = rest.split_at(n);
        if let [(a, bytes)] = run {
            ed.write_now(*a, bytes)?;
        } else {
            let mut buf = Vec::with_capacity((end - *start) as usize);
            for (_, bytes) in run {
                buf.extend_from_slice(bytes);
            }
            ed.write_now(*start, &buf)?;
        }
        rest = tail;
    }
    Ok(())
}

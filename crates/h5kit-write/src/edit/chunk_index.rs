//! Chunk indexes of the latest format (spec IV.A.2.i "The Data Layout Message" version 4,
//! VII "Chunk Indexing": single chunk, fixed array VII.C, extensible array VII.D, version 2
//! B-tree III.A.2 record types 10/11) for the editor's chunked datasets.
//!
//! The dataset's chunk records are the editor's (`dataset::Chunked::records`, what the cache
//! backend stores). At a flush whose records changed, the extensible array ([`extensible`])
//! and the v2 B-tree ([`btree`]) this editor wrote take just the records that changed,
//! copy-on-write: the blocks or nodes holding them move to new space with what points at
//! them; the rest keep their addresses. Their commit point is one write: the extensible
//! array's header in place (its blocks name it, so it never moves), the v2 B-tree's new header
//! through the object header's layout message. An index this editor did not write (libhdf5's),
//! or one some record left (a shrink), and the fixed array are written whole into new space
//! and the one write of the object header switches the layout message to it. A process killed
//! at any moment leaves the old index or the new one; superseded space is freed after the
//! commit when this editor wrote it. A single chunk has no structure: the layout message
//! holds its address.
//!
//! New datasets of files of the latest format get the index libhdf5 1.10 picks for their
//! maximum shape ([`pick`]).

mod btree;
mod extensible;

use std::collections::{BTreeMap, HashMap, HashSet};

use h5kit_btree::element::{bitmap_set, DataBlockPage, Element, ElementFormat};
use h5kit_btree::extensible_array::ExtensibleArrayHeader;
use h5kit_btree::fixed_array::{FixedArrayBlockToCreate, FixedArrayDataBlock, FixedArrayHeader, FixedArrayLocation};
use h5kit_btree::v1::ChunkRecord;
use h5kit_btree::v2::{BTreeV2, ChunkParams, ChunkRecordV2, Record};
use h5kit_core::{Error, Result, Writer};
use h5kit_object_header::message::msg_type;
use h5kit_object_header::{ChunkIndex, Layout, LayoutMessage, Message, UNLIMITED};

use super::{unsupported, Editor};
use btree::Bt2Image;
use extensible::EaImage;

/// Extents of an index's structures this editor wrote: address -> length.
pub(crate) type Owned = BTreeMap<u64, u64>;

/// libhdf5's defaults: fixed array page bits; extensible array parameters; v2 B-tree node
/// size, split and merge percents (`H5D_FARRAY_*`, `H5D_EARRAY_*`, `H5D_BT2_*`).
const FA_PAGE_BITS: u8 = 10;
const EA_MAX_BITS: u8 = 32;
const EA_INDEX_ELEMENTS: u8 = 4;
const EA_MIN_POINTERS: u8 = 4;
const EA_MIN_ELEMENTS: u8 = 16;
const EA_PAGE_BITS: u8 = 10;
const BT2_NODE_SIZE: u32 = 2048;
const BT2_SPLIT: u8 = 100;
const BT2_MERGE: u8 = 40;
/// Largest fixed array written (entries): beyond, the version 1 B-tree.
const FA_MAX_ENTRIES: u64 = 1 << 28;

/// A chunk index of the latest format and what the editor keeps of it to change it.
#[derive(Debug, Clone)]
pub(crate) struct IndexState {
    /// The layout message (version 4 or 5) as the header should hold it.
    layout: LayoutMessage,
    /// The dataset's maximum dimensions (the current ones where none are stored).
    max_dims: Vec<u64>,
    pub dirty: bool,
    /// Extents of the index's structures this editor wrote.
    owned: Owned,
    /// Whether this editor wrote the index from the records (else libhdf5's index, or none
    /// written yet: the next write is whole).
    ours: bool,
    /// Chunks whose records were set since the index was written ([`IndexState::note`]).
    noted: HashSet<Vec<u64>>,
    /// Records left (a shrink): the next write is whole.
    whole: bool,
    /// The extensible array or v2 B-tree as written (changed in place of rewritten).
    ea: Option<EaImage>,
    bt2: Option<Bt2Image>,
}

/// Whether the editor writes chunk index `index` (layout version 4/5), and why not.
pub(crate) fn check_editable(layout: &LayoutMessage) -> Result<()> {
    match &layout.layout {
        Layout::Chunked { flags, .. } if flags & 1 != 0 => Err(unsupported("datasets whose partial edge chunks are not filtered")),
        // Implicit (libhdf5's "no index": allocated early, unfiltered): every chunk has its
        // place at the base address, written there; nothing to index.
        Layout::Chunked { index: ChunkIndex::Implicit { address: None }, .. } => Err(unsupported("implicit chunk indexes without storage")),
        Layout::Chunked { .. } => Ok(()),
        _ => Err(unsupported("this layout")),
    }
}

impl IndexState {
    pub fn new(layout: LayoutMessage, max_dims: Vec<u64>) -> IndexState {
        IndexState { layout, max_dims, dirty: false, owned: Owned::new(), ours: false, noted: HashSet::new(), whole: false, ea: None, bt2: None }
    }

    /// Whether the index is implicit (chunks at fixed places: they never move, the dataset
    /// is not resized).
    pub fn is_implicit(&self) -> bool {
        matches!(self.layout.layout, Layout::Chunked { index: ChunkIndex::Implicit { .. }, .. })
    }

    /// The ranges of the index this editor wrote last, forgotten (the caller frees them).
    /// The record of the chunk at `offsets` was set (new or changed).
    pub fn note(&mut self, offsets: &[u64]) {
        self.dirty = true;
        if self.ours && !self.whole {
            self.noted.insert(offsets.to_vec());
        }
    }

    /// Records left the dataset (or changed without [`IndexState::note`]): the next flush
    /// writes the index whole.
    pub fn rewrite_whole(&mut self) {
        self.dirty = true;
        self.whole = true;
        self.noted.clear();
    }

    pub fn take_owned(&mut self) -> Vec<(u64, u64)> {
        self.ours = false;
        self.ea = None;
        self.bt2 = None;
        std::mem::take(&mut self.owned).into_iter().collect()
    }

    pub fn layout(&self) -> &LayoutMessage {
        &self.layout
    }
}

/// The index libhdf5 1.10 (libver latest) gives a new chunked dataset of `dims`, `max_dims`
/// and `chunk` dims (as the in-memory writer picks it): `None` for the version 1 B-tree
/// (layout version 3: one unlimited dimension while another can still grow, or too many
/// chunks).
pub(crate) fn pick(dims: &[u64], max_dims: Option<&[u64]>, chunk: &[u64]) -> Option<ChunkIndex> {
    let max = max_dims.unwrap_or(dims);
    let unlimited = max.iter().filter(|&&m| m == UNLIMITED).count();
    if unlimited == 1 {
        let others_fixed = max.iter().zip(dims).all(|(&m, &s)| m == UNLIMITED || m == s);
        return others_fixed.then_some(ChunkIndex::ExtensibleArray {
            address: None,
            max_bits: EA_MAX_BITS,
            index_elements: EA_INDEX_ELEMENTS,
            min_pointers: EA_MIN_POINTERS,
            min_elements: EA_MIN_ELEMENTS,
            page_bits: EA_PAGE_BITS,
        });
    }
    if unlimited > 1 {
        return Some(ChunkIndex::BTreeV2 { address: None, node_size: BT2_NODE_SIZE, split_percent: BT2_SPLIT, merge_percent: BT2_MERGE });
    }
    if chunk == max {
        return Some(ChunkIndex::SingleChunk { address: None, filtered: None });
    }
    let entries = max.iter().zip(chunk).try_fold(1u64, |n, (&m, &c)| n.checked_mul(m.div_ceil(c.max(1))));
    match entries {
        Some(n) if n <= FA_MAX_ENTRIES => Some(ChunkIndex::FixedArray { address: None, page_bits: FA_PAGE_BITS }),
        _ => None,
    }
}

/// Linear index of the chunk at element `offsets` in the row-major grid of `dims` / `chunk`.
fn linear(offsets: &[u64], dims: &[u64], chunk: &[u64]) -> u64 {
    let mut i = 0u64;
    for ((&o, &d), &c) in offsets.iter().zip(dims).zip(chunk) {
        let c = c.max(1);
        i = i.saturating_mul(d.div_ceil(c)).saturating_add(o / c);
    }
    i
}

/// The extensible array element index of the chunk at `offsets` (libhdf5 `H5D__earray_*`:
/// row-major over the maximum grid with the unlimited dimension moved first).
fn ea_index(offsets: &[u64], max: &[u64], chunk: &[u64]) -> u64 {
    let unlim = max.iter().position(|&d| d == UNLIMITED).unwrap_or(0);
    let mut order = vec![unlim];
    order.extend((0..max.len()).filter(|&r| r != unlim));
    let mut i = 0u64;
    for (k, &r) in order.iter().enumerate() {
        let c = chunk.get(r).copied().unwrap_or(1).max(1);
        let o = offsets.get(r).copied().unwrap_or(0) / c;
        let g = if k == 0 { 1 } else { max.get(r).copied().unwrap_or(1).div_ceil(c) };
        i = i.saturating_mul(g).saturating_add(o);
    }
    i
}

/// An array element for a chunk record (size and filter mask for filtered chunks only).
fn element(r: &ChunkRecord, fmt: ElementFormat) -> Element {
    if fmt.filtered {
        Element { address: Some(r.address), chunk_size: r.size, filter_mask: r.filter_mask }
    } else {
        Element { address: Some(r.address), chunk_size: 0, filter_mask: 0 }
    }
}

/// The records noted (`noted`), in chunk order; `None` when the index is to be written whole:
/// not written by this editor (`ours`), or a record left it (`whole`, or a noted one missing).
fn changes<'r>(ours: bool, noted: &HashSet<Vec<u64>>, whole: bool, records: &'r HashMap<Vec<u64>, ChunkRecord>) -> Option<Vec<&'r ChunkRecord>> {
    if !ours || whole {
        return None;
    }
    let mut out = noted.iter().map(|k| records.get(k)).collect::<Option<Vec<&ChunkRecord>>>()?;
    out.sort_by(|a, b| a.offsets.cmp(&b.offsets));
    Some(out)
}

/// A v2 B-tree record for a chunk record.
fn bt2_record(r: &ChunkRecord, chunk: &[u64], filtered: bool) -> Record {
    Record::Chunk(ChunkRecordV2 {
        address: r.address,
        size: if filtered { r.size } else { 0 },
        filter_mask: if filtered { r.filter_mask } else { 0 },
        scaled_offsets: r.offsets.iter().zip(chunk).map(|(&o, &c)| o / c.max(1)).collect(),
    })
}

impl Editor {
    /// Brings the chunk index of the dataset whose header is at `header` up to `records`
    /// (only the changed structures of an extensible array or v2 B-tree this editor wrote;
    /// else the whole index, into new space) and points its layout message at it.
    pub(crate) fn write_chunk_index(
        &mut self,
        header: u64,
        state: &mut IndexState,
        records: &HashMap<Vec<u64>, ChunkRecord>,
        filtered: bool,
    ) -> Result<()> {
        let sizes = self.sizes;
        if state.is_implicit() {
            // Unfiltered chunks of the same size are rewritten where they are: none moved.
            state.dirty = false;
            return Ok(());
        }
        let Layout::Chunked { chunk_dims, element_size, index, flags } = state.layout.layout.clone() else {
            return Err(Error::usage("internal error: a chunk index of a layout that is not chunked"));
        };
        let full: u64 = chunk_dims.iter().product::<u64>().saturating_mul(u64::from(element_size));
        let size_len = if state.layout.version >= 5 { usize::from(sizes.offset) } else { ElementFormat::v4_chunk_size_len(full) };
        let fmt = if filtered { ElementFormat::filtered(size_len) } else { ElementFormat::PLAIN };
        let changed = changes(state.ours, &state.noted, state.whole, records);
        state.noted.clear();
        state.whole = false;
        // Whole: the old index's structures are freed after the commit.
        let mut superseded = None;
        let new_index = match index {
            ChunkIndex::SingleChunk { .. } => match records.values().min_by(|a, b| a.offsets.cmp(&b.offsets)) {
                Some(r) => ChunkIndex::SingleChunk { address: Some(r.address), filtered: filtered.then_some((r.size, r.filter_mask)) },
                None => ChunkIndex::SingleChunk { address: None, filtered: filtered.then_some((0, 0)) },
            },
            ChunkIndex::FixedArray { page_bits, .. } => {
                let mut sorted: Vec<&ChunkRecord> = records.values().collect();
                sorted.sort_by(|a, b| a.offsets.cmp(&b.offsets));
                let mut extents = Vec::new();
                let a = self.write_fixed_array(&sorted, &chunk_dims, &state.max_dims, page_bits, fmt, &mut extents)?;
                superseded = Some(std::mem::replace(&mut state.owned, extents.into_iter().collect()));
                ChunkIndex::FixedArray { address: Some(a), page_bits }
            }
            ChunkIndex::ExtensibleArray { max_bits, index_elements, min_pointers, min_elements, page_bits, .. } => {
                let elements = |rs: &[&ChunkRecord]| {
                    let mut v: Vec<(u64, Element)> =
                        rs.iter().map(|r| (ea_index(&r.offsets, &state.max_dims, &chunk_dims), element(r, fmt))).collect();
                    v.sort_by_key(|(i, _)| *i);
                    v
                };
                // The records set since the last flush; when the array then holds another count
                // of chunks than the records (a record left without a note), whole.
                let incremental = match (state.ea.take(), &changed) {
                    (Some(mut img), Some(c)) if img.format() == fmt && img.written() => {
                        let els = elements(c);
                        self.update_extensible_array(&mut img, &els, &mut state.owned, Some(records.len() as u64))?.then_some(img)
                    }
                    _ => None,
                };
                let img = match incremental {
                    Some(img) => img,
                    None => {
                        let mut owned = Owned::new();
                        let len = ExtensibleArrayHeader::encoded_size(sizes);
                        let at = self.allocate(len)?;
                        owned.insert(at, len);
                        let hdr = ExtensibleArrayHeader {
                            address: at,
                            client_id: fmt.client_id(),
                            element_size: fmt.element_size(sizes) as u8,
                            max_nelmts_bits: max_bits,
                            index_block_elements: index_elements,
                            data_block_min_elements: min_elements,
                            secondary_block_min_data_ptrs: min_pointers,
                            max_data_block_page_nelmts_bits: page_bits,
                            num_secondary_blocks: 0,
                            secondary_block_size: 0,
                            num_data_blocks: 0,
                            data_block_size: 0,
                            max_index_set: 0,
                            num_elements: 0,
                            index_block_address: None,
                        };
                        let mut img = EaImage::new(hdr, fmt)?;
                        let all: Vec<&ChunkRecord> = records.values().collect();
                        let els = elements(&all);
                        if let Some((i, _)) = els.iter().find(|(i, _)| !img.holds(*i)) {
                            return Err(unsupported(format!("chunk {} is past the extensible array's maximum", i)));
                        }
                        self.update_extensible_array(&mut img, &els, &mut owned, None)?;
                        superseded = Some(std::mem::replace(&mut state.owned, owned));
                        img
                    }
                };
                let a = img.address();
                state.ea = Some(img);
                ChunkIndex::ExtensibleArray { address: Some(a), max_bits, index_elements, min_pointers, min_elements, page_bits }
            }
            ChunkIndex::BTreeV2 { node_size, split_percent, merge_percent, .. } => {
                let to_records = |rs: &[&ChunkRecord]| rs.iter().map(|r| bt2_record(r, &chunk_dims, filtered)).collect::<Vec<Record>>();
                let incremental = match (state.bt2.take(), &changed) {
                    (Some(mut img), Some(c)) => {
                        self.update_btree_index(&mut img, to_records(c), &mut state.owned, Some(records.len() as u64))?.then_some(img)
                    }
                    _ => None,
                };
                let img = match incremental {
                    Some(img) => img,
                    None => {
                        let rank = chunk_dims.len();
                        let record_size = sizes.offset as usize + if filtered { size_len + 4 } else { 0 } + 8 * rank;
                        let record_size = u16::try_from(record_size).map_err(|_| Error::usage("v2 B-tree chunk record too large"))?;
                        let record_type = if filtered { 11 } else { 10 };
                        let hdr = BTreeV2::new(0, sizes, record_type, node_size, record_size, split_percent, merge_percent)?;
                        let mut img = Bt2Image::new(hdr, ChunkParams { rank, chunk_size_len: size_len });
                        let mut all: Vec<&ChunkRecord> = records.values().collect();
                        all.sort_by(|a, b| a.offsets.cmp(&b.offsets));
                        let mut owned = Owned::new();
                        self.update_btree_index(&mut img, to_records(&all), &mut owned, None)?;
                        superseded = Some(std::mem::replace(&mut state.owned, owned));
                        img
                    }
                };
                let a = img.address();
                state.bt2 = Some(img);
                ChunkIndex::BTreeV2 { address: Some(a), node_size, split_percent, merge_percent }
            }
            ChunkIndex::BTreeV1 { .. } | ChunkIndex::Implicit { .. } => return Err(unsupported("this chunk index in the new format")),
        };
        state.ours = true;
        let new_layout = Layout::Chunked { chunk_dims, element_size, index: new_index, flags };
        if new_layout != state.layout.layout {
            state.layout.layout = new_layout;
            let hdr = self.header(header)?;
            let i = hdr.find(msg_type::LAYOUT).ok_or_else(|| Error::usage("dataset without a layout message"))?;
            hdr.replace(i, &Message::Layout(state.layout.clone()), sizes)?;
        }
        for (a, n) in superseded.unwrap_or_default() {
            self.space.free(a, n);
        }
        state.dirty = false;
        self.changed = true;
        Ok(())
    }

    /// Frees the structure at `a` after the commit when this editor wrote it.
    pub(crate) fn free_block(&mut self, a: u64, owned: &mut Owned) {
        if let Some(len) = owned.remove(&a) {
            self.space.free(a, len);
        }
    }

    /// Allocates `len` bytes of new space recorded in `extents`.
    fn alloc_index(&mut self, len: u64, extents: &mut Vec<(u64, u64)>) -> Result<u64> {
        let a = self.allocate(len)?;
        extents.push((a, len));
        Ok(a)
    }

    /// A new fixed array (header, data block, its pages) holding `records`; its address.
    fn write_fixed_array(
        &mut self,
        records: &[&ChunkRecord],
        chunk: &[u64],
        max: &[u64],
        page_bits: u8,
        fmt: ElementFormat,
        extents: &mut Vec<(u64, u64)>,
    ) -> Result<u64> {
        let sizes = self.sizes;
        let entries = max.iter().zip(chunk).try_fold(1u64, |n, (&m, &c)| n.checked_mul(m.div_ceil(c.max(1))));
        let entries = entries.filter(|&n| n <= FA_MAX_ENTRIES).ok_or_else(|| unsupported("fixed arrays of more than 2^28 chunks"))?;
        let at = self.alloc_index(FixedArrayHeader::encoded_size(sizes), extents)?;
        let mut hdr = FixedArrayHeader {
            address: at,
            client_id: fmt.client_id(),
            entry_size: fmt.element_size(sizes) as u8,
            page_bits,
            max_entries: entries,
            data_block_address: None,
        };
        let mut block: Option<FixedArrayDataBlock> = None;
        let mut pages: BTreeMap<u64, DataBlockPage> = BTreeMap::new();
        for r in records {
            let i = linear(&r.offsets, max, chunk);
            for b in hdr.blocks_to_create(i, block.as_ref())? {
                match b {
                    FixedArrayBlockToCreate::DataBlock => {
                        let a = self.alloc_index(hdr.data_block_alloc_size(sizes), extents)?;
                        hdr.data_block_address = Some(a);
                        block = Some(FixedArrayDataBlock::new(&hdr)?);
                    }
                    FixedArrayBlockToCreate::Page { page } => {
                        if let Some(b) = block.as_mut() {
                            bitmap_set(&mut b.page_bitmap, page)?;
                        }
                        pages.insert(page, DataBlockPage { elements: vec![Element::UNALLOCATED; hdr.page_len(page) as usize] });
                    }
                }
            }
            let slot = match hdr.locate(i) {
                Some(FixedArrayLocation::DataBlock { index }) => block.as_mut().and_then(|b| b.elements.get_mut(index as usize)),
                Some(FixedArrayLocation::Page { page, index }) => pages.get_mut(&page).and_then(|p| p.elements.get_mut(index as usize)),
                None => None,
            };
            *slot.ok_or_else(|| Error::usage(format!("internal error: chunk {} has no fixed array element", i)))? = element(r, fmt);
        }
        if let (Some(db), Some(b)) = (hdr.data_block_address, block) {
            let mut w = Writer::new(db, sizes);
            b.encode(&mut w, fmt)?;
            self.write_now(db, &w.into_inner())?;
            for (p, page) in pages {
                let pa = db + hdr.page_offset(sizes, p);
                let mut w = Writer::new(pa, sizes);
                page.encode(&mut w, fmt)?;
                self.write_now(pa, &w.into_inner())?;
            }
        }
        let mut w = Writer::new(at, sizes);
        hdr.encode(&mut w)?;
        self.write_now(at, &w.into_inner())?;
        Ok(at)
    }
}

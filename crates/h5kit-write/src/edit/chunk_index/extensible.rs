//! The extensible array chunk index (spec VII.D "The Extensible Array Index") kept by the
//! editor as an image of its blocks, changed copy-on-write at each flush.
//!
//! Every block of an array names its header's address ("EAIB"/"EASB"/"EADB" prefix; libhdf5
//! checks it), so the header never moves: it is the array's commit point, rewritten in place
//! (one write of the bytes that change, with the in-place writes of the flush, before the
//! object header). Below it everything is copy-on-write: a data block holding an element that
//! changed moves to new space (with all its initialized pages), so its parent (the index
//! block, or the level's secondary block, which then moves too and its index block with it)
//! changes; the header's "Index Block Address" switches to the new index block. Data blocks
//! and secondary blocks holding no changed element keep their addresses. A page that no
//! committed bitmap marks initialized is written where it belongs (nothing committed reads
//! it) and the secondary block whose bitmap marks it moves. So a flush writes the header,
//! the index block and, per changed region, one data block (or paged block) and one secondary
//! block: O(changed blocks), not O(array).
//!
//! A kill before the header's write leaves the old array intact (the superseded blocks are
//! freed after the commit, never reused in SWMR mode); after it, the new array is whole.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use h5kit_btree::element::{bitmap_set, DataBlockPage, Element, ElementFormat};
use h5kit_btree::extensible_array::{
    BlockToCreate, DataBlock, ExtensibleArrayHeader, ExtensibleArrayLocation, Geometry, IndexBlock, SecondaryBlock,
};
use h5kit_core::{Error, Result, Writer};

use super::Owned;
use crate::edit::{unsupported, Editor};

/// An extensible array as this editor wrote it: header, index block, secondary blocks by
/// index block slot, data blocks by address and their pages.
#[derive(Debug, Clone)]
pub(crate) struct EaImage {
    hdr: ExtensibleArrayHeader,
    g: Geometry,
    fmt: ElementFormat,
    iblock: Option<(u64, IndexBlock)>,
    /// Slot -> (address, level, block).
    sblocks: BTreeMap<u64, (u64, u32, SecondaryBlock)>,
    /// Address -> (elements, block).
    dblocks: BTreeMap<u64, (u64, DataBlock)>,
    /// (data block address, page) -> page, initialized pages only.
    pages: BTreeMap<(u64, u64), DataBlockPage>,
    /// Whether the header is in the file (an earlier flush wrote it): then rewritten in place.
    written: bool,
    /// Elements that hold a chunk.
    count: u64,
}

/// What one flush changes in the image.
#[derive(Default)]
struct Pass {
    /// Blocks allocated by this flush (written whole, never moved).
    new: HashSet<u64>,
    /// Data blocks whose (unpaged) elements changed.
    dblocks: BTreeSet<u64>,
    /// Pages whose elements changed, and those of them initialized by this flush.
    pages: BTreeSet<(u64, u64)>,
    pages_created: BTreeSet<(u64, u64)>,
    /// Secondary blocks (by slot) that changed.
    sblocks: BTreeSet<u64>,
    iblock: bool,
}

impl EaImage {
    /// A new, empty array whose header is at `address` (not yet written).
    pub fn new(hdr: ExtensibleArrayHeader, fmt: ElementFormat) -> Result<EaImage> {
        let g = hdr.geometry()?;
        Ok(EaImage {
            hdr,
            g,
            fmt,
            iblock: None,
            sblocks: BTreeMap::new(),
            dblocks: BTreeMap::new(),
            pages: BTreeMap::new(),
            written: false,
            count: 0,
        })
    }

    pub fn address(&self) -> u64 {
        self.hdr.address
    }

    pub fn format(&self) -> ElementFormat {
        self.fmt
    }

    /// Whether element `index` can be stored (not past the array's maximum).
    pub fn holds(&self, index: u64) -> bool {
        self.g.locate(index).is_some()
    }

    /// Whether the image is in the file (a flush wrote it).
    pub fn written(&self) -> bool {
        self.written
    }
}

/// The index block slot or secondary block slot and data block number that point at the
/// data block at `d`.
enum Parent {
    Direct(usize),
    Secondary(u64, usize),
}

impl Editor {
    /// Sets the elements `changes` (element index, value; in index order) in `img`, writes
    /// the blocks that changed into new space (copy-on-write), and the header: into new space
    /// the first time, else queued to be rewritten in place with the flush's in-place writes.
    /// `owned` holds the extents of the array's blocks (superseded ones are freed). `false`
    /// (nothing written; `img` to be dropped) when the array would then hold another number
    /// of chunks than `expect`.
    pub(crate) fn update_extensible_array(
        &mut self,
        img: &mut EaImage,
        changes: &[(u64, Element)],
        owned: &mut Owned,
        expect: Option<u64>,
    ) -> Result<bool> {
        let sizes = self.sizes;
        let g = img.g.clone();
        let mut pass = Pass::default();
        for &(i, el) in changes {
            let loc = g.locate(i).ok_or_else(|| unsupported(format!("chunk {} is past the extensible array's maximum", i)))?;
            let sb_slot = match loc {
                ExtensibleArrayLocation::SecondaryDataBlock { slot, .. } => Some(slot),
                _ => None,
            };
            let dblk_addr = match loc {
                ExtensibleArrayLocation::DirectDataBlock { slot, .. } => {
                    img.iblock.as_ref().and_then(|(_, ib)| ib.data_block_addresses.get(slot as usize).copied().flatten())
                }
                ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, .. } => {
                    img.sblocks.get(&slot).and_then(|(_, _, sb)| sb.data_block_addresses.get(dblk as usize).copied().flatten())
                }
                ExtensibleArrayLocation::IndexBlock { .. } => None,
            };
            let page_of = match loc {
                ExtensibleArrayLocation::DirectDataBlock { block, .. } | ExtensibleArrayLocation::SecondaryDataBlock { block, .. } => {
                    block.page
                }
                ExtensibleArrayLocation::IndexBlock { .. } => None,
            };
            let page_init = match (dblk_addr, page_of) {
                (Some(d), Some((p, _))) => img.pages.contains_key(&(d, p)),
                _ => false,
            };
            let sb = sb_slot.and_then(|s| img.sblocks.get(&s)).map(|(_, _, b)| b);
            let todo = g.blocks_to_create(i, img.iblock.as_ref().map(|(_, b)| b), sb, page_init)?;
            let mut cur_dblk = dblk_addr;
            for b in todo {
                img.hdr.count_created(&b, sizes)?;
                match b {
                    BlockToCreate::IndexBlock => {
                        let a = self.alloc_block(g.index_block_size(sizes), owned, &mut pass)?;
                        img.hdr.index_block_address = Some(a);
                        img.iblock = Some((a, IndexBlock::new(&img.hdr)?));
                    }
                    BlockToCreate::SecondaryBlock { level, slot, .. } => {
                        let a = self.alloc_block(g.secondary_block_size(sizes, level), owned, &mut pass)?;
                        if let Some(s) = img.iblock.as_mut().and_then(|(_, ib)| ib.secondary_block_addresses.get_mut(slot as usize)) {
                            *s = Some(a);
                        }
                        img.sblocks.insert(slot, (a, level, SecondaryBlock::new(&img.hdr, level)?));
                        pass.iblock = true;
                    }
                    BlockToCreate::DataBlock { nelmts, block_offset, .. } => {
                        let a = self.alloc_block(g.data_block_alloc_size(sizes, nelmts), owned, &mut pass)?;
                        match loc {
                            ExtensibleArrayLocation::DirectDataBlock { slot, .. } => {
                                if let Some(s) = img.iblock.as_mut().and_then(|(_, ib)| ib.data_block_addresses.get_mut(slot as usize)) {
                                    *s = Some(a);
                                }
                                pass.iblock = true;
                            }
                            ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, .. } => {
                                if let Some(s) =
                                    img.sblocks.get_mut(&slot).and_then(|(_, _, sb)| sb.data_block_addresses.get_mut(dblk as usize))
                                {
                                    *s = Some(a);
                                }
                                pass.sblocks.insert(slot);
                            }
                            ExtensibleArrayLocation::IndexBlock { .. } => {}
                        }
                        img.dblocks.insert(a, (nelmts, DataBlock::new(&img.hdr, nelmts, block_offset)?));
                        cur_dblk = Some(a);
                    }
                    BlockToCreate::Page { page } => {
                        let d = cur_dblk.ok_or_else(|| Error::usage("internal error: a page without its data block"))?;
                        if let ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, block } = loc {
                            if let Some((_, _, sb)) = img.sblocks.get_mut(&slot) {
                                // The page bits of a level's data blocks follow one another
                                // (libhdf5 `H5EA__lookup_elmt`).
                                bitmap_set(&mut sb.page_bitmap, dblk * g.npages(block.nelmts) + page)?;
                            }
                            pass.sblocks.insert(slot);
                        }
                        img.pages.insert((d, page), DataBlockPage { elements: vec![Element::UNALLOCATED; g.page_nelmts as usize] });
                        pass.pages_created.insert((d, page));
                    }
                }
            }
            let slot = match loc {
                ExtensibleArrayLocation::IndexBlock { index } => {
                    pass.iblock = true;
                    img.iblock.as_mut().and_then(|(_, ib)| ib.elements.get_mut(index as usize))
                }
                ExtensibleArrayLocation::DirectDataBlock { block, .. } | ExtensibleArrayLocation::SecondaryDataBlock { block, .. } => {
                    let d = cur_dblk.ok_or_else(|| Error::usage("internal error: no data block"))?;
                    match block.page {
                        Some((p, e)) => {
                            pass.pages.insert((d, p));
                            img.pages.get_mut(&(d, p)).and_then(|pg| pg.elements.get_mut(e as usize))
                        }
                        None => {
                            pass.dblocks.insert(d);
                            img.dblocks.get_mut(&d).and_then(|(_, db)| db.elements.get_mut(block.index as usize))
                        }
                    }
                }
            };
            let slot = slot.ok_or_else(|| Error::usage(format!("internal error: chunk {} has no extensible array element", i)))?;
            match (slot.address.is_some(), el.address.is_some()) {
                (false, true) => img.count += 1,
                (true, false) => img.count = img.count.saturating_sub(1),
                _ => {}
            }
            *slot = el;
            img.hdr.count_set(i);
        }
        if expect.is_some_and(|n| n != img.count) {
            return Ok(false);
        }
        self.commit_extensible_array(img, pass, owned)?;
        Ok(true)
    }

    /// New space for a block of the array, recorded as this flush's and the array's.
    fn alloc_block(&mut self, len: u64, owned: &mut Owned, pass: &mut Pass) -> Result<u64> {
        let a = self.allocate(len)?;
        owned.insert(a, len);
        pass.new.insert(a);
        Ok(a)
    }

    /// Moves the changed blocks that earlier flushes wrote to new space, writes every block
    /// this flush changed, then the header.
    fn commit_extensible_array(&mut self, img: &mut EaImage, mut pass: Pass, owned: &mut Owned) -> Result<()> {
        let sizes = self.sizes;
        let g = img.g.clone();
        // Data blocks: a committed one moves when an element it holds, or a page the file
        // already holds, changed (a page no committed bitmap marks is written in place).
        let mut touched: BTreeSet<u64> = pass.dblocks.clone();
        touched.extend(pass.pages.iter().map(|(d, _)| *d));
        for d in touched {
            if pass.new.contains(&d) {
                continue;
            }
            let Some(&(nelmts, _)) = img.dblocks.get(&d) else { continue };
            let parent = find_parent(img, d).ok_or_else(|| Error::usage("internal error: extensible array data block without parent"))?;
            let paged_in_place = !pass.dblocks.contains(&d)
                && matches!(parent, Parent::Secondary(..))
                && pass.pages.range((d, 0)..=(d, u64::MAX)).all(|k| pass.pages_created.contains(k));
            if paged_in_place {
                continue;
            }
            let len = g.data_block_alloc_size(sizes, nelmts);
            let a = self.alloc_block(len, owned, &mut pass)?;
            if let Some(b) = img.dblocks.remove(&d) {
                img.dblocks.insert(a, b);
            }
            let keys: Vec<(u64, u64)> = img.pages.range((d, 0)..=(d, u64::MAX)).map(|(k, _)| *k).collect();
            for k in keys {
                if let Some(p) = img.pages.remove(&k) {
                    img.pages.insert((a, k.1), p);
                }
            }
            match parent {
                Parent::Direct(s) => {
                    if let Some(x) = img.iblock.as_mut().and_then(|(_, ib)| ib.data_block_addresses.get_mut(s)) {
                        *x = Some(a);
                    }
                    pass.iblock = true;
                }
                Parent::Secondary(slot, k) => {
                    if let Some(x) = img.sblocks.get_mut(&slot).and_then(|(_, _, sb)| sb.data_block_addresses.get_mut(k)) {
                        *x = Some(a);
                    }
                    pass.sblocks.insert(slot);
                }
            }
            self.free_block(d, owned);
        }
        // Write the data blocks of new space whole (with their pages), and the new pages of
        // the others where they belong.
        for (a, (nelmts, db)) in &img.dblocks {
            if pass.new.contains(a) {
                let mut w = Writer::new(*a, sizes);
                db.encode(&mut w, &img.hdr)?;
                self.put(*a, w)?;
                for ((_, p), page) in img.pages.range((*a, 0)..=(*a, u64::MAX)) {
                    let pa = a + g.page_offset(sizes, *nelmts, *p);
                    let mut w = Writer::new(pa, sizes);
                    page.encode(&mut w, img.fmt)?;
                    self.put(pa, w)?;
                }
            } else {
                for (d, p) in pass.pages.range((*a, 0)..=(*a, u64::MAX)) {
                    let Some(page) = img.pages.get(&(*d, *p)) else { continue };
                    let pa = a + g.page_offset(sizes, *nelmts, *p);
                    let mut w = Writer::new(pa, sizes);
                    page.encode(&mut w, img.fmt)?;
                    self.put(pa, w)?;
                }
            }
        }
        // Secondary blocks that changed: committed ones move, the index block follows.
        for slot in std::mem::take(&mut pass.sblocks) {
            let Some(&(old, level, _)) = img.sblocks.get(&slot) else { continue };
            let a = if pass.new.contains(&old) {
                old
            } else {
                let a = self.alloc_block(g.secondary_block_size(sizes, level), owned, &mut pass)?;
                if let Some(x) = img.iblock.as_mut().and_then(|(_, ib)| ib.secondary_block_addresses.get_mut(slot as usize)) {
                    *x = Some(a);
                }
                pass.iblock = true;
                self.free_block(old, owned);
                a
            };
            if let Some(e) = img.sblocks.get_mut(&slot) {
                e.0 = a;
                let mut w = Writer::new(a, sizes);
                e.2.encode(&mut w, &img.hdr)?;
                self.put(a, w)?;
            }
        }
        if let Some(old) = img.iblock.as_ref().map(|(a, _)| *a) {
            if pass.iblock || pass.new.contains(&old) {
                let a = if pass.new.contains(&old) {
                    old
                } else {
                    let a = self.alloc_block(g.index_block_size(sizes), owned, &mut pass)?;
                    self.free_block(old, owned);
                    img.hdr.index_block_address = Some(a);
                    a
                };
                if let Some((at, ib)) = img.iblock.as_mut() {
                    *at = a;
                    let mut w = Writer::new(a, sizes);
                    ib.encode(&mut w, &img.hdr)?;
                    self.put(a, w)?;
                }
            }
        }
        // The header: its one write switches the array (in place once the file holds it).
        let at = img.hdr.address;
        let mut w = Writer::new(at, sizes);
        img.hdr.encode(&mut w)?;
        let bytes = w.into_inner();
        if img.written && !self.is_fresh(at) {
            self.index_in_place.push((at, bytes));
        } else {
            self.write_now(at, &bytes)?;
        }
        img.written = true;
        Ok(())
    }

    /// Writes a block into its new space.
    fn put(&self, a: u64, w: Writer) -> Result<()> {
        self.write_now(a, &w.into_inner())
    }
}

/// What points at the data block at `d`.
fn find_parent(img: &EaImage, d: u64) -> Option<Parent> {
    if let Some((_, ib)) = &img.iblock {
        if let Some(s) = ib.data_block_addresses.iter().position(|a| *a == Some(d)) {
            return Some(Parent::Direct(s));
        }
    }
    img.sblocks
        .iter()
        .find_map(|(slot, (_, _, sb))| sb.data_block_addresses.iter().position(|a| *a == Some(d)).map(|k| Parent::Secondary(*slot, k)))
}

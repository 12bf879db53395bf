//! Byte-identical re-encoding of every B-tree / chunk index structure in the corpus: each
//! file is scanned for the signatures ("TREE", "SNOD", "BTHD", "FAHD", "EAHD"); v2 B-tree
//! nodes and array blocks are reached from their headers. Each structure is decoded from the
//! file's bytes, encoded again, and compared byte for byte with the bytes it occupies.
//!
//! Run with `--nocapture` to see the counts per structure and the exceptions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use h5kit_btree::element::{bitmap_get, DataBlockPage, ElementFormat};
use h5kit_btree::extensible_array::{DataBlock, ExtensibleArrayHeader, IndexBlock, SecondaryBlock};
use h5kit_btree::fixed_array::{FixedArrayDataBlock, FixedArrayHeader};
use h5kit_btree::v1::{ChunkKey, Node as V1Node, SymbolTableNode};
use h5kit_btree::v2::{BTreeV2, ChunkParams, Node as V2Node};
use h5kit_core::{Reader, Sizes, Writer};
use h5kit_superblock::Superblock;

#[derive(Default)]
struct Tally {
    identical: u64,
    /// Byte differences: the failures.
    different: Vec<String>,
    /// Structures not compared, with the reason.
    skipped: Vec<String>,
    /// Structures compared, with a caveat.
    notes: Vec<String>,
}

#[derive(Default)]
struct Stats(BTreeMap<&'static str, Tally>);

impl Stats {
    fn t(&mut self, what: &'static str) -> &mut Tally {
        self.0.entry(what).or_default()
    }
    /// Compares `encoded` with the file bytes at `pos`.
    fn compare(&mut self, what: &'static str, file: &str, bytes: &[u8], pos: usize, encoded: &[u8]) {
        let end = pos + encoded.len();
        let t = self.t(what);
        if end > bytes.len() {
            t.different.push(format!("{} @{}: {} bytes encoded, file ends at {}", file, pos, encoded.len(), bytes.len()));
            return;
        }
        let orig = &bytes[pos..end];
        if orig == encoded {
            t.identical += 1;
        } else {
            let first = orig.iter().zip(encoded).position(|(a, b)| a != b).unwrap_or(0);
            t.different.push(format!(
                "{} @{}: first difference at byte {} of {} (file {:02x?}, encoded {:02x?})",
                file,
                pos,
                first,
                encoded.len(),
                &orig[first..(first + 8).min(orig.len())],
                &encoded[first..(first + 8).min(encoded.len())]
            ));
        }
    }
}

struct File<'a> {
    name: String,
    bytes: &'a [u8],
    base: usize,
    sizes: Sizes,
    sb: Superblock,
}

impl File<'_> {
    fn reader(&self, address: u64) -> Option<Reader<'_>> {
        let pos = self.base.checked_add(usize::try_from(address).ok()?)?;
        Some(Reader::new(self.bytes.get(pos..)?, address, self.sizes))
    }
    fn pos(&self, address: u64) -> usize {
        self.base + address as usize
    }
    fn writer(&self, address: u64) -> Writer {
        Writer::new(address, self.sizes)
    }
}

fn find_all(bytes: &[u8], sig: &[u8; 4]) -> Vec<usize> {
    bytes.windows(4).enumerate().filter(|(_, w)| *w == sig).map(|(i, _)| i).collect()
}

#[test]
fn corpus_structures_reencode_byte_identically() {
    let mut stats = Stats::default();
    let files = common::corpus_files();
    assert!(files.len() > 50, "corpus not found ({} files)", files.len());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let storage = h5kit_core::MemStorage::new(bytes.clone());
        let Ok(sb) = Superblock::read(&storage) else { continue };
        let name = path.strip_prefix(path.parent().unwrap().parent().unwrap()).unwrap().display().to_string();
        let f = File { name, bytes: &bytes, base: sb.effective_base_address() as usize, sizes: sb.sizes, sb: sb.clone() };
        scan_file(&f, &mut stats);
    }
    let mut failures = 0;
    println!("{:<34} {:>9} {:>9} {:>8}", "structure", "identical", "different", "skipped");
    for (what, t) in &stats.0 {
        println!("{:<34} {:>9} {:>9} {:>8}", what, t.identical, t.different.len(), t.skipped.len());
        failures += t.different.len();
    }
    for (what, t) in &stats.0 {
        for d in t.different.iter().take(20) {
            println!("DIFFERENT {}: {}", what, d);
        }
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        for s in &t.skipped {
            *reasons.entry(s.clone()).or_default() += 1;
        }
        for (r, n) in reasons {
            println!("skipped {} x{}: {}", what, n, r);
        }
        let mut notes: BTreeMap<String, u64> = BTreeMap::new();
        for s in &t.notes {
            *notes.entry(s.clone()).or_default() += 1;
        }
        for (r, n) in notes {
            println!("note {} x{}: {}", what, n, r);
        }
    }
    assert_eq!(failures, 0, "structures that did not re-encode identically");
}

fn scan_file(f: &File, stats: &mut Stats) {
    let mut reached_v2_nodes = BTreeSet::new();
    for pos in find_all(f.bytes, b"BTHD") {
        let Some(a) = pos.checked_sub(f.base) else { continue };
        v2_tree(f, a as u64, stats, &mut reached_v2_nodes);
    }
    for sig in [b"BTIN", b"BTLF"] {
        for pos in find_all(f.bytes, sig) {
            if !reached_v2_nodes.contains(&pos) {
                stats.t("v2 B-tree node (BTIN/BTLF)").skipped.push("not reached from a valid header (stale or not a node)".into());
            }
        }
    }
    for pos in find_all(f.bytes, b"FAHD") {
        let Some(a) = pos.checked_sub(f.base) else { continue };
        fixed_array(f, a as u64, stats);
    }
    for pos in find_all(f.bytes, b"EAHD") {
        let Some(a) = pos.checked_sub(f.base) else { continue };
        extensible_array(f, a as u64, stats);
    }
    for pos in find_all(f.bytes, b"TREE") {
        let Some(a) = pos.checked_sub(f.base) else { continue };
        v1_node(f, a as u64, stats);
    }
    for pos in find_all(f.bytes, b"SNOD") {
        let Some(a) = pos.checked_sub(f.base) else { continue };
        let k = f.sb.group_leaf_k;
        let Some(mut r) = f.reader(a as u64) else { continue };
        match SymbolTableNode::decode(&mut r) {
            Ok(n) => {
                let mut w = f.writer(a as u64);
                n.encode(&mut w, k).unwrap();
                assert_eq!(w.position() as u64, SymbolTableNode::encoded_size(f.sizes, k));
                stats.compare("symbol table node (SNOD)", &f.name, f.bytes, pos, w.as_slice());
            }
            Err(e) => stats.t("symbol table node (SNOD)").skipped.push(format!("does not decode: {}", e.message)),
        }
    }
}

/// Chunk parameters of a type-10/11 tree from its record size.
fn v2_chunk_params(hdr: &BTreeV2, sizes: Sizes) -> Option<ChunkParams> {
    let o = sizes.offset as usize;
    let rs = hdr.record_size as usize;
    match hdr.record_type {
        10 => Some(ChunkParams { rank: (rs - o) / 8, chunk_size_len: 0 }),
        11 => {
            let rest = rs - o - 4;
            let csl = if rest.is_multiple_of(8) { 8 } else { rest % 8 };
            Some(ChunkParams { rank: (rest - csl) / 8, chunk_size_len: csl })
        }
        _ => None,
    }
}

fn v2_tree(f: &File, a: u64, stats: &mut Stats, reached: &mut BTreeSet<usize>) {
    let Some(mut r) = f.reader(a) else { return };
    let hdr = match BTreeV2::decode(&mut r) {
        Ok(h) => h,
        Err(e) => {
            stats.t("v2 B-tree header (BTHD)").skipped.push(format!("does not decode (stale or not a header): {}", e.message));
            return;
        }
    };
    let mut w = f.writer(a);
    hdr.encode(&mut w).unwrap();
    assert_eq!(w.position() as u64, BTreeV2::encoded_size(f.sizes));
    stats.compare("v2 B-tree header (BTHD)", &f.name, f.bytes, f.pos(a), w.as_slice());
    let chunk = v2_chunk_params(&hdr, f.sizes);
    if let Some(root) = hdr.root_address {
        v2_node(f, &hdr, chunk, root, hdr.depth, hdr.root_records as u64, stats, reached);
    }
}

#[allow(clippy::too_many_arguments)]
fn v2_node(f: &File, hdr: &BTreeV2, chunk: Option<ChunkParams>, a: u64, level: u16, nrec: u64, stats: &mut Stats, reached: &mut BTreeSet<usize>) {
    let what = if level == 0 { "v2 B-tree leaf node (BTLF)" } else { "v2 B-tree internal node (BTIN)" };
    let Some(mut r) = f.reader(a) else { return };
    let node = match V2Node::decode(&mut r, hdr, level, nrec, chunk) {
        Ok(n) => n,
        Err(e) => {
            stats.t(what).different.push(format!("{} @{}: does not decode: {}", f.name, a, e.message));
            return;
        }
    };
    reached.insert(f.pos(a));
    let mut w = f.writer(a);
    node.encode(&mut w, hdr, chunk).unwrap();
    assert_eq!(w.position() as u64, V2Node::encoded_size(hdr));
    stats.compare(what, &f.name, f.bytes, f.pos(a), w.as_slice());
    for c in &node.children {
        v2_node(f, hdr, chunk, c.address, level - 1, c.nrec, stats, reached);
    }
}

fn fixed_array(f: &File, a: u64, stats: &mut Stats) {
    let Some(mut r) = f.reader(a) else { return };
    let hdr = match FixedArrayHeader::decode(&mut r) {
        Ok(h) => h,
        Err(e) => {
            stats.t("fixed array header (FAHD)").skipped.push(format!("does not decode: {}", e.message));
            return;
        }
    };
    let mut w = f.writer(a);
    hdr.encode(&mut w).unwrap();
    stats.compare("fixed array header (FAHD)", &f.name, f.bytes, f.pos(a), w.as_slice());
    let Some(db) = hdr.data_block_address else { return };
    let fmt = hdr.element_format(f.sizes).unwrap();
    let Some(mut r) = f.reader(db) else { return };
    let block = match FixedArrayDataBlock::decode(&mut r, &hdr, fmt) {
        Ok(b) => b,
        Err(e) => {
            stats.t("fixed array data block (FADB)").different.push(format!("{} @{}: {}", f.name, db, e.message));
            return;
        }
    };
    assert_eq!(block.header_address, a);
    let mut w = f.writer(db);
    block.encode(&mut w, fmt).unwrap();
    assert_eq!(w.position() as u64, FixedArrayDataBlock::encoded_size(&hdr, f.sizes));
    stats.compare("fixed array data block (FADB)", &f.name, f.bytes, f.pos(db), w.as_slice());
    for p in 0..hdr.npages() {
        let pa = db + hdr.page_offset(f.sizes, p);
        if !bitmap_get(&block.page_bitmap, p) {
            stats.t("fixed array data block page").skipped.push("page not initialized (bitmap bit clear)".into());
            continue;
        }
        page(f, "fixed array data block page", pa, hdr.page_len(p), fmt, stats);
    }
}

fn page(f: &File, what: &'static str, pa: u64, nelmts: u64, fmt: ElementFormat, stats: &mut Stats) {
    let Some(mut r) = f.reader(pa) else { return };
    match DataBlockPage::decode(&mut r, nelmts, fmt) {
        Ok(pg) => {
            let mut w = f.writer(pa);
            pg.encode(&mut w, fmt).unwrap();
            assert_eq!(w.position() as u64, DataBlockPage::encoded_size(f.sizes, nelmts, fmt));
            stats.compare(what, &f.name, f.bytes, f.pos(pa), w.as_slice());
        }
        Err(e) => stats.t(what).different.push(format!("{} @{}: {}", f.name, pa, e.message)),
    }
}

fn extensible_array(f: &File, a: u64, stats: &mut Stats) {
    let Some(mut r) = f.reader(a) else { return };
    let hdr = match ExtensibleArrayHeader::decode(&mut r) {
        Ok(h) => h,
        Err(e) => {
            stats.t("extensible array header (EAHD)").skipped.push(format!("does not decode: {}", e.message));
            return;
        }
    };
    let mut w = f.writer(a);
    hdr.encode(&mut w).unwrap();
    stats.compare("extensible array header (EAHD)", &f.name, f.bytes, f.pos(a), w.as_slice());
    let Some(ib) = hdr.index_block_address else { return };
    let g = hdr.geometry().unwrap();
    let Some(mut r) = f.reader(ib) else { return };
    let iblock = match IndexBlock::decode(&mut r, &hdr) {
        Ok(b) => b,
        Err(e) => {
            stats.t("extensible array index block (EAIB)").different.push(format!("{} @{}: {}", f.name, ib, e.message));
            return;
        }
    };
    let mut w = f.writer(ib);
    iblock.encode(&mut w, &hdr).unwrap();
    assert_eq!(w.position() as u64, g.index_block_size(f.sizes));
    stats.compare("extensible array index block (EAIB)", &f.name, f.bytes, f.pos(ib), w.as_slice());
    let fmt = hdr.element_format(f.sizes).unwrap();
    // Data blocks addressed from the index block, level by level.
    let mut slot = 0usize;
    for s in 0..g.iblock_nsblks.min(g.levels.len() as u32) {
        let info = g.levels[s as usize];
        for d in 0..info.ndblks {
            if let Some(Some(da)) = iblock.data_block_addresses.get(slot) {
                // libhdf5's block offset for index block data blocks uses the slot.
                let _ = d;
                data_block(f, &hdr, *da, info.dblk_nelmts, info.start_idx + slot as u64 * info.dblk_nelmts, None, fmt, stats);
            }
            slot += 1;
        }
    }
    for (j, sa) in iblock.secondary_block_addresses.iter().enumerate() {
        let Some(sa) = *sa else { continue };
        let s = g.iblock_nsblks + j as u32;
        let info = g.levels[s as usize];
        let Some(mut r) = f.reader(sa) else { continue };
        let sblock = match SecondaryBlock::decode(&mut r, &hdr, s) {
            Ok(b) => b,
            Err(e) => {
                stats.t("extensible array secondary block (EASB)").different.push(format!("{} @{}: {}", f.name, sa, e.message));
                continue;
            }
        };
        if sblock.block_offset != info.start_idx {
            stats.t("extensible array secondary block (EASB)").different.push(format!(
                "{} @{}: block offset {} but the geometry says {}",
                f.name, sa, sblock.block_offset, info.start_idx
            ));
        }
        let mut w = f.writer(sa);
        sblock.encode(&mut w, &hdr).unwrap();
        assert_eq!(w.position() as u64, g.secondary_block_size(f.sizes, s));
        stats.compare("extensible array secondary block (EASB)", &f.name, f.bytes, f.pos(sa), w.as_slice());
        // The page bits of the level's data blocks follow one another (libhdf5).
        let npages = g.npages(info.dblk_nelmts);
        for (d, da) in sblock.data_block_addresses.iter().enumerate() {
            let Some(da) = *da else { continue };
            let bits = (sblock.page_bitmap.as_slice(), d as u64 * npages);
            data_block(f, &hdr, da, info.dblk_nelmts, info.start_idx + d as u64 * info.dblk_nelmts, Some(bits), fmt, stats);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn data_block(
    f: &File,
    hdr: &ExtensibleArrayHeader,
    da: u64,
    nelmts: u64,
    expected_offset: u64,
    bits: Option<(&[u8], u64)>,
    fmt: ElementFormat,
    stats: &mut Stats,
) {
    const WHAT: &str = "extensible array data block (EADB)";
    let g = hdr.geometry().unwrap();
    let Some(mut r) = f.reader(da) else { return };
    let block = match DataBlock::decode(&mut r, hdr, nelmts) {
        Ok(b) => b,
        Err(e) => {
            stats.t(WHAT).different.push(format!("{} @{}: {}", f.name, da, e.message));
            return;
        }
    };
    if block.block_offset != expected_offset {
        stats.t(WHAT).different.push(format!("{} @{}: block offset {} but the geometry says {}", f.name, da, block.block_offset, expected_offset));
    }
    let mut w = f.writer(da);
    block.encode(&mut w, hdr).unwrap();
    assert_eq!(w.position() as u64, g.data_block_size(f.sizes, nelmts));
    stats.compare(WHAT, &f.name, f.bytes, f.pos(da), w.as_slice());
    for p in 0..g.npages(nelmts) {
        let initialized = match bits {
            Some((bm, first)) => bitmap_get(bm, first + p),
            None => true,
        };
        if !initialized {
            stats.t("extensible array data block page").skipped.push("page not initialized (bitmap bit clear)".into());
            continue;
        }
        page(f, "extensible array data block page", da + g.page_offset(f.sizes, nelmts, p), g.page_nelmts, fmt, stats);
    }
}

/// Whether a decoded chunk node of a guessed rank looks like a real one.
fn plausible_chunk_node(n: &V1Node<ChunkKey>, eof: u64) -> bool {
    if n.children.iter().any(|&c| c == 0 || c >= eof) {
        return false;
    }
    let used = n.children.len();
    if n.keys.iter().take(used).any(|k| k.offsets.last() != Some(&0) || (n.level == 0 && k.size == 0)) {
        return false;
    }
    n.keys.windows(2).all(|w| w[0].offsets < w[1].offsets)
}

fn v1_node(f: &File, a: u64, stats: &mut Stats) {
    let Some(r) = f.reader(a) else { return };
    let node_type = r.data().get(4).copied().unwrap_or(0xff);
    let eof = (f.bytes.len() - f.base) as u64;
    match node_type {
        0 => {
            let k = f.sb.group_internal_k;
            let mut r = r;
            match V1Node::<u64>::decode(&mut r, ()) {
                Ok(n) => {
                    let mut w = f.writer(a);
                    n.encode(&mut w, k, ()).unwrap();
                    assert_eq!(w.position() as u64, V1Node::<u64>::encoded_size(f.sizes, k, ()));
                    let pos = f.pos(a);
                    let used = 8 + 2 * f.sizes.offset as usize + f.sizes.length as usize;
                    if n.children.is_empty() && f.bytes.get(pos..pos + used) == w.as_slice().get(..used) && f.bytes[pos + used..pos + w.position()] != w.as_slice()[used..] {
                        // An empty group's root: libhdf5 leaves the removed entry's child
                        // and key in the unused slots.
                        stats.t("v1 B-tree group node (TREE type 0)").skipped.push(
                            "empty node (0 entries) whose unused slots keep a removed entry's bytes; used part identical".into(),
                        );
                    } else {
                        stats.compare("v1 B-tree group node (TREE type 0)", &f.name, f.bytes, pos, w.as_slice());
                    }
                }
                Err(e) => stats.t("v1 B-tree group node (TREE type 0)").skipped.push(format!("does not decode: {}", e.message)),
            }
        }
        1 => {
            const WHAT: &str = "v1 B-tree chunk node (TREE type 1)";
            let k = f.sb.chunk_internal_k.unwrap_or(32);
            let entries = u16::from_le_bytes([r.data()[6], r.data()[7]]);
            // The rank is not in the node: keep the ranks under which the node decodes into
            // plausible keys.
            let mut candidates = Vec::new();
            for rank in 1..=32usize {
                let mut rr = r.clone();
                if let Ok(n) = V1Node::<ChunkKey>::decode(&mut rr, rank) {
                    let size = V1Node::<ChunkKey>::encoded_size(f.sizes, k, rank);
                    if plausible_chunk_node(&n, eof) && f.pos(a) as u64 + size <= f.bytes.len() as u64 {
                        candidates.push((rank, n));
                    }
                }
            }
            if entries == 0 {
                // No key tells the rank; the node is a header and zeros under any rank.
                let mut rr = r.clone();
                let n = V1Node::<ChunkKey>::decode(&mut rr, 1).unwrap();
                let mut w = f.writer(a);
                n.encode(&mut w, k, 1).unwrap();
                stats.compare(WHAT, &f.name, f.bytes, f.pos(a), w.as_slice());
                stats.t(WHAT).notes.push("empty node (rank unknown): compared as rank 1, the shortest node".into());
                return;
            }
            match candidates.len() {
                0 => stats.t(WHAT).skipped.push("no rank 1..=32 gives plausible keys (stale or not a node)".into()),
                _ => {
                    if candidates.len() > 1 {
                        stats.t(WHAT).notes.push(format!("{} plausible ranks; compared with the smallest", candidates.len()));
                    }
                    let (rank, n) = &candidates[0];
                    let mut w = f.writer(a);
                    n.encode(&mut w, k, *rank).unwrap();
                    stats.compare(WHAT, &f.name, f.bytes, f.pos(a), w.as_slice());
                }
            }
        }
        _ => stats.t("v1 B-tree node (TREE other)").skipped.push(format!("node type {} (not a node)", node_type)),
    }
}

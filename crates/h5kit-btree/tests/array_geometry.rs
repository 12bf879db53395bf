//! Array geometry against real files: every chunk the readers find is where
//! `Geometry::locate` / `FixedArrayHeader::locate` say it is, reading only the typed blocks
//! on that path; and the blocks to create for elements past the written ones.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use h5kit_btree::element::{bitmap_get, DataBlockPage, Element};
use h5kit_btree::extensible_array::{
    self, BlockToCreate, DataBlock, DataBlockPosition, ExtensibleArrayHeader, ExtensibleArrayLocation, IndexBlock, SecondaryBlock,
};
use h5kit_btree::fixed_array::{self, FixedArrayDataBlock, FixedArrayHeader, FixedArrayLocation};
use h5kit_core::{Context, Reader};

fn reader<'a>(ctx: &Context, data: &'a [u8], at: u64) -> Reader<'a> {
    Reader::new(data, at, ctx.sizes)
}

/// The element at `index` following the typed blocks on its path.
fn ea_element(ctx: Context, hdr: &ExtensibleArrayHeader, index: u64) -> Option<Element> {
    let g = hdr.geometry().unwrap();
    let ib = hdr.index_block_address?;
    let data = ctx.read(ib, g.index_block_size(ctx.sizes), "").unwrap();
    let iblock = IndexBlock::decode(&mut reader(&ctx, &data, ib), hdr).unwrap();
    let dblock = |a: u64, b: DataBlockPosition, bitmap: Option<(&[u8], u64)>| -> Option<Element> {
        let data = ctx.read(a, g.data_block_size(ctx.sizes, b.nelmts), "").unwrap();
        let db = DataBlock::decode(&mut reader(&ctx, &data, a), hdr, b.nelmts).unwrap();
        assert_eq!(db.block_offset, b.block_offset);
        match b.page {
            None => Some(db.elements[b.index as usize]),
            Some((p, i)) => {
                if let Some((bm, first)) = bitmap {
                    if !bitmap_get(bm, first + p) {
                        return None;
                    }
                }
                let pa = a + g.page_offset(ctx.sizes, b.nelmts, p);
                let fmt = hdr.element_format(ctx.sizes).unwrap();
                let data = ctx.read(pa, g.page_size(), "").unwrap();
                Some(DataBlockPage::decode(&mut reader(&ctx, &data, pa), g.page_nelmts, fmt).unwrap().elements[i as usize])
            }
        }
    };
    match g.locate(index)? {
        ExtensibleArrayLocation::IndexBlock { index } => Some(iblock.elements[index as usize]),
        ExtensibleArrayLocation::DirectDataBlock { slot, block } => dblock(iblock.data_block_addresses[slot as usize]?, block, None),
        ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, block } => {
            let sa = iblock.secondary_block_addresses[slot as usize]?;
            let data = ctx.read(sa, g.secondary_block_size(ctx.sizes, block.level), "").unwrap();
            let sb = SecondaryBlock::decode(&mut reader(&ctx, &data, sa), hdr, block.level).unwrap();
            assert_eq!(sb.block_offset, g.levels[block.level as usize].start_idx);
            let first_bit = dblk * g.npages(block.nelmts);
            dblock(sb.data_block_addresses[dblk as usize]?, block, Some((&sb.page_bitmap, first_bit)))
        }
    }
}

fn check_ea(ctx: Context, addr: u64, filtered: bool, csl: usize) {
    let hdr = ExtensibleArrayHeader::read(ctx, addr).unwrap();
    let all = extensible_array::read_chunks(ctx, addr, filtered, csl).unwrap();
    assert!(!all.is_empty());
    for c in &all {
        let e = ea_element(ctx, &hdr, c.index).unwrap();
        assert_eq!((e.address, e.chunk_size, e.filter_mask), (Some(c.address), c.size, c.filter_mask));
    }
    // A sample of the other elements: unallocated.
    let allocated: std::collections::HashSet<u64> = all.iter().map(|c| c.index).collect();
    for i in (0..hdr.max_index_set).step_by(97).filter(|i| !allocated.contains(i)) {
        assert!(ea_element(ctx, &hdr, i).and_then(|e| e.address).is_none(), "element {} of {} should be unallocated", i, addr);
    }
}

#[test]
fn extensible_array_locate_matches_the_reader() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    check_ea(f.ctx(), 22350, false, 0);
    check_ea(f.ctx(), 131409, true, 2);
    check_ea(f.ctx(), 15575, false, 0);
    let f = common::Open::path(&common::crate_data_dir().join("paged_earray.hdf5").to_string_lossy());
    check_ea(f.ctx(), 447, false, 0);
    check_ea(f.ctx(), 1961, true, 8);
}

#[test]
fn extensible_array_blocks_to_create() {
    let f = common::Open::new("jhdf/chunked_v4_datasets.hdf5");
    let ctx = f.ctx();
    // /extensible_array/large_int16: index block 4 elements, data blocks of 16, 32, 32x2,
    // 64x2 addressed from the index block (2 * log2(4) = 4 levels), then secondary blocks.
    let hdr = ExtensibleArrayHeader::read(ctx, 22350).unwrap();
    let g = hdr.geometry().unwrap();
    assert_eq!((g.ndblk_addrs, g.nsblk_addrs, g.iblock_nsblks), (6, 25, 4));
    assert_eq!(g.locate(3), Some(ExtensibleArrayLocation::IndexBlock { index: 3 }));
    let b = |level, nelmts, block_offset, index| DataBlockPosition { level, nelmts, block_offset, index, page: None };
    assert_eq!(g.locate(4), Some(ExtensibleArrayLocation::DirectDataBlock { slot: 0, block: b(0, 16, 0, 0) }));
    assert_eq!(g.locate(20), Some(ExtensibleArrayLocation::DirectDataBlock { slot: 1, block: b(1, 32, 48, 0) }));
    assert_eq!(g.locate(4 + 240), Some(ExtensibleArrayLocation::SecondaryDataBlock { slot: 0, dblk: 0, block: b(4, 64, 240, 0) }));
    assert_eq!(g.locate(1 << 33), None);
    // A fresh array: everything on the path must be created.
    let mut empty = hdr;
    empty.index_block_address = None;
    assert_eq!(g.blocks_to_create(2, None, None, false).unwrap(), vec![BlockToCreate::IndexBlock]);
    let ib = IndexBlock::new(&empty).unwrap();
    assert_eq!(g.blocks_to_create(2, Some(&ib), None, false).unwrap(), vec![]);
    assert_eq!(
        g.blocks_to_create(300, Some(&ib), None, false).unwrap(),
        vec![
            BlockToCreate::SecondaryBlock { level: 4, slot: 0, block_offset: 240 },
            BlockToCreate::DataBlock { level: 4, nelmts: 64, block_offset: 240 }
        ]
    );
    // Element 9999 of the file: its data block (level 9, 512 elements) exists, and no page.
    let data = ctx.read(22422, g.index_block_size(ctx.sizes), "").unwrap();
    let ib = IndexBlock::decode(&mut Reader::new(&data, 22422, ctx.sizes), &hdr).unwrap();
    let ExtensibleArrayLocation::SecondaryDataBlock { slot, block, .. } = g.locate(9999).unwrap() else { panic!() };
    let sa = ib.secondary_block_addresses[slot as usize].unwrap();
    let data = ctx.read(sa, g.secondary_block_size(ctx.sizes, block.level), "").unwrap();
    let sb = SecondaryBlock::decode(&mut Reader::new(&data, sa, ctx.sizes), &hdr, block.level).unwrap();
    assert_eq!(g.blocks_to_create(9999, Some(&ib), Some(&sb), false).unwrap(), vec![]);
    // The next data block of that level does not exist yet.
    assert_eq!(
        g.blocks_to_create(10228, Some(&ib), Some(&sb), false).unwrap(),
        vec![BlockToCreate::DataBlock { level: 9, nelmts: 512, block_offset: 8176 + 4 * 512 }]
    );
}

#[test]
fn paged_extensible_array_pages_to_create() {
    let f = common::Open::path(&common::crate_data_dir().join("paged_earray.hdf5").to_string_lossy());
    let ctx = f.ctx();
    let hdr = ExtensibleArrayHeader::read(ctx, 447).unwrap();
    let g = hdr.geometry().unwrap();
    let loc = g.locate(131100).unwrap();
    let ExtensibleArrayLocation::SecondaryDataBlock { block, .. } = loc else { panic!("{:?}", loc) };
    let (page, _) = block.page.unwrap();
    assert_eq!(page, 0);
    let data = ctx.read(hdr.index_block_address.unwrap(), g.index_block_size(ctx.sizes), "").unwrap();
    let ib = IndexBlock::decode(&mut Reader::new(&data, hdr.index_block_address.unwrap(), ctx.sizes), &hdr).unwrap();
    let ExtensibleArrayLocation::SecondaryDataBlock { slot, dblk, .. } = loc else { panic!() };
    let sa = ib.secondary_block_addresses[slot as usize].unwrap();
    let data = ctx.read(sa, g.secondary_block_size(ctx.sizes, block.level), "").unwrap();
    let sb = SecondaryBlock::decode(&mut Reader::new(&data, sa, ctx.sizes), &hdr, block.level).unwrap();
    let init = bitmap_get(&sb.page_bitmap, dblk * g.npages(block.nelmts) + page);
    assert!(!init);
    assert_eq!(g.blocks_to_create(131100, Some(&ib), Some(&sb), init).unwrap(), vec![BlockToCreate::Page { page: 0 }]);
}

#[test]
fn fixed_array_locate_matches_the_reader() {
    let f = common::Open::new("jhdf/fixed_array_paged_datasets.hdf5");
    let ctx = f.ctx();
    let bytes = std::fs::read(common::interop("jhdf/fixed_array_paged_datasets.hdf5")).unwrap();
    let mut paged = 0;
    for pos in bytes.windows(4).enumerate().filter(|(_, w)| *w == b"FAHD").map(|(i, _)| i as u64) {
        let a = pos - f.sb.effective_base_address();
        let hdr = FixedArrayHeader::read(ctx, a).unwrap();
        let fmt = hdr.element_format(ctx.sizes).unwrap();
        let Some(db) = hdr.data_block_address else { continue };
        let csl = fmt.chunk_size_len;
        let all = fixed_array::read_chunks(ctx, a, fmt.filtered, csl).unwrap();
        let data = ctx.read(db, hdr.data_block_size(ctx.sizes), "").unwrap();
        let block = FixedArrayDataBlock::decode(&mut Reader::new(&data, db, ctx.sizes), &hdr, fmt).unwrap();
        paged += usize::from(hdr.is_paged());
        for e in &all {
            let el = match hdr.locate(e.index).unwrap() {
                FixedArrayLocation::DataBlock { index } => block.elements[index as usize],
                FixedArrayLocation::Page { page, index } => {
                    assert!(bitmap_get(&block.page_bitmap, page));
                    let pa = db + hdr.page_offset(ctx.sizes, page);
                    let n = hdr.page_len(page);
                    let data = ctx.read(pa, DataBlockPage::encoded_size(ctx.sizes, n, fmt), "").unwrap();
                    DataBlockPage::decode(&mut Reader::new(&data, pa, ctx.sizes), n, fmt).unwrap().elements[index as usize]
                }
            };
            assert_eq!(el.address, Some(e.address));
        }
        assert!(hdr.data_block_alloc_size(ctx.sizes) >= hdr.data_block_size(ctx.sizes));
    }
    assert!(paged > 0);
}

/// The header's "Num Secondary Blks", "Secondary Blk Size", "Num Data Blks", "Data Blk
/// Size" and "Num Elmts" are what `count_created` accumulates over the blocks that exist.
#[test]
fn extensible_array_header_statistics() {
    let mut checked = 0;
    for path in common::corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        let storage = h5kit_core::MemStorage::new(bytes.clone());
        let Ok(sb) = h5kit_superblock::Superblock::read(&storage) else { continue };
        let limits = h5kit_core::Limits::default();
        let ctx = sb.context(&storage, &limits);
        for pos in bytes.windows(4).enumerate().filter(|(_, w)| *w == b"EAHD").map(|(i, _)| i as u64) {
            let Some(a) = pos.checked_sub(sb.effective_base_address()) else { continue };
            let Ok(hdr) = ExtensibleArrayHeader::read(ctx, a) else { continue };
            let Some(ib) = hdr.index_block_address else { continue };
            let g = hdr.geometry().unwrap();
            let data = ctx.read(ib, g.index_block_size(ctx.sizes), "").unwrap();
            let iblock = IndexBlock::decode(&mut Reader::new(&data, ib, ctx.sizes), &hdr).unwrap();
            // Replay the creations on a header with zeroed statistics.
            let mut replay = hdr;
            (replay.num_secondary_blocks, replay.secondary_block_size, replay.num_data_blocks, replay.data_block_size, replay.num_elements) = (0, 0, 0, 0, 0);
            replay.count_created(&BlockToCreate::IndexBlock, ctx.sizes).unwrap();
            let mut slot = 0usize;
            for (s, info) in g.levels.iter().enumerate().take(g.iblock_nsblks as usize) {
                for _ in 0..info.ndblks {
                    if iblock.data_block_addresses.get(slot).copied().flatten().is_some() {
                        let b = BlockToCreate::DataBlock { level: s as u32, nelmts: info.dblk_nelmts, block_offset: 0 };
                        replay.count_created(&b, ctx.sizes).unwrap();
                    }
                    slot += 1;
                }
            }
            for (j, sa) in iblock.secondary_block_addresses.iter().enumerate() {
                let Some(sa) = *sa else { continue };
                let level = g.iblock_nsblks + j as u32;
                replay.count_created(&BlockToCreate::SecondaryBlock { level, slot: j as u64, block_offset: 0 }, ctx.sizes).unwrap();
                let data = ctx.read(sa, g.secondary_block_size(ctx.sizes, level), "").unwrap();
                let sblock = SecondaryBlock::decode(&mut Reader::new(&data, sa, ctx.sizes), &hdr, level).unwrap();
                for d in sblock.data_block_addresses.iter().flatten() {
                    let _ = d;
                    let b = BlockToCreate::DataBlock { level, nelmts: g.levels[level as usize].dblk_nelmts, block_offset: 0 };
                    replay.count_created(&b, ctx.sizes).unwrap();
                }
            }
            replay.max_index_set = hdr.max_index_set;
            assert_eq!(replay, hdr, "{} @{}", path.display(), a);
            checked += 1;
        }
    }
    assert!(checked >= 10, "{}", checked);
}

#[test]
fn fixed_array_blocks_to_create() {
    use h5kit_btree::element::ElementFormat;
    use h5kit_btree::fixed_array::FixedArrayBlockToCreate as B;
    let s = h5kit_core::Sizes::default();
    let hdr = FixedArrayHeader { address: 100, client_id: 0, entry_size: 8, page_bits: 4, max_entries: 40, data_block_address: None };
    assert_eq!((hdr.npages(), hdr.page_len(2), hdr.page_bitmap_size()), (3, 8, 1));
    assert_eq!(hdr.blocks_to_create(17, None).unwrap(), vec![B::DataBlock, B::Page { page: 1 }]);
    let mut block = FixedArrayDataBlock::new(&hdr).unwrap();
    assert_eq!(hdr.blocks_to_create(17, Some(&block)).unwrap(), vec![B::Page { page: 1 }]);
    h5kit_btree::element::bitmap_set(&mut block.page_bitmap, 1).unwrap();
    assert_eq!(block.page_bitmap, vec![0x40]);
    assert_eq!(hdr.blocks_to_create(17, Some(&block)).unwrap(), vec![]);
    assert!(hdr.blocks_to_create(40, Some(&block)).is_err());
    // Data block 6 + 8 + 1 + 4 bytes, then pages of 16 * 8 + 4 bytes (the last 8 * 8 + 4).
    assert_eq!(hdr.data_block_size(s), 19);
    assert_eq!(hdr.page_offset(s, 2), 19 + 2 * 132);
    assert_eq!(hdr.data_block_alloc_size(s), 19 + 2 * 132 + 68);
    let unpaged = FixedArrayHeader { max_entries: 16, ..hdr };
    assert_eq!(unpaged.blocks_to_create(3, None).unwrap(), vec![B::DataBlock]);
    assert_eq!(unpaged.locate(3), Some(FixedArrayLocation::DataBlock { index: 3 }));
    assert_eq!(unpaged.element_format(s).unwrap(), ElementFormat::PLAIN);
}

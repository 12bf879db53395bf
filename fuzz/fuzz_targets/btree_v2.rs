//! Version 2 B-trees (spec III.A.2): header "BTHD", internal "BTIN" and leaf "BTLF" nodes,
//! all record types 1-11 (chunk records with the rank their record size implies).
#![no_main]
use h5kit_btree::v2::{BTreeV2, ChunkParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"BTHD", |ctx, address, sel| {
        let Ok(tree) = BTreeV2::open(ctx, address) else { return };
        let o = ctx.sizes.offset as usize;
        let rs = tree.record_size as usize;
        let chunk = match tree.record_type {
            10 => Some(ChunkParams { rank: rs.saturating_sub(o) / 8, chunk_size_len: 0 }),
            11 => {
                let csl = 1 + (sel as usize / 6) % 8;
                Some(ChunkParams { rank: rs.saturating_sub(o + csl + 4) / 8, chunk_size_len: csl })
            }
            _ => None,
        };
        let _ = tree.records(ctx, chunk);
        let _ = tree.find(ctx, chunk, &|_| false);
    });
});

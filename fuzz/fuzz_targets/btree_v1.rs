//! Version 1 B-trees (spec III.A.1): group nodes (type 0) with their symbol table nodes
//! ("SNOD", III.B) and chunk nodes (type 1) of ranks 1-4, at every "TREE"/"SNOD" of the image.
#![no_main]
use h5kit_btree::v1;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"TREE", |ctx, address, sel| {
        let _ = v1::read_group_node(ctx, address);
        let _ = v1::read_group_entries(ctx, address);
        let rank = 1 + (sel as usize / 6) % 4;
        let _ = v1::read_chunk_node(ctx, address, rank);
        if let Ok(records) = v1::read_chunk_records(ctx, address, rank) {
            if let Some(first) = records.first() {
                let _ = v1::find_chunk(ctx, address, rank, &first.offsets);
            }
        }
        let _ = v1::find_chunk(ctx, address, rank, &vec![0; rank]);
    });
    h5kit_fuzz::structure_target(data, b"SNOD", |ctx, address, _| {
        let _ = v1::read_symbol_table_node(ctx, address);
    });
});

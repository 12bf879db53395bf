//! Fixed array chunk index (spec VII.C "The Fixed Array Index"): header "FAHD", data block "FADB", pages.
#![no_main]
use h5kit_btree::fixed_array::{read_chunks, FixedArrayHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"FAHD", |ctx, address, sel| {
        let Ok(h) = FixedArrayHeader::read(ctx, address) else { return };
        let filtered = h.client_id == 1;
        let csl = 1 + (sel as usize / 6) % 8;
        let _ = read_chunks(ctx, address, filtered, csl);
        let _ = read_chunks(ctx, address, !filtered, csl);
    });
});

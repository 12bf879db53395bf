//! Extensible array chunk index (spec VII.D "The Extensible Array Index"): "EAHD", "EAIB", "EASB", "EADB", pages.
#![no_main]
use h5kit_btree::extensible_array::{read_chunks, ExtensibleArrayHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"EAHD", |ctx, address, sel| {
        let Ok(h) = ExtensibleArrayHeader::read(ctx, address) else { return };
        let filtered = h.client_id == 1;
        let csl = 1 + (sel as usize / 6) % 8;
        let _ = read_chunks(ctx, address, filtered, csl);
        let _ = read_chunks(ctx, address, !filtered, csl);
    });
});

//! Local heaps (spec III.D): header "HEAP", data segment, NUL-terminated strings.
#![no_main]
use h5kit_heap::LocalHeap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"HEAP", |ctx, address, sel| {
        let Ok(h) = LocalHeap::read(ctx, address) else { return };
        let n = h.data().len() as u64;
        for off in [0, 1, 8, sel as u64, n / 2, n.saturating_sub(1), n, n + 1, u64::MAX] {
            let _ = h.string_at(off);
        }
    });
});

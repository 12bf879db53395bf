//! Global heap collections (spec III.E): "GCOL", objects by index, heap IDs.
#![no_main]
use h5kit_core::Reader;
use h5kit_heap::{GlobalHeapCollection, GlobalHeapId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"GCOL", |ctx, address, sel| {
        let Ok(c) = GlobalHeapCollection::read(ctx, address) else { return };
        for i in [0u32, 1, 2, sel as u32, c.objects.len() as u32, u32::MAX] {
            let _ = c.object(i);
        }
    });
    if let Some((&sel, rest)) = data.split_first() {
        let mut r = Reader::new(rest, 0, h5kit_fuzz::sizes_from(sel));
        let _ = GlobalHeapId::decode(&mut r);
    }
});

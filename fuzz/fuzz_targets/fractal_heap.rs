//! Fractal heaps (spec III.G): header "FRHP" (with I/O filters), direct "FHDB" and indirect
//! "FHIB" blocks, managed / tiny / huge heap IDs (huge: through the v2 B-tree of types 1-4).
#![no_main]
use h5kit_heap::FractalHeap;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    h5kit_fuzz::structure_target(data, b"FRHP", |ctx, address, _| {
        let Ok(heap) = FractalHeap::open(ctx, address) else { return };
        let _ = heap.direct_blocks(ctx);
        // Heap IDs: taken from the end of the input (IDs of every kind and length).
        let idlen = (heap.heap_id_length as usize).clamp(1, 32);
        for id in data.rchunks(idlen).take(8) {
            let _ = heap.parse_id(id);
            let _ = heap.read_object(ctx, id);
        }
        // A managed ID for offset 0 / length 1 of the right length.
        let mut id = vec![0u8; idlen];
        if let Some(b) = id.get_mut(1 + heap.heap_offset_size) {
            *b = 1;
        }
        let _ = heap.read_object(ctx, &id);
    });
});

//! Object headers (spec IV.A.1, versions 1 and 2, with continuation blocks) decoded at address
//! 0 with Sizes chosen by the first byte, at every "OHDR" in the image, and at the root
//! object header address when the image has a superblock; then every message decoded.
#![no_main]
use h5kit_core::{Context, MemStorage};
use h5kit_object_header::ObjectHeader;
use libfuzzer_sys::fuzz_target;

fn header(ctx: Context, address: u64) {
    if let Ok(h) = ObjectHeader::read(ctx, address) {
        let _ = h.decode_all(ctx.sizes);
        for m in &h.messages {
            let _ = m.decode(ctx.sizes);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, image)) = data.split_first() else { return };
    // Raw mode: the header at address 0 with a few Sizes.
    let storage = MemStorage::new(image.to_vec());
    let limits = h5kit_fuzz::limits();
    for s in [sel, sel.wrapping_add(2)] {
        header(Context::new(&storage, h5kit_fuzz::sizes_from(s), &limits, 0), 0);
    }
    // File mode: the root header and every "OHDR" of the image.
    if let Ok(sb) = h5kit_superblock::Superblock::read(&storage) {
        header(sb.context(&storage, &limits), sb.root_object_header_address);
    }
    h5kit_fuzz::structure_target(data, b"OHDR", |ctx, address, _| header(ctx, address));
});

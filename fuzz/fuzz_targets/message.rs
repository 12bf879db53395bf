//! Every header message type (spec IV.A.2) via `decode_message`: input byte 0 selects Sizes,
//! bytes 1-2 the type id (taken modulo 0x20, so every id is hit), byte 3 the message flags,
//! the rest is the body. Also the shared-message form (IV.A.2 "Shared Message").
#![no_main]
use h5kit_core::Reader;
use h5kit_object_header::{decode_message, decode_shared};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let sizes = h5kit_fuzz::sizes_from(data[0]);
    let type_id = u16::from_le_bytes([data[1], data[2]]) % 0x20;
    let flags = data[3];
    let body = &data[4..];
    let _ = decode_message(type_id, flags, body, 0, sizes);
    let _ = decode_message(type_id, flags & !0x02, body, 0, sizes);
    let _ = decode_shared(&mut Reader::new(body, 0, sizes));
});

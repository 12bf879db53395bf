//! Datatype message bodies (spec IV.A.2.d, versions 1-5, all classes, nested types).
#![no_main]
use h5kit_core::Reader;
use h5kit_object_header::Datatype;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else { return };
    let mut r = Reader::new(body, 0, h5kit_fuzz::sizes_from(sel));
    if let Ok(t) = Datatype::decode(&mut r) {
        let _ = t.element_size();
        let _ = format!("{:?}", t);
    }
});

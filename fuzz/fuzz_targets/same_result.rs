//! The results do not depend on how bytes arrive: a storage serving bytes through `read_at`
//! only (no `as_slice`) gives exactly the walk `MemStorage` gives.
#![no_main]
use h5kit_core::MemStorage;
use h5kit_fuzz::{walk_storage, ReadAtStorage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let a = walk_storage(Box::new(MemStorage::new(data.to_vec())));
    let b = walk_storage(Box::new(ReadAtStorage::new(data.to_vec())));
    assert_eq!(a, b, "MemStorage and read_at-only storage walk differently");
});

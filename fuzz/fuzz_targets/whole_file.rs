//! Open any bytes as an HDF5 file and walk everything reachable, within limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = h5kit_fuzz::walk_bytes(data);
});

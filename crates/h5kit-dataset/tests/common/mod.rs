//! Shared test helpers: where the interop files are.
#![allow(dead_code)]

/// A file of the workspace's `tests/data/interop/`, e.g. `interop("jhdf/test_file.hdf5")`.
pub fn interop(rel: &str) -> String {
    format!("{}/../../tests/data/interop/{}", env!("CARGO_MANIFEST_DIR"), rel)
}

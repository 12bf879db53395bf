//! Shared test helpers: where the interop files are.
#![allow(dead_code)]

/// The workspace's `tests/data/interop/` (trailing slash included): `format!("{}{}", INTEROP, "jhdf/test_file.hdf5")`.
pub const INTEROP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/interop/");

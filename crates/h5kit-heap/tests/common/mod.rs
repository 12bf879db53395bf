//! Shared test helpers: open an interop file and build a Context.
#![allow(dead_code)]

use h5kit_core::{Context, FileStorage, Limits};
use h5kit_superblock::Superblock;

pub fn interop(rel: &str) -> String {
    format!("{}/../../tests/data/interop/{}", env!("CARGO_MANIFEST_DIR"), rel)
}

/// Every file of the byte-identity corpus: the interop files and the repository's generated
/// files (callers skip files without an HDF5 signature, e.g. external raw data).
pub fn corpus() -> Vec<std::path::PathBuf> {
    let repo = format!("{}/../..", env!("CARGO_MANIFEST_DIR"));
    let dirs = [interop("jhdf"), interop("pyfive"), format!("{}/tests/data/generated", repo), format!("{}/tests/data/v2x", repo)];
    let mut files: Vec<_> = dirs
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {}", d, e)))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

pub struct Open {
    pub storage: FileStorage,
    pub sb: Superblock,
    pub limits: Limits,
}

impl Open {
    pub fn new(rel: &str) -> Open {
        let storage = FileStorage::open(interop(rel)).unwrap();
        let sb = Superblock::read(&storage).unwrap();
        Open { storage, sb, limits: Limits::default() }
    }
    pub fn ctx(&self) -> Context<'_> {
        self.sb.context(&self.storage, &self.limits)
    }
}

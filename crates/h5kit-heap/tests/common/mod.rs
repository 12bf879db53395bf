//! Shared test helpers: open an interop file and build a Context.
#![allow(dead_code)]

use h5kit_core::{Context, FileStorage, Limits};
use h5kit_superblock::Superblock;

pub fn interop(rel: &str) -> String {
    format!("{}/../../tests/data/interop/{}", env!("CARGO_MANIFEST_DIR"), rel)
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

//! Shared test helpers: locate the corpus files, open one and build a Context.
//!
//! Every path to a corpus file goes through [`interop`] / [`corpus_files`], so that moving
//! the interop files (into the repository's tests/data/interop/) is a one-line change here.
#![allow(dead_code)]

use std::path::PathBuf;

use h5kit_core::{Context, FileStorage, Limits};
use h5kit_superblock::Superblock;

/// Folder of the interop corpus (jhdf/, pyfive/).
pub fn interop_dir() -> PathBuf {
    PathBuf::from(format!("{}/../../tests/data/interop", env!("CARGO_MANIFEST_DIR")))
}

/// The repository's tests/data folder.
pub fn repo_data_dir() -> PathBuf {
    PathBuf::from(format!("{}/../../tests/data", env!("CARGO_MANIFEST_DIR")))
}

/// This crate's own tests/data folder.
pub fn crate_data_dir() -> PathBuf {
    PathBuf::from(format!("{}/tests/data", env!("CARGO_MANIFEST_DIR")))
}

pub fn interop(rel: &str) -> String {
    interop_dir().join(rel).to_string_lossy().into_owned()
}

/// Every HDF5 file of the corpus: interop jhdf/ and pyfive/, the repository's
/// tests/data/generated/ and tests/data/v2x/, and this crate's tests/data/; sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let dirs = [
        interop_dir().join("jhdf"),
        interop_dir().join("pyfive"),
        repo_data_dir().join("generated"),
        repo_data_dir().join("v2x"),
        crate_data_dir(),
    ];
    let mut out = Vec::new();
    for d in dirs {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if matches!(ext, "h5" | "hdf5" | "nc" | "he5") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub struct Open {
    pub storage: FileStorage,
    pub sb: Superblock,
    pub limits: Limits,
}

impl Open {
    pub fn new(rel: &str) -> Open {
        Self::path(&interop(rel))
    }
    pub fn path(path: &str) -> Open {
        let storage = FileStorage::open(path).unwrap();
        let sb = Superblock::read(&storage).unwrap();
        Open { storage, sb, limits: Limits::default() }
    }
    pub fn ctx(&self) -> Context<'_> {
        self.sb.context(&self.storage, &self.limits)
    }
}

//! Opening one file of a listing: a local path through h5kit's own file reader (memory
//! mapped by the OS page cache, no object-store layer), anything else through DataFusion's
//! [`ObjectStore`] by byte ranges.
//!
//! DataFusion 55 is built on `object_store` 0.13 while `h5kit-store` is on 0.14, so the two
//! stores are different traits: this module gives h5kit-core's block-cached ranged storage
//! ([`h5kit_core::ranged`], the same cache `h5kit-store` and the WebAssembly build use) a
//! source reading DataFusion's store, with `get_ranges` for the chunks a read announces.
//! The object's size comes from the listing (no extra request).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use h5kit::{File, Limits};
use h5kit_core::ranged::{CacheConfig, RangeSource, RangedStorage};
use h5kit_core::{Error, ErrorKind, Result};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};

/// The local file behind `location` when `store` is a `LocalFileSystem` (its `Display` is
/// `LocalFileSystem(file:///root/)`) and the file exists there.
pub(crate) fn local_path(store: &dyn ObjectStore, location: &Path) -> Option<PathBuf> {
    let shown = store.to_string();
    let root = shown.strip_prefix("LocalFileSystem(file://")?.strip_suffix(')')?;
    if root.contains('%') {
        return None; // percent-encoded root: let the store resolve it
    }
    let mut p = PathBuf::from(if root.is_empty() { "/" } else { root });
    for part in location.parts() {
        p.push(part.as_ref());
    }
    p.is_file().then_some(p)
}

/// Opens the HDF5 file `meta` names in `store`. Call it where blocking is allowed (a
/// `spawn_blocking` thread): reads through a remote store wait for their requests.
pub(crate) fn open(store: &Arc<dyn ObjectStore>, meta: &ObjectMeta) -> Result<File> {
    if let Some(p) = local_path(store.as_ref(), &meta.location) {
        return File::open(p);
    }
    let source = StoreSource { store: store.clone(), path: meta.location.clone(), runtime: tokio::runtime::Handle::try_current().ok() };
    let config = CacheConfig {
        block_size: 64 * 1024,
        max_blocks: 512,
        max_readahead: 8 << 20,
        coalesce_gap: 256 * 1024,
        read_around: 256 * 1024,
    };
    let storage = RangedStorage::new(meta.size, Box::new(source), config);
    File::from_storage(Box::new(storage), meta.location.to_string(), Limits::default())
}

/// Byte ranges of one object of a DataFusion object store.
struct StoreSource {
    store: Arc<dyn ObjectStore>,
    path: Path,
    /// The runtime the scan runs in: store futures (HTTP clients need its reactor) are
    /// driven by it from the blocking thread; without one, on the calling thread.
    runtime: Option<tokio::runtime::Handle>,
}

impl StoreSource {
    fn get(&self, ranges: &[Range<u64>]) -> Result<Vec<bytes::Bytes>> {
        let fut = self.store.get_ranges(&self.path, ranges);
        let got = match &self.runtime {
            Some(rt) => rt.block_on(fut),
            None => futures::executor::block_on(fut),
        };
        got.map_err(|e| Error::new(ErrorKind::Io, format!("object store {}: reading {} ranges: {}", self.path, ranges.len(), e)))
    }
}

fn fill(buf: &mut [u8], data: &[u8], offset: u64, path: &Path) -> Result<()> {
    if data.len() != buf.len() {
        return Err(Error::new(ErrorKind::Io, format!("{}: asked for {} bytes at {}, got {}", path, buf.len(), offset, data.len())).at(offset));
    }
    buf.copy_from_slice(data);
    Ok(())
}

impl RangeSource for StoreSource {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<bool> {
        let range = offset..offset.saturating_add(buf.len() as u64);
        let got = self.get(std::slice::from_ref(&range))?;
        fill(buf, got.first().map_or(&[][..], |b| b.as_ref()), offset, &self.path)?;
        Ok(true)
    }

    fn read_many(&self, requests: &mut [(u64, &mut [u8])]) -> Result<bool> {
        let ranges: Vec<Range<u64>> = requests.iter().map(|(o, b)| *o..o.saturating_add(b.len() as u64)).collect();
        let got = self.get(&ranges)?;
        if got.len() != requests.len() {
            return Err(Error::new(ErrorKind::Io, format!("{}: asked for {} ranges, got {}", self.path, requests.len(), got.len())));
        }
        for ((offset, buf), data) in requests.iter_mut().zip(&got) {
            fill(buf, data, *offset, &self.path)?;
        }
        Ok(true)
    }
}

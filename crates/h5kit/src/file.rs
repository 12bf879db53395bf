//! An open HDF5 file: its storage, superblock (spec II.A) and shared-message table (III.I).

use std::path::Path;
use std::sync::Arc;

use h5kit_core::{Context, Error, FileStorage, Limits, MemStorage, Result, Sizes, Storage};
use h5kit_object_header::{Message, ObjectHeader, SharedMessageTable};
use h5kit_superblock::cache_image::{self, CacheImage, CacheImageMessage, CacheImageStorage};
use h5kit_superblock::Superblock;

use crate::object::{Group, Object};

/// State shared by every handle of one open file.
pub(crate) struct FileInner {
    pub storage: Box<dyn Storage>,
    pub superblock: Superblock,
    pub limits: Limits,
    pub sohm: Option<SharedMessageTable>,
    /// Name the file was opened with (for messages).
    pub name: String,
    /// Recently read global heap collections.
    pub gheap: crate::vlen::GlobalHeapCache,
    /// Directory of the file on disk (external raw data files are resolved against it).
    pub dir: Option<std::path::PathBuf>,
    /// Opened for SWMR reading (`File::open_swmr`): reads that meet a half-written structure
    /// retry.
    #[cfg_attr(not(feature = "write"), allow(dead_code))]
    pub swmr_read: bool,
    /// The open file of a SWMR reader (re-read by `File::refresh`).
    #[cfg_attr(not(feature = "write"), allow(dead_code))]
    pub swmr_file: Option<Arc<std::fs::File>>,
}

impl FileInner {
    pub fn ctx(&self) -> Context<'_> {
        Context::new(self.storage.as_ref(), self.superblock.sizes, &self.limits, self.superblock.base_address)
    }
    pub fn sizes(&self) -> Sizes {
        self.superblock.sizes
    }
}

/// An open HDF5 file (read-only for now).
#[derive(Clone)]
pub struct File {
    pub(crate) inner: Arc<FileInner>,
    /// Present when opened for writing.
    #[cfg(feature = "write")]
    pub(crate) write: Option<Arc<std::sync::Mutex<crate::write_state::WriteState>>>,
    /// Reader view of the writer model, refreshed after changes.
    #[cfg(feature = "write")]
    pub(crate) snapshot: Arc<std::sync::Mutex<Option<Arc<FileInner>>>>,
}

impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File").field("name", &self.inner.name).finish()
    }
}

impl File {
    /// A read-only handle on already opened file state.
    pub(crate) fn from_inner(inner: Arc<FileInner>) -> File {
        File {
            inner,
            #[cfg(feature = "write")]
            write: None,
            #[cfg(feature = "write")]
            snapshot: Arc::new(std::sync::Mutex::new(None)),
        }
    }

    /// Opens the file at `path` for reading.
    ///
    /// The file is read by positioned reads: another program truncating or rewriting it while
    /// it is open makes reads fail with an error (or see the new bytes), never kills the
    /// process. [`crate::snapshot::Dataset::read_view`] then reads into memory; for views borrowed from
    /// the file without a copy, open it with [`File::open_mapped`].
    pub fn open(path: impl AsRef<Path>) -> Result<File> {
        File::open_with_limits(path, Limits::default())
    }

    /// Opens the file at `path` for reading, with explicit [`Limits`] (for example a smaller
    /// `max_alloc`, the most one read may allocate, where memory is scarce).
    pub fn open_with_limits(path: impl AsRef<Path>, limits: Limits) -> Result<File> {
        File::open_path(path.as_ref(), limits, false)
    }

    /// Opens the file at `path` for reading through a memory map, so that
    /// [`crate::snapshot::Dataset::read_view`] borrows contiguous values straight from the file (no
    /// allocation, no copy). Where mapping is unavailable (WebAssembly) this is [`File::open`].
    ///
    /// The contract of every memory map: the file must not be truncated or rewritten by
    /// another program while this handle, or a view borrowed from it, is alive. A read of a
    /// page past a new, shorter end raises SIGBUS, which kills the process; rewritten bytes
    /// change under views already taken. Use [`File::open`] (positioned reads) for files that
    /// may change, or [`File::from_bytes`] to work on a private copy.
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<File> {
        File::open_mapped_with_limits(path, Limits::default())
    }

    /// As [`File::open_mapped`], with explicit [`Limits`].
    pub fn open_mapped_with_limits(path: impl AsRef<Path>, limits: Limits) -> Result<File> {
        File::open_path(path.as_ref(), limits, true)
    }

    fn open_path(path: &Path, limits: Limits, mapped: bool) -> Result<File> {
        let storage = if mapped { FileStorage::open_mapped(path) } else { FileStorage::open(path) };
        // As mode r+ reports it: a missing file is "not found" in every mode.
        let storage = storage.map_err(|e| match std::fs::metadata(path) {
            Err(m) if m.kind() == std::io::ErrorKind::NotFound => {
                Error::not_found(format!("unable to open {}: no such file", path.display()))
            }
            _ => e,
        })?;
        let mut file = File::from_storage(Box::new(storage), path.display().to_string(), limits)?;
        if let Some(inner) = Arc::get_mut(&mut file.inner) {
            inner.dir = path.parent().map(|p| p.to_path_buf());
        }
        Ok(file)
    }

    /// Opens a file held in memory.
    pub fn from_bytes(data: Vec<u8>) -> Result<File> {
        File::from_storage(Box::new(MemStorage::new(data)), "<memory>".to_string(), Limits::default())
    }

    /// Opens a file from any storage, with explicit limits.
    ///
    /// A file closed with a metadata cache image (superblock extension message 0x0018) is
    /// read through the image: its entries replace the bytes at their addresses, which
    /// libhdf5 leaves unwritten for entries that were dirty at close (see
    /// [`h5kit_superblock::cache_image`]).
    pub fn from_storage(storage: Box<dyn Storage>, name: String, limits: Limits) -> Result<File> {
        let superblock = Superblock::read(storage.as_ref())?;
        let mut inner = FileInner { storage, superblock, limits, sohm: None, name, dir: None, gheap: Default::default(), swmr_read: false, swmr_file: None };
        let extension = read_extension(&inner)?;
        if let Some(message) = extension.as_ref().map(|h| cache_image_message(&inner, h)).transpose()?.flatten() {
            let base = inner.superblock.base_address;
            let image = CacheImage::read(inner.storage.as_ref(), message, inner.sizes(), base, &inner.limits)
                .map_err(|e| e.context("reading the metadata cache image"))?;
            let storage = std::mem::replace(&mut inner.storage, Box::new(MemStorage::default()));
            inner.storage = Box::new(CacheImageStorage::new(storage, image, base)?);
        }
        if let Some(header) = &extension {
            inner.sohm = read_sohm_table(&inner, header)?;
        }
        Ok(File {
            inner: Arc::new(inner),
            #[cfg(feature = "write")]
            write: None,
            #[cfg(feature = "write")]
            snapshot: Arc::new(std::sync::Mutex::new(None)),
        })
    }

    /// The superblock (of the file as opened; a writable file's new superblock is written
    /// on flush).
    pub fn superblock(&self) -> &Superblock {
        &self.inner.superblock
    }

    /// The reader view (read-only files: the file as opened).
    #[cfg(not(feature = "write"))]
    pub(crate) fn current(&self) -> Result<Arc<FileInner>> {
        Ok(self.inner.clone())
    }

    /// The root group `/`.
    pub fn root(&self) -> Result<Group> {
        let address = self.current()?.superblock.root_object_header_address;
        match self.object_at(address, "/")? {
            Object::Group(g) => Ok(g),
            _ => Err(Error::format(address, "the root object is not a group").in_object("/")),
        }
    }

    /// Opens the object whose header is at `address`, naming it `path`.
    pub fn object_at(&self, address: u64, path: &str) -> Result<Object> {
        Object::open(self.current()?, address, path.to_string())
    }

    /// Opens an object by absolute path (`/a/b`), following soft links.
    pub fn object(&self, path: &str) -> Result<Object> {
        self.root()?.open(path)
    }

    /// Object `index` of the global heap collection at `collection_address` (variable-length
    /// data, region references).
    pub fn global_heap_object(&self, collection_address: u64, index: u32) -> Result<Vec<u8>> {
        let inner = self.current()?;
        let collection = inner.gheap.get(&inner, collection_address)?;
        Ok(collection.object(index)?.to_vec())
    }
}

/// The superblock extension's object header (spec II.C), if the file has one. It is never
/// part of a metadata cache image.
fn read_extension(inner: &FileInner) -> Result<Option<ObjectHeader>> {
    let Some(ext) = inner.superblock.extension_address else { return Ok(None) };
    let header = ObjectHeader::read(inner.ctx(), ext).map_err(|e| e.context("reading the superblock extension"))?;
    Ok(Some(header))
}

/// The extension's metadata cache image message, if any.
fn cache_image_message(inner: &FileInner, extension: &ObjectHeader) -> Result<Option<CacheImageMessage>> {
    for raw in &extension.messages {
        if raw.type_id == cache_image::MESSAGE_TYPE {
            let m = CacheImageMessage::decode(&raw.data, raw.address, inner.sizes())
                .map_err(|e| e.context("reading the superblock extension"))?;
            return Ok(Some(m));
        }
    }
    Ok(None)
}

/// Finds the shared object header message table through the superblock extension.
fn read_sohm_table(inner: &FileInner, extension: &ObjectHeader) -> Result<Option<SharedMessageTable>> {
    let ctx = inner.ctx();
    for raw in &extension.messages {
        if raw.type_id == 0x000F {
            if let Message::SharedMessageTable { table_address, index_count, .. } = raw.decode(inner.sizes())? {
                return Ok(Some(SharedMessageTable::read(ctx, table_address, index_count)?));
            }
        }
    }
    Ok(None)
}

//! Opening files with h5py's modes: `r`, `r+`, `w`, `w-`/`x`, `a`, and the write operations
//! of a file opened for writing.
//!
//! A file opened for writing is edited in place by the on-disk writer when it has the
//! earliest format (h5py's default, and what new files get unless `LibVer::Latest` is asked
//! for): raw data goes to disk as it is written and a flush writes what changed. Other files go
//! through the in-memory model ([`crate::write_state`]). Either way reads see every change, and
//! `flush`/`close` hand the file to the operating system (as libhdf5's `H5Fflush`/`H5Fclose`);
//! [`File::sync`] also makes it durable against power loss. A writer takes libhdf5's exclusive
//! file lock (`HDF5_USE_FILE_LOCKING=FALSE` turns it off), so a second writer, h5kit's or
//! libhdf5's, gets a clear error.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use h5kit_core::{
    lock_file, Error, ErrorKind, Limits, LockPolicy, MemStorage, Result, Storage, WritableFile, WritableMemory, WritableStorage,
};
use h5kit_object_header::Datatype;
use h5kit_write::edit::Editor;
use h5kit_write::{DatasetSpec, FileWriter, LibVer};

use crate::file::{File, FileInner};
use crate::write_state::{fall_back, flush_state, is_unsupported, sync_file_and_dir, Backend, WriteState};

/// How a file is opened (h5py's `mode` argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `r`: read only; the file must exist.
    Read,
    /// `r+`: read and write; the file must exist.
    ReadWrite,
    /// `w`: create, truncating any existing file.
    Truncate,
    /// `w-` or `x`: create; fail if the file exists.
    Exclusive,
    /// `a`: read and write if the file exists, create it otherwise.
    Append,
}

impl std::str::FromStr for Mode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Mode> {
        Ok(match s {
            "r" => Mode::Read,
            "r+" => Mode::ReadWrite,
            "w" => Mode::Truncate,
            "w-" | "x" => Mode::Exclusive,
            "a" => Mode::Append,
            other => {
                return Err(Error::usage(format!(
                    "invalid mode {:?}: expected one of r, r+, w, w-, x, a",
                    other
                )))
            }
        })
    }
}

impl File {
    /// Opens `path` with an h5py mode string: `"r"`, `"r+"`, `"w"`, `"w-"`, `"x"` or `"a"`.
    /// New files use the earliest format (h5py's default `libver`).
    pub fn open_with_mode(path: impl AsRef<Path>, mode: &str) -> Result<File> {
        File::open_with(path, mode.parse()?, LibVer::Earliest)
    }

    /// Creates (or truncates) `path` for writing (mode `w`).
    pub fn create(path: impl AsRef<Path>) -> Result<File> {
        File::open_with(path, Mode::Truncate, LibVer::Earliest)
    }

    /// Opens `path` in `mode`; `libver` is the format of files this call creates (files that
    /// exist keep the format family they have).
    pub fn open_with(path: impl AsRef<Path>, mode: Mode, libver: LibVer) -> Result<File> {
        let path = path.as_ref();
        let exists = path.exists();
        let mode = match mode {
            Mode::Append if exists => Mode::ReadWrite,
            Mode::Append => Mode::Truncate,
            m => m,
        };
        match mode {
            Mode::Read => File::open(path),
            Mode::ReadWrite => {
                if !exists {
                    return Err(Error::not_found(format!("unable to open {}: no such file", path.display())));
                }
                match File::open_editor(path, None, false) {
                    Err(e) if is_unsupported(&e) => {}
                    r => return r,
                }
                // Not a file the editor edits: read it whole into the model, which replaces it
                // on flush.
                let bytes = std::fs::read(path).map_err(|e| Error::io(e, format!("reading {}", path.display())))?;
                let src = File::from_bytes(bytes)?;
                let libver = if src.superblock().version >= 2 { LibVer::Latest } else { LibVer::Earliest };
                let mut writer = FileWriter::in_memory(libver);
                crate::repack::copy_file(&src, &mut writer, &Default::default())
                    .map_err(|e| e.context(format!("opening {} for writing", path.display())))?;
                File::writable(Backend::Model(writer), Some(path.to_path_buf()), src)
            }
            Mode::Exclusive if exists => {
                Err(Error::usage(format!("unable to create {}: file exists (mode w-)", path.display())))
            }
            m => File::open_editor(path, Some(libver), m == Mode::Exclusive),
        }
    }

    /// Opens `path` for the on-disk writer, with libhdf5's exclusive lock: an existing file
    /// (`create` `None`), or a new empty one of format `create` (`exclusive`: it must not exist).
    fn open_editor(path: &Path, create: Option<LibVer>, exclusive: bool) -> Result<File> {
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true);
        if exclusive {
            options.create_new(true);
        } else if create.is_some() {
            options.create(true);
        }
        let file = options.open(path).map_err(|e| {
            let what = if create.is_some() { "create" } else { "open" };
            Error::io(e, format!("unable to {} {}", what, path.display()))
        })?;
        lock_file(&file, true, LockPolicy::from_env(), &path.display().to_string())?;
        // The lock belongs to the open file description: `close` releases it through this
        // duplicate while live handles may still hold the storage.
        let lock = file.try_clone().ok();
        let storage: Arc<dyn WritableStorage> = Arc::new(WritableFile::from_file(file)?);
        let editor = match create {
            Some(libver) => Editor::create_format(storage.clone(), Limits::default(), libver)?,
            None => Editor::open(storage.clone(), Limits::default())?,
        };
        let snapshot = File::from_storage(Box::new(storage), path.display().to_string(), Limits::default())?;
        let f = File::writable(Backend::Editor(Box::new(editor)), Some(path.to_path_buf()), snapshot)?;
        f.state()?.lock = lock;
        Ok(f)
    }

    /// A new file built in memory (WebAssembly, tests); get its bytes with [`File::to_bytes`].
    /// Written by the on-disk writer into a growable buffer (the same code and bytes as files
    /// on disk), in either format.
    pub fn create_in_memory(libver: LibVer) -> Result<File> {
        let storage: Arc<dyn WritableStorage> = Arc::new(WritableMemory::default());
        let editor = Editor::create_format(storage.clone(), Limits::default(), libver)?;
        let snapshot = File::from_storage(Box::new(storage), "<memory>".to_string(), Limits::default())?;
        File::writable(Backend::Editor(Box::new(editor)), None, snapshot)
    }

    fn writable(backend: Backend, path: Option<PathBuf>, snapshot: File) -> Result<File> {
        let mut inner = Arc::try_unwrap(snapshot.inner).map_err(|_| Error::usage("file snapshot is shared"))?;
        inner.name = path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<memory>".into());
        inner.dir = path.as_ref().and_then(|p| p.parent().map(|d| d.to_path_buf()));
        Ok(File {
            inner: Arc::new(inner),
            write: Some(Arc::new(Mutex::new(WriteState { backend, path, dirty: false, unflushed: true, closed: false, lock: None }))),
            snapshot: Arc::new(Mutex::new(None)),
        })
    }

    /// Whether the file was opened for writing.
    pub fn is_writable(&self) -> bool {
        self.write.is_some()
    }

    pub(crate) fn state(&self) -> Result<MutexGuard<'_, WriteState>> {
        let w = self.write.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Usage, format!("{}: file is read-only (opened with mode r)", self.inner.name))
        })?;
        let guard = w.lock().map_err(|_| Error::usage("file state poisoned by an earlier panic"))?;
        if guard.closed {
            return Err(Error::usage("file is closed"));
        }
        Ok(guard)
    }

    /// Runs a change: on the on-disk writer when it can do it, else (after moving the file to
    /// the model, [`fall_back`]) on the model.
    pub(crate) fn change<T>(&self, on_editor: impl FnOnce(&mut Editor) -> Result<T>, on_model: impl FnOnce(&mut FileWriter) -> Result<T>) -> Result<T> {
        let mut st = self.state()?;
        if let Backend::Editor(ed) = &mut st.backend {
            let r = on_editor(ed);
            match r {
                Err(e) if is_unsupported(&e) => fall_back(&mut st)?,
                r => {
                    st.dirty = true;
                    return r;
                }
            }
        }
        // Before the change: one that fails midway may still have touched the model.
        st.unflushed = true;
        st.dirty = true;
        match &mut st.backend {
            Backend::Model(w) => on_model(w),
            _ => Err(Error::usage("file is closed")),
        }
    }

    /// A change only the model does (none today; kept for operations the editor does not
    /// do yet).
    #[allow(dead_code)]
    fn change_model<T>(&self, on_model: impl FnOnce(&mut FileWriter) -> Result<T>) -> Result<T> {
        self.change(|_| Err(Error::new(ErrorKind::Unsupported, "not done by the on-disk writer yet")), on_model)
    }

    /// The reader view: the file as last read, or, after a change, the file as it is now (the
    /// editor's changes flushed to it; the model serialized to memory).
    pub(crate) fn current(&self) -> Result<Arc<FileInner>> {
        let Some(w) = &self.write else { return crate::swmr::reader_view(self) };
        let mut st = w.lock().map_err(|_| Error::usage("file state poisoned by an earlier panic"))?;
        let mut snap = self.snapshot.lock().map_err(|_| Error::usage("file state poisoned"))?;
        if st.dirty || snap.is_none() {
            let storage: Box<dyn Storage> = match &mut st.backend {
                Backend::Editor(ed) => {
                    ed.flush()?;
                    Box::new(ed.storage().clone())
                }
                Backend::Model(writer) => Box::new(MemStorage::new(writer.to_bytes()?)),
                Backend::Closed => return Err(Error::usage("file is closed")),
            };
            let f = File::from_storage(storage, self.inner.name.clone(), Limits::default())?;
            let mut inner = Arc::try_unwrap(f.inner).map_err(|_| Error::usage("file snapshot is shared"))?;
            inner.name = self.inner.name.clone();
            inner.dir = self.inner.dir.clone();
            *snap = Some(Arc::new(inner));
            st.dirty = false;
        }
        snap.clone().ok_or_else(|| Error::usage("no snapshot"))
    }

    /// Creates a group (and missing intermediate groups) and returns it (a live
    /// [`crate::handle::Group`]). Fails if the name exists.
    pub fn create_group(&self, path: &str) -> Result<crate::handle::Group> {
        self.change(|e| e.create_group(path), |w| w.create_group(path))?;
        Ok(crate::handle::Group::at(self.clone(), crate::handle::join("/", path)?))
    }

    /// Creates a dataset (h5py's `create_dataset`): datatype, shape, maxshape, chunks,
    /// filters and fill value in `spec`.
    pub fn create_dataset(&self, path: &str, spec: DatasetSpec) -> Result<()> {
        let for_model = spec.clone();
        self.change(|e| e.create_dataset(path, spec), |w| w.create_dataset(path, for_model))
    }

    /// Creates a dataset holding `data` (shape `shape`), contiguous, of `T`'s datatype.
    pub fn write_new<T: crate::H5Write>(&self, path: &str, shape: &[u64], data: &[T]) -> Result<()> {
        self.create_dataset(path, DatasetSpec::new(T::datatype(), shape))?;
        self.write(path, data)
    }

    /// Writes the whole dataset from `data` (row-major; as many values as elements).
    /// Values are converted to the dataset's datatype as h5py (libhdf5) converts them; writing
    /// numbers into a non-numeric dataset is an error.
    pub fn write<T: crate::H5Write>(&self, path: &str, data: &[T]) -> Result<()> {
        // Converted to the dataset's type; the bytes become the model's data (no second copy).
        self.change(
            |e| {
                let bytes = crate::typed_write::encode_as(data, &e.dataset_datatype(path)?)?;
                e.write_dataset(path, &bytes)
            },
            |w| {
                let bytes = crate::typed_write::encode_as(data, &w.dataset_datatype(path)?)?;
                w.write_dataset_owned(path, bytes.into_owned())
            },
        )
    }

    /// Writes the raw bytes of the whole dataset, in its datatype's encoding.
    pub fn write_raw(&self, path: &str, data: &[u8]) -> Result<()> {
        self.change(|e| e.write_dataset(path, data), |w| w.write_dataset(path, data))
    }

    /// Writes the box `start`/`count` of a dataset.
    /// Values are converted to the dataset's datatype as in [`File::write`].
    pub fn write_slice<T: crate::H5Write>(&self, path: &str, start: &[u64], count: &[u64], data: &[T]) -> Result<()> {
        // Borrowed as bytes where `T` is the dataset's type on a little-endian host.
        self.change(
            |e| {
                let bytes = crate::typed_write::encode_as(data, &e.dataset_datatype(path)?)?;
                e.write_slice(path, start, count, &bytes)
            },
            |w| {
                let bytes = crate::typed_write::encode_as(data, &w.dataset_datatype(path)?)?;
                w.write_slice(path, start, count, &bytes)
            },
        )
    }

    /// Stores one chunk of a chunked dataset as given: `data` is the chunk after the
    /// dataset's filters, `filter_mask` bit `i` set for each filter `i` skipped, `offset` the
    /// chunk's first element (libhdf5's `H5Dwrite_chunk`, h5py's `write_direct_chunk`). The
    /// bytes are not checked against the filters: a reader decodes them at read time.
    pub fn write_chunk_raw(&self, path: &str, offset: &[u64], filter_mask: u32, data: &[u8]) -> Result<()> {
        self.change(
            |e| e.write_chunk_raw(path, offset, filter_mask, data),
            |_| Err(Error::new(ErrorKind::Unsupported, format!("{}: write_chunk_raw on a file held by the in-memory writer", path))),
        )
    }

    /// Writes variable-length strings into a string dataset.
    pub fn write_strings(&self, path: &str, strings: &[&str]) -> Result<()> {
        self.change(|e| e.write_strings(path, strings), |w| w.write_strings(path, strings))
    }

    /// Changes a chunked dataset's shape within its maxshape (h5py's `resize`).
    pub fn resize(&self, path: &str, shape: &[u64]) -> Result<()> {
        self.change(|e| e.resize(path, shape), |w| w.resize(path, shape))
    }

    /// Creates or replaces an attribute of numeric values (`shape` `None`: scalar).
    pub fn set_attr<T: crate::H5Write>(&self, object: &str, name: &str, shape: Option<&[u64]>, data: &[T]) -> Result<()> {
        let bytes = crate::typed::as_bytes(data);
        self.change(|e| e.set_attribute(object, name, T::datatype(), shape, &bytes), |w| w.set_attribute(object, name, T::datatype(), shape, &bytes))
    }

    /// Creates or replaces an attribute from raw bytes of `datatype`.
    pub fn set_attr_raw(&self, object: &str, name: &str, datatype: Datatype, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        let for_model = datatype.clone();
        self.change(|e| e.set_attribute(object, name, datatype, shape, data), |w| w.set_attribute(object, name, for_model, shape, data))
    }

    /// Creates or replaces a variable-length string attribute (h5py's `attrs[name] = "text"`).
    pub fn set_attr_str(&self, object: &str, name: &str, value: &str) -> Result<()> {
        self.change(|e| e.set_string_attribute(object, name, value), |w| w.set_string_attribute(object, name, value))
    }

    pub fn delete_attr(&self, object: &str, name: &str) -> Result<()> {
        self.change(|e| e.delete_attribute(object, name), |w| w.delete_attribute(object, name))
    }

    /// Removes a link (h5py's `del f[path]`).
    pub fn delete(&self, path: &str) -> Result<()> {
        self.change(|e| e.delete_link(path), |w| w.delete_link(path))
    }

    pub fn create_soft_link(&self, path: &str, target: &str) -> Result<()> {
        self.change(|e| e.create_soft_link(path, target), |w| w.create_soft_link(path, target))
    }

    pub fn create_external_link(&self, path: &str, file: &str, target: &str) -> Result<()> {
        self.change(|e| e.create_external_link(path, file, target), |w| w.create_external_link(path, file, target))
    }

    pub fn create_hard_link(&self, path: &str, existing: &str) -> Result<()> {
        self.change(|e| e.create_hard_link(path, existing), |w| w.create_hard_link(path, existing))
    }

    /// Writes every change to the file: the complete file goes to a temporary file beside it,
    /// which then replaces the original (a rename), so a writer killed at any moment leaves
    /// either the file of the previous flush or this one, complete. As libhdf5's `H5Fflush`,
    /// the file is handed to the operating system, not waited for on the storage: it survives
    /// the writing process, not necessarily a power loss or an OS crash ([`File::sync`] does).
    /// Nothing is written when nothing changed since the last flush.
    pub fn flush(&self) -> Result<()> {
        let mut st = self.state()?;
        flush_state(&mut st)
    }

    /// Flushes, then waits until the file and its directory entry are on the storage (fsync of
    /// both): the flushed file survives a power loss or an OS crash too. Files built in memory:
    /// nothing to do.
    pub fn sync(&self) -> Result<()> {
        let mut st = self.state()?;
        flush_state(&mut st)?;
        if let Backend::Editor(ed) = &st.backend {
            ed.sync()?;
        }
        match &st.path {
            Some(path) => sync_file_and_dir(path),
            None => Ok(()),
        }
    }

    /// Flushes ([`File::flush`]: handed to the operating system, as libhdf5's `H5Fclose`; call
    /// [`File::sync`] first for durability against power loss) and closes: later writes fail,
    /// and the file and its lock are released.
    pub fn close(self) -> Result<()> {
        if self.write.is_none() {
            return Ok(());
        }
        let mut st = self.state()?;
        flush_state(&mut st)?;
        crate::swmr::end_swmr_write(&mut st)?;
        st.closed = true;
        st.backend = Backend::Closed;
        // Handles of this file may live on; the lock goes now, as with libhdf5's H5Fclose.
        if let Some(lock) = st.lock.take() {
            lock.unlock().map_err(|e| Error::io(e, format!("unlocking {}", self.inner.name)))?;
        }
        drop(st);
        if let Ok(mut snap) = self.snapshot.lock() {
            *snap = None;
        }
        Ok(())
    }

    /// The complete file as bytes (for files built in memory, e.g. to download in a browser).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        match &self.write {
            Some(_) => {
                let mut st = self.state()?;
                match &mut st.backend {
                    Backend::Editor(ed) => {
                        ed.flush()?;
                        let storage = ed.storage();
                        let n = usize::try_from(storage.len()).map_err(|_| Error::usage("file too large"))?;
                        Ok(storage.bytes(0, n)?.into_owned())
                    }
                    Backend::Model(writer) => writer.to_bytes(),
                    Backend::Closed => Err(Error::usage("file is closed")),
                }
            }
            None => {
                let n = usize::try_from(self.inner.storage.len()).map_err(|_| Error::usage("file too large"))?;
                Ok(self.inner.storage.bytes(0, n)?.into_owned())
            }
        }
    }
}

//! Opening files with h5py's modes: `r`, `r+`, `w`, `w-`/`x`, `a`, and the write operations
//! of a file opened for writing.
//!
//! A writable file keeps its content as a [`FileWriter`] model; reads see every change made so
//! far (the model is serialized to memory when read after a change), and [`File::flush`]
//! writes the file to disk atomically: a new file next to it, then a rename, so a crash never
//! leaves a half-written file behind.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use h5kit_core::{Error, ErrorKind, Limits, MemStorage, Result};
use h5kit_object_header::Datatype;
use h5kit_write::{DatasetSpec, FileWriter, LibVer};

use crate::file::{File, FileInner};

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

/// The writable side of an open file.
pub(crate) struct WriteState {
    pub writer: FileWriter,
    pub path: Option<PathBuf>,
    /// Whether the model changed since the reader snapshot was taken.
    pub dirty: bool,
    pub closed: bool,
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
                // Read the whole file first: it will be replaced on flush.
                let bytes = std::fs::read(path).map_err(|e| Error::io(e, format!("reading {}", path.display())))?;
                let src = File::from_bytes(bytes)?;
                let libver = if src.superblock().version >= 2 { LibVer::Latest } else { LibVer::Earliest };
                let mut writer = FileWriter::in_memory(libver);
                crate::repack::copy_file(&src, &mut writer, &Default::default())
                    .map_err(|e| e.context(format!("opening {} for writing", path.display())))?;
                File::writable(writer, Some(path.to_path_buf()), src)
            }
            Mode::Exclusive if exists => {
                Err(Error::usage(format!("unable to create {}: file exists (mode w-)", path.display())))
            }
            _ => {
                let mut writer = FileWriter::in_memory(libver);
                let snapshot = File::from_bytes(writer.to_bytes()?)?;
                let file = File::writable(writer, Some(path.to_path_buf()), snapshot)?;
                file.flush()?;
                Ok(file)
            }
        }
    }

    /// A new file built in memory (WebAssembly, tests); get its bytes with [`File::to_bytes`].
    pub fn create_in_memory(libver: LibVer) -> Result<File> {
        let mut writer = FileWriter::in_memory(libver);
        let snapshot = File::from_bytes(writer.to_bytes()?)?;
        File::writable(writer, None, snapshot)
    }

    fn writable(writer: FileWriter, path: Option<PathBuf>, snapshot: File) -> Result<File> {
        let mut inner = Arc::try_unwrap(snapshot.inner).map_err(|_| Error::usage("file snapshot is shared"))?;
        inner.name = path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "<memory>".into());
        inner.dir = path.as_ref().and_then(|p| p.parent().map(|d| d.to_path_buf()));
        Ok(File {
            inner: Arc::new(inner),
            write: Some(Arc::new(Mutex::new(WriteState { writer, path, dirty: false, closed: false }))),
            snapshot: Arc::new(Mutex::new(None)),
        })
    }

    /// Whether the file was opened for writing.
    pub fn is_writable(&self) -> bool {
        self.write.is_some()
    }

    fn state(&self) -> Result<MutexGuard<'_, WriteState>> {
        let w = self.write.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Usage, format!("{}: file is read-only (opened with mode r)", self.inner.name))
        })?;
        let guard = w.lock().map_err(|_| Error::usage("file state poisoned by an earlier panic"))?;
        if guard.closed {
            return Err(Error::usage("file is closed"));
        }
        Ok(guard)
    }

    /// Runs a change on the writer model.
    fn change<T>(&self, f: impl FnOnce(&mut FileWriter) -> Result<T>) -> Result<T> {
        let mut st = self.state()?;
        let r = f(&mut st.writer)?;
        st.dirty = true;
        Ok(r)
    }

    /// The reader view: the file as last read, or the writer model serialized when it
    /// changed since.
    pub(crate) fn current(&self) -> Result<Arc<FileInner>> {
        let Some(w) = &self.write else { return Ok(self.inner.clone()) };
        let mut st = w.lock().map_err(|_| Error::usage("file state poisoned by an earlier panic"))?;
        let mut snap = self.snapshot.lock().map_err(|_| Error::usage("file state poisoned"))?;
        if st.dirty || snap.is_none() {
            let bytes = st.writer.to_bytes()?;
            let f = File::from_storage(Box::new(MemStorage::new(bytes)), self.inner.name.clone(), Limits::default())?;
            let mut inner = Arc::try_unwrap(f.inner).map_err(|_| Error::usage("file snapshot is shared"))?;
            inner.name = self.inner.name.clone();
            inner.dir = self.inner.dir.clone();
            *snap = Some(Arc::new(inner));
            st.dirty = false;
        }
        snap.clone().ok_or_else(|| Error::usage("no snapshot"))
    }

    /// Creates a group (and missing intermediate groups). Fails if the name exists.
    pub fn create_group(&self, path: &str) -> Result<()> {
        self.change(|w| w.create_group(path))
    }

    /// Creates a dataset (h5py's `create_dataset`): datatype, shape, maxshape, chunks,
    /// filters and fill value in `spec`.
    pub fn create_dataset(&self, path: &str, spec: DatasetSpec) -> Result<()> {
        self.change(|w| w.create_dataset(path, spec))
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
        // The converted bytes become the model's data (no second copy).
        self.change(|w| {
            let bytes = crate::typed_write::encode_as(data, &w.dataset_datatype(path)?)?;
            w.write_dataset_owned(path, bytes)
        })
    }

    /// Writes the raw bytes of the whole dataset, in its datatype's encoding.
    pub fn write_raw(&self, path: &str, data: &[u8]) -> Result<()> {
        self.change(|w| w.write_dataset(path, data))
    }

    /// Writes the box `start`/`count` of a dataset.
    /// Values are converted to the dataset's datatype as in [`File::write`].
    pub fn write_slice<T: crate::H5Write>(&self, path: &str, start: &[u64], count: &[u64], data: &[T]) -> Result<()> {
        self.change(|w| {
            let bytes = crate::typed_write::encode_as(data, &w.dataset_datatype(path)?)?;
            w.write_slice(path, start, count, &bytes)
        })
    }

    /// Writes variable-length strings into a string dataset.
    pub fn write_strings(&self, path: &str, strings: &[&str]) -> Result<()> {
        self.change(|w| w.write_strings(path, strings))
    }

    /// Changes a chunked dataset's shape within its maxshape (h5py's `resize`).
    pub fn resize(&self, path: &str, shape: &[u64]) -> Result<()> {
        self.change(|w| w.resize(path, shape))
    }

    /// Creates or replaces an attribute of numeric values (`shape` `None`: scalar).
    pub fn set_attr<T: crate::H5Write>(&self, object: &str, name: &str, shape: Option<&[u64]>, data: &[T]) -> Result<()> {
        let bytes = crate::typed::to_bytes(data);
        self.change(|w| w.set_attribute(object, name, T::datatype(), shape, &bytes))
    }

    /// Creates or replaces an attribute from raw bytes of `datatype`.
    pub fn set_attr_raw(&self, object: &str, name: &str, datatype: Datatype, shape: Option<&[u64]>, data: &[u8]) -> Result<()> {
        self.change(|w| w.set_attribute(object, name, datatype, shape, data))
    }

    /// Creates or replaces a variable-length string attribute (h5py's `attrs[name] = "text"`).
    pub fn set_attr_str(&self, object: &str, name: &str, value: &str) -> Result<()> {
        self.change(|w| w.set_string_attribute(object, name, value))
    }

    pub fn delete_attr(&self, object: &str, name: &str) -> Result<()> {
        self.change(|w| w.delete_attribute(object, name))
    }

    /// Removes a link (h5py's `del f[path]`).
    pub fn delete(&self, path: &str) -> Result<()> {
        self.change(|w| w.delete_link(path))
    }

    pub fn create_soft_link(&self, path: &str, target: &str) -> Result<()> {
        self.change(|w| w.create_soft_link(path, target))
    }

    pub fn create_external_link(&self, path: &str, file: &str, target: &str) -> Result<()> {
        self.change(|w| w.create_external_link(path, file, target))
    }

    pub fn create_hard_link(&self, path: &str, existing: &str) -> Result<()> {
        self.change(|w| w.create_hard_link(path, existing))
    }

    /// Writes everything to disk: the complete file goes to a temporary file beside it, which
    /// then replaces the original (so a crash leaves either the old or the new file).
    pub fn flush(&self) -> Result<()> {
        let st = self.state()?;
        let Some(path) = st.path.clone() else { return Ok(()) };
        // Streamed into the temporary file (no whole-file image in memory).
        write_atomically(&path, |out| st.writer.write_to(out))
    }

    /// Flushes and closes; later writes fail.
    pub fn close(self) -> Result<()> {
        if self.write.is_none() {
            return Ok(());
        }
        self.flush()?;
        let mut st = self.state()?;
        st.closed = true;
        Ok(())
    }

    /// The complete file as bytes (for files built in memory, e.g. to download in a browser).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        match &self.write {
            Some(_) => self.state()?.writer.to_bytes(),
            None => {
                let n = usize::try_from(self.inner.storage.len()).map_err(|_| Error::usage("file too large"))?;
                Ok(self.inner.storage.bytes(0, n)?.into_owned())
            }
        }
    }
}

/// Writes a new file beside `path` with `fill` (the serializer streaming into a buffered
/// writer: small structures are gathered, large raw data blocks go straight to the file),
/// syncs it, then renames it over `path`.
fn write_atomically(path: &Path, fill: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<()>) -> Result<()> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    let tmp = path.with_file_name(format!(".{}.h5kit-tmp", name));
    let f = std::fs::File::create(&tmp).map_err(|e| Error::io(e, format!("creating {}", tmp.display())))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, f);
    let written = fill(&mut out).and_then(|()| out.flush().map_err(|e| Error::io(e, format!("writing {}", tmp.display()))));
    if let Err(e) = written {
        drop(out);
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    {
        // Synced and closed (end of scope) before the rename.
        let f = out.into_inner().map_err(|e| Error::io(e.into_error(), format!("writing {}", tmp.display())))?;
        f.sync_all().map_err(|e| Error::io(e, format!("syncing {}", tmp.display())))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(e, format!("replacing {}", path.display())))
}

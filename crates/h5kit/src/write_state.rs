//! The writable side of an open file: what it writes through, and how a flush reaches the
//! disk.
//!
//! Files of the earliest format (h5py's default) are written by the on-disk writer
//! ([`Editor`]): opening parses the superblock only, raw data goes to disk as it is written,
//! and a flush writes what changed, in an order that keeps the file valid at every moment.
//! Other files, and operations the on-disk writer does not do yet, use the in-memory model
//! ([`FileWriter`]), serialized whole into a new file renamed over the old one at each flush;
//! a file switches to the model at the first such operation ([`fall_back`]), after writing
//! everything the editor holds.

use std::path::{Path, PathBuf};

use h5kit_core::{Error, ErrorKind, Result, Storage};
use h5kit_write::edit::Editor;
use h5kit_write::{FileWriter, LibVer};

use crate::file::File;

/// What a writable file writes through.
pub(crate) enum Backend {
    /// The on-disk writer.
    Editor(Box<Editor>),
    /// The in-memory model.
    Model(FileWriter),
    /// Closed: nothing is held (the file and its lock are released).
    Closed,
}

/// The writable side of an open file.
pub(crate) struct WriteState {
    pub backend: Backend,
    pub path: Option<PathBuf>,
    /// Whether the content changed since the reader snapshot was taken.
    pub dirty: bool,
    /// Whether the model may differ from the file last written by a flush (a flush of an
    /// unchanged file writes nothing).
    pub unflushed: bool,
    pub closed: bool,
    /// A second descriptor of the locked file, to release libhdf5's lock at `close` even
    /// while handles still share the file's storage.
    pub lock: Option<std::fs::File>,
}

impl Drop for WriteState {
    /// A writable file dropped without [`File::close`] is flushed (errors there cannot be
    /// reported: call `close` to see them).
    fn drop(&mut self) {
        if !self.closed {
            let _ = flush_state(self);
            let _ = crate::swmr::end_swmr_write(self);
        }
    }
}

/// Whether an error says the editor cannot do an operation (it changed nothing then).
pub(crate) fn is_unsupported(e: &Error) -> bool {
    e.kind == ErrorKind::Unsupported
}

/// Moves a file written by the editor to the in-memory model: everything the editor holds is
/// flushed, then the file is read into the model as `r+` did before the editor existed.
pub(crate) fn fall_back(st: &mut WriteState) -> Result<()> {
    let Backend::Editor(ed) = &mut st.backend else { return Ok(()) };
    if ed.is_swmr() {
        // The model rewrites the whole file: never under SWMR readers.
        return Err(Error::usage("this change is not possible in SWMR mode (the on-disk writer does not do it in place)"));
    }
    ed.flush()?;
    let storage = ed.storage().clone();
    let n = usize::try_from(storage.len()).map_err(|_| Error::usage("file too large for memory"))?;
    let bytes = storage.bytes(0, n)?.into_owned();
    let src = File::from_bytes(bytes)?;
    let mut writer = FileWriter::in_memory(LibVer::Earliest);
    crate::repack::copy_file(&src, &mut writer, &Default::default()).map_err(|e| e.context("reading the file into the writer model"))?;
    st.backend = Backend::Model(writer);
    st.unflushed = false;
    Ok(())
}

/// Writes every change to the file: the editor's in commit order; the model, if it changed
/// since the last flush, whole into a new file renamed over the old one.
pub(crate) fn flush_state(st: &mut WriteState) -> Result<()> {
    match &mut st.backend {
        Backend::Editor(ed) => ed.flush(),
        Backend::Model(writer) => {
            let Some(path) = st.path.clone() else { return Ok(()) };
            if !st.unflushed {
                return Ok(());
            }
            // Streamed into the temporary file (no whole-file image in memory).
            write_atomically(&path, |out| writer.write_to(out))?;
            st.unflushed = false;
            Ok(())
        }
        Backend::Closed => Ok(()),
    }
}

/// fsync of `path` and (Unix) of the directory holding it, so that the rename that put the
/// file there is durable too.
pub(crate) fn sync_file_and_dir(path: &Path) -> Result<()> {
    // Unix syncs through a read-only descriptor; Windows needs write access to flush.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(cfg!(not(unix)))
        .open(path)
        .map_err(|e| Error::io(e, format!("opening {} to sync it", path.display())))?;
    f.sync_all().map_err(|e| Error::io(e, format!("syncing {}", path.display())))?;
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let d = std::fs::File::open(dir).map_err(|e| Error::io(e, format!("opening {} to sync it", dir.display())))?;
        d.sync_all().map_err(|e| Error::io(e, format!("syncing {}", dir.display())))?;
    }
    Ok(())
}

/// Writes a new file beside `path` with `fill` (the serializer streaming into a buffered
/// writer: small structures are gathered, large raw data blocks go straight to the file),
/// closes it, then renames it over `path`. Every byte is handed to the operating system
/// (`write` returned) before the rename, so a process killed at any moment leaves the old or
/// the new file; not synced ([`sync_file_and_dir`] is `File::sync`'s).
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
    // Every byte written (the buffer emptied) and the file closed before the rename.
    let f = out.into_inner().map_err(|e| Error::io(e.into_error(), format!("writing {}", tmp.display())));
    match f {
        Ok(f) => drop(f),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io(e, format!("replacing {}", path.display())))
}

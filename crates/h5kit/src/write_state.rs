//! The writable side of an open file: what it writes through, and how a flush reaches the
//! disk.
//!
//! Every writable file is written by the on-disk writer ([`Editor`]): opening parses the
//! superblock only, raw data goes to disk as it is written, and a flush writes what changed,
//! in an order that keeps the file valid at every moment. What the editor does not do fails
//! with `Unsupported` before anything changed (see spec-notes/writer.md).

use std::path::{Path, PathBuf};

use h5kit_core::{Error, ErrorKind, Result};
use h5kit_write::edit::Editor;

/// What a writable file writes through.
pub(crate) enum Backend {
    /// The on-disk writer.
    Editor(Box<Editor>),
    /// Closed: nothing is held (the file and its lock are released).
    Closed,
}

/// The writable side of an open file.
pub(crate) struct WriteState {
    pub backend: Backend,
    pub path: Option<PathBuf>,
    /// Whether the content changed since the reader snapshot was taken.
    pub dirty: bool,
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

/// Writes every change to the file, in the editor's commit order.
pub(crate) fn flush_state(st: &mut WriteState) -> Result<()> {
    match &mut st.backend {
        Backend::Editor(ed) => ed.flush(),
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

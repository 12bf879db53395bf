//! Single writer, many readers (libhdf5's SWMR; spec II.A, superblock version 3 "File
//! Consistency Flags"), on both sides, and `h5 clear -s`.
//!
//! - Writing: [`File::start_swmr_write`] (h5py's `f.swmr_mode = True`) marks the superblock
//!   (write + SWMR write flags), then releases the file lock, as libhdf5 does so that SWMR
//!   readers can open the file. The on-disk writer's commit order (raw data, new index
//!   structures, then the object header in one write) is what readers rely on; in SWMR mode it
//!   never reuses freed space (`h5kit_write::edit::Editor::start_swmr_write`). The flags are
//!   cleared at close.
//! - Reading: [`File::open_swmr`] (h5py's `swmr=True`) reads the file by positioned reads
//!   whose end follows the file as it grows; a dataset handle keeps the header it read (shape,
//!   chunk index) until [`crate::handle::Dataset::refresh`] (or [`File::refresh`] for every
//!   handle). A read that meets a structure being rewritten (checksum mismatch, or any other
//!   format error) reads again, at most [`READ_ATTEMPTS`] times, as libhdf5 retries, then fails
//!   saying so.
//! - [`clear_status_flags`]: libhdf5's `h5clear -s`, for files left marked by a killed writer.
//!
//! See spec-notes/swmr.md.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h5kit_core::{lock_file, Error, ErrorKind, Limits, LockPolicy, Result, Storage, WritableFile, WritableStorage};
use h5kit_superblock::Superblock;

use crate::file::{File, FileInner};
use crate::write_state::{Backend, WriteState};

/// How many times a SWMR read meeting a half-written structure is tried (libhdf5's default
/// for SWMR reads is 100, with sleeps growing from a nanosecond).
pub const READ_ATTEMPTS: u32 = 40;
/// Longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// Reads tried again in this process (all files), for figures and tests.
static RETRIES: AtomicU64 = AtomicU64::new(0);

/// How many SWMR reads of this process met a structure being rewritten and were tried again.
pub fn retry_count() -> u64 {
    RETRIES.load(Ordering::Relaxed)
}

/// A file read by positioned reads, whose length is asked of the operating system at each
/// use: a writer may extend it at any time.
struct GrowingFile {
    file: Arc<std::fs::File>,
    name: String,
}

impl GrowingFile {
    fn current_len(&self) -> Result<u64> {
        Ok(self.file.metadata().map_err(|e| Error::io(e, format!("cannot stat {}", self.name)))?.len())
    }
}

impl Storage for GrowingFile {
    fn len(&self) -> u64 {
        self.current_len().unwrap_or(0)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let len = self.current_len()?;
        match offset.checked_add(buf.len() as u64) {
            Some(end) if end <= len => {}
            _ => {
                return Err(Error::format(
                    offset,
                    format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, len),
                ))
            }
        }
        read_exact_at(&self.file, buf, offset).map_err(|e| Error::io(e, format!("reading {}", self.name)).at(offset))
    }
}

#[cfg(unix)]
fn read_exact_at(f: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.read_exact_at(buf, offset)
}

#[cfg(windows)]
fn read_exact_at(f: &std::fs::File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match f.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = buf.get_mut(n..).unwrap_or_default();
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn read_exact_at(_: &std::fs::File, _: &mut [u8], _: u64) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

/// Whether an error may come from reading a structure while it is being written.
fn is_transient(e: &Error) -> bool {
    e.kind == ErrorKind::Format
}

/// Runs `op`; for a file opened with [`File::open_swmr`], again after a pause while it fails
/// with a format error (a checksum mismatch: a structure caught half-written), at most
/// [`READ_ATTEMPTS`] times.
/// A retry inside another (a lookup inside a read) runs once: the outer one retries.
pub(crate) fn retry<T>(file: &File, mut op: impl FnMut() -> Result<T>) -> Result<T> {
    thread_local! {
        static RETRYING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if !file.inner.swmr_read || RETRYING.with(|r| r.get()) {
        return op();
    }
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            RETRYING.with(|r| r.set(false));
        }
    }
    RETRYING.with(|r| r.set(true));
    let _reset = Reset;
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let mut attempt = 1;
    loop {
        match op() {
            Err(e) if is_transient(&e) && attempt < READ_ATTEMPTS => {
                RETRIES.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(pause);
                pause = (pause * 2).min(MAX_PAUSE);
                attempt += 1;
            }
            Err(e) if is_transient(&e) => {
                let ms = start.elapsed().as_millis();
                return Err(e.context(format!("SWMR read: still failing after {} attempts over {} ms", attempt, ms)));
            }
            r => return r,
        }
    }
}

/// The reader view of a read-only file: the one [`File::refresh`] read last, else the file as
/// opened.
pub(crate) fn reader_view(file: &File) -> Result<Arc<FileInner>> {
    let snap = file.snapshot.lock().map_err(|_| Error::usage("file state poisoned"))?;
    Ok(snap.clone().unwrap_or_else(|| file.inner.clone()))
}

/// Ends SWMR writing at close (the status flags cleared as the last write).
pub(crate) fn end_swmr_write(st: &mut WriteState) -> Result<()> {
    match &mut st.backend {
        Backend::Editor(ed) => ed.end_swmr_write(),
        _ => Ok(()),
    }
}

impl File {
    /// Opens `path` for SWMR reading (h5py's `File(path, 'r', swmr=True)`): the file may be
    /// growing under a SWMR writer (h5kit's or libhdf5's). Dataset handles keep the shape and
    /// index they read until [`crate::handle::Dataset::refresh`]; reads meeting a structure
    /// being rewritten read again (at most [`READ_ATTEMPTS`] times). The file is never
    /// memory-mapped (it grows) and not locked.
    pub fn open_swmr(path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::not_found(format!("unable to open {}: no such file", name)),
            _ => Error::io(e, format!("unable to open {}", name)),
        })?;
        let file = Arc::new(f);
        let dir = path.parent().map(|p| p.to_path_buf());
        let inner = read_inner(&file, &name, dir)?;
        Ok(File::from_inner(Arc::new(inner)))
    }

    /// Whether the file was opened with [`File::open_swmr`].
    pub fn is_swmr_read(&self) -> bool {
        self.inner.swmr_read
    }

    /// Starts SWMR writing (h5py's `f.swmr_mode = True`, libhdf5's `H5Fstart_swmr_write`):
    /// every change is flushed, the superblock is marked (write and SWMR write flags) and the
    /// file lock is released, as libhdf5 does, so that SWMR readers (h5py `swmr=True`,
    /// [`File::open_swmr`]) can open the file. From then on each [`File::flush`] makes the
    /// appended data visible to them. Files of the latest format only (`LibVer::Latest`,
    /// superblock version 3). Creating or deleting objects is not allowed by libhdf5 in SWMR
    /// mode; changes the on-disk writer cannot make in place fail instead of rewriting the file.
    pub fn start_swmr_write(&self) -> Result<()> {
        let mut st = self.state()?;
        match &mut st.backend {
            Backend::Editor(ed) => ed.start_swmr_write()?,
            Backend::Model(_) => {
                return Err(Error::usage(
                    "SWMR writing needs the on-disk writer; this file is held by the in-memory model (an earlier change it does not make in place)",
                ))
            }
            Backend::Closed => return Err(Error::usage("file is closed")),
        }
        st.dirty = true;
        if let Some(lock) = st.lock.take() {
            lock.unlock().map_err(|e| Error::io(e, format!("unlocking {}", self.inner.name)))?;
        }
        Ok(())
    }

    /// Whether the file is being written in SWMR mode.
    pub fn is_swmr_write(&self) -> bool {
        match self.state() {
            Ok(st) => matches!(&st.backend, Backend::Editor(ed) if ed.is_swmr()),
            Err(_) => false,
        }
    }

    /// SWMR reading: reads the superblock again and drops what every handle of this file
    /// read, so each sees the current shape and data at its next use. Other files: nothing to
    /// do (a writer's handles always see its changes).
    pub fn refresh(&self) -> Result<()> {
        if !self.inner.swmr_read {
            return Ok(());
        }
        let file = self.inner.storage_file().ok_or_else(|| Error::usage("internal error: SWMR file without its storage"))?;
        let inner = read_inner(&file, &self.inner.name, self.inner.dir.clone())?;
        let mut snap = self.snapshot.lock().map_err(|_| Error::usage("file state poisoned"))?;
        *snap = Some(Arc::new(inner));
        Ok(())
    }
}

impl FileInner {
    /// The open file of a SWMR reader.
    fn storage_file(&self) -> Option<Arc<std::fs::File>> {
        self.swmr_file.clone()
    }
}

/// The file state of a SWMR reader: the superblock read (again while it is caught
/// half-written).
fn read_inner(file: &Arc<std::fs::File>, name: &str, dir: Option<std::path::PathBuf>) -> Result<FileInner> {
    let mut attempt = 1;
    let mut pause = Duration::from_millis(1);
    loop {
        let storage = GrowingFile { file: file.clone(), name: name.to_string() };
        match File::from_storage(Box::new(storage), name.to_string(), Limits::default()) {
            Ok(f) => {
                let mut inner = Arc::try_unwrap(f.inner).map_err(|_| Error::usage("file snapshot is shared"))?;
                inner.swmr_read = true;
                inner.swmr_file = Some(file.clone());
                inner.dir = dir;
                return Ok(inner);
            }
            Err(e) if is_transient(&e) && attempt < READ_ATTEMPTS => {
                RETRIES.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(pause);
                pause = (pause * 2).min(MAX_PAUSE);
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

impl crate::handle::Dataset {
    /// SWMR reading (h5py's `Dataset.refresh()`): the next use reads the object header and
    /// chunk index again, so the current shape and the rows appended since appear. Elsewhere
    /// harmless (handles of other files see changes anyway).
    pub fn refresh(&self) -> Result<()> {
        self.drop_cached()
    }
}

/// libhdf5's `h5clear -s`: clears the superblock's status flags (write and SWMR write access,
/// left set by a writer that was killed) so that libhdf5 opens the file again; the superblock
/// checksum is recomputed (one write). Returns the flags that were set (0: nothing written).
/// Superblocks before version 2 have no such flags: nothing to do. Fails if a writer holds the
/// file's lock (a running SWMR writer has released it: as with h5clear, do not clear a file
/// being written).
pub fn clear_status_flags(path: impl AsRef<Path>) -> Result<u32> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let f = std::fs::OpenOptions::new().read(true).write(true).open(path).map_err(|e| Error::io(e, format!("unable to open {}", name)))?;
    lock_file(&f, true, LockPolicy::from_env(), &name)?;
    let storage = WritableFile::from_file(f)?;
    let sb = Superblock::read(&storage).map_err(|e| e.context(format!("reading the superblock of {}", name)))?;
    let old = sb.file_consistency_flags;
    if sb.version < 2 || old == 0 {
        return Ok(0);
    }
    let mut new = sb.clone();
    new.file_consistency_flags = 0;
    if let Some((at, bytes)) = new.update(&sb)? {
        storage.write_at(at, &bytes)?;
    }
    storage.sync()?;
    Ok(old)
}

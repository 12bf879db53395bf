//! Storage that is also written: a file opened for writing (positioned writes, never a memory
//! map, so the file may grow while open) or a growable buffer in memory (WebAssembly's
//! `toBytes`, tests). The on-disk writer edits a file through this trait alone, so one writer
//! serves both.
//!
//! Reads see every write made before them. [`WritableStorage::sync`] is the durability barrier
//! (fsync); without it, written bytes are handed to the operating system, which keeps them
//! across a crash of the process (as libhdf5's `H5Fflush` does) but not across a power loss.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
#[cfg(not(unix))]
use std::sync::Mutex;

use crate::{Error, Result, Storage};

/// Random-access bytes that can be written as well as read.
pub trait WritableStorage: Storage {
    /// Writes `data` at `offset`, growing the storage when it ends before `offset + len`
    /// (a gap is filled with zeros).
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()>;
    /// Sets the length (shrinking drops the tail; growing adds zeros).
    fn set_len(&self, len: u64) -> Result<()>;
    /// Makes every write so far durable (fsync); nothing to do in memory.
    fn sync(&self) -> Result<()>;
}

fn end_of(offset: u64, len: usize) -> Result<u64> {
    offset
        .checked_add(len as u64)
        .ok_or_else(|| Error::usage(format!("write of {} bytes at {} overflows the address space", len, offset)))
}

/// A file opened for reading and writing, through positioned reads and writes.
pub struct WritableFile {
    file: File,
    len: AtomicU64,
    /// Serialises seek+read/write pairs where positioned I/O is not available.
    #[cfg(not(unix))]
    cursor: Mutex<()>,
}

impl WritableFile {
    /// Wraps a file opened with read and write access.
    pub fn from_file(file: File) -> Result<WritableFile> {
        let len = file.metadata().map_err(|e| Error::io(e, "cannot stat file"))?.len();
        Ok(WritableFile {
            file,
            len: AtomicU64::new(len),
            #[cfg(not(unix))]
            cursor: Mutex::new(()),
        })
    }

    /// Opens an existing file for reading and writing.
    pub fn open(path: impl AsRef<Path>) -> Result<WritableFile> {
        let path = path.as_ref();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(e, format!("cannot open {} for writing", path.display())))?;
        WritableFile::from_file(file)
    }

    /// The open file (for locking and metadata).
    pub fn file(&self) -> &File {
        &self.file
    }

    #[cfg(unix)]
    fn pread(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }
    #[cfg(unix)]
    fn pwrite(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, data, offset)
    }
    #[cfg(not(unix))]
    fn pread(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let _guard = self.cursor.lock().map_err(|_| std::io::Error::other("file cursor poisoned"))?;
        let mut f = &self.file;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
    #[cfg(not(unix))]
    fn pwrite(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let _guard = self.cursor.lock().map_err(|_| std::io::Error::other("file cursor poisoned"))?;
        let mut f = &self.file;
        f.seek(SeekFrom::Start(offset))?;
        f.write_all(data)
    }
}

impl Storage for WritableFile {
    fn len(&self) -> u64 {
        self.len.load(Ordering::Acquire)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let end = end_of(offset, buf.len())?;
        if end > self.len() {
            return Err(Error::format(
                offset,
                format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, self.len()),
            ));
        }
        self.pread(offset, buf).map_err(|e| Error::io(e, "read failed").at(offset))
    }
}

impl WritableStorage for WritableFile {
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        let end = end_of(offset, data.len())?;
        self.pwrite(offset, data).map_err(|e| Error::io(e, format!("writing {} bytes", data.len())).at(offset))?;
        self.len.fetch_max(end, Ordering::AcqRel);
        Ok(())
    }
    fn set_len(&self, len: u64) -> Result<()> {
        self.file.set_len(len).map_err(|e| Error::io(e, format!("setting the file length to {}", len)))?;
        self.len.store(len, Ordering::Release);
        Ok(())
    }
    fn sync(&self) -> Result<()> {
        self.file.sync_all().map_err(|e| Error::io(e, "syncing the file"))
    }
}

/// A growable buffer in memory.
#[derive(Debug, Default)]
pub struct WritableMemory {
    data: RwLock<Vec<u8>>,
}

impl WritableMemory {
    pub fn new(data: Vec<u8>) -> WritableMemory {
        WritableMemory { data: RwLock::new(data) }
    }
    /// A copy of the content.
    pub fn to_vec(&self) -> Result<Vec<u8>> {
        Ok(self.data.read().map_err(|_| poisoned())?.clone())
    }
    pub fn into_inner(self) -> Result<Vec<u8>> {
        self.data.into_inner().map_err(|_| poisoned())
    }
}

fn poisoned() -> Error {
    Error::usage("in-memory file poisoned by an earlier panic")
}

impl Storage for WritableMemory {
    fn len(&self) -> u64 {
        self.data.read().map(|d| d.len() as u64).unwrap_or(0)
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let data = self.data.read().map_err(|_| poisoned())?;
        let src = usize::try_from(offset)
            .ok()
            .and_then(|start| data.get(start..start.checked_add(buf.len())?))
            .ok_or_else(|| {
                Error::format(
                    offset,
                    format!("{} bytes at address {} run past the end of the file ({} bytes)", buf.len(), offset, data.len()),
                )
            })?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl WritableStorage for WritableMemory {
    fn write_at(&self, offset: u64, src: &[u8]) -> Result<()> {
        let end = end_of(offset, src.len())?;
        let (start, end) = match (usize::try_from(offset), usize::try_from(end)) {
            (Ok(s), Ok(e)) => (s, e),
            _ => return Err(Error::usage(format!("in-memory file cannot reach address {}", end))),
        };
        let mut data = self.data.write().map_err(|_| poisoned())?;
        if data.len() < end {
            data.resize(end, 0);
        }
        if let Some(dst) = data.get_mut(start..end) {
            dst.copy_from_slice(src);
        }
        Ok(())
    }
    fn set_len(&self, len: u64) -> Result<()> {
        let len = usize::try_from(len).map_err(|_| Error::usage(format!("in-memory file cannot be {} bytes", len)))?;
        self.data.write().map_err(|_| poisoned())?.resize(len, 0);
        Ok(())
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(s: &dyn WritableStorage) {
        assert_eq!(s.len(), 0);
        s.write_at(4, b"abcd").unwrap();
        assert_eq!(s.len(), 8);
        assert_eq!(&*s.bytes(0, 8).unwrap(), b"\0\0\0\0abcd");
        s.write_at(2, b"XY").unwrap();
        assert_eq!(&*s.bytes(0, 8).unwrap(), b"\0\0XYabcd");
        assert!(s.bytes(6, 3).is_err());
        assert!(s.write_at(u64::MAX, b"a").is_err());
        s.set_len(3).unwrap();
        assert_eq!(&*s.bytes(0, 3).unwrap(), b"\0\0X");
        assert!(s.bytes(0, 4).is_err());
        s.sync().unwrap();
    }

    #[test]
    fn memory_reads_its_writes() {
        exercise(&WritableMemory::default());
    }

    #[test]
    #[cfg(not(target_family = "wasm"))] // no temporary directory under WASI
    fn file_reads_its_writes() {
        let path = std::env::temp_dir().join(format!("h5kit-writable-{}.bin", std::process::id()));
        let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
        exercise(&WritableFile::from_file(f).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 3);
        std::fs::remove_file(&path).unwrap();
    }
}

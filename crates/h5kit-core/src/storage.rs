//! Storage: bytes at a file offset. A file (memory-mapped, or positioned reads where mapping
//! is unavailable, as on WebAssembly) or a memory buffer. Readers never assume the whole file
//! is in memory; [`Storage::bytes`] borrows when it can and copies when it must.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;
use std::sync::Mutex;

use crate::{Error, ErrorKind, Result};

/// Random-access bytes. Implementations must be cheap to call repeatedly.
pub trait Storage: Send + Sync {
    /// Total size in bytes.
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` with the bytes at `offset`; fails if they run past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// The whole content as one slice, when the storage has it (memory, memory map).
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }
    /// `len` bytes at `offset`, borrowed when possible.
    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        check_range(self.len(), offset, len as u64)?;
        if let Some(s) = self.as_slice() {
            return slice_at(s, offset, len).map(Cow::Borrowed);
        }
        let mut v = vec![0u8; len];
        self.read_at(offset, &mut v)?;
        Ok(Cow::Owned(v))
    }
    /// Up to `len` bytes at `offset` (fewer if the storage ends first).
    fn bytes_upto(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        let total = self.len();
        if offset > total {
            return Err(Error::format(offset, format!("address {} is past the end of the file ({} bytes)", offset, total)));
        }
        let n = (total - offset).min(len as u64) as usize;
        self.bytes(offset, n)
    }
    /// A hint: the ranges `(offset, length)` about to be read (the chunks of a selection), so
    /// that a storage reading by ranges over a network fetches them together and
    /// concurrently. Reads are correct without it; the default does nothing.
    fn prefetch(&self, _ranges: &[(u64, u64)]) {}
}

/// Shared storage (a file being written, read through the same handle).
impl<T: Storage + ?Sized> Storage for std::sync::Arc<T> {
    fn len(&self) -> u64 {
        (**self).len()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        (**self).read_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        (**self).as_slice()
    }
    fn bytes(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
        (**self).bytes(offset, len)
    }
    fn prefetch(&self, ranges: &[(u64, u64)]) {
        (**self).prefetch(ranges)
    }
}

/// `len` bytes of `s` at `offset`, or the error of a range past the end.
fn slice_at(s: &[u8], offset: u64, len: usize) -> Result<&[u8]> {
    usize::try_from(offset)
        .ok()
        .and_then(|start| s.get(start..start.checked_add(len)?))
        .ok_or_else(|| {
            Error::format(
                offset,
                format!("{} bytes at address {} run past the end of the file ({} bytes)", len, offset, s.len()),
            )
        })
}

fn check_range(total: u64, offset: u64, len: u64) -> Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= total => Ok(()),
        _ => Err(Error::format(
            offset,
            format!("{} bytes at address {} run past the end of the file ({} bytes)", len, offset, total),
        )),
    }
}

/// Storage in memory (what WebAssembly callers hand over).
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    data: Vec<u8>,
}

impl MemStorage {
    pub fn new(data: Vec<u8>) -> Self {
        MemStorage { data }
    }
    pub fn into_inner(self) -> Vec<u8> {
        self.data
    }
}

impl Storage for MemStorage {
    fn len(&self) -> u64 {
        self.data.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        buf.copy_from_slice(slice_at(&self.data, offset, buf.len())?);
        Ok(())
    }
    fn as_slice(&self) -> Option<&[u8]> {
        Some(&self.data)
    }
}

/// Reads of at least this many bytes use positioned reads rather than the memory map.
#[cfg(unix)]
const LARGE_READ: usize = 1 << 20;

/// A file on disk: memory-mapped where possible, otherwise positioned reads.
pub struct FileStorage {
    len: u64,
    #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
    map: Option<mmap::Map>,
    file: Mutex<File>,
}

impl FileStorage {
    /// Opens `path` for reading.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| Error::io(e, format!("cannot open {}", path.display())))?;
        Self::from_file(file)
    }

    /// Wraps an open file (read access needed).
    pub fn from_file(file: File) -> Result<Self> {
        let len = file.metadata().map_err(|e| Error::io(e, "cannot stat file"))?.len();
        #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
        let map = mmap::Map::new(&file, len);
        Ok(FileStorage {
            len,
            #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
            map,
            file: Mutex::new(file),
        })
    }

    /// Wraps an open file read by positioned reads only, never mapped: for a large input read
    /// once (a repack's source), whose pages should not stay in the process's memory.
    pub fn from_file_unmapped(file: File) -> Result<Self> {
        let len = file.metadata().map_err(|e| Error::io(e, "cannot stat file"))?.len();
        Ok(FileStorage {
            len,
            #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
            map: None,
            file: Mutex::new(file),
        })
    }

    fn read_file_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = self.file.lock().map_err(|_| Error::new(ErrorKind::Io, "file lock poisoned"))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| Error::io(e, "seek failed").at(offset))?;
        f.read_exact(buf).map_err(|e| Error::io(e, "read failed").at(offset))
    }
}

impl Storage for FileStorage {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(self.len, offset, buf.len() as u64)?;
        // Large reads (raw data) go through the kernel's copy, which beats faulting in every
        // page of the map; small ones (metadata) copy from the map.
        #[cfg(unix)]
        if buf.len() >= LARGE_READ {
            use std::os::unix::fs::FileExt;
            let f = self.file.lock().map_err(|_| Error::new(ErrorKind::Io, "file lock poisoned"))?;
            return f.read_exact_at(buf, offset).map_err(|e| Error::io(e, "read failed").at(offset));
        }
        if let Some(s) = self.as_slice() {
            buf.copy_from_slice(slice_at(s, offset, buf.len())?);
            return Ok(());
        }
        self.read_file_at(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
        if let Some(m) = &self.map {
            return Some(m.as_slice());
        }
        None
    }
}

#[cfg(all(feature = "mmap", not(target_family = "wasm")))]
#[allow(unsafe_code)]
mod mmap {
    //! The one audited `unsafe` of h5kit: mapping a file read-only.
    use std::fs::File;

    pub struct Map(memmap2::Mmap);

    impl Map {
        /// Maps `file`; `None` for empty files or when mapping fails (then reads are used).
        pub fn new(file: &File, len: u64) -> Option<Map> {
            if len == 0 || usize::try_from(len).is_err() {
                return None;
            }
            // SAFETY: the map is read-only and private to this `FileStorage`. memmap2 requires
            // that the file is not truncated or modified by another process while mapped; as
            // with every memory-mapping reader this is the caller's contract (documented on
            // `File::open`), and h5kit never writes through a file it has mapped.
            let map = unsafe { memmap2::MmapOptions::new().map(file) }.ok()?;
            Some(Map(map))
        }
        pub fn as_slice(&self) -> &[u8] {
            &self.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_storage_bounds() {
        let s = MemStorage::new(vec![1, 2, 3]);
        assert_eq!(&*s.bytes(1, 2).unwrap(), &[2, 3]);
        assert!(s.bytes(2, 2).is_err());
        assert!(s.bytes(u64::MAX, 2).is_err());
        assert_eq!(&*s.bytes_upto(1, 10).unwrap(), &[2, 3]);
    }

    #[test]
    fn read_at_bounds() {
        let s = MemStorage::new(vec![1, 2, 3]);
        let mut buf = [0u8; 2];
        s.read_at(1, &mut buf).unwrap();
        assert_eq!(buf, [2, 3]);
        assert!(s.read_at(2, &mut buf).is_err());
        let e = s.read_at(u64::MAX, &mut buf).unwrap_err();
        assert_eq!(e.offset, Some(u64::MAX));
        assert!(s.read_at(3, &mut []).is_ok());
        assert!(slice_at(&[1, 2, 3], u64::MAX - 1, 5).is_err());
    }
}

//! Storage: bytes at a file offset. A file (positioned reads; memory-mapped only when a
//! zero-copy view is asked for) or a memory buffer. Readers never assume the whole file
//! is in memory; [`Storage::bytes`] borrows when it can and copies when it must.

use std::borrow::Cow;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;
#[cfg(not(unix))]
use std::sync::Mutex;

use crate::{Error, Result};

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
    /// `len` bytes at `offset`, borrowed when possible, else read into `scratch`: grown when
    /// shorter than `len`, never shrunk or cleared (the read overwrites the prefix it returns),
    /// so a caller reading many blocks (chunks) through one scratch buffer allocates and zeroes
    /// it once instead of once per read.
    fn bytes_reusing<'s>(&'s self, offset: u64, len: usize, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]> {
        check_range(self.len(), offset, len as u64)?;
        if let Some(s) = self.as_slice() {
            return slice_at(s, offset, len);
        }
        if scratch.len() < len {
            scratch.resize(len, 0);
        }
        let buf = scratch.get_mut(..len).ok_or_else(|| Error::usage("scratch buffer shorter than the read"))?;
        self.read_at(offset, buf)?;
        Ok(buf)
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

/// `Storage` for a pointer to storage: every method forwarded to the storage it points at.
macro_rules! forward_storage {
    ($($(#[$doc:meta])* $ptr:ident),*) => {$(
        $(#[$doc])*
        impl<T: Storage + ?Sized> Storage for $ptr<T> {
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
            fn bytes_upto(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>> {
                (**self).bytes_upto(offset, len)
            }
            fn bytes_reusing<'s>(&'s self, offset: u64, len: usize, scratch: &'s mut Vec<u8>) -> Result<&'s [u8]> {
                (**self).bytes_reusing(offset, len, scratch)
            }
            fn prefetch(&self, ranges: &[(u64, u64)]) {
                (**self).prefetch(ranges)
            }
        }
    )*};
}

forward_storage!(
    /// Shared storage (a file being written, read through the same handle).
    Arc,
    /// Boxed storage (a file's storage wrapped by another, as a cache image wraps it).
    Box
);

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

/// Reads of at least this many bytes of a mapped file use positioned reads rather than the
/// map (the kernel's copy beats faulting in every page of the map).
const LARGE_READ: usize = 1 << 20;

/// A file on disk, read by positioned reads (`pread`) by default, or memory-mapped when asked
/// for ([`FileStorage::open_mapped`]).
///
/// Positioned reads make a file that changes while open an error, never a signal: the length
/// is taken when the file is opened, and a read that finds the file shorter than that (another
/// program truncated it) fails with an I/O error naming the offset. A mapped file must not be
/// truncated or rewritten by another program while mapped: touching a page past the new end
/// raises SIGBUS, which kills the process; the map exists only for zero-copy views
/// ([`Storage::as_slice`]).
pub struct FileStorage {
    len: u64,
    #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
    map: Option<mmap::Map>,
    #[cfg(unix)]
    file: File,
    /// Serialises seek+read pairs where positioned reads are not available.
    #[cfg(not(unix))]
    file: Mutex<File>,
    /// Recently read blocks serving small reads (metadata) of an unmapped file.
    blocks: blocks::Blocks,
}

impl FileStorage {
    /// Opens `path` for reading by positioned reads.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_file(open_read(path.as_ref())?)
    }

    /// Opens `path` for reading through a memory map (positioned reads where mapping is not
    /// available, as on WebAssembly). The caller's contract: the file is not truncated or
    /// rewritten by another program while this storage, or a slice borrowed from it, is alive.
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_file_mapped(open_read(path.as_ref())?)
    }

    /// Wraps an open file (read access needed), read by positioned reads.
    pub fn from_file(file: File) -> Result<Self> {
        let len = file.metadata().map_err(|e| Error::io(e, "cannot stat file"))?.len();
        Ok(FileStorage {
            len,
            #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
            map: None,
            #[cfg(unix)]
            file,
            #[cfg(not(unix))]
            file: Mutex::new(file),
            blocks: blocks::Blocks::default(),
        })
    }

    /// As [`FileStorage::from_file`] (positioned reads only, never mapped): the name callers
    /// reading a large input once (a repack's source) use.
    pub fn from_file_unmapped(file: File) -> Result<Self> {
        Self::from_file(file)
    }

    /// Wraps an open file, memory-mapped where possible; the contract of
    /// [`FileStorage::open_mapped`] holds.
    pub fn from_file_mapped(file: File) -> Result<Self> {
        #[allow(unused_mut)]
        let mut s = Self::from_file(file)?;
        #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
        {
            #[cfg(unix)]
            let f = &s.file;
            #[cfg(not(unix))]
            let f = &*s.file.lock().map_err(|_| Error::new(crate::ErrorKind::Io, "file lock poisoned"))?;
            s.map = mmap::Map::new(f, s.len);
        }
        Ok(s)
    }

    /// Whether the file is memory-mapped.
    pub fn is_mapped(&self) -> bool {
        self.as_slice().is_some()
    }

    #[cfg(unix)]
    fn read_file_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(not(unix))]
    fn read_file_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = self.file.lock().map_err(|_| std::io::Error::other("file lock poisoned"))?;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }

    /// A positioned read; a file found shorter than when it was opened is named as such.
    fn pread(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.read_file_at(offset, buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::io(
                    e,
                    format!(
                        "{} bytes at offset {} are past the end of the file, which had {} bytes when \
                         opened (truncated by another program?)",
                        buf.len(),
                        offset,
                        self.len
                    ),
                )
                .at(offset)
            } else {
                Error::io(e, "read failed").at(offset)
            }
        })
    }
}

fn open_read(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::io(e, format!("cannot open {}", path.display())))
}

impl Storage for FileStorage {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(self.len, offset, buf.len() as u64)?;
        if let Some(s) = self.as_slice() {
            if !cfg!(unix) || buf.len() < LARGE_READ {
                buf.copy_from_slice(slice_at(s, offset, buf.len())?);
                return Ok(());
            }
        } else if self.blocks.serve(offset, buf, self.len, |at, b| self.pread(at, b)) {
            return Ok(());
        }
        self.pread(offset, buf)
    }
    fn as_slice(&self) -> Option<&[u8]> {
        #[cfg(all(feature = "mmap", not(target_family = "wasm")))]
        if let Some(m) = &self.map {
            return Some(m.as_slice());
        }
        None
    }
}

mod blocks {
    //! Small reads of a file read by positioned reads: object headers, B-tree nodes and heap
    //! blocks are small and close together, and one `pread` each costs a system call. A few
    //! recently read 64 KiB blocks serve them instead (1 MiB at most). Reads larger than
    //! [`SMALL`] or spanning two blocks go to the file directly, as does any read whose block
    //! cannot be read whole (a file truncated since it was opened: the direct read then reports
    //! the error).
    use std::sync::{Arc, Mutex};

    const BLOCK: u64 = 64 << 10;
    const COUNT: usize = 16;
    /// Largest read served from the blocks.
    pub const SMALL: usize = 4096;

    #[derive(Default)]
    pub struct Blocks {
        /// (block index, bytes), most recently used last.
        recent: Mutex<Vec<(u64, Arc<Vec<u8>>)>>,
    }

    impl Blocks {
        /// Fills `buf` (the bytes at `offset`, in range of a file of `len` bytes) from a cached
        /// block, reading the block with `read` on a miss; false when the read is not one
        /// the blocks serve (the caller then reads the file itself).
        pub fn serve(&self, offset: u64, buf: &mut [u8], len: u64, read: impl Fn(u64, &mut [u8]) -> crate::Result<()>) -> bool {
            let n = buf.len() as u64;
            let index = offset / BLOCK;
            if buf.is_empty() || buf.len() > SMALL || (offset + n - 1) / BLOCK != index {
                return false;
            }
            let start = index * BLOCK;
            let at = (offset - start) as usize;
            let copy = |block: &[u8], buf: &mut [u8]| match block.get(at..at + buf.len()) {
                Some(b) => {
                    buf.copy_from_slice(b);
                    true
                }
                None => false,
            };
            let Ok(mut recent) = self.recent.lock() else { return false };
            if let Some(i) = recent.iter().position(|(k, _)| *k == index) {
                let hit = recent.remove(i);
                let ok = copy(&hit.1, buf);
                recent.push(hit);
                return ok;
            }
            drop(recent);
            let mut block = vec![0u8; BLOCK.min(len - start) as usize];
            if read(start, &mut block).is_err() {
                return false;
            }
            let ok = copy(&block, buf);
            let Ok(mut recent) = self.recent.lock() else { return ok };
            if !recent.iter().any(|(k, _)| *k == index) {
                if recent.len() >= COUNT {
                    recent.remove(0);
                }
                recent.push((index, Arc::new(block)));
            }
            ok
        }
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
            // that the file is not truncated or modified by another process while mapped; this
            // is the contract of the explicit mapped opens (`FileStorage::open_mapped`,
            // `File::open_mapped`, documented there), and h5kit never writes through a file it
            // has mapped. Files opened otherwise are never mapped.
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

    /// A temporary file of `len` pseudo-random bytes (a multiplicative hash shifted right by
    /// `shift`), and those bytes.
    #[cfg(not(target_family = "wasm"))]
    fn scratch_file(name: &str, len: u32, shift: u32) -> (std::path::PathBuf, Vec<u8>) {
        let path = std::env::temp_dir().join(format!("h5kit-storage-{}-{}", name, std::process::id()));
        let data: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> shift) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        (path, data)
    }

    /// Small reads served from cached blocks give the file's bytes, across block boundaries
    /// and at the end of the file; a read past the end is an error.
    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn file_reads_through_blocks() {
        let (path, data) = scratch_file("blocks", 300_000, 13);
        let s = FileStorage::open(&path).unwrap();
        assert!(!s.is_mapped());
        let mut seed = 7u64;
        for _ in 0..5000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let len = (seed >> 40) as usize % 6000;
            let off = (seed >> 8) % (data.len() as u64 - len as u64 + 1);
            assert_eq!(&*s.bytes(off, len).unwrap(), &data[off as usize..off as usize + len], "{len} at {off}");
        }
        assert_eq!(&*s.bytes(299_990, 10).unwrap(), &data[299_990..]);
        assert!(s.bytes(299_995, 10).is_err());
        let m = FileStorage::open_mapped(&path).unwrap();
        assert_eq!(m.is_mapped(), cfg!(feature = "mmap"));
        assert_eq!(&*m.bytes(65_530, 20).unwrap(), &data[65_530..65_550]);
        std::fs::remove_file(&path).unwrap();
    }

    /// Reads through a scratch buffer give the file's bytes whatever the buffer held before
    /// (longer or shorter reads in any order); the buffer only grows; memory is borrowed.
    #[cfg(not(target_family = "wasm"))]
    #[test]
    fn reads_reusing_a_scratch_buffer() {
        let (path, data) = scratch_file("reusing", 200_000, 11);
        let s = FileStorage::open(&path).unwrap();
        let mut scratch = Vec::new();
        for (off, len) in [(10u64, 100_000usize), (5, 7), (150_000, 50_000), (0, 0), (1, 120_000), (70_000, 3)] {
            let got = s.bytes_reusing(off, len, &mut scratch).unwrap();
            assert_eq!(got, &data[off as usize..off as usize + len], "{len} at {off}");
        }
        assert_eq!(scratch.len(), 120_000);
        assert!(s.bytes_reusing(199_999, 2, &mut scratch).is_err());
        assert!(s.bytes_reusing(u64::MAX, 2, &mut scratch).is_err());
        // Through a pointer (the forwarding impls) and from memory: borrowed, scratch untouched.
        let arc: Arc<dyn Storage> = Arc::new(FileStorage::open(&path).unwrap());
        assert_eq!(arc.bytes_reusing(3, 5, &mut scratch).unwrap(), &data[3..8]);
        let m = MemStorage::new(data.clone());
        let mut empty = Vec::new();
        assert_eq!(m.bytes_reusing(100, 50, &mut empty).unwrap(), &data[100..150]);
        assert!(empty.is_empty());
        std::fs::remove_file(&path).unwrap();
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

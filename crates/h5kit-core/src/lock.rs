//! File locking as libhdf5 does it (its `sec2` driver's `lock` callback): a shared lock for a
//! file opened read-only, an exclusive lock for a file opened for writing, both non-blocking,
//! taken with `flock(2)` on Unix (the call Rust's `File::try_lock` makes there), so h5kit and
//! libhdf5 programs (h5py, h5dump) exclude each other. As in libhdf5, the environment variable
//! `HDF5_USE_FILE_LOCKING=FALSE` turns locking off, and `BEST_EFFORT` ignores file systems that
//! do not support locks.

use std::fs::File;

use crate::{Error, ErrorKind, Result};

/// What `HDF5_USE_FILE_LOCKING` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockPolicy {
    /// Lock, and fail when the lock cannot be taken (libhdf5's default).
    Required,
    /// Lock, but go on where the file system does not support locking (`BEST_EFFORT`).
    BestEffort,
    /// Do not lock (`FALSE`).
    Off,
}

impl LockPolicy {
    /// The policy from `HDF5_USE_FILE_LOCKING` (unset: [`LockPolicy::Required`]).
    pub fn from_env() -> LockPolicy {
        match std::env::var("HDF5_USE_FILE_LOCKING").map(|v| v.trim().to_ascii_uppercase()) {
            Ok(v) if v == "FALSE" || v == "0" => LockPolicy::Off,
            Ok(v) if v == "BEST_EFFORT" => LockPolicy::BestEffort,
            _ => LockPolicy::Required,
        }
    }
}

/// Takes the lock libhdf5 takes on `file` (`name` is for the error): exclusive when
/// `write`, shared otherwise. The lock lasts as long as the open file.
pub fn lock_file(file: &File, write: bool, policy: LockPolicy, name: &str) -> Result<()> {
    if policy == LockPolicy::Off {
        return Ok(());
    }
    let taken = if write { file.try_lock() } else { file.try_lock_shared() };
    match taken {
        Ok(()) => Ok(()),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::new(
            ErrorKind::Io,
            format!(
                "unable to lock {} for {}: it is open {}in another program or another handle \
                 (set HDF5_USE_FILE_LOCKING=FALSE to open it without locking)",
                name,
                if write { "writing" } else { "reading" },
                if write { "" } else { "for writing " },
            ),
        )),
        Err(std::fs::TryLockError::Error(e)) => {
            // WebAssembly hosts have no locks at all: there every policy is best effort.
            let best_effort = policy == LockPolicy::BestEffort || cfg!(target_family = "wasm");
            if best_effort && e.kind() == std::io::ErrorKind::Unsupported {
                return Ok(());
            }
            Err(Error::io(e, format!("unable to lock {}", name)))
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_writer_excludes_readers_and_writers() {
        let path = std::env::temp_dir().join(format!("h5kit-lock-{}.bin", std::process::id()));
        std::fs::write(&path, b"x").unwrap();
        let open = || std::fs::OpenOptions::new().read(true).write(true).open(&path).unwrap();
        let (a, b, c) = (open(), open(), open());
        lock_file(&a, false, LockPolicy::Required, "f").unwrap();
        lock_file(&b, false, LockPolicy::Required, "f").unwrap();
        let e = lock_file(&c, true, LockPolicy::Required, "f").unwrap_err();
        assert!(e.message.contains("unable to lock f for writing"), "{}", e);
        lock_file(&c, true, LockPolicy::Off, "f").unwrap();
        drop((a, b));
        lock_file(&c, true, LockPolicy::Required, "f").unwrap();
        let d = open();
        assert!(lock_file(&d, false, LockPolicy::Required, "f").is_err());
        std::fs::remove_file(&path).unwrap();
    }
}

//! Foundation of h5kit: the pieces every layer of the HDF5 format shares.
//!
//! - [`Reader`]: a bounded little-endian cursor that knows the file's "Size of Offsets" and
//!   "Size of Lengths" (spec II.A, superblock) and the file address of every byte it reads.
//! - [`Writer`]: its encoding twin, one `encode` per structure beside each `decode`.
//! - [`Error`]: what failed, where (file offset, object path), and its [`ErrorKind`].
//! - [`lookup3`]: Bob Jenkins' lookup3 `hashlittle`, the checksum of all v2 metadata.
//! - [`Storage`]: bytes at an offset, from a file (memory map or positioned reads) or memory;
//!   [`ranged`]: through a block cache from a source read by byte ranges (HTTP, object stores).
//! - [`WritableStorage`]: storage that is written too (a file, a growable buffer), and
//!   [`lock_file`], libhdf5's file locking.
//! - [`Limits`]: bounds on sizes a file claims, checked before allocating.
#![deny(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod checksum;
pub mod context;
pub mod error;
pub mod limits;
pub mod lock;
pub mod ranged;
pub mod reader;
pub mod storage;
pub mod writable;
pub mod writer;

pub use checksum::{lookup3, verify_checksum};
pub use context::Context;
pub use error::{Error, ErrorKind, Result};
pub use limits::Limits;
pub use reader::{Reader, Sizes, UNDEFINED_ADDRESS};
pub use storage::{FileStorage, MemStorage, Storage};
pub use writable::{WritableFile, WritableMemory, WritableStorage};
pub use writer::Writer;
pub use lock::{lock_file, LockPolicy};

//! HDF5 heaps.
//!
//! - [`LocalHeap`]: spec III.D "Disk Format: Level 1D - Local Heaps" ("HEAP").
//! - [`GlobalHeapCollection`]: spec III.E "Disk Format: Level 1E - Global Heap" ("GCOL").
//! - [`FractalHeap`]: spec III.G "Disk Format: Level 1G - Fractal Heap" ("FRHP", "FHDB",
//!   "FHIB"), with managed, tiny and huge objects and deflate-filtered blocks.
//!
//! Every structure is encoded beside its decoder (`encode(&self, w: &mut Writer)`, an encoded
//! size, a decode from bytes), with the pure operations an in-place writer needs: local heap
//! name insert (libhdf5's free-list placement and growth), global heap object insert, a new
//! fractal heap with a root direct block, appended managed objects and tiny IDs.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod fractal;
pub mod global;
pub mod local;

mod filter;

pub use fractal::{ChildDirectBlock, DirectBlock, FractalHeap, FractalHeapParams, HeapId, IndirectBlock};
pub use global::{GlobalHeapCollection, GlobalHeapId, GlobalHeapObject};
pub use local::{LocalHeap, LocalHeapFreeBlock, LocalHeapHeader, LocalHeapInsert};

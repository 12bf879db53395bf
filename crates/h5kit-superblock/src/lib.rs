//! HDF5 superblock (spec II.A "Disk Format: Level 0A - Format Signature and Superblock").
pub mod symbol_table_entry;
pub use symbol_table_entry::{ScratchPad, SymbolTableEntry};

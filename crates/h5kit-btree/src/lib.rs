//! HDF5 B-trees and chunk indexes.
//!
//! - [`v1`]: version 1 B-trees (spec III.A.1 "Disk Format: Level 1A1 - Version 1 B-trees"):
//!   group trees (node type 0, with the symbol table nodes of III.B "Disk Format: Level 1B -
//!   Group Symbol Table Nodes") and chunk trees (node type 1).
//! - [`v2`]: version 2 B-trees (spec III.A.2 "Disk Format: Level 1A2 - Version 2 B-trees"),
//!   record types 1 to 11.
//! - [`fixed_array`]: the fixed array chunk index (spec VII.C "The Fixed Array Index").
//! - [`extensible_array`]: the extensible array chunk index (spec VII.D "The Extensible Array
//!   Index").
//!
//! - [`element`]: the chunk elements and data block pages the two arrays share.
//!
//! The single chunk (VII.A) and implicit (VII.B) indexes have no on-disk structure beyond the
//! address in the layout message and need no parser here.
//!
//! Every structure is a typed value with `decode` (from a [`h5kit_core::Reader`]), `encode`
//! (to a [`h5kit_core::Writer`], byte-identical to what libhdf5 writes, checksums included)
//! and `encoded_size`. Beside them, pure functions for the writer: where an element lives and
//! which blocks must be created ([`extensible_array::Geometry`],
//! [`fixed_array::FixedArrayHeader::locate`]), and inserts that return the nodes to write
//! ([`v1::insert_chunk`], [`v2::BTreeV2::insert`] / [`v2::BTreeV2::update`]), with libhdf5's
//! split rules, so that editing a file in place gives the bytes libhdf5 would have written.
//!
//! Every walk is bounded: node levels must strictly decrease, depth is checked against
//! [`h5kit_core::Limits::max_depth`], visited node addresses are remembered to detect cycles,
//! the number of nodes and records is bounded by [`h5kit_core::Limits::max_items`].
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod element;
pub mod extensible_array;
pub mod fixed_array;
pub mod v1;
pub mod v2;

mod util;

//! HDF5 object headers (spec IV.A.1) and their messages (spec IV.A.2).
pub mod message;
pub use message::types::*;

//! HDF5 object headers (spec IV.A.1 "Disk Format: Level 2A1 - Data Object Header Prefix"),
//! their messages (spec IV.A.2 "Disk Format: Level 2A2 - Data Object Header Messages") and the
//! shared object header message table (spec III.I "Disk Format: Level 1I - Shared Object Header
//! Message Table").
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod header;
pub mod message;
pub mod sohm;

pub use header::{
    chunk_size_flags, encode_chunk, encode_message_area, message_prefix_size, message_space, messages_fit, HeaderChunk, HeaderTimes,
    known_message_type, refuse_unknown, ObjectHeader, RawMessage, FLAG_FAIL_IF_UNKNOWN_ALWAYS,
    FLAG_FAIL_IF_UNKNOWN_AND_OPEN_FOR_WRITE,
};
pub use message::types::*;
pub use message::attribute::attribute_message_name;
pub use message::{
    decode_message, decode_shared, encode_message, encode_shared, message_flags, message_size, msg_type, shared_size, FLAG_SHARED,
    MAX_MESSAGE_SIZE,
};
pub use sohm::{SharedMessageIndex, SharedMessageTable};

//! Header messages (spec IV.A.2): types, and (to come) one decoder per message type.
pub mod types;
pub use types::*;

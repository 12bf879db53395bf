//! The shared message encoding (spec IV.A.2 "Data Object Header Messages", "Shared Message"
//! versions 1, 2 and 3): the body of a message whose header flags have bit 1 ("shared") set.
//!
//! - Version 1: version, type, 2+4 reserved bytes, object header address (a committed message).
//! - Version 2: version, type, object header address.
//! - Version 3: version, type, then for type 1 ("shared": in the file's SOHM fractal heap) an
//!   8-byte heap ID, for type 2 ("committed") an object header address. Types 0 ("not shared")
//!   and 3 ("shareable but not shared") never appear under the shared flag; they are rejected.

use h5kit_core::{Error, Reader, Result};

use super::types::SharedLocation;

/// Decodes a shared message body.
pub fn decode_shared(r: &mut Reader) -> Result<SharedLocation> {
    let at = r.address();
    let version = r.u8()?;
    let kind = r.u8()?;
    match version {
        1 | 2 => {
            if version == 1 {
                r.skip(6)?;
            }
            let address = r.offset()?;
            Ok(SharedLocation::ObjectHeader { address })
        }
        3 => match kind {
            1 => Ok(SharedLocation::SharedHeap { heap_id: r.array::<8>()? }),
            2 => Ok(SharedLocation::ObjectHeader { address: r.offset()? }),
            t => Err(Error::format(at, format!("shared message of type {} (not shared) under the shared flag", t))),
        },
        v => Err(Error::format(at, format!("unknown shared message version {}", v))),
    }
}

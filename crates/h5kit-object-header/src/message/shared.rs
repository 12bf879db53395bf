//! The shared message encoding (spec IV.A.2 "Data Object Header Messages", "Shared Message"
//! versions 1, 2 and 3): the body of a message whose header flags have bit 1 ("shared") set.
//!
//! - Version 1 (libhdf5 1.6 and earlier): version, type (unused), 6 reserved bytes, then a
//!   symbol table entry's link name offset (size of lengths, unused) and the object header
//!   address of the committed message. The spec's layout omits the name offset; libhdf5's
//!   `H5O__shared_decode` skips it (`H5F_SIZEOF_SIZE`), and 1.6's files have it.
//! - Version 2: version, type, object header address.
//! - Version 3: version, type, then for type 1 ("shared": in the file's SOHM fractal heap) an
//!   8-byte heap ID, for type 2 ("committed") an object header address. Types 0 ("not shared")
//!   and 3 ("shareable but not shared") never appear under the shared flag; they are rejected.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

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
                r.length()?;
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

/// Encodes a shared message body as libhdf5 (1.8 and later) writes it: version 3 type 1 with
/// the heap ID for a message in the SOHM heap, version 2 type 2 with the object header address
/// for a committed message (`H5O__shared_encode`).
pub fn encode_shared(location: &SharedLocation, w: &mut Writer) -> Result<()> {
    match location {
        SharedLocation::SharedHeap { heap_id } => {
            w.u8(3);
            w.u8(1);
            w.bytes(heap_id);
            Ok(())
        }
        SharedLocation::ObjectHeader { address } => {
            w.u8(2);
            w.u8(2);
            w.offset(*address)
        }
    }
}

/// Size of [`encode_shared`]'s output.
pub fn shared_size(location: &SharedLocation, sizes: Sizes) -> usize {
    match location {
        SharedLocation::SharedHeap { .. } => 2 + 8,
        SharedLocation::ObjectHeader { .. } => 2 + usize::from(sizes.offset),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn version_1_skips_the_name_offset() {
        // 1.6-style: version 1, type 0, 6 reserved, name offset (lengths of 4 bytes here),
        // address (offsets of 8 bytes).
        let mut b = vec![1u8, 0, 0, 0, 0, 0, 0, 0];
        b.extend(7u32.to_le_bytes());
        b.extend(800u64.to_le_bytes());
        let sizes = Sizes::new(8, 4).unwrap();
        let mut r = Reader::new(&b, 0, sizes);
        assert_eq!(decode_shared(&mut r).unwrap(), SharedLocation::ObjectHeader { address: 800 });
        // Truncated before the address: an error.
        assert!(decode_shared(&mut Reader::new(&b[..14], 0, sizes)).is_err());
        // Version 2: no reserved bytes, no name offset.
        let v2 = [2u8, 2, 0x20, 3, 0, 0, 0, 0, 0, 0];
        assert_eq!(decode_shared(&mut Reader::new(&v2, 0, Sizes::new(8, 8).unwrap())).unwrap(), SharedLocation::ObjectHeader { address: 800 });
    }
}

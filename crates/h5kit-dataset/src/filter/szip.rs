//! The szip filter (id 4, spec IV.A.2.l; libhdf5's `H5Zszip.c`): an adapter from the filter
//! pipeline to the pure-Rust coder of crate `h5kit-szip` (see that crate and
//! spec-notes/szip.md): errors become h5kit errors at the chunk's address, the declared size
//! is checked against the limits, `set_local` reads the datatype.

use h5kit_core::{Error, Limits, Result};
use h5kit_object_header::{ByteOrder, Datatype, TypeClass};
use h5kit_szip::hdf5::{self, TypeInfo};

use super::check_size;

fn err(at: u64, e: h5kit_szip::Error) -> Error {
    Error::format(at, format!("szip: {}", e))
}

/// Decodes one szip chunk.
pub fn decode(data: &[u8], cd: &[u32], limits: &Limits, at: u64) -> Result<Vec<u8>> {
    let n = hdf5::declared_size(data).map_err(|e| err(at, e))?;
    let max = check_size(limits, u64::from(n), at, "szip output")?;
    hdf5::decode_chunk(cd, data, max).map_err(|e| err(at, e))
}

/// Encodes one chunk; `None` when it does not shrink (the filter fails, as in libhdf5).
pub fn encode(data: &[u8], cd: &[u32]) -> Result<Option<Vec<u8>>> {
    hdf5::encode_chunk(cd, data).map_err(|e| Error::unsupported(0, format!("szip: {}", e)))
}

/// What libhdf5's `H5T_get_size/precision/offset/order` give for `dt`.
fn type_info(dt: &Datatype) -> TypeInfo {
    let order = |o: &ByteOrder| match o {
        ByteOrder::LittleEndian => Some(false),
        ByteOrder::BigEndian => Some(true),
        _ => None,
    };
    let (precision, offset, big_endian) = match &dt.class {
        TypeClass::Integer { order: o, bit_offset, precision, .. }
        | TypeClass::Float { order: o, bit_offset, precision, .. }
        | TypeClass::Bitfield { order: o, bit_offset, precision, .. } => (u32::from(*precision), u32::from(*bit_offset), order(o)),
        TypeClass::Enum { base, .. } => return TypeInfo { size: dt.size, ..type_info(base) },
        _ => (dt.size.saturating_mul(8), 0, None),
    };
    TypeInfo { size: dt.size, precision, offset, big_endian }
}

/// The 4 client data values libhdf5 stores (`H5Z__set_local_szip`) from the user's
/// `[options mask, pixels per block]`.
pub fn set_local(cd: &[u32], dt: &Datatype, chunk: &[u64]) -> Result<Vec<u32>> {
    hdf5::set_local(cd, &type_info(dt), chunk).map(|v| v.to_vec()).map_err(|e| Error::usage(e.message))
}

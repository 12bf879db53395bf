//! The datatype message (spec IV.A.2.d "The Datatype Message"): all classes 0-11, datatype
//! versions 1-5.
//!
//! Version notes (spec "Class and Version"): version 1 compound members may carry array
//! dimensions (decoded here as an [`TypeClass::Array`] member type, as libhdf5 does); version 3
//! packs compound/enum names without padding and stores compound member offsets in the fewest
//! bytes that can hold the datatype size; version 4 encodes the revised reference types;
//! version 5 adds the complex class.

use h5kit_core::{Error, Reader, Result};

use super::types::{
    ByteOrder, CharacterSet, CompoundMember, Datatype, MantissaNorm, ReferenceKind, StringPadding, TypeClass,
};

/// Deepest nesting of datatypes (compound in array in vlen ...) accepted.
pub const MAX_DATATYPE_DEPTH: u32 = 64;

/// Bytes of a name padded with NULs to a multiple of 8 (versions 1-2 of compound/enum names),
/// counting from the name's first byte. Returns the name (up to its NUL).
pub(crate) fn padded_name<'a>(r: &mut Reader<'a>, what: &str) -> Result<&'a [u8]> {
    let at = r.address();
    let name = r.cstr().map_err(|e| e.context(what))?;
    let used = name.len().checked_add(1).ok_or_else(|| Error::format(at, "name too long"))?;
    let pad = (8 - used % 8) % 8;
    // The padding may be cut short at the very end of a message.
    let pad = pad.min(r.remaining());
    r.skip(pad)?;
    Ok(name)
}

fn string_padding(v: u32, at: u64) -> Result<StringPadding> {
    match v {
        0 => Ok(StringPadding::NullTerminate),
        1 => Ok(StringPadding::NullPad),
        2 => Ok(StringPadding::SpacePad),
        _ => Err(Error::format(at, format!("reserved string padding type {}", v))),
    }
}

pub(crate) fn character_set(v: u32, at: u64) -> Result<CharacterSet> {
    match v {
        0 => Ok(CharacterSet::Ascii),
        1 => Ok(CharacterSet::Utf8),
        _ => Err(Error::format(at, format!("reserved character set {}", v))),
    }
}

fn simple_order(bits: u32) -> ByteOrder {
    if bits & 1 != 0 {
        ByteOrder::BigEndian
    } else {
        ByteOrder::LittleEndian
    }
}

/// Lossy UTF-8 of a name (names are ASCII or UTF-8; never fail on odd bytes).
pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Datatype {
    /// Decodes one datatype message (and, recursively, its member/base types) from `r`.
    pub fn decode(r: &mut Reader) -> Result<Datatype> {
        decode_at_depth(r, 0)
    }

    /// Encoded size in bytes of one element (`Datatype::size`), as u64.
    pub fn element_size(&self) -> u64 {
        u64::from(self.size)
    }
}

fn decode_at_depth(r: &mut Reader, depth: u32) -> Result<Datatype> {
    let at = r.address();
    if depth > MAX_DATATYPE_DEPTH {
        return Err(Error::limit(at, format!("datatype nested deeper than {}", MAX_DATATYPE_DEPTH)));
    }
    let class_version = r.u8()?;
    let version = class_version >> 4;
    let class = class_version & 0x0f;
    let b = r.array::<3>()?;
    let bits = u32::from(b[0]) | (u32::from(b[1]) << 8) | (u32::from(b[2]) << 16);
    let size = r.u32()?;
    if !(1..=5).contains(&version) {
        return Err(Error::format(at, format!("unknown datatype version {}", version)));
    }
    let class = match class {
        0 => {
            let bit_offset = r.u16()?;
            let precision = r.u16()?;
            TypeClass::Integer {
                order: simple_order(bits),
                signed: bits & 0x08 != 0,
                bit_offset,
                precision,
                pad_lo: bits & 0x02 != 0,
                pad_hi: bits & 0x04 != 0,
            }
        }
        1 => {
            let order = match (bits & 0x01 != 0, bits & 0x40 != 0) {
                (false, false) => ByteOrder::LittleEndian,
                (true, false) => ByteOrder::BigEndian,
                (true, true) => ByteOrder::Vax,
                (false, true) => return Err(Error::format(at, "reserved floating-point byte order (bit 6 without bit 0)")),
            };
            let mantissa_norm = match (bits >> 4) & 0x03 {
                0 => MantissaNorm::None,
                1 => MantissaNorm::MsbSet,
                2 => MantissaNorm::Implied,
                _ => return Err(Error::format(at, "reserved mantissa normalization 3")),
            };
            let bit_offset = r.u16()?;
            let precision = r.u16()?;
            let exponent_location = r.u8()?;
            let exponent_size = r.u8()?;
            let mantissa_location = r.u8()?;
            let mantissa_size = r.u8()?;
            let exponent_bias = r.u32()?;
            TypeClass::Float {
                order,
                bit_offset,
                precision,
                pad_lo: bits & 0x02 != 0,
                pad_hi: bits & 0x04 != 0,
                pad_internal: bits & 0x08 != 0,
                mantissa_norm,
                sign_location: ((bits >> 8) & 0xff) as u8,
                exponent_location,
                exponent_size,
                mantissa_location,
                mantissa_size,
                exponent_bias,
            }
        }
        2 => {
            let precision = r.u16()?;
            TypeClass::Time { order: simple_order(bits), precision }
        }
        3 => TypeClass::String { padding: string_padding(bits & 0x0f, at)?, charset: character_set((bits >> 4) & 0x0f, at)? },
        4 => {
            let bit_offset = r.u16()?;
            let precision = r.u16()?;
            TypeClass::Bitfield {
                order: simple_order(bits),
                bit_offset,
                precision,
                pad_lo: bits & 0x02 != 0,
                pad_hi: bits & 0x04 != 0,
            }
        }
        5 => {
            let tag_len = (bits & 0xff) as usize;
            let tag = r.bytes(tag_len)?;
            let end = tag.iter().position(|&c| c == 0).unwrap_or(tag.len());
            TypeClass::Opaque { tag: text(tag.get(..end).unwrap_or(tag)) }
        }
        6 => decode_compound(r, version, bits, size, depth)?,
        7 => {
            let kind = match bits & 0x0f {
                0 => ReferenceKind::Object,
                1 => ReferenceKind::DatasetRegion,
                2 => ReferenceKind::Object2,
                3 => ReferenceKind::DatasetRegion2,
                4 => ReferenceKind::Attribute,
                k => return Err(Error::format(at, format!("reserved reference type {}", k))),
            };
            TypeClass::Reference { kind }
        }
        8 => {
            let count = (bits & 0xffff) as usize;
            let base = decode_at_depth(r, depth + 1)?;
            let mut names = Vec::new();
            for _ in 0..count {
                let name = if version < 3 { padded_name(r, "enum member name")? } else { r.cstr()? };
                names.push(text(name));
            }
            let value_size = base.size as usize;
            let mut members = Vec::new();
            for name in names {
                members.push((name, r.bytes(value_size)?.to_vec()));
            }
            TypeClass::Enum { base: Box::new(base), members }
        }
        9 => {
            let base = decode_at_depth(r, depth + 1)?;
            match bits & 0x0f {
                0 => TypeClass::VarLenSequence { base: Box::new(base) },
                1 => TypeClass::VarLenString {
                    padding: string_padding((bits >> 4) & 0x0f, at)?,
                    charset: character_set((bits >> 8) & 0x0f, at)?,
                    base: Box::new(base),
                },
                t => return Err(Error::format(at, format!("reserved variable-length type {}", t))),
            }
        }
        10 => {
            let rank = r.u8()? as usize;
            if version < 3 {
                r.skip(3)?;
            }
            let mut dims = Vec::new();
            for _ in 0..rank {
                dims.push(r.u32()?);
            }
            if version < 3 {
                // Permutation indices (never implemented by libhdf5): skipped.
                r.skip(rank.checked_mul(4).ok_or_else(|| r.error("array rank overflow"))?)?;
            }
            let base = decode_at_depth(r, depth + 1)?;
            TypeClass::Array { dims, base: Box::new(base) }
        }
        11 => {
            let base = decode_at_depth(r, depth + 1)?;
            TypeClass::Complex { base: Box::new(base) }
        }
        c => return Err(Error::unsupported(at, format!("unknown datatype class {}", c))),
    };
    Ok(Datatype { version, size, class })
}

/// Bytes needed for a compound member offset in datatype version 3: the fewest bytes that can
/// hold the compound's size (libhdf5 `H5VM_limit_enc_size`).
fn offset_width(size: u32) -> usize {
    match size {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        0x1_0000..=0xff_ffff => 3,
        _ => 4,
    }
}

fn decode_compound(r: &mut Reader, version: u8, bits: u32, size: u32, depth: u32) -> Result<TypeClass> {
    let count = (bits & 0xffff) as usize;
    let mut members = Vec::new();
    for _ in 0..count {
        let member_at = r.address();
        let name = if version < 3 { padded_name(r, "compound member name")? } else { r.cstr()? };
        let name = text(name);
        let byte_offset = if version < 3 { u64::from(r.u32()?) } else { r.uint(offset_width(size))? };
        let mut array_dims = Vec::new();
        if version == 1 {
            let rank = r.u8()? as usize;
            r.skip(3)?; // reserved
            r.skip(4)?; // dimension permutation
            r.skip(4)?; // reserved
            let mut dims = [0u32; 4];
            for d in dims.iter_mut() {
                *d = r.u32()?;
            }
            if rank > 4 {
                return Err(Error::format(member_at, format!("compound member {:?} has {} dimensions (at most 4)", name, rank)));
            }
            array_dims = dims.get(..rank).unwrap_or(&[]).to_vec();
        }
        let mut datatype = decode_at_depth(r, depth + 1)?;
        if !array_dims.is_empty() {
            // A version 1 array member: an array datatype of the member type.
            let total = array_dims
                .iter()
                .try_fold(datatype.size, |acc, &d| acc.checked_mul(d))
                .ok_or_else(|| Error::format(member_at, "compound array member size overflows"))?;
            datatype = Datatype {
                version: 1,
                size: total,
                class: TypeClass::Array { dims: array_dims, base: Box::new(datatype) },
            };
        }
        members.push(CompoundMember { name, byte_offset, datatype });
    }
    Ok(TypeClass::Compound { members })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use h5kit_core::Sizes;

    fn dt(bytes: &[u8]) -> Result<Datatype> {
        Datatype::decode(&mut Reader::new(bytes, 0, Sizes::default()))
    }

    #[test]
    fn little_endian_i32() {
        let t = dt(&[0x10, 0x08, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0]).unwrap();
        assert_eq!(t.size, 4);
        assert_eq!(
            t.class,
            TypeClass::Integer {
                order: ByteOrder::LittleEndian,
                signed: true,
                bit_offset: 0,
                precision: 32,
                pad_lo: false,
                pad_hi: false
            }
        );
    }

    #[test]
    fn truncated_and_hostile_input_errors() {
        assert!(dt(&[0x10, 0x08, 0, 0, 4, 0, 0]).is_err());
        assert!(dt(&[0x0c, 0, 0, 0, 4, 0, 0, 0]).is_err()); // class 12
        assert!(dt(&[0x00, 0, 0, 0, 4, 0, 0, 0]).is_err()); // version 0
        // Deeply nested variable-length sequences: limited, no stack overflow.
        let nested = [0x19u8, 0, 0, 0, 8, 0, 0, 0].repeat(200);
        assert_eq!(dt(&nested).unwrap_err().kind, h5kit_core::ErrorKind::Limit);
        // Enum claiming 65535 members in a few bytes.
        assert!(dt(&[0x38, 0xff, 0xff, 0, 4, 0, 0, 0, 0x10, 0, 0, 0, 4, 0, 0, 0, 0, 0, 32, 0]).is_err());
    }
}

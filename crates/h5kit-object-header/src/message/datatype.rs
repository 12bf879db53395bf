//! The datatype message (spec IV.A.2.d "The Datatype Message"): all classes 0-11, datatype
//! versions 1-5.
//!
//! Version notes (spec "Class and Version"): version 1 compound members may carry array
//! dimensions (decoded here as an [`TypeClass::Array`] member type, as libhdf5 does); version 3
//! packs compound/enum names without padding and stores compound member offsets in the fewest
//! bytes that can hold the datatype size; version 4 encodes the revised reference types;
//! version 5 adds the complex class.

use h5kit_core::{Error, Reader, Result, Sizes, Writer};

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

    /// 4 or 8 when this is an IEEE 754 binary32 / binary64 float by its bit fields (sign,
    /// exponent and mantissa places and sizes, bias, implied leading bit, no bit offset), in
    /// whatever byte order; the padding flags and the order are the caller's to check.
    pub fn ieee_float_size(&self) -> Option<u32> {
        let TypeClass::Float {
            bit_offset: 0,
            precision,
            mantissa_norm: MantissaNorm::Implied,
            sign_location,
            exponent_location,
            exponent_size,
            mantissa_location: 0,
            mantissa_size,
            exponent_bias,
            ..
        } = &self.class
        else {
            return None;
        };
        let fields = (*precision, *sign_location, *exponent_location, *exponent_size, *mantissa_size, *exponent_bias);
        match self.size {
            4 if fields == (32, 31, 23, 8, 23, 127) => Some(4),
            8 if fields == (64, 63, 52, 11, 52, 1023) => Some(8),
            _ => None,
        }
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

fn order_bit(order: ByteOrder, what: &str) -> Result<u32> {
    match order {
        ByteOrder::LittleEndian => Ok(0),
        ByteOrder::BigEndian => Ok(1),
        ByteOrder::Vax => Err(Error::usage(format!("VAX byte order is only defined for floating-point types, not {}", what))),
    }
}

fn padding_bits(p: StringPadding) -> u32 {
    match p {
        StringPadding::NullTerminate => 0,
        StringPadding::NullPad => 1,
        StringPadding::SpacePad => 2,
    }
}

pub(crate) fn charset_bits(c: CharacterSet) -> u32 {
    match c {
        CharacterSet::Ascii => 0,
        CharacterSet::Utf8 => 1,
    }
}

/// Bytes of a NUL-terminated name padded with NULs to a multiple of 8 (versions 1-2).
pub(crate) fn padded_name_size(name: &str) -> usize {
    (name.len() + 1).div_ceil(8) * 8
}

/// Writes a NUL-terminated name, padded to a multiple of 8 bytes when `pad`.
pub(crate) fn write_name(w: &mut Writer, name: &str, pad: bool, what: &str) -> Result<()> {
    if name.as_bytes().contains(&0) {
        return Err(Error::usage(format!("{} {:?} contains a NUL byte", what, name)));
    }
    w.cstr(name.as_bytes());
    if pad {
        w.zeros(padded_name_size(name) - name.len() - 1);
    }
    Ok(())
}

/// Stored length of an opaque tag: the tag padded with NULs to a multiple of 8 (libhdf5
/// `H5O__dtype_encode_helper`; a tag of 8 bytes has no terminating NUL).
fn opaque_tag_size(tag: &str) -> usize {
    tag.len().div_ceil(8) * 8
}

fn member_count(n: usize, what: &str) -> Result<u32> {
    u16::try_from(n).map(u32::from).map_err(|_| Error::usage(format!("{} with {} members (at most 65535)", what, n)))
}

/// A version 1 compound member stored with array dimensions (decoded as an array datatype of
/// version 1): its dimensions and element type.
fn v1_array_member(t: &Datatype) -> Option<(&[u32], &Datatype)> {
    match &t.class {
        TypeClass::Array { dims, base } if t.version == 1 => Some((dims, base)),
        _ => None,
    }
}

impl Datatype {
    /// Encodes the datatype message body (and, recursively, member and base types) as
    /// libhdf5's `H5O__dtype_encode_helper` does for the stored version.
    pub fn encode(&self, w: &mut Writer) -> Result<()> {
        encode_at_depth(self, w, 0)
    }

    /// Size of [`Datatype::encode`]'s output (datatypes hold no addresses or lengths: the
    /// same for all `sizes`).
    pub fn encoded_size(&self, _sizes: Sizes) -> usize {
        self.body_size()
    }

    fn body_size(&self) -> usize {
        8 + match &self.class {
            TypeClass::Integer { .. } | TypeClass::Bitfield { .. } => 4,
            TypeClass::Float { .. } => 12,
            TypeClass::Time { .. } => 2,
            TypeClass::String { .. } | TypeClass::Reference { .. } => 0,
            TypeClass::Opaque { tag } => opaque_tag_size(tag),
            TypeClass::Compound { members } => members
                .iter()
                .map(|m| {
                    let name = if self.version < 3 { padded_name_size(&m.name) } else { m.name.len() + 1 };
                    let offset = if self.version < 3 { 4 } else { offset_width(self.size) };
                    let (v1, t) = match (self.version, v1_array_member(&m.datatype)) {
                        (1, Some((_, base))) => (28, base),
                        (1, None) => (28, &m.datatype),
                        _ => (0, &m.datatype),
                    };
                    name + offset + v1 + t.body_size()
                })
                .sum(),
            TypeClass::Enum { base, members } => {
                let names: usize = members
                    .iter()
                    .map(|(n, _)| if self.version < 3 { padded_name_size(n) } else { n.len() + 1 })
                    .sum();
                base.body_size() + names + members.len() * base.size as usize
            }
            TypeClass::VarLenSequence { base } | TypeClass::VarLenString { base, .. } | TypeClass::Complex { base } => {
                base.body_size()
            }
            TypeClass::Array { dims, base } => {
                let per_dim = if self.version < 3 { 8 } else { 4 };
                let reserved = if self.version < 3 { 3 } else { 0 };
                1 + reserved + dims.len() * per_dim + base.body_size()
            }
        }
    }
}

fn encode_at_depth(t: &Datatype, w: &mut Writer, depth: u32) -> Result<()> {
    if depth > MAX_DATATYPE_DEPTH {
        return Err(Error::usage(format!("datatype nested deeper than {}", MAX_DATATYPE_DEPTH)));
    }
    if !(1..=5).contains(&t.version) {
        return Err(Error::usage(format!("unknown datatype version {}", t.version)));
    }
    let pads = |lo: bool, hi: bool| (u32::from(lo) << 1) | (u32::from(hi) << 2);
    let (class, bits) = match &t.class {
        TypeClass::Integer { order, signed, pad_lo, pad_hi, .. } => {
            (0, order_bit(*order, "integers")? | pads(*pad_lo, *pad_hi) | (u32::from(*signed) << 3))
        }
        TypeClass::Float { order, pad_lo, pad_hi, pad_internal, mantissa_norm, sign_location, .. } => {
            let order = match order {
                ByteOrder::LittleEndian => 0,
                ByteOrder::BigEndian => 0x01,
                ByteOrder::Vax => 0x41,
            };
            let norm = match mantissa_norm {
                MantissaNorm::None => 0,
                MantissaNorm::MsbSet => 1,
                MantissaNorm::Implied => 2,
            };
            (1, order | pads(*pad_lo, *pad_hi) | (u32::from(*pad_internal) << 3) | (norm << 4) | (u32::from(*sign_location) << 8))
        }
        TypeClass::Time { order, .. } => (2, order_bit(*order, "time types")?),
        TypeClass::String { padding, charset } => (3, padding_bits(*padding) | (charset_bits(*charset) << 4)),
        TypeClass::Bitfield { order, pad_lo, pad_hi, .. } => (4, order_bit(*order, "bitfields")? | pads(*pad_lo, *pad_hi)),
        TypeClass::Opaque { tag } => {
            if tag.len() > 255 || tag.as_bytes().contains(&0) {
                return Err(Error::usage(format!("opaque tag of {} bytes (at most 255, no NUL)", tag.len())));
            }
            (5, opaque_tag_size(tag) as u32)
        }
        TypeClass::Compound { members } => (6, member_count(members.len(), "compound")?),
        TypeClass::Reference { kind } => (
            7,
            match kind {
                ReferenceKind::Object => 0,
                ReferenceKind::DatasetRegion => 1,
                // Revised references carry their encoding version (1) in bits 4-7.
                ReferenceKind::Object2 => 0x12,
                ReferenceKind::DatasetRegion2 => 0x13,
                ReferenceKind::Attribute => 0x14,
            },
        ),
        TypeClass::Enum { members, .. } => (8, member_count(members.len(), "enumeration")?),
        TypeClass::VarLenSequence { .. } => (9, 0),
        TypeClass::VarLenString { padding, charset, .. } => (9, 1 | (padding_bits(*padding) << 4) | (charset_bits(*charset) << 8)),
        TypeClass::Array { .. } => (10, 0),
        // Bit 0: homogeneous (both parts the base type); form 0: rectangular.
        TypeClass::Complex { .. } => (11, 1),
    };
    w.u8((t.version << 4) | class);
    w.bytes(bits.to_le_bytes().get(..3).unwrap_or(&[]));
    w.u32(t.size);
    match &t.class {
        TypeClass::Integer { bit_offset, precision, .. } | TypeClass::Bitfield { bit_offset, precision, .. } => {
            w.u16(*bit_offset);
            w.u16(*precision);
        }
        TypeClass::Float {
            bit_offset,
            precision,
            exponent_location,
            exponent_size,
            mantissa_location,
            mantissa_size,
            exponent_bias,
            ..
        } => {
            w.u16(*bit_offset);
            w.u16(*precision);
            w.u8(*exponent_location);
            w.u8(*exponent_size);
            w.u8(*mantissa_location);
            w.u8(*mantissa_size);
            w.u32(*exponent_bias);
        }
        TypeClass::Time { precision, .. } => w.u16(*precision),
        TypeClass::String { .. } | TypeClass::Reference { .. } => {}
        TypeClass::Opaque { tag } => {
            w.bytes(tag.as_bytes());
            w.zeros(opaque_tag_size(tag) - tag.len());
        }
        TypeClass::Compound { members } => {
            for m in members {
                write_name(w, &m.name, t.version < 3, "compound member name")?;
                if t.version < 3 {
                    let offset = u32::try_from(m.byte_offset)
                        .map_err(|_| Error::usage(format!("compound member offset {} too large", m.byte_offset)))?;
                    w.u32(offset);
                } else {
                    w.uint(m.byte_offset, offset_width(t.size))?;
                }
                let mut member_type = &m.datatype;
                if t.version == 1 {
                    let (dims, base) = v1_array_member(&m.datatype).unwrap_or((&[], &m.datatype));
                    if dims.len() > 4 {
                        return Err(Error::usage(format!("version 1 compound member with {} dimensions (at most 4)", dims.len())));
                    }
                    if !dims.is_empty() && dims.iter().try_fold(base.size, |a, &d| a.checked_mul(d)) != Some(m.datatype.size) {
                        return Err(Error::usage(format!("version 1 compound array member {:?}: size is not the dimensions' product", m.name)));
                    }
                    w.u8(dims.len() as u8);
                    w.zeros(3 + 4 + 4);
                    for i in 0..4 {
                        w.u32(dims.get(i).copied().unwrap_or(0));
                    }
                    member_type = base;
                }
                encode_at_depth(member_type, w, depth + 1)?;
            }
        }
        TypeClass::Enum { base, members } => {
            encode_at_depth(base, w, depth + 1)?;
            for (name, _) in members {
                write_name(w, name, t.version < 3, "enumeration member name")?;
            }
            for (name, value) in members {
                if value.len() != base.size as usize {
                    return Err(Error::usage(format!(
                        "enumeration member {:?} value has {} bytes, its base type {}",
                        name,
                        value.len(),
                        base.size
                    )));
                }
                w.bytes(value);
            }
        }
        TypeClass::VarLenSequence { base } | TypeClass::VarLenString { base, .. } | TypeClass::Complex { base } => {
            encode_at_depth(base, w, depth + 1)?;
        }
        TypeClass::Array { dims, base } => {
            if t.version < 2 {
                return Err(Error::usage("array datatypes need datatype version 2 or later"));
            }
            let rank = u8::try_from(dims.len()).map_err(|_| Error::usage(format!("array of rank {}", dims.len())))?;
            w.u8(rank);
            if t.version < 3 {
                w.zeros(3);
            }
            for &d in dims {
                w.u32(d);
            }
            if t.version < 3 {
                // Dimension permutation (never implemented by libhdf5): the identity.
                for i in 0..u32::from(rank) {
                    w.u32(i);
                }
            }
            encode_at_depth(base, w, depth + 1)?;
        }
    }
    Ok(())
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

//! Constructors for common datatypes (spec IV.A.2.d "The Datatype Message"), matching what
//! h5py/numpy produce (little-endian IEEE floats, two's-complement integers, ...).

use h5kit_object_header::{
    ByteOrder, CharacterSet, CompoundMember, Datatype, MantissaNorm, ReferenceKind, StringPadding, TypeClass,
};

/// Integer of `size` bytes (1, 2, 4, 8), little-endian.
pub fn int(size: u32, signed: bool) -> Datatype {
    int_order(size, signed, ByteOrder::LittleEndian)
}

/// Integer with an explicit byte order.
pub fn int_order(size: u32, signed: bool, order: ByteOrder) -> Datatype {
    Datatype {
        version: 1,
        size,
        class: TypeClass::Integer { order, signed, bit_offset: 0, precision: size.saturating_mul(8).min(u16::MAX as u32) as u16, pad_lo: false, pad_hi: false },
    }
}

fn float(size: u32, order: ByteOrder) -> Datatype {
    // IEEE 754 binary16/32/64; any other size gets the binary64 layout.
    let (size, eloc, esize, msize, bias) = match size {
        2 => (2, 10, 5, 10, 15),
        4 => (4, 23, 8, 23, 127),
        _ => (8, 52, 11, 52, 1023),
    };
    Datatype {
        version: 1,
        size,
        class: TypeClass::Float {
            order,
            bit_offset: 0,
            precision: size.saturating_mul(8).min(u16::MAX as u32) as u16,
            pad_lo: false,
            pad_hi: false,
            pad_internal: false,
            mantissa_norm: MantissaNorm::Implied,
            sign_location: (size * 8 - 1) as u8,
            exponent_location: eloc,
            exponent_size: esize,
            mantissa_location: 0,
            mantissa_size: msize,
            exponent_bias: bias,
        },
    }
}

/// IEEE half float (little-endian).
pub fn float16() -> Datatype {
    float(2, ByteOrder::LittleEndian)
}
/// IEEE single (little-endian).
pub fn float32() -> Datatype {
    float(4, ByteOrder::LittleEndian)
}
/// IEEE double (little-endian).
pub fn float64() -> Datatype {
    float(8, ByteOrder::LittleEndian)
}
/// IEEE float of 2, 4 or 8 bytes (other sizes: 8) with a byte order.
pub fn float_order(size: u32, order: ByteOrder) -> Datatype {
    float(size, order)
}

/// Fixed-length string of `size` bytes (h5py `S<n>`: null-padded ASCII).
pub fn fixed_string(size: u32, padding: StringPadding, charset: CharacterSet) -> Datatype {
    Datatype { version: 1, size, class: TypeClass::String { padding, charset } }
}

/// Variable-length UTF-8 string (h5py `string_dtype()`).
pub fn vlen_string() -> Datatype {
    vlen_string_cs(CharacterSet::Utf8)
}

/// Variable-length string with a character set.
pub fn vlen_string_cs(charset: CharacterSet) -> Datatype {
    Datatype {
        version: 1,
        size: 16,
        class: TypeClass::VarLenString { padding: StringPadding::NullTerminate, charset, base: Box::new(int(1, false)) },
    }
}

/// Variable-length sequence of `base` (h5py `vlen_dtype`).
pub fn vlen_sequence(base: Datatype) -> Datatype {
    Datatype { version: 1, size: 16, class: TypeClass::VarLenSequence { base: Box::new(base) } }
}

/// Compound of (name, offset, type) members; `size` is the total element size.
pub fn compound(size: u32, members: Vec<(&str, u64, Datatype)>) -> Datatype {
    Datatype {
        version: 1,
        size,
        class: TypeClass::Compound {
            members: members
                .into_iter()
                .map(|(name, byte_offset, datatype)| CompoundMember { name: name.to_string(), byte_offset, datatype })
                .collect(),
        },
    }
}

/// Enumeration over an integer base type: (name, value) pairs.
pub fn enumeration(base: Datatype, members: Vec<(&str, i64)>) -> Datatype {
    let size = base.size;
    let members = members
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.to_le_bytes().get(..size as usize).map(|s| s.to_vec()).unwrap_or_default()))
        .collect();
    Datatype { version: 1, size, class: TypeClass::Enum { base: Box::new(base), members } }
}

/// Fixed-size array of `base`.
pub fn array(base: Datatype, dims: &[u32]) -> Datatype {
    let n: u32 = dims.iter().fold(1u32, |a, &b| a.saturating_mul(b));
    Datatype { version: 2, size: base.size.saturating_mul(n), class: TypeClass::Array { dims: dims.to_vec(), base: Box::new(base) } }
}

/// Opaque of `size` bytes with an ASCII tag.
pub fn opaque(size: u32, tag: &str) -> Datatype {
    Datatype { version: 1, size, class: TypeClass::Opaque { tag: tag.to_string() } }
}

/// Bitfield of `size` bytes, little-endian.
pub fn bitfield(size: u32) -> Datatype {
    Datatype {
        version: 1,
        size,
        class: TypeClass::Bitfield {
            order: ByteOrder::LittleEndian,
            bit_offset: 0,
            precision: size.saturating_mul(8).min(u16::MAX as u32) as u16,
            pad_lo: false,
            pad_hi: false,
        },
    }
}

/// Object reference (`H5R_OBJECT1`, 8 bytes: the object header address).
pub fn object_reference() -> Datatype {
    Datatype { version: 1, size: 8, class: TypeClass::Reference { kind: ReferenceKind::Object } }
}

/// Dataset region reference (`H5R_DATASET_REGION1`, 12 bytes: a global heap ID).
pub fn region_reference() -> Datatype {
    Datatype { version: 1, size: 12, class: TypeClass::Reference { kind: ReferenceKind::DatasetRegion } }
}

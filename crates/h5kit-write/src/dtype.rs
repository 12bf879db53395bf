//! Constructors for common datatypes (spec IV.A.2.d "The Datatype Message"), matching what
//! h5py/numpy produce (little-endian IEEE floats, two's-complement integers, ...), and where
//! variable-length data and object references sit inside a datatype's elements.

use h5kit_core::{Error, Result};
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

/// Whether any class in a datatype tree satisfies `pred`.
fn contains(dt: &Datatype, pred: &dyn Fn(&TypeClass) -> bool) -> bool {
    if pred(&dt.class) {
        return true;
    }
    match &dt.class {
        TypeClass::Compound { members } => members.iter().any(|m| contains(&m.datatype, pred)),
        TypeClass::Enum { base, .. }
        | TypeClass::VarLenSequence { base }
        | TypeClass::VarLenString { base, .. }
        | TypeClass::Array { base, .. }
        | TypeClass::Complex { base } => contains(base, pred),
        _ => false,
    }
}

/// Whether any part of the datatype is variable-length (stored in the global heap).
pub fn is_vlen(dt: &Datatype) -> bool {
    contains(dt, &|c| matches!(c, TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. }))
}

/// Byte offsets of the object references (`H5R_OBJECT1`, 8 bytes) inside compound/array
/// elements, in member order (a top-level reference type has none: it is not nested).
pub fn ref_slots(dt: &Datatype) -> Result<Vec<u64>> {
    fn walk(dt: &Datatype, base: u64, out: &mut Vec<u64>) -> Result<()> {
        match &dt.class {
            TypeClass::Reference { kind: h5kit_object_header::ReferenceKind::Object } => out.push(base),
            TypeClass::Compound { members } => {
                for m in members {
                    walk(&m.datatype, base.saturating_add(m.byte_offset), out)?;
                }
            }
            TypeClass::Array { dims, base: b } => {
                let mut inner = Vec::new();
                walk(b, 0, &mut inner)?;
                if inner.is_empty() {
                    return Ok(());
                }
                let n = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
                if n.saturating_mul(inner.len() as u64) > 1 << 20 {
                    return Err(Error::usage("too many reference slots in an array datatype"));
                }
                for i in 0..n {
                    for &o in &inner {
                        out.push(base.saturating_add(i.saturating_mul(b.size as u64)).saturating_add(o));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut out = Vec::new();
    if matches!(dt.class, TypeClass::Compound { .. } | TypeClass::Array { .. }) {
        walk(dt, 0, &mut out)?;
    }
    Ok(out)
}

/// Variable-length slots inside a fixed-size element (a compound or array containing
/// variable-length members): (byte offset in the element, base element size, is a string).
/// A top-level variable-length type has the single slot (0, base size, ..).
pub fn vl_slots(dt: &Datatype) -> Result<Vec<(u64, u32, bool)>> {
    Ok(match &dt.class {
        TypeClass::VarLenString { .. } => vec![(0, 1, true)],
        TypeClass::VarLenSequence { base } => {
            if is_vlen(base) {
                return Err(Error::new(
                    h5kit_core::ErrorKind::Unsupported,
                    "variable-length sequences of variable-length data cannot be written",
                ));
            }
            vec![(0, base.size.max(1), false)]
        }
        TypeClass::Compound { members } => {
            let mut v = Vec::new();
            for m in members {
                for (o, b, st) in vl_slots(&m.datatype)? {
                    v.push((m.byte_offset.saturating_add(o), b, st));
                }
            }
            v
        }
        TypeClass::Array { dims, base } => {
            let inner = vl_slots(base)?;
            if inner.is_empty() {
                return Ok(inner);
            }
            let n = dims.iter().fold(1u64, |a, &d| a.saturating_mul(d as u64));
            if n.saturating_mul(inner.len() as u64) > 1 << 20 {
                return Err(Error::usage("too many variable-length slots in an array datatype"));
            }
            let mut v = Vec::new();
            for i in 0..n {
                for &(o, b, st) in &inner {
                    v.push((i * base.size as u64 + o, b, st));
                }
            }
            v
        }
        _ => Vec::new(),
    })
}

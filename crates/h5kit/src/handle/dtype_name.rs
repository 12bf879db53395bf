//! Datatypes named as h5dump names them (`H5T_STD_I64LE`, `H5T_IEEE_F32BE`, `H5T_STRING`,
//! `H5T_COMPOUND { ... }`), for error messages: spec IV.A.2.d "The Datatype Message" gives the
//! fields the names stand for. One line, no Rust debug output.

use h5kit_object_header::{ByteOrder, Datatype, TypeClass};

fn order(o: ByteOrder) -> &'static str {
    match o {
        ByteOrder::LittleEndian => "LE",
        ByteOrder::BigEndian => "BE",
        ByteOrder::Vax => "VAX",
    }
}

/// The datatype's name as h5dump prints it, on one line: predefined integers and IEEE floats
/// by name; other integers and floats by size, order and precision; strings, compounds
/// (member names and types), enums, arrays, variable-length types, references and opaque
/// types by class.
pub fn type_name(dt: &Datatype) -> String {
    let bits = dt.size.saturating_mul(8);
    match &dt.class {
        TypeClass::Integer { order: o, signed, bit_offset, precision, .. } => {
            if u32::from(*precision) == bits && *bit_offset == 0 && matches!(dt.size, 1 | 2 | 4 | 8) && *o != ByteOrder::Vax {
                format!("H5T_STD_{}{}{}", if *signed { "I" } else { "U" }, bits, order(*o))
            } else {
                format!("{}-bit {} {} integer {}-bit precision", bits, order(*o), if *signed { "signed" } else { "unsigned" }, precision)
            }
        }
        TypeClass::Float { order: o, .. } => match dt.ieee_float_size() {
            Some(n) if *o != ByteOrder::Vax => format!("H5T_IEEE_F{}{}", n * 8, order(*o)),
            _ => format!("{}-bit {} floating-point", bits, order(*o)),
        },
        TypeClass::Bitfield { order: o, .. } => format!("H5T_STD_B{}{}", bits, order(*o)),
        TypeClass::String { .. } => format!("H5T_STRING {{ STRSIZE {}; }}", dt.size),
        TypeClass::VarLenString { .. } => "H5T_STRING { STRSIZE H5T_VARIABLE; }".to_string(),
        TypeClass::Compound { members } => {
            let inner: Vec<String> = members.iter().map(|m| format!("{} \"{}\";", type_name(&m.datatype), m.name)).collect();
            format!("H5T_COMPOUND {{ {} }}", inner.join(" "))
        }
        TypeClass::Enum { base, .. } => format!("H5T_ENUM {{ {} }}", type_name(base)),
        TypeClass::Array { base, dims } => {
            let d: Vec<String> = dims.iter().map(|d| format!("[{}]", d)).collect();
            format!("H5T_ARRAY {{ {} {} }}", d.concat(), type_name(base))
        }
        TypeClass::VarLenSequence { base } => format!("H5T_VLEN {{ {} }}", type_name(base)),
        TypeClass::Reference { .. } => "H5T_REFERENCE".to_string(),
        TypeClass::Opaque { .. } => format!("H5T_OPAQUE {{ OPQ_SIZE {}; }}", dt.size),
        TypeClass::Time { .. } => "H5T_TIME".to_string(),
        TypeClass::Complex { base } => format!("H5T_COMPLEX {{ {} }}", type_name(base)),
        #[allow(unreachable_patterns)]
        _ => format!("{}-byte datatype", dt.size),
    }
}

/// Whether values of `from` convert to `to` without loss, by numpy's "safe" casting rules
/// (h5py's `require_dataset` check): integers to wider integers (unsigned to a wider signed),
/// integers to floats that hold them (up to 16 bits to single, up to 64 to double, as numpy
/// counts), floats to wider floats. Identical types always.
#[cfg(feature = "write")]
pub(crate) fn can_cast(from: &Datatype, to: &Datatype) -> bool {
    if from == to {
        return true;
    }
    match (&from.class, &to.class) {
        (TypeClass::Integer { signed: a, .. }, TypeClass::Integer { signed: b, .. }) => match (a, b) {
            (x, y) if x == y => to.size >= from.size,
            (false, true) => to.size > from.size,
            _ => false,
        },
        (TypeClass::Integer { .. }, TypeClass::Float { .. }) => match to.ieee_float_size() {
            Some(4) => from.size <= 2,
            Some(8) => from.size <= 8,
            _ => false,
        },
        (TypeClass::Float { .. }, TypeClass::Float { .. }) => {
            matches!((from.ieee_float_size(), to.ieee_float_size()), (Some(a), Some(b)) if b >= a)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_names() {
        assert_eq!(type_name(&h5kit_write_free::int(8, true)), "H5T_STD_I64LE");
    }

    /// Datatypes built here without the writer crate (read-only builds have no `dtype`).
    mod h5kit_write_free {
        use h5kit_object_header::{ByteOrder, Datatype, TypeClass};
        pub fn int(size: u32, signed: bool) -> Datatype {
            Datatype {
                class: TypeClass::Integer { order: ByteOrder::LittleEndian, signed, bit_offset: 0, precision: (size * 8) as u16, pad_lo: false, pad_hi: false },
                size,
                version: 1,
            }
        }
    }
}

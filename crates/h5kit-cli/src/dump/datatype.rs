//! h5dump's datatype text (DDL `<datatype>`; spec IV.A.2.d "The Datatype Message" gives the
//! fields). Predefined types print by name (`H5T_STD_I32LE`, `H5T_IEEE_F64BE`, ...); others as
//! h5dump 1.10.8 describes them (`32-bit little-endian integer 24-bit precision`).

use h5kit::{ByteOrder, CharacterSet, Datatype, ReferenceKind, StringPadding, TypeClass};

use super::printer::Printer;

fn order_suffix(order: ByteOrder) -> &'static str {
    match order {
        ByteOrder::LittleEndian => "LE",
        ByteOrder::BigEndian => "BE",
        ByteOrder::Vax => "VAX",
    }
}

fn order_words(order: ByteOrder, size: u32) -> &'static str {
    if size <= 1 {
        return "";
    }
    match order {
        ByteOrder::LittleEndian => " little-endian",
        ByteOrder::BigEndian => " big-endian",
        ByteOrder::Vax => " mixed-endian",
    }
}

/// Name of a predefined integer type, if `dt` is one.
fn integer_name(dt: &Datatype) -> Option<String> {
    let TypeClass::Integer { order, signed, bit_offset, precision, pad_lo, pad_hi } = &dt.class else { return None };
    let bits = u32::from(*precision);
    if !matches!(dt.size, 1 | 2 | 4 | 8) || bits != dt.size * 8 || *bit_offset != 0 || *pad_lo || *pad_hi {
        return None;
    }
    if *order == ByteOrder::Vax {
        return None;
    }
    Some(format!("H5T_STD_{}{}{}", if *signed { "I" } else { "U" }, bits, order_suffix(*order)))
}

/// Name of a predefined IEEE float type, if `dt` is one.
fn float_name(dt: &Datatype) -> Option<String> {
    let TypeClass::Float { order, pad_lo: false, pad_hi: false, pad_internal: false, .. } = &dt.class else { return None };
    if *order == ByteOrder::Vax {
        return vax_name(dt);
    }
    match dt.ieee_float_size()? {
        4 => Some(format!("H5T_IEEE_F32{}", order_suffix(*order))),
        _ => Some(format!("H5T_IEEE_F64{}", order_suffix(*order))),
    }
}

/// `H5T_VAX_F32` / `H5T_VAX_F64` (libhdf5's predefined VAX F and G floats: IEEE-like fields,
/// VAX order, exponent bias 129 / 1025), as h5dump 1.10.8 names them (`H5Tequal`).
fn vax_name(dt: &Datatype) -> Option<String> {
    let TypeClass::Float {
        bit_offset: 0,
        precision,
        sign_location,
        exponent_location,
        exponent_size,
        mantissa_location: 0,
        mantissa_size,
        exponent_bias,
        mantissa_norm: h5kit::MantissaNorm::Implied,
        ..
    } = &dt.class
    else {
        return None;
    };
    match (dt.size, *precision, *sign_location, *exponent_location, *exponent_size, *mantissa_size, *exponent_bias) {
        (4, 32, 31, 23, 8, 23, 129) => Some("H5T_VAX_F32".to_string()),
        (8, 64, 63, 52, 11, 52, 1025) => Some("H5T_VAX_F64".to_string()),
        _ => None,
    }
}

fn bitfield_name(dt: &Datatype) -> Option<String> {
    let TypeClass::Bitfield { order, bit_offset, precision, pad_lo, pad_hi } = &dt.class else { return None };
    let bits = u32::from(*precision);
    if !matches!(dt.size, 1 | 2 | 4 | 8) || bits != dt.size * 8 || *bit_offset != 0 || *pad_lo || *pad_hi {
        return None;
    }
    if *order == ByteOrder::Vax {
        return None;
    }
    Some(format!("H5T_STD_B{}{}", bits, order_suffix(*order)))
}

fn strpad(p: StringPadding) -> &'static str {
    match p {
        StringPadding::NullTerminate => "H5T_STR_NULLTERM",
        StringPadding::NullPad => "H5T_STR_NULLPAD",
        StringPadding::SpacePad => "H5T_STR_SPACEPAD",
    }
}

fn cset(c: CharacterSet) -> &'static str {
    match c {
        CharacterSet::Ascii => "H5T_CSET_ASCII",
        CharacterSet::Utf8 => "H5T_CSET_UTF8",
    }
}

/// Whether the datatype is a compound (named datatypes of this class get no `;`).
pub fn is_compound(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::Compound { .. })
}

/// Integer value of an enum member's bytes, in the base type's byte order: as h5dump
/// prints it (`long long` or `unsigned long long`, or hex beyond 8 bytes).
pub fn enum_value_text(base: &Datatype, bytes: &[u8]) -> String {
    let (order, signed) = match &base.class {
        TypeClass::Integer { order, signed, .. } => (*order, *signed),
        _ => (ByteOrder::LittleEndian, false),
    };
    if bytes.len() > 8 {
        let mut s = String::from("0x");
        for b in bytes {
            s.push_str(&format!("{:02x}", b));
        }
        return s;
    }
    let mut v: u64 = 0;
    let mut le: Vec<u8> = bytes.to_vec();
    if order == ByteOrder::BigEndian {
        le.reverse();
    }
    for (i, b) in le.iter().enumerate() {
        v |= u64::from(*b) << (8 * i);
    }
    if signed && !le.is_empty() && le.len() < 8 {
        let bits = le.len() * 8;
        if v & (1u64 << (bits - 1)) != 0 {
            v |= u64::MAX << bits;
        }
    }
    if signed {
        format!("{}", v as i64)
    } else {
        format!("{}", v)
    }
}

/// Appends `dt` to the printer, writing full lines for multi-line types (strings, compounds,
/// enums, opaque); the closing text stays pending so the caller can append after it.
pub fn print_datatype(p: &mut Printer, dt: &Datatype) {
    match &dt.class {
        TypeClass::Integer { order, signed, precision, .. } => match integer_name(dt) {
            Some(n) => p.push(&n),
            None => p.push(&format!(
                "{}-bit{}{} integer {}-bit precision",
                u64::from(dt.size) * 8,
                order_words(*order, dt.size),
                if *signed { "" } else { " unsigned" },
                precision
            )),
        },
        TypeClass::Float { order, precision, .. } => match float_name(dt) {
            Some(n) => p.push(&n),
            None => p.push(&format!(
                "{}-bit{} floating-point {}-bit precision",
                u64::from(dt.size) * 8,
                order_words(*order, dt.size),
                precision
            )),
        },
        TypeClass::Time { .. } => p.push("H5T_TIME: not yet implemented"),
        TypeClass::String { padding, charset } => print_string(p, Some(dt.size), *padding, *charset),
        TypeClass::VarLenString { padding, charset, .. } => print_string(p, None, *padding, *charset),
        TypeClass::Bitfield { .. } => match bitfield_name(dt) {
            Some(n) => p.push(&n),
            None => p.push("undefined bitfield"),
        },
        TypeClass::Opaque { tag } => {
            p.push("H5T_OPAQUE {");
            p.line();
            p.indent += 1;
            p.put(&format!("OPAQUE_TAG \"{}\";", tag));
            p.indent -= 1;
            p.push("}");
        }
        TypeClass::Compound { members } => {
            p.push("H5T_COMPOUND {");
            p.line();
            p.indent += 1;
            for m in members {
                print_datatype(p, &m.datatype);
                p.push(&format!(" \"{}\";", m.name));
                p.line();
            }
            p.indent -= 1;
            p.push("}");
        }
        TypeClass::Reference { kind } => match kind {
            ReferenceKind::DatasetRegion | ReferenceKind::DatasetRegion2 => {
                p.push("H5T_REFERENCE { H5T_STD_REF_DSETREG }")
            }
            _ => p.push("H5T_REFERENCE { H5T_STD_REF_OBJECT }"),
        },
        TypeClass::Enum { base, members } => {
            p.push("H5T_ENUM {");
            p.line();
            p.indent += 1;
            print_datatype(p, base);
            p.push(";");
            p.line();
            for (name, value) in members {
                let pad = 16usize.saturating_sub(name.len());
                p.push(&format!("\"{}\"{} {};", name, " ".repeat(pad), enum_value_text(base, value)));
                p.line();
            }
            p.indent -= 1;
            p.push("}");
        }
        TypeClass::VarLenSequence { base } => {
            p.push("H5T_VLEN { ");
            print_datatype(p, base);
            p.push("}");
        }
        TypeClass::Array { dims, base } => {
            p.push("H5T_ARRAY { ");
            for d in dims {
                p.push(&format!("[{}]", d));
            }
            p.push(" ");
            print_datatype(p, base);
            p.push(" }");
        }
        TypeClass::Complex { .. } => p.push("unknown datatype"),
    }
}

fn print_string(p: &mut Printer, size: Option<u32>, padding: StringPadding, charset: CharacterSet) {
    p.push("H5T_STRING {");
    p.line();
    p.indent += 1;
    match size {
        Some(n) => p.put(&format!("STRSIZE {};", n)),
        None => p.put("STRSIZE H5T_VARIABLE;"),
    }
    p.put(&format!("STRPAD {};", strpad(padding)));
    p.put(&format!("CSET {};", cset(charset)));
    p.put("CTYPE H5T_C_S1;");
    p.indent -= 1;
    p.push("}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use h5kit::CompoundMember;

    fn int(size: u32, signed: bool, order: ByteOrder, precision: u16) -> Datatype {
        Datatype {
            version: 1,
            size,
            class: TypeClass::Integer { order, signed, bit_offset: 0, precision, pad_lo: false, pad_hi: false },
        }
    }

    fn f32le() -> Datatype {
        Datatype {
            version: 1,
            size: 4,
            class: TypeClass::Float {
                order: ByteOrder::LittleEndian,
                bit_offset: 0,
                precision: 32,
                pad_lo: false,
                pad_hi: false,
                pad_internal: false,
                mantissa_norm: h5kit::MantissaNorm::Implied,
                sign_location: 31,
                exponent_location: 23,
                exponent_size: 8,
                mantissa_location: 0,
                mantissa_size: 23,
                exponent_bias: 127,
            },
        }
    }

    fn text(dt: &Datatype) -> String {
        let mut p = Printer::new();
        p.push("DATATYPE  ");
        print_datatype(&mut p, dt);
        p.into_output()
    }

    #[test]
    fn predefined_and_odd_integers() {
        assert_eq!(text(&int(4, true, ByteOrder::LittleEndian, 32)), "DATATYPE  H5T_STD_I32LE\n");
        assert_eq!(text(&int(8, false, ByteOrder::BigEndian, 64)), "DATATYPE  H5T_STD_U64BE\n");
        // From h5dump 1.10.8 on an h5py-made 24-bit integer.
        assert_eq!(
            text(&int(4, true, ByteOrder::LittleEndian, 24)),
            "DATATYPE  32-bit little-endian integer 24-bit precision\n"
        );
        assert_eq!(
            text(&int(2, false, ByteOrder::BigEndian, 12)),
            "DATATYPE  16-bit big-endian unsigned integer 12-bit precision\n"
        );
    }

    #[test]
    fn floats() {
        assert_eq!(text(&f32le()), "DATATYPE  H5T_IEEE_F32LE\n");
        let mut half = f32le();
        half.size = 2;
        if let TypeClass::Float { precision, exponent_location, exponent_size, mantissa_size, sign_location, exponent_bias, .. } =
            &mut half.class
        {
            *precision = 16;
            *exponent_location = 10;
            *exponent_size = 5;
            *mantissa_size = 10;
            *sign_location = 15;
            *exponent_bias = 15;
        }
        assert_eq!(text(&half), "DATATYPE  16-bit little-endian floating-point 16-bit precision\n");
    }

    #[test]
    fn compound_with_array_of_strings() {
        let vstr = Datatype {
            version: 1,
            size: 16,
            class: TypeClass::VarLenString {
                padding: StringPadding::NullTerminate,
                charset: CharacterSet::Utf8,
                base: Box::new(int(1, false, ByteOrder::LittleEndian, 8)),
            },
        };
        let arr = Datatype { version: 2, size: 32, class: TypeClass::Array { dims: vec![2], base: Box::new(vstr) } };
        let cmp = Datatype {
            version: 1,
            size: 36,
            class: TypeClass::Compound {
                members: vec![
                    CompoundMember { name: "name".into(), byte_offset: 0, datatype: arr },
                    CompoundMember { name: "id".into(), byte_offset: 32, datatype: int(4, true, ByteOrder::LittleEndian, 32) },
                ],
            },
        };
        let mut p = Printer::new();
        p.indent = 2;
        p.push("DATATYPE  ");
        print_datatype(&mut p, &cmp);
        p.line();
        assert_eq!(
            p.into_output(),
            concat!(
                "      DATATYPE  H5T_COMPOUND {\n",
                "         H5T_ARRAY { [2] H5T_STRING {\n",
                "            STRSIZE H5T_VARIABLE;\n",
                "            STRPAD H5T_STR_NULLTERM;\n",
                "            CSET H5T_CSET_UTF8;\n",
                "            CTYPE H5T_C_S1;\n",
                "         } } \"name\";\n",
                "         H5T_STD_I32LE \"id\";\n",
                "      }\n"
            )
        );
    }

    #[test]
    fn enum_members_padded_to_16() {
        let base = int(4, true, ByteOrder::LittleEndian, 32);
        let dt = Datatype {
            version: 1,
            size: 4,
            class: TypeClass::Enum {
                base: Box::new(base),
                members: vec![
                    ("0001!ERROR".into(), vec![1, 0, 0, 0]),
                    ("1103!ANTICOLLISION".into(), vec![0x03, 0x11, 0, 0]),
                    ("neg".into(), vec![0xff, 0xff, 0xff, 0xff]),
                ],
            },
        };
        assert_eq!(
            text(&dt),
            concat!(
                "DATATYPE  H5T_ENUM {\n",
                "   H5T_STD_I32LE;\n",
                "   \"0001!ERROR\"       1;\n",
                "   \"1103!ANTICOLLISION\" 4355;\n",
                "   \"neg\"              -1;\n",
                "}\n"
            )
        );
    }

    #[test]
    fn vlen_and_reference() {
        let v = Datatype {
            version: 1,
            size: 16,
            class: TypeClass::VarLenSequence { base: Box::new(int(4, true, ByteOrder::LittleEndian, 32)) },
        };
        assert_eq!(text(&v), "DATATYPE  H5T_VLEN { H5T_STD_I32LE}\n");
        let r = Datatype { version: 1, size: 8, class: TypeClass::Reference { kind: ReferenceKind::Object } };
        assert_eq!(text(&r), "DATATYPE  H5T_REFERENCE { H5T_STD_REF_OBJECT }\n");
    }
}

//! h5ls's datatype descriptions (`native int`, `IEEE 32-bit big-endian float`,
//! `struct {...} 16 bytes`, `enum native unsigned char {...}`, ...), as h5ls 1.10.8's
//! `print_type` writes them. `ind` is the column the first line starts at; nested lines are
//! indented from it.

use h5kit::{ByteOrder, CharacterSet, Datatype, MantissaNorm, ReferenceKind, StringPadding, TypeClass};

use super::escape;

fn order_text(size: u32, order: ByteOrder) -> &'static str {
    if size <= 1 {
        return "";
    }
    match order {
        ByteOrder::LittleEndian => " little-endian",
        ByteOrder::BigEndian => " big-endian",
        ByteOrder::Vax => " mixed-endian",
    }
}

/// The name of a native C type equal to `dt` (H5Tequal against H5T_NATIVE_*), on x86-64 Linux.
fn native_name(dt: &Datatype) -> Option<&'static str> {
    match &dt.class {
        TypeClass::Integer { order, signed, bit_offset: 0, precision, pad_lo: false, pad_hi: false }
            if u32::from(*precision) == dt.size * 8 && (dt.size == 1 || *order == ByteOrder::LittleEndian) =>
        {
            Some(match (dt.size, signed) {
                (1, true) => "native signed char",
                (1, false) => "native unsigned char",
                (2, true) => "native short",
                (2, false) => "native unsigned short",
                (4, true) => "native int",
                (4, false) => "native unsigned int",
                (8, true) => "native long",
                (8, false) => "native unsigned long",
                _ => return None,
            })
        }
        TypeClass::Bitfield { order, bit_offset: 0, precision, pad_lo: false, pad_hi: false }
            if u32::from(*precision) == dt.size * 8 && (dt.size == 1 || *order == ByteOrder::LittleEndian) =>
        {
            Some(match dt.size {
                1 => "native 8-bit field",
                2 => "native 16-bit field",
                4 => "native 32-bit field",
                8 => "native 64-bit field",
                _ => return None,
            })
        }
        TypeClass::Float { order: ByteOrder::LittleEndian, .. } => match ieee_size(dt) {
            Some(4) => Some("native float"),
            Some(8) => Some("native double"),
            _ => None,
        },
        _ => None,
    }
}

/// 4 or 8 when `dt` has exactly the IEEE 754 single/double layout (any byte order).
fn ieee_size(dt: &Datatype) -> Option<u32> {
    let TypeClass::Float { pad_lo: false, pad_hi: false, pad_internal: false, .. } = &dt.class else { return None };
    dt.ieee_float_size()
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// h5ls's `print_precision`: a line about precision and padding when not all bits are used.
fn precision_lines(out: &mut String, size: u32, offset: u16, precision: u16, pad_lo: bool, pad_hi: bool, ind: usize) {
    let (bits, prec, off) = (u64::from(size) * 8, u64::from(precision), u64::from(offset));
    if bits == prec {
        return;
    }
    out.push_str(&format!("\n{:ind$}({} bit{} of precision beginning at bit {})", "", prec, plural(prec), off));
    let pad = |one: bool| if one { "one" } else { "zero" };
    let lo = (off > 0).then(|| format!("{} {} bit{} at bit 0", off, pad(pad_lo), plural(off)));
    let hi = (off + prec < bits).then(|| {
        let n = bits - (off + prec);
        format!("{} {} bit{} at bit {}", n, pad(pad_hi), plural(n), bits - n)
    });
    let parts: Vec<String> = [lo, hi].into_iter().flatten().collect();
    if !parts.is_empty() {
        out.push_str(&format!("\n{:ind$}({})", "", parts.join(", ")));
    }
}

/// h5ls's `print_type`; `committed` is the address of a committed (shared) datatype.
pub fn type_text(dt: &Datatype, committed: Option<u64>, ind: usize) -> String {
    let mut out = String::new();
    if let Some(addr) = committed {
        out.push_str(&format!("shared-1:{} ", addr));
    }
    push_type(&mut out, dt, ind);
    out
}

fn push_type(out: &mut String, dt: &Datatype, ind: usize) {
    if let Some(n) = native_name(dt) {
        out.push_str(n);
        return;
    }
    match &dt.class {
        TypeClass::Integer { order, signed, bit_offset, precision, pad_lo, pad_hi } => {
            let sign = if *signed { "" } else { " unsigned" };
            out.push_str(&format!("{}-bit{}{} integer", dt.size * 8, order_text(dt.size, *order), sign));
            precision_lines(out, dt.size, *bit_offset, *precision, *pad_lo, *pad_hi, ind);
        }
        TypeClass::Float { order, .. } if ieee_size(dt).is_some() && *order == ByteOrder::BigEndian => {
            out.push_str(&format!("IEEE {}-bit big-endian float", dt.size * 8));
        }
        TypeClass::Float {
            order,
            bit_offset,
            precision,
            pad_lo,
            pad_hi,
            pad_internal,
            mantissa_norm,
            sign_location,
            exponent_location,
            exponent_size,
            mantissa_location,
            mantissa_size,
            exponent_bias,
        } => {
            out.push_str(&format!("{}-bit{} floating-point", dt.size * 8, order_text(dt.size, *order)));
            precision_lines(out, dt.size, *bit_offset, *precision, *pad_lo, *pad_hi, ind);
            let norm = match mantissa_norm {
                MantissaNorm::Implied => ", msb implied",
                MantissaNorm::MsbSet => ", msb always set",
                MantissaNorm::None => ", no normalization",
            };
            let (ms, es) = (u64::from(*mantissa_size), u64::from(*exponent_size));
            out.push_str(&format!("\n{:ind$}(significant for {} bit{} at bit {}{})", "", ms, plural(ms), mantissa_location, norm));
            out.push_str(&format!(
                "\n{:ind$}(exponent for {} bit{} at bit {}, bias is 0x{:x})",
                "",
                es,
                plural(es),
                exponent_location,
                exponent_bias
            ));
            out.push_str(&format!("\n{:ind$}(sign bit at {})", "", sign_location));
            if 1 + es + ms < u64::from(*precision) {
                let pad = if *pad_internal { "one" } else { "zero" };
                out.push_str(&format!("\n{:ind$}(internal padding bits are {})", "", pad));
            }
        }
        TypeClass::Compound { members } => {
            out.push_str("struct {");
            for m in members {
                let name = escape::string(&m.name, false);
                let n = name.chars().count();
                out.push_str(&format!("\n{:w$}\"{}\"{:pad$} +{:<4} ", "", name, "", m.byte_offset, w = ind + 4, pad = 16usize.saturating_sub(n)));
                push_type(out, &m.datatype, ind + 4);
            }
            out.push_str(&format!("\n{:ind$}}} {} byte{}", "", dt.size, plural(u64::from(dt.size))));
        }
        TypeClass::Enum { base, members } => {
            out.push_str("enum ");
            push_type(out, base, ind + 4);
            out.push_str(" {");
            if members.is_empty() {
                out.push_str(&format!("\n{:w$} <empty>", "", w = ind + 4));
            }
            let signed = matches!(base.class, TypeClass::Integer { signed: true, .. });
            let order = match base.class {
                TypeClass::Integer { order, .. } => order,
                _ => ByteOrder::LittleEndian,
            };
            for (name, bytes) in members {
                let name = escape::string(name, true);
                let n = name.chars().count();
                let v = crate::dump::values::read_uint(bytes, order);
                let text = if signed {
                    let bits = (bytes.len() * 8).min(64) as u32;
                    let shift = 64 - bits.max(1);
                    (((v << shift) as i64) >> shift).to_string()
                } else {
                    v.to_string()
                };
                out.push_str(&format!("\n{:w$}{}{:pad$} = {}", "", name, "", text, w = ind + 4, pad = 16usize.saturating_sub(n)));
            }
            out.push_str(&format!("\n{:ind$}}}", ""));
        }
        TypeClass::String { padding, charset } => {
            out.push_str(&format!("{}-byte {} {} string", dt.size, pad_text(*padding), cset_text(*charset)));
        }
        TypeClass::VarLenString { padding, charset, .. } => {
            out.push_str(&format!("variable-length {} {} string", pad_text(*padding), cset_text(*charset)));
        }
        TypeClass::Reference { kind } => match kind {
            ReferenceKind::Object => out.push_str("object reference"),
            ReferenceKind::DatasetRegion => out.push_str("dataset region reference"),
            _ => out.push_str(&format!("{}-byte unknown reference", dt.size)),
        },
        TypeClass::VarLenSequence { base } => {
            out.push_str(&format!("variable length of\n{:w$}", "", w = ind + 4));
            push_type(out, base, ind + 4);
        }
        TypeClass::Array { dims, base } => {
            let d: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            out.push_str(&format!("[{}] ", d.join(",")));
            push_type(out, base, ind + 4);
        }
        TypeClass::Opaque { tag } => {
            out.push_str(&format!("{}-byte opaque type", dt.size));
            out.push_str(&format!("\n{:ind$}(tag = \"{}\")", "", escape::string(tag, false)));
        }
        TypeClass::Bitfield { order, bit_offset, precision, pad_lo, pad_hi } => {
            out.push_str(&format!("{}-bit{} bitfield", dt.size * 8, order_text(dt.size, *order)));
            precision_lines(out, dt.size, *bit_offset, *precision, *pad_lo, *pad_hi, ind);
        }
        TypeClass::Time { .. } => out.push_str(&format!("{}-byte class-2 unknown", dt.size)),
        TypeClass::Complex { .. } => out.push_str(&format!("{}-byte class-11 unknown", dt.size)),
    }
}

fn pad_text(p: StringPadding) -> &'static str {
    match p {
        StringPadding::NullTerminate => "null-terminated",
        StringPadding::NullPad => "null-padded",
        StringPadding::SpacePad => "space-padded",
    }
}

fn cset_text(c: CharacterSet) -> &'static str {
    match c {
        CharacterSet::Ascii => "ASCII",
        CharacterSet::Utf8 => "UTF-8",
    }
}

/// Whether `dt` holds variable-length data (libhdf5's `force_conv`).
fn has_vlen(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::VarLenString { .. } | TypeClass::VarLenSequence { .. } => true,
        TypeClass::Array { base, .. } | TypeClass::Enum { base, .. } => has_vlen(base),
        TypeClass::Compound { members } => members.iter().any(|m| has_vlen(&m.datatype)),
        _ => false,
    }
}

/// The datatype as H5Dget_type/H5Aget_type return it (`H5T_set_loc(.., H5T_LOC_MEMORY)`):
/// variable-length strings take a pointer (8 bytes), sequences an `hvl_t` (16), and the
/// members of a compound holding them are sorted by offset and shifted accordingly.
pub fn memory_type(dt: &Datatype) -> Datatype {
    if !has_vlen(dt) {
        return dt.clone();
    }
    let mut out = dt.clone();
    match &mut out.class {
        TypeClass::VarLenString { .. } => out.size = 8,
        TypeClass::VarLenSequence { base } => {
            **base = memory_type(base);
            out.size = 16;
        }
        TypeClass::Array { dims, base } => {
            **base = memory_type(base);
            out.size = dims.iter().fold(base.size, |a, d| a.saturating_mul(*d));
        }
        TypeClass::Compound { members } => {
            members.sort_by_key(|m| m.byte_offset);
            let mut change: i64 = 0;
            for m in members.iter_mut() {
                m.byte_offset = (m.byte_offset as i64 + change).max(0) as u64;
                let old = m.datatype.size;
                m.datatype = memory_type(&m.datatype);
                change += i64::from(m.datatype.size) - i64::from(old);
            }
            out.size = (i64::from(out.size) + change).max(0) as u32;
        }
        _ => {}
    }
    out
}

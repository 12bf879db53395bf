//! HDF5 element bytes (spec IV.A.2.d "The Datatype Message") as JSON values for Zarr
//! metadata: attributes as `.zattrs`, fill values as `.zarray`'s `fill_value`, and
//! standard base64 for bytes.

use h5kit::{ByteOrder, DataspaceKind, Datatype, File, TypeClass};
use serde_json::{json, Map, Value};

/// Marks a non-finite float in a [`Value::String`]; [`text`] writes the bare token.
const NONFINITE: &str = "\u{0}nonfinite:";

/// An unsigned integer of up to 8 bytes in `order`.
pub(crate) fn read_uint(bytes: &[u8], order: ByteOrder) -> u64 {
    let n = bytes.len().min(8);
    (0..n).fold(0u64, |v, i| {
        let b = match order {
            ByteOrder::BigEndian => bytes.get(bytes.len() - 1 - i),
            _ => bytes.get(i),
        };
        v | u64::from(b.copied().unwrap_or(0)) << (8 * i)
    })
}

/// True for IEEE 754 binary16/32/64 layouts (the floats numpy has).
pub(crate) fn is_ieee(dt: &Datatype) -> bool {
    matches!(
        (&dt.class, dt.size),
        (TypeClass::Float { exponent_size: 5, mantissa_size: 10, exponent_bias: 15, order: ByteOrder::LittleEndian | ByteOrder::BigEndian, .. }, 2)
            | (TypeClass::Float { exponent_size: 8, mantissa_size: 23, exponent_bias: 127, order: ByteOrder::LittleEndian | ByteOrder::BigEndian, .. }, 4)
            | (TypeClass::Float { exponent_size: 11, mantissa_size: 52, exponent_bias: 1023, order: ByteOrder::LittleEndian | ByteOrder::BigEndian, .. }, 8)
    )
}

/// An IEEE float element as f64 (None for other layouts).
pub(crate) fn float(dt: &Datatype, bytes: &[u8]) -> Option<f64> {
    let TypeClass::Float { order, .. } = &dt.class else { return None };
    if !is_ieee(dt) || bytes.len() != dt.size as usize {
        return None;
    }
    let raw = read_uint(bytes, *order);
    Some(match dt.size {
        2 => {
            let (s, e, m) = ((raw >> 15) & 1, (raw >> 10) & 0x1f, raw & 0x3ff);
            let mag = match e {
                0 => m as f64 * 2f64.powi(-24),
                31 if m == 0 => f64::INFINITY,
                31 => f64::NAN,
                _ => (1.0 + m as f64 / 1024.0) * 2f64.powi(e as i32 - 15),
            };
            if s == 1 {
                -mag
            } else {
                mag
            }
        }
        4 => f64::from(f32::from_bits(raw as u32)),
        _ => f64::from_bits(raw),
    })
}

fn float_json(v: f64, marked: bool) -> Value {
    let token = if v.is_nan() {
        "NaN"
    } else if v == f64::INFINITY {
        "Infinity"
    } else if v == f64::NEG_INFINITY {
        "-Infinity"
    } else {
        return json!(v);
    };
    if marked {
        Value::String(format!("{}{}", NONFINITE, token))
    } else {
        json!(token)
    }
}

/// A signed integer element.
fn int(bytes: &[u8], order: ByteOrder) -> i64 {
    let u = read_uint(bytes, order);
    let bits = 8 * bytes.len().min(8) as u32;
    if bits < 64 && bits > 0 && u >> (bits - 1) & 1 == 1 {
        (u as i64) - (1i64 << bits)
    } else {
        u as i64
    }
}

/// Zarr v2's `fill_value` for an element of `dt` (NaN/Infinity as strings; bytes, void and
/// structured values as base64).
pub(crate) fn fill_value(dt: &Datatype, bytes: &[u8]) -> Value {
    match &dt.class {
        TypeClass::Enum { base, .. } => fill_value(base, bytes),
        TypeClass::Integer { order, signed: true, .. } => json!(int(bytes, *order)),
        TypeClass::Integer { order, .. } | TypeClass::Bitfield { order, .. } => json!(read_uint(bytes, *order)),
        TypeClass::Float { .. } => float(dt, bytes).map_or(json!(0), |v| float_json(v, false)),
        _ => json!(base64(bytes)),
    }
}

/// One attribute element as h5py + kerchunk give it, or None for classes left out.
fn element(file: &File, dt: &Datatype, bytes: &[u8]) -> Option<Value> {
    Some(match &dt.class {
        TypeClass::Integer { order, signed: true, .. } => json!(int(bytes, *order)),
        TypeClass::Integer { order, .. } => json!(read_uint(bytes, *order)),
        TypeClass::Enum { base, .. } if is_bool_enum(dt) => json!(element(file, base, bytes)? != json!(0)),
        TypeClass::Enum { base, .. } => element(file, base, bytes)?,
        TypeClass::Float { .. } => float_json(float(dt, bytes)?, true),
        TypeClass::String { padding, .. } => {
            // h5py reads space-padded strings as null-padded ones: trailing spaces go too.
            let pad = |b: u8| b == 0 || (b == b' ' && *padding == h5kit::StringPadding::SpacePad);
            let end = bytes.iter().rposition(|&b| !pad(b)).map_or(0, |i| i + 1);
            json!(String::from_utf8_lossy(bytes.get(..end).unwrap_or(&[])))
        }
        TypeClass::VarLenString { .. } => {
            let osize = usize::from(file.superblock().sizes.offset);
            let len = read_uint(bytes.get(..4)?, ByteOrder::LittleEndian) as usize;
            let addr = read_uint(bytes.get(4..4 + osize)?, ByteOrder::LittleEndian);
            let index = read_uint(bytes.get(4 + osize..8 + osize)?, ByteOrder::LittleEndian) as u32;
            if addr == 0 {
                return Some(json!(""));
            }
            let data = file.global_heap_object(addr, index).ok()?;
            json!(String::from_utf8_lossy(data.get(..len.min(data.len()))?))
        }
        TypeClass::Array { dims, base } => {
            let flat = bytes.chunks((base.size as usize).max(1)).map(|b| element(file, base, b)).collect::<Option<Vec<_>>>()?;
            let dims: Vec<u64> = dims.iter().map(|&d| u64::from(d)).collect();
            nest(flat, &dims)
        }
        _ => return None,
    })
}

/// h5py's booleans: an integer enum of exactly FALSE = 0 and TRUE = 1.
fn is_bool_enum(dt: &Datatype) -> bool {
    let TypeClass::Enum { base, members } = &dt.class else { return false };
    let TypeClass::Integer { order, .. } = base.class else { return false };
    let mut names: Vec<(&str, u64)> = members.iter().map(|(n, v)| (n.as_str(), read_uint(v, order))).collect();
    names.sort();
    names == [("FALSE", 0), ("TRUE", 1)]
}

/// Nests a flat row-major list into `dims` (no dims: the single value).
pub(crate) fn nest(flat: Vec<Value>, dims: &[u64]) -> Value {
    let Some((&first, rest)) = dims.split_first() else {
        return flat.into_iter().next().unwrap_or(Value::Null);
    };
    if rest.is_empty() {
        return Value::Array(flat);
    }
    let step = usize::try_from(rest.iter().product::<u64>()).unwrap_or(1).max(1);
    let mut it = flat.into_iter();
    Value::Array((0..first).map(|_| nest(it.by_ref().take(step).collect(), rest)).collect())
}

/// Attributes as `.zattrs` (integers, floats, strings, enums and arrays of them; other
/// classes left out). `skip_dims` leaves out the dimension scale bookkeeping attributes.
pub(crate) fn zattrs(file: &File, attrs: Vec<h5kit::Attribute>, skip_dims: bool) -> Map<String, Value> {
    let mut m = Map::new();
    for a in attrs {
        if skip_dims && matches!(a.name.as_str(), "DIMENSION_LIST" | "REFERENCE_LIST" | "CLASS" | "NAME") {
            continue;
        }
        if a.dataspace.kind == DataspaceKind::Null {
            continue;
        }
        let size = (a.datatype.size as usize).max(1);
        let Some(flat) = a.data.chunks(size).map(|b| element(file, &a.datatype, b)).collect::<Option<Vec<_>>>() else {
            continue;
        };
        let v = match a.dataspace.kind {
            DataspaceKind::Scalar => flat.into_iter().next().unwrap_or(Value::Null),
            _ => nest(flat, &a.dataspace.dims),
        };
        m.insert(a.name.clone(), v);
    }
    m
}

/// Attributes as JSON text, non-finite floats as Python's json writes them (`NaN`,
/// `Infinity`), which zarr's reader accepts.
pub(crate) fn text(m: Map<String, Value>) -> String {
    let s = Value::Object(m).to_string();
    let marker = "\\u0000nonfinite:";
    s.replace(&format!("\"{}NaN\"", marker), "NaN")
        .replace(&format!("\"{}Infinity\"", marker), "Infinity")
        .replace(&format!("\"{}-Infinity\"", marker), "-Infinity")
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

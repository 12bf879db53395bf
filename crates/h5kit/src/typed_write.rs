//! Typed writes: values of a Rust numeric type stored in a dataset of another numeric
//! datatype are converted as libhdf5's hard conversions convert them when h5py writes a numpy
//! array of another dtype (integers clipped to the destination's range; floats to integers
//! truncated toward zero and clipped, NaN as 0; integers to floats rounded to nearest; doubles
//! to singles rounded, out-of-range as infinity), never stored as the bits of the Rust type.

use h5kit_core::{Error, Result};
use h5kit_object_header::{ByteOrder, Datatype, TypeClass};

use std::borrow::Cow;

use crate::typed::{as_bytes, H5Write};

/// A numeric value on its way to another datatype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i128),
    Float(f64),
}

/// The bytes of `data` in the encoding of `dt`: as they are when `dt` is the type's own
/// datatype, converted when `dt` is another integer or IEEE float type, an error otherwise.
pub(crate) fn encode_as<'a, T: H5Write>(data: &'a [T], dt: &Datatype) -> Result<Cow<'a, [u8]>> {
    if T::datatype() == *dt {
        return Ok(as_bytes(data));
    }
    let target = Target::of(dt).ok_or_else(|| {
        Error::usage(format!(
            "cannot write {} values into a dataset of HDF5 type {}: no conversion between them",
            T::NAME,
            describe(dt)
        ))
    })?;
    let size = dt.size as usize;
    let mut out = Vec::with_capacity(data.len().saturating_mul(size));
    for v in data {
        let n = v.number().ok_or_else(|| {
            Error::usage(format!("cannot write {} values into a dataset of HDF5 type {}: {} is not a number", T::NAME, describe(dt), T::NAME))
        })?;
        target.put(n, &mut out);
    }
    Ok(Cow::Owned(out))
}

/// The datatype as h5dump names it (`H5T_STD_I64LE`, `H5T_STRING { STRSIZE 8; }`).
fn describe(dt: &Datatype) -> String {
    crate::handle::type_name(dt)
}

/// A destination datatype values can be converted to.
enum Target {
    Int { size: usize, order: ByteOrder, signed: bool, bit_offset: u32, precision: u32 },
    F32(ByteOrder),
    F64(ByteOrder),
}

impl Target {
    fn of(dt: &Datatype) -> Option<Target> {
        let size = dt.size as usize;
        match &dt.class {
            TypeClass::Integer { order, signed, bit_offset, precision, .. }
                if (1..=16).contains(&size)
                    && *precision >= 1
                    && u32::from(*bit_offset) + u32::from(*precision) <= 8 * size as u32 =>
            {
                Some(Target::Int {
                    size,
                    order: *order,
                    signed: *signed,
                    bit_offset: u32::from(*bit_offset),
                    precision: u32::from(*precision),
                })
            }
            TypeClass::Float { order: order @ (ByteOrder::LittleEndian | ByteOrder::BigEndian), .. } => match dt.ieee_float_size() {
                Some(4) => Some(Target::F32(*order)),
                Some(8) => Some(Target::F64(*order)),
                _ => None,
            },
            _ => None,
        }
    }

    fn put(&self, v: Number, out: &mut Vec<u8>) {
        match *self {
            Target::Int { size, order, signed, bit_offset, precision } => {
                let (min, max) = if signed {
                    let m = if precision >= 128 { i128::MAX } else { (1i128 << (precision - 1)) - 1 };
                    (-m - 1, m)
                } else {
                    (0, if precision >= 127 { i128::MAX } else { (1i128 << precision) - 1 })
                };
                let x = match v {
                    Number::Int(i) => i.clamp(min, max),
                    Number::Float(f) if f.is_nan() => 0,
                    Number::Float(f) => {
                        let t = f.trunc();
                        if t <= min as f64 {
                            min
                        } else if t >= max as f64 {
                            max
                        } else {
                            t as i128
                        }
                    }
                };
                let mask = if precision >= 128 { u128::MAX } else { (1u128 << precision) - 1 };
                let bits = ((x as u128) & mask) << bit_offset;
                let le = bits.to_le_bytes();
                let bytes = le.get(..size).unwrap_or(&le);
                put_ordered(bytes, order, out);
            }
            Target::F32(order) => {
                let f = match v {
                    Number::Int(i) => i as f32,
                    Number::Float(f) => f as f32,
                };
                put_ordered(&f.to_le_bytes(), order, out);
            }
            Target::F64(order) => {
                let f = match v {
                    Number::Int(i) => i as f64,
                    Number::Float(f) => f,
                };
                put_ordered(&f.to_le_bytes(), order, out);
            }
        }
    }
}

fn put_ordered(le: &[u8], order: ByteOrder, out: &mut Vec<u8>) {
    match order {
        ByteOrder::BigEndian => out.extend(le.iter().rev()),
        _ => out.extend_from_slice(le),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::typed::convert;
    use h5kit_write::dtype;

    #[test]
    fn same_type_is_stored_as_is() {
        assert_eq!(&*encode_as(&[1.5f64], &dtype::float64()).unwrap(), &1.5f64.to_le_bytes());
    }

    #[test]
    fn integers_are_clipped_floats_truncated_nan_is_zero() {
        let i8t = dtype::int(1, true);
        let got = encode_as(&[300i64, -300, 5, -5], &i8t).unwrap();
        assert_eq!(convert::<i64>(&got, &i8t).unwrap(), vec![127, -128, 5, -5]);
        let got = encode_as(&[2.9f64, -2.9, f64::NAN, 1e30, -1e30], &dtype::int(2, false)).unwrap();
        assert_eq!(convert::<i64>(&got, &dtype::int(2, false)).unwrap(), vec![2, 0, 0, 65535, 0]);
        let got = encode_as(&[u64::MAX], &dtype::int(8, true)).unwrap();
        assert_eq!(convert::<i64>(&got, &dtype::int(8, true)).unwrap(), vec![i64::MAX]);
    }

    #[test]
    fn floats_round_and_overflow_to_infinity() {
        let got = encode_as(&[0.1f64, 1e300, -1e300], &dtype::float32()).unwrap();
        assert_eq!(convert::<f32>(&got, &dtype::float32()).unwrap(), vec![0.1f32, f32::INFINITY, f32::NEG_INFINITY]);
        let got = encode_as(&[16_777_217i32], &dtype::float32()).unwrap();
        assert_eq!(convert::<f64>(&got, &dtype::float32()).unwrap(), vec![16_777_216.0]);
        let got = encode_as(&[3u8], &dtype::float64()).unwrap();
        assert_eq!(&*got, &3.0f64.to_le_bytes());
    }

    #[test]
    fn big_endian_targets_are_written_big_endian() {
        let mut be = dtype::int(4, true);
        if let TypeClass::Integer { order, .. } = &mut be.class {
            *order = ByteOrder::BigEndian;
        }
        assert_eq!(&*encode_as(&[1i64], &be).unwrap(), &[0, 0, 0, 1]);
    }

    #[test]
    fn non_numeric_targets_are_refused() {
        let s = dtype::fixed_string(8, h5kit_object_header::StringPadding::NullPad, h5kit_object_header::CharacterSet::Ascii);
        let e = encode_as(&[1.0f64], &s).unwrap_err();
        assert!(e.message.contains("cannot write f64 values into a dataset of HDF5 type H5T_STRING { STRSIZE 8; }"), "{}", e);
    }
}

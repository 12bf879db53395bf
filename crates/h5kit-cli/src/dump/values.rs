//! Element values as h5dump 1.10.8 prints them (`%d` integers, `%g` floats, quoted strings,
//! enum names). Used for fill values now and for `DATA { ... }` blocks.

use h5kit::{ByteOrder, Datatype, MantissaNorm, TypeClass};

/// C's `printf("%g", x)` (precision 6).
pub fn fmt_g(x: f64) -> String {
    fmt_g_prec(x, 6)
}

/// C's `%.{prec}g`.
pub fn fmt_g_prec(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan".to_string() } else { "nan".to_string() };
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf".to_string() } else { "inf".to_string() };
    }
    let p = prec.max(1);
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".to_string() } else { "0".to_string() };
    }
    let sci = format!("{:.*e}", p - 1, x);
    let (mant, exp) = match sci.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (sci.clone(), 0),
    };
    let p_i = i32::try_from(p).unwrap_or(6);
    if exp < -4 || exp >= p_i {
        let m = strip_zeros(&mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", m, sign, exp.unsigned_abs())
    } else {
        let decimals = usize::try_from(p_i - 1 - exp).unwrap_or(0);
        strip_zeros(&format!("{:.*}", decimals, x))
    }
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        let t = s.trim_end_matches('0');
        t.trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Unsigned little-endian value of up to 8 bytes stored in `order`.
pub fn read_uint(bytes: &[u8], order: ByteOrder) -> u64 {
    let mut v: u64 = 0;
    let n = bytes.len().min(8);
    for i in 0..n {
        let b = match order {
            ByteOrder::BigEndian => bytes.get(bytes.len() - 1 - i).copied().unwrap_or(0),
            _ => bytes.get(i).copied().unwrap_or(0),
        };
        v |= u64::from(b) << (8 * i);
    }
    v
}

/// Integer text of an integer-class element.
pub fn int_text(bytes: &[u8], order: ByteOrder, signed: bool, bit_offset: u16, precision: u16) -> String {
    let raw = read_uint(bytes, order);
    let prec = u32::from(precision).min(64);
    let off = u32::from(bit_offset).min(63);
    let mut v = raw >> off;
    if prec < 64 {
        v &= (1u64 << prec) - 1;
    }
    if signed {
        if prec > 0 && prec < 64 && v & (1u64 << (prec - 1)) != 0 {
            v |= u64::MAX << prec;
        }
        format!("{}", v as i64)
    } else {
        format!("{}", v)
    }
}

/// Value of a floating-point element (any layout, via its bit fields; x87 80-bit long
/// doubles have an explicit leading mantissa bit).
pub fn float_value(dt: &Datatype, bytes: &[u8]) -> Option<f64> {
    let TypeClass::Float {
        order,
        exponent_bias,
        exponent_size,
        mantissa_size,
        exponent_location,
        sign_location,
        mantissa_location,
        mantissa_norm,
        ..
    } = &dt.class
    else {
        return None;
    };
    // VAX order: h5dump 1.10.8 (`H5T__conv_f_f`) swaps the 16-bit words end for end, then
    // reads the value little-endian (VAX memory order: `80 40 00 00` is 1.0). libhdf5 2.0
    // writes H5T_VAX_F32 1.0 as `00 00 80 40`, which 1.10.8 shows as 5.78456e-42: we print
    // what 1.10.8 prints.
    let swapped;
    let bytes = if *order == ByteOrder::Vax {
        let mut v = bytes.to_vec();
        let t = v.len();
        for i in (0..t).step_by(4) {
            if let (Some(a), Some(b)) = ((t.checked_sub(2 + i)), t.checked_sub(1 + i)) {
                if i + 1 < t {
                    v.swap(i, a);
                    v.swap(i + 1, b);
                }
            }
        }
        swapped = v;
        &swapped[..]
    } else {
        bytes
    };
    let mut raw: u128 = 0;
    let n = bytes.len().min(16);
    for i in 0..n {
        let b = match order {
            ByteOrder::BigEndian => bytes.get(bytes.len() - 1 - i).copied().unwrap_or(0),
            _ => bytes.get(i).copied().unwrap_or(0),
        };
        raw |= u128::from(b) << (8 * i);
    }
    match (dt.size, *exponent_size, *mantissa_size, *exponent_bias) {
        (4, 8, 23, 127) => return Some(f64::from(f32::from_bits(raw as u32))),
        (8, 11, 52, 1023) => return Some(f64::from_bits(raw as u64)),
        _ => {}
    }
    let field = |loc: u8, size: u8| -> u128 {
        let shifted = raw >> u32::from(loc).min(127);
        if size >= 128 {
            shifted
        } else {
            shifted & ((1u128 << size) - 1)
        }
    };
    let sign = field(*sign_location, 1) != 0;
    let e = field(*exponent_location, *exponent_size);
    let m = field(*mantissa_location, *mantissa_size);
    let emax = if *exponent_size >= 128 { u128::MAX } else { (1u128 << exponent_size) - 1 };
    let mant_scale = 2f64.powi(i32::from(*mantissa_size));
    let bias = f64::from(*exponent_bias);
    let frac = m as f64 / mant_scale;
    let v = match mantissa_norm {
        MantissaNorm::Implied => {
            if e == emax {
                if m == 0 {
                    f64::INFINITY
                } else {
                    f64::NAN
                }
            } else if e == 0 {
                frac * 2f64.powf(1.0 - bias)
            } else {
                (1.0 + frac) * 2f64.powf(e as f64 - bias)
            }
        }
        _ => {
            if e == emax {
                if m << 1 == 0 || (m & !(1u128 << (mantissa_size.saturating_sub(1)))) == 0 {
                    f64::INFINITY
                } else {
                    f64::NAN
                }
            } else {
                frac * 2f64.powf(e as f64 - bias + 1.0)
            }
        }
    };
    Some(if sign { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_g() {
        // Values h5dump printed for fill values of the interop files.
        assert_eq!(fmt_g(f64::from(9.96921e36f32)), "9.96921e+36");
        assert_eq!(fmt_g(123.456), "123.456");
        assert_eq!(fmt_g(1e20), "1e+20");
        assert_eq!(fmt_g(99.5), "99.5");
        assert_eq!(fmt_g(6.0), "6");
        assert_eq!(fmt_g(0.0001), "0.0001");
        assert_eq!(fmt_g(0.00001), "1e-05");
        assert_eq!(fmt_g(123456.0), "123456");
        assert_eq!(fmt_g(1234567.0), "1.23457e+06");
        assert_eq!(fmt_g(-0.5), "-0.5");
    }

    #[test]
    fn integers() {
        assert_eq!(int_text(&[0x01, 0x00, 0x00, 0x80], ByteOrder::LittleEndian, true, 0, 32), "-2147483647");
        assert_eq!(int_text(&[0x00, 0x2a], ByteOrder::BigEndian, false, 0, 16), "42");
        assert_eq!(int_text(&[0xff], ByteOrder::LittleEndian, true, 0, 8), "-1");
    }
}

//! A small C `printf` floating-point formatter for h5dump's `-m FMT` (`--format=FMT`):
//! text before and after one conversion `%[flags][width][.precision][l|L|h]conv` with flags
//! `-+ 0#` and conversions `f F e E g G`, formatted like glibc.

/// A parsed `-m` format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatFormat {
    prefix: String,
    suffix: String,
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    conv: char,
}

/// Text with `%%` turned into `%`; `None` when another `%` appears.
fn literal(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '%' && chars.next() != Some('%') {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

impl FloatFormat {
    /// Parses `fmt`; `None` when it has no single floating-point conversion.
    pub fn parse(fmt: &str) -> Option<Self> {
        // The conversion is the first `%` not followed by `%`.
        let bytes = fmt.as_bytes();
        let mut i = 0;
        let start = loop {
            let c = *bytes.get(i)?;
            if c == b'%' {
                if bytes.get(i + 1) == Some(&b'%') {
                    i += 2;
                    continue;
                }
                break i;
            }
            i += 1;
        };
        let prefix = literal(fmt.get(..start)?)?;
        let mut f = FloatFormat {
            prefix,
            suffix: String::new(),
            minus: false,
            plus: false,
            space: false,
            zero: false,
            alt: false,
            width: 0,
            precision: None,
            conv: 'g',
        };
        let mut j = start + 1;
        while let Some(&c) = bytes.get(j) {
            match c {
                b'-' => f.minus = true,
                b'+' => f.plus = true,
                b' ' => f.space = true,
                b'0' => f.zero = true,
                b'#' => f.alt = true,
                _ => break,
            }
            j += 1;
        }
        while let Some(&c) = bytes.get(j) {
            if !c.is_ascii_digit() {
                break;
            }
            f.width = f.width.checked_mul(10)?.checked_add(usize::from(c - b'0'))?;
            j += 1;
        }
        if bytes.get(j) == Some(&b'.') {
            j += 1;
            let mut p = 0usize;
            while let Some(&c) = bytes.get(j) {
                if !c.is_ascii_digit() {
                    break;
                }
                p = p.checked_mul(10)?.checked_add(usize::from(c - b'0'))?;
                j += 1;
            }
            f.precision = Some(p);
        }
        while matches!(bytes.get(j), Some(b'l' | b'L' | b'h')) {
            j += 1;
        }
        let conv = *bytes.get(j)?;
        if !matches!(conv, b'f' | b'F' | b'e' | b'E' | b'g' | b'G') {
            return None;
        }
        // Keep widths and precisions sane (glibc would print them; we refuse huge ones).
        if f.width > 4096 || f.precision.unwrap_or(0) > 1074 {
            return None;
        }
        f.conv = char::from(conv);
        f.suffix = literal(fmt.get(j + 1..)?)?;
        Some(f)
    }

    /// `x` formatted.
    pub fn format(&self, x: f64) -> String {
        let upper = self.conv.is_ascii_uppercase();
        // glibc prints the sign of NaNs too (`-nan`).
        let sign = if x.is_sign_negative() {
            "-"
        } else if self.plus {
            "+"
        } else if self.space {
            " "
        } else {
            ""
        };
        let a = x.abs();
        let finite = x.is_finite();
        let body = if x.is_nan() {
            if upper { "NAN".to_string() } else { "nan".to_string() }
        } else if x.is_infinite() {
            if upper { "INF".to_string() } else { "inf".to_string() }
        } else {
            let p = self.precision.unwrap_or(6);
            match self.conv.to_ascii_lowercase() {
                'f' => fixed(a, p, self.alt),
                'e' => sci(a, p, self.alt, upper),
                _ => general(a, p, self.alt, upper),
            }
        };
        let len = sign.len() + body.len();
        let mut out = self.prefix.clone();
        if len >= self.width {
            out.push_str(sign);
            out.push_str(&body);
        } else if self.minus {
            out.push_str(sign);
            out.push_str(&body);
            out.push_str(&" ".repeat(self.width - len));
        } else if self.zero && finite {
            out.push_str(sign);
            out.push_str(&"0".repeat(self.width - len));
            out.push_str(&body);
        } else {
            out.push_str(&" ".repeat(self.width - len));
            out.push_str(sign);
            out.push_str(&body);
        }
        out.push_str(&self.suffix);
        out
    }
}

/// `%.{p}f` of a non-negative finite value.
fn fixed(a: f64, p: usize, alt: bool) -> String {
    let mut s = format!("{:.*}", p, a);
    if alt && p == 0 {
        s.push('.');
    }
    s
}

/// Mantissa and decimal exponent of `%.{p}e`.
fn sci_parts(a: f64, p: usize) -> (String, i32) {
    let s = format!("{:.*e}", p, a);
    match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    }
}

fn exp_text(exp: i32, upper: bool) -> String {
    format!("{}{}{:02}", if upper { 'E' } else { 'e' }, if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// `%.{p}e` of a non-negative finite value.
fn sci(a: f64, p: usize, alt: bool, upper: bool) -> String {
    let (mut m, exp) = sci_parts(a, p);
    if alt && p == 0 {
        m.push('.');
    }
    m.push_str(&exp_text(exp, upper));
    m
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `%.{p}g` of a non-negative finite value.
fn general(a: f64, p: usize, alt: bool, upper: bool) -> String {
    let p = p.max(1);
    let (m, exp) = sci_parts(a, p - 1);
    let p_i = i32::try_from(p).unwrap_or(i32::MAX);
    if exp < p_i && exp >= -4 {
        let decimals = usize::try_from(p_i.saturating_sub(1).saturating_sub(exp)).unwrap_or(0);
        let s = fixed(a, decimals, alt);
        if alt {
            s
        } else {
            strip_zeros(&s).to_string()
        }
    } else {
        let mut m = if alt { m } else { strip_zeros(&m).to_string() };
        if alt && !m.contains('.') {
            m.push('.');
        }
        m.push_str(&exp_text(exp, upper));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, x: f64) -> String {
        FloatFormat::parse(fmt).map(|f| f.format(x)).unwrap_or_else(|| "BAD".to_string())
    }

    #[test]
    fn like_glibc() {
        // Expected values from C printf (glibc).
        assert_eq!(f("%.3f", -10.0), "-10.000");
        assert_eq!(f("%e", 0.0), "0.000000e+00");
        assert_eq!(f("%e", 123.456), "1.234560e+02");
        assert_eq!(f("%E", 1e-300), "1.000000E-300");
        assert_eq!(f("%.10g", 0.1f32 as f64), "0.1000000015");
        assert_eq!(f("%g", 100000.0), "100000");
        assert_eq!(f("%g", 1000000.0), "1e+06");
        assert_eq!(f("%g", 0.0001), "0.0001");
        assert_eq!(f("%g", 0.00001), "1e-05");
        assert_eq!(f("%#g", 1.0), "1.00000");
        assert_eq!(f("%#.0f", 1.0), "1.");
        assert_eq!(f("%#.0e", 1.0), "1.e+00");
        assert_eq!(f("%5.2f", 3.14659), " 3.15");
        assert_eq!(f("%-8.2f|", 3.14659), "3.15    |");
        assert_eq!(f("%08.2f", -3.14659), "-0003.15");
        assert_eq!(f("%+.1f", 2.25), "+2.2");
        assert_eq!(f("% .1f", 2.35), " 2.4");
        assert_eq!(f("%G", 1e20), "1E+20");
        assert_eq!(f("%.0g", 25.0), "2e+01");
        assert_eq!(f("%f", f64::INFINITY), "inf");
        assert_eq!(f("%05f", f64::NEG_INFINITY), " -inf");
        assert_eq!(f("%F", f64::NAN), "NAN");
        assert_eq!(f("x=%lf%%", 0.5), "x=0.500000%");
        assert_eq!(f("%d", 1.0), "BAD");
        assert_eq!(f("abc", 1.0), "BAD");
        assert_eq!(f("%.3f", -0.0), "-0.000");
    }
}

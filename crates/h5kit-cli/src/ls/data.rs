//! `h5ls -d`: dataset values (and with `-v`, attribute values) in h5ls 1.10.8's format:
//! `    Data:` then the elements separated by `, `, wrapped at 80 columns behind a 9-column
//! prefix. Compound members (`{a, b}`, `-l`: `{name=a, name=b}`), array elements (`[1,2]`)
//! and sequence elements (`(1,2)`) are separate sections that may wrap on their own, as
//! libhdf5's tools library splits them at its OPTIONAL_LINE_BREAK.

use std::collections::HashMap;

use h5kit::{Attribute, ByteOrder, DataspaceKind, Datatype, File, Object, ReferenceKind, StringPadding, TypeClass};
use h5kit::snapshot::Dataset;

use crate::dump::values::{float_value, fmt_g_prec, int_text, read_uint};

/// Marks where a value may be wrapped (libhdf5's OPTIONAL_LINE_BREAK).
const BREAK: char = '\u{1}';
/// How values are shown: `-l` (label compound members) and `-w N` (columns, 80 by default).
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub label: bool,
    pub width: usize,
}
/// The column h5ls counts after an attribute value's 15-column prefix.
const ATTR_COUNTED: usize = 18;
/// Runs of one character longer than this print as `'c' repeats N times`.
const STR_REPEAT: usize = 8;

struct Fmt<'a> {
    file: &'a File,
    label: bool,
}

/// h5tools_print_char with escapes (a `char` is signed: bytes over 0x7f print as the octal of
/// their sign-extended 32-bit value, `\37777777703`).
fn push_char(out: &mut String, b: u8) {
    match b {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x0c => out.push_str("\\f"),
        b'\n' => out.push_str("\\n"),
        b'\r' => out.push_str("\\r"),
        b'\t' => out.push_str("\\t"),
        0x20..=0x7e => out.push(b as char),
        b => out.push_str(&format!("\\{:03o}", i32::from(b as i8) as u32)),
    }
}

/// A string value: quoted, with long runs of one character abbreviated.
fn string_text(s: &[u8], null_term: bool) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut i = 0;
    while i < s.len() {
        let c = s.get(i).copied().unwrap_or(0);
        if c == 0 && null_term {
            break;
        }
        let mut j = 1;
        while s.get(i + j) == Some(&c) {
            j += 1;
        }
        if j > STR_REPEAT {
            if let Some(q) = quote {
                out.push(q);
            }
            out.push_str(if i > 0 { " '" } else { "'" });
            push_char(&mut out, c);
            out.push_str(&format!("' repeats {} times", j - 1));
            quote = None;
            i += j;
            continue;
        }
        if quote.is_none() {
            out.push_str(if i > 0 { " \"" } else { "\"" });
            quote = Some('"');
        }
        push_char(&mut out, c);
        i += 1;
    }
    if let Some(q) = quote {
        out.push(q);
    }
    if i == 0 {
        out.push_str("\"\"");
    }
    out
}

fn hex_text(bytes: &[u8]) -> String {
    if let [b] = bytes {
        return format!("0x{:02x}", b);
    }
    let parts: Vec<String> = bytes.iter().map(|b| format!("{:02x}", b)).collect();
    parts.join(":")
}

impl Fmt<'_> {
    /// A variable-length element's heap object (None: null pointer or unreadable).
    fn vlen(&self, bytes: &[u8]) -> Result<Option<(u32, Vec<u8>)>, ()> {
        let osize = usize::from(self.file.superblock().sizes.offset);
        let len = read_uint(bytes.get(..4).ok_or(())?, ByteOrder::LittleEndian) as u32;
        let addr = read_uint(bytes.get(4..4 + osize).ok_or(())?, ByteOrder::LittleEndian);
        let index = read_uint(bytes.get(4 + osize..8 + osize).ok_or(())?, ByteOrder::LittleEndian) as u32;
        if addr == 0 {
            return Ok(None);
        }
        self.file.global_heap_object(addr, index).map(|d| Some((len, d))).map_err(|_| ())
    }

    /// An object reference inside a compound or sequence: `DATASET-1:800 ""`.
    fn reference(&self, kind: ReferenceKind, bytes: &[u8]) -> Result<String, ()> {
        if kind != ReferenceKind::Object {
            return Err(());
        }
        if bytes.iter().all(|&b| b == 0) {
            return Ok("NULL".to_string());
        }
        let addr = read_uint(bytes, ByteOrder::LittleEndian);
        let kind = match self.file.object_at(addr, "").map_err(|_| ())? {
            Object::Group(_) => "GROUP",
            Object::Dataset(_) => "DATASET",
            Object::Datatype(_) => "DATATYPE",
        };
        Ok(format!("{}-1:{} \"\"", kind, addr))
    }

    /// One element's text, with [`BREAK`] where it may wrap; Err when it cannot be shown.
    /// Top-level references (which h5ls dereferences into a `DATA {}` block) are not done.
    fn element(&self, dt: &Datatype, bytes: &[u8]) -> Result<String, ()> {
        self.value(dt, bytes, true)
    }

    fn value(&self, dt: &Datatype, bytes: &[u8], top: bool) -> Result<String, ()> {
        Ok(match &dt.class {
            TypeClass::Reference { kind } if !top => self.reference(*kind, bytes)?,
            TypeClass::Integer { order, signed, bit_offset, precision, .. } => {
                int_text(bytes, *order, *signed, *bit_offset, *precision)
            }
            TypeClass::Float { .. } => {
                let v = float_value(dt, bytes).ok_or(())?;
                if dt.size <= 4 {
                    fmt_g_prec(f64::from(v as f32), 6)
                } else if dt.size == 8 {
                    fmt_g_prec(v, 15)
                } else {
                    return Err(());
                }
            }
            TypeClass::String { padding, .. } => string_text(bytes, *padding == StringPadding::NullTerminate),
            TypeClass::VarLenString { .. } => match self.vlen(bytes)? {
                None => "NULL".to_string(),
                Some((len, data)) => {
                    let s = data.get(..(len as usize).min(data.len())).unwrap_or(&[]);
                    // libhdf5 hands the tools a C string: it ends at the first NUL.
                    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
                    string_text(s.get(..end).unwrap_or(&[]), true)
                }
            },
            TypeClass::Bitfield { .. } | TypeClass::Opaque { .. } => hex_text(bytes),
            TypeClass::Enum { members, .. } => match members.iter().find(|(_, v)| v.as_slice() == bytes) {
                Some((name, _)) => name.clone(),
                None => hex_text(bytes),
            },
            TypeClass::Compound { members } => {
                let mut s = String::from("{");
                for (i, m) in members.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                        s.push(BREAK);
                    }
                    if self.label {
                        s.push_str(&format!("{}=", m.name));
                    }
                    let start = usize::try_from(m.byte_offset).map_err(|_| ())?;
                    let b = bytes.get(start..start + m.datatype.size as usize).ok_or(())?;
                    s.push_str(&self.value(&m.datatype, b, false)?);
                }
                s.push('}');
                s
            }
            TypeClass::Array { base, .. } => {
                let n = base.size as usize;
                let parts = bytes.chunks(n.max(1)).map(|b| self.value(base, b, false)).collect::<Result<Vec<_>, _>>()?;
                format!("[{}]", parts.join(&format!(",{}", BREAK)))
            }
            TypeClass::VarLenSequence { base } => match self.vlen(bytes)? {
                None => "()".to_string(),
                Some((len, data)) => {
                    let n = base.size as usize;
                    let parts = data
                        .chunks(n.max(1))
                        .take(len as usize)
                        .map(|b| self.value(base, b, false))
                        .collect::<Result<Vec<_>, _>>()?;
                    format!("({})", parts.join(&format!(",{}", BREAK)))
                }
            },
            TypeClass::Reference { .. } | TypeClass::Time { .. } | TypeClass::Complex { .. } => return Err(()),
        })
    }

    fn elements(&self, dt: &Datatype, raw: &[u8], count: u64) -> Result<Vec<String>, ()> {
        let size = (dt.size as usize).max(1);
        raw.chunks(size).take(usize::try_from(count).unwrap_or(0)).map(|b| self.element(dt, b)).collect()
    }
}

/// Lays out `elements` (h5tools_render_element): an element that does not fit the rest of
/// the line starts a new one if it fits on a line by itself or the previous element took
/// several lines; otherwise its sections, split at [`BREAK`], wrap one by one.
fn render(out: &mut String, elements: &[String], prefix: &str, counted: usize, width: usize) {
    render_cont(out, elements, prefix, counted, prefix, width)
}

/// [`render`] with `cont`, the prefix of a line that continues an element (a section after
/// the first).
/// Width 0 (`-w0`) is h5ls's "no line wrap": one element a line, never split.
fn render_cont(out: &mut String, elements: &[String], prefix: &str, counted: usize, cont: &str, width: usize) {
    let per_line = width == 0;
    let width = if per_line { 65535 } else { width };
    let mut col = 0usize;
    let mut prev_multiline = false;
    let n = elements.len();
    for (i, e) in elements.iter().enumerate() {
        let s = if i + 1 < n { format!("{},", e) } else { e.clone() };
        let len = s.len() - s.matches(BREAK).count();
        let mut need_prefix = i == 0 || per_line;
        if col + len + 1 > width && (prev_multiline || counted + len < width) {
            need_prefix = true;
        }
        let mut multiline = false;
        for (secnum, section) in s.split(BREAK).filter(|x| !x.is_empty()).enumerate() {
            if col + section.len() + 1 > width {
                need_prefix = true;
            }
            if need_prefix {
                multiline |= secnum > 0;
                if col != 0 {
                    out.push('\n');
                }
                if secnum > 0 {
                    out.push_str(cont);
                    col = cont.len() + counted - prefix.len();
                } else {
                    out.push_str(prefix);
                    col = counted;
                }
                need_prefix = false;
            } else if i > 0 && secnum == 0 {
                out.push(' ');
                col += 1;
            }
            out.push_str(section);
            col += section.len();
        }
        prev_multiline = multiline;
    }
    out.push('\n');
}

fn npoints(kind: DataspaceKind, dims: &[u64]) -> u64 {
    match kind {
        DataspaceKind::Scalar => 1,
        DataspaceKind::Null => 0,
        DataspaceKind::Simple => dims.iter().product(),
    }
}

/// The values of dataset `d` rendered behind `prefix` columns (for dereferenced objects).
fn dataset_values(file: &File, d: &Dataset, style: Style, prefix: usize) -> Result<String, ()> {
    let ds = d.dataspace();
    let count = npoints(ds.kind, &ds.dims);
    let raw = d.read_raw().map_err(|_| ())?;
    let elements = Fmt { file, label: style.label }.elements(d.datatype(), &raw, count)?;
    let mut out = String::new();
    render(&mut out, &elements, &" ".repeat(prefix), prefix, style.width);
    Ok(out)
}

/// `    Data:` and the values of dataset `d`.
pub fn dataset(out: &mut String, file: &File, d: &Dataset, style: Style, paths: &HashMap<u64, String>) {
    out.push_str("    Data:\n");
    let ds = d.dataspace();
    let count = npoints(ds.kind, &ds.dims);
    let fmt = Fmt { file, label: style.label };
    if let TypeClass::Reference { kind } = d.datatype().class {
        let values = |t: &Dataset, prefix: usize| dataset_values(file, t, style, prefix);
        let mut text = String::new();
        let size = d.datatype().size as usize;
        let ok = crate::dump::chunks::readable_by_h5dump(d)
            && d.read_raw().map_err(|_| ()).and_then(|raw| {
                let n = usize::try_from(count).unwrap_or(0).saturating_mul(size);
                let de = super::refs::Deref { file, paths, values: &values };
                super::refs::block(&mut text, &de, kind, raw.get(..n).unwrap_or(&[]), size, 9)
            })
            .is_ok();
        if ok {
            out.push_str(&text);
        } else {
            out.push_str("                 Unable to print data.\n");
        }
        return;
    }
    let shown = if !crate::dump::chunks::readable_by_h5dump(d) {
        Err(())
    } else if count == 0 {
        Ok(Vec::new())
    } else {
        d.read_raw().map_err(|_| ()).and_then(|raw| fmt.elements(d.datatype(), &raw, count))
    };
    match shown {
        Ok(elements) => render(out, &elements, "         ", 9, style.width),
        Err(()) => out.push_str("                 Unable to print data.\n"),
    }
}

/// `        Data:` and the values of attribute `a` (with `-v -d`).
pub fn attribute(out: &mut String, file: &File, a: &Attribute, style: Style, paths: &HashMap<u64, String>) {
    let count = npoints(a.dataspace.kind, &a.dataspace.dims);
    out.push_str("        Data:\n");
    if a.dataspace.kind == DataspaceKind::Null {
        out.push_str("                       Unable to print data.\n");
        return;
    }
    if let TypeClass::Reference { kind } = a.datatype.class {
        let values = |t: &Dataset, prefix: usize| dataset_values(file, t, style, prefix);
        let mut text = String::new();
        let size = a.datatype.size as usize;
        let n = usize::try_from(count).unwrap_or(0).saturating_mul(size);
        let de = super::refs::Deref { file, paths, values: &values };
        match super::refs::block(&mut text, &de, kind, a.data.get(..n).unwrap_or(&[]), size, 15) {
            Ok(()) => out.push_str(&text),
            Err(()) => out.push_str("               Unable to print data.\n"),
        }
        return;
    }
    let fmt = Fmt { file, label: style.label };
    match fmt.elements(&a.datatype, &a.data, count) {
        // h5ls 1.10.8 wraps attribute values three columns before dataset values (measured on
        // the interop files: a 78-column line of sequences of references wraps).
        Ok(elements) => render_cont(out, &elements, "               ", ATTR_COUNTED, "                ", style.width),
        Err(()) => out.push_str("               Unable to print data.\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_repeats() {
        assert_eq!(string_text(b"Smith\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", false), "\"Smith\" '\\000' repeats 14 times");
        assert_eq!(string_text(b"", true), "\"\"");
        assert_eq!(string_text(b"ab\0cd", true), "\"ab\"");
    }

    #[test]
    fn wrapping() {
        let els: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        let mut out = String::new();
        render(&mut out, &els, "         ", 9, 80);
        assert_eq!(
            out,
            "         0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,\n         20, 21, 22, 23, 24, 25, 26, 27, 28, 29\n"
        );
    }
}

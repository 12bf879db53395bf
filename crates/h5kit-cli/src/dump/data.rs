//! `DATA { ... }` blocks, rendered like h5dump 1.10.8 (`h5tools_dump_simple_data`): each
//! element is formatted, followed by `,` except the last; a new line with an index prefix
//! `(i,j): ` starts at every row of the last dimension and whenever the element would pass
//! column 80. Variable-length data are read from the global heap (spec III.E "Disk Format:
//! Level 1E - Global Heap"; the element holds a length and a global heap ID).

use std::collections::HashMap;

use h5kit::{ByteOrder, Dataspace, DataspaceKind, Datatype, File, Object, ReferenceKind, TypeClass};

use super::printer::{Printer, COL};
use super::printf::FloatFormat;
use super::values::{float_value, int_text};

/// Kind and first path of objects, for object references (`DATASET 664 "/enum_var"`).
pub type RefPaths = HashMap<u64, (&'static str, String)>;

/// Formatting state (h5dump's `h5tools_context_t` parts that matter for text).
struct Fmt<'a> {
    file: &'a File,
    refs: &'a RefPaths,
    /// Indentation level of the element (`ctx->indent_level`).
    indent: usize,
    /// h5dump's `is_next_arry_elmt`.
    next_array_elmt: bool,
    /// `-e`: escape quotes, backslashes and control characters.
    escape: bool,
    /// `-m FMT`.
    float_format: Option<&'a FloatFormat>,
    failed: bool,
}

fn indent_str(level: usize) -> String {
    " ".repeat(level * COL)
}

/// h5dump's character rendering without `-e`: `\n` and `\r` are followed by 11 spaces,
/// non-printable bytes become `\ooo` of the sign-extended C `char`.
fn push_char(out: &mut String, b: u8, escape: bool) {
    if escape {
        match b {
            b'"' => return out.push_str("\\\""),
            b'\\' => return out.push_str("\\\\"),
            0x08 => return out.push_str("\\b"),
            0x0c => return out.push_str("\\f"),
            b'\n' => return out.push_str("\\n"),
            b'\r' => return out.push_str("\\r"),
            b'\t' => return out.push_str("\\t"),
            _ => {}
        }
    }
    match b {
        b'\n' => out.push_str("\n           "),
        b'\r' => out.push_str("\r           "),
        b'\t' | b'"' | b'\\' | 0x08 | 0x0c => out.push(b as char),
        0x20..=0x7e => out.push(b as char),
        _ => {
            let v = i32::from(b as i8) as u32;
            out.push_str(&format!("\\{:03o}", v));
        }
    }
}

/// An enum member's name as h5dump 1.10.8 prints it in data (`h5tools_escape`): `'` `"` `\`
/// `?` and the C escapes `\a \b \f \n \r \t \v` get a backslash, other non-printable
/// bytes become `\ooo`; after each escape the next byte is passed over unescaped (the tool
/// advances one byte too far), e.g. `d'x` -> `d\'x`, `"'` -> `\"'`. A byte passed over that
/// is not valid UTF-8 on its own is printed as U+FFFD (h5dump prints the raw byte).
fn enum_name_escaped(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() + 8);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let esc: Option<String> = match b {
            b'\'' => Some("\\'".into()),
            b'"' => Some("\\\"".into()),
            b'\\' => Some("\\\\".into()),
            b'?' => Some("\\?".into()),
            0x07 => Some("\\a".into()),
            0x08 => Some("\\b".into()),
            0x0c => Some("\\f".into()),
            b'\n' => Some("\\n".into()),
            b'\r' => Some("\\r".into()),
            b'\t' => Some("\\t".into()),
            0x0b => Some("\\v".into()),
            0x20..=0x7e => None,
            _ => Some(format!("\\{:03o}", b)),
        };
        match esc {
            Some(e) => {
                out.extend_from_slice(e.as_bytes());
                if let Some(&next) = bytes.get(i + 1) {
                    out.push(next);
                }
                i += 2;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
fn string_text(bytes: &[u8], nullterm: bool) -> String {
    string_text_e(bytes, nullterm, false)
}

/// [`string_text`] with h5dump's `-e` escaping.
fn string_text_e(bytes: &[u8], nullterm: bool, escape: bool) -> String {
    let mut out = String::new();
    let mut opened = false;
    let mut n = 0;
    for &b in bytes {
        if b == 0 && nullterm {
            break;
        }
        if !opened {
            out.push('"');
            opened = true;
        }
        push_char(&mut out, b, escape);
        n += 1;
    }
    if opened {
        out.push('"');
    }
    if n == 0 {
        out.push_str("\"\"");
    }
    out
}

/// h5dump's column count: bytes at or above `' '` as a signed C `char`.
fn count_cols(s: &str) -> usize {
    s.bytes().filter(|&b| (0x20..0x80).contains(&b)).count()
}

fn hex_bytes(bytes: &[u8]) -> String {
    if bytes.len() == 1 {
        return format!("0x{:02x}", bytes.first().copied().unwrap_or(0));
    }
    let parts: Vec<String> = bytes.iter().map(|b| format!("{:02x}", b)).collect();
    parts.join(":")
}

impl<'a> Fmt<'a> {
    /// Reads a variable-length element's heap object: (sequence length, bytes).
    fn vlen_data(&mut self, bytes: &[u8]) -> Option<(u32, Vec<u8>)> {
        let len = u32::from_le_bytes([*bytes.first()?, *bytes.get(1)?, *bytes.get(2)?, *bytes.get(3)?]);
        let osize = usize::from(self.file.superblock().sizes.offset);
        let addr_bytes = bytes.get(4..4 + osize)?;
        let addr = super::values::read_uint(addr_bytes, ByteOrder::LittleEndian);
        let ib = bytes.get(4 + osize..8 + osize)?;
        let index = u32::from_le_bytes([*ib.first()?, *ib.get(1)?, *ib.get(2)?, *ib.get(3)?]);
        if addr == 0 {
            return None;
        }
        match self.file.global_heap_object(addr, index) {
            Ok(data) => Some((len, data)),
            Err(_) => {
                self.failed = true;
                None
            }
        }
    }

    fn reference_text(&mut self, kind: ReferenceKind, bytes: &[u8]) -> String {
        if bytes.iter().all(|&b| b == 0) {
            return "NULL".to_string();
        }
        match kind {
            ReferenceKind::Object => {
                let addr = super::values::read_uint(bytes, ByteOrder::LittleEndian);
                match self.refs.get(&addr) {
                    Some((k, path)) => format!("{} {} \"{}\"", k, addr, path),
                    None => {
                        let k = match self.file.object_at(addr, "") {
                            Ok(Object::Group(_)) => "GROUP",
                            Ok(Object::Dataset(_)) => "DATASET",
                            Ok(Object::Datatype(_)) => "DATATYPE",
                            Err(_) => {
                                self.failed = true;
                                "UNKNOWN"
                            }
                        };
                        format!("{} {}", k, addr)
                    }
                }
            }
            _ => {
                self.failed = true;
                hex_bytes(bytes)
            }
        }
    }

    /// Text of one element (h5dump's `h5tools_str_sprint`).
    fn element(&mut self, dt: &Datatype, bytes: &[u8]) -> String {
        match &dt.class {
            TypeClass::Integer { order, signed, bit_offset, precision, .. } => {
                int_text(bytes, *order, *signed, *bit_offset, *precision)
            }
            TypeClass::Float { .. } => match float_value(dt, bytes) {
                Some(v) => match self.float_format {
                    Some(f) => f.format(v),
                    None => super::values::fmt_g(v),
                },
                None => hex_bytes(bytes),
            },
            TypeClass::String { padding, .. } => {
                let nullterm = matches!(padding, h5kit::StringPadding::NullTerminate);
                string_text_e(bytes, nullterm, self.escape)
            }
            TypeClass::VarLenString { .. } => match self.vlen_data(bytes) {
                Some((len, data)) => {
                    let n = (len as usize).min(data.len());
                    let s = data.get(..n).unwrap_or(&[]);
                    string_text_e(s, true, self.escape)
                }
                None => "NULL".to_string(),
            },
            TypeClass::Enum { base, members } => {
                for (name, value) in members {
                    if value.as_slice() == bytes {
                        return enum_name_escaped(name);
                    }
                }
                let _ = base;
                hex_bytes(bytes)
            }
            TypeClass::Bitfield { order, .. } => {
                let mut b = bytes.to_vec();
                if *order == ByteOrder::BigEndian {
                    b.reverse();
                }
                hex_bytes(&b)
            }
            TypeClass::Opaque { .. } | TypeClass::Time { .. } => hex_bytes(bytes),
            TypeClass::Reference { kind } => self.reference_text(*kind, bytes),
            TypeClass::Compound { members } => {
                let mut s = String::from("{");
                self.indent += 1;
                for (j, m) in members.iter().enumerate() {
                    s.push_str(if j > 0 { ",\n" } else { "\n" });
                    s.push_str(&indent_str(self.indent));
                    let start = usize::try_from(m.byte_offset).unwrap_or(usize::MAX);
                    let end = start.saturating_add(m.datatype.size as usize);
                    let mb = bytes.get(start..end).unwrap_or(&[]);
                    let t = self.element(&m.datatype, mb);
                    s.push_str(&t);
                }
                self.indent -= 1;
                s.push('\n');
                s.push_str(&indent_str(self.indent));
                s.push('}');
                s
            }
            TypeClass::Array { dims, base } => {
                let size = base.size as usize;
                let n: usize = dims.iter().fold(1usize, |a, &d| a.saturating_mul(d as usize));
                let n = n.min(bytes.len().checked_div(size).unwrap_or(bytes.len()));
                let last = dims.last().copied().unwrap_or(1).max(1) as usize;
                let mut s = String::from("[ ");
                self.indent += 1;
                for i in 0..n {
                    if i > 0 {
                        s.push(',');
                    }
                    if i > 0 && i % last == 0 {
                        s.push('\n');
                        s.push_str(&indent_str(self.indent));
                    } else if i > 0 {
                        if self.next_array_elmt {
                            self.next_array_elmt = false;
                            s.push_str("\n ");
                            s.push_str(&indent_str(self.indent));
                        } else {
                            s.push(' ');
                        }
                    }
                    self.next_array_elmt = false;
                    let start = i.saturating_mul(size);
                    let eb = bytes.get(start..start.saturating_add(size)).unwrap_or(&[]);
                    let t = self.element(base, eb);
                    s.push_str(&t);
                }
                self.indent -= 1;
                s.push_str(" ]");
                self.next_array_elmt = true;
                s
            }
            TypeClass::VarLenSequence { base } => {
                let mut s = String::from("(");
                if let Some((len, data)) = self.vlen_data(bytes) {
                    let size = base.size as usize;
                    // A corrupt length cannot run past the heap object.
                    let n = (len as usize).min(data.len().checked_div(size).unwrap_or(0));
                    for i in 0..n {
                        if i > 0 {
                            s.push_str(", ");
                        }
                        self.indent += 1;
                        let start = i.saturating_mul(size);
                        let eb = data.get(start..start.saturating_add(size)).unwrap_or(&[]);
                        let t = self.element(base, eb);
                        self.indent -= 1;
                        s.push_str(&t);
                    }
                }
                s.push(')');
                s
            }
            TypeClass::Complex { .. } => "invalid datatype".to_string(),
        }
    }
}

/// Object references at the top level of a dataset or attribute: h5dump 1.10.8 prints each
/// referenced object's kind, address and path, then that object's data (datasets) or an
/// empty `DATA {}` (groups, datatypes).
#[allow(clippy::too_many_arguments)]
fn print_references(
    p: &mut Printer,
    file: &File,
    refs: &RefPaths,
    kind: ReferenceKind,
    size: usize,
    count: u64,
    raw: &[u8],
    width: Option<usize>,
) -> bool {
    let mut ok = true;
    p.indent += 1;
    for i in 0..count {
        let start = usize::try_from(i).unwrap_or(usize::MAX).saturating_mul(size);
        let eb = raw.get(start..start.saturating_add(size)).unwrap_or(&[]);
        if eb.iter().all(|&b| b == 0) {
            p.put("NULL");
            continue;
        }
        if matches!(kind, ReferenceKind::DatasetRegion) {
            ok &= print_region(p, file, refs, eb, i);
            continue;
        }
        if kind != ReferenceKind::Object {
            ok = false;
            continue;
        }
        let addr = super::values::read_uint(eb, ByteOrder::LittleEndian);
        let obj = match file.object_at(addr, refs.get(&addr).map(|r| r.1.as_str()).unwrap_or("")) {
            Ok(o) => o,
            Err(_) => {
                ok = false;
                continue;
            }
        };
        let k = match &obj {
            Object::Group(_) => "GROUP",
            Object::Dataset(_) => "DATASET",
            Object::Datatype(_) => "DATATYPE",
        };
        match refs.get(&addr) {
            Some((_, path)) => p.put(&format!("{} {} \"{}\"", k, addr, path)),
            None => p.put(&format!("{} {}", k, addr)),
        }
        p.indent += 1;
        match &obj {
            Object::Dataset(d) if !matches!(d.datatype().class, TypeClass::Reference { .. }) => match d.read_raw() {
                Ok(data) => ok &= print_data(p, file, refs, d.datatype(), d.dataspace(), &data, width),
                Err(_) => {
                    p.put("DATA {");
                    p.put("}");
                    ok = false;
                }
            },
            _ => {
                p.put("DATA {");
                p.put("}");
            }
        }
        p.indent -= 1;
    }
    p.indent -= 1;
    p.put("}");
    ok
}

/// Text of one value (fill values), formatted like a data element at indentation `indent`.
pub fn value_text(
    file: &File,
    dt: &Datatype,
    bytes: &[u8],
    indent: usize,
    float_format: Option<&FloatFormat>,
) -> String {
    let refs = RefPaths::new();
    let mut fmt = Fmt { file, refs: &refs, indent, next_array_elmt: false, escape: false, float_format, failed: false };
    fmt.element(dt, bytes)
}

/// One dataset region reference: the dataset, the selected blocks or points, and the
/// dataset's datatype and dataspace.
fn print_region(p: &mut Printer, file: &File, refs: &RefPaths, heap_id: &[u8], i: u64) -> bool {
    let sizes = file.superblock().sizes;
    let osize = usize::from(sizes.offset);
    let addr = super::values::read_uint(heap_id.get(..osize).unwrap_or(&[]), ByteOrder::LittleEndian);
    let ib = heap_id.get(osize..osize + 4).unwrap_or(&[]);
    let index = u32::try_from(super::values::read_uint(ib, ByteOrder::LittleEndian)).unwrap_or(0);
    let Ok(obj) = file.global_heap_object(addr, index) else { return false };
    let Ok((target, sel)) = super::region::decode_region(&obj, sizes, addr) else { return false };
    let path = refs.get(&target).map(|r| r.1.clone()).unwrap_or_default();
    let Ok(Object::Dataset(d)) = file.object_at(target, &path) else { return false };
    // h5dump 1.10.8's spacing: blocks `DATASET "p" {` then `DATASET "p"  {` for the later
    // elements, points `DATASET "p"{` then `DATASET "p" {`; a selection of none or all: the
    // line alone, no block.
    let sep = match (&sel, i > 0) {
        (super::region::Selection::None | super::region::Selection::All, _) => {
            p.put(&format!("DATASET \"{}\"", path));
            return true;
        }
        (super::region::Selection::Points(_), false) => "",
        (super::region::Selection::Points(_), true) => " ",
        (_, false) => " ",
        (_, true) => "  ",
    };
    p.put(&format!("DATASET \"{}\"{}{{", path, sep));
    p.indent += 1;
    for line in super::region::region_lines(&sel, p.indent * super::printer::COL) {
        p.put(&line);
    }
    p.push("DATATYPE  ");
    super::datatype::print_datatype(p, d.datatype());
    p.line();
    p.put(&format!("DATASPACE  {}", super::dataspace::dataspace_text(d.dataspace())));
    p.indent -= 1;
    p.put("}");
    true
}

/// Index prefix `(i,j): ` of element `n` (row-major) of a dataspace with `dims`.
fn prefix(n: u64, dims: &[u64]) -> String {
    if dims.is_empty() {
        return "(0): ".to_string();
    }
    let mut idx = vec![0u64; dims.len()];
    let mut rem = n;
    for (i, slot) in idx.iter_mut().enumerate().rev() {
        let d = dims.get(i).copied().unwrap_or(1).max(1);
        *slot = rem % d;
        rem /= d;
    }
    let parts: Vec<String> = idx.iter().map(|v| v.to_string()).collect();
    format!("({}): ", parts.join(","))
}

/// Prints a `DATA { ... }` block for `raw` (all elements, in the file's encoding). Returns
/// false when some value could not be shown.
#[allow(clippy::too_many_arguments)]
pub fn print_data(
    p: &mut Printer,
    file: &File,
    refs: &RefPaths,
    dt: &Datatype,
    space: &Dataspace,
    raw: &[u8],
    width: Option<usize>,
) -> bool {
    print_data_opts(p, file, refs, dt, space, raw, DataOptions { width, ..DataOptions::default() })
}

/// `-w` and `-y` settings for data blocks.
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    pub width: Option<usize>,
    /// `-y`: no `(i,j): ` prefixes (lines then start one level deeper).
    pub no_index: bool,
    /// `-e`: escape non-printing characters, quotes and backslashes in strings.
    pub escape: bool,
    /// `-m FMT`: printf format for floating-point values.
    pub float_format: Option<FloatFormat>,
    /// `-r`: 1-byte integers printed as characters.
    pub as_chars: bool,
}

/// [`print_data`] with `-y` support.
pub fn print_data_opts(
    p: &mut Printer,
    file: &File,
    refs: &RefPaths,
    dt: &Datatype,
    space: &Dataspace,
    raw: &[u8],
    dopts: DataOptions,
) -> bool {
    let width = dopts.width;
    p.put("DATA {");
    let count = match space.kind {
        DataspaceKind::Null => 0,
        _ => space.element_count().unwrap_or(0),
    };
    // A corrupt dataspace cannot make us walk past the data.
    let count = if dt.size == 0 { count.min(raw.len() as u64) } else { count.min((raw.len() / dt.size as usize) as u64) };
    if let TypeClass::Reference { kind } = &dt.class {
        return print_references(p, file, refs, *kind, dt.size as usize, count, raw, width);
    }
    let dims: Vec<u64> = if space.kind == DataspaceKind::Simple { space.dims.clone() } else { Vec::new() };
    let size_last_dim = dims.last().copied().unwrap_or(0);
    // `-w N` (N <= 0 was turned into 65535 by the option parser); 0 comes from `-m`.
    let ncols = width.unwrap_or(80);
    let size = dt.size as usize;
    // The element level is one deeper than DATA; h5dump prints the prefix one level less but
    // counts the full indentation (one level too many) in its column.
    let level = p.indent + 1;
    let mut fmt = Fmt { file, refs, indent: level, next_array_elmt: false, escape: dopts.escape, float_format: dopts.float_format.as_ref(), failed: false };
    let mut line = String::new();
    let mut cur_column = 0usize;
    let mut cur_elmt = 0u64;
    let mut elmt_counter = 0u64;
    let mut started = false;
    // `-r`: 1-byte integers as characters in quoted lines (h5dump's string data format:
    // no separators, every line starts with `"` and ends with `"`; a line breaks when the
    // element's byte length plus the closing quote would pass the column limit).
    if dopts.as_chars && size == 1 && matches!(dt.class, TypeClass::Integer { .. }) {
        for i in 0..count {
            let start = usize::try_from(i).unwrap_or(usize::MAX);
            let mut s = String::new();
            push_char(&mut s, raw.get(start).copied().unwrap_or(0), dopts.escape);
            let mut need_prefix = !started || cur_column + s.len() + 1 > ncols;
            let mut dimension_break = true;
            if cur_elmt > 0 {
                #[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87 (MSRV 1.80)
                if size_last_dim > 0 && cur_elmt % size_last_dim == 0 {
                    need_prefix = true;
                }
                if elmt_counter == size_last_dim {
                    need_prefix = true;
                    dimension_break = false;
                }
            }
            if need_prefix {
                if started {
                    line.push('"');
                    p.raw_line(&line);
                    line.clear();
                }
                if dopts.no_index {
                    // h5dump 1.10.8 with -y puts the opening quote before the indentation
                    // of the first line only.
                    if !started {
                        line.push('"');
                    }
                    line.push_str(&indent_str(level + 1));
                    cur_column = (level + 1) * COL;
                } else {
                    line.push_str(&indent_str(level.saturating_sub(1)));
                    line.push_str("   \"");
                    cur_column = 4 + level * COL;
                    // h5dump prints an empty `""` line first when the first element does
                    // not fit after the prefix (not with -m's zero column count).
                    if !started && ncols > 0 && cur_column + s.len() + 1 > ncols {
                        line.push('"');
                        p.raw_line(&line);
                        line.clear();
                        line.push_str(&indent_str(level.saturating_sub(1)));
                        line.push_str("   \"");
                    }
                }
                started = true;
                cur_elmt = 0;
            }
            line.push_str(&s);
            cur_column += s.len();
            cur_elmt += 1;
            elmt_counter = if dimension_break { elmt_counter + 1 } else { 1 };
        }
        if started {
            // The final quote goes on a line of its own when it would pass the column limit
            // (always with `-m`, which sets the limit to 0).
            if cur_column + 1 > ncols {
                p.raw_line(&line);
                line.clear();
                line.push_str(&indent_str(if dopts.no_index { level + 1 } else { level }));
            }
            line.push('"');
            p.raw_line(&line);
        }
        p.put("}");
        return !fmt.failed;
    }
    for i in 0..count {
        let start = usize::try_from(i).unwrap_or(usize::MAX).saturating_mul(size);
        let eb = raw.get(start..start.saturating_add(size)).unwrap_or(&[]);
        let mut s = fmt.element(dt, eb);
        if i + 1 < count {
            s.push(',');
        }
        let ncount = count_cols(&s);
        let mut need_prefix = !started;
        if cur_column + ncount + 1 > ncols {
            need_prefix = true;
        }
        let mut dimension_break = true;
        if cur_elmt > 0 {
            #[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87 (MSRV 1.80)
            if size_last_dim > 0 && cur_elmt % size_last_dim == 0 {
                need_prefix = true;
            }
            if elmt_counter == size_last_dim {
                need_prefix = true;
                dimension_break = false;
            }
        }
        if need_prefix {
            if started {
                p.raw_line(&line);
                line.clear();
            }
            started = true;
            if dopts.no_index {
                line.push_str(&indent_str(level));
                cur_column = level * COL;
            } else {
                let pre = prefix(i, &dims);
                line.push_str(&indent_str(level.saturating_sub(1)));
                line.push_str(&pre);
                cur_column = pre.len() + level * COL;
            }
            cur_elmt = 0;
        } else if i > 0 {
            line.push(' ');
            cur_column += 1;
        }
        line.push_str(&s);
        cur_column += s.len();
        cur_elmt += 1;
        elmt_counter = if dimension_break { elmt_counter + 1 } else { 1 };
    }
    if started {
        p.raw_line(&line);
    }
    p.put("}");
    !fmt.failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(prefix(0, &[21]), "(0): ");
        assert_eq!(prefix(16, &[21]), "(16): ");
        assert_eq!(prefix(7, &[2, 5]), "(1,2): ");
        assert_eq!(prefix(0, &[]), "(0): ");
    }

    #[test]
    fn strings_like_h5dump() {
        // jhdf/test_string_datasets_latest.hdf5 (NULLPAD) and utf8-fixed-length.hdf5.
        assert_eq!(string_text(b"ab\0\0", false), "\"ab\\000\\000\"");
        assert_eq!(string_text(b"ab\0\0", true), "\"ab\"");
        assert_eq!(string_text(b"", true), "\"\"");
        assert_eq!(string_text(&[b'1', 0xc3], true), "\"1\\37777777703\"");
        assert_eq!(count_cols("\"1\\37777777703\""), 15);
        // h5dump -e.
        assert_eq!(string_text_e(b"a\"b\n", true, true), "\"a\\\"b\\n\"");
    }
}

//! `h5 dump --json`: the file as HDF5/JSON (the HDF Group's hdf5-json format, as its
//! `h5tojson` writes it): `{"apiVersion", "root", "groups", "datasets", "datatypes"}`, each
//! object keyed by an id with its `alias` (path), `attributes`, `links` or `shape`/`type`/
//! `creationProperties`/`value`. Types follow h5json's `getTypeItem` (which goes through
//! numpy: fixed-length strings say `H5T_STR_NULLPAD`, enums of 0/1 named FALSE/TRUE are
//! h5py booleans). Ids are made from object header addresses (`00000000-0000-0000-0000-`
//! followed by 12 hex digits), so they are stable for a given file; h5tojson draws random
//! UUIDs. Non-finite floats are written `NaN`, `Infinity`, `-Infinity` as Python's json does.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use h5kit::{AllocTime, Attribute, ByteOrder, CharacterSet, DataspaceKind, Datatype, File, FillTime, Layout, LinkTarget, Object, ReferenceKind, TypeClass};
use h5kit::snapshot::{ordered_links, Dataset, Group};
use serde_json::{json, Map, Value};

use crate::dump::values::{float_value, read_uint};

/// Marks a non-finite float in a [`Value::String`]; replaced by the bare token on output.
const NONFINITE: &str = "\u{0}nonfinite:";

fn id_of(address: u64) -> String {
    format!("00000000-0000-0000-0000-{:012x}", address)
}

fn order(o: ByteOrder) -> &'static str {
    if o == ByteOrder::BigEndian {
        "BE"
    } else {
        "LE"
    }
}

/// h5json's type item of `dt`.
fn type_item(dt: &Datatype) -> Value {
    type_item_at(dt, false)
}

/// `nested`: inside a compound, array or sequence, where h5py hands h5json references as
/// fixed-size byte strings (h5json then adds their length, charSet and strPad).
fn type_item_at(dt: &Datatype, nested: bool) -> Value {
    match &dt.class {
        TypeClass::Integer { order: o, signed, .. } => {
            json!({"class": "H5T_INTEGER", "base": format!("H5T_STD_{}{}{}", if *signed { "I" } else { "U" }, dt.size * 8, order(*o))})
        }
        TypeClass::Bitfield { order: o, .. } => {
            json!({"class": "H5T_INTEGER", "base": format!("H5T_STD_U{}{}", dt.size * 8, order(*o))})
        }
        TypeClass::Float { order: o, .. } => json!({"class": "H5T_FLOAT", "base": format!("H5T_IEEE_F{}{}", dt.size * 8, order(*o))}),
        TypeClass::String { charset, .. } => json!({
            "class": "H5T_STRING", "charSet": cset(*charset), "length": dt.size, "strPad": "H5T_STR_NULLPAD"
        }),
        TypeClass::VarLenString { charset, .. } => json!({
            "class": "H5T_STRING", "charSet": cset(*charset), "length": "H5T_VARIABLE", "strPad": "H5T_STR_NULLTERM"
        }),
        TypeClass::Compound { members } => {
            let fields: Vec<Value> = members.iter().map(|m| json!({"name": m.name, "type": type_item_at(&m.datatype, true)})).collect();
            json!({"class": "H5T_COMPOUND", "fields": fields})
        }
        TypeClass::Array { dims, base } => json!({"class": "H5T_ARRAY", "dims": dims, "base": type_item_at(base, true)}),
        TypeClass::VarLenSequence { base } => json!({"class": "H5T_VLEN", "size": "H5T_VARIABLE", "base": type_item_at(base, true)}),
        TypeClass::Enum { base, members } => {
            let signed = matches!(base.class, TypeClass::Integer { signed: true, .. });
            let o = match base.class {
                TypeClass::Integer { order, .. } => order,
                _ => ByteOrder::LittleEndian,
            };
            let ms: Vec<(String, i64)> = members.iter().map(|(n, v)| (n.clone(), int_value(v, o, signed))).collect();
            // h5py reads a FALSE/TRUE enum as numpy bool, which h5json writes as an 8-bit enum.
            let is_bool = is_bool_enum(dt);
            let base = if is_bool { json!({"class": "H5T_INTEGER", "base": "H5T_STD_I8LE"}) } else { type_item(base) };
            let members: Vec<Value> = ms.into_iter().map(|(n, v)| json!({"name": n, "value": v})).collect();
            json!({"class": "H5T_ENUM", "base": base, "members": members})
        }
        TypeClass::Reference { kind } => {
            let base = if matches!(kind, ReferenceKind::DatasetRegion | ReferenceKind::DatasetRegion2) {
                "H5T_STD_REF_DSETREG"
            } else {
                "H5T_STD_REF_OBJ"
            };
            if nested {
                // h5py's reference dtypes: 48-byte object references, variable region ones.
                let length = if base == "H5T_STD_REF_OBJ" { json!(48) } else { json!("H5T_VARIABLE") };
                json!({
                    "class": "H5T_REFERENCE", "base": base, "length": length,
                    "charSet": "H5T_CSET_ASCII", "strPad": "H5T_STR_NULLPAD"
                })
            } else {
                json!({"class": "H5T_REFERENCE", "base": base})
            }
        }
        TypeClass::Opaque { .. } => json!({"class": "H5T_OPAQUE", "size": dt.size}),
        TypeClass::Time { .. } => json!({"class": "H5T_TIME", "size": dt.size}),
        TypeClass::Complex { base } => json!({"class": "H5T_COMPLEX", "base": type_item(base)}),
    }
}

/// An enum h5py reads as numpy bool: members exactly FALSE = 0 and TRUE = 1.
fn is_bool_enum(dt: &Datatype) -> bool {
    let TypeClass::Enum { base, members } = &dt.class else { return false };
    let o = match base.class {
        TypeClass::Integer { order, .. } => order,
        _ => return false,
    };
    let mut names: Vec<(&str, u64)> = members.iter().map(|(n, v)| (n.as_str(), read_uint(v, o))).collect();
    names.sort();
    names == [("FALSE", 0), ("TRUE", 1)]
}

fn cset(c: CharacterSet) -> &'static str {
    match c {
        CharacterSet::Ascii => "H5T_CSET_ASCII",
        CharacterSet::Utf8 => "H5T_CSET_UTF8",
    }
}

fn int_value(bytes: &[u8], o: ByteOrder, signed: bool) -> i64 {
    let v = read_uint(bytes, o);
    let bits = (bytes.len() * 8).clamp(1, 64) as u32;
    if signed && bits < 64 {
        let shift = 64 - bits;
        ((v << shift) as i64) >> shift
    } else {
        v as i64
    }
}

fn shape_item(kind: DataspaceKind, dims: &[u64], max: Option<&Vec<u64>>) -> Value {
    match kind {
        DataspaceKind::Null => json!({"class": "H5S_NULL"}),
        DataspaceKind::Scalar => json!({"class": "H5S_SCALAR"}),
        DataspaceKind::Simple => {
            let mut m = Map::new();
            m.insert("class".into(), json!("H5S_SIMPLE"));
            m.insert("dims".into(), json!(dims));
            if let Some(max) = max {
                // h5json lists maxdims (0 = unlimited) when one exceeds its dimension.
                if max.iter().zip(dims).any(|(&x, &d)| x > d) {
                    let maxes: Vec<Value> =
                        max.iter().map(|&x| if x == h5kit::UNLIMITED { json!("H5S_UNLIMITED") } else { json!(x) }).collect();
                    m.insert("maxdims".into(), json!(maxes));
                }
            }
            Value::Object(m)
        }
    }
}

pub(crate) struct Ctx<'a> {
    pub(crate) file: &'a File,
    pub(crate) headers: crate::ls::header::Headers,
    /// Object header address -> (collection, id).
    pub(crate) ids: &'a HashMap<u64, (&'static str, String)>,
}

impl Ctx<'_> {
    fn vlen(&self, bytes: &[u8]) -> Option<(usize, Vec<u8>)> {
        let osize = usize::from(self.file.superblock().sizes.offset);
        let len = read_uint(bytes.get(..4)?, ByteOrder::LittleEndian) as usize;
        let addr = read_uint(bytes.get(4..4 + osize)?, ByteOrder::LittleEndian);
        let index = read_uint(bytes.get(4 + osize..8 + osize)?, ByteOrder::LittleEndian) as u32;
        if addr == 0 {
            return Some((0, Vec::new()));
        }
        self.file.global_heap_object(addr, index).ok().map(|d| (len, d))
    }

    fn value(&self, dt: &Datatype, bytes: &[u8]) -> Value {
        match &dt.class {
            TypeClass::Integer { order: o, signed, .. } => {
                if *signed {
                    json!(int_value(bytes, *o, true))
                } else {
                    json!(read_uint(bytes, *o))
                }
            }
            TypeClass::Bitfield { order: o, .. } => json!(read_uint(bytes, *o)),
            TypeClass::Opaque { .. } => json!(base64(bytes)),
            TypeClass::Enum { base, .. } if is_bool_enum(dt) => json!(self.value(base, bytes) != json!(0)),
            TypeClass::Enum { base, .. } => self.value(base, bytes),
            TypeClass::Float { .. } => match float_value(dt, bytes) {
                Some(v) if v.is_finite() => json!(v),
                Some(v) if v.is_nan() => Value::String(format!("{}NaN", NONFINITE)),
                Some(v) if v > 0.0 => Value::String(format!("{}Infinity", NONFINITE)),
                Some(_) => Value::String(format!("{}-Infinity", NONFINITE)),
                None => Value::Null,
            },
            TypeClass::String { padding, .. } => {
                // h5py reads space-padded strings as null-padded ones: trailing spaces go too.
                let pad = |b: u8| b == 0 || (b == b' ' && *padding == h5kit::StringPadding::SpacePad);
                let end = bytes.iter().rposition(|&b| !pad(b)).map_or(0, |i| i + 1);
                json!(String::from_utf8_lossy(bytes.get(..end).unwrap_or(&[])))
            }
            TypeClass::VarLenString { .. } => match self.vlen(bytes) {
                Some((len, data)) => json!(String::from_utf8_lossy(data.get(..len.min(data.len())).unwrap_or(&[]))),
                None => Value::Null,
            },
            TypeClass::VarLenSequence { base } => match self.vlen(bytes) {
                Some((len, data)) => {
                    Value::Array(data.chunks((base.size as usize).max(1)).take(len).map(|b| self.value(base, b)).collect())
                }
                None => Value::Null,
            },
            TypeClass::Compound { members } => Value::Array(
                members
                    .iter()
                    .map(|m| {
                        let start = usize::try_from(m.byte_offset).unwrap_or(usize::MAX);
                        let end = start.saturating_add(m.datatype.size as usize);
                        bytes.get(start..end).map_or(Value::Null, |b| self.value(&m.datatype, b))
                    })
                    .collect(),
            ),
            TypeClass::Array { dims, base } => {
                let flat: Vec<Value> = bytes.chunks((base.size as usize).max(1)).map(|b| self.value(base, b)).collect();
                let dims: Vec<u64> = dims.iter().map(|&d| u64::from(d)).collect();
                nest(flat, &dims)
            }
            TypeClass::Reference { kind: ReferenceKind::Object } => {
                let addr = read_uint(bytes, ByteOrder::LittleEndian);
                match self.ids.get(&addr) {
                    Some((coll, id)) => json!(format!("{}/{}", coll, id)),
                    None => json!(""),
                }
            }
            _ => Value::Null,
        }
    }
}

/// Standard base64 with padding (h5json's encoding of opaque values).
pub(crate) fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Nests a flat row-major list into `dims` (no dims: the single value).
fn nest(flat: Vec<Value>, dims: &[u64]) -> Value {
    let Some((&first, rest)) = dims.split_first() else {
        return flat.into_iter().next().unwrap_or(Value::Null);
    };
    if rest.is_empty() {
        return Value::Array(flat);
    }
    let step: u64 = rest.iter().product();
    let step = usize::try_from(step).unwrap_or(1).max(1);
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    for _ in 0..first {
        let part: Vec<Value> = it.by_ref().take(step).collect();
        out.push(nest(part, rest));
    }
    Value::Array(out)
}

fn filter_class(id: u16) -> Option<(&'static str, &'static str)> {
    Some(match id {
        1 => ("H5Z_FILTER_DEFLATE", "deflate"),
        2 => ("H5Z_FILTER_SHUFFLE", "shuffle"),
        3 => ("H5Z_FILTER_FLETCHER32", "fletcher32"),
        4 => ("H5Z_FILTER_SZIP", "szip"),
        5 => ("H5Z_FILTER_NBIT", "nbit"),
        6 => ("H5Z_FILTER_SCALEOFFSET", "scaleoffset"),
        32000 => ("H5Z_FILTER_LZF", "lzf"),
        32001 => ("H5Z_FILTER_BLOSC", ""),
        32003 => ("H5Z_FILTER_SNAPPY", ""),
        32004 => ("H5Z_FILTER_LZ4", ""),
        32005 => ("H5Z_FILTER_LZ4HC", ""),
        32008 => ("H5Z_FILTER_BITSHUFFLE", ""),
        32015 => ("H5Z_FILTER_ZSTD", ""),
        _ => return None,
    })
}

fn creation_properties(ctx: &Ctx, d: &Dataset) -> Value {
    let mut m = Map::new();
    let layout = &d.layout().layout;
    let fv = d.fill_value();
    let alloc = match fv.map(|f| f.alloc_time) {
        Some(AllocTime::Early) => "H5D_ALLOC_TIME_EARLY",
        Some(AllocTime::Incremental) => "H5D_ALLOC_TIME_INCR",
        Some(AllocTime::Late) => "H5D_ALLOC_TIME_LATE",
        None if matches!(layout, Layout::Chunked { .. }) => "H5D_ALLOC_TIME_INCR",
        None if matches!(layout, Layout::Compact { .. }) => "H5D_ALLOC_TIME_EARLY",
        None => "H5D_ALLOC_TIME_LATE",
    };
    m.insert("allocTime".into(), json!(alloc));
    let fill = match fv.map(|f| f.fill_time) {
        Some(FillTime::OnAlloc) => "H5D_FILL_TIME_ALLOC",
        Some(FillTime::Never) => "H5D_FILL_TIME_NEVER",
        _ => "H5D_FILL_TIME_IFSET",
    };
    m.insert("fillTime".into(), json!(fill));
    if let Some(bytes) = fv.and_then(|f| f.value.as_ref().filter(|v| f.defined && !v.is_empty())) {
        m.insert("fillValue".into(), ctx.value(d.datatype(), bytes));
    }
    if let Some(p) = d.filters().filter(|p| !p.filters.is_empty()) {
        let fs: Vec<Value> = p
            .filters
            .iter()
            .map(|f| {
                let mut fm = Map::new();
                fm.insert("id".into(), json!(f.id));
                let known = filter_class(f.id);
                let name = f.name.clone().filter(|n| !n.is_empty()).or_else(|| known.map(|k| k.1.to_string()).filter(|n| !n.is_empty()));
                if let Some(n) = name {
                    fm.insert("name".into(), json!(n));
                }
                match known {
                    Some((class, _)) => {
                        fm.insert("class".into(), json!(class));
                    }
                    None => {
                        fm.insert("class".into(), json!("H5Z_FILTER_USER"));
                        if !f.client_data.is_empty() {
                            fm.insert("parameters".into(), json!(f.client_data));
                        }
                    }
                }
                Value::Object(fm)
            })
            .collect();
        m.insert("filters".into(), Value::Array(fs));
    }
    let layout = match layout {
        Layout::Compact { .. } => json!({"class": "H5D_COMPACT"}),
        Layout::Chunked { chunk_dims, .. } => json!({"class": "H5D_CHUNKED", "dims": chunk_dims}),
        _ => json!({"class": "H5D_CONTIGUOUS"}),
    };
    m.insert("layout".into(), layout);
    Value::Object(m)
}

fn attributes(ctx: &Ctx, attrs: Vec<Attribute>, address: u64) -> Option<Value> {
    let mut attrs = attrs;
    if attrs.is_empty() {
        return None;
    }
    // h5py lists attributes by name, or in creation order when the object tracks it.
    if ctx.headers.attribute_order_tracked(address) {
        let order = ctx.headers.attribute_creation_order(address);
        attrs.sort_by_key(|a| order.get(&a.name).copied().unwrap_or(u32::MAX));
    } else {
        attrs.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let items = attrs
        .iter()
        .map(|a| {
            let mut m = Map::new();
            m.insert("name".into(), json!(a.name));
            m.insert("shape".into(), shape_item(a.dataspace.kind, &a.dataspace.dims, None));
            m.insert("type".into(), type_item(&a.datatype));
            if a.dataspace.kind != DataspaceKind::Null {
                m.insert("value".into(), values(ctx, &a.datatype, &a.data, a.dataspace.kind, &a.dataspace.dims));
            }
            Value::Object(m)
        })
        .collect();
    Some(Value::Array(items))
}

pub(crate) fn values(ctx: &Ctx, dt: &Datatype, raw: &[u8], kind: DataspaceKind, dims: &[u64]) -> Value {
    let flat: Vec<Value> = raw.chunks((dt.size as usize).max(1)).map(|b| ctx.value(dt, b)).collect();
    match kind {
        DataspaceKind::Scalar => flat.into_iter().next().unwrap_or(Value::Null),
        DataspaceKind::Null => Value::Null,
        DataspaceKind::Simple => nest(flat, dims),
    }
}


fn links(ctx: &Ctx, g: &Group) -> Value {
    let Ok(links) = ordered_links(g) else { return json!([]) };
    let items = links
        .iter()
        .map(|l| match &l.target {
            LinkTarget::Hard { address } => {
                let (coll, id) = ctx.ids.get(address).cloned().unwrap_or(("groups", id_of(*address)));
                json!({"class": "H5L_TYPE_HARD", "collection": coll, "id": id, "title": l.name})
            }
            LinkTarget::Soft { path } => json!({"class": "H5L_TYPE_SOFT", "h5path": path, "title": l.name}),
            LinkTarget::External { file, path } => {
                json!({"class": "H5L_TYPE_EXTERNAL", "file": file, "h5path": path, "title": l.name})
            }
            LinkTarget::UserDefined { .. } => json!({"class": "H5L_TYPE_USER_DEFINED", "title": l.name}),
        })
        .collect();
    Value::Array(items)
}

/// The HDF5/JSON document of `file`.
pub fn document(path: &Path, file: &File) -> h5kit::Result<Value> {
    let root = file.root()?;
    let objects = h5kit::snapshot::objects(file, &root);
    let ids: HashMap<u64, (&'static str, String)> = objects
        .iter()
        .map(|(_, o)| {
            let coll = match o {
                Object::Group(_) => "groups",
                Object::Dataset(_) => "datasets",
                Object::Datatype(_) => "datatypes",
            };
            (o.address(), (coll, id_of(o.address())))
        })
        .collect();
    let ctx = Ctx { file, headers: crate::ls::header::Headers::open(path, file), ids: &ids };
    let (mut groups, mut datasets, mut datatypes) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (path, obj) in &objects {
        let mut m = Map::new();
        m.insert("alias".into(), json!([path]));
        if let Some(a) = attributes(&ctx, obj.attributes().unwrap_or_default(), obj.address()) {
            m.insert("attributes".into(), a);
        }
        let id = id_of(obj.address());
        match obj {
            Object::Group(g) => {
                // (h5tojson reports no creation properties for the root group.)
                let tracked = g.address() != root.address()
                    && g.links().is_ok_and(|l| !l.is_empty() && l.iter().all(|x| x.creation_order.is_some()));
                let cp = if tracked { json!({"linkCreationOrder": "H5P_CRT_ORDER_INDEXED"}) } else { json!({}) };
                m.insert("creationProperties".into(), cp);
                if g.links().is_ok_and(|l| !l.is_empty()) {
                    m.insert("links".into(), links(&ctx, g));
                }
                groups.insert(id, Value::Object(m));
            }
            Object::Datatype(t) => {
                m.insert("creationProperties".into(), json!({}));
                m.insert("type".into(), type_item(t.datatype()));
                datatypes.insert(id, Value::Object(m));
            }
            Object::Dataset(d) => {
                let ds = d.dataspace();
                m.insert("creationProperties".into(), creation_properties(&ctx, d));
                m.insert("shape".into(), shape_item(ds.kind, &ds.dims, ds.max_dims.as_ref()));
                let mut t = type_item(d.datatype());
                if let (Some(addr), Value::Object(tm)) = (d.committed_datatype(), &mut t) {
                    tm.insert("id".into(), json!(id_of(addr)));
                }
                m.insert("type".into(), t);
                if matches!(d.datatype().class, TypeClass::Opaque { .. }) {
                    m.insert("encoding".into(), json!("base64"));
                }
                // (h5tojson writes no value for a null dataspace or a dataset of no elements)
                if ds.kind == DataspaceKind::Scalar || (ds.kind == DataspaceKind::Simple && ds.dims.iter().all(|&n| n > 0)) {
                    let raw = d.read_raw()?;
                    m.insert("value".into(), values(&ctx, d.datatype(), &raw, ds.kind, &ds.dims));
                }
                datasets.insert(id, Value::Object(m));
            }
        }
    }
    let mut doc = Map::new();
    doc.insert("apiVersion".into(), json!("1.1.1"));
    if !datasets.is_empty() {
        doc.insert("datasets".into(), json!(datasets));
    }
    if !datatypes.is_empty() {
        doc.insert("datatypes".into(), json!(datatypes));
    }
    doc.insert("groups".into(), json!(groups));
    doc.insert("root".into(), json!(id_of(root.address())));
    Ok(Value::Object(doc))
}

/// Pretty JSON text (4-space indentation, like h5tojson), non-finite floats as bare tokens.
pub fn to_text(doc: &Value) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    if serde::Serialize::serialize(doc, &mut ser).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let marker = "\\u0000nonfinite:";
    text.replace(&format!("\"{}NaN\"", marker), "NaN")
        .replace(&format!("\"{}Infinity\"", marker), "Infinity")
        .replace(&format!("\"{}-Infinity\"", marker), "-Infinity")
        + "\n"
}

/// Runs `h5 dump --json` on `path`; returns stdout text and exit status.
pub fn run(path: &Path, display_name: &str) -> (String, i32) {
    let limits = h5kit::Limits { max_alloc: crate::dump::DUMP_MAX_READ, ..h5kit::Limits::default() };
    let file = match File::open_with_limits(path, limits) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("h5 dump --json: unable to open file \"{}\": {}", display_name, e);
            return (String::new(), 1);
        }
    };
    match document(path, &file) {
        Ok(doc) => (to_text(&doc), 0),
        Err(e) => {
            eprintln!("h5 dump --json: {}: {}", display_name, e);
            (String::new(), 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_nesting() {
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        let v = nest((0..6).map(|i| json!(i)).collect(), &[2, 3]);
        assert_eq!(v, json!([[0, 1, 2], [3, 4, 5]]));
        assert_eq!(to_text(&json!([Value::String(format!("{}NaN", NONFINITE))])), "[\n    NaN\n]\n");
    }
}

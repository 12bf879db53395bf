//! What the JavaScript API returns, computed in plain Rust (so it is tested natively):
//! group listings, object info and attributes as JSON text, dataset values as little-endian
//! bytes of a typed-array element type.

use h5kit::{Attribute, ByteOrder, Datatype, File, Hyperslab, LinkTarget, Object, TypeClass, UNLIMITED};
use h5kit::snapshot::Dataset;
use h5kit_core::{Error, ErrorKind, Result};

/// Largest number of elements an attribute value is spelled out in JSON.
const MAX_JSON_ELEMENTS: usize = 4096;

/// A minimal JSON writer.
#[derive(Default)]
pub struct Json(pub String);

impl Json {
    pub fn str(&mut self, s: &str) {
        self.0.push('"');
        for c in s.chars() {
            match c {
                '"' => self.0.push_str("\\\""),
                '\\' => self.0.push_str("\\\\"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                '\t' => self.0.push_str("\\t"),
                c if (c as u32) < 0x20 => self.0.push_str(&format!("\\u{:04x}", c as u32)),
                c => self.0.push(c),
            }
        }
        self.0.push('"');
    }
    pub fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }
    pub fn key(&mut self, k: &str) {
        if !self.0.ends_with('{') && !self.0.ends_with('[') {
            self.0.push(',');
        }
        self.str(k);
        self.0.push(':');
    }
    pub fn sep(&mut self) {
        if !self.0.ends_with('{') && !self.0.ends_with('[') && !self.0.ends_with(':') {
            self.0.push(',');
        }
    }
    pub fn f64(&mut self, v: f64) {
        if v.is_finite() {
            self.0.push_str(&format!("{}", v));
        } else if v.is_nan() {
            self.str("NaN");
        } else if v > 0.0 {
            self.str("Infinity");
        } else {
            self.str("-Infinity");
        }
    }
    pub fn u64s(&mut self, v: &[u64]) {
        self.0.push('[');
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            if *x == UNLIMITED {
                self.0.push_str("null");
            } else {
                self.0.push_str(&x.to_string());
            }
        }
        self.0.push(']');
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.ends_with('/') {
        format!("{}{}", parent, name)
    } else {
        format!("{}/{}", parent, name)
    }
}

/// The object at `path` (`/` is the root group).
pub fn object(file: &File, path: &str) -> Result<Object> {
    if path.is_empty() || path == "/" {
        return Ok(Object::Group(file.root()?));
    }
    file.object(path)
}

pub fn dataset(file: &File, path: &str) -> Result<Dataset> {
    match object(file, path)? {
        Object::Dataset(d) => Ok(d),
        _ => Err(Error::usage(format!("{} is not a dataset", path))),
    }
}

fn kind(obj: &Object) -> &'static str {
    match obj {
        Object::Group(_) => "group",
        Object::Dataset(_) => "dataset",
        Object::Datatype(_) => "datatype",
    }
}

/// The links of the group at `path`, in name order, as a JSON array of
/// `{"name","path","kind"}` (kind: group, dataset, datatype, soft, external, user, error)
/// with `target` for soft/external links and `shape`/`dtype` for datasets.
pub fn list(file: &File, path: &str) -> Result<String> {
    let group = match object(file, path)? {
        Object::Group(g) => g,
        _ => return Err(Error::usage(format!("{} is not a group", path))),
    };
    let mut links = group.links()?;
    links.sort_by(|a, b| a.name.cmp(&b.name));
    let mut j = Json::default();
    j.raw("[");
    for link in links {
        j.sep();
        j.raw("{");
        j.key("name");
        j.str(&link.name);
        let child = join(group.path(), &link.name);
        j.key("path");
        j.str(&child);
        match &link.target {
            LinkTarget::Hard { address } => match file.object_at(*address, &child) {
                Ok(obj) => {
                    j.key("kind");
                    j.str(kind(&obj));
                    if let Object::Dataset(d) = &obj {
                        j.key("shape");
                        j.u64s(d.shape());
                        j.key("dtype");
                        j.str(&dtype_name(d.datatype()));
                    }
                }
                // I/O errors (including "not loaded yet" of ranged storage) fail the listing.
                Err(e) if e.kind == ErrorKind::Io => return Err(e),
                Err(e) => {
                    j.key("kind");
                    j.str("error");
                    j.key("error");
                    j.str(&e.to_string());
                }
            },
            LinkTarget::Soft { path } => {
                j.key("kind");
                j.str("soft");
                j.key("target");
                j.str(path);
            }
            LinkTarget::External { file: f, path } => {
                j.key("kind");
                j.str("external");
                j.key("target");
                j.str(&format!("{}:{}", f, path));
            }
            LinkTarget::UserDefined { link_type, .. } => {
                j.key("kind");
                j.str("user");
                j.key("target");
                j.str(&format!("type {}", link_type));
            }
        }
        j.raw("}");
    }
    j.raw("]");
    Ok(j.0)
}

/// numpy-style name of a datatype (`<f8`, `>i4`, `|u1`, `|S10`, `str`, `compound`...).
pub fn dtype_name(dt: &Datatype) -> String {
    let order = |o: &ByteOrder, size: u32| -> &'static str {
        if size == 1 {
            "|"
        } else if matches!(o, ByteOrder::BigEndian) {
            ">"
        } else {
            "<"
        }
    };
    match &dt.class {
        TypeClass::Integer { order: o, signed, .. } => {
            format!("{}{}{}", order(o, dt.size), if *signed { "i" } else { "u" }, dt.size)
        }
        TypeClass::Float { order: o, .. } => format!("{}f{}", order(o, dt.size), dt.size),
        TypeClass::Bitfield { order: o, .. } => format!("{}b{}", order(o, dt.size), dt.size),
        TypeClass::String { .. } => format!("|S{}", dt.size),
        TypeClass::VarLenString { .. } => "str".to_string(),
        TypeClass::Enum { base, .. } => format!("enum({})", dtype_name(base)),
        TypeClass::Compound { members } => {
            let names: Vec<String> = members.iter().map(|m| format!("{}:{}", m.name, dtype_name(&m.datatype))).collect();
            format!("compound({})", names.join(","))
        }
        TypeClass::Opaque { tag } => format!("opaque({})", tag),
        TypeClass::Reference { .. } => "reference".to_string(),
        TypeClass::VarLenSequence { base } => format!("vlen({})", dtype_name(base)),
        TypeClass::Array { dims, base } => format!("array({:?},{})", dims, dtype_name(base)),
        TypeClass::Time { .. } => "time".to_string(),
        TypeClass::Complex { base } => format!("complex({})", dtype_name(base)),
    }
}

/// The JavaScript typed-array element a numeric datatype reads into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Element {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
}

impl Element {
    /// `Float64Array` etc.
    pub fn array_name(self) -> &'static str {
        match self {
            Element::I8 => "Int8Array",
            Element::U8 => "Uint8Array",
            Element::I16 => "Int16Array",
            Element::U16 => "Uint16Array",
            Element::I32 => "Int32Array",
            Element::U32 => "Uint32Array",
            Element::I64 => "BigInt64Array",
            Element::U64 => "BigUint64Array",
            Element::F32 => "Float32Array",
            Element::F64 => "Float64Array",
        }
    }
    pub fn size(self) -> usize {
        match self {
            Element::I8 | Element::U8 => 1,
            Element::I16 | Element::U16 => 2,
            Element::I32 | Element::U32 | Element::F32 => 4,
            Element::I64 | Element::U64 | Element::F64 => 8,
        }
    }
}

/// The element type numeric data of `dt` reads into, and whether the file's bytes already
/// are that type's little-endian encoding (then no conversion is needed).
pub fn element_of(dt: &Datatype) -> Option<(Element, bool)> {
    match &dt.class {
        TypeClass::Integer { order, bit_offset, precision, .. } | TypeClass::Bitfield { order, bit_offset, precision, .. } => {
            let signed = matches!(dt.class, TypeClass::Integer { signed: true, .. });
            let e = match (dt.size, signed) {
                (1, true) => Element::I8,
                (1, false) => Element::U8,
                (2, true) => Element::I16,
                (2, false) => Element::U16,
                (3 | 4, true) => Element::I32,
                (3 | 4, false) => Element::U32,
                (5..=8, true) => Element::I64,
                (5..=8, false) => Element::U64,
                _ => return None,
            };
            let native = !matches!(order, ByteOrder::BigEndian)
                && *bit_offset == 0
                && u32::from(*precision) == dt.size.saturating_mul(8)
                && e.size() == dt.size as usize;
            Some((e, native))
        }
        TypeClass::Float { order, bit_offset, precision, exponent_size, mantissa_size, .. } => {
            let standard = *bit_offset == 0
                && ((dt.size == 4 && *precision == 32 && *exponent_size == 8 && *mantissa_size == 23)
                    || (dt.size == 8 && *precision == 64 && *exponent_size == 11 && *mantissa_size == 52));
            let e = if dt.size <= 4 { Element::F32 } else { Element::F64 };
            Some((e, standard && !matches!(order, ByteOrder::BigEndian)))
        }
        TypeClass::Enum { base, .. } => element_of(base),
        _ => None,
    }
}

/// Dataset or attribute values as bytes of a typed array.
pub struct Typed {
    pub element: Element,
    pub shape: Vec<u64>,
    /// Little-endian elements.
    bytes: Box<dyn AsRef<[u8]>>,
}

impl Typed {
    /// The little-endian elements.
    pub fn bytes(&self) -> &[u8] {
        (*self.bytes).as_ref()
    }
}

impl std::fmt::Debug for Typed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Typed").field("element", &self.element).field("shape", &self.shape).field("len", &self.bytes().len()).finish()
    }
}

/// The bytes of an [`h5kit::ArrayView`]: for contiguous data of an in-memory file, the file's
/// own bytes (no copy in wasm memory before the one into the JavaScript typed array).
struct ViewBytes<T>(h5kit::ArrayView<T>);

impl<T: h5kit::H5Type + bytemuck::Pod> AsRef<[u8]> for ViewBytes<T> {
    fn as_ref(&self) -> &[u8] {
        bytemuck::cast_slice(self.0.as_slice())
    }
}

/// The whole dataset as stored, when its type is laid out as `T`: borrowed from the file's
/// bytes where it can be ([`Dataset::read_view`]); `None` when `T` is not the file's layout.
fn stored_view<T: h5kit::H5Type + bytemuck::Pod>(ds: &Dataset) -> Result<Option<Box<dyn AsRef<[u8]>>>> {
    if !T::is_native(ds.datatype()) {
        return Ok(None);
    }
    Ok(Some(Box::new(ViewBytes(ds.read_view::<T>()?))))
}

fn le_bytes<T: Copy, const N: usize>(v: Vec<T>, f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len().saturating_mul(N));
    for x in v {
        out.extend_from_slice(&f(x));
    }
    out
}

/// Elements converted to `T` by h5kit (byte order, precision, half floats).
fn converted<T: h5kit::H5Type>(ds: &Dataset, sel: Option<&Hyperslab>) -> Result<Vec<T>> {
    Ok(match sel {
        Some(h) => ds.read_slice::<T>(h)?.data,
        None => ds.read::<T>()?.data,
    })
}

/// Reads a numeric dataset (or the hyperslab `start`/`count` of it) into typed-array bytes:
/// native little-endian types as stored (`Dataset::read_raw`/`read_raw_selection`), others
/// converted by h5kit.
pub fn read_typed(ds: &Dataset, selection: Option<(&[u64], &[u64])>) -> Result<Typed> {
    let dt = ds.datatype();
    let (element, native) = element_of(dt).ok_or_else(|| {
        Error::new(ErrorKind::Unsupported, format!("{} has datatype {}, not a number type", ds.path(), dtype_name(dt)))
    })?;
    let (sel, shape) = match selection {
        Some((start, count)) => {
            if start.len() != ds.shape().len() || count.len() != ds.shape().len() {
                return Err(Error::usage(format!(
                    "selection of rank {} for {} of rank {}",
                    start.len(),
                    ds.path(),
                    ds.shape().len()
                )));
            }
            (Some(Hyperslab::new(start, count)), count.to_vec())
        }
        None => (None, ds.shape().to_vec()),
    };
    let sel = sel.as_ref();
    let whole = if native && sel.is_none() {
        match element {
            Element::I8 => stored_view::<i8>(ds)?,
            Element::U8 => stored_view::<u8>(ds)?,
            Element::I16 => stored_view::<i16>(ds)?,
            Element::U16 => stored_view::<u16>(ds)?,
            Element::I32 => stored_view::<i32>(ds)?,
            Element::U32 => stored_view::<u32>(ds)?,
            Element::I64 => stored_view::<i64>(ds)?,
            Element::U64 => stored_view::<u64>(ds)?,
            Element::F32 => stored_view::<f32>(ds)?,
            Element::F64 => stored_view::<f64>(ds)?,
        }
    } else {
        None
    };
    if let Some(bytes) = whole {
        return Ok(Typed { element, shape, bytes });
    }
    let bytes = if native {
        match sel {
            Some(h) => ds.read_raw_selection(h)?,
            None => ds.read_raw()?,
        }
    } else {
        match element {
            Element::I8 => le_bytes(converted::<i8>(ds, sel)?, i8::to_le_bytes),
            Element::U8 => le_bytes(converted::<u8>(ds, sel)?, u8::to_le_bytes),
            Element::I16 => le_bytes(converted::<i16>(ds, sel)?, i16::to_le_bytes),
            Element::U16 => le_bytes(converted::<u16>(ds, sel)?, u16::to_le_bytes),
            Element::I32 => le_bytes(converted::<i32>(ds, sel)?, i32::to_le_bytes),
            Element::U32 => le_bytes(converted::<u32>(ds, sel)?, u32::to_le_bytes),
            Element::I64 => le_bytes(converted::<i64>(ds, sel)?, i64::to_le_bytes),
            Element::U64 => le_bytes(converted::<u64>(ds, sel)?, u64::to_le_bytes),
            Element::F32 => le_bytes(converted::<f32>(ds, sel)?, f32::to_le_bytes),
            Element::F64 => le_bytes(converted::<f64>(ds, sel)?, f64::to_le_bytes),
        }
    };
    Ok(Typed { element, shape, bytes: Box::new(bytes) })
}

fn is_string(dt: &Datatype) -> bool {
    matches!(dt.class, TypeClass::String { .. } | TypeClass::VarLenString { .. })
}

/// An attribute's value as JSON: numbers (flat, row-major), strings, or `null` when not
/// representable (or too large to spell out).
fn value_json(j: &mut Json, a: &Attribute, scalar: bool) -> Result<()> {
    let size = a.datatype.size as usize;
    let count = a.data.len().checked_div(size).unwrap_or(0);
    if count > MAX_JSON_ELEMENTS {
        j.raw("null");
        return Ok(());
    }
    if is_string(&a.datatype) {
        let strs = a.read_strings()?;
        if let (true, [only]) = (scalar, strs.as_slice()) {
            j.str(only);
        } else {
            j.raw("[");
            for s in &strs {
                j.sep();
                j.str(s);
            }
            j.raw("]");
        }
        return Ok(());
    }
    if element_of(&a.datatype).is_some() {
        let is_float = matches!(a.datatype.class, TypeClass::Float { .. });
        let unsigned64 = matches!(element_of(&a.datatype), Some((Element::U64, _)));
        let nums: Vec<f64> = a.read::<f64>()?.data;
        let ints: Option<Vec<i64>> = if is_float || unsigned64 { None } else { Some(a.read::<i64>()?.data) };
        let emit = |j: &mut Json, i: usize| match ints.as_ref().and_then(|v| v.get(i)) {
            Some(v) => j.raw(&v.to_string()),
            None => j.f64(nums.get(i).copied().unwrap_or(f64::NAN)),
        };
        if scalar && nums.len() == 1 {
            emit(j, 0);
        } else {
            j.raw("[");
            for i in 0..nums.len() {
                j.sep();
                emit(j, i);
            }
            j.raw("]");
        }
        return Ok(());
    }
    j.raw("null");
    Ok(())
}
/// The attributes of the object at `path` in name order (as h5dump and h5py show them), as a
/// JSON array of `{"name","dtype","shape","value"}`.
pub fn attributes(file: &File, path: &str) -> Result<String> {
    let obj = object(file, path)?;
    let mut attrs = obj.attributes()?;
    attrs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut j = Json::default();
    j.raw("[");
    for a in attrs {
        j.sep();
        j.raw("{");
        j.key("name");
        j.str(&a.name);
        j.key("dtype");
        j.str(&dtype_name(&a.datatype));
        j.key("shape");
        j.u64s(&a.dataspace.dims);
        j.key("value");
        let scalar = matches!(a.dataspace.kind, h5kit::DataspaceKind::Scalar);
        if matches!(a.dataspace.kind, h5kit::DataspaceKind::Null) {
            j.raw("null");
        } else if let Err(e) = value_json(&mut j, &a, scalar) {
            if e.kind == ErrorKind::Io {
                return Err(e);
            }
            // Keep the listing usable; say what failed.
            if j.0.ends_with(':') {
                j.raw("null");
            }
            j.key("error");
            j.str(&e.to_string());
        }
        j.raw("}");
    }
    j.raw("]");
    Ok(j.0)
}

/// Object info as JSON: `{"kind","path","address"}`, and for datasets `shape`, `maxshape`,
/// `dtype`, `element` (typed array name or null), `layout`, `chunks`, `filters`.
pub fn info(file: &File, path: &str) -> Result<String> {
    let obj = object(file, path)?;
    let mut j = Json::default();
    j.raw("{");
    j.key("kind");
    j.str(kind(&obj));
    j.key("path");
    j.str(obj.path());
    j.key("address");
    j.raw(&obj.address().to_string());
    if let Object::Dataset(d) = &obj {
        j.key("shape");
        j.u64s(d.shape());
        j.key("maxshape");
        match &d.dataspace().max_dims {
            Some(m) => j.u64s(m),
            None => j.u64s(d.shape()),
        }
        j.key("dtype");
        j.str(&dtype_name(d.datatype()));
        j.key("element");
        match element_of(d.datatype()) {
            Some((e, _)) => j.str(e.array_name()),
            None => j.raw("null"),
        }
        j.key("strings");
        j.raw(if is_string(d.datatype()) { "true" } else { "false" });
        j.key("layout");
        match &d.layout().layout {
            h5kit::Layout::Compact { .. } => j.str("compact"),
            h5kit::Layout::Contiguous { .. } => j.str("contiguous"),
            h5kit::Layout::Chunked { chunk_dims, .. } => {
                j.str("chunked");
                j.key("chunks");
                j.u64s(chunk_dims);
            }
            _ => j.str("other"),
        }
        j.key("filters");
        j.raw("[");
        if let Some(p) = d.filters() {
            for f in &p.filters {
                j.sep();
                j.str(&filter_name(f.id, f.name.as_deref()));
            }
        }
        j.raw("]");
    }
    j.raw("}");
    Ok(j.0)
}

fn filter_name(id: u16, name: Option<&str>) -> String {
    match id {
        1 => "deflate".into(),
        2 => "shuffle".into(),
        3 => "fletcher32".into(),
        4 => "szip".into(),
        5 => "nbit".into(),
        6 => "scaleoffset".into(),
        32000 => "lzf".into(),
        32001 => "blosc".into(),
        32004 => "lz4".into(),
        32008 => "bitshuffle".into(),
        32015 => "zstd".into(),
        _ => name.map(str::to_string).unwrap_or_else(|| format!("filter {}", id)),
    }
}

/// String dataset values (fixed or variable length) as a JSON array, for `readStrings`.
pub fn read_strings(file: &File, path: &str) -> Result<String> {
    let ds = dataset(file, path)?;
    if !is_string(ds.datatype()) {
        return Err(Error::usage(format!("{} is not a string dataset", path)));
    }
    let strs = ds.read_strings()?;
    let mut j = Json::default();
    j.raw("[");
    for s in &strs {
        j.sep();
        j.str(s);
    }
    j.raw("]");
    Ok(j.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interop(name: &str) -> File {
        let p = crate::interop_path(name);
        File::from_bytes(std::fs::read(p).unwrap()).unwrap()
    }

    #[test]
    fn lists_groups_with_kinds() {
        let f = interop("jhdf/test_file.hdf5");
        let root = list(&f, "/").unwrap();
        assert_eq!(
            root,
            r#"[{"name":"datasets_group","path":"/datasets_group","kind":"group"},{"name":"links_group","path":"/links_group","kind":"group"},{"name":"nD_Datasets","path":"/nD_Datasets","kind":"group"}]"#
        );
        // h5ls -r: soft/external links and the 3-D datasets {2, 5, 100}.
        let links = list(&f, "/links_group").unwrap();
        assert!(links.contains(r#"{"name":"soft_link_to_group","path":"/links_group/soft_link_to_group","kind":"soft","target":"/datasets_group/int"}"#), "{}", links);
        assert!(links.contains(r#""kind":"external","target":"test_file_ext.hdf5:/external_dataset""#), "{}", links);
        let nd = list(&f, "/nD_Datasets").unwrap();
        assert!(nd.contains(r#"{"name":"3D_float32","path":"/nD_Datasets/3D_float32","kind":"dataset","shape":[2,5,100],"dtype":"<f4"}"#), "{}", nd);
        assert!(list(&f, "/datasets_group/int/int8").is_err());
    }

    #[test]
    fn reads_typed_values_and_slices() {
        let f = interop("jhdf/test_file.hdf5");
        // h5dump: int8 = -10 .. 10
        let t = read_typed(&dataset(&f, "/datasets_group/int/int8").unwrap(), None).unwrap();
        assert_eq!(t.element, Element::I8);
        assert_eq!(t.bytes().len(), 21);
        assert_eq!(t.bytes()[0] as i8, -10);
        assert_eq!(t.bytes()[20] as i8, 10);
        let t = read_typed(&dataset(&f, "/datasets_group/float/float64").unwrap(), Some((&[5], &[3]))).unwrap();
        assert_eq!(t.element, Element::F64);
        assert_eq!(t.shape, vec![3]);
        let v: Vec<f64> = t.bytes().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(v, vec![-5.0, -4.0, -3.0]);
        assert!(read_typed(&dataset(&f, "/datasets_group/float/float64").unwrap(), Some((&[5, 1], &[3, 1]))).is_err());
    }

    #[test]
    fn big_endian_data_is_converted() {
        // h5dump hdf_v14_test1.hdf5: dset1 H5T_STD_I32BE {10, 20}, row 1 = 1, 2, ...;
        // dset2 H5T_IEEE_F64BE {30, 20}, (0,1) = 0.0001.
        let f = interop("jhdf/hdf_v14_test1.hdf5");
        let t = read_typed(&dataset(&f, "/dset1").unwrap(), None).unwrap();
        assert_eq!(t.element, Element::I32);
        assert_eq!(t.shape, vec![10, 20]);
        let v: Vec<i32> = t.bytes().chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(&v[..3], &[0, 1, 2]);
        assert_eq!(&v[20..23], &[1, 2, 3]);
        let t = read_typed(&dataset(&f, "/dset2").unwrap(), Some((&[0, 1], &[1, 2]))).unwrap();
        let v: Vec<f64> = t.bytes().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(v, vec![0.0001, 0.0002]);
        assert!(info(&f, "/dset2").unwrap().contains(r#""dtype":">f8","element":"Float64Array""#));
    }

    #[test]
    fn attributes_as_json() {
        // h5dump -A test_attribute_earliest.hdf5 (dataset /hard_link_data).
        let f = interop("jhdf/test_attribute_earliest.hdf5");
        let a = attributes(&f, "/hard_link_data").unwrap();
        for expected in [
            r#"{"name":"1D_int","dtype":"<i4","shape":[3],"value":[0,1,2]}"#,
            r#"{"name":"2D_float","dtype":"<f4","shape":[2,3],"value":[0,1,2,3,4,5]}"#,
            r#"{"name":"2d_string","dtype":"str","shape":[2,3],"value":["0","1","2","3","4","5"]}"#,
            r#"{"name":"empty_float","dtype":"<f4","shape":[],"value":null}"#,
            r#"{"name":"scalar_int","dtype":"<i4","shape":[],"value":123}"#,
            r#"{"name":"scalar_string","dtype":"str","shape":[],"value":"hello"}"#,
        ] {
            assert!(a.contains(expected), "{} not in {}", expected, a);
        }
        // 123.45 as f32, widened.
        assert!(a.contains(r#"{"name":"scalar_float","dtype":"<f4","shape":[],"value":123.44999694824219}"#), "{}", a);
    }

    #[test]
    fn info_describes_chunked_datasets() {
        // h5ls -rv: /float/float32 {7, 5}, chunks {2, 1}, deflate; values 0..34 (h5dump).
        let f = interop("jhdf/test_compressed_chunked_datasets_earliest.hdf5");
        let i = info(&f, "/float/float32").unwrap();
        assert!(
            i.ends_with(r#""shape":[7,5],"maxshape":[7,5],"dtype":"<f4","element":"Float32Array","strings":false,"layout":"chunked","chunks":[2,1],"filters":["deflate"]}"#),
            "{}",
            i
        );
        let t = read_typed(&dataset(&f, "/float/float32").unwrap(), Some((&[6, 3], &[1, 2]))).unwrap();
        let v: Vec<f32> = t.bytes().chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(v, vec![33.0, 34.0]);
        assert!(info(&f, "/float").unwrap().starts_with(r#"{"kind":"group","path":"/float","#));
    }

    #[test]
    fn json_escapes() {
        let mut j = Json::default();
        j.str("a\"b\\c\n\u{1}");
        assert_eq!(j.0, r#""a\"b\\c\n\u0001""#);
        let mut j = Json::default();
        j.f64(f64::NAN);
        j.raw(",");
        j.f64(1.5);
        assert_eq!(j.0, r#""NaN",1.5"#);
    }
}

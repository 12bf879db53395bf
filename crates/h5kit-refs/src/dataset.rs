//! `h5 refs`: a chunk manifest of the file in kerchunk's reference spec version 1
//! (<https://fsspec.github.io/kerchunk/spec.html>): `{"version": 1, "refs": {...}}` where each
//! group has `.zgroup`/`.zattrs`, each dataset Zarr v2 metadata (`.zarray`, `.zattrs`) and its
//! stored chunks as `"path/i.j": [url, offset, length]` (absolute file offsets: the base
//! address, i.e. any userblock, is added to the addresses of spec IV.A.2.i "The Data Layout
//! Message" and the chunk indexes of VII "Appendix C"). Compact and small contiguous datasets
//! are inlined as `"base64:..."`. Filters (IV.A.2.l) map to numcodecs codecs: deflate ->
//! `zlib`, shuffle -> `shuffle`, Fletcher-32 -> `fletcher32` (checks and strips the
//! checksum), zstd (32015) -> `zstd`. A dataset that cannot be expressed is left out and
//! listed with its reason under the top-level key `"h5kit:skipped"` (fsspec ignores it).
//! Design: spec-notes/kerchunk.md.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use h5kit::{ByteOrder, DataspaceKind, Datatype, File, Layout, Object, TypeClass};
use h5kit::snapshot::Dataset;
use serde_json::{json, Map, Value};

use crate::json::{base64, Ctx};

/// Contiguous datasets up to this many bytes are inlined (kerchunk's default
/// `inline_threshold`).
pub const INLINE_THRESHOLD: u64 = 500;

/// numpy's typestr of `dt` for a Zarr v2 `.zarray`, or why it has none.
fn typestr(dt: &Datatype) -> Result<Value, String> {
    let order = |o: ByteOrder, size: u32| {
        if size == 1 {
            "|"
        } else if o == ByteOrder::BigEndian {
            ">"
        } else {
            "<"
        }
    };
    match &dt.class {
        TypeClass::Integer { order: o, signed, .. } => {
            Ok(json!(format!("{}{}{}", order(*o, dt.size), if *signed { "i" } else { "u" }, dt.size)))
        }
        TypeClass::Bitfield { order: o, .. } => Ok(json!(format!("{}u{}", order(*o, dt.size), dt.size))),
        TypeClass::Float { order: o, .. } if matches!(dt.size, 2 | 4 | 8) => {
            Ok(json!(format!("{}f{}", order(*o, dt.size), dt.size)))
        }
        TypeClass::Enum { base, .. } => typestr(base),
        TypeClass::String { .. } => Ok(json!(format!("|S{}", dt.size))),
        TypeClass::Opaque { .. } => Ok(json!(format!("|V{}", dt.size))),
        TypeClass::Compound { members } => {
            // A Zarr v2 structured dtype is a packed list of fields: members must follow one
            // another without gaps, in offset order, and fill the element.
            let mut at = 0u64;
            let mut fields = Vec::new();
            for m in members {
                if m.byte_offset != at {
                    return Err("compound with padding or out-of-order members (no packed numpy dtype)".into());
                }
                let t = typestr(&m.datatype)?;
                if !t.is_string() {
                    return Err("nested compound member".into());
                }
                fields.push(json!([m.name, t]));
                at += u64::from(m.datatype.size);
            }
            if at != u64::from(dt.size) {
                return Err("compound with trailing padding (no packed numpy dtype)".into());
            }
            Ok(Value::Array(fields))
        }
        TypeClass::VarLenString { .. } => Err("variable-length strings".into()),
        TypeClass::VarLenSequence { .. } => Err("variable-length sequences".into()),
        TypeClass::Reference { .. } => Err("references".into()),
        TypeClass::Array { .. } => Err("array datatype".into()),
        other => Err(format!("datatype {:?} has no numpy typestr", std::mem::discriminant(other))),
    }
}

/// Zarr v2's `fill_value` for `dt` from the stored fill bytes (HDF5's default, zeros, when the
/// dataset defines none).
fn fill_value(dt: &Datatype, bytes: &[u8]) -> Value {
    use crate::dump::values::{float_value, read_uint};
    match &dt.class {
        TypeClass::Enum { base, .. } => fill_value(base, bytes),
        TypeClass::Integer { order, signed: true, .. } => {
            let u = read_uint(bytes, *order);
            let bits = 8 * dt.size;
            let v = if bits < 64 && u >> (bits - 1) & 1 == 1 { (u as i64) - (1i64 << bits) } else { u as i64 };
            json!(v)
        }
        TypeClass::Integer { order, .. } | TypeClass::Bitfield { order, .. } => json!(read_uint(bytes, *order)),
        TypeClass::Float { .. } => match float_value(dt, bytes) {
            Some(v) if v.is_nan() => json!("NaN"),
            Some(v) if v.is_infinite() => json!(if v > 0.0 { "Infinity" } else { "-Infinity" }),
            Some(v) => json!(v),
            None => json!(0),
        },
        // Zarr v2 encodes byte-string, void and structured fill values as base64.
        _ => json!(base64(bytes)),
    }
}

/// The numcodecs filter list of `d`'s pipeline, or why it has none.
fn filters(d: &Dataset) -> Result<Option<Vec<Value>>, String> {
    let Some(p) = d.filters() else { return Ok(None) };
    if p.filters.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for f in &p.filters {
        let codec = match f.id {
            1 => json!({"id": "zlib", "level": f.client_data.first().copied().unwrap_or(6)}),
            2 if !out.is_empty() => {
                return Err("shuffle after another filter (numcodecs' shuffle needs whole elements; HDF5 copies the remainder)".into())
            }
            2 => json!({"id": "shuffle", "elementsize": f.client_data.first().copied().unwrap_or(d.datatype().size)}),
            3 => json!({"id": "fletcher32"}),
            32015 => json!({"id": "zstd", "level": f.client_data.first().copied().unwrap_or(0)}),
            4 => return Err("szip filter (no numcodecs codec)".into()),
            5 => return Err("n-bit filter (no numcodecs codec)".into()),
            6 => return Err("scale-offset filter (no numcodecs codec)".into()),
            32004 => return Err("LZ4 filter (HDF5 framing; numcodecs' LZ4 differs, imagecodecs not used)".into()),
            32008 => return Err("bitshuffle filter (no numcodecs codec for the HDF5 framing)".into()),
            id => return Err(format!("filter {} has no numcodecs codec", id)),
        };
        out.push(codec);
    }
    // HDF5 applies the pipeline in order when writing; Zarr's filters list too (and undoes it
    // in reverse when reading).
    Ok(Some(out))
}

/// Attribute values as `.zattrs` (numbers, strings and arrays of them; others left out).
fn zattrs(ctx: &Ctx, attrs: Vec<h5kit::Attribute>, skip_dim_attrs: bool) -> Map<String, Value> {
    let mut m = Map::new();
    for a in attrs {
        if skip_dim_attrs && matches!(a.name.as_str(), "DIMENSION_LIST" | "REFERENCE_LIST" | "CLASS" | "NAME") {
            continue;
        }
        if !attr_convertible(&a.datatype) || a.dataspace.kind == DataspaceKind::Null {
            continue;
        }
        let v = crate::json::values(ctx, &a.datatype, &a.data, a.dataspace.kind, &a.dataspace.dims);
        m.insert(a.name.clone(), v);
    }
    m
}

fn attr_convertible(dt: &Datatype) -> bool {
    match &dt.class {
        TypeClass::Integer { .. } | TypeClass::Float { .. } | TypeClass::String { .. } | TypeClass::VarLenString { .. } => true,
        TypeClass::Enum { base, .. } => attr_convertible(base),
        TypeClass::Array { base, .. } => attr_convertible(base),
        _ => false,
    }
}

/// Zarr key prefix of an HDF5 path ("" for the root, "a/b/" otherwise).
fn prefix(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{}/", p)
    }
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `_ARRAY_DIMENSIONS` as kerchunk writes it: a dimension scale names itself; other datasets
/// name each dimension's first attached scale, else `phony_dim_N`.
fn array_dimensions(d: &Dataset, names: &HashMap<u64, String>) -> Vec<String> {
    let attrs = d.attributes().unwrap_or_default();
    let is_scale = attrs.iter().any(|a| a.name == "CLASS" && a.read_strings().ok().is_some_and(|s| s.first().map(String::as_str) == Some("DIMENSION_SCALE")));
    let rank = d.shape().len();
    if is_scale && rank == 1 {
        return vec![base_name(d.path()).to_string()];
    }
    let mut out: Vec<String> = (0..rank).map(|i| format!("phony_dim_{}", i)).collect();
    if let Some(dl) = attrs.iter().find(|a| a.name == "DIMENSION_LIST") {
        if let Ok(lists) = dl.read_vlen() {
            let osize = 8usize;
            for (i, refs) in lists.iter().enumerate().take(rank) {
                if let Some(b) = refs.get(..osize) {
                    let addr = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                    if let Some(n) = names.get(&addr) {
                        out[i] = base_name(n).to_string();
                    }
                }
            }
        }
    }
    out
}

/// The `.zarray` and chunk references of one dataset, or why it cannot be expressed.
fn dataset_refs(
    d: &Dataset,
    url: &str,
    base: u64,
    refs: &mut BTreeMap<String, Value>,
    pre: &str,
) -> Result<(), String> {
    if d.dataspace().kind == DataspaceKind::Null {
        return Err("null dataspace".into());
    }
    if d.external_files().is_some() {
        return Err("external storage".into());
    }
    match &d.datatype().class {
        TypeClass::VarLenString { .. } => return embed(d, refs, pre, "strings"),
        TypeClass::VarLenSequence { base }
            if matches!(base.class, TypeClass::Integer { .. } | TypeClass::Float { .. }) =>
        {
            return embed(d, refs, pre, "sequences")
        }
        _ => {}
    }
    let dtype = typestr(d.datatype())?;
    let filters = filters(d)?;
    let shape: Vec<u64> = d.shape().to_vec();
    let esize = u64::from(d.datatype().size);
    let fill_bytes = d
        .fill_value()
        .and_then(|f| if f.defined { f.value.clone() } else { None })
        .filter(|v| v.len() as u64 == esize)
        .unwrap_or_else(|| vec![0; d.datatype().size as usize]);
    let ones = |v: &[u64]| v.iter().map(|&x| x.max(1)).collect::<Vec<u64>>();
    let key0 = if shape.is_empty() { "0".to_string() } else { vec!["0"; shape.len()].join(".") };
    let mut chunk_refs: Vec<(String, Value)> = Vec::new();
    let chunks = match &d.layout().layout {
        Layout::Compact { data } => {
            if filters.is_some() {
                return Err("filtered compact dataset".into());
            }
            let n: u64 = shape.iter().product::<u64>() * esize;
            if data.len() as u64 != n {
                return Err(format!("compact data of {} bytes for {} expected", data.len(), n));
            }
            chunk_refs.push((key0, json!(format!("base64:{}", base64(data)))));
            ones(&shape)
        }
        Layout::Contiguous { address, size } => {
            if let Some(a) = address {
                if *size <= INLINE_THRESHOLD {
                    let raw = d.read_raw().map_err(|e| e.to_string())?;
                    chunk_refs.push((key0, json!(format!("base64:{}", base64(&raw)))));
                } else {
                    chunk_refs.push((key0, json!([url, base + a, size])));
                }
            }
            ones(&shape)
        }
        Layout::Chunked { chunk_dims, flags, .. } => {
            if filters.is_some() && flags & 1 != 0 {
                return Err("partial edge chunks stored unfiltered (layout flag)".into());
            }
            let locs = d.chunk_locations().map_err(|e| e.to_string())?;
            for c in locs {
                if c.filter_mask != 0 {
                    return Err(format!(
                        "chunk {:?} skipped filters (mask {:#x}); Zarr applies every filter to every chunk",
                        c.scaled_offset, c.filter_mask
                    ));
                }
                let key = if c.scaled_offset.is_empty() {
                    "0".to_string()
                } else {
                    c.scaled_offset.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(".")
                };
                chunk_refs.push((key, json!([url, base + c.address, c.size])));
            }
            chunk_dims.clone()
        }
        Layout::Virtual { .. } => return Err("virtual dataset".into()),
    };
    let zarray = json!({
        "zarr_format": 2,
        "shape": shape,
        "chunks": chunks,
        "dtype": dtype,
        "fill_value": fill_value(d.datatype(), &fill_bytes),
        "order": "C",
        "compressor": null,
        "filters": filters,
    });
    refs.insert(format!("{}.zarray", pre), json!(zarray.to_string()));
    for (k, v) in chunk_refs {
        refs.insert(format!("{}{}", pre, k), v);
    }
    Ok(())
}

/// Variable-length strings and sequences up to this many elements are embedded (kerchunk's default
/// `vlen_encode="embed"`); larger ones are skipped.
pub const EMBED_MAX_STRINGS: u64 = 100_000;

/// A variable-length string (or numeric sequence) dataset in kerchunk's "embed" mode: one
/// inline chunk holding the whole array in numcodecs' `json2` encoding (`[values..., "|O",
/// shape]`, values nested by dimension; a sequence is a JSON list), dtype `|O`.
fn embed(d: &Dataset, refs: &mut BTreeMap<String, Value>, pre: &str, what: &str) -> Result<(), String> {
    let shape: Vec<u64> = d.shape().to_vec();
    if shape.is_empty() {
        return Err(format!("scalar variable-length {} (numcodecs' json2 cannot fill a 0-d array)", what));
    }
    let n: u64 = shape.iter().product();
    if n > EMBED_MAX_STRINGS {
        return Err(format!("variable-length {}: {} elements, more than the {} embedded", what, n, EMBED_MAX_STRINGS));
    }
    let flat: Vec<Value> = match &d.datatype().class {
        TypeClass::VarLenSequence { base } => {
            let size = (base.size as usize).max(1);
            let seqs = d.read_vlen().map_err(|e| e.to_string())?;
            seqs.iter().map(|b| Value::Array(b.chunks_exact(size).map(|e| fill_value(base, e)).collect())).collect()
        }
        _ => d.read_strings().map_err(|e| e.to_string())?.into_iter().map(Value::String).collect(),
    };
    if flat.len() as u64 != n {
        return Err(format!("{} elements read for {}", flat.len(), n));
    }
    fn nest(flat: &[Value], dims: &[u64]) -> Vec<Value> {
        match dims.split_first() {
            Some((_, rest)) if !rest.is_empty() => {
                let step = rest.iter().product::<u64>().max(1) as usize;
                flat.chunks(step).map(|c| Value::Array(nest(c, rest))).collect()
            }
            _ => flat.to_vec(),
        }
    }
    let mut items = if n == 0 { Vec::new() } else { nest(&flat, &shape) };
    items.push(json!("|O"));
    items.push(json!(shape));
    let codec = json!({"id": "json2", "encoding": "utf-8", "skipkeys": false, "ensure_ascii": true,
        "check_circular": true, "allow_nan": true, "indent": null, "separators": [",", ":"],
        "sort_keys": true, "strict": true});
    let zarray = json!({
        "zarr_format": 2, "shape": shape, "chunks": shape.iter().map(|&x| x.max(1)).collect::<Vec<u64>>(),
        "dtype": "|O", "fill_value": null, "order": "C", "compressor": null, "filters": [codec],
    });
    refs.insert(format!("{}.zarray", pre), json!(zarray.to_string()));
    if n > 0 {
        let key = vec!["0"; shape.len()].join(".");
        refs.insert(format!("{}{}", pre, key), json!(Value::Array(items).to_string()));
    }
    Ok(())
}

/// Attributes as JSON text, non-finite floats as Python's json writes them.
fn attrs_text(m: Map<String, Value>) -> String {
    crate::json::to_text(&Value::Object(m)).trim_end().to_string()
}

/// The kerchunk manifest (reference spec version 1) of `file`, chunks referring to `url`.
pub fn manifest(path: &Path, file: &File, url: &str) -> h5kit::Result<Value> {
    let root = file.root()?;
    let objects = crate::json::collect(file, &root);
    let ids = HashMap::new();
    let ctx = Ctx { file, headers: crate::ls::header::Headers::open(path, file), ids: &ids };
    let names: HashMap<u64, String> = objects.iter().map(|(p, o)| (o.address(), p.clone())).collect();
    let base = file.superblock().effective_base_address();
    let mut refs = BTreeMap::new();
    let mut skipped = Map::new();
    for (p, obj) in &objects {
        let pre = prefix(p);
        match obj {
            Object::Group(g) => {
                refs.insert(format!("{}.zgroup", pre), json!(json!({"zarr_format": 2}).to_string()));
                let a = zattrs(&ctx, g.attributes().unwrap_or_default(), false);
                if !a.is_empty() {
                    refs.insert(format!("{}.zattrs", pre), json!(attrs_text(a)));
                }
            }
            Object::Dataset(d) => {
                let mut local = BTreeMap::new();
                match dataset_refs(d, url, base, &mut local, &pre) {
                    Ok(()) => {
                        refs.append(&mut local);
                        let mut a = zattrs(&ctx, d.attributes().unwrap_or_default(), true);
                        a.insert("_ARRAY_DIMENSIONS".into(), json!(array_dimensions(d, &names)));
                        refs.insert(format!("{}.zattrs", pre), json!(attrs_text(a)));
                    }
                    Err(reason) => {
                        skipped.insert(p.clone(), json!(reason));
                    }
                }
            }
            Object::Datatype(_) => {}
        }
    }
    let mut doc = Map::new();
    doc.insert("version".into(), json!(1));
    doc.insert("refs".into(), Value::Object(refs.into_iter().collect()));
    doc.insert("h5kit:skipped".into(), Value::Object(skipped));
    Ok(Value::Object(doc))
}

/// Runs `h5 refs`: writes the manifest to `out` (stdout when `None`); returns the exit status.
pub fn run(args: &crate::cli::RefsArgs) -> i32 {
    let path = Path::new(&args.file);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("h5 refs: {}: {}", args.file, e);
            return 1;
        }
    };
    let url = args.url.clone().unwrap_or_else(|| args.file.clone());
    let doc = match manifest(path, &file, &url) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("h5 refs: {}: {}", args.file, e);
            return 1;
        }
    };
    if let Some(Value::Object(s)) = doc.get("h5kit:skipped") {
        for (p, r) in s {
            eprintln!("h5 refs: skipped {}: {}", p, r.as_str().unwrap_or(""));
        }
    }
    let text = serde_json::to_string(&doc).unwrap_or_default() + "\n";
    match &args.output {
        Some(o) => {
            if let Err(e) = std::fs::write(o, text) {
                eprintln!("h5 refs: {}: {}", o, e);
                return 1;
            }
        }
        None => crate::write_out(&text),
    }
    0
}

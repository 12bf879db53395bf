//! One dataset's Zarr v2 array in a kerchunk manifest: `.zarray` (shape, chunks, numpy dtype,
//! fill value, filters), its chunk references and `_ARRAY_DIMENSIONS`; or why it cannot be
//! expressed. Datatypes: spec IV.A.2.d; layouts and chunk indexes: IV.A.2.i and VII
//! "Appendix C"; fill values: IV.A.2.f.

use std::collections::{BTreeMap, HashMap};

use h5kit::snapshot::Dataset;
use h5kit::{ByteOrder, DataspaceKind, Datatype, Layout, TypeClass};
use serde_json::{json, Value};

use crate::values::{fill_value, is_ieee};
use crate::{codecs, Options, Ref};

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
        TypeClass::Float { order: o, .. } if is_ieee(dt) => {
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

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `_ARRAY_DIMENSIONS` as kerchunk writes it: a dimension scale names itself; other datasets
/// name each dimension's first attached scale, else `phony_dim_N`.
pub(crate) fn array_dimensions(d: &Dataset, names: &HashMap<u64, String>) -> Vec<String> {
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
pub(crate) fn dataset_refs(
    d: &Dataset,
    opts: &Options,
    base: u64,
    refs: &mut BTreeMap<String, Ref>,
    pre: &str,
) -> Result<(), String> {
    if d.dataspace().kind == DataspaceKind::Null {
        return Err("null dataspace".into());
    }
    if d.external_files().is_some() {
        return Err("external storage".into());
    }
    match &d.datatype().class {
        TypeClass::VarLenString { .. } => return embed(d, opts, refs, pre, "strings"),
        TypeClass::VarLenSequence { base }
            if matches!(base.class, TypeClass::Integer { .. } | TypeClass::Float { .. }) =>
        {
            return embed(d, opts, refs, pre, "sequences")
        }
        _ => {}
    }
    let dtype = typestr(d.datatype())?;
    let (filters, bitshuffle_lz4) = codecs::filters(d)?;
    let shape: Vec<u64> = d.shape().to_vec();
    let esize = u64::from(d.datatype().size);
    let fill_bytes = d
        .fill_value()
        .and_then(|f| if f.defined { f.value.clone() } else { None })
        .filter(|v| v.len() as u64 == esize)
        .unwrap_or_else(|| vec![0; d.datatype().size as usize]);
    let ones = |v: &[u64]| v.iter().map(|&x| x.max(1)).collect::<Vec<u64>>();
    let key0 = if shape.is_empty() { "0".to_string() } else { vec!["0"; shape.len()].join(".") };
    let mut chunk_refs: Vec<(String, Ref)> = Vec::new();
    let chunks = match &d.layout().layout {
        Layout::Compact { data } => {
            if filters.is_some() {
                return Err("filtered compact dataset".into());
            }
            let n: u64 = shape.iter().product::<u64>() * esize;
            if data.len() as u64 != n {
                return Err(format!("compact data of {} bytes for {} expected", data.len(), n));
            }
            chunk_refs.push((key0, Ref::Inline(data.clone())));
            ones(&shape)
        }
        Layout::Contiguous { address, size } => {
            if let Some(a) = address {
                if *size <= opts.inline_threshold {
                    let raw = d.read_raw().map_err(|e| e.to_string())?;
                    chunk_refs.push((key0, Ref::Inline(raw)));
                } else {
                    chunk_refs.push((key0, Ref::Range { offset: base + a, size: *size }));
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
                if let Some(b) = bitshuffle_lz4 {
                    let stored = d.read_chunk_stored(&c).map_err(|e| e.to_string())?;
                    codecs::check_bitshuffle_lz4(&stored, &c, b)?;
                }
                chunk_refs.push((key, Ref::Range { offset: base + c.address, size: c.size }));
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
    refs.insert(format!("{}.zarray", pre), Ref::Text(zarray.to_string()));
    for (k, v) in chunk_refs {
        refs.insert(format!("{}{}", pre, k), v);
    }
    Ok(())
}

/// A variable-length string (or numeric sequence) dataset in kerchunk's "embed" mode: one
/// inline chunk holding the whole array in numcodecs' `json2` encoding (`[values..., "|O",
/// shape]`, values nested by dimension; a sequence is a JSON list), dtype `|O`.
fn embed(d: &Dataset, opts: &Options, refs: &mut BTreeMap<String, Ref>, pre: &str, what: &str) -> Result<(), String> {
    let shape: Vec<u64> = d.shape().to_vec();
    let n: u64 = shape.iter().product();
    if n > opts.embed_max {
        return Err(format!("variable-length {}: {} elements, more than the {} embedded", what, n, opts.embed_max));
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
    refs.insert(format!("{}.zarray", pre), Ref::Text(zarray.to_string()));
    if n > 0 {
        // (a scalar: one chunk "0" of shape [], as kerchunk writes it)
        let key = if shape.is_empty() { "0".to_string() } else { vec!["0"; shape.len()].join(".") };
        refs.insert(format!("{}{}", pre, key), Ref::Text(Value::Array(items).to_string()));
    }
    Ok(())
}

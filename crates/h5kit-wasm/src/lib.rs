//! h5kit for WebAssembly: the JavaScript API (through `wasm-bindgen`) of the h5kit reader and
//! writer, and a ranged, block-cached [`h5kit_core::Storage`] fed by JavaScript
//! ([`ranged`]), so that a browser opens a local `File`/`Blob` or a remote URL and reads only
//! the metadata and chunks it shows.
//!
//! The JavaScript-facing classes are [`H5File`], [`RangedCache`] and [`H5Writer`]; the
//! hand-written module `js/h5kit.mjs` wraps them into the documented web API (`openBytes`,
//! `openBlob`, `openUrl`, `File.list/attrs/info/read/readStrings`, `Writer`). Structured
//! results cross the boundary as JSON text; values cross as typed arrays.
//!
//! Spec references: the reader follows spec II "Disk Format: Level 0" onwards (see the other
//! crates); this crate adds no format code of its own.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod inspect;
pub mod ranged;

/// Tests: a file of the workspace's `tests/data/interop/`, e.g. `interop_path("jhdf/test_file.hdf5")`
/// (absolute: resolves under the WASI runner too).
#[cfg(test)]
pub(crate) fn interop_path(rel: &str) -> String {
    format!("{}/../../tests/data/interop/{}", env!("CARGO_MANIFEST_DIR"), rel)
}

use std::cell::RefCell;
use std::collections::HashMap;

use h5kit::{File, Limits};
use h5kit_core::{Error, ErrorKind};
use ranged::{CacheConfig, CacheHandle, RangeSource, RangedStorage, SuppliedOnly};
use wasm_bindgen::prelude::*;

fn js_err(e: Error) -> JsError {
    JsError::new(&e.to_string())
}

/// A JavaScript number that must be a non-negative integer (sizes, offsets, indices).
fn to_u64(v: f64, what: &str) -> Result<u64, JsError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_992.0 {
        Ok(v as u64)
    } else {
        Err(JsError::new(&format!("{} must be a non-negative integer, got {}", what, v)))
    }
}

fn to_u64s(v: &[f64], what: &str) -> Result<Vec<u64>, JsError> {
    v.iter().map(|x| to_u64(*x, what)).collect()
}

thread_local! {
    /// JavaScript reader functions by id (a `js_sys::Function` is not `Send`, a storage must be).
    static READERS: RefCell<HashMap<u32, js_sys::Function>> = RefCell::new(HashMap::new());
    static NEXT_READER: RefCell<u32> = const { RefCell::new(1) };
}

/// A synchronous JavaScript reader `(offset, length) => Uint8Array | null`.
struct JsReader {
    id: u32,
}

impl RangeSource for JsReader {
    fn read(&self, offset: u64, buf: &mut [u8]) -> h5kit::Result<bool> {
        let f = READERS.with(|r| r.borrow().get(&self.id).cloned());
        let Some(f) = f else { return Ok(false) };
        let res = f
            .call2(&JsValue::NULL, &JsValue::from_f64(offset as f64), &JsValue::from_f64(buf.len() as f64))
            .map_err(|e| Error::new(ErrorKind::Io, format!("reader failed: {:?}", e)).at(offset))?;
        if res.is_null() || res.is_undefined() {
            return Ok(false);
        }
        let arr = js_sys::Uint8Array::new(&res);
        if arr.length() as usize != buf.len() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("reader returned {} bytes at {} instead of {}", arr.length(), offset, buf.len()),
            )
            .at(offset));
        }
        arr.copy_to(buf);
        Ok(true)
    }
}

/// The block cache of a ranged file, shared between JavaScript and the open file.
#[wasm_bindgen]
pub struct RangedCache {
    handle: CacheHandle,
    reader: Option<u32>,
}

#[wasm_bindgen]
impl RangedCache {
    /// A cache for a file of `length` bytes. `reader`, if given, is called synchronously as
    /// `reader(offset, length)` and returns a `Uint8Array` (or `null`: not available yet, the
    /// asynchronous protocol then applies: `takeMissing` / `supply` / retry).
    #[wasm_bindgen(constructor)]
    pub fn new(
        length: f64,
        block_size: Option<u32>,
        max_blocks: Option<u32>,
        reader: Option<js_sys::Function>,
    ) -> Result<RangedCache, JsError> {
        let len = to_u64(length, "length")?;
        let d = CacheConfig::default();
        let config = CacheConfig {
            block_size: block_size.map_or(d.block_size, u64::from),
            max_blocks: max_blocks.map_or(d.max_blocks, |m| m as usize),
            ..d
        };
        let id = match reader {
            Some(f) => {
                let id = NEXT_READER.with(|n| {
                    let mut n = n.borrow_mut();
                    let id = *n;
                    *n = n.wrapping_add(1);
                    id
                });
                READERS.with(|r| r.borrow_mut().insert(id, f));
                Some(id)
            }
            None => None,
        };
        let storage = RangedStorage::new(len, Box::new(SuppliedOnly), config);
        Ok(RangedCache { handle: storage.handle(), reader: id })
    }

    fn storage(&self) -> RangedStorage {
        match self.reader {
            Some(id) => RangedStorage::with_handle(&self.handle, Box::new(JsReader { id })),
            None => RangedStorage::with_handle(&self.handle, Box::new(SuppliedOnly)),
        }
    }

    /// Call before each API operation (keeps the blocks it needs pinned).
    #[wasm_bindgen(js_name = beginOperation)]
    pub fn begin_operation(&self) -> Result<(), JsError> {
        self.handle.begin_operation().map_err(js_err)
    }

    /// Missing ranges as `[offset0, length0, offset1, length1, ...]` (then cleared).
    #[wasm_bindgen(js_name = takeMissing)]
    pub fn take_missing(&self) -> Result<Vec<f64>, JsError> {
        let m = self.handle.take_missing().map_err(js_err)?;
        Ok(m.into_iter().flat_map(|(o, l)| [o as f64, l as f64]).collect())
    }

    /// Hands over the bytes of a missing range.
    pub fn supply(&self, offset: f64, data: &[u8]) -> Result<(), JsError> {
        self.handle.supply(to_u64(offset, "offset")?, data).map_err(js_err)
    }

    /// `{"fetches","bytesFetched","hits","misses","cachedBlocks"}` as JSON.
    pub fn stats(&self) -> Result<String, JsError> {
        let s = self.handle.stats().map_err(js_err)?;
        Ok(format!(
            r#"{{"fetches":{},"bytesFetched":{},"hits":{},"misses":{},"cachedBlocks":{}}}"#,
            s.fetches, s.bytes_fetched, s.hits, s.misses, s.cached_blocks
        ))
    }

    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        self.handle.len() as f64
    }
}

impl Drop for RangedCache {
    fn drop(&mut self) {
        if let Some(id) = self.reader {
            READERS.with(|r| r.borrow_mut().remove(&id));
        }
    }
}

/// An open HDF5 file.
#[wasm_bindgen]
pub struct H5File {
    file: File,
}

#[wasm_bindgen]
impl H5File {
    /// Opens a file held in memory.
    #[wasm_bindgen(js_name = fromBytes)]
    pub fn from_bytes(data: Vec<u8>) -> Result<H5File, JsError> {
        let file = File::from_bytes(data).map_err(js_err)?;
        Ok(H5File { file })
    }

    /// Opens a file read through `cache` (may fail with missing blocks: see [`RangedCache`]).
    #[wasm_bindgen(js_name = openRanged)]
    pub fn open_ranged(cache: &RangedCache, name: &str) -> Result<H5File, JsError> {
        let file = File::from_storage(Box::new(cache.storage()), name.to_string(), Limits::default()).map_err(js_err)?;
        Ok(H5File { file })
    }

    /// Links of the group at `path` as JSON (see [`inspect::list`]).
    pub fn list(&self, path: &str) -> Result<String, JsError> {
        inspect::list(&self.file, path).map_err(js_err)
    }

    /// Object info as JSON (see [`inspect::info`]).
    pub fn info(&self, path: &str) -> Result<String, JsError> {
        inspect::info(&self.file, path).map_err(js_err)
    }

    /// Attributes as JSON (see [`inspect::attributes`]).
    pub fn attributes(&self, path: &str) -> Result<String, JsError> {
        inspect::attributes(&self.file, path).map_err(js_err)
    }

    /// String dataset values as JSON.
    #[wasm_bindgen(js_name = readStrings)]
    pub fn read_strings(&self, path: &str) -> Result<String, JsError> {
        inspect::read_strings(&self.file, path).map_err(js_err)
    }

    /// A numeric dataset (or the hyperslab `start`/`count`) as
    /// `{type: "Float64Array", shape: [...], data: Float64Array}`.
    pub fn read(&self, path: &str, start: Option<Vec<f64>>, count: Option<Vec<f64>>) -> Result<js_sys::Object, JsError> {
        let ds = inspect::dataset(&self.file, path).map_err(js_err)?;
        let sel = match (start, count) {
            (Some(s), Some(c)) => Some((to_u64s(&s, "start")?, to_u64s(&c, "count")?)),
            (None, None) => None,
            _ => return Err(JsError::new("give both start and count, or neither")),
        };
        let t = inspect::read_typed(&ds, sel.as_ref().map(|(s, c)| (&s[..], &c[..]))).map_err(js_err)?;
        typed_to_js(t)
    }
}

fn typed_to_js(t: inspect::Typed) -> Result<js_sys::Object, JsError> {
    use inspect::Element as E;
    let bytes = js_sys::Uint8Array::from(t.bytes());
    let buf = bytes.buffer();
    let n = (t.bytes().len() / t.element.size()) as u32;
    let data: JsValue = match t.element {
        E::U8 => bytes.into(),
        E::I8 => js_sys::Int8Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::I16 => js_sys::Int16Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::U16 => js_sys::Uint16Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::I32 => js_sys::Int32Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::U32 => js_sys::Uint32Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::I64 => js_sys::BigInt64Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::U64 => js_sys::BigUint64Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::F32 => js_sys::Float32Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
        E::F64 => js_sys::Float64Array::new_with_byte_offset_and_length(&buf, 0, n).into(),
    };
    let o = js_sys::Object::new();
    let shape = js_sys::Array::new();
    for d in &t.shape {
        shape.push(&JsValue::from_f64(*d as f64));
    }
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    set("type", &JsValue::from_str(t.element.array_name())).map_err(|_| JsError::new("cannot build result"))?;
    set("shape", &shape).map_err(|_| JsError::new("cannot build result"))?;
    set("data", &data).map_err(|_| JsError::new("cannot build result"))?;
    Ok(o)
}

/// Builds a new HDF5 file in memory: an `h5kit::File` on a growable buffer (the on-disk writer
/// for the earliest format, the same code that edits files; the in-memory model for the
/// latest).
#[cfg(feature = "write")]
#[wasm_bindgen]
pub struct H5Writer {
    w: File,
}

/// A writer datatype from a name: int8..uint64, float32, float64, str.
#[cfg(feature = "write")]
fn writer_dtype(name: &str) -> Result<h5kit::Datatype, JsError> {
    use h5kit_write::dtype;
    Ok(match name {
        "int8" => dtype::int(1, true),
        "uint8" => dtype::int(1, false),
        "int16" => dtype::int(2, true),
        "uint16" => dtype::int(2, false),
        "int32" => dtype::int(4, true),
        "uint32" => dtype::int(4, false),
        "int64" => dtype::int(8, true),
        "uint64" => dtype::int(8, false),
        "float32" => dtype::float32(),
        "float64" => dtype::float64(),
        "str" => dtype::vlen_string(),
        other => return Err(JsError::new(&format!("unknown datatype {:?} (int8..uint64, float32, float64, str)", other))),
    })
}

#[cfg(feature = "write")]
#[wasm_bindgen]
impl H5Writer {
    /// `latest`: superblock 3 / v2 object headers (h5py `libver="latest"`); else the earliest
    /// format (readable by libhdf5 1.8).
    #[wasm_bindgen(constructor)]
    pub fn new(latest: Option<bool>) -> Result<H5Writer, JsError> {
        let lv = if latest.unwrap_or(false) { h5kit_write::LibVer::Latest } else { h5kit_write::LibVer::Earliest };
        Ok(H5Writer { w: File::create_in_memory(lv).map_err(js_err)? })
    }

    #[wasm_bindgen(js_name = createGroup)]
    pub fn create_group(&mut self, path: &str) -> Result<(), JsError> {
        self.w.create_group(path).map(drop).map_err(js_err)
    }

    /// Creates a dataset: `dtype` one of int8..uint64, float32, float64, str; `shape` empty
    /// for a scalar; optional chunk shape, gzip level and shuffle.
    #[wasm_bindgen(js_name = createDataset)]
    pub fn create_dataset(
        &mut self,
        path: &str,
        dtype: &str,
        shape: Vec<f64>,
        chunks: Option<Vec<f64>>,
        deflate: Option<u8>,
        shuffle: Option<bool>,
    ) -> Result<(), JsError> {
        let dt = writer_dtype(dtype)?;
        let shape = to_u64s(&shape, "shape")?;
        let mut spec = if shape.is_empty() {
            h5kit_write::DatasetSpec::scalar(dt)
        } else {
            h5kit_write::DatasetSpec::new(dt, &shape)
        };
        spec.chunks = match chunks {
            Some(c) => Some(to_u64s(&c, "chunks")?),
            None => None,
        };
        spec.deflate = deflate;
        spec.shuffle = shuffle.unwrap_or(false);
        self.w.create_dataset(path, spec).map_err(js_err)
    }

    /// Writes a whole numeric dataset from the bytes of a typed array (little-endian).
    #[wasm_bindgen(js_name = writeDataset)]
    pub fn write_dataset(&mut self, path: &str, data: &[u8]) -> Result<(), JsError> {
        self.w.write_raw(path, data).map_err(js_err)
    }

    /// Writes a variable-length string dataset.
    #[wasm_bindgen(js_name = writeStrings)]
    pub fn write_strings(&mut self, path: &str, strings: Vec<String>) -> Result<(), JsError> {
        let refs: Vec<&str> = strings.iter().map(String::as_str).collect();
        self.w.write_strings(path, &refs).map_err(js_err)
    }

    /// Sets a numeric attribute from typed-array bytes (`shape` empty: scalar).
    #[wasm_bindgen(js_name = setAttribute)]
    pub fn set_attribute(&mut self, path: &str, name: &str, dtype: &str, shape: Vec<f64>, data: &[u8]) -> Result<(), JsError> {
        let dt = writer_dtype(dtype)?;
        let shape = to_u64s(&shape, "shape")?;
        let shape = if shape.is_empty() { None } else { Some(&shape[..]) };
        self.w.set_attr_raw(path, name, dt, shape, data).map_err(js_err)
    }

    /// Sets a string attribute.
    #[wasm_bindgen(js_name = setStringAttribute)]
    pub fn set_string_attribute(&mut self, path: &str, name: &str, value: &str) -> Result<(), JsError> {
        self.w.set_attr_str(path, name, value).map_err(js_err)
    }

    /// The file's bytes.
    #[wasm_bindgen(js_name = toBytes)]
    pub fn to_bytes(&mut self) -> Result<Vec<u8>, JsError> {
        self.w.to_bytes().map_err(js_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "write")]
    #[test]
    fn js_writer_of_either_format_round_trips() {
        for latest in [false, true] {
            let mut w = H5Writer::new(Some(latest)).unwrap();
            w.create_group("/g").unwrap();
            w.create_dataset("/g/x", "float64", vec![4.0], None, None, None).unwrap();
            let data: Vec<u8> = [1.5f64, 2.5, -3.0, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect();
            w.write_dataset("/g/x", &data).unwrap();
            w.create_dataset("/s", "str", vec![2.0], None, None, None).unwrap();
            w.write_strings("/s", vec!["a".into(), "bc".into()]).unwrap();
            w.set_string_attribute("/g", "units", "m").unwrap();
            let bytes = w.to_bytes().unwrap();
            let f = File::from_bytes(bytes).unwrap();
            assert_eq!(f.superblock().version >= 2, latest);
            assert_eq!(inspect::attributes(&f, "/g").unwrap(), r#"[{"name":"units","dtype":"str","shape":[],"value":"m"}]"#);
            let t = inspect::read_typed(&inspect::dataset(&f, "/g/x").unwrap(), None).unwrap();
            assert_eq!(t.bytes(), data.as_slice());
        }
    }

    #[cfg(feature = "write")]
    #[test]
    fn writer_round_trip_through_the_reader() {
        use h5kit_write::{dtype, DatasetSpec, LibVer};
        let w = File::create_in_memory(LibVer::Latest).unwrap();
        w.create_group("/g").unwrap();
        w.create_dataset("/g/x", DatasetSpec::new(dtype::float64(), &[4])).unwrap();
        let data: Vec<u8> = [1.5f64, 2.5, -3.0, 4.0].iter().flat_map(|v| v.to_le_bytes()).collect();
        w.write_raw("/g/x", &data).unwrap();
        w.set_attr_str("/g", "units", "m").unwrap();
        let bytes = w.to_bytes().unwrap();
        let f = File::from_bytes(bytes).unwrap();
        assert_eq!(inspect::list(&f, "/g").unwrap(), r#"[{"name":"x","path":"/g/x","kind":"dataset","shape":[4],"dtype":"<f8"}]"#);
        assert_eq!(inspect::attributes(&f, "/g").unwrap(), r#"[{"name":"units","dtype":"str","shape":[],"value":"m"}]"#);
        let t = inspect::read_typed(&inspect::dataset(&f, "/g/x").unwrap(), None).unwrap();
        assert_eq!(t.bytes(), data.as_slice());
    }
}

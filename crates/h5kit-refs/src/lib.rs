//! Chunk manifests of HDF5 files: kerchunk's reference spec version 1
//! (<https://fsspec.github.io/kerchunk/spec.html>), read by fsspec's `ReferenceFileSystem` +
//! zarr 2 (or xarray's `engine="kerchunk"`, Dask, VirtualiZarr) straight from the HDF5 file's
//! bytes, without libhdf5.
//!
//! [`manifest`] walks the file and gives [`Refs`]: each group's `.zgroup`/`.zattrs`, each
//! dataset's Zarr v2 `.zarray`/`.zattrs` and its stored chunks as byte ranges of the file
//! (absolute offsets: the base address, i.e. any userblock, is added to the addresses of spec
//! IV.A.2.i "The Data Layout Message" and the chunk indexes of VII "Appendix C"), small data
//! inline. Filters (IV.A.2.l) map to numcodecs codecs (see [`codecs`]). A dataset that cannot
//! be expressed is left out with its reason in [`Refs::skipped`].
//! Writers: [`Refs::to_json`] (kerchunk JSON) and, with feature `parquet`,
//! `Refs::write_parquet` (kerchunk's parquet directory). Design: spec-notes/kerchunk.md.
//!
//! ```no_run
//! let file = h5kit::File::open("data.h5")?;
//! let refs = h5kit_refs::manifest(&file, &h5kit_refs::Options::new("s3://bucket/data.h5"))?;
//! std::fs::write("data.json", refs.to_json().to_string())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, HashMap};

use h5kit::{File, Object};
use serde_json::{json, Map, Value};

mod values;
pub mod codecs;
mod dataset;
#[cfg(feature = "parquet")]
mod parquet_dir;
#[cfg(feature = "parquet")]
pub use parquet_dir::ParquetOptions;

/// Contiguous datasets up to this many bytes are inlined by default (kerchunk's default
/// `inline_threshold`).
pub const INLINE_THRESHOLD: u64 = 500;

/// Variable-length strings and sequences up to this many elements are embedded by default
/// (kerchunk's `vlen_encode="embed"`); larger ones are skipped.
pub const EMBED_MAX: u64 = 100_000;

/// What [`manifest`] writes.
#[derive(Debug, Clone)]
pub struct Options {
    /// The URL (or path) chunk references point at: where readers fetch the file's bytes.
    pub url: String,
    /// Contiguous data of at most this many bytes is inlined rather than referenced.
    pub inline_threshold: u64,
    /// Variable-length string/sequence datasets of at most this many elements are embedded
    /// (numcodecs `json2`); larger ones are skipped.
    pub embed_max: u64,
}

impl Options {
    /// kerchunk's defaults, chunks referring to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Options { url: url.into(), inline_threshold: INLINE_THRESHOLD, embed_max: EMBED_MAX }
    }
}

/// One reference: the value of a Zarr key.
#[derive(Debug, Clone, PartialEq)]
pub enum Ref {
    /// Text: Zarr metadata (`.zarray`, `.zattrs`, `.zgroup`) or a chunk that is JSON text
    /// (embedded variable-length data).
    Text(String),
    /// Inline chunk bytes (compact and small contiguous data).
    Inline(Vec<u8>),
    /// A byte range of the file at [`Options::url`]: absolute offset and length.
    Range { offset: u64, size: u64 },
}

/// A manifest: Zarr keys (`grp/d/.zarray`, `grp/d/0.3`) to references, in key order.
#[derive(Debug, Clone, Default)]
pub struct Refs {
    /// The URL of [`Ref::Range`] references.
    pub url: String,
    /// Every key and its reference.
    pub refs: BTreeMap<String, Ref>,
    /// HDF5 path of each dataset left out -> why.
    pub skipped: BTreeMap<String, String>,
}

impl Refs {
    /// kerchunk's JSON form: `{"version": 1, "refs": {...}, "h5kit:skipped": {...}}` (fsspec
    /// ignores the last key). Inline bytes as `"base64:..."`, ranges as `[url, offset, size]`.
    pub fn to_json(&self) -> Value {
        let refs: Map<String, Value> = self
            .refs
            .iter()
            .map(|(k, r)| {
                let v = match r {
                    Ref::Text(t) => json!(t),
                    Ref::Inline(b) => json!(format!("base64:{}", values::base64(b))),
                    Ref::Range { offset, size } => json!([self.url, offset, size]),
                };
                (k.clone(), v)
            })
            .collect();
        let skipped: Map<String, Value> = self.skipped.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        json!({"version": 1, "refs": refs, "h5kit:skipped": skipped})
    }

    /// Paths (Zarr keys without the leading `/`) of the arrays covered.
    pub fn arrays(&self) -> Vec<&str> {
        self.refs.keys().filter_map(|k| k.strip_suffix(".zarray")).map(|p| p.trim_end_matches('/')).collect()
    }
}

/// The manifest of `file`, chunks referring to `opts.url`.
pub fn manifest(file: &File, opts: &Options) -> h5kit::Result<Refs> {
    let root = file.root()?;
    let objects = h5kit::snapshot::objects(file, &root);
    let names: HashMap<u64, String> = objects.iter().map(|(p, o)| (o.address(), p.clone())).collect();
    let base = file.superblock().effective_base_address();
    let mut out = Refs { url: opts.url.clone(), ..Refs::default() };
    for (p, obj) in &objects {
        let pre = prefix(p);
        match obj {
            Object::Group(g) => {
                out.refs.insert(format!("{}.zgroup", pre), Ref::Text(json!({"zarr_format": 2}).to_string()));
                let a = values::zattrs(file, g.attributes().unwrap_or_default(), false);
                if !a.is_empty() {
                    out.refs.insert(format!("{}.zattrs", pre), Ref::Text(values::text(a)));
                }
            }
            Object::Dataset(d) => {
                let mut local = BTreeMap::new();
                match dataset::dataset_refs(d, opts, base, &mut local, &pre) {
                    Ok(()) => {
                        out.refs.append(&mut local);
                        let mut a = values::zattrs(file, d.attributes().unwrap_or_default(), true);
                        a.insert("_ARRAY_DIMENSIONS".into(), json!(dataset::array_dimensions(d, &names)));
                        out.refs.insert(format!("{}.zattrs", pre), Ref::Text(values::text(a)));
                    }
                    Err(reason) => {
                        out.skipped.insert(p.clone(), reason);
                    }
                }
            }
            Object::Datatype(_) => {}
        }
    }
    Ok(out)
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


//! kerchunk's parquet reference layout, as fsspec's `LazyReferenceMapper` reads it (and
//! `kerchunk.df.refs_to_dataframe` writes it): a directory holding
//!
//! - `.zmetadata`: JSON `{"metadata": {key: metadata JSON, ...}, "record_size": N}` with every
//!   `.zgroup`/`.zarray`/`.zattrs` (we add `"h5kit:skipped"`, which readers ignore);
//! - `FIELD/refs.R.parq` for each array `FIELD` (its Zarr path) and record `R`: the references
//!   of chunks `R*N .. R*N+N-1` in row-major order of the chunk grid (fsspec's
//!   `ravel_multi_index`), one row per chunk, columns `path` (UTF-8, null for inline data and
//!   for chunks not stored), `offset` and `size` (INT64, 0 when unused) and `raw` (bytes of
//!   inline data, else null); a file holds only the columns it needs (`path`/`offset`/`size`
//!   for byte ranges, `raw` for inline data: fsspec reads a missing column as nulls). A record
//!   with no stored chunk is not written (fsspec then reads the chunks as missing: Zarr's fill
//!   value).
//!
//! Files are plain parquet (no compression; statistics only on `offset`/`size`) written with the `parquet`
//! crate's column writer: no arrow, no C.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::ColumnPath;
use serde_json::Value;

use crate::{Ref, Refs};

/// How [`Refs::write_parquet`] splits references into files.
#[derive(Debug, Clone)]
pub struct ParquetOptions {
    /// References per parquet file (kerchunk's `record_size`; `refs_to_dataframe`'s default).
    pub record_size: u64,
}

impl Default for ParquetOptions {
    fn default() -> Self {
        ParquetOptions { record_size: 100_000 }
    }
}

/// The columns of a record file: `path`/`offset`/`size` when it has a byte range, `raw` when
/// it has inline data (fsspec reads a missing column as nulls; fastparquet 2024.11 cannot read
/// a BYTE_ARRAY column whose values are all null).
fn schema(ranges: bool, raw: bool) -> String {
    let mut s = String::from("message schema {\n");
    if ranges {
        s.push_str("OPTIONAL BYTE_ARRAY path (UTF8);\nREQUIRED INT64 offset;\nREQUIRED INT64 size;\n");
    }
    if raw {
        s.push_str("OPTIONAL BYTE_ARRAY raw;\n");
    }
    s + "}"
}

fn err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

fn is_meta(key: &str) -> bool {
    key.rsplit('/').next().is_some_and(|n| n.starts_with(".z"))
}

/// One record file's rows.
#[derive(Default)]
struct Rows {
    path: Vec<Option<String>>,
    offset: Vec<i64>,
    size: Vec<i64>,
    raw: Vec<Option<Vec<u8>>>,
}

impl Rows {
    fn new(n: usize) -> Self {
        Rows { path: vec![None; n], offset: vec![0; n], size: vec![0; n], raw: vec![None; n] }
    }

    fn write(&self, file: &Path) -> io::Result<()> {
        let ranges = self.path.iter().any(Option::is_some);
        let raw = self.raw.iter().any(Option::is_some);
        let schema = Arc::new(parse_message_type(&schema(ranges, raw)).map_err(err)?);
        let props = Arc::new(
            WriterProperties::builder()
                .set_statistics_enabled(EnabledStatistics::None)
                // null counts of the integer columns: without them fastparquet reads INT64 as
                // float64 (a column that might hold nulls), and fsspec then asks the file
                // system for float offsets
                .set_column_statistics_enabled(ColumnPath::from("offset"), EnabledStatistics::Chunk)
                .set_column_statistics_enabled(ColumnPath::from("size"), EnabledStatistics::Chunk)
                .set_created_by("h5kit-refs".into())
                .build(),
        );
        let out = fs::File::create(file)?;
        let mut w = SerializedFileWriter::new(out, schema, props).map_err(err)?;
        let mut rg = w.next_row_group().map_err(err)?;
        let levels = |v: &[bool]| v.iter().map(|&x| i16::from(x)).collect::<Vec<i16>>();
        let mut col = if ranges { 0 } else { 3 };
        while let Some(mut c) = rg.next_column().map_err(err)? {
            match col {
                0 | 3 => {
                    let (vals, defs): (Vec<ByteArray>, Vec<bool>) = if col == 0 {
                        (
                            self.path.iter().flatten().map(|s| ByteArray::from(s.as_bytes().to_vec())).collect(),
                            self.path.iter().map(Option::is_some).collect(),
                        )
                    } else {
                        (
                            self.raw.iter().flatten().map(|b| ByteArray::from(b.clone())).collect(),
                            self.raw.iter().map(Option::is_some).collect(),
                        )
                    };
                    c.typed::<ByteArrayType>().write_batch(&vals, Some(&levels(&defs)), None).map_err(err)?;
                }
                1 => {
                    c.typed::<Int64Type>().write_batch(&self.offset, None, None).map_err(err)?;
                }
                _ => {
                    c.typed::<Int64Type>().write_batch(&self.size, None, None).map_err(err)?;
                }
            }
            c.close().map_err(err)?;
            col += 1;
        }
        rg.close().map_err(err)?;
        w.close().map_err(err)?;
        Ok(())
    }
}

/// The number of chunks along each axis of an array from its `.zarray` text (fsspec's
/// `_get_chunk_sizes`: `[1]` for a scalar).
fn chunk_grid(zarray: &str) -> io::Result<Vec<u64>> {
    let v: Value = serde_json::from_str(zarray).map_err(err)?;
    let dims = |k: &str| -> io::Result<Vec<u64>> {
        v[k].as_array().ok_or_else(|| err(format!(".zarray without {}", k)))?.iter().map(|x| x.as_u64().ok_or_else(|| err("bad .zarray"))).collect()
    };
    let (shape, chunks) = (dims("shape")?, dims("chunks")?);
    if shape.is_empty() {
        return Ok(vec![1]);
    }
    Ok(shape.iter().zip(&chunks).map(|(&s, &c)| s.div_ceil(c.max(1))).collect())
}

impl Refs {
    /// Writes the manifest as kerchunk's parquet directory `dir` (created if missing; files
    /// of the same names are replaced): see the module doc.
    pub fn write_parquet(&self, dir: &Path, opts: &ParquetOptions) -> io::Result<()> {
        let record_size = opts.record_size.max(1);
        fs::create_dir_all(dir)?;
        let mut meta = String::from("{");
        let mut fields: BTreeMap<&str, Vec<(&str, &Ref)>> = BTreeMap::new();
        for (k, r) in &self.refs {
            if is_meta(k) {
                let Ref::Text(t) = r else { return Err(err(format!("{}: metadata is not text", k))) };
                if meta.len() > 1 {
                    meta.push(',');
                }
                meta.push_str(&Value::String(k.clone()).to_string());
                meta.push(':');
                meta.push_str(t);
            } else {
                let (field, chunk) = k.rsplit_once('/').ok_or_else(|| err(format!("{}: chunk key without an array", k)))?;
                fields.entry(field).or_default().push((chunk, r));
            }
        }
        meta.push('}');
        for (field, chunks) in &fields {
            let zarray = match self.refs.get(&format!("{}/.zarray", field)) {
                Some(Ref::Text(t)) => t,
                _ => return Err(err(format!("{}: chunks without .zarray", field))),
            };
            let grid = chunk_grid(zarray)?;
            let total: u64 = grid.iter().product();
            let mut records: BTreeMap<u64, Rows> = BTreeMap::new();
            for (chunk, r) in chunks {
                let idx: Vec<u64> = chunk.split('.').map(|s| s.parse::<u64>().map_err(err)).collect::<io::Result<_>>()?;
                if idx.len() != grid.len() || idx.iter().zip(&grid).any(|(i, g)| i >= g) {
                    return Err(err(format!("{}/{}: outside the chunk grid {:?}", field, chunk, grid)));
                }
                let n = idx.iter().zip(&grid).fold(0u64, |acc, (i, g)| acc * g + i);
                let (rec, row) = (n / record_size, (n % record_size) as usize);
                let rows = records.entry(rec).or_insert_with(|| Rows::new((total - rec * record_size).min(record_size) as usize));
                match r {
                    Ref::Range { offset, size } => {
                        rows.path[row] = Some(self.url.clone());
                        rows.offset[row] = i64::try_from(*offset).map_err(err)?;
                        rows.size[row] = i64::try_from(*size).map_err(err)?;
                    }
                    Ref::Inline(b) => rows.raw[row] = Some(b.clone()),
                    Ref::Text(t) => rows.raw[row] = Some(t.as_bytes().to_vec()),
                }
            }
            let fdir = dir.join(field);
            fs::create_dir_all(&fdir)?;
            for (rec, rows) in &records {
                rows.write(&fdir.join(format!("refs.{}.parq", rec)))?;
            }
        }
        let skipped: serde_json::Map<String, Value> = self.skipped.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let zmeta = format!(
            "{{\"metadata\":{},\"record_size\":{},\"h5kit:skipped\":{}}}",
            meta,
            record_size,
            Value::Object(skipped)
        );
        fs::write(dir.join(".zmetadata"), zmeta)
    }
}

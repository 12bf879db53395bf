//! What a table is inside one HDF5 file, and reading its rows as Arrow record batches.
//!
//! Two layouts ([`TableLayout`]): the 1-D datasets of a group, one column each, all of one
//! length; or one 1-D compound dataset, one column per member. Columns are read with
//! [`h5kit::Dataset::read_arrow_slice`], so only the chunks of the rows asked for are read,
//! and only the columns a projection names (a compound's rows are read whole, then the
//! members asked for are kept).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions, StructArray};
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use h5kit::{Dataset, File, Layout, TypeClass};


/// Where the table is in each file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableLayout {
    /// The 1-D datasets directly in this group (path), in name order, are the columns.
    /// Subgroups and datasets of other ranks are not columns.
    Group(String),
    /// This 1-D compound dataset (path): its members are the columns.
    Compound(String),
}

impl Default for TableLayout {
    fn default() -> Self {
        TableLayout::Group("/".to_string())
    }
}

/// Rows in one scan unit when the columns are not chunked (contiguous or compact datasets
/// read any range directly).
pub const CONTIGUOUS_UNIT: u64 = 64 * 1024;

/// The table of one open file.
pub(crate) struct Table {
    source: Columns,
    names: Vec<String>,
    rows: u64,
}

enum Columns {
    /// One dataset per column.
    Datasets(Vec<Dataset>),
    /// One compound dataset.
    Compound(Dataset),
}

fn one_d_len(ds: &Dataset) -> h5kit::Result<Option<u64>> {
    Ok(match ds.shape()?.as_slice() {
        [n] => Some(*n),
        _ => None,
    })
}

impl Table {
    /// The table `layout` describes in `file`: its columns and row count (metadata only).
    pub fn open(file: &File, layout: &TableLayout) -> h5kit::Result<Table> {
        match layout {
            TableLayout::Group(path) => {
                let group = file.group(path)?;
                let mut names = Vec::new();
                let mut datasets = Vec::new();
                let mut rows: Option<(u64, String)> = None;
                let mut keys = group.keys()?;
                keys.sort();
                for name in keys {
                    let Some(ds) = group.node(&name)?.as_dataset().cloned() else { continue };
                    let Some(n) = one_d_len(&ds)? else { continue };
                    match &rows {
                        Some((m, first)) if *m != n => {
                            return Err(h5kit::Error::usage(format!(
                                "table group {}: column {} has {} rows, column {} has {}",
                                path, first, m, name, n
                            )));
                        }
                        None => rows = Some((n, name.clone())),
                        _ => {}
                    }
                    names.push(name);
                    datasets.push(ds);
                }
                if datasets.is_empty() {
                    return Err(h5kit::Error::usage(format!("table group {} holds no 1-D dataset (no column)", path)));
                }
                Ok(Table { source: Columns::Datasets(datasets), names, rows: rows.map_or(0, |r| r.0) })
            }
            TableLayout::Compound(path) => {
                let ds = file.dataset(path)?;
                let rows = one_d_len(&ds)?.ok_or_else(|| {
                    h5kit::Error::usage(format!("table dataset {} is not 1-D (shape {:?})", path, ds.shape().unwrap_or_default()))
                })?;
                let TypeClass::Compound { members } = ds.dtype()?.class else {
                    return Err(h5kit::Error::usage(format!("table dataset {} is not of a compound type", path)));
                };
                let names = members.iter().map(|m| m.name.clone()).collect();
                Ok(Table { source: Columns::Compound(ds), names, rows })
            }
        }
    }

    /// The position of the column named `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The Arrow schema (every field nullable: the table's files may differ in that).
    pub fn schema(&self) -> h5kit::Result<Schema> {
        let types: Vec<_> = match &self.source {
            Columns::Datasets(ds) => {
                ds.iter().map(|d| h5kit::arrow::data_type(&d.dtype()?).map_err(|e| e.in_object(d.path()))).collect::<h5kit::Result<_>>()?
            }
            Columns::Compound(d) => {
                let TypeClass::Compound { members } = d.dtype()?.class else { return Err(h5kit::Error::usage("not a compound")) };
                members
                    .iter()
                    .map(|m| h5kit::arrow::data_type(&m.datatype).map_err(|e| e.in_object(format!("{} member {}", d.path(), m.name))))
                    .collect::<h5kit::Result<_>>()?
            }
        };
        Ok(Schema::new(self.names.iter().zip(types).map(|(n, t)| Field::new(n, t, true)).collect::<Vec<_>>()))
    }

    /// The datasets a projection reads.
    fn datasets(&self, projection: &[usize]) -> Vec<&Dataset> {
        match &self.source {
            Columns::Datasets(ds) => projection.iter().filter_map(|&i| ds.get(i)).collect(),
            Columns::Compound(d) => vec![d],
        }
    }

    /// Rows per scan unit for these columns: the largest chunk length along the rows among
    /// them (so a unit is whole chunks of the largest-chunked column), or
    /// [`CONTIGUOUS_UNIT`] when none is chunked.
    pub fn unit(&self, projection: &[usize]) -> h5kit::Result<u64> {
        let mut unit = 0;
        for ds in self.datasets(projection) {
            if let Layout::Chunked { chunk_dims, .. } = &ds.snapshot()?.layout().layout {
                unit = unit.max(chunk_dims.first().copied().unwrap_or(0));
            }
        }
        Ok(if unit == 0 { CONTIGUOUS_UNIT } else { unit })
    }

    /// Rows `start..start + len` of the projected columns, as a batch of `schema` (the table
    /// schema projected).
    pub fn read(&self, projection: &[usize], start: u64, len: u64, schema: &SchemaRef) -> h5kit::Result<RecordBatch> {
        let columns: Vec<ArrayRef> = match &self.source {
            Columns::Datasets(ds) => projection
                .iter()
                .map(|&i| {
                    let d = ds.get(i).ok_or_else(|| h5kit::Error::usage(format!("no column {}", i)))?;
                    d.read_arrow_slice(start, len)
                })
                .collect::<h5kit::Result<_>>()?,
            Columns::Compound(d) => {
                let all = d.read_arrow_slice(start, len)?;
                let s = all
                    .as_any()
                    .downcast_ref::<StructArray>()
                    .ok_or_else(|| h5kit::Error::usage(format!("{}: compound read gave no struct array", d.path())))?;
                projection
                    .iter()
                    .map(|&i| s.columns().get(i).cloned().ok_or_else(|| h5kit::Error::usage(format!("no member {}", i))))
                    .collect::<h5kit::Result<_>>()?
            }
        };
        for (col, field) in columns.iter().zip(schema.fields()) {
            if col.data_type() != field.data_type() {
                let what = if matches!(field.data_type(), datafusion::arrow::datatypes::DataType::Utf8)
                    && matches!(col.data_type(), datafusion::arrow::datatypes::DataType::Binary)
                {
                    "strings that are not UTF-8".to_string()
                } else {
                    format!("Arrow type {}", col.data_type())
                };
                return Err(h5kit::Error::usage(format!(
                    "column {}: rows {}..{} hold {} where the table's schema (from its first file) has {}",
                    field.name(),
                    start,
                    start + len,
                    what,
                    field.data_type()
                )));
            }
        }
        let options = RecordBatchOptions::new().with_row_count(Some(len as usize));
        RecordBatch::try_new_with_options(schema.clone(), columns, &options)
            .map_err(|e| h5kit::Error::usage(format!("building a record batch: {}", e)))
    }
}

/// The row ranges (whole units, in order) of the units that belong to the byte range
/// `range` of a file of `file_size` bytes: unit `i` of `units` belongs to the range holding
/// byte `i * file_size / units`. DataFusion splits files into byte ranges that cover the
/// file once; this maps them onto chunk boundaries so every unit is read by exactly one
/// partition. `None`: every unit.
pub(crate) fn units_in_range(rows: u64, unit: u64, file_size: u64, range: Option<(u64, u64)>) -> Vec<(u64, u64)> {
    let unit = unit.max(1);
    let units = rows.div_ceil(unit);
    (0..units)
        .filter(|&i| match range {
            None => true,
            Some((a, b)) => {
                let at = if units == 0 { 0 } else { ((i as u128 * file_size as u128) / units as u128) as u64 };
                at >= a && at < b
            }
        })
        .map(|i| (i * unit, unit.min(rows - i * unit)))
        .collect()
}

/// Consecutive row ranges merged into batches of at most `batch` rows (a single range
/// longer than that stays whole: a batch never splits a unit).
pub(crate) fn batches(ranges: &[(u64, u64)], batch: u64) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &(s, n) in ranges {
        match out.last_mut() {
            Some((ls, ln)) if *ls + *ln == s && *ln + n <= batch.max(1) => *ln += n,
            _ => out.push((s, n)),
        }
    }
    out
}

/// Keeps the schema type alias in one place.
pub(crate) fn schema_ref(s: Schema) -> SchemaRef {
    Arc::new(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_cover_every_unit_once() {
        // 10 units of 100 rows (last one 50), file of 1000 bytes split in 3 uneven ranges.
        let all = units_in_range(950, 100, 1000, None);
        assert_eq!(all.len(), 10);
        let parts = [(0, 333), (333, 700), (700, 1000)];
        let mut seen: Vec<(u64, u64)> = parts.iter().flat_map(|&r| units_in_range(950, 100, 1000, Some(r))).collect();
        seen.sort();
        assert_eq!(seen, all);
        assert_eq!(units_in_range(950, 100, 1000, Some((0, 333))), vec![(0, 100), (100, 100), (200, 100), (300, 100)]);
        assert_eq!(all.last(), Some(&(900, 50)));
    }

    #[test]
    fn batches_merge_adjacent_units_only() {
        let r = [(0, 100), (100, 100), (200, 100), (400, 100)];
        assert_eq!(batches(&r, 250), vec![(0, 200), (200, 100), (400, 100)]);
        assert_eq!(batches(&r, 50), r.to_vec());
    }
}

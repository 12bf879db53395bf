//! The DataFusion [`FileFormat`] for HDF5 tables, and its [`FileFormatFactory`] (options
//! `group` / `dataset` by name, for `CREATE EXTERNAL TABLE ... OPTIONS`).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::common::stats::Precision;
use datafusion::common::{plan_err, ColumnStatistics, GetExt, Result, Statistics};
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::{FileFormat, FileFormatFactory};
use datafusion::datasource::physical_plan::{FileScanConfig, FileSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::table_schema::TableSchema;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::catalog::Session;
use object_store::{ObjectMeta, ObjectStore};

use crate::source::{blocking, H5Source};
use crate::table::{schema_ref, Table, TableLayout};

/// HDF5 files as a table: with [`datafusion::datasource::listing::ListingTable`] a
/// directory or glob of files is one table, each file holding the table as `layout` says
/// (default: the 1-D datasets of `/`). The schema comes from the first file.
#[derive(Debug, Clone, Default)]
pub struct H5Format {
    layout: TableLayout,
}

impl H5Format {
    /// The 1-D datasets of `/` are the columns.
    pub fn new() -> H5Format {
        H5Format::default()
    }

    /// The 1-D datasets of the group at `path` are the columns.
    pub fn with_group(path: impl Into<String>) -> H5Format {
        H5Format { layout: TableLayout::Group(path.into()) }
    }

    /// The members of the 1-D compound dataset at `path` are the columns.
    pub fn with_compound(path: impl Into<String>) -> H5Format {
        H5Format { layout: TableLayout::Compound(path.into()) }
    }

    pub fn layout(&self) -> &TableLayout {
        &self.layout
    }
}

#[async_trait]
impl FileFormat for H5Format {
    fn get_ext(&self) -> String {
        "h5".to_string()
    }

    fn get_ext_with_compression(&self, c: &FileCompressionType) -> Result<String> {
        if c.is_compressed() {
            return plan_err!("HDF5 files are not read through a compression codec (their chunks carry their own filters)");
        }
        Ok(self.get_ext())
    }

    fn compression_type(&self) -> Option<FileCompressionType> {
        None
    }

    async fn infer_schema(&self, _state: &dyn Session, store: &Arc<dyn ObjectStore>, objects: &[ObjectMeta]) -> Result<SchemaRef> {
        let Some(first) = objects.first().cloned() else { return Ok(Arc::new(Schema::empty())) };
        let (store, layout) = (store.clone(), self.layout.clone());
        let schema = blocking(move || {
            let f = crate::store::open(&store, &first)?;
            Table::open(&f, &layout)?.schema().map_err(|e| e.in_object(first.location.to_string()))
        })
        .await?;
        Ok(schema_ref(schema))
    }

    /// The row count (exact, from the dataspace) and the null count (exact: only enum
    /// columns can hold nulls). No min/max: HDF5 keeps none, and computing them would
    /// read the data.
    async fn infer_stats(&self, _state: &dyn Session, store: &Arc<dyn ObjectStore>, table_schema: SchemaRef, object: &ObjectMeta) -> Result<Statistics> {
        let (store, layout, meta) = (store.clone(), self.layout.clone(), object.clone());
        let rows = blocking(move || Ok(Table::open(&crate::store::open(&store, &meta)?, &layout)?.rows())).await?;
        let columns = table_schema
            .fields()
            .iter()
            .map(|f| {
                let c = ColumnStatistics::new_unknown();
                if matches!(f.data_type(), DataType::Dictionary(..)) {
                    c
                } else {
                    c.with_null_count(Precision::Exact(0))
                }
            })
            .collect();
        Ok(Statistics { num_rows: Precision::Exact(rows as usize), total_byte_size: Precision::Absent, column_statistics: columns })
    }

    async fn create_physical_plan(&self, _state: &dyn Session, conf: FileScanConfig) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(DataSourceExec::from_data_source(conf))
    }

    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        Arc::new(H5Source::new(table_schema, self.layout.clone()))
    }
}

/// Makes [`H5Format`]s from options: `group` (a group path: its 1-D datasets are the
/// columns) or `dataset` (a compound dataset path: its members are the columns), also
/// with a `format.` prefix.
#[derive(Debug, Default)]
pub struct H5FormatFactory;

impl FileFormatFactory for H5FormatFactory {
    fn create(&self, _state: &dyn Session, options: &HashMap<String, String>) -> Result<Arc<dyn FileFormat>> {
        let get = |k: &str| options.get(k).or_else(|| options.get(&format!("format.{}", k)));
        match (get("group"), get("dataset")) {
            (Some(_), Some(_)) => plan_err!("HDF5 table: give `group` or `dataset`, not both"),
            (Some(g), None) => Ok(Arc::new(H5Format::with_group(g.clone()))),
            (None, Some(d)) => Ok(Arc::new(H5Format::with_compound(d.clone()))),
            (None, None) => Ok(Arc::new(H5Format::new())),
        }
    }

    fn default(&self) -> Arc<dyn FileFormat> {
        Arc::new(H5Format::new())
    }
}

impl GetExt for H5FormatFactory {
    fn get_ext(&self) -> String {
        "h5".to_string()
    }
}

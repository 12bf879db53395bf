//! The scan: a DataFusion [`FileSource`] whose opener reads one file's share of the table.
//!
//! DataFusion hands each partition files or byte ranges of files (its `FileGroupPartitioner`
//! splits by size). A byte range means nothing inside HDF5, so the opener maps it onto the
//! table's chunk grid ([`crate::table::units_in_range`]): every unit (whole chunks along the
//! rows) is read by exactly one partition. The reads run on tokio's blocking pool, one
//! batch at a time, so partitions scan in parallel and a stream holds one batch in memory.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileOpenFuture, FileOpener, FileScanConfig, FileSource};
use datafusion::datasource::projection::{ProjectionOpener, SplitProjection};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::physical_expr::projection::ProjectionExprs;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use futures::StreamExt;
use object_store::ObjectStore;

use crate::table::{batches, units_in_range, Table, TableLayout};

/// DataFusion's error for an h5kit error.
pub(crate) fn df_err(e: h5kit::Error) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

/// Runs `f` on tokio's blocking pool (file reads block).
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> h5kit::Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| DataFusionError::External(Box::new(e)))?.map_err(df_err)
}

/// Scans HDF5 tables (see [`crate::H5Format`]).
#[derive(Clone)]
pub struct H5Source {
    table_schema: TableSchema,
    layout: TableLayout,
    projection: SplitProjection,
    metrics: ExecutionPlanMetricsSet,
    batch_size: usize,
}

impl H5Source {
    pub fn new(table_schema: TableSchema, layout: TableLayout) -> H5Source {
        H5Source {
            projection: SplitProjection::unprojected(&table_schema),
            table_schema,
            layout,
            metrics: ExecutionPlanMetricsSet::new(),
            batch_size: 8192,
        }
    }

    /// The table layout scanned.
    pub fn layout(&self) -> &TableLayout {
        &self.layout
    }
}

impl FileSource for H5Source {
    fn create_file_opener(&self, object_store: Arc<dyn ObjectStore>, _config: &FileScanConfig, _partition: usize) -> Result<Arc<dyn FileOpener>> {
        let file_schema = self.table_schema.file_schema();
        let indices = self.projection.file_indices.clone();
        let opener = H5Opener {
            store: object_store,
            layout: self.layout.clone(),
            schema: Arc::new(file_schema.project(&indices)?),
            batch_size: self.batch_size as u64,
        };
        ProjectionOpener::try_new(self.projection.clone(), Arc::new(opener), file_schema)
    }

    fn table_schema(&self) -> &TableSchema {
        &self.table_schema
    }

    fn with_batch_size(&self, batch_size: usize) -> Arc<dyn FileSource> {
        Arc::new(H5Source { batch_size, ..self.clone() })
    }

    fn metrics(&self) -> &ExecutionPlanMetricsSet {
        &self.metrics
    }

    fn file_type(&self) -> &str {
        "hdf5"
    }

    fn try_pushdown_projection(&self, projection: &ProjectionExprs) -> Result<Option<Arc<dyn FileSource>>> {
        let mut source = self.clone();
        source.projection = SplitProjection::new(self.table_schema.file_schema(), &self.projection.source.try_merge(projection)?);
        Ok(Some(Arc::new(source)))
    }

    fn projection(&self) -> Option<&ProjectionExprs> {
        Some(&self.projection.source)
    }

    fn apply_expressions(&self, f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>) -> Result<TreeNodeRecursion> {
        datafusion::physical_plan::apply_expression_roots(self.projection.source.iter(), f)
    }
}

/// Opens one file (or byte range of one) and streams the projected columns of its units.
struct H5Opener {
    store: Arc<dyn ObjectStore>,
    layout: TableLayout,
    /// The table schema projected to the columns read.
    schema: SchemaRef,
    batch_size: u64,
}

impl FileOpener for H5Opener {
    fn open(&self, file: PartitionedFile) -> Result<FileOpenFuture> {
        let (store, layout, schema, batch_size) = (self.store.clone(), self.layout.clone(), self.schema.clone(), self.batch_size);
        Ok(Box::pin(async move {
            let meta = file.object_meta.clone();
            let range = file.range.as_ref().map(|r| (r.start.max(0) as u64, r.end.max(0) as u64));
            let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            let (table, columns, work) = blocking(move || {
                let f = crate::store::open(&store, &meta)?;
                let table = Table::open(&f, &layout).map_err(|e| e.in_object(meta.location.to_string()))?;
                let columns = names
                    .iter()
                    .map(|n| {
                        table.index_of(n).ok_or_else(|| {
                            h5kit::Error::new(h5kit::ErrorKind::NotFound, format!("{}: the table has no column {:?}", meta.location, n))
                        })
                    })
                    .collect::<h5kit::Result<Vec<usize>>>()?;
                let unit = table.unit(&columns)?;
                let work = batches(&units_in_range(table.rows(), unit, meta.size, range), batch_size);
                Ok((Arc::new(table), columns, work))
            })
            .await?;
            let columns = Arc::new(columns);
            let stream = futures::stream::iter(work).then(move |(start, len)| {
                let (table, columns, schema) = (table.clone(), columns.clone(), schema.clone());
                async move {
                    blocking(move || table.read(&columns, start, len, &schema)).await
                }
            });
            Ok(stream.boxed())
        }))
    }
}

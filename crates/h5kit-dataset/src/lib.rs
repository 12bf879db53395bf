//! h5kit-dataset: raw data of HDF5 datasets: the filter pipeline (spec IV.A.2.l) and, to come,
//! layouts and chunk indexes (spec IV.A.2.i, VII).
pub mod filter;

pub use filter::decode_pipeline;

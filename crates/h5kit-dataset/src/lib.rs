//! h5kit-dataset: raw data of HDF5 datasets: the filter pipeline (spec IV.A.2.l "The Data
//! Storage - Filter Pipeline Message") and the read path over every layout and chunk index
//! (spec IV.A.2.i "The Data Layout Message", VII "Appendix C: Types of Indexes for Dataset
//! Chunks").
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod cache;
pub mod filter;
pub mod read;
pub mod scratch;

pub use cache::{read_block_mapped, ChunkCache, ChunkMap, DEFAULT_CHUNK_CACHE_BYTES};
pub use filter::decode_pipeline;
pub use scratch::ChunkScratch;
pub use read::{chunk_locations, data_address, read_all, read_all_into, read_block, storage_size, ChunkLocation};

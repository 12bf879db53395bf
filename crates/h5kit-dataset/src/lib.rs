//! h5kit-dataset (placeholder)

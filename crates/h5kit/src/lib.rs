//! h5kit (placeholder)

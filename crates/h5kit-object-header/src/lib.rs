//! h5kit-object-header (placeholder)

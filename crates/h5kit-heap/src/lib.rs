//! h5kit-heap (placeholder)

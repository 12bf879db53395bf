//! h5kit-superblock (placeholder)

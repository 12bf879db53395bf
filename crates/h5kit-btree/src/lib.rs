//! h5kit-btree (placeholder)

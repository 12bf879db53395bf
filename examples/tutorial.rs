//! The tutorial database of examples/tutorial.py (h5py), written with h5kit: a group per
//! category, a dataset per item with attributes, then a dataset grown by resizing.
//!
//! `cargo run -p h5kit --example tutorial -- OUT.h5`, then `h5dump OUT.h5`.

use h5kit::write::{dtype, DatasetSpec};
use h5kit::{File, UNLIMITED};

/// Category name, then (item name, stock) pairs.
type Catalog = &'static [(&'static str, &'static [(&'static str, &'static [i64])])];

const CATALOG: Catalog = &[
    ("fruits", &[("apple", &[3, 5, 2, 8]), ("pear", &[1, 1, 4])]),
    ("vegetables", &[("carrot", &[10, 12]), ("leek", &[7]), ("pea", &[20, 30, 25, 22, 21])]),
];

#[allow(dead_code)]
fn main() -> h5kit::Result<()> {
    let out = std::env::args().nth(1).unwrap_or_else(|| "tutorial.h5".to_string());
    write(std::path::Path::new(&out))
}

/// Writes the tutorial database to `out`.
pub fn write(out: &std::path::Path) -> h5kit::Result<()> {
    let f = File::open_with_mode(out, "w")?;
    f.set_attr_str("/", "title", "Tutorial inventory")?;
    for (category, items) in CATALOG {
        let group = format!("/{}", category);
        f.create_group(&group)?;
        f.set_attr(&group, "count", None, &[items.len() as i64])?;
        for (i, (item, stock)) in items.iter().enumerate() {
            let path = format!("{}/{}", group, item);
            f.write_new(&path, &[stock.len() as u64], stock)?;
            f.set_attr(&path, "price", None, &[0.5 + i as f64])?;
            f.set_attr_str(&path, "unit", "kg")?;
        }
    }
    let mut spec = DatasetSpec::new(dtype::float64(), &[0, 3]);
    spec.maxshape = Some(vec![UNLIMITED, 3]);
    spec.chunks = Some(vec![4, 3]);
    f.create_dataset("/log", spec)?;
    for day in 0..10u64 {
        f.resize("/log", &[day + 1, 3])?;
        let d = day as f64;
        f.write_slice("/log", &[day, 0], &[1, 3], &[d, d * 1.5, 0.0 - d])?;
    }
    f.close()
}

//! The tutorial database of examples/tutorial.py (h5py), written with h5kit: a group per
//! category, a dataset per item with attributes, then a dataset grown by resizing.
//!
//! `cargo run -p h5kit --example tutorial -- OUT.h5`, then `h5dump OUT.h5`.

use h5kit::File;

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

/// Writes the tutorial database to `out`, one h5py step per line (examples/tutorial.py).
pub fn write(out: &std::path::Path) -> h5kit::Result<()> {
    let f = File::create(out)?; //                                   h5py.File(out, "w")
    f.attrs().set("title", "Tutorial inventory")?; //                 f.attrs["title"] = ...
    for (category, items) in CATALOG {
        let grp = f.create_group(category)?; //                       grp = f.create_group(category)
        grp.attrs().set("count", items.len() as i64)?; //             grp.attrs["count"] = np.int64(..)
        for (i, (item, stock)) in items.iter().enumerate() {
            let dset = grp.new_dataset::<i64>().with_data(stock).create(item)?; // grp.create_dataset(item, data=..)
            dset.attrs().set("price", 0.5 + i as f64)?; //            dset.attrs["price"] = np.float64(..)
            dset.attrs().set("unit", "kg")?; //                       dset.attrs["unit"] = "kg"
        }
    }
    // log = f.create_dataset("log", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype=np.float64)
    let log = f.new_dataset::<f64>().shape([0, 3]).maxshape([None, Some(3)]).chunk([4, 3]).create("log")?;
    for day in 0..10u64 {
        log.resize([day + 1, 3])?; //                                 log.resize((day + 1, 3))
        let d = day as f64;
        log.write_slice([day..day + 1, 0..3], &[d, d * 1.5, 0.0 - d])?; // log[day, :] = [..]
    }
    f.close()
}

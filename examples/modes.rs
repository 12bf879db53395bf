//! The five file modes and the errors a tutorial user meets, with h5kit: the steps of
//! examples/modes.py (h5py), one h5py call per line. Each step prints one line: its result,
//! or `error KIND: message` where h5py raises (the test checks the kinds against h5py's
//! exception classes and the files against h5py's with h5dump).
//!
//! `cargo run -p h5kit --example modes -- DIR`

use std::path::Path;

use h5kit::{File, Mode};

/// A failing step: `STEP: error KIND: message`, or `STEP: no error` if it succeeded.
fn error<T>(out: &mut Vec<String>, step: &str, result: h5kit::Result<T>) {
    out.push(match result {
        Ok(_) => format!("{}: no error", step),
        Err(e) => format!("{}: error {:?}: {}", step, e.kind, e),
    });
}

/// Runs the steps in `dir` (modes.h5, appended.h5, excl.h5, x.h5); returns the printed lines.
pub fn run(dir: &Path) -> h5kit::Result<Vec<String>> {
    let (path, appended, excl, x_path) = (dir.join("modes.h5"), dir.join("appended.h5"), dir.join("excl.h5"), dir.join("x.h5"));
    for p in [&path, &appended, &excl, &x_path] {
        let _ = std::fs::remove_file(p);
    }
    let mut out = Vec::new();
    error(&mut out, "r on a missing file", File::open(&path)); //            h5py.File(path, "r")
    error(&mut out, "r+ on a missing file", File::open_rw(&path)); //        h5py.File(path, "r+")
    error(&mut out, "an unknown mode", "rw".parse::<Mode>()); //             h5py.File(path, "rw")

    let f = File::create(&path)?; //                                         with h5py.File(path, "w") as f:
    let stock = f.new_dataset::<i64>().with_data(&[3, 5, 2]).create("stock")?; // f.create_dataset("stock", data=..)
    f.new_dataset::<f64>().with_data(&[1.0, 2.0]).create("fixed")?; //       f.create_dataset("fixed", data=..)
    // rows = f.create_dataset("rows", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype=np.float64)
    let rows = f.new_dataset::<f64>().shape([0, 3]).maxshape([None, Some(3)]).chunk([4, 3]).create("rows")?;
    f.create_group("g")?; //                                                 f.create_group("g")
    out.push(format!("w keys: {}", f.keys()?.join(" "))); //                 list(f.keys())
    error(&mut out, "create_group of an existing name", f.create_group("g")); // ValueError
    error(&mut out, "create_dataset of an existing name", f.new_dataset::<i64>().with_data(&[1]).create("stock"));
    error(&mut out, "a missing object", f.node("nope")); //                  f["nope"]: KeyError
    error(&mut out, "a missing object in a group", f.node("g/nope")); //      f["g/nope"]: KeyError
    error(&mut out, "a missing attribute", f.attrs().get::<i64>("nope")); //  f.attrs["nope"]: KeyError
    error(&mut out, "resize of a contiguous dataset", f.dataset("fixed")?.resize([3])); // TypeError
    error(&mut out, "resize past maxshape", rows.resize([1, 4])); //          rows.resize((1, 4))
    error(&mut out, "write of the wrong length", stock.write_slice(0..3, &[1i64, 2])); // stock[0:3] = [1, 2]
    error(&mut out, "read past the end", stock.read_slice::<i64>(5..6)); //   stock[5]: IndexError
    f.close()?;

    let f = File::open(&path)?; //                                           with h5py.File(path, "r") as f:
    out.push(format!("r stock: {:?}", f.dataset("stock")?.read::<i64>()?.data)); // f["stock"][:]
    error(&mut out, "r: create_group", f.create_group("h"));
    error(&mut out, "r: write", f.dataset("stock")?.write_slice(0..1, &[1i64])); // f["stock"][0:1] = [1]
    error(&mut out, "r: set an attribute", f.attrs().set("a", 1i64)); //      f.attrs["a"] = 1
    error(&mut out, "r: resize", f.dataset("rows")?.resize([2, 3]));
    f.close()?;

    let f = File::open_rw(&path)?; //                                        with h5py.File(path, "r+") as f:
    f.dataset("stock")?.write_slice(1..2, &[6i64])?; //                      f["stock"][1:2] = [6]
    f.dataset("rows")?.resize([1, 3])?; //                                   f["rows"].resize((1, 3))
    f.dataset("rows")?.write_slice([0..1, 0..3], &[1.0, 2.0, 3.0])?; //      f["rows"][0:1, :] = [[1, 2, 3]]
    out.push(format!("r+ stock: {:?}", f.dataset("stock")?.read::<i64>()?.data));
    f.close()?;

    let f = File::append(&path)?; //                                         with h5py.File(path, "a") as f:
    let rows = f.dataset("rows")?; //                                        rows = f["rows"]
    rows.resize([2, 3])?; //                                                 rows.resize((2, 3))
    rows.write_slice([1..2, 0..3], &[4.0, 5.0, 6.0])?; //                    rows[1:2, :] = [[4, 5, 6]]
    f.attrs().set("modes", "w r r+ a")?; //                                  f.attrs["modes"] = "w r r+ a"
    out.push(format!("a rows: {:?} {:?}", rows.shape()?, rows.read::<f64>()?.data));
    f.close()?;
    let f = File::append(&appended)?; //                                     a on a missing file creates it
    f.create_group("made_by_a")?;
    out.push(format!("a creates: {}", f.keys()?.join(" ")));
    f.close()?;

    error(&mut out, "w- on an existing file", File::create_excl(&path)); //  h5py.File(path, "w-")
    error(&mut out, "x on an existing file", File::open_with_mode(&path, "x")); // h5py.File(path, "x")
    let f = File::create_excl(&excl)?; //                                    with h5py.File(excl, "w-") as f:
    f.create_group("made_by_w-")?;
    f.close()?;
    let f = File::open_with_mode(&x_path, "x")?; //                          with h5py.File(x_path, "x") as f:
    f.create_group("made_by_x")?;
    f.close()?;
    let f = File::create(&appended)?; //                                     w on an existing file empties it
    out.push(format!("w truncates: {}", f.len()?));
    f.close()?;
    let f = File::open(&path)?;
    out.push(format!("final keys: {}", f.keys()?.join(" ")));
    Ok(out)
}

#[allow(dead_code)]
fn main() -> h5kit::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    for line in run(Path::new(&dir))? {
        println!("{}", line);
    }
    Ok(())
}

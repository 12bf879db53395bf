//! The workloads of `shared/bench/h5py_bench.py`, one h5py call per line, through h5kit's
//! handles (`File`, groups, the dataset builder, attributes). The data is a formula both
//! languages compute exactly (the test compares the files with h5py's through h5diff).
//!
//! `cargo run --release -p h5kit --example workloads -- DIR [--scale S]`: one line per
//! workload, `NAME SECONDS MB_PER_S`, as the Python script prints.

use std::path::Path;

use h5kit::File;

/// Sizes of the workloads (h5py_bench.py's `N`, `ROWS`, `G`, items per group, `FLUSHES`).
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub n: u64,
    pub rows: u64,
    pub groups: u64,
    pub items: u64,
    pub flushes: u64,
}

impl Sizes {
    /// The script's sizes at `scale`.
    pub fn at_scale(scale: f64) -> Sizes {
        Sizes {
            n: (32.0 * (1u64 << 20) as f64 * scale) as u64,
            rows: (100_000.0 * scale) as u64,
            groups: (100.0 * scale.max(0.01).sqrt()) as u64,
            items: 100,
            flushes: 1000,
        }
    }
}

/// `plain[i]`: multiples of 1/8, so sums are exact in f64 (numpy's cumsum gives the same).
pub fn plain(n: u64) -> Vec<f64> {
    (0..n).map(|i| ((i * 7919) % 1000) as f64 / 8.0 - 60.0).collect()
}

/// `smooth = cumsum(plain)`.
pub fn smooth(n: u64) -> Vec<f64> {
    let mut s = 0.0;
    plain(n).into_iter().map(|v| {
        s += v;
        s
    }).collect()
}

pub fn w_contig(d: &Path, plain: &[f64]) -> h5kit::Result<()> {
    let f = File::create(d.join("contig.h5"))?; //                       with h5py.File(.., "w") as f:
    f.new_dataset::<f64>().with_data(plain).create("x")?; //             f.create_dataset("x", data=plain)
    f.close()
}

pub fn r_contig(d: &Path, plain: &[f64]) -> h5kit::Result<()> {
    let f = File::open(d.join("contig.h5"))?; //                         with h5py.File(.., "r") as f:
    let a = f.dataset("x")?.read::<f64>()?.data; //                      a = f["x"][:]
    assert_eq!(a.last(), plain.last());
    Ok(())
}

pub fn w_gzip(d: &Path, smooth: &[f64]) -> h5kit::Result<()> {
    let f = File::create(d.join("gzip.h5"))?;
    // f.create_dataset("x", data=smooth, chunks=(32768,), compression="gzip", compression_opts=4, shuffle=True)
    let chunk = 32768.min(smooth.len() as u64).max(1);
    f.new_dataset::<f64>().with_data(smooth).chunk([chunk]).deflate(4).shuffle().create("x")?;
    f.close()
}

pub fn r_gzip(d: &Path, smooth: &[f64]) -> h5kit::Result<()> {
    let f = File::open(d.join("gzip.h5"))?;
    let a = f.dataset("x")?.read::<f64>()?.data; //                      a = f["x"][:]
    assert_eq!(a.last(), smooth.last());
    Ok(())
}

pub fn r_random(d: &Path, n: u64) -> h5kit::Result<f64> {
    let f = File::open(d.join("gzip.h5"))?;
    let x = f.dataset("x")?; //                                          x = f["x"]
    let mut s = 0.0;
    for k in 0..10_000u64 {
        let i = (k * 104_729) % (n.max(17) - 16); //                     (a fixed spread instead of numpy's rng)
        s += x.read_slice::<f64>(i..i + 16)?.data.iter().sum::<f64>(); // s += x[i:i + 16].sum()
    }
    Ok(s)
}

pub fn w_append(d: &Path, rows: u64) -> h5kit::Result<()> {
    let row: Vec<f32> = (0..16).map(|v| v as f32).collect(); //          row = np.arange(16, dtype="<f4")
    let f = File::create(d.join("append.h5"))?;
    // x = f.create_dataset("rows", shape=(0, 16), maxshape=(None, 16), dtype="<f4", chunks=(1024, 16))
    let x = f.new_dataset::<f32>().shape([0, 16]).maxshape([None, Some(16)]).chunk([1024, 16]).create("rows")?;
    for i in 0..rows {
        x.resize([i + 1, 16])?; //                                       x.resize((i + 1, 16))
        x.write_slice([i..i + 1, 0..16], &row)?; //                      x[i] = row
    }
    f.close()
}

pub fn w_meta(d: &Path, groups: u64, items: u64) -> h5kit::Result<()> {
    let f = File::create(d.join("meta.h5"))?;
    let data: Vec<i64> = (0..10).collect();
    for c in 0..groups {
        let g = f.create_group(&format!("cat{:03}", c))?; //             g = f.create_group(f"cat{c:03d}")
        g.attrs().set("label", format!("category {}", c))?; //          g.attrs["label"] = f"category {c}"
        for i in 0..items {
            let ds = g.new_dataset::<i64>().with_data(&data).create(&format!("item{:03}", i))?; // data=np.arange(10)
            ds.attrs().set("id", (c * 100 + i) as i64)?; //              ds.attrs["id"] = c * 100 + i
            ds.attrs().set("score", 0.5f64)?; //                         ds.attrs["score"] = 0.5
        }
    }
    f.close()
}

pub fn r_meta(d: &Path) -> h5kit::Result<i64> {
    let f = File::open(d.join("meta.h5"))?;
    let mut n = 0;
    for c in f.group("/")?.values()? {
        let Some(c) = c.as_group() else { continue }; //                 for c in f.values():
        let _label: String = c.attrs().get("label")?; //                 _ = c.attrs["label"]
        for ds in c.values()? {
            let Some(ds) = ds.as_dataset() else { continue };
            n += ds.attrs().get::<i64>("id")? + ds.read_slice::<i64>(9..10)?.data[0]; // int(ds.attrs["id"]) + int(ds[9])
        }
    }
    assert!(n > 0);
    Ok(n)
}

pub fn w_large(d: &Path, plain: &[f64]) -> h5kit::Result<()> {
    let n = plain.len() as u64;
    let f = File::create(d.join("large.h5"))?;
    // x = f.create_dataset("x", shape=(16 * N,), dtype="<f8", chunks=(2**20,))
    let x = f.new_dataset::<f64>().shape([16 * n]).chunk([(1u64 << 20).min(16 * n).max(1)]).create("x")?;
    for k in 0..16 {
        x.write_slice(k * n..(k + 1) * n, plain)?; //                    x[k * N:(k + 1) * N] = plain
    }
    f.close()
}

pub fn w_append_flush(d: &Path, flushes: u64) -> h5kit::Result<()> {
    let row: Vec<f32> = (0..16).map(|v| v as f32).collect();
    let f = File::append(d.join("large.h5"))?; //                        with h5py.File(.., "a") as f:
    let x = f.new_dataset::<f32>().shape([0, 16]).maxshape([None, Some(16)]).chunk([1024, 16]).create("log")?;
    for i in 0..flushes {
        x.resize([i + 1, 16])?;
        x.write_slice([i..i + 1, 0..16], &row)?;
        f.flush()?; //                                                   f.flush()
    }
    f.close()
}

#[allow(dead_code)]
fn main() -> h5kit::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let d = Path::new(args.get(1).map(String::as_str).unwrap_or("bench-out")).to_path_buf();
    let scale = args.iter().position(|a| a == "--scale").and_then(|i| args.get(i + 1)).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    std::fs::create_dir_all(&d).map_err(|e| h5kit::Error::io(e, format!("creating {}", d.display())))?;
    let s = Sizes::at_scale(scale);
    let (plain, smooth) = (plain(s.n), smooth(s.n));
    let mb = s.n as f64 * 8.0 / 1e6;
    let timed = |name: &str, mb: f64, f: &mut dyn FnMut() -> h5kit::Result<()>| -> h5kit::Result<()> {
        let t = std::time::Instant::now();
        f()?;
        let secs = t.elapsed().as_secs_f64();
        println!("{} {:.4} {:.1}", name, secs, if mb > 0.0 { mb / secs } else { 0.0 });
        Ok(())
    };
    timed("write_contiguous", mb, &mut || w_contig(&d, &plain))?;
    timed("read_contiguous", mb, &mut || r_contig(&d, &plain))?;
    timed("write_gzip_shuffle", mb, &mut || w_gzip(&d, &smooth))?;
    timed("read_gzip_shuffle", mb, &mut || r_gzip(&d, &smooth))?;
    timed("read_random_slabs", 0.0, &mut || r_random(&d, s.n).map(drop))?;
    timed("append_rows", s.rows as f64 * 64.0 / 1e6, &mut || w_append(&d, s.rows))?;
    timed("write_groups", 0.0, &mut || w_meta(&d, s.groups, s.items))?;
    timed("read_groups", 0.0, &mut || r_meta(&d).map(drop))?;
    timed("write_large", 16.0 * mb, &mut || w_large(&d, &plain))?;
    timed("append_flush", s.flushes as f64 * 64.0 / 1e6, &mut || w_append_flush(&d, s.flushes))
}

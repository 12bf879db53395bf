//! `h5kit-peers DIR [--scale S] [--large] [--only NAME[,NAME..]] [--lib rust-hdf5|hdf5-pure]`:
//! the workloads of WORKLOADS.md (same files, shapes, chunking, filters and data as
//! libhdf5_bench.c, data from h5kit-bench's generator) with the crates.io pure-Rust HDF5
//! crates, each through its public API as its README shows it (rust-hdf5: `H5File`,
//! `new_dataset`, `write_raw` / `write_slice` / `extend`, `flush`, `close`; hdf5-pure:
//! `FileBuilder` to write, `File` to read). Prints `LIB NAME SECONDS MB_PER_S`. A workload a
//! crate cannot run is printed with SECONDS `skip` and why. Workloads selected as for
//! `h5 bench` (h5kit_bench::Options: write_large and append_flush with `--large` or `--only`).
use std::path::Path;
use std::time::Instant;

use h5kit_bench::{generate, slab_offsets, Options, Params, Parsed, FLUSHES, SLAB};

type R<T> = Result<T, String>;

/// The workloads to run (set once in main).
static SELECTION: std::sync::OnceLock<Options> = std::sync::OnceLock::new();

/// With H5KIT_PEERS_LIB set (one library), lines are `NAME SECONDS MB_PER_S` as the other
/// benchmarks print them (for scripts/bench_compare.sh); otherwise prefixed by the library.
fn timed(lib: &str, name: &str, mb: f64, f: impl FnOnce() -> R<()>) {
    if !SELECTION.get().is_none_or(|o| o.wants(name)) {
        return;
    }
    let prefix = if std::env::var_os("H5KIT_PEERS_LIB").is_some() { String::new() } else { format!("{} ", lib) };
    let t = Instant::now();
    match f() {
        Ok(()) => {
            let s = t.elapsed().as_secs_f64();
            println!("{}{} {:.4} {:.1}", prefix, name, s, if mb > 0.0 { mb / s } else { 0.0 });
        }
        Err(e) => println!("{}{} skip {}", prefix, name, e.replace('\n', " ")),
    }
}

#[cfg(feature = "rust-hdf5")]
fn rust_hdf5(dir: &Path, p: Params, smooth: &[f64], plain: &[f64], offsets: &[u64]) {
    use rust_hdf5::H5File;
    let lib = "rust-hdf5";
    let mb = p.n as f64 * 8.0 / 1e6;
    let e = |x: rust_hdf5::Hdf5Error| x.to_string();
    let contig = dir.join("contig.h5");
    let gzip = dir.join("gzip.h5");
    timed(lib, "write_contiguous", mb, || {
        let f = H5File::create(&contig).map_err(e)?;
        let ds = f.new_dataset::<f64>().shape([p.n]).create("x").map_err(e)?;
        ds.write_raw(plain).map_err(e)?;
        f.close().map_err(e)
    });
    timed(lib, "read_contiguous", mb, || {
        let f = H5File::open(&contig).map_err(e)?;
        let v = f.dataset("x").map_err(e)?.read_raw::<f64>().map_err(e)?;
        if v.last() != plain.last() { return Err("wrong data".into()) }
        Ok(())
    });
    timed(lib, "write_gzip_shuffle", mb, || {
        let f = H5File::create(&gzip).map_err(e)?;
        let ds = f.new_dataset::<f64>().shape([p.n]).chunk(&[32768]).shuffle_deflate(4).create("x").map_err(e)?;
        ds.write_raw(smooth).map_err(e)?;
        f.close().map_err(e)
    });
    timed(lib, "read_gzip_shuffle", mb, || {
        let f = H5File::open(&gzip).map_err(e)?;
        let v = f.dataset("x").map_err(e)?.read_raw::<f64>().map_err(e)?;
        if v.last() != smooth.last() { return Err("wrong data".into()) }
        Ok(())
    });
    timed(lib, "read_random_slabs", 0.0, || {
        let f = H5File::open(&gzip).map_err(e)?;
        let ds = f.dataset("x").map_err(e)?;
        let mut s = 0.0f64;
        for &o in offsets {
            s += ds.read_slice::<f64>(&[o as usize], &[SLAB]).map_err(e)?.iter().sum::<f64>();
        }
        if !s.is_finite() { return Err("bad sum".into()) }
        Ok(())
    });
    timed(lib, "append_rows", p.rows as f64 * 64.0 / 1e6, || {
        let f = H5File::create(dir.join("append.h5")).map_err(e)?;
        let ds = f.new_dataset::<f32>().shape([0usize, 16]).chunk(&[1024, 16]).max_shape(&[None, Some(16)]).create("rows").map_err(e)?;
        let row: Vec<f32> = (0..16).map(|k| k as f32).collect();
        for i in 0..p.rows {
            ds.extend(&[i + 1, 16]).map_err(e)?;
            ds.write_slice(&[i, 0], &[1, 16], &row).map_err(e)?;
        }
        f.close().map_err(e)
    });
    let meta = dir.join("meta.h5");
    timed(lib, "write_groups", 0.0, || {
        let f = H5File::create(&meta).map_err(e)?;
        let values: Vec<i64> = (0..10).collect();
        for c in 0..p.groups {
            let g = f.create_group(&format!("cat{:03}", c)).map_err(e)?;
            g.set_attr_string("label", &format!("category {}", c)).map_err(e)?;
            for i in 0..100 {
                let ds = g.new_dataset::<i64>().shape([10usize]).create(&format!("item{:03}", i)).map_err(e)?;
                ds.write_raw(&values).map_err(e)?;
                ds.new_attr::<i64>().shape(()).create("id").map_err(e)?.write_numeric(&((c * 100 + i) as i64)).map_err(e)?;
                ds.new_attr::<f64>().shape(()).create("score").map_err(e)?.write_numeric(&0.5f64).map_err(e)?;
            }
        }
        f.close().map_err(e)
    });
    timed(lib, "read_groups", 0.0, || {
        let f = H5File::open(&meta).map_err(e)?;
        let root = f.root_group();
        let mut names = root.group_names().map_err(e)?;
        names.sort();
        let mut total = 0i64;
        for gname in &names {
            let g = root.group(gname).map_err(e)?;
            if !g.attr_string("label").map_err(e)?.starts_with("category ") {
                return Err("wrong label".into());
            }
            let mut items = g.dataset_names().map_err(e)?;
            items.sort();
            for it in &items {
                let ds = f.dataset(&format!("{}/{}", gname, it)).map_err(e)?;
                let id: i64 = ds.attr("id").map_err(e)?.read_numeric().map_err(e)?;
                let last = ds.read_slice::<i64>(&[9], &[1]).map_err(e)?;
                total += id + last.first().copied().unwrap_or(0);
            }
        }
        check_groups(total, names.len(), p.groups)
    });
    let large = dir.join("large.h5");
    timed(lib, "write_large", 16.0 * mb, || {
        let f = H5File::create(&large).map_err(e)?;
        let ds = f.new_dataset::<f64>().shape([16 * p.n]).chunk(&[1 << 20]).create("x").map_err(e)?;
        for k in 0..16 {
            ds.write_slice(&[k * p.n], &[p.n], plain).map_err(e)?;
        }
        f.close().map_err(e)
    });
    // rust-hdf5's `H5File::flush` hands the bytes written so far to the OS but leaves the
    // object headers and the superblock to `close` (its documentation); `H5Dataset::flush`
    // writes the dataset's chunk index. Both are called: the nearest to h5py's `f.flush()`
    // this API offers (less than it: the file is complete only at close).
    timed(lib, "append_flush", FLUSHES as f64 * 64.0 / 1e6, || {
        let f = H5File::open_rw(&large).map_err(e)?;
        let ds = f.new_dataset::<f32>().shape([0usize, 16]).chunk(&[1024, 16]).max_shape(&[None, Some(16)]).create("log").map_err(e)?;
        let row: Vec<f32> = (0..16).map(|k| k as f32).collect();
        for i in 0..FLUSHES {
            ds.extend(&[i + 1, 16]).map_err(e)?;
            ds.write_slice(&[i, 0], &[1, 16], &row).map_err(e)?;
            ds.flush().map_err(e)?;
            f.flush().map_err(e)?;
        }
        f.close().map_err(e)
    });
}

/// The read_groups result every library must reach (h5kit-bench checks the same sum).
fn check_groups(total: i64, seen: usize, groups: usize) -> R<()> {
    let expect: i64 = (0..groups as i64).map(|c| 100 * (100 * c) + 99 * 100 / 2 + 9 * 100).sum();
    if seen != groups || total != expect {
        return Err(format!("read_groups: total {} in {} groups, expected {} in {}", total, seen, expect, groups));
    }
    Ok(())
}

#[cfg(feature = "hdf5-pure")]
fn hdf5_pure(dir: &Path, p: Params, smooth: &[f64], plain: &[f64], offsets: &[u64]) {
    use hdf5_pure::{File, FileBuilder};
    let lib = "hdf5-pure";
    let mb = p.n as f64 * 8.0 / 1e6;
    let e = |x: &dyn std::fmt::Debug| format!("{:?}", x);
    let contig = dir.join("contig-pure.h5");
    let gzip = dir.join("gzip-pure.h5");
    timed(lib, "write_contiguous", mb, || {
        let mut b = FileBuilder::new();
        b.create_dataset("x").with_f64_data(plain).with_shape(&[p.n as u64]);
        b.write(&contig).map_err(|x| e(&x))
    });
    timed(lib, "read_contiguous", mb, || {
        let f = File::open(&contig).map_err(|x| e(&x))?;
        let v = f.dataset("x").map_err(|x| e(&x))?.read_f64().map_err(|x| e(&x))?;
        if v.last() != plain.last() { return Err("wrong data".into()) }
        Ok(())
    });
    timed(lib, "write_gzip_shuffle", mb, || {
        let mut b = FileBuilder::new();
        b.create_dataset("x").with_f64_data(smooth).with_shape(&[p.n as u64]).with_chunks(&[32768]).with_shuffle().with_deflate(4);
        b.write(&gzip).map_err(|x| e(&x))
    });
    timed(lib, "read_gzip_shuffle", mb, || {
        let f = File::open(&gzip).map_err(|x| e(&x))?;
        let v = f.dataset("x").map_err(|x| e(&x))?.read_f64().map_err(|x| e(&x))?;
        if v.last() != smooth.last() { return Err("wrong data".into()) }
        Ok(())
    });
    timed(lib, "read_random_slabs", 0.0, || {
        let f = File::open(&gzip).map_err(|x| e(&x))?;
        let ds = f.dataset("x").map_err(|x| e(&x))?;
        let mut s = 0.0f64;
        for &o in offsets {
            s += ds.read_f64_rows(o, SLAB as u64).map_err(|x| e(&x))?.iter().sum::<f64>();
        }
        if !s.is_finite() { return Err("bad sum".into()) }
        Ok(())
    });
    let meta = dir.join("meta-pure.h5");
    timed(lib, "write_groups", 0.0, || {
        use hdf5_pure::AttrValue;
        let mut b = FileBuilder::new();
        let values: Vec<i64> = (0..10).collect();
        for c in 0..p.groups {
            let mut g = b.create_group(&format!("cat{:03}", c));
            g.set_attr("label", AttrValue::String(format!("category {}", c)));
            for i in 0..100 {
                g.create_dataset(&format!("item{:03}", i))
                    .with_i64_data(&values)
                    .with_shape(&[10])
                    .set_attr("id", AttrValue::I64((c * 100 + i) as i64))
                    .set_attr("score", AttrValue::F64(0.5));
            }
            b.add_group(g.finish());
        }
        b.write(&meta).map_err(|x| e(&x))
    });
    timed(lib, "read_groups", 0.0, || {
        use hdf5_pure::AttrValue;
        let f = File::open(&meta).map_err(|x| e(&x))?;
        let root = f.root();
        let mut names = root.groups().map_err(|x| e(&x))?;
        names.sort();
        let mut total = 0i64;
        for gname in &names {
            let g = root.group(gname).map_err(|x| e(&x))?;
            match g.attrs().map_err(|x| e(&x))?.get("label") {
                Some(AttrValue::String(s)) if s.starts_with("category ") => {}
                other => return Err(format!("wrong label {:?}", other)),
            }
            let mut items = g.datasets().map_err(|x| e(&x))?;
            items.sort();
            for it in &items {
                let ds = g.dataset(it).map_err(|x| e(&x))?;
                let id = match ds.attrs().map_err(|x| e(&x))?.get("id") {
                    Some(AttrValue::I64(v)) => *v,
                    other => return Err(format!("wrong id {:?}", other)),
                };
                let last = ds.read_i64_rows(9, 1).map_err(|x| e(&x))?;
                total += id + last.first().copied().unwrap_or(0);
            }
        }
        check_groups(total, names.len(), p.groups)
    });
    // `FileBuilder` writes a file from whole datasets given at once (no write of a slab into
    // a dataset), and `Dataset::append` takes rank-1 datasets only: neither workload can be
    // written with this API as WORKLOADS.md describes it.
    timed(lib, "write_large", 0.0, || Err("no slab write into a dataset in hdf5-pure's API".into()));
    timed(lib, "append_flush", 0.0, || Err("hdf5-pure appends to rank-1 datasets only".into()));
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut only = std::env::var("H5KIT_PEERS_LIB").ok();
    if let Some(i) = args.iter().position(|a| a == "--lib") {
        only = args.get(i + 1).cloned();
        args.drain(i..(i + 2).min(args.len()));
    }
    if args.is_empty() {
        args.push("/tmp/h5kit-peers".into());
    }
    let opts = match Options::parse(&args) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            print!("{}", h5kit_bench::usage("h5kit-peers"));
            return;
        }
        Err(err) => {
            eprintln!("h5kit-peers: {}\n{}", err, h5kit_bench::usage("h5kit-peers"));
            std::process::exit(2);
        }
    };
    let scale = opts.scale;
    let dir = opts.dir.clone();
    let _ = SELECTION.set(opts);
    let dir = dir.as_path();
    if let Err(err) = std::fs::create_dir_all(dir) {
        eprintln!("{}: {}", dir.display(), err);
        std::process::exit(1);
    }
    let p = Params::new(scale);
    let (smooth, plain) = generate(p.n);
    let offsets = slab_offsets(p.n);
    let want = |l: &str| only.as_deref().is_none_or(|o| o == l);
    #[cfg(feature = "rust-hdf5")]
    if want("rust-hdf5") {
        rust_hdf5(dir, p, &smooth, &plain, &offsets);
    }
    #[cfg(feature = "hdf5-pure")]
    if want("hdf5-pure") {
        hdf5_pure(dir, p, &smooth, &plain, &offsets);
    }
    let _ = (&smooth, &plain, &offsets, want("none"));
}

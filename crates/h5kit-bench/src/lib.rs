//! The benchmark workloads of `shared/bench/WORKLOADS.md`, run with h5kit, so that they can
//! be set beside libhdf5 (`libhdf5_bench.c`, `h5py_bench.py`) as ratios in the same run.
//!
//! Every workload goes through the public crate `h5kit` only, as a user writes it (README's
//! quick start): `File::create` / `File::open_with_mode`, `create_dataset`, `write`,
//! `write_slice`, `resize`, `set_attr*`, `flush`, `close`; `File::open`, `object`, `read*` to
//! read. The figures compared are those. Lower-level read paths are measured only on the side,
//! as lines named `NAME+direct` ([`run_direct`]).
//!
//! Same files, dataset names, shapes, chunking, filters, counts and order as the C program;
//! data generated as it does (splitmix64, 53-bit uniforms, Box-Muller pairs, seed 7 for
//! `smooth` then `plain`, seed 1 for the random slab offsets). Only the workload is timed;
//! generating data and checking results is not. The data are `Vec<f64>`, handed to
//! `File::write` as a user would (the conversion into the file's bytes is timed).
//!
//! Every workload runs by default, `write_large` and `append_flush` included: the on-disk
//! writer streams the large dataset to the file and a flush writes what changed
//! (`--large`, which they once needed, is still accepted and changes nothing).
//!
//! Peak memory: before each workload the process's peak resident set is reset
//! (`/proc/self/clear_refs` = 5) and `VmHWM` is read after it (Linux only; `None`
//! elsewhere). It includes the generated data held by the process, as in the C program.

use std::path::{Path, PathBuf};
use std::time::Instant;

use h5kit::write::{dtype, DatasetSpec, LayoutKind, UNLIMITED};
use h5kit::{Error, File, Hyperslab, Object, Result};

/// The workloads of WORKLOADS.md, in its order.
pub const WORKLOADS: [&str; 10] = [
    "write_contiguous",
    "read_contiguous",
    "write_gzip_shuffle",
    "read_gzip_shuffle",
    "read_random_slabs",
    "append_rows",
    "write_groups",
    "read_groups",
    "write_large",
    "append_flush",
];

/// The workloads on the large file (they once ran only with `--large`).
pub const LARGE_WORKLOADS: [&str; 2] = ["write_large", "append_flush"];

/// Rows appended (and flushes) by append_flush.
pub const FLUSHES: usize = 1000;

/// What to run: `DIR [--scale S] [--large] [--only NAME[,NAME..]]`, shared by `h5 bench`,
/// the `h5kit-bench` binary and `bench/peers`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub dir: PathBuf,
    pub scale: f64,
    /// Also run [`LARGE_WORKLOADS`].
    pub large: bool,
    /// Run exactly these workloads (WORKLOADS.md's order whatever the order given), on the
    /// files already in `dir` for those that read or extend one.
    pub only: Option<Vec<String>>,
}

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Run(Options),
    Help,
}

/// The options' help text, after `usage: PROGRAM`.
pub fn usage(program: &str) -> String {
    format!(
        "usage: {program} DIR [--scale S] [--large] [--only NAME[,NAME..]]
  Runs the workloads of shared/bench/WORKLOADS.md in DIR (created if missing; its files are
  overwritten) through the public h5kit API and prints one line per workload
  (NAME SECONDS MB_PER_S), as h5py_bench.py does.
  --scale S          multiply every workload's size by S (default 1)
  --large            accepted for older scripts: write_large and append_flush always run
  --only NAME[,..]   run only these workloads, on the files already in DIR (for example
                     append_flush on a large.h5 another program wrote)
  workloads: {}
",
        WORKLOADS.join(" ")
    )
}

impl Options {
    /// Parses the arguments after the program (or subcommand) name. Errors are one-line
    /// messages (print the usage after them).
    pub fn parse(args: &[String]) -> std::result::Result<Parsed, String> {
        let mut dir = None;
        let mut scale = 1.0f64;
        let mut large = false;
        let mut only: Option<Vec<String>> = None;
        let mut it = args.iter();
        let positive = |v: Option<&str>| match v.and_then(|v| v.parse::<f64>().ok()) {
            Some(s) if s > 0.0 && s.is_finite() => Ok(s),
            _ => Err("--scale needs a positive number".to_string()),
        };
        let names = |v: Option<&str>| -> std::result::Result<Vec<String>, String> {
            let v = v.ok_or("--only needs workload names, separated by commas")?;
            let mut out = Vec::new();
            for n in v.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                if !WORKLOADS.contains(&n) {
                    return Err(format!("--only: unknown workload {:?} (workloads: {})", n, WORKLOADS.join(" ")));
                }
                out.push(n.to_string());
            }
            if out.is_empty() {
                return Err("--only needs workload names, separated by commas".into());
            }
            Ok(out)
        };
        while let Some(a) = it.next() {
            if a == "--scale" {
                scale = positive(it.next().map(String::as_str))?;
            } else if let Some(v) = a.strip_prefix("--scale=") {
                scale = positive(Some(v))?;
            } else if a == "--only" {
                only = Some(names(it.next().map(String::as_str))?);
            } else if let Some(v) = a.strip_prefix("--only=") {
                only = Some(names(Some(v))?);
            } else if a == "--large" {
                large = true;
            } else if a == "-h" || a == "--help" {
                return Ok(Parsed::Help);
            } else if a.starts_with('-') {
                return Err(format!("unknown option {:?}", a));
            } else if dir.is_some() {
                return Err("more than one DIR given".into());
            } else {
                dir = Some(PathBuf::from(a));
            }
        }
        let dir = dir.ok_or("no DIR given")?;
        Ok(Parsed::Run(Options { dir, scale, large, only }))
    }

    /// Whether the workload `name` is to run.
    pub fn wants(&self, name: &str) -> bool {
        match &self.only {
            Some(o) => o.iter().any(|x| x == name),
            None => true,
        }
    }
}

/// One workload's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadResult {
    pub name: &'static str,
    pub seconds: f64,
    /// Bytes counted / 1e6 / seconds; 0 where no byte count applies.
    pub mb_per_s: f64,
    /// Peak resident set size of the process during the workload (KiB), if known.
    pub peak_rss_kib: Option<u64>,
    /// Resident set size when the workload started (KiB: the generated data and the
    /// program); `peak_rss_kib - base_rss_kib` is what the workload itself added.
    pub base_rss_kib: Option<u64>,
}

impl WorkloadResult {
    /// `NAME SECONDS MB_PER_S`, formatted as h5py_bench.py prints it.
    pub fn line(&self) -> String {
        format!("{} {:.4} {:.1}", self.name, self.seconds, self.mb_per_s)
    }
}

/// Sizes of one run (as h5py_bench.py computes them from the scale).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// float64 values in "x".
    pub n: usize,
    /// Rows appended.
    pub rows: usize,
    /// Groups in meta.h5.
    pub groups: usize,
}

impl Params {
    pub fn new(scale: f64) -> Params {
        Params {
            n: (32.0 * 1048576.0 * scale) as usize,
            rows: (100000.0 * scale) as usize,
            groups: (100.0 * scale.max(0.01).powf(0.5)) as usize,
        }
    }
}

/// Number of random slab reads and their length.
pub const NSLABS: usize = 10_000;
pub const SLAB: usize = 16;

/// splitmix64 step (libhdf5_bench.c).
pub fn splitmix64(s: &mut u64) -> u64 {
    *s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform01(s: &mut u64) -> f64 {
    (splitmix64(s) >> 11) as f64 * (1.0 / 9007199254740992.0)
}

/// `n` standard normal values, two per Box-Muller step, appended to `out`.
pub fn fill_normal(out: &mut Vec<f64>, n: usize, s: &mut u64) {
    const TWO_PI: f64 = std::f64::consts::TAU;
    out.reserve(n);
    let mut i = 0;
    while i < n {
        let u1 = 1.0 - uniform01(s);
        let u2 = uniform01(s);
        let r = (-2.0 * u1.ln()).sqrt();
        out.push(r * (TWO_PI * u2).cos());
        if i + 1 < n {
            out.push(r * (TWO_PI * u2).sin());
        }
        i += 2;
    }
}

/// `smooth` (cumulative sum of normals) then `plain` (normals), one stream seeded 7.
pub fn generate(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut seed = 7u64;
    let mut smooth = Vec::new();
    fill_normal(&mut smooth, n, &mut seed);
    for i in 1..smooth.len() {
        smooth[i] += smooth[i - 1];
    }
    let mut plain = Vec::new();
    fill_normal(&mut plain, n, &mut seed);
    (smooth, plain)
}

/// The offsets read by read_random_slabs (seed 1, in [0, n-16)).
pub fn slab_offsets(n: usize) -> Vec<u64> {
    let mut seed = 1u64;
    let m = n.saturating_sub(SLAB).max(1) as u64;
    (0..NSLABS).map(|_| splitmix64(&mut seed) % m).collect()
}

fn fail(msg: impl Into<String>) -> Error {
    Error::usage(msg.into())
}

/// Peak RSS reset (Linux: clear_refs 5 resets VmHWM).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn status_kib(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM:")
}

fn dataset(file: &h5kit::File, path: &str) -> Result<h5kit::snapshot::Dataset> {
    match file.object(path)? {
        Object::Dataset(d) => Ok(d),
        _ => Err(fail(format!("{}: not a dataset", path))),
    }
}

/// Runs the workloads of WORKLOADS.md but [`LARGE_WORKLOADS`] in `dir` (created if missing)
/// at `scale`; results in WORKLOADS.md's order.
pub fn run(dir: &Path, scale: f64) -> Result<Vec<WorkloadResult>> {
    run_with(dir, scale, |_| {})
}

/// As [`run`], calling `each` as soon as a workload is done (to print progressively).
pub fn run_with(dir: &Path, scale: f64, each: impl FnMut(&WorkloadResult)) -> Result<Vec<WorkloadResult>> {
    let opts = Options { dir: dir.to_path_buf(), scale, large: false, only: None };
    run_options(&opts, each)
}

/// As [`run_with`], running the workloads `only` names when given (the files the others
/// would leave must then already be in `dir`).
pub fn run_selected(
    dir: &Path,
    scale: f64,
    only: Option<&[String]>,
    each: impl FnMut(&WorkloadResult),
) -> Result<Vec<WorkloadResult>> {
    let opts = Options { dir: dir.to_path_buf(), scale, large: false, only: only.map(<[String]>::to_vec) };
    run_options(&opts, each)
}

/// Runs the workloads `opts` selects ([`Options::wants`]) in `opts.dir`, in WORKLOADS.md's
/// order, calling `each` as soon as one is done.
pub fn run_options(opts: &Options, mut each: impl FnMut(&WorkloadResult)) -> Result<Vec<WorkloadResult>> {
    let (dir, scale) = (opts.dir.as_path(), opts.scale);
    if scale.is_nan() || scale <= 0.0 {
        return Err(fail("the scale must be positive"));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(e, format!("creating {}", dir.display())))?;
    let p = Params::new(scale);
    if p.n <= SLAB {
        return Err(fail("scale too small"));
    }
    // The data only when a selected workload uses it (`--only write_groups` under a profiler
    // then measures only that workload).
    let uses_data = ["write_contiguous", "read_contiguous", "write_gzip_shuffle", "read_gzip_shuffle", "read_random_slabs", "write_large"];
    let (smooth, plain) = if uses_data.iter().any(|n| opts.wants(n)) { generate(p.n) } else { (Vec::new(), Vec::new()) };
    let mb = p.n as f64 * 8.0 / 1e6;
    let offsets = slab_offsets(p.n);
    let mut out = Vec::new();
    let mut slab_sum = 0.0;

    let selected = |name: &str| opts.wants(name);
    let mut timed = |name: &'static str, mb: f64, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        if !selected(name) {
            return Ok(());
        }
        reset_peak();
        let base_rss_kib = status_kib("VmRSS:");
        let t = Instant::now();
        f()?;
        let seconds = t.elapsed().as_secs_f64();
        let r = WorkloadResult {
            name,
            seconds,
            mb_per_s: if mb > 0.0 { mb / seconds } else { 0.0 },
            peak_rss_kib: peak_rss_kib(),
            base_rss_kib,
        };
        each(&r);
        out.push(r);
        Ok(())
    };

    let contig = dir.join("contig.h5");
    let gzip = dir.join("gzip.h5");
    let large = dir.join("large.h5");
    timed("write_contiguous", mb, &mut || write_x(&contig, &plain, false))?;
    // Every value is summed inside the timed part, so that each page of the file's data is
    // brought into memory and read (the programs it is compared with only copy).
    let plain_sum = sum8(&plain);
    timed("read_contiguous", mb, &mut || read_x_view(&contig, &plain, plain_sum))?;
    timed("write_gzip_shuffle", mb, &mut || write_x(&gzip, &smooth, true))?;
    timed("read_gzip_shuffle", mb, &mut || read_x(&gzip, &smooth))?;
    timed("read_random_slabs", 0.0, &mut || {
        slab_sum = read_random(&gzip, &offsets)?;
        Ok(())
    })?;
    timed("append_rows", p.rows as f64 * 64.0 / 1e6, &mut || append_rows(&dir.join("append.h5"), p.rows))?;
    timed("write_groups", 0.0, &mut || write_groups(&dir.join("meta.h5"), p.groups))?;
    timed("read_groups", 0.0, &mut || read_groups(&dir.join("meta.h5"), p.groups))?;
    timed("write_large", 16.0 * mb, &mut || write_large(&large, &plain))?;
    timed("append_flush", FLUSHES as f64 * 64.0 / 1e6, &mut || append_flush(&large))?;

    // Checks (not timed): read_random_slabs against the values in memory, the large file's
    // contents.
    let mut expect = 0.0;
    for &o in &offsets {
        let o = o as usize;
        expect += smooth.get(o..o + SLAB).map(|s| s.iter().sum::<f64>()).unwrap_or(f64::NAN);
    }
    if selected("read_random_slabs") && expect != slab_sum {
        return Err(fail(format!("read_random_slabs: sum {} differs from {}", slab_sum, expect)));
    }
    if selected("write_large") {
        check_large(&large, &plain)?;
    }
    if selected("append_flush") {
        check_log(&large)?;
    }
    Ok(out)
}

/// Other ways to do the same work, printed apart from the figures compared: the owned read (`read_contiguous+owned`); and the read workloads through the
/// lower-level paths of `h5kit-dataset` (typed reads straight into a `Vec<f64>`
/// ([`h5kit_dataset::read_all_into`]) and random slabs through a
/// [`h5kit_dataset::ChunkMap`] built once plus a [`h5kit_dataset::ChunkCache`] of
/// `cache_bytes`), named `NAME+direct`. The files read must already be in `dir` (left by
/// [`run`] at the same scale).
pub fn run_direct(dir: &Path, scale: f64, cache_bytes: usize) -> Result<Vec<WorkloadResult>> {
    let p = Params::new(scale);
    let mb = p.n as f64 * 8.0 / 1e6;
    let offsets = slab_offsets(p.n);
    let (smooth, plain) = generate(p.n);
    let mut out = Vec::new();
    let mut timed = |name: &'static str, mb: f64, f: &mut dyn FnMut() -> Result<()>| -> Result<()> {
        reset_peak();
        let base_rss_kib = status_kib("VmRSS:");
        let t = Instant::now();
        f()?;
        let seconds = t.elapsed().as_secs_f64();
        let mb_per_s = if mb > 0.0 { mb / seconds } else { 0.0 };
        out.push(WorkloadResult { name, seconds, mb_per_s, peak_rss_kib: peak_rss_kib(), base_rss_kib });
        Ok(())
    };
    let mut last = (0.0, 0.0);
    let mut owned_last = f64::NAN;
    // The owned read: `Dataset::read` into a new `Vec<f64>` (one positioned read into fresh
    // memory), what read_contiguous measured before `read_view`.
    timed("read_contiguous+owned", mb, &mut || {
        let file = h5kit::File::open(dir.join("contig.h5"))?;
        owned_last = dataset(&file, "x")?.read::<f64>()?.data.last().copied().unwrap_or(f64::NAN);
        Ok(())
    })?;
    timed("read_contiguous+direct", mb, &mut || {
        last.0 = read_into_f64(&dir.join("contig.h5"))?.last().copied().unwrap_or(f64::NAN);
        Ok(())
    })?;
    timed("read_gzip_shuffle+direct", mb, &mut || {
        last.1 = read_into_f64(&dir.join("gzip.h5"))?.last().copied().unwrap_or(f64::NAN);
        Ok(())
    })?;
    let mut sum = 0.0;
    timed("read_random_slabs+direct", 0.0, &mut || {
        sum = read_random_mapped(&dir.join("gzip.h5"), &offsets, cache_bytes)?;
        Ok(())
    })?;
    // Same answers as the public API.
    let expect: f64 = offsets.iter().map(|&o| smooth.get(o as usize..o as usize + SLAB).map(|s| s.iter().sum::<f64>()).unwrap_or(f64::NAN)).sum();
    if Some(&last.0) != plain.last() || Some(&owned_last) != plain.last() || Some(&last.1) != smooth.last() || sum != expect {
        return Err(fail("direct reads differ from the data written"));
    }
    Ok(out)
}

/// A little-endian IEEE float64 dataset read straight into a `Vec<f64>` (little-endian hosts;
/// what `Dataset::read::<f64>` can do when the file type is the native type).
fn read_into_f64(path: &Path) -> Result<Vec<f64>> {
    let file = h5kit::File::open(path)?;
    let d = dataset(&file, "x")?;
    if cfg!(target_endian = "big") || d.datatype().size != 8 || d.datatype() != &dtype::float64() {
        return Ok(d.read::<f64>()?.data);
    }
    let st = h5kit_core::FileStorage::open(path)?;
    let limits = h5kit::Limits::default();
    let ctx = file.superblock().context(&st, &limits);
    let n = d.dataspace().element_count().ok_or_else(|| fail("element count overflows"))?;
    let mut v = vec![0f64; usize::try_from(n).map_err(|_| fail("too large"))?];
    let empty = h5kit::FilterPipeline::default();
    h5kit_dataset::read_all_into(ctx, d.layout(), d.dataspace(), 8, d.filters().unwrap_or(&empty), d.fill_value(), None, bytemuck::cast_slice_mut(&mut v))?;
    Ok(v)
}

fn read_random_mapped(path: &Path, offsets: &[u64], cache_bytes: usize) -> Result<f64> {
    let file = h5kit::File::open(path)?;
    let x = dataset(&file, "x")?;
    let st = h5kit_core::FileStorage::open(path)?;
    let limits = h5kit::Limits::default();
    let ctx = file.superblock().context(&st, &limits);
    let empty = h5kit::FilterPipeline::default();
    let filters = x.filters().unwrap_or(&empty);
    let map = h5kit_dataset::ChunkMap::build(ctx, x.layout(), x.dataspace(), 8, !filters.filters.is_empty())?;
    let cache = h5kit_dataset::ChunkCache::new(cache_bytes);
    let mut s = 0.0;
    for &o in offsets {
        let raw = h5kit_dataset::read_block_mapped(ctx, x.layout(), x.dataspace(), 8, filters, x.fill_value(), &map, Some(&cache), &[o], &[SLAB as u64])?;
        s += raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).sum::<f64>();
    }
    Ok(s)
}

/// The write workloads' dataset "x": `n` float64 values, contiguous, or (`gzip`) chunks of
/// 32768 with shuffle + deflate 4.
pub fn x_spec(n: usize, gzip: bool) -> DatasetSpec {
    let mut spec = DatasetSpec::new(dtype::float64(), &[n as u64]);
    if gzip {
        spec.chunks = Some(vec![32768]);
        spec.shuffle = true;
        spec.deflate = Some(4);
    } else {
        spec.layout = Some(LayoutKind::Contiguous);
    }
    spec
}

/// write_contiguous / write_gzip_shuffle through the public API: one 1-D float64 dataset "x"
/// ([`x_spec`]) written from `data`, as a user does it.
pub fn write_x(path: &Path, data: &[f64], gzip: bool) -> Result<()> {
    let f = File::create(path)?;
    f.create_dataset("x", x_spec(data.len(), gzip))?;
    f.write("x", data)?;
    f.close()
}

fn read_x(path: &Path, expect: &[f64]) -> Result<()> {
    let file = h5kit::File::open(path)?;
    let a = dataset(&file, "x")?.read::<f64>()?;
    if a.data.len() != expect.len() || a.data.last() != expect.last() {
        return Err(fail("read-back of x does not match what was written"));
    }
    Ok(())
}

/// Sum in eight lanes (so the sum runs at memory speed, not at one add's latency).
fn sum8(v: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let chunks = v.chunks_exact(8);
    let tail: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for (l, x) in lanes.iter_mut().zip(c) {
            *l += x;
        }
    }
    lanes.iter().sum::<f64>() + tail
}

/// read_contiguous: "x" as a zero-copy view, as a user asking for one writes it: the file
/// opened mapped ([`h5kit::File::open_mapped`], whose contract is that no other program
/// truncates it meanwhile) and [`h5kit::snapshot::Dataset::read_view`] borrowing contiguous
/// little-endian float64 from the map; every value summed.
fn read_x_view(path: &Path, expect: &[f64], expect_sum: f64) -> Result<()> {
    let file = h5kit::File::open_mapped(path)?;
    let a = dataset(&file, "x")?.read_view::<f64>()?;
    if a.len() != expect.len() || a.last() != expect.last() || sum8(&a).to_bits() != expect_sum.to_bits() {
        return Err(fail("read-back of x does not match what was written"));
    }
    Ok(())
}

fn read_random(path: &Path, offsets: &[u64]) -> Result<f64> {
    let file = h5kit::File::open(path)?;
    let x = dataset(&file, "x")?;
    let mut s = 0.0;
    for &o in offsets {
        let v = x.read_slice::<f64>(&Hyperslab::new(&[o], &[SLAB as u64]))?;
        s += v.data.iter().sum::<f64>();
    }
    Ok(s)
}

/// The resize pattern of h5py's tutorial: grow by one row, write it (public API).
fn append_rows(path: &Path, rows: usize) -> Result<()> {
    let f = File::create(path)?;
    f.create_dataset("rows", rows_spec())?;
    let row: Vec<f32> = (0..16).map(|k| k as f32).collect();
    for i in 0..rows as u64 {
        f.resize("rows", &[i + 1, 16])?;
        f.write_slice("rows", &[i, 0], &[1, 16], &row)?;
    }
    f.close()
}

/// A float32 dataset of shape (0, 16), maxshape (unlimited, 16), chunks (1024, 16): append_rows'
/// "rows" and append_flush's "log".
fn rows_spec() -> DatasetSpec {
    let mut spec = DatasetSpec::new(dtype::float32(), &[0, 16]);
    spec.maxshape = Some(vec![UNLIMITED, 16]);
    spec.chunks = Some(vec![1024, 16]);
    spec
}

/// G groups "catNNN" with a string attribute "label", each with 100 datasets "itemNNN" of 10
/// int64 values with attributes "id" (int) and "score" (float); public API.
fn write_groups(path: &Path, groups: usize) -> Result<()> {
    let f = File::create(path)?;
    let values: Vec<i64> = (0..10).collect();
    for c in 0..groups {
        let g = format!("cat{:03}", c);
        f.create_group(&g)?;
        f.set_attr_str(&g, "label", &format!("category {}", c))?;
        for i in 0..100 {
            let d = format!("{}/item{:03}", g, i);
            f.write_new(&d, &[10], &values)?;
            f.set_attr(&d, "id", None, &[c as i64 * 100 + i as i64])?;
            f.set_attr(&d, "score", None, &[0.5f64])?;
        }
    }
    f.close()
}

/// write_large: "x" of 16 * N float64 values in chunks of 2^20 values, no filter, written as
/// 16 slabs of `plain` at offsets 0, N, 2N, ... (public API).
fn write_large(path: &Path, plain: &[f64]) -> Result<()> {
    let n = plain.len() as u64;
    let f = File::create(path)?;
    let mut spec = DatasetSpec::new(dtype::float64(), &[16 * n]);
    spec.chunks = Some(vec![1 << 20]);
    f.create_dataset("x", spec)?;
    for k in 0..16 {
        f.write_slice("x", &[k * n], &[n], plain)?;
    }
    f.close()
}

/// write_large's file checked (not timed): 16 * N values, each slab's first and last value.
fn check_large(path: &Path, plain: &[f64]) -> Result<()> {
    let n = plain.len() as u64;
    // Read by positioned reads, not through a memory map: the 32 chunks of 8 MiB read here
    // would otherwise stay mapped in (256 MiB of resident file pages, counted in the run's
    // peak memory though they are only this check's).
    let storage = h5kit_core::WritableFile::open(path)?;
    let file = File::from_storage(Box::new(storage), path.display().to_string(), h5kit::Limits::default())?;
    let x = dataset(&file, "x")?;
    if x.shape() != [16 * n] {
        return Err(fail(format!("write_large: x has shape {:?}, expected [{}]", x.shape(), 16 * n)));
    }
    for k in 0..16 {
        let first = x.read_slice::<f64>(&Hyperslab::new(&[k * n], &[1]))?;
        let last = x.read_slice::<f64>(&Hyperslab::new(&[k * n + n - 1], &[1]))?;
        if first.data.first() != plain.first() || last.data.first() != plain.last() {
            return Err(fail(format!("write_large: slab {} of x does not hold the values written", k)));
        }
    }
    Ok(())
}

/// append_flush: open the existing `path` in mode `a`, create "log" (0, 16) float32, then
/// FLUSHES times grow it by one row, write the row and flush the file; close (public API).
fn append_flush(path: &Path) -> Result<()> {
    let f = File::open_with_mode(path, "a")?;
    f.create_dataset("log", rows_spec())?;
    let row: Vec<f32> = (0..16).map(|k| k as f32).collect();
    for i in 0..FLUSHES as u64 {
        f.resize("log", &[i + 1, 16])?;
        f.write_slice("log", &[i, 0], &[1, 16], &row)?;
        f.flush()?;
    }
    f.close()
}

/// append_flush's result checked (not timed): "log" has FLUSHES rows of 0..16, "x" is still
/// there.
fn check_log(path: &Path) -> Result<()> {
    let file = File::open(path)?;
    let log = dataset(&file, "log")?;
    let want = [FLUSHES as u64, 16];
    if log.shape() != want {
        return Err(fail(format!("append_flush: log has shape {:?}, expected {:?}", log.shape(), want)));
    }
    let rows = log.read::<f32>()?;
    if rows.data.chunks_exact(16).any(|r| r.iter().enumerate().any(|(k, &v)| v != k as f32)) {
        return Err(fail("append_flush: log does not hold the rows written"));
    }
    dataset(&file, "x").map(|_| ())
}

fn read_groups(path: &Path, groups: usize) -> Result<()> {
    let file = h5kit::File::open(path)?;
    let root = file.root()?;
    let mut links = root.links()?;
    links.sort_by(|a, b| a.name.cmp(&b.name));
    let mut total = 0i64;
    let mut seen = 0usize;
    for l in &links {
        let Object::Group(g) = root.open(&l.name)? else { continue };
        let attrs = g.attributes()?;
        let label = attrs.iter().find(|a| a.name == "label").ok_or_else(|| fail("no label"))?.read_strings()?;
        if !label.first().is_some_and(|s| s.starts_with("category ")) {
            return Err(fail("unexpected label in meta.h5"));
        }
        let mut items = g.links()?;
        items.sort_by(|a, b| a.name.cmp(&b.name));
        for it in &items {
            let Object::Dataset(d) = g.open(&it.name)? else { continue };
            let attrs = d.attributes()?;
            let id = attrs.iter().find(|a| a.name == "id").ok_or_else(|| fail("no id"))?.read::<i64>()?;
            let last = d.read_slice::<i64>(&Hyperslab::new(&[9], &[1]))?;
            total += id.data.first().copied().unwrap_or(0) + last.data.first().copied().unwrap_or(0);
        }
        seen += 1;
    }
    let mut expect = 0i64;
    for c in 0..groups as i64 {
        expect += 100 * (100 * c) + 99 * 100 / 2 + 9 * 100;
    }
    if seen != groups || total != expect {
        return Err(fail(format!("read_groups: total {} in {} groups, expected {} in {}", total, seen, expect, groups)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_match_the_python_sizes() {
        // int(32 * 2**20 * 0.25), int(100000 * 0.25), int(100 * 0.25 ** 0.5)
        assert_eq!(Params::new(0.25), Params { n: 8388608, rows: 25000, groups: 50 });
        assert_eq!(Params::new(1.0), Params { n: 33554432, rows: 100000, groups: 100 });
    }

    #[test]
    fn splitmix64_reference_values() {
        // splitmix64 from seed 0: the published first output is 0xE220A8397B1DCDAF.
        let mut s = 0u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn data_matches_libhdf5_bench_c() {
        // Bits printed by the C program's fill_normal/cumsum for N = 5 (seed 7), and the
        // first slab offsets for N = 8 Mi (seed 1).
        let (smooth, plain) = generate(5);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(
            bits(&smooth),
            [0x3fefa194ec47d228, 0x3ff17d76e9084c53, 0xbfe8ad0df918a488, 0xbffd756c8108cfa9, 0xbffd655dde6c4963]
        );
        assert_eq!(
            bits(&plain),
            [0xbfe0efc91ba890b4, 0x3fefb59aacd883f1, 0xbfdd5fc21a837efe, 0x3fd1d688014e8e2c, 0x3fdcfaecadfc5dcf]
        );
        assert_eq!(slab_offsets(8388608)[..3], [268001, 4114343, 7504830]);
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse() {
        let run = |a: &[&str]| match Options::parse(&args(a)) {
            Ok(Parsed::Run(o)) => o,
            other => panic!("{:?}", other),
        };
        let o = run(&["d"]);
        assert_eq!(o, Options { dir: "d".into(), scale: 1.0, large: false, only: None });
        // Every workload by default, the large ones included.
        assert!(WORKLOADS.iter().all(|w| o.wants(w)));
        let o = run(&["--scale=0.5", "d", "--large"]);
        assert_eq!((o.scale, o.large), (0.5, true));
        assert!(WORKLOADS.iter().all(|w| o.wants(w)));
        let o = run(&["d", "--only", "append_flush,read_groups", "--scale", "0.01"]);
        assert_eq!(o.only, Some(args(&["append_flush", "read_groups"])));
        assert!(o.wants("append_flush") && o.wants("read_groups") && !o.wants("write_large") && !o.wants("write_groups"));
        assert_eq!(run(&["--only=write_large", "d"]).only, Some(args(&["write_large"])));
        assert_eq!(Options::parse(&args(&["-h"])), Ok(Parsed::Help));
        let err = |a: &[&str]| Options::parse(&args(a)).unwrap_err();
        assert_eq!(err(&["--bogus"]), "unknown option \"--bogus\"");
        assert_eq!(err(&["a", "b"]), "more than one DIR given");
        assert_eq!(err(&["--scale", "-1", "d"]), "--scale needs a positive number");
        assert_eq!(err(&["d", "--scale"]), "--scale needs a positive number");
        assert!(err(&["d", "--only", "nope"]).contains("unknown workload \"nope\""));
        assert!(err(&["d", "--only"]).contains("--only needs"));
        assert_eq!(err(&[]), "no DIR given");
    }

    /// The large workloads at a small scale, then append_flush alone on the file left
    /// (slow in debug builds: run with `--release -- --ignored`).
    #[test]
    #[ignore]
    fn large_workloads_round_trip() {
        let dir = std::env::temp_dir().join(format!("h5kit-bench-large-{}", std::process::id()));
        let opts = Options { dir: dir.clone(), scale: 0.002, large: false, only: Some(args(&["write_large", "append_flush"])) };
        let first = run_options(&opts, |_| {}).map_err(|e| e.to_string());
        let names: Vec<_> = first.unwrap().iter().map(|w| w.name).collect();
        assert_eq!(names, ["write_large", "append_flush"]);
        // "log" exists now: a second append_flush fails, as h5py's would.
        let again = Options { only: Some(args(&["append_flush"])), ..opts };
        assert!(run_options(&again, |_| {}).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The whole run at the smallest scale (slow in debug builds: run with `--release
    /// -- --ignored`).
    #[test]
    #[ignore]
    fn tiny_run_round_trips() {
        let dir = std::env::temp_dir().join(format!("h5kit-bench-test-{}", std::process::id()));
        let r = run(&dir, 0.002).map_err(|e| e.to_string());
        let _ = std::fs::remove_dir_all(&dir);
        let r = r.unwrap();
        let names: Vec<_> = r.iter().map(|w| w.name).collect();
        assert_eq!(
            names,
            [
                "write_contiguous",
                "read_contiguous",
                "write_gzip_shuffle",
                "read_gzip_shuffle",
                "read_random_slabs",
                "append_rows",
                "write_groups",
                "read_groups"
            ]
        );
    }
}

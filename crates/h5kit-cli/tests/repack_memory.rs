//! `h5 repack` in bounded memory (issue 14), a long test (`H5KIT_LONG_TESTS=1`): a file of
//! two 512 MiB float64 datasets (chunked + deflate, contiguous) written by h5kit, copied as
//! it is (chunks copied as stored), with filters removed, with filters added (contiguous data
//! gets h5repack's chunks), with a chunk shape that cuts across the source's chunks, and in
//! the latest format (`-L`, as it is and rechunked). Each
//! copy's peak resident memory (the child's `VmHWM`, sampled while it runs) stays under
//! 256 MiB, and its values are the source's (read back in slabs; `h5diff` when installed).
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use h5kit::write::{dtype, DatasetSpec, LayoutKind};
use h5kit_testkit::{long, oracle};

const ROWS: u64 = 8192;
const COLS: u64 = 8192;
const SLAB: u64 = 512;
const LIMIT_KB: u64 = 256 * 1024;

fn slab(r0: u64) -> Vec<f64> {
    (r0..r0 + SLAB).flat_map(|i| (0..COLS).map(move |j| ((i * COLS + j) as f64 * 0.37).sin())).collect()
}

fn make_input(path: &Path) {
    let f = h5kit::File::create(path).unwrap();
    let mut gz = DatasetSpec::new(dtype::float64(), &[ROWS, COLS]);
    gz.chunks = Some(vec![256, 512]);
    gz.deflate = Some(1);
    f.create_dataset("gz", gz).unwrap();
    let mut conti = DatasetSpec::new(dtype::float64(), &[ROWS, COLS]);
    conti.layout = Some(LayoutKind::Contiguous);
    f.create_group("g").unwrap();
    f.create_dataset("g/conti", conti).unwrap();
    f.set_attr_str("g", "units", "m").unwrap();
    for r0 in (0..ROWS).step_by(SLAB as usize) {
        let v = slab(r0);
        f.write_slice("gz", &[r0, 0], &[SLAB, COLS], &v).unwrap();
        f.write_slice("g/conti", &[r0, 0], &[SLAB, COLS], &v).unwrap();
    }
    f.close().unwrap();
}

/// Runs `h5 repack ARGS` in `dir`; its exit status and peak resident memory in KiB.
fn repack_peak(args: &[&str], dir: &Path) -> (i32, u64, Duration) {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_h5")).arg("repack").args(args).current_dir(dir).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    let status = loop {
        if let Ok(s) = std::fs::read_to_string(&status_path) {
            if let Some(kb) = s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()) {
                peak = peak.max(kb);
            }
        }
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (status.code().unwrap_or(-1), peak, t.elapsed())
}

fn same_values(a: &Path, b: &Path) {
    let (fa, fb) = (h5kit::File::open(a).unwrap(), h5kit::File::open(b).unwrap());
    for name in ["gz", "g/conti"] {
        let (Ok(h5kit::Object::Dataset(da)), Ok(h5kit::Object::Dataset(db))) = (fa.object(name), fb.object(name)) else {
            panic!("{} missing", name)
        };
        for r0 in (0..ROWS).step_by(SLAB as usize) {
            let sel = h5kit::Hyperslab::new(&[r0, 0], &[SLAB, COLS]);
            assert!(da.read_raw_selection(&sel).unwrap() == db.read_raw_selection(&sel).unwrap(), "{} rows {}.. differ in {}", name, r0, b.display());
        }
    }
}

#[test]
fn repack_of_large_files_stays_in_bounded_memory() {
    if !long::run("h5 repack of two 512 MiB datasets, peak memory under 256 MiB") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("h5kit-repack-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    make_input(&dir.join("in.h5"));
    let runs: [(&str, &[&str]); 6] = [
        ("copy.h5", &[]),
        ("none.h5", &["-f", "NONE"]),
        ("gzip.h5", &["-f", "GZIP=1"]),
        ("rechunk.h5", &["-l", "CHUNK=300x1000"]),
        ("latest.h5", &["-L"]),
        ("latest-rechunk.h5", &["-L", "-l", "CHUNK=300x1000"]),
    ];
    let mut failures = Vec::new();
    for (out, opts) in runs {
        let mut args: Vec<&str> = opts.to_vec();
        args.extend(["in.h5", out]);
        let (st, kb, took) = repack_peak(&args, &dir);
        eprintln!("h5 repack {:?}: exit {}, peak {} MiB, {:.1} s", args, st, kb / 1024, took.as_secs_f64());
        assert_eq!(st, 0, "h5 repack {:?}", args);
        if kb == 0 || kb > LIMIT_KB {
            failures.push(format!("h5 repack {:?}: peak resident {} KiB (limit {})", args, kb, LIMIT_KB));
        }
        same_values(&dir.join("in.h5"), &dir.join(out));
        if oracle::check(oracle::H5DIFF, 1, &format!("h5diff in.h5 {}", out)) {
            let d = Command::new("h5diff").arg("in.h5").arg(out).current_dir(&dir).output().unwrap();
            assert!(d.status.success(), "h5diff in.h5 {}: {}", out, String::from_utf8_lossy(&d.stdout));
            oracle::compared(oracle::H5DIFF, 1);
        }
        std::fs::remove_file(dir.join(out)).unwrap();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

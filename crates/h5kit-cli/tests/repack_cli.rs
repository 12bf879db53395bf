//! `h5 repack`: the copy prints the same `h5 dump` as the original (and `h5diff` finds no
//! difference when installed), with the default format, `-L`, and `-f`/`-l` options.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use h5kit_testkit::oracle;

fn h5(args: &[&str], dir: &std::path::Path) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_h5")).args(args).current_dir(dir).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
}

fn body(dump: &str) -> String {
    dump.lines().skip(1).collect::<Vec<_>>().join("\n")
}

#[test]
fn repack_sample_keeps_the_content() {
    let data = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data"));
    let out = std::env::temp_dir().join(format!("h5kit-repack-cli-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::copy(data.join("sample.h5"), out.join("sample.h5")).unwrap();
    let (orig, st) = h5(&["dump", "sample.h5"], &out);
    assert_eq!(st, 0);
    for (name, extra) in [
        ("plain.h5", vec![]),
        ("latest.h5", vec!["-L"]),
        ("gzip.h5", vec!["-f", "GZIP=1", "-f", "SHUF"]),
        ("conti.h5", vec!["-l", "CONTI", "-f", "NONE"]),
    ] {
        let mut args = vec!["repack"];
        args.extend(extra.iter().copied());
        args.extend(["sample.h5", name]);
        let (_, st) = h5(&args, &out);
        assert_eq!(st, 0, "h5 {:?}", args);
        let (copy, st) = h5(&["dump", name], &out);
        assert_eq!(st, 0);
        assert_eq!(body(&copy), body(&orig), "h5 dump of {} differs from the original", name);
        if oracle::check(oracle::H5DIFF, 1, &format!("h5diff sample.h5 {}", name)) {
            let d = Command::new("h5diff").arg("sample.h5").arg(name).current_dir(&out).output().unwrap();
            assert!(d.status.success(), "h5diff sample.h5 {}: {}", name, String::from_utf8_lossy(&d.stdout));
            oracle::compared(oracle::H5DIFF, 1);
        }
    }
    let (_, st) = h5(&["repack", "-f", "BOGUS", "sample.h5", "x.h5"], &out);
    assert_eq!(st, 1);
}

/// A small file of the shapes h5repack's options treat differently: chunked + deflate,
/// contiguous, chunked shuffle + deflate in a group, scalar, tiny, 2-D contiguous, unlimited.
fn options_input(path: &std::path::Path) {
    use h5kit::write::{dtype, DatasetSpec, LibVer, UNLIMITED};
    let w = h5kit::File::open_with(path, h5kit::Mode::Truncate, LibVer::Earliest).unwrap();
    let bytes = |n: usize, size: usize| -> Vec<u8> { (0..n * size).map(|i| ((i / size) % 251) as u8).collect() };
    let mut a = DatasetSpec::new(dtype::int(4, true), &[100, 50]);
    a.chunks = Some(vec![10, 50]);
    a.deflate = Some(4);
    w.create_dataset("a", a).unwrap();
    w.write_raw("a", &bytes(5000, 4)).unwrap();
    w.create_dataset("b", DatasetSpec::new(dtype::float64(), &[1000])).unwrap();
    w.write_raw("b", &(0..1000).flat_map(|i| (i as f64 / 7.0).to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    w.create_group("g").unwrap();
    let mut d = DatasetSpec::new(dtype::float32(), &[2000]);
    d.chunks = Some(vec![400]);
    d.shuffle = true;
    d.deflate = Some(4);
    w.create_dataset("g/d", d).unwrap();
    w.write_raw("g/d", &(0..2000).flat_map(|i| (i as f32).to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    w.create_dataset("s", DatasetSpec::scalar(dtype::int(8, true))).unwrap();
    w.write_raw("s", &5i64.to_le_bytes()).unwrap();
    w.create_dataset("e", DatasetSpec::new(dtype::int(4, true), &[10])).unwrap();
    w.write_raw("e", &bytes(10, 4)).unwrap();
    w.create_dataset("m", DatasetSpec::new(dtype::int(2, false), &[20, 10])).unwrap();
    w.write_raw("m", &bytes(200, 2)).unwrap();
    let mut u = DatasetSpec::new(dtype::int(4, true), &[100]);
    u.maxshape = Some(vec![UNLIMITED]);
    u.chunks = Some(vec![64]);
    w.create_dataset("u", u).unwrap();
    w.write_raw("u", &bytes(100, 4)).unwrap();
    w.close().unwrap();
}

/// Layout and filter lines of `h5dump -p -H`, per dataset.
fn layout_and_filters(dir: &std::path::Path, name: &str, plugins: &Option<String>) -> String {
    let mut c = Command::new("h5dump");
    if let Some(p) = plugins {
        c.env("HDF5_PLUGIN_PATH", p);
    }
    let o = c.args(["-p", "-H", name]).current_dir(dir).output().unwrap();
    let keep = ["DATASET ", "CHUNKED", "CONTIGUOUS", "COMPACT", "COMPRESSION", "PREPROCESSING", "CHECKSUM", "FILTER_ID", "COMMENT", "PARAMS"];
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| keep.iter().any(|k| l.starts_with(k)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `h5 repack` with h5repack's `-f`/`-l` options gives the layouts and filters h5repack
/// (1.10.8) gives on the same input (when installed), and the same values (h5diff).
#[test]
fn options_match_h5repack() {
    let plugins = Command::new("python3")
        .args(["-c", "import hdf5plugin; print(hdf5plugin.PLUGIN_PATH)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let mut cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-f", "GZIP=1", "-f", "SHUF"],
        vec!["-f", "SHUF", "-f", "GZIP=5", "-f", "FLET"],
        vec!["-f", "NONE"],
        vec!["-f", "a:NONE", "-f", "g/d,m:GZIP=9", "-l", "b:CHUNK=100"],
        vec!["-f", "/a:SHUF", "-f", "/a:FLET", "-l", "/b:CHUNK=10", "-l", "e,m:COMPA"],
        vec!["-l", "CONTI"],
        vec!["-l", "COMPA"],
        vec!["-l", "CHUNK=5x5"],
        vec!["-f", "FLET", "-l", "CHUNK=20"],
        vec!["-f", "e:UD=1,0,1,3"],
        vec!["-f", "g:GZIP=1"],
        vec!["-f", "NBIT"],
        vec!["-f", "SOFF=0,IN"],
        vec!["-f", "a,m:SOFF=0,IN", "-f", "a,m:SHUF"],
    ];
    if plugins.is_some() {
        cases.push(vec!["-f", "a:UD=32004,1,1,0", "-f", "b:UD=32015,0,1,5", "-f", "m:UD=32004,0,1,64"]);
    } else if !oracle::check(oracle::HDF5PLUGIN, 1, "h5repack -f UD= with the LZ4 and Zstd plugins") {
        oracle::skipped(oracle::H5REPACK, 1, "the case with filter plugins: hdf5plugin not installed");
    }
    // 4 refusals checked after the cases; `&`, not `&&`: every missing tool is recorded
    let n = cases.len() as u64;
    let tools = oracle::check(oracle::H5REPACK, n + 4, "h5repack with the same options")
        & oracle::check(oracle::H5DUMP, 2 * n, "h5dump -p -H of both copies")
        & oracle::check(oracle::H5DIFF, n, "h5diff of the input and our copy");
    if !tools {
        return;
    }
    let out = std::env::temp_dir().join(format!("h5kit-repack-options-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    options_input(&out.join("in.h5"));
    for (k, opts) in cases.iter().enumerate() {
        let (ours, theirs) = (format!("ours{}.h5", k), format!("theirs{}.h5", k));
        let mut args = vec!["repack"];
        args.extend(opts.iter().copied());
        args.extend(["in.h5", ours.as_str()]);
        let (_, st) = h5(&args, &out);
        assert_eq!(st, 0, "h5 {:?}", args);
        let mut c = Command::new("h5repack");
        if let Some(p) = &plugins {
            c.env("HDF5_PLUGIN_PATH", p);
        }
        let st = c.args(opts).args(["in.h5", theirs.as_str()]).current_dir(&out).output().unwrap();
        assert!(st.status.success(), "h5repack {:?}: {}", opts, String::from_utf8_lossy(&st.stderr));
        assert_eq!(
            layout_and_filters(&out, &ours, &plugins),
            layout_and_filters(&out, &theirs, &plugins),
            "layouts/filters after {:?} (left: h5 repack, right: h5repack)",
            opts
        );
        let mut c = Command::new("h5diff");
        if let Some(p) = &plugins {
            c.env("HDF5_PLUGIN_PATH", p);
        }
        let d = c.args(["in.h5", ours.as_str()]).current_dir(&out).output().unwrap();
        assert!(d.status.success(), "h5diff after {:?}: {}", opts, String::from_utf8_lossy(&d.stdout));
        oracle::compared(oracle::H5REPACK, 1);
        oracle::compared(oracle::H5DUMP, 2);
        oracle::compared(oracle::H5DIFF, 1);
    }
    // What h5repack refuses, h5 repack refuses too.
    for opts in [
        vec!["-f", "GZIP=1", "-f", "a:SHUF"],
        vec!["-l", "a:CONTI", "-f", "a:GZIP=2"],
        vec!["-f", "zz:GZIP=1"],
        vec!["-l", "g/zz:CONTI"],
    ] {
        let mut args = vec!["repack"];
        args.extend(opts.iter().copied());
        args.extend(["in.h5", "bad.h5"]);
        assert_eq!(h5(&args, &out).1, 1, "h5 {:?}", args);
        let st = Command::new("h5repack").args(&opts).args(["in.h5", "bad2.h5"]).current_dir(&out).output().unwrap();
        assert!(!st.status.success(), "h5repack {:?} succeeded", opts);
        oracle::compared(oracle::H5REPACK, 1);
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// An attribute over 64 KiB (jhdf's test_large_attribute.hdf5: 8200 float64) does not fit a
/// version-1 object header. h5repack 1.10.8 fails on it by default; `h5 repack` writes the
/// latest format instead, says so on stderr, and the copy has the same content.
#[test]
fn large_attribute_falls_back_to_the_latest_format() {
    let src = h5kit_testkit::interop("jhdf/test_large_attribute.hdf5");
    assert!(src.exists(), "{} is missing", src.display());
    let out = std::env::temp_dir().join(format!("h5kit-repack-large-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_h5")).arg("repack").arg(&src).arg("copy.h5").current_dir(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("writing the latest format"));
    let a = h5kit::File::open(&src).unwrap();
    let b = h5kit::File::open(out.join("copy.h5")).unwrap();
    let attr = |f: &h5kit::File| {
        let r = f.root().unwrap();
        let attrs = r.attributes().unwrap();
        attrs.iter().find(|a| a.name == "large_attribute").unwrap().read::<f64>().unwrap().data
    };
    let (x, y) = (attr(&a), attr(&b));
    assert_eq!(x.len(), 8200);
    assert_eq!(x, y);
    let (orig, _) = h5(&["dump", src.to_str().unwrap()], &out);
    let (copy, st) = h5(&["dump", "copy.h5"], &out);
    assert_eq!(st, 0);
    assert_eq!(body(&copy), body(&orig));
    if oracle::check(oracle::H5DIFF, 1, "h5diff of test_large_attribute.hdf5 and its copy") {
        let d = Command::new("h5diff").arg(&src).arg("copy.h5").current_dir(&out).output().unwrap();
        assert!(d.status.success(), "h5diff: {}", String::from_utf8_lossy(&d.stdout));
        oracle::compared(oracle::H5DIFF, 1);
    }
    let _ = std::fs::remove_dir_all(&out);
}

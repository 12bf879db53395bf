//! Chunks are filtered on several threads at serialization (issue #7): the file must be the
//! same byte for byte whatever the thread count, and the same as the sequential writer's
//! (golden lookup3 hashes recorded from the writer before chunks were compressed in
//! parallel); libhdf5 (h5py) reads the values back when it is installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit_write::{dtype, DatasetSpec, FileWriter, LibVer, UNLIMITED};
use std::process::Command;

/// Three chunked, filtered datasets, each over the 1 MiB above which chunks are compressed
/// in parallel: 1-D with a partial last chunk, 2-D unlimited with a fill value and partial
/// edge chunks in both dimensions, 3-D with chunks spanning the trailing dimensions whole.
fn build(lv: LibVer, threads: Option<usize>) -> Vec<u8> {
    let mut w = FileWriter::in_memory(lv);
    w.set_threads(threads);

    let n = 300_000usize;
    let mut acc = 0.0f64;
    let a: Vec<u8> = (0..n)
        .flat_map(|i| {
            acc += ((i as f64) * 0.37).sin();
            acc.to_le_bytes()
        })
        .collect();
    let mut spec = DatasetSpec::new(dtype::float64(), &[n as u64]);
    spec.chunks = Some(vec![32768]);
    spec.shuffle = true;
    spec.deflate = Some(4);
    w.create_dataset("a", spec).unwrap();
    w.write_dataset_owned("a", a).unwrap();

    let b: Vec<u8> = (0..700 * 500).flat_map(|i: i32| (i.wrapping_mul(7919) % 10007).to_le_bytes()).collect();
    let mut spec = DatasetSpec::new(dtype::int(4, true), &[700, 500]);
    spec.maxshape = Some(vec![UNLIMITED, 500]);
    spec.chunks = Some(vec![64, 96]);
    spec.fill_value = Some((-1i32).to_le_bytes().to_vec());
    spec.shuffle = true;
    spec.deflate = Some(1);
    spec.fletcher32 = true;
    w.create_dataset("g/b", spec).unwrap();
    w.write_dataset("g/b", &b).unwrap();

    let c: Vec<u8> = (0..40 * 30 * 300).flat_map(|i: u32| ((i % 977) as f32 * 0.5).to_le_bytes()).collect();
    let mut spec = DatasetSpec::new(dtype::float32(), &[40, 30, 300]);
    spec.chunks = Some(vec![8, 30, 300]);
    spec.deflate = Some(6);
    w.create_dataset("c", spec).unwrap();
    w.write_dataset("c", &c).unwrap();
    w.to_bytes().unwrap()
}

fn lookup3(b: &[u8]) -> u32 {
    h5kit_core::lookup3(b, 0)
}

#[test]
fn same_bytes_whatever_the_thread_count() {
    // (length, lookup3) of the files the sequential writer produced (commit e372f0a; again after
    // deflate became one `compress_vec` call per chunk, which changes where blocks end).
    for (lv, golden) in [(LibVer::Earliest, (1985424, 0xce15_04c3u32)), (LibVer::Latest, (1972464, 0x7d06_2603u32))] {
        let one = build(lv, Some(1));
        eprintln!("{:?}: {} bytes, lookup3 {:#010x}", lv, one.len(), lookup3(&one));
        assert_eq!((one.len(), lookup3(&one)), golden, "{:?}: differs from the sequential writer's file", lv);
        for t in [Some(2), Some(3), Some(5), None] {
            assert!(build(lv, t) == one, "{:?}: {:?} threads give another file", lv, t);
        }
    }
}

#[test]
fn libhdf5_reads_the_parallel_file() {
    if !h5kit_testkit::oracle::check(h5kit_testkit::oracle::H5PY, 2, "libhdf5 (h5py) reads the parallel-written files") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("h5kit-write-parallel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (lv, tag) in [(LibVer::Earliest, "earliest"), (LibVer::Latest, "latest")] {
        let path = dir.join(format!("par-{}.h5", tag));
        std::fs::write(&path, build(lv, Some(3))).unwrap();
        let script = format!(
            "import h5py, numpy as np\nf = h5py.File({:?}, 'r')\n\
             a = f['a'][:]; b = f['g/b'][:]; c = f['c'][:]\n\
             print(a.shape, repr(float(a[-1])), repr(float(a.sum())), b.shape, int(b.sum()), int(b[699, 499]), c.shape, repr(float(c.sum())))",
            path.to_str().unwrap()
        );
        let out = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "h5py failed: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        // The same figures numpy computes from the generating formulas (a's sums in the
        // order written; b with i32 wrapping and truncated remainder).
        assert_eq!(
            text,
            "(300000,) 1.3509386915106545 801532.6286074657 (700, 500) 962382711 -9640 (40, 30, 300) 87780488.0",
            "{}",
            tag
        );
        h5kit_testkit::oracle::compared(h5kit_testkit::oracle::H5PY, 1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

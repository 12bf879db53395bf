//! Chunks are filtered on several threads when a write covers many of them (issue #7): the
//! file must be the same byte for byte at every run (the threads' results are placed in
//! chunk order); libhdf5 (h5py) reads the values back when it is installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::sync::Arc;

use h5kit_core::{Limits, Storage, WritableMemory, WritableStorage};
use h5kit_write::edit::Editor;
use h5kit_write::{dtype, DatasetSpec, LibVer, UNLIMITED};

/// Three chunked, filtered datasets, each over the 1 MiB above which chunks are compressed
/// in parallel: 1-D with a partial last chunk, 2-D unlimited with a fill value and partial
/// edge chunks in both dimensions, 3-D with chunks spanning the trailing dimensions whole.
fn build(lv: LibVer) -> Vec<u8> {
    let storage: Arc<dyn WritableStorage> = Arc::new(WritableMemory::default());
    let mut w = Editor::create_format(storage, Limits::default(), lv).unwrap();

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
    w.write_dataset("a", &a).unwrap();

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
    w.flush().unwrap();
    let n = usize::try_from(w.storage().len()).unwrap();
    w.storage().bytes(0, n).unwrap().into_owned()
}

#[test]
fn same_bytes_at_every_run() {
    for lv in [LibVer::Earliest, LibVer::Latest] {
        let one = build(lv);
        assert!(one.len() > 1 << 20, "{:?}: {} bytes", lv, one.len());
        for _ in 0..3 {
            assert!(build(lv) == one, "{:?}: another run gives another file", lv);
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
        std::fs::write(&path, build(lv)).unwrap();
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

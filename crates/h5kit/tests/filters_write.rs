//! The writer's generic filter pipeline (`DatasetSpec::filters`): every filter h5kit encodes,
//! written in both format bounds, reads back with h5kit's reader (values, and the pipeline
//! message: ids, names, flags, client data as libhdf5 / the plugins set them) and, when
//! h5py + hdf5plugin are installed, with libhdf5.
#![cfg(not(target_family = "wasm"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

use h5kit::write::{dtype, DatasetSpec, Filter, LibVer};
use h5kit::{File, Object};
use h5kit_testkit::oracle;

fn f(id: u16, flags: u16, cd: &[u32]) -> Filter {
    Filter { id, name: None, flags, client_data: cd.to_vec() }
}

/// Dataset name, pipeline given, client data expected after set_local per filter.
type Case = (&'static str, Vec<Filter>, Vec<Vec<u32>>);

fn cases() -> Vec<Case> {
    vec![
        ("lzf", vec![f(32000, 1, &[])], vec![vec![4, 261, 1600]]),
        ("lz4", vec![f(32004, 0, &[0])], vec![vec![0]]),
        ("lz4_blocks", vec![f(32004, 0, &[64])], vec![vec![64]]),
        ("bitshuffle", vec![f(32008, 0, &[0, 4, 0, 0, 0])], vec![vec![0, 4, 4, 0, 0]]),
        ("bitshuffle_lz4", vec![f(32008, 0, &[0, 4, 0, 0, 2])], vec![vec![0, 4, 4, 0, 2]]),
        ("bitshuffle_zstd", vec![f(32008, 0, &[0, 4, 0, 0, 3, 3])], vec![vec![0, 4, 4, 0, 3, 3]]),
        ("zstd", vec![f(32015, 0, &[5])], vec![vec![5]]),
        ("nbit", vec![f(5, 0, &[])], vec![vec![8, 1, 400, 1, 4, 0, 32, 0]]),
        ("scaleoffset", vec![f(6, 1, &[2, 0])], vec![{
            let mut v = vec![2, 0, 400, 0, 4, 1, 0, 1];
            v.resize(20, 0);
            v
        }]),
        ("shuffle_deflate_fletcher", vec![f(2, 1, &[]), f(1, 1, &[6]), f(3, 0, &[])], vec![vec![4], vec![6], vec![]]),
        // An optional filter h5kit cannot apply: kept in the pipeline, skipped on every chunk.
        ("optional_blosc", vec![f(32001, 1, &[2, 2, 4])], vec![vec![2, 2, 4]]),
    ]
}

fn data() -> Vec<u8> {
    (0..40 * 50).flat_map(|i: i32| ((i % 97) * 3 - 100).to_le_bytes()).collect()
}

#[test]
fn every_encoder_written_and_read_back() {
    let dir = std::env::temp_dir().join(format!("h5kit-filters-write-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let path = dir.join(format!("filters_{:?}.h5", libver));
        let w = File::open_with(&path, h5kit::Mode::Truncate, libver).unwrap();
        for (name, filters, _) in cases() {
            let mut spec = DatasetSpec::new(dtype::int(4, true), &[40, 50]);
            spec.chunks = Some(vec![20, 20]);
            spec.filters = filters;
            w.create_dataset(name, spec).unwrap();
            w.write_raw(name, &data()).unwrap();
        }
        // Mixing the shorthand with a pipeline, and mandatory filters h5kit cannot apply, are refused.
        let mut bad = DatasetSpec::new(dtype::int(4, true), &[10]);
        bad.deflate = Some(4);
        bad.filters = vec![f(32000, 1, &[])];
        assert!(w.create_dataset("bad", bad).is_err());
        let mut bad = DatasetSpec::new(dtype::int(4, true), &[10]);
        bad.filters = vec![f(32001, 0, &[])];
        assert!(w.create_dataset("bad", bad).is_err());
        w.close().unwrap();

        let file = File::open(&path).unwrap();
        let root = file.root().unwrap();
        for (name, given, cd) in cases() {
            let Object::Dataset(d) = root.open(name).unwrap() else { panic!("{} is not a dataset", name) };
            assert_eq!(d.read_raw().unwrap(), data(), "{:?} {}", libver, name);
            let p = d.filters().expect("a pipeline");
            let got: Vec<(u16, u16, Vec<u32>)> = p.filters.iter().map(|x| (x.id, x.flags, x.client_data.clone())).collect();
            let want: Vec<(u16, u16, Vec<u32>)> = given.iter().zip(&cd).map(|(g, c)| (g.id, g.flags, c.clone())).collect();
            assert_eq!(got, want, "{:?} {}", libver, name);
            if name != "optional_blosc" && (libver == LibVer::Earliest || p.filters.iter().all(|x| x.id >= 256)) {
                // Names are stored (always in version 1 messages; for ids >= 256 in version 2);
                // a filter that is not registered (not in h5kit's table) has none, as in libhdf5.
                assert!(p.filters.iter().all(|x| x.name.is_some()), "{:?} {} names", libver, name);
            }
        }
        let lz4 = match root.open("lz4").unwrap() {
            Object::Dataset(d) => d.filters().unwrap().filters[0].name.clone().unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(lz4, "HDF5 lz4 filter; see https://github.com/HDFGroup/hdf5_plugins/blob/master/docs/RegisteredFilterPlugins.md");
        libhdf5_reads(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// libhdf5 (through h5py + hdf5plugin) reads the same values, and the chunks of the
/// optional filter h5kit cannot apply carry its mask bit.
fn libhdf5_reads(path: &std::path::Path) {
    const SCRIPT: &str = r#"
import sys, h5py, hdf5plugin, numpy as np
f = h5py.File(sys.argv[1], "r")
want = ((np.arange(2000, dtype="i4") % 97) * 3 - 100).reshape(40, 50)
names = sys.argv[2:]
for n in names:
    if n == "optional_blosc":
        d = f[n].id
        masks = {d.get_chunk_info(i).filter_mask for i in range(d.get_num_chunks())}
        assert masks == {1}, (n, masks)
        continue
    assert np.array_equal(f[n][()], want), n
print("ok", len(names))
"#;
    let what = format!("libhdf5 (h5py + hdf5plugin) reads {}", path.display());
    if !oracle::check(oracle::H5PY, 1, &what) {
        return;
    }
    if !oracle::check(oracle::HDF5PLUGIN, 1, &what) {
        oracle::skipped(oracle::H5PY, 1, &format!("{}: hdf5plugin not installed", what));
        return;
    }
    let names: Vec<&str> = cases().iter().map(|c| c.0).collect();
    let o = Command::new("python3").args(["-c", SCRIPT]).arg(path).args(&names).output().unwrap();
    assert!(o.status.success(), "h5py: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    oracle::compared(oracle::H5PY, 1);
}

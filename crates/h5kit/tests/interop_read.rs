//! Reads files libhdf5 wrote (tests/data/interop) and checks values against what h5dump
//! prints for them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit::{File, Hyperslab, LinkTarget, Object};

fn interop(rel: &str) -> Option<String> {
    let p = h5kit_testkit::interop(rel).to_string_lossy().into_owned();
    assert!(std::path::Path::new(&p).exists(), "{} is missing (the interop files are part of the repository)", p);
    Some(p)
}

fn dataset(file: &File, path: &str) -> h5kit::snapshot::Dataset {
    match file.object(path).unwrap() {
        Object::Dataset(d) => d,
        other => panic!("{} is {:?}", path, other),
    }
}

#[test]
fn jhdf_test_file_values() {
    let Some(p) = interop("jhdf/test_file.hdf5") else { return };
    let f = File::open(&p).unwrap();
    // h5dump -d /datasets_group/float/float32: -10 .. 10
    let v = dataset(&f, "/datasets_group/float/float32").read::<f32>().unwrap();
    assert_eq!(v.shape, vec![21]);
    assert_eq!(v.data, (-10..=10).map(|x| x as f32).collect::<Vec<_>>());
    let v = dataset(&f, "/datasets_group/int/int8").read::<i8>().unwrap();
    assert_eq!(v.data, (-10..=10).collect::<Vec<i8>>());
    // h5dump -d /nD_Datasets/3D_int32 -s 1,4,95 -c 1,1,5: 995 .. 999
    let d = dataset(&f, "/nD_Datasets/3D_int32");
    assert_eq!(d.shape(), &[2, 5, 100]);
    let s = d.read_slice::<i32>(&Hyperslab::new(&[1, 4, 95], &[1, 1, 5])).unwrap();
    assert_eq!(s.data, vec![995, 996, 997, 998, 999]);
    assert_eq!(s.shape, vec![1, 1, 5]);
    // Links of /links_group, as h5dump shows them.
    let g = match f.object("/links_group").unwrap() {
        Object::Group(g) => g,
        _ => panic!(),
    };
    let mut links = g.links().unwrap();
    links.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<_> = links.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "broken_soft_link",
            "external_link",
            "external_link_to_missing_file",
            "hard_link_to_int8",
            "soft_link_to_group",
            "soft_link_to_int8"
        ]
    );
    assert_eq!(links[0].target, LinkTarget::Soft { path: "/datasets_group/int/missing_dataset".into() });
    assert_eq!(
        links[1].target,
        LinkTarget::External { file: "test_file_ext.hdf5".into(), path: "/external_dataset".into() }
    );
    // A hard link and a soft link reach the same object.
    let a = f.object("/links_group/hard_link_to_int8").unwrap().address();
    let b = f.object("/links_group/soft_link_to_int8").unwrap().address();
    assert_eq!(a, b);
    assert_eq!(a, f.object("/datasets_group/int/int8").unwrap().address());
    assert!(f.object("/links_group/broken_soft_link").is_err());
}

#[test]
fn pyfive_latest_attributes() {
    let Some(p) = interop("pyfive/latest.hdf5") else { return };
    let f = File::open(&p).unwrap();
    let root = f.root().unwrap();
    let attrs = root.attributes().unwrap();
    assert_eq!(attrs.len(), 1);
    assert_eq!(attrs[0].name, "attr1");
    assert_eq!(attrs[0].read::<i32>().unwrap().data, vec![-123]);
    let attrs = f.object("/dataset1").unwrap().attributes().unwrap();
    assert_eq!(attrs[0].name, "attr2");
    assert_eq!(attrs[0].read::<u8>().unwrap().data, vec![130]);
    let attrs = f.object("/group1").unwrap().attributes().unwrap();
    assert_eq!(attrs[0].read::<f32>().unwrap().data, vec![12.34f32]);
}

#[test]
fn every_interop_file_walks() {
    let Some(dir) = interop("") else { return };
    let mut files = Vec::new();
    for sub in ["jhdf", "pyfive"] {
        for e in std::fs::read_dir(format!("{}/{}", dir, sub)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    files.sort();
    assert!(files.len() > 60);
    let mut objects = 0;
    for path in files {
        let f = File::open(&path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
        let mut stack = vec![Object::Group(f.root().unwrap())];
        let mut seen = std::collections::HashSet::new();
        while let Some(obj) = stack.pop() {
            if !seen.insert(obj.address()) {
                continue;
            }
            objects += 1;
            obj.attributes().unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
            if let Object::Group(g) = &obj {
                for link in g.links().unwrap_or_else(|e| panic!("{}: {}", path.display(), e)) {
                    if let LinkTarget::Hard { address } = link.target {
                        let child_path = format!("{}/{}", g.path().trim_end_matches('/'), link.name);
                        stack.push(f.object_at(address, &child_path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e)));
                    }
                }
            }
        }
    }
    assert!(objects > 1500, "walked only {} objects", objects);
}

/// Every hyperslab read equals the same box cut out of the whole-dataset read, for every
/// dataset (up to 1 MiB) of every interop file: chunked (every index, filters, edge chunks),
/// contiguous and compact.
#[test]
fn hyperslabs_agree_with_whole_reads() {
    let Some(dir) = interop("") else { return };
    let mut checked = 0;
    for sub in ["jhdf", "pyfive"] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("{}/{}", dir, sub)).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            let f = File::open(&path).unwrap();
            let mut stack = vec![Object::Group(f.root().unwrap())];
            let mut seen = std::collections::HashSet::new();
            while let Some(obj) = stack.pop() {
                if !seen.insert(obj.address()) {
                    continue;
                }
                match &obj {
                    Object::Group(g) => {
                        for link in g.links().unwrap() {
                            if let LinkTarget::Hard { address } = link.target {
                                stack.push(f.object_at(address, &format!("{}/{}", g.path().trim_end_matches('/'), link.name)).unwrap());
                            }
                        }
                    }
                    Object::Dataset(d) => {
                        let dims = d.shape().to_vec();
                        let es = d.datatype().size as usize;
                        let n: u64 = dims.iter().product();
                        if dims.is_empty() || n == 0 || n * es as u64 > 1 << 20 {
                            continue;
                        }
                        let Ok(whole) = d.read_raw() else { continue };
                        // The whole extent as a selection.
                        let all = d.read_raw_selection(&Hyperslab::new(&vec![0; dims.len()], &dims)).unwrap();
                        assert_eq!(all, whole, "{} {}", path.display(), d.path());
                        // An interior box: from 1/3 to 2/3 of each dimension (at least 1).
                        let start: Vec<u64> = dims.iter().map(|&x| x / 3).collect();
                        let count: Vec<u64> = dims.iter().map(|&x| (x / 3).max(1).min(x - x / 3)).collect();
                        let part = d.read_raw_selection(&Hyperslab::new(&start, &count)).unwrap();
                        let mut expected = Vec::new();
                        let rank = dims.len();
                        let total: u64 = count.iter().product();
                        for i in 0..total {
                            let mut rem = i;
                            let mut idx = vec![0u64; rank];
                            for r in (0..rank).rev() {
                                idx[r] = start[r] + rem % count[r];
                                rem /= count[r];
                            }
                            let mut lin = 0u64;
                            for r in 0..rank {
                                lin = lin * dims[r] + idx[r];
                            }
                            let o = lin as usize * es;
                            expected.extend_from_slice(&whole[o..o + es]);
                        }
                        assert_eq!(part, expected, "{} {}", path.display(), d.path());
                        checked += 1;
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(checked > 150, "checked only {} datasets", checked);
}

#[test]
fn strings_fixed_and_variable() {
    let Some(p) = interop("jhdf/test_string_datasets_latest.hdf5") else { return };
    let f = File::open(&p).unwrap();
    let expected: Vec<String> = (0..10).map(|i| format!("string number {}", i)).collect();
    // h5dump: STRSIZE H5T_VARIABLE, CSET H5T_CSET_UTF8; "string number 0" ...
    assert_eq!(dataset(&f, "/variable_length_utf8").read_strings().unwrap(), expected);
    assert_eq!(dataset(&f, "/variable_length_ascii").read_strings().unwrap(), expected);
    // h5dump: STRSIZE 20, STRPAD H5T_STR_NULLPAD: "string number 0\000\000\000\000\000"
    let d = dataset(&f, "/fixed_length_ascii");
    assert_eq!(d.read_strings().unwrap(), expected);
    assert_eq!(&d.read_raw().unwrap()[..20], b"string number 0\0\0\0\0\0");
    assert_eq!(dataset(&f, "/variable_length_2d").read_strings().unwrap().len(), 35);
}

#[test]
fn strided_hyperslab() {
    let Some(p) = interop("jhdf/test_file.hdf5") else { return };
    let f = File::open(&p).unwrap();
    let d = dataset(&f, "/nD_Datasets/3D_int32");
    // h5dump -d /nD_Datasets/3D_int32 -s "0,1,10" -S "1,2,30" -c "2,2,3" -k "1,1,2":
    // values are 500*i + 100*j + k.
    let sel = Hyperslab { start: vec![0, 1, 10], stride: vec![1, 2, 30], count: vec![2, 2, 3], block: vec![1, 1, 2] };
    let v = d.read_slice::<i32>(&sel).unwrap();
    assert_eq!(v.shape, vec![2, 2, 6]);
    let mut expected = Vec::new();
    for i in [0, 1] {
        for j in [1, 3] {
            for k in [10, 11, 40, 41, 70, 71] {
                expected.push(500 * i + 100 * j + k);
            }
        }
    }
    assert_eq!(v.data, expected);
}

#[cfg(feature = "ndarray")]
#[test]
fn ndarray_results() {
    let Some(p) = interop("jhdf/test_file.hdf5") else { return };
    let f = File::open(&p).unwrap();
    let a = dataset(&f, "/nD_Datasets/3D_int32").read::<i32>().unwrap().into_ndarray().unwrap();
    assert_eq!(a.shape(), &[2, 5, 100]);
    // h5dump: value at (i,j,k) is 500*i + 100*j + k.
    assert_eq!(a[[1, 4, 99]], 999);
    assert_eq!(a[[0, 2, 7]], 207);
}

//! What the on-disk writer does not do is an `Unsupported` error at the call, naming the
//! object, and nothing changes (there is no in-memory fallback any more): the file written
//! afterwards holds exactly what the successful calls made.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use h5kit::write::{dtype, DatasetSpec, LibVer};
use h5kit::{ErrorKind, File};

#[test]
fn sequences_of_variable_length_data_are_refused_with_the_path() {
    for libver in [LibVer::Earliest, LibVer::Latest] {
        let f = File::create_in_memory(libver).unwrap();
        f.write_new("/keep", &[2], &[1i32, 2]).unwrap();
        let vlen_of_vlen = dtype::vlen_sequence(dtype::vlen_string());
        let e = f.create_dataset("/g/v", DatasetSpec::new(vlen_of_vlen.clone(), &[3])).expect_err("vlen of vlen was accepted");
        assert_eq!(e.kind, ErrorKind::Unsupported, "{:?}: {}", libver, e);
        assert!(e.to_string().contains("/g/v"), "{:?}: the error names the object: {}", libver, e);
        let e = f.set_attr_raw("/keep", "a", vlen_of_vlen, None, &[0, 0, 0, 0]).expect_err("vlen of vlen attribute was accepted");
        assert_eq!(e.kind, ErrorKind::Unsupported, "{:?}: {}", libver, e);
        assert!(e.to_string().contains("/keep"), "{:?}: {}", libver, e);
        // Later calls work; nothing of the refused ones is in the file.
        f.write_new("/after", &[1], &[7i64]).unwrap();
        let back = File::from_bytes(f.to_bytes().unwrap()).unwrap();
        let mut names: Vec<String> = back.root().unwrap().links().unwrap().into_iter().map(|l| l.name).collect();
        names.sort();
        assert_eq!(names, ["after", "keep"], "{:?}", libver);
        assert!(back.dataset("/keep").unwrap().attrs().keys().unwrap().is_empty(), "{:?}", libver);
        assert_eq!(back.dataset("/after").unwrap().read::<i64>().unwrap().data, [7]);
    }
}

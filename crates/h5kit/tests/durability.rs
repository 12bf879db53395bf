//! A writer killed at any moment leaves a file that opens, with everything flushed before
//! that moment intact: a child process appends rows and flushes after each, printing the row
//! count it flushed; the parent kills it at pseudo-random moments and reads the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg_attr(target_family = "wasm", allow(unused_imports))] // the tests using them need processes

#[cfg(not(target_family = "wasm"))]
use std::process::Command;
#[cfg(not(target_family = "wasm"))]
use std::time::Duration;

use h5kit::write::{dtype, DatasetSpec};
use h5kit::{File, Object, UNLIMITED};
#[cfg(not(target_family = "wasm"))]
use h5kit_testkit::kill;

const ROW: u64 = 8;

fn row(i: u64) -> Vec<f64> {
    (0..ROW).map(|j| (i * ROW + j) as f64 * 0.25).collect()
}

/// The child: runs only when H5KIT_DURABILITY_CHILD names the file to write.
#[test]
fn durability_child_writer() {
    let Ok(path) = std::env::var("H5KIT_DURABILITY_CHILD") else { return };
    let f = File::open_with_mode(&path, "w").unwrap();
    let mut spec = DatasetSpec::new(dtype::float64(), &[0, ROW]);
    spec.maxshape = Some(vec![UNLIMITED, ROW]);
    spec.chunks = Some(vec![64, ROW]);
    f.create_dataset("/rows", spec).unwrap();
    f.flush().unwrap();
    println!("flushed 0");
    for i in 0..100_000u64 {
        f.resize("/rows", &[i + 1, ROW]).unwrap();
        f.write_slice("/rows", &[i, 0], &[1, ROW], &row(i)).unwrap();
        f.flush().unwrap();
        println!("flushed {}", i + 1);
    }
}

#[cfg(not(target_family = "wasm"))]
#[test]
fn killed_writer_leaves_a_readable_file() {
    let dir = std::env::temp_dir().join(format!("h5kit-durability-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..6 {
        let path = dir.join(format!("kill{}.h5", round));
        let _ = std::fs::remove_file(&path);
        // Kill after a pseudo-random number of flushes (1..=40), at a random point after it.
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let target = 1 + (seed >> 33) % 40;
        let pause = Duration::from_micros((seed >> 20) % 3000);
        let last = kill::after_flushes("durability_child_writer", &[("H5KIT_DURABILITY_CHILD", path.as_os_str())], target, pause, Duration::from_secs(30));
        let flushed = last.expect("child flushed nothing");
        let f = File::open(&path).unwrap_or_else(|e| panic!("round {}: file unreadable after kill: {}", round, e));
        let d = match f.object("/rows").unwrap() {
            Object::Dataset(d) => d,
            o => panic!("{:?}", o),
        };
        let rows = d.shape()[0];
        assert!(rows >= flushed, "round {}: {} rows on disk, {} were flushed", round, rows, flushed);
        let data = d.read::<f64>().unwrap().data;
        for i in 0..rows {
            assert_eq!(&data[(i * ROW) as usize..((i + 1) * ROW) as usize], &row(i)[..], "round {} row {}", round, i);
        }
        if h5kit_testkit::oracle::check(h5kit_testkit::oracle::H5DUMP, 1, "h5dump -H opens the file after the kill") {
            let out = Command::new("h5dump").arg("-H").arg(&path).output().unwrap();
            assert!(out.status.success(), "round {}: h5dump cannot open the file after kill", round);
            h5kit_testkit::oracle::compared(h5kit_testkit::oracle::H5DUMP, 1);
        }
    }
}

/// `flush` writes only when something changed, in place (the file keeps its inode, so links
/// and permissions stay), and `sync` leaves the flushed file readable.
#[cfg(unix)]
#[test]
fn flush_skips_unchanged_files_and_writes_changes_in_place() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = std::env::temp_dir().join(format!("h5kit-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("s.h5");
    let link = dir.join("link.h5");
    let ino = || std::fs::metadata(&path).unwrap().ino();
    let bytes = || std::fs::read(&path).unwrap();
    let f = File::create(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&path, &link).unwrap();
    f.write_new("/a", &[3], &[1i32, 2, 3]).unwrap();
    f.flush().unwrap();
    let first = (ino(), bytes());
    f.flush().unwrap();
    f.sync().unwrap();
    assert_eq!((ino(), bytes()), first, "an unchanged file was rewritten");
    f.set_attr("/a", "k", None, &[7u8]).unwrap();
    f.sync().unwrap();
    assert_eq!(ino(), first.0, "the file was replaced instead of edited");
    assert_ne!(bytes(), first.1, "a change was not written");
    f.close().unwrap();
    assert_eq!(ino(), first.0);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    // Through the symlink: still a link to the same file.
    let g = File::open_with_mode(&link, "a").unwrap();
    g.set_attr("/a", "k2", None, &[8u8]).unwrap();
    g.close().unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(ino(), first.0);
    let r = File::open(&path).unwrap();
    let Object::Dataset(a) = r.object("/a").unwrap() else { panic!() };
    assert_eq!(a.read::<i32>().unwrap().data, [1, 2, 3]);
    let attrs = a.attributes().unwrap();
    assert_eq!(attrs.iter().find(|x| x.name == "k").unwrap().read::<u8>().unwrap().data, [7]);
    assert_eq!(attrs.iter().find(|x| x.name == "k2").unwrap().read::<u8>().unwrap().data, [8]);
    std::fs::remove_dir_all(&dir).unwrap();
}

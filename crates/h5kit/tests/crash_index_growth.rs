//! Writers appending a row per flush to datasets whose latest-format chunk index changes at
//! every flush (copy-on-write of the changed blocks: `edit/chunk_index/`), killed (SIGKILL)
//! at random moments: `/ea` (an extensible array, a chunk per row: new data blocks, secondary
//! blocks, the header rewritten in place), `/gz` (an extensible array of gzip chunks of 4
//! rows: the last chunk moves at each flush, its element changes) and `/bt` (a v2 B-tree, a
//! chunk per row: leaves split, nodes move). Half the rounds in SWMR mode (freed space never
//! reused), half not (freed blocks reused after the commit). The file must read whole with
//! every row flushed and every value right; every fourth round h5py (libhdf5, which checks
//! each block's header address and checksum) reads every value too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(unix, not(target_family = "wasm")))]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use h5kit::write::LibVer;
use h5kit::{File, Mode, Object};
use h5kit_testkit::{kill, long, oracle};

fn ea_value(i: u64, j: u64) -> f64 {
    (i * 3 + j) as f64 + 0.5
}

fn gz_value(i: u64) -> i32 {
    (i * 7 + 3) as i32
}

fn bt_value(i: u64, j: u64) -> i64 {
    (i * 4 + j) as i64 * 11 + 1
}

/// The child: runs only when H5KIT_CRASH_CHILD names the file to write.
#[test]
fn crash_child_appender() {
    let Ok(path) = std::env::var("H5KIT_CRASH_CHILD") else { return };
    let swmr = std::env::var("H5KIT_CRASH_SWMR").is_ok();
    let f = File::open_with(&path, Mode::Truncate, LibVer::Latest).unwrap();
    f.new_dataset::<f64>().shape([0, 3]).maxshape([None, Some(3)]).chunk([1, 3]).create("ea").unwrap();
    f.new_dataset::<i32>().shape([0]).maxshape([None]).chunk([4]).deflate(4).create("gz").unwrap();
    f.new_dataset::<i64>().shape([0, 4]).maxshape([None, None]).chunk([1, 4]).create("bt").unwrap();
    if swmr {
        f.start_swmr_write().unwrap();
    } else {
        f.flush().unwrap();
    }
    println!("flushed 0");
    for i in 0..100_000u64 {
        let to = i + 1;
        f.resize("/ea", &[to, 3]).unwrap();
        f.write_slice("/ea", &[i, 0], &[1, 3], &(0..3).map(|j| ea_value(i, j)).collect::<Vec<_>>()).unwrap();
        f.resize("/gz", &[to]).unwrap();
        f.write_slice("/gz", &[i], &[1], &[gz_value(i)]).unwrap();
        f.resize("/bt", &[to, 4]).unwrap();
        f.write_slice("/bt", &[i, 0], &[1, 4], &(0..4).map(|j| bt_value(i, j)).collect::<Vec<_>>()).unwrap();
        f.flush().unwrap();
        println!("flushed {}", to);
    }
}

/// Every dataset has at least `flushed` rows (the child goes on flushing until the kill
/// lands) and every value of its extent.
fn check(path: &Path, flushed: u64, round: u64) {
    let f = File::open(path).unwrap_or_else(|e| panic!("round {}: unreadable after the kill: {}", round, e));
    let rows = |n: u64| {
        assert!(n >= flushed, "round {}: {} rows after {} flushes", round, n, flushed);
        n
    };
    let Object::Dataset(ea) = f.object("/ea").unwrap() else { panic!("/ea") };
    let n = rows(ea.shape()[0]);
    let want: Vec<f64> = (0..n).flat_map(|i| (0..3).map(move |j| ea_value(i, j))).collect();
    assert!(ea.read::<f64>().unwrap_or_else(|e| panic!("round {}: /ea: {}", round, e)).data == want, "round {}: /ea values", round);
    let Object::Dataset(gz) = f.object("/gz").unwrap() else { panic!("/gz") };
    let n = rows(gz.shape()[0]);
    let want: Vec<i32> = (0..n).map(gz_value).collect();
    assert!(gz.read::<i32>().unwrap_or_else(|e| panic!("round {}: /gz: {}", round, e)).data == want, "round {}: /gz values", round);
    let Object::Dataset(bt) = f.object("/bt").unwrap() else { panic!("/bt") };
    let n = rows(bt.shape()[0]);
    let want: Vec<i64> = (0..n).flat_map(|i| (0..4).map(move |j| bt_value(i, j))).collect();
    assert!(bt.read::<i64>().unwrap_or_else(|e| panic!("round {}: /bt: {}", round, e)).data == want, "round {}: /bt values", round);
}

const H5PY_CHECK: &str = "import sys,h5py,numpy as np
f=h5py.File(sys.argv[1],'r')
ea=f['ea'][...]; gz=f['gz'][...]; bt=f['bt'][...]
i=np.arange(ea.shape[0]); g=np.arange(gz.shape[0]); b=np.arange(bt.shape[0])
ok=np.array_equal(ea,i[:,None]*3+np.arange(3)[None,:]+0.5) and np.array_equal(gz,(g*7+3).astype('i4')) and np.array_equal(bt,((b[:,None]*4+np.arange(4)[None,:])*11+1).astype('i8'))
print(ea.shape[0], gz.shape[0], bt.shape[0], bool(ok))";

#[test]
fn appenders_killed_at_random_moments_leave_every_flushed_row() {
    let rounds: u64 = long::pick(16, 120);
    let have_h5py = oracle::check(oracle::H5PY, (0..rounds).filter(|r| r % 4 < 2).count() as u64, "h5py reads files left by killed appenders");
    let mut seed = std::env::var("H5KIT_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x9e37_79b9_7f4a_7c15u64) | 1;
    let mut total = 0;
    for round in 0..rounds {
        let swmr = round % 2 == 1;
        let path = h5kit_testkit::temp_path("crash-index", &format!("append{}.h5", round % 4));
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Up to 400 rows: the array reaches its secondary blocks (past 244 chunks), the
        // B-tree splits its leaves (84 records each) and grows a level.
        let target = 1 + seed % 400;
        let pause = Duration::from_micros((seed >> 24) % 3000);
        let mut env = vec![("H5KIT_CRASH_CHILD", path.as_os_str())];
        if swmr {
            env.push(("H5KIT_CRASH_SWMR", std::ffi::OsStr::new("1")));
        }
        let last = kill::after_flushes("crash_child_appender", &env, target, pause, Duration::from_secs(30));
        let flushed = last.unwrap_or_else(|| panic!("round {}: the child flushed nothing", round));
        assert!(flushed >= target, "round {}: the child stopped after {} flushes (of {}): it failed", round, flushed, target);
        check(&path, flushed, round);
        total += flushed;
        if have_h5py && round % 4 < 2 {
            if swmr {
                h5kit::swmr::clear_status_flags(&path).unwrap();
            }
            let out = Command::new("python3").args(["-c", H5PY_CHECK]).arg(&path).output().unwrap();
            assert!(out.status.success(), "round {}: h5py: {}", round, String::from_utf8_lossy(&out.stderr));
            oracle::compared(oracle::H5PY, 1);
            let text = String::from_utf8(out.stdout).unwrap();
            let v: Vec<&str> = text.split_whitespace().collect();
            assert_eq!(v.last(), Some(&"True"), "round {}: h5py read other values: {}", round, text);
            let n: u64 = v[0].parse().unwrap();
            assert!(n >= flushed, "round {}: h5py sees {} rows after {} flushes", round, n, flushed);
        }
    }
    eprintln!("{} rounds, {} flushes, every row checked", rounds, total);
}

//! Writers killed (SIGKILL) at random moments while making every kind of edit the on-disk
//! writer makes, with a flush after each: the file must open in h5kit (and h5dump), every
//! object and attribute must read, and every change flushed before the kill must be there
//! with its values. Half the rounds edit a file h5py wrote, half a file h5kit creates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // processes: not under WASI

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use h5kit_testkit::kill;

use h5kit::write::{dtype, DatasetSpec};
use h5kit::{File, Object, UNLIMITED};

/// Rounds of kill-and-check (`H5KIT_CRASH_ROUNDS` to change; `H5KIT_CRASH_SEED` picks
/// other moments).
const ROUNDS: u64 = 200;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/generated/attributes_earliest.h5")
}

fn values(step: u64, n: u64) -> Vec<f64> {
    (0..n).map(|j| (step * 1000 + j) as f64 + 0.5).collect()
}

/// Makes edit number `step` (every kind in turn).
fn edit(f: &File, step: u64) {
    match step % 6 {
        0 => drop(f.create_group(&format!("/g{}", step)).unwrap()),
        1 => {
            let mut spec = DatasetSpec::new(dtype::float64(), &[40, 10]);
            spec.chunks = Some(vec![8, 5]);
            spec.deflate = Some(4);
            spec.shuffle = true;
            f.create_dataset(&format!("/g{}/c", step - 1), spec).unwrap();
            f.write_slice(&format!("/g{}/c", step - 1), &[3, 2], &[20, 6], &values(step, 120)).unwrap();
        }
        2 => f.write_new(&format!("/d{}", step), &[50], &values(step, 50)).unwrap(),
        3 => f.set_attr("/", &format!("n{}", step), None, &[step as i64]).unwrap(),
        4 => f.set_attr_str(&format!("/d{}", step - 2), "label", &format!("step {}", step)).unwrap(),
        _ => {
            let rows = step / 6 + 1;
            f.resize("/log", &[rows, 4]).unwrap();
            f.write_slice("/log", &[rows - 1, 0], &[1, 4], &values(step, 4)).unwrap();
        }
    }
}

/// Checks that edit `step` is in the file with its values.
fn check(f: &File, step: u64, round: u64) {
    let ds = |p: &str| match f.object(p) {
        Ok(Object::Dataset(d)) => d,
        other => panic!("round {}: step {}: {} is {:?}", round, step, p, other.map(|_| ())),
    };
    match step % 6 {
        0 => assert!(matches!(f.object(&format!("/g{}", step)), Ok(Object::Group(_))), "round {} step {}", round, step),
        1 => {
            let got = ds(&format!("/g{}/c", step - 1)).read::<f64>().unwrap().data;
            let want = values(step, 120);
            for r in 0..20 {
                for c in 0..6 {
                    assert_eq!(got[(3 + r) * 10 + 2 + c], want[r * 6 + c], "round {} step {}", round, step);
                }
            }
            assert_eq!(got[0], 0.0);
        }
        2 => assert_eq!(ds(&format!("/d{}", step)).read::<f64>().unwrap().data, values(step, 50), "round {} step {}", round, step),
        3 => {
            let a = f.root().unwrap().attributes().unwrap();
            let n = a.iter().find(|a| a.name == format!("n{}", step)).unwrap_or_else(|| panic!("round {} step {}", round, step));
            assert_eq!(n.read::<i64>().unwrap().data, vec![step as i64]);
        }
        4 => {
            let a = ds(&format!("/d{}", step - 2)).attributes().unwrap();
            let l = a.iter().find(|a| a.name == "label").unwrap_or_else(|| panic!("round {} step {}", round, step));
            assert_eq!(l.read_strings().unwrap(), vec![format!("step {}", step)]);
        }
        _ => {
            let rows = step / 6 + 1;
            let got = ds("/log").read::<f64>().unwrap().data;
            assert!(got.len() as u64 >= rows * 4, "round {} step {}", round, step);
            assert_eq!(&got[((rows - 1) * 4) as usize..(rows * 4) as usize], &values(step, 4)[..], "round {} step {}", round, step);
        }
    }
}

/// Reads an attribute's values (variable-length strings from the global heap).
fn read_attribute(a: &h5kit::Attribute, object: &str, round: u64) {
    if matches!(a.datatype.class, h5kit::TypeClass::VarLenString { .. }) {
        a.read_strings().unwrap_or_else(|e| panic!("round {}: attribute {} of {}: {}", round, a.name, object, e));
    }
}

/// Reads every dataset and attribute of the file (nothing may fail).
fn read_all(f: &File, round: u64) {
    let mut todo = vec!["/".to_string()];
    while let Some(p) = todo.pop() {
        match f.object(&p).unwrap_or_else(|e| panic!("round {}: {}: {}", round, p, e)) {
            Object::Group(g) => {
                for a in g.attributes().unwrap() {
                    read_attribute(&a, &p, round);
                }
                for k in g.keys().unwrap() {
                    todo.push(format!("{}/{}", p.trim_end_matches('/'), k));
                }
            }
            Object::Dataset(d) => {
                d.read_raw().unwrap_or_else(|e| panic!("round {}: {}: {}", round, p, e));
                for a in d.attributes().unwrap() {
                    read_attribute(&a, &p, round);
                }
            }
            _ => {}
        }
    }
}

/// The child: runs only when H5KIT_CRASH_CHILD names the file to edit.
#[test]
fn crash_child_editor() {
    let Ok(path) = std::env::var("H5KIT_CRASH_CHILD") else { return };
    let fresh = std::env::var("H5KIT_CRASH_NEW").is_ok();
    let f = File::open_with_mode(&path, if fresh { "w" } else { "a" }).unwrap();
    let mut spec = DatasetSpec::new(dtype::float64(), &[0, 4]);
    spec.maxshape = Some(vec![UNLIMITED, 4]);
    spec.chunks = Some(vec![16, 4]);
    f.create_dataset("/log", spec).unwrap();
    f.flush().unwrap();
    println!("flushed 0");
    for step in 1..10_000u64 {
        edit(&f, step);
        f.flush().unwrap();
        println!("flushed {}", step);
    }
}

#[test]
fn writers_killed_at_random_moments_leave_every_flushed_edit() {
    let rounds = std::env::var("H5KIT_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(ROUNDS);
    let dir = std::env::temp_dir().join(format!("h5kit-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let have_h5dump = h5kit_testkit::oracle::check(h5kit_testkit::oracle::H5DUMP, rounds.div_ceil(10), "h5dump of files left by killed writers");
    let mut seed = std::env::var("H5KIT_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x2545_f491_4f6c_dd1du64) | 1;
    let mut checked = 0u64;
    for round in 0..rounds {
        let fresh = round % 2 == 1;
        let path = dir.join(format!("crash{}.h5", round % 4));
        let _ = std::fs::remove_file(&path);
        if !fresh {
            std::fs::copy(fixture(), &path).unwrap();
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let target = 1 + seed % 48;
        let pause = Duration::from_micros((seed >> 24) % 4000);
        let mut env = vec![("H5KIT_CRASH_CHILD", path.as_os_str())];
        if fresh {
            env.push(("H5KIT_CRASH_NEW", std::ffi::OsStr::new("1")));
        }
        let last = kill::after_flushes("crash_child_editor", &env, target, pause, Duration::from_secs(20));
        let flushed = last.unwrap_or_else(|| panic!("round {}: the child flushed nothing", round));
        let f = File::open(&path).unwrap_or_else(|e| panic!("round {}: unreadable after the kill: {}", round, e));
        read_all(&f, round);
        for step in 1..=flushed {
            check(&f, step, round);
            checked += 1;
        }
        if have_h5dump && round % 10 == 0 {
            let out = Command::new("h5dump").arg(&path).output().unwrap();
            assert!(out.status.success(), "round {}: h5dump: {}", round, String::from_utf8_lossy(&out.stderr));
            h5kit_testkit::oracle::compared(h5kit_testkit::oracle::H5DUMP, 1);
        }
    }
    eprintln!("{} rounds, {} flushed edits checked", rounds, checked);
    std::fs::remove_dir_all(&dir).unwrap();
}

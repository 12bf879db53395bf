//! Writers killed (SIGKILL) at random moments while editing files of the latest format
//! (h5py's `libver='latest'`, h5kit's `LibVer::Latest`), with a flush after each: groups of
//! link messages (soft and external links, deletes, dense storage), attributes compact and
//! dense, datasets of every chunk index of layout version 4, deletes of datasets and groups,
//! shrinking resize, variable-length strings and compact datasets. The file must open in
//! h5kit (and h5dump), every object and attribute must read, and every change flushed before
//! the kill must be there with its values. Half the rounds edit a file h5py wrote, half a
//! file h5kit creates. `crash_edits.rs` does the same for the earliest format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // processes: not under WASI

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use h5kit_testkit::kill;

mod crash_common;
use crash_common::read_all;

use h5kit::write::{dtype, DatasetSpec, LayoutKind, LibVer};
use h5kit::{File, Object, UNLIMITED};

/// Rounds of kill-and-check (`H5KIT_CRASH_ROUNDS` to change; `H5KIT_CRASH_SEED` picks
/// other moments).
const ROUNDS: u64 = 200;

fn fixture(latest: bool) -> PathBuf {
    let name = if latest { "groups_latest.h5" } else { "attributes_earliest.h5" };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/generated").join(name)
}

/// Kinds of edits made in turn: 6 in every format, 13 in the latest (links, deletes of
/// groups and datasets, shrinking resize, variable-length strings, compact datasets,
/// committed datatypes, references, variable-length members in compounds, null attributes).
fn kinds(latest: bool) -> u64 {
    if latest {
        13
    } else {
        6
    }
}

fn values(step: u64, n: u64) -> Vec<f64> {
    (0..n).map(|j| (step * 1000 + j) as f64 + 0.5).collect()
}

/// Makes edit number `step` (every kind in turn).
fn edit(f: &File, step: u64, latest: bool) {
    let kinds = kinds(latest);
    match step % kinds {
        0 => drop(f.create_group(&format!("/g{}", step)).unwrap()),
        1 => {
            let mut spec = DatasetSpec::new(dtype::float64(), &[40, 10]);
            spec.chunks = Some(vec![8, 5]);
            // Latest format: a fixed array, a v2 B-tree and a single chunk index in turn.
            if latest {
                match (step / kinds) % 3 {
                    1 => spec.maxshape = Some(vec![UNLIMITED, UNLIMITED]),
                    2 => spec.chunks = Some(vec![40, 10]),
                    _ => {}
                }
            }
            spec.deflate = Some(4);
            spec.shuffle = true;
            f.create_dataset(&format!("/g{}/c", step - 1), spec).unwrap();
            f.write_slice(&format!("/g{}/c", step - 1), &[3, 2], &[20, 6], &values(step, 120)).unwrap();
        }
        2 => f.write_new(&format!("/d{}", step), &[50], &values(step, 50)).unwrap(),
        3 => f.set_attr("/", &format!("n{}", step), None, &[step as i64]).unwrap(),
        4 => f.set_attr_str(&format!("/d{}", step - 2), "label", &format!("step {}", step)).unwrap(),
        5 => {
            let rows = step / kinds + 1;
            f.resize("/log", &[rows, 4]).unwrap();
            f.write_slice("/log", &[rows - 1, 0], &[1, 4], &values(step, 4)).unwrap();
        }
        6 => {
            f.create_soft_link(&format!("/s{}", step), &format!("/d{}", step - 4)).unwrap();
            f.create_external_link(&format!("/x{}", step), "elsewhere.h5", &format!("/e{}", step)).unwrap();
        }
        7 => {
            drop(f.create_group(&format!("/tmp{}", step)).unwrap());
            if step > kinds {
                f.delete(&format!("/tmp{}", step - kinds)).unwrap();
            }
        }
        8 => {
            // An extensible array and a fixed array index in turn, shrunk at the next step.
            let mut spec = DatasetSpec::new(dtype::int(4, true), &[64]);
            if (step / kinds).is_multiple_of(2) {
                spec.maxshape = Some(vec![UNLIMITED]);
            }
            spec.chunks = Some(vec![8]);
            f.create_dataset(&format!("/sh{}", step), spec).unwrap();
            f.write(&format!("/sh{}", step), &(0..64).collect::<Vec<i32>>()).unwrap();
            f.create_dataset(&format!("/vs{}", step), DatasetSpec::new(dtype::vlen_string(), &[3])).unwrap();
            f.write_strings(&format!("/vs{}", step), &[&format!("s{}", step), "", "x"]).unwrap();
            let mut spec = DatasetSpec::new(dtype::int(4, true), &[4]);
            spec.layout = Some(LayoutKind::Compact);
            f.create_dataset(&format!("/cp{}", step), spec).unwrap();
            let s = step as i32;
            f.write_raw(&format!("/cp{}", step), &[s, s + 1, s + 2, s + 3].iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
            f.set_attr_str(&format!("/cp{}", step), "name", &format!("cp {}", step)).unwrap();
        }
        9 => {
            f.resize(&format!("/sh{}", step - 1), &[20]).unwrap();
            f.resize(&format!("/sh{}", step - 1), &[30]).unwrap();
        }
        10 => {
            f.write_new(&format!("/victim{}/v", step), &[1000], &values(step, 1000)).unwrap();
            f.write_new(&format!("/dv{}", step), &[100], &values(step, 100)).unwrap();
        }
        11 => {
            f.delete(&format!("/victim{}", step - 1)).unwrap();
            f.delete(&format!("/dv{}", step - 1)).unwrap();
        }
        _ => crash_common::types_edit(f, step),
    }
}

fn has_link(f: &File, name: &str) -> bool {
    f.root().unwrap().link(name).unwrap().is_some()
}

/// Checks that edit `step` is in the file with its values (at least `flushed` edits were
/// flushed).
fn check(f: &File, step: u64, round: u64, latest: bool, flushed: u64) {
    let kinds = kinds(latest);
    let ds = |p: &str| match f.object(p) {
        Ok(Object::Dataset(d)) => d,
        other => panic!("round {}: step {}: {} is {:?}", round, step, p, other.map(|_| ())),
    };
    match step % kinds {
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
        5 => {
            let rows = step / kinds + 1;
            let got = ds("/log").read::<f64>().unwrap().data;
            assert!(got.len() as u64 >= rows * 4, "round {} step {}", round, step);
            assert_eq!(&got[((rows - 1) * 4) as usize..(rows * 4) as usize], &values(step, 4)[..], "round {} step {}", round, step);
        }
        6 => {
            let root = f.root().unwrap();
            let soft = root.link(&format!("s{}", step)).unwrap().unwrap_or_else(|| panic!("round {} step {}: no soft link", round, step));
            assert_eq!(soft.target, h5kit::LinkTarget::Soft { path: format!("/d{}", step - 4) }, "round {} step {}", round, step);
            assert_eq!(ds(&format!("/s{}", step)).read::<f64>().unwrap().data, values(step - 4, 50), "round {} step {}", round, step);
            let ext = root.link(&format!("x{}", step)).unwrap().unwrap_or_else(|| panic!("round {} step {}: no external link", round, step));
            let want = h5kit::LinkTarget::External { file: "elsewhere.h5".into(), path: format!("/e{}", step) };
            assert_eq!(ext.target, want, "round {} step {}", round, step);
        }
        8 => {
            let at = format!("round {} step {} (flushed {})", round, step, flushed);
            let got = ds(&format!("/sh{}", step)).read::<i32>().unwrap().data;
            crash_common::check_shrunk(&got, step < flushed, &at);
            assert_eq!(ds(&format!("/vs{}", step)).read_strings().unwrap(), vec![format!("s{}", step), String::new(), "x".into()], "{}", at);
            let d = ds(&format!("/cp{}", step));
            let s = step as i32;
            assert_eq!(d.read::<i32>().unwrap().data, vec![s, s + 1, s + 2, s + 3], "{}", at);
            let a = d.attributes().unwrap();
            let n = a.iter().find(|a| a.name == "name").unwrap_or_else(|| panic!("{}", at));
            assert_eq!(n.read_strings().unwrap(), vec![format!("cp {}", step)], "{}", at);
        }
        9 | 11 => {}
        12 => crash_common::types_check(f, step, &format!("round {} step {} (flushed {})", round, step, flushed)),
        10 => {
            let at = format!("round {} step {} (flushed {})", round, step, flushed);
            for (name, path, n) in [(format!("victim{}", step), format!("/victim{}/v", step), 1000), (format!("dv{}", step), format!("/dv{}", step), 100)] {
                if has_link(f, &name) {
                    assert!(step + 1 > flushed, "{}: {} not deleted", at, name);
                    assert_eq!(ds(&path).read::<f64>().unwrap().data, values(step, n), "{}", at);
                }
            }
        }
        _ => {
            // The group this step deleted is gone (the one it made may be gone too: the child
            // flushes on for a while after the flush the parent saw last).
            if step > kinds {
                let got = f.root().unwrap().link(&format!("tmp{}", step - kinds)).unwrap();
                assert!(got.is_none(), "round {} step {}: /tmp{} is still there (flushed {})", round, step, step - kinds, flushed);
            }
        }
    }
}

/// The child: runs only when H5KIT_CRASH_CHILD names the file to edit.
#[test]
fn crash_child_editor() {
    let Ok(path) = std::env::var("H5KIT_CRASH_CHILD") else { return };
    let fresh = std::env::var("H5KIT_CRASH_NEW").is_ok();
    let latest = std::env::var("H5KIT_CRASH_LATEST").is_ok();
    let f = match (fresh, latest) {
        (true, true) => File::open_with(&path, h5kit::Mode::Truncate, LibVer::Latest).unwrap(),
        _ => File::open_with_mode(&path, if fresh { "w" } else { "a" }).unwrap(),
    };
    let mut spec = DatasetSpec::new(dtype::float64(), &[0, 4]);
    spec.maxshape = Some(vec![UNLIMITED, 4]);
    spec.chunks = Some(vec![16, 4]);
    f.create_dataset("/log", spec).unwrap();
    f.flush().unwrap();
    // Every edit is the on-disk writer's: the model would replace the file (a new inode).
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap());
    println!("flushed 0");
    // H5KIT_CRASH_STEPS: stop after that many edits (to look at a file by hand).
    let steps = std::env::var("H5KIT_CRASH_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000u64);
    for step in 1..steps {
        edit(&f, step, latest);
        f.flush().unwrap();
        assert_eq!(std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&path).unwrap()), inode, "step {}: the file was replaced", step);
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
        let latest = true;
        let path = dir.join(format!("crash{}.h5", round % 4));
        let _ = std::fs::remove_file(&path);
        if !fresh {
            std::fs::copy(fixture(latest), &path).unwrap();
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
        if latest {
            env.push(("H5KIT_CRASH_LATEST", std::ffi::OsStr::new("1")));
        }
        let last = kill::after_flushes("crash_child_editor", &env, target, pause, Duration::from_secs(20));
        let flushed = last.unwrap_or_else(|| panic!("round {}: the child flushed nothing", round));
        assert!(flushed >= target, "round {}: the child stopped after {} flushes (of {}): it failed", round, flushed, target);
        let f = File::open(&path).unwrap_or_else(|e| panic!("round {}: unreadable after the kill: {}", round, e));
        read_all(&f, round);
        if latest {
            assert_eq!(f.superblock().version, 3, "round {}", round);
        }
        for step in 1..=flushed {
            check(&f, step, round, latest, flushed);
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

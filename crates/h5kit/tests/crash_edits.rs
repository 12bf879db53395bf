//! Writers killed (SIGKILL) at random moments while making every kind of edit the on-disk
//! writer makes, with a flush after each: groups, datasets (chunked gzip, contiguous, compact,
//! variable-length strings), attributes (numeric, string, variable-length), appends, deletes
//! of links, attributes and whole objects, soft, hard and external links, shrinking resizes,
//! committed datatypes, references, compound attributes with variable-length members, null
//! attributes.
//! The file must open in h5kit (and h5dump), every object and attribute must read, every
//! change flushed before the kill must be there with its values, and every delete flushed
//! must be done. The child checks each edit was made in place (no fallback to the model).
//! Half the rounds edit a file h5py wrote, half a file h5kit creates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(not(target_family = "wasm"))] // processes: not under WASI

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use h5kit_testkit::kill;

mod crash_common;
use crash_common::read_all;

use h5kit::write::{dtype, DatasetSpec, LayoutKind};
use std::os::unix::fs::MetadataExt;
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

/// Kinds of edit, in turn.
const KINDS: u64 = 13;

fn ints(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The raw-byte API encoding of variable-length elements (u32 byte count, bytes).
fn vlen_raw(elements: &[&[u8]]) -> Vec<u8> {
    elements.iter().flat_map(|e| (e.len() as u32).to_le_bytes().into_iter().chain(e.iter().copied())).collect()
}

/// Makes edit number `step` (every kind in turn). Kinds 7, 8, 9 and 11 delete or shrink what
/// earlier steps made; [`check`] knows which.
fn edit(f: &File, step: u64) {
    match step % KINDS {
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
        5 => {
            let rows = step / KINDS + 1;
            f.resize("/log", &[rows, 4]).unwrap();
            f.write_slice("/log", &[rows - 1, 0], &[1, 4], &values(step, 4)).unwrap();
        }
        6 => {
            f.create_dataset(&format!("/s{}", step), DatasetSpec::new(dtype::vlen_string(), &[3])).unwrap();
            f.write_strings(&format!("/s{}", step), &[&format!("s{}", step), "", "x"]).unwrap();
            f.create_soft_link(&format!("/soft{}", step), &format!("/d{}", step - 4)).unwrap();
            f.create_hard_link(&format!("/hard{}", step), &format!("/d{}", step - 4)).unwrap();
        }
        7 => {
            f.delete(&format!("/d{}", step - 5)).unwrap();
            f.delete_attr("/", &format!("n{}", step - 4)).unwrap();
            f.write_new(&format!("/victim{}/v", step), &[1000], &values(step, 1000)).unwrap();
        }
        8 => {
            f.delete(&format!("/victim{}", step - 1)).unwrap();
            let mut spec = DatasetSpec::new(dtype::int(4, true), &[64]);
            spec.maxshape = Some(vec![UNLIMITED]);
            spec.chunks = Some(vec![8]);
            f.create_dataset(&format!("/sh{}", step), spec).unwrap();
            f.write(&format!("/sh{}", step), &(0..64).collect::<Vec<i32>>()).unwrap();
        }
        9 => {
            f.resize(&format!("/sh{}", step - 1), &[20]).unwrap();
            f.resize(&format!("/sh{}", step - 1), &[30]).unwrap();
        }
        10 => {
            let mut spec = DatasetSpec::new(dtype::int(4, true), &[4]);
            spec.layout = Some(LayoutKind::Compact);
            f.create_dataset(&format!("/cp{}", step), spec).unwrap();
            let s = step as i32;
            f.write_raw(&format!("/cp{}", step), &ints(&[s, s + 1, s + 2, s + 3])).unwrap();
            f.set_attr_raw(&format!("/cp{}", step), "names", dtype::vlen_string(), Some(&[2]), &vlen_raw(&[b"a", step.to_string().as_bytes()]))
                .unwrap();
        }
        11 => {
            f.create_group(&format!("/x{}", step)).unwrap();
            f.create_external_link(&format!("/x{}/e", step), "other.h5", "/t").unwrap();
            f.delete(&format!("/soft{}", step - 5)).unwrap();
        }
        _ => crash_common::types_edit(f, step),
    }
}

fn has_link(f: &File, group: &str, name: &str) -> bool {
    match f.object(group) {
        Ok(Object::Group(g)) => g.keys().unwrap().iter().any(|k| k == name),
        _ => false,
    }
}

/// Checks that edit `step` is in the file with its values, and undone where a later step
/// undoes it and was flushed. `flushed` is the last flush the child reported: it may have
/// flushed more before the kill, so an undo by a later step may or may not be there.
fn check(f: &File, step: u64, flushed: u64, round: u64) {
    let ds = |p: &str| match f.object(p) {
        Ok(Object::Dataset(d)) => d,
        other => panic!("round {}: step {}: {} is {:?}", round, step, p, other.map(|_| ())),
    };
    let at = format!("round {} step {} (flushed {})", round, step, flushed);
    match step % KINDS {
        0 => assert!(matches!(f.object(&format!("/g{}", step)), Ok(Object::Group(_))), "{}", at),
        1 => {
            let got = ds(&format!("/g{}/c", step - 1)).read::<f64>().unwrap().data;
            let want = values(step, 120);
            for r in 0..20 {
                for c in 0..6 {
                    assert_eq!(got[(3 + r) * 10 + 2 + c], want[r * 6 + c], "{}", at);
                }
            }
            assert_eq!(got[0], 0.0);
        }
        2 => {
            // Deleted at step + 5; the object stays reachable through /hard{step + 4}.
            let present = has_link(f, "/", &format!("d{}", step));
            assert!(!(present && step + 5 <= flushed), "{}: not deleted", at);
            let p = if present { format!("/d{}", step) } else { format!("/hard{}", step + 4) };
            assert_eq!(ds(&p).read::<f64>().unwrap().data, values(step, 50), "{}", at);
        }
        3 => {
            let a = f.root().unwrap().attributes().unwrap();
            let n = a.iter().find(|a| a.name == format!("n{}", step));
            match n {
                Some(n) => {
                    assert!(step + 4 > flushed, "{}: attribute not deleted", at);
                    assert_eq!(n.read::<i64>().unwrap().data, vec![step as i64]);
                }
                None => assert!(step + 4 <= flushed + 64, "{}: attribute missing", at),
            }
        }
        4 => {
            let p = if has_link(f, "/", &format!("d{}", step - 2)) { format!("/d{}", step - 2) } else { format!("/hard{}", step + 2) };
            let a = ds(&p).attributes().unwrap();
            let l = a.iter().find(|a| a.name == "label").unwrap_or_else(|| panic!("{}", at));
            assert_eq!(l.read_strings().unwrap(), vec![format!("step {}", step)]);
        }
        5 => {
            let rows = step / KINDS + 1;
            let got = ds("/log").read::<f64>().unwrap().data;
            assert!(got.len() as u64 >= rows * 4, "{}", at);
            assert_eq!(&got[((rows - 1) * 4) as usize..(rows * 4) as usize], &values(step, 4)[..], "{}", at);
        }
        6 => {
            assert_eq!(ds(&format!("/s{}", step)).read_strings().unwrap(), vec![format!("s{}", step), String::new(), "x".into()], "{}", at);
            assert_eq!(ds(&format!("/hard{}", step)).read::<f64>().unwrap().data, values(step - 4, 50), "{}", at);
            let soft = format!("soft{}", step);
            let present = has_link(f, "/", &soft);
            assert!(present || step + 5 <= flushed + 64, "{}: soft link missing", at);
            assert!(!(present && step + 5 <= flushed), "{}: soft link not deleted", at);
            if present && has_link(f, "/", &format!("d{}", step - 4)) {
                // The soft link's target is not deleted yet.
                assert_eq!(ds(&format!("/{}", soft)).read::<f64>().unwrap().data, values(step - 4, 50), "{}", at);
            }
        }
        7 => {
            if has_link(f, "/", &format!("victim{}", step)) {
                assert!(step + 1 > flushed, "{}: not deleted", at);
                assert_eq!(ds(&format!("/victim{}/v", step)).read::<f64>().unwrap().data, values(step, 1000), "{}", at);
            }
        }
        8 => {
            let got = ds(&format!("/sh{}", step)).read::<i32>().unwrap().data;
            crash_common::check_shrunk(&got, step < flushed, &at);
        }
        9 => {}
        10 => {
            let d = ds(&format!("/cp{}", step));
            let s = step as i32;
            assert_eq!(d.read::<i32>().unwrap().data, vec![s, s + 1, s + 2, s + 3], "{}", at);
            let a = d.attributes().unwrap();
            let n = a.iter().find(|a| a.name == "names").unwrap_or_else(|| panic!("{}", at));
            assert_eq!(n.read_strings().unwrap(), vec!["a".to_string(), step.to_string()], "{}", at);
        }
        11 => {
            assert!(has_link(f, &format!("/x{}", step), "e"), "{}", at);
            assert!(!has_link(f, "/", &format!("soft{}", step - 5)), "{}", at);
        }
        _ => crash_common::types_check(f, step, &at),
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
    // Every edit is made in place: the model (the fallback) would write a new file.
    let inode = std::fs::metadata(&path).unwrap().ino();
    println!("flushed 0");
    // H5KIT_CRASH_STEPS: stop there (to look at a file by hand).
    let steps = std::env::var("H5KIT_CRASH_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000u64);
    for step in 1..steps {
        edit(&f, step);
        f.flush().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode, "step {} fell back to the in-memory model", step);
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
        let target = 1 + seed % 60;
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
            check(&f, step, flushed, round);
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

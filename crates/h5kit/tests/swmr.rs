//! SWMR (single writer, many readers) with libhdf5 on either side (issue 18):
//! - h5kit writes (`start_swmr_write`, a flush after each append) while two h5py readers
//!   (`swmr=True`, `refresh()`) poll: no error, no value that was not written, every flushed
//!   row seen;
//! - h5py writes (`swmr_mode = True`) while an h5kit reader (`open_swmr`, `refresh`) polls;
//! - h5kit writes while an h5kit reader polls (no oracle needed);
//! - a SWMR writer killed at random moments: h5kit reads the file, h5dump refuses it until
//!   `clear_status_flags` (`h5 clear -s`), then h5dump and h5py read it with the same values.
//!
//! Four datasets grow at once: `/t` (1-D f64, extensible array index), `/img` (3-D i32,
//! rows of 4x3, extensible array), `/m` (2-D i64 with two unlimited dimensions: a v2
//! B-tree index) and `/z` (1-D i32, gzip: its last chunk moves to new space at each flush). The polling lasts `H5KIT_SWMR_SECONDS` seconds (default 12, 60 under
//! `H5KIT_LONG_TESTS=1`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(all(unix, not(target_family = "wasm")))]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use h5kit::write::LibVer;
use h5kit::{File, Mode};
use h5kit_testkit::{kill, long, oracle, say};

fn tmp(name: &str) -> PathBuf {
    h5kit_testkit::temp_path("swmr", name)
}

/// How long readers poll.
fn seconds() -> f64 {
    match std::env::var("H5KIT_SWMR_SECONDS").ok().and_then(|s| s.parse::<f64>().ok()) {
        Some(s) => s,
        None => long::pick(12.0, 60.0),
    }
}

// The values: never 0 (the fill value), so a chunk read before its data was written shows.
fn t_value(i: u64) -> f64 {
    i as f64 * 0.5 + 1.0
}
fn img_value(i: u64, j: u64, k: u64) -> i32 {
    (i * 100 + j * 10 + k + 1) as i32
}
fn m_value(i: u64, j: u64) -> i64 {
    (i * 10 + j + 1) as i64
}
fn z_value(i: u64) -> i32 {
    (i * 7 + 3) as i32
}

/// The four datasets, empty, in a new latest-format file.
fn create(path: &Path) -> File {
    let f = File::open_with(path, Mode::Truncate, LibVer::Latest).unwrap();
    f.new_dataset::<f64>().shape([0]).maxshape([None]).chunk([16]).create("t").unwrap();
    f.new_dataset::<i32>().shape([0, 4, 3]).maxshape([None, Some(4), Some(3)]).chunk([4, 4, 3]).create("img").unwrap();
    f.new_dataset::<i64>().shape([0, 5]).maxshape([None, None]).chunk([3, 5]).create("m").unwrap();
    // Filtered: a chunk that changes moves to new space at each flush.
    f.new_dataset::<i32>().shape([0]).maxshape([None]).chunk([32]).deflate(4).create("z").unwrap();
    f
}

/// Appends rows `from..to` to the four datasets (resize, then write).
fn append(f: &File, from: u64, to: u64) {
    let n = to - from;
    let t: Vec<f64> = (from..to).map(t_value).collect();
    f.resize("/t", &[to]).unwrap();
    f.write_slice("/t", &[from], &[n], &t).unwrap();
    let img: Vec<i32> = (from..to).flat_map(|i| (0..4).flat_map(move |j| (0..3).map(move |k| img_value(i, j, k)))).collect();
    f.resize("/img", &[to, 4, 3]).unwrap();
    f.write_slice("/img", &[from, 0, 0], &[n, 4, 3], &img).unwrap();
    let m: Vec<i64> = (from..to).flat_map(|i| (0..5).map(move |j| m_value(i, j))).collect();
    f.resize("/m", &[to, 5]).unwrap();
    f.write_slice("/m", &[from, 0], &[n, 5], &m).unwrap();
    let z: Vec<i32> = (from..to).map(z_value).collect();
    f.resize("/z", &[to]).unwrap();
    f.write_slice("/z", &[from], &[n], &z).unwrap();
}

/// Rows in each append: 1 to 7, varying.
fn step(k: u64) -> u64 {
    1 + (k * 2654435761) % 7
}

/// Handles of the four datasets, kept across polls as a SWMR reader keeps them.
struct Handles {
    t: h5kit::handle::Dataset,
    img: h5kit::handle::Dataset,
    m: h5kit::handle::Dataset,
    z: h5kit::handle::Dataset,
}

fn handles(f: &File) -> Handles {
    Handles { t: f.dataset("/t").unwrap(), img: f.dataset("/img").unwrap(), m: f.dataset("/m").unwrap(), z: f.dataset("/z").unwrap() }
}

/// Reads the four datasets through new handles of `f` and checks every value; the row counts.
fn check_h5kit(f: &File) -> h5kit::Result<[u64; 4]> {
    check_handles(&handles(f))
}

/// Reads the four datasets through `h` (as they last read their headers) and checks every
/// value; the row counts.
fn check_handles(h: &Handles) -> h5kit::Result<[u64; 4]> {
    let a = h.t.read::<f64>()?;
    let n0 = a.shape[0];
    for (i, v) in a.data.iter().enumerate() {
        assert_eq!(*v, t_value(i as u64), "/t[{}] of {}", i, n0);
    }
    let b = h.img.read::<i32>()?;
    let n1 = b.shape[0];
    assert_eq!(&b.shape[1..], [4, 3]);
    for (e, v) in b.data.iter().enumerate() {
        let e = e as u64;
        assert_eq!(*v, img_value(e / 12, (e / 3) % 4, e % 3), "/img element {} of {} rows", e, n1);
    }
    let c = h.m.read::<i64>()?;
    let n2 = c.shape[0];
    assert_eq!(c.shape[1], 5);
    for (e, v) in c.data.iter().enumerate() {
        let e = e as u64;
        assert_eq!(*v, m_value(e / 5, e % 5), "/m element {} of {} rows", e, n2);
    }
    let z = h.z.read::<i32>()?;
    for (i, v) in z.data.iter().enumerate() {
        assert_eq!(*v, z_value(i as u64), "/z[{}] of {}", i, z.shape[0]);
    }
    Ok([n0, n1, n2, z.shape[0]])
}

fn refresh(h: &Handles) {
    h.t.refresh().unwrap();
    h.img.refresh().unwrap();
    h.m.refresh().unwrap();
    h.z.refresh().unwrap();
}

/// The h5py reader: polls until told the final row count on stdin and it has seen it, checking
/// every value; prints one line: polls, the four row counts, extents seen, errors, errors' text.
const H5PY_READER: &str = r#"
import h5py, numpy as np, sys, json, time, select
f = h5py.File(sys.argv[1], 'r', swmr=True)
ds = [f['t'], f['img'], f['m'], f['z']]
print('ready', flush=True)
polls = 0; errors = []; extents = set(); last = [0, 0, 0, 0]; final = None; deadline = None
while True:
    if final is None and select.select([sys.stdin], [], [], 0)[0]:
        final = int(sys.stdin.readline().split()[1]); deadline = time.time() + 30
    try:
        for d in ds:
            d.refresh()
        t = ds[0][()]; img = ds[1][()]; m = ds[2][()]; z = ds[3][()]
    except Exception as e:
        errors.append(repr(e)); time.sleep(0.01); continue
    polls += 1
    n = [t.shape[0], img.shape[0], m.shape[0], z.shape[0]]
    extents.add(n[0])
    if n[0] and not np.array_equal(t, np.arange(n[0]) * 0.5 + 1.0): errors.append('t values at %d rows' % n[0])
    i, j, k = np.meshgrid(np.arange(n[1]), np.arange(4), np.arange(3), indexing='ij')
    if n[1] and not np.array_equal(img, i * 100 + j * 10 + k + 1): errors.append('img values at %d rows' % n[1])
    i, j = np.meshgrid(np.arange(n[2]), np.arange(5), indexing='ij')
    if n[2] and not np.array_equal(m, i * 10 + j + 1): errors.append('m values at %d rows' % n[2])
    if not np.array_equal(z, np.arange(len(z)) * 7 + 3): errors.append('z values at %d rows' % len(z))
    if any(a < b for a, b in zip(n, last)): errors.append('shrank %s -> %s' % (last, n))
    last = n
    if final is not None and n == [final] * 4: break
    if deadline is not None and time.time() > deadline:
        errors.append('timeout: %s of %d rows' % (n, final)); break
    if len(errors) > 20: break
print(polls, last[0], last[1], last[2], last[3], len(extents), len(errors), repr(errors[:20]), flush=True)
"#;

/// h5kit writes in SWMR mode while two h5py readers poll.
#[test]
fn h5kit_writes_while_h5py_readers_poll() {
    if !oracle::check(oracle::H5PY, 1, "h5py SWMR readers of an h5kit SWMR writer") {
        return;
    }
    let p = tmp("h5kit_writer.h5");
    let f = create(&p);
    f.start_swmr_write().unwrap();
    assert!(f.is_swmr_write());
    let mut readers: Vec<_> = (0..2)
        .map(|_| {
            let mut c = Command::new("python3")
                .args(["-c", H5PY_READER])
                .arg(&p)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = BufReader::new(c.stdout.take().unwrap());
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            assert_eq!(line.trim(), "ready", "h5py reader did not start: {}", line);
            (c, out)
        })
        .collect();
    let start = Instant::now();
    let (mut rows, mut flushes) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < seconds() {
        let to = rows + step(flushes);
        append(&f, rows, to);
        f.flush().unwrap();
        rows = to;
        flushes += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
    let write_secs = start.elapsed().as_secs_f64();
    for (c, _) in &mut readers {
        writeln!(c.stdin.as_mut().unwrap(), "done {}", rows).unwrap();
    }
    for (i, (mut c, mut out)) in readers.into_iter().enumerate() {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let status = c.wait().unwrap();
        let mut err = String::new();
        std::io::Read::read_to_string(c.stderr.as_mut().unwrap(), &mut err).unwrap();
        assert!(status.success(), "h5py reader {} failed: {}", i, err);
        let v: Vec<&str> = line.trim().splitn(8, ' ').collect();
        assert_eq!(v.len(), 8, "h5py reader {}: {:?} {}", i, line, err);
        let num = |k: usize| v[k].parse::<u64>().unwrap();
        say(&format!(
            "h5py reader {}: {} polls, {} extents seen, rows {}/{}/{}/{} ({} flushes of {} rows by h5kit in {:.1} s, file {} bytes)",
            i, num(0), num(5), num(1), num(2), num(3), num(4), flushes, rows, write_secs, std::fs::metadata(&p).unwrap().len()
        ));
        assert_eq!(num(6), 0, "h5py reader {} saw errors: {}", i, v[7]);
        assert_eq!([num(1), num(2), num(3), num(4)], [rows; 4]);
        assert!(num(5) > 10, "the reader saw too few extents: {}", num(5));
    }
    oracle::compared(oracle::H5PY, 2);
    f.close().unwrap();
    // Closed: the status flags are cleared, h5kit and h5py read the whole file.
    let r = File::open(&p).unwrap();
    assert_eq!(r.superblock().file_consistency_flags, 0);
    assert_eq!(check_h5kit(&r).unwrap(), [rows; 4]);
}

/// The h5py writer: SWMR mode, appends and flushes for argv[2] seconds, then prints the row
/// count and closes.
const H5PY_WRITER: &str = r#"
import h5py, numpy as np, sys, time
f = h5py.File(sys.argv[1], 'w', libver='latest')
t = f.create_dataset('t', (0,), 'f8', maxshape=(None,), chunks=(16,))
img = f.create_dataset('img', (0, 4, 3), 'i4', maxshape=(None, 4, 3), chunks=(4, 4, 3))
m = f.create_dataset('m', (0, 5), 'i8', maxshape=(None, None), chunks=(3, 5))
z = f.create_dataset('z', (0,), 'i4', maxshape=(None,), chunks=(32,), compression='gzip', compression_opts=4)
f.swmr_mode = True
print('ready', flush=True)
start = time.time(); rows = 0; k = 0
while time.time() - start < float(sys.argv[2]):
    to = rows + 1 + (k * 2654435761) % 7
    r = np.arange(rows, to)
    t.resize((to,)); t[rows:to] = r * 0.5 + 1.0
    i, j, l = np.meshgrid(r, np.arange(4), np.arange(3), indexing='ij')
    img.resize((to, 4, 3)); img[rows:to] = i * 100 + j * 10 + l + 1
    i, j = np.meshgrid(r, np.arange(5), indexing='ij')
    m.resize((to, 5)); m[rows:to] = i * 10 + j + 1
    z.resize((to,)); z[rows:to] = r * 7 + 3
    f.flush()
    rows = to; k += 1
    time.sleep(0.005)
print('done %d %d' % (rows, k), flush=True)
f.close()
"#;

/// h5py writes in SWMR mode while an h5kit reader polls.
#[test]
fn h5py_writes_while_an_h5kit_reader_polls() {
    if !oracle::check(oracle::H5PY, 1, "an h5kit SWMR reader of an h5py SWMR writer") {
        return;
    }
    let p = tmp("h5py_writer.h5");
    let mut c = Command::new("python3")
        .args(["-c", H5PY_WRITER])
        .arg(&p)
        .arg(seconds().to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    // The writer's last line, read by a thread while this one polls.
    let done = Arc::new(AtomicU64::new(u64::MAX));
    let d = done.clone();
    let waiter = std::thread::spawn(move || {
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let mut it = line.split_whitespace().skip(1);
        let rows: u64 = it.next().unwrap().parse().unwrap();
        let flushes: u64 = it.next().unwrap().parse().unwrap();
        d.store(rows, Ordering::SeqCst);
        flushes
    });
    let f = File::open_swmr(&p).unwrap();
    assert!(f.is_swmr_read());
    let h = handles(&f);
    let retries = h5kit::swmr::retry_count();
    let start = Instant::now();
    let (mut polls, mut extents, mut last) = (0u64, std::collections::BTreeSet::new(), [0u64; 4]);
    loop {
        let final_rows = done.load(Ordering::SeqCst);
        refresh(&h);
        let n = check_handles(&h).unwrap_or_else(|e| panic!("h5kit SWMR reader, poll {}: {}", polls, e));
        polls += 1;
        extents.insert(n[0]);
        assert!(n.iter().zip(&last).all(|(a, b)| a >= b), "shrank {:?} -> {:?}", last, n);
        last = n;
        if final_rows != u64::MAX && n == [final_rows; 4] {
            break;
        }
        assert!(start.elapsed().as_secs_f64() < seconds() + 30.0, "h5kit reader timed out at {:?} rows", n);
        std::thread::sleep(Duration::from_millis(2));
    }
    let flushes = waiter.join().unwrap();
    assert!(c.wait().unwrap().success());
    say(&format!(
        "h5kit reader: {} polls, {} extents seen, {:?} rows at the end ({} flushes by h5py, {:.1} s), {} reads retried (process-wide count), file {} bytes",
        polls,
        extents.len(),
        last,
        flushes,
        start.elapsed().as_secs_f64(),
        h5kit::swmr::retry_count() - retries,
        std::fs::metadata(&p).unwrap().len()
    ));
    assert!(extents.len() > 10, "the reader saw too few extents: {}", extents.len());
    oracle::compared(oracle::H5PY, 1);
}

/// h5kit writes while an h5kit reader (another handle, another thread) polls: no oracle.
#[test]
fn h5kit_writes_while_an_h5kit_reader_polls() {
    let p = tmp("h5kit_both.h5");
    let f = create(&p);
    f.start_swmr_write().unwrap();
    let done = Arc::new(AtomicU64::new(u64::MAX));
    let (d, rp) = (done.clone(), p.clone());
    let reader = std::thread::spawn(move || {
        let r = File::open_swmr(&rp).unwrap();
        let h = handles(&r);
        let (mut polls, mut extents) = (0u64, std::collections::BTreeSet::new());
        loop {
            let final_rows = d.load(Ordering::SeqCst);
            // Every handle through the file, or each handle.
            if polls % 2 == 0 {
                r.refresh().unwrap();
            } else {
                refresh(&h);
            }
            let n = check_handles(&h).unwrap_or_else(|e| panic!("poll {}: {}", polls, e));
            polls += 1;
            extents.insert(n[0]);
            if final_rows != u64::MAX && n == [final_rows; 4] {
                return (polls, extents.len());
            }
        }
    });
    let secs = seconds().min(5.0);
    let start = Instant::now();
    let (mut rows, mut flushes) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < secs {
        let to = rows + step(flushes);
        append(&f, rows, to);
        f.flush().unwrap();
        rows = to;
        flushes += 1;
        std::thread::sleep(Duration::from_millis(2));
    }
    done.store(rows, Ordering::SeqCst);
    let (polls, extents) = reader.join().unwrap();
    say(&format!("h5kit reader of h5kit: {} polls, {} extents, {} rows, {} flushes", polls, extents, rows, flushes));
    assert!(extents > 10);
    f.close().unwrap();
}

/// The child of the crash test: writes in SWMR mode until killed, printing `flushed ROWS`.
#[test]
fn swmr_crash_child() {
    let Some(path) = std::env::var_os("H5KIT_SWMR_CHILD") else { return };
    let f = create(Path::new(&path));
    f.start_swmr_write().unwrap();
    let (mut rows, mut k) = (0u64, 0u64);
    let mut out = std::io::stdout();
    loop {
        let to = rows + step(k);
        append(&f, rows, to);
        f.flush().unwrap();
        rows = to;
        k += 1;
        writeln!(out, "flushed {}", rows).unwrap();
        out.flush().unwrap();
    }
}

/// A SWMR writer killed at random moments: h5kit reads every flushed row; libhdf5 refuses the
/// file until its status flags are cleared, then reads the same values.
#[test]
fn a_killed_swmr_writer_leaves_a_file_h5kit_reads_and_h5_clear_repairs() {
    // Few rounds, so that the two minute-long polling tests run side by side on two test
    // threads (CI: under two minutes for the whole file); more with H5KIT_SWMR_KILL_ROUNDS.
    let rounds = std::env::var("H5KIT_SWMR_KILL_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(long::pick(4u64, 6));
    let seed: u64 = std::env::var("H5KIT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let mut rng = seed;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let tools = oracle::check(oracle::H5DUMP, rounds, "h5dump of killed SWMR files") && oracle::check(oracle::H5PY, rounds, "h5py of killed SWMR files");
    for round in 0..rounds {
        let p = tmp(&format!("killed{}.h5", round));
        let target = 5 + next(60);
        let pause = Duration::from_micros(next(20_000));
        let flushed = kill::after_flushes(
            "swmr_crash_child",
            &[("H5KIT_SWMR_CHILD", p.as_os_str())],
            target,
            pause,
            Duration::from_secs(20),
        )
        .unwrap_or_else(|| panic!("round {}: the child flushed nothing", round));
        let f = File::open(&p).unwrap();
        let flags = f.superblock().file_consistency_flags;
        assert_eq!(flags, 0x5, "round {}: status flags", round);
        let n = check_h5kit(&f).unwrap_or_else(|e| panic!("round {}: {}", round, e));
        assert!(n.iter().all(|&r| r >= flushed), "round {}: {:?} rows, {} flushed", round, n, flushed);
        drop(f);
        say(&format!("round {}: killed {:?} after the flush reaching {} rows (target {}), h5kit reads {:?} rows", round, pause, flushed, target, n));
        if !tools {
            // Cleared anyway: h5kit reads the file after as before.
            assert_eq!(h5kit::swmr::clear_status_flags(&p).unwrap(), 0x5);
            assert_eq!(check_h5kit(&File::open(&p).unwrap()).unwrap(), n);
            continue;
        }
        let dump = |p: &Path| Command::new("h5dump").args(["-H"]).arg(p).output().unwrap();
        let before = dump(&p);
        assert!(!before.status.success(), "round {}: libhdf5 opened a file marked open for write", round);
        assert_eq!(h5kit::swmr::clear_status_flags(&p).unwrap(), 0x5);
        assert_eq!(h5kit::swmr::clear_status_flags(&p).unwrap(), 0, "cleared twice");
        let after = dump(&p);
        assert!(after.status.success(), "round {}: h5dump after clear: {}", round, String::from_utf8_lossy(&after.stderr));
        assert_eq!(check_h5kit(&File::open(&p).unwrap()).unwrap(), n);
        let script = "import h5py, numpy as np, sys\nf = h5py.File(sys.argv[1], 'r')\nt, img, m = f['t'][()], f['img'][()], f['m'][()]\n\
            ok = np.array_equal(t, np.arange(len(t)) * 0.5 + 1.0)\n\
            i, j, k = np.meshgrid(np.arange(len(img)), np.arange(4), np.arange(3), indexing='ij')\nok = ok and np.array_equal(img, i * 100 + j * 10 + k + 1)\n\
            i, j = np.meshgrid(np.arange(len(m)), np.arange(5), indexing='ij')\nok = ok and np.array_equal(m, i * 10 + j + 1)\n\
            z = f['z'][()]\nok = ok and np.array_equal(z, np.arange(len(z)) * 7 + 3)\nprint(len(t), len(img), len(m), ok)\n";
        let out = Command::new("python3").args(["-c", script]).arg(&p).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("{} {} {} True", n[0], n[1], n[2]), "round {}", round);
        oracle::compared(oracle::H5DUMP, 1);
        oracle::compared(oracle::H5PY, 1);
    }
}

/// SWMR writing needs the latest format; the earliest is refused before anything is written.
#[test]
fn swmr_writing_needs_the_latest_format() {
    let p = tmp("earliest.h5");
    let f = File::create(&p).unwrap();
    let e = f.start_swmr_write().unwrap_err();
    assert!(e.message.contains("superblock version 3"), "{}", e);
    f.close().unwrap();
}

/// A file marked open for SWMR writing is refused by a second writer until cleared.
#[test]
fn a_marked_file_is_refused_for_writing_until_cleared() {
    let p = tmp("marked.h5");
    let f = create(&p);
    append(&f, 0, 3);
    f.start_swmr_write().unwrap();
    // The SWMR writer released the lock: the flags are what refuses a second writer.
    let e = File::open_with_mode(&p, "r+").unwrap_err();
    assert!(e.message.contains("already open for write"), "{}", e);
    drop(f);
    // Dropped: flushed and the flags cleared.
    let g = File::open_with_mode(&p, "r+").unwrap();
    assert_eq!(check_h5kit(&g).unwrap(), [3; 4]);
}

/// As h5py's: a SWMR reader's handle keeps the shape it read until `refresh`.
#[test]
fn a_handle_keeps_its_shape_until_refresh() {
    let p = tmp("refresh.h5");
    let f = create(&p);
    append(&f, 0, 5);
    f.start_swmr_write().unwrap();
    let r = File::open_swmr(&p).unwrap();
    let h = handles(&r);
    assert_eq!(check_handles(&h).unwrap(), [5; 4]);
    append(&f, 5, 12);
    f.flush().unwrap();
    assert_eq!(check_handles(&h).unwrap(), [5; 4], "before refresh");
    assert_eq!(check_h5kit(&r).unwrap(), [12; 4], "a new handle reads the header now");
    h.t.refresh().unwrap();
    assert_eq!(check_handles(&h).unwrap(), [12, 5, 5, 5]);
    append(&f, 12, 20);
    f.flush().unwrap();
    r.refresh().unwrap();
    assert_eq!(check_handles(&h).unwrap(), [20; 4]);
    f.close().unwrap();
}

/// A SWMR read that meets a structure whose checksum does not match reads again: it succeeds
/// once the structure is whole, and fails with a clear error when it never is.
#[test]
fn a_read_meeting_a_bad_checksum_retries_then_gives_up() {
    let p = tmp("torn.h5");
    let f = create(&p);
    append(&f, 0, 9);
    let header = f.dataset("/t").unwrap().snapshot().unwrap().address();
    f.close().unwrap();
    let bytes = std::fs::read(&p).unwrap();
    let at = header as usize + 20;
    let mut torn = bytes.clone();
    torn[at] ^= 0xff;
    std::fs::write(&p, &torn).unwrap();
    // Mended 30 ms later by another thread, as a writer finishes its write.
    let r = File::open_swmr(&p).unwrap();
    let before = h5kit::swmr::retry_count();
    let (q, whole) = (p.clone(), bytes.clone());
    let mender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        let f = std::fs::OpenOptions::new().write(true).open(&q).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &whole[at..at + 1], at as u64).unwrap();
    });
    assert_eq!(check_h5kit(&r).unwrap(), [9; 4]);
    mender.join().unwrap();
    assert!(h5kit::swmr::retry_count() > before, "no retry");
    // Never mended: a bounded number of attempts, then the error says so.
    std::fs::write(&p, &torn).unwrap();
    let r = File::open_swmr(&p).unwrap();
    let start = Instant::now();
    let e = r.dataset("/t").and_then(|d| d.read::<f64>()).unwrap_err();
    assert!(e.to_string().contains("still failing after 40 attempts"), "{}", e);
    assert!(e.to_string().contains("checksum"), "{}", e);
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    // A file opened without SWMR fails at once.
    let e = File::open(&p).unwrap().dataset("/t").and_then(|d| d.read::<f64>()).unwrap_err();
    assert!(!e.to_string().contains("attempts"), "{}", e);
}

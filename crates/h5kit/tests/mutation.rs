//! Deterministic mutation sweep: the damaged-file guarantee.
//!
//! Every interop file (`tests/data/interop/*/`) and every other fixture under the workspace's
//! `tests/data/` and `crates/*/tests/data/` is damaged in many seeded
//! ways (bit flips in the first 4 KiB, bit flips anywhere, runs overwritten with 0x00 / 0xFF /
//! random bytes, truncation). Each mutant is opened from bytes with conservative [`Limits`] and
//! walked completely (links, objects by address with a visited set, attributes, small
//! datasets' `read_raw()`, `storage_size()`, variable-length global heap objects). Every call
//! may return `Ok` or `Err`; the test fails on any panic and on any mutant slower than the
//! time budget (a hang).
//!
//! - `H5KIT_MUTANTS=N` sets the mutants per file (default MUTANTS_SHORT, or MUTANTS_LONG = 200,
//!   the full sweep, under `H5KIT_LONG_TESTS=1`).
//! - `H5KIT_MUTANT_FILE=<substring> H5KIT_MUTANT_SEED=<seed>` replays one mutant (the failure
//!   report prints both).
//! - `H5KIT_MUTANT_BUDGET_SECS=<n>` changes the per-mutant time budget (default 10 s).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use h5kit::{File, Limits, LinkTarget, Object, TypeClass};
use h5kit_testkit::long;

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (SplitMix64): deterministic, no dependency.

#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// FNV-1a of a file name: gives every file its own seed space.
fn name_hash(name: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in name.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The seed of mutant `index` of the file called `name` (what the failure report prints).
fn mutant_seed(name: &str, index: u64) -> u64 {
    name_hash(name) ^ index.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

// ---------------------------------------------------------------------------------------------
// Mutations.

/// Damages `data` according to `seed`; returns a short description of what was done.
fn mutate(data: &mut Vec<u8>, seed: u64) -> String {
    let mut rng = Rng::new(seed);
    if data.is_empty() {
        return "empty".into();
    }
    let mut what = Vec::new();
    // One to four mutations stacked.
    let count = 1 + rng.below(4);
    for _ in 0..count {
        if data.is_empty() {
            break;
        }
        let len = data.len();
        match rng.below(6) {
            0 => {
                // Bit flips in the first 4 KiB (superblock, root header, first B-tree/heaps).
                let n = 1 + rng.below(8);
                let span = len.min(4096);
                for _ in 0..n {
                    let at = rng.below(span);
                    if let Some(b) = data.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
                what.push(format!("{} flips in first 4K", n));
            }
            1 => {
                // Bit flips anywhere.
                let n = 1 + rng.below(16);
                for _ in 0..n {
                    let at = rng.below(len);
                    if let Some(b) = data.get_mut(at) {
                        *b ^= 1 << rng.below(8);
                    }
                }
                what.push(format!("{} flips anywhere", n));
            }
            2 | 3 => {
                // A run overwritten with 0x00, 0xFF or random bytes.
                let at = if rng.below(2) == 0 { rng.below(len.min(4096)) } else { rng.below(len) };
                let max_run = if rng.below(4) == 0 { 256 } else { 9 };
                let run = 1 + rng.below(max_run);
                let fill = rng.below(3);
                for i in at..(at + run).min(len) {
                    let v = match fill {
                        0 => 0x00,
                        1 => 0xFF,
                        _ => rng.next() as u8,
                    };
                    if let Some(b) = data.get_mut(i) {
                        *b = v;
                    }
                }
                what.push(format!("{} bytes at {} set to {}", run, at, ["0x00", "0xFF", "random"][fill]));
            }
            4 => {
                // Interesting integer values written over a field-sized window.
                let at = rng.below(len);
                let width = [1usize, 2, 4, 8][rng.below(4)];
                let v: u64 = match rng.below(6) {
                    0 => 0,
                    1 => u64::MAX,
                    2 => 1u64 << (8 * width - 1),
                    3 => (1u64 << (8 * width - 1)).wrapping_sub(1),
                    4 => len as u64 + rng.below(64) as u64,
                    _ => rng.next(),
                };
                for (i, byte) in v.to_le_bytes().iter().take(width).enumerate() {
                    if let Some(b) = data.get_mut(at + i) {
                        *b = *byte;
                    }
                }
                what.push(format!("u{} {:#x} at {}", width * 8, v, at));
            }
            _ => {
                // Truncation.
                let at = rng.below(len);
                data.truncate(at);
                what.push(format!("truncated at {}", at));
            }
        }
    }
    what.join(", ")
}

// ---------------------------------------------------------------------------------------------
// The walk: touch everything reachable, ignoring errors.

/// Datasets larger than this (claimed element count x element size) are not read.
const MAX_READ_BYTES: u64 = 4 << 20;
/// Objects visited per mutant at most (a damaged file may claim millions of links).
const MAX_OBJECTS: usize = 5_000;
/// Name lookups (`Group::link`, `Group::open` of soft links) per group at most: each lists the
/// group's links again, so doing it for every link is quadratic in the group size.
const MAX_LOOKUPS_PER_GROUP: usize = 16;

fn limits() -> Limits {
    Limits { max_alloc: 256 << 20, max_depth: 32, max_items: 1 << 20 }
}

struct Walk<'a> {
    file: &'a File,
    seen: HashSet<u64>,
    objects: usize,
    /// Successful `read_raw()` calls.
    reads: usize,
}

/// How far one mutant's walk got (to show the sweep reaches deep structures).
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    opened: u64,
    objects: u64,
    reads: u64,
}

impl Walk<'_> {
    fn object(&mut self, obj: &Object, depth: u32) {
        self.objects += 1;
        let _ = obj.comment();
        if let Ok(attrs) = obj.attributes() {
            for a in &attrs {
                let _ = a.read::<f64>();
                let _ = a.read::<i64>();
                let _ = a.read_strings();
                let _ = a.read_vlen();
                self.vlen(&a.datatype.class, &a.data);
            }
        }
        match obj {
            Object::Group(g) => {
                let _ = g.keys();
                let Ok(links) = g.links() else { return };
                for (i, link) in links.into_iter().enumerate() {
                    if self.objects >= MAX_OBJECTS {
                        return;
                    }
                    let lookup = i < MAX_LOOKUPS_PER_GROUP;
                    if lookup {
                        let _ = g.link(&link.name);
                    }
                    match &link.target {
                        LinkTarget::Hard { address } => {
                            if !self.seen.insert(*address) || depth > 64 {
                                continue;
                            }
                            let path = format!("{}/{}", g.path().trim_end_matches('/'), link.name);
                            if let Ok(child) = self.file.object_at(*address, &path) {
                                self.object(&child, depth + 1);
                            }
                        }
                        _ if !lookup => {}
                        LinkTarget::Soft { .. } => {
                            // Resolution must terminate (loops, dangling targets).
                            if let Ok(child) = g.open(&link.name) {
                                if self.seen.insert(child.address()) && depth <= 64 {
                                    self.object(&child, depth + 1);
                                }
                            }
                        }
                        _ => {
                            let _ = g.open(&link.name);
                        }
                    }
                }
            }
            Object::Dataset(d) => {
                let _ = d.storage_size();
                let _ = d.virtual_mappings();
                let _ = d.data_offset();
                let size = d.dataspace().element_count().and_then(|n| n.checked_mul(d.datatype().size as u64));
                if matches!(size, Some(s) if s <= MAX_READ_BYTES) {
                    if let Ok(raw) = d.read_raw() {
                        self.reads += 1;
                        self.vlen(&d.datatype().class, &raw);
                    }
                    let _ = d.read::<f64>();
                    let _ = d.read_strings();
                    let _ = d.read_vlen();
                    if let Some(dims) = Some(d.shape()).filter(|s| !s.is_empty()) {
                        let start: Vec<u64> = dims.iter().map(|&n| n / 2).collect();
                        let count: Vec<u64> = dims.iter().map(|&n| n - n / 2).collect();
                        let _ = d.read_raw_selection(&h5kit::Hyperslab::new(&start, &count));
                    }
                }
            }
            Object::Datatype(t) => {
                let _ = t.datatype();
            }
        }
    }

    /// Follows the first few variable-length references (length u32, collection address,
    /// index u32) into the global heap.
    fn vlen(&mut self, class: &TypeClass, data: &[u8]) {
        if !matches!(class, TypeClass::VarLenSequence { .. } | TypeClass::VarLenString { .. }) {
            return;
        }
        let offset = self.file.superblock().sizes.offset as usize;
        let step = 8 + offset;
        for chunk in data.chunks_exact(step).take(8) {
            let mut addr = [0u8; 8];
            if let (Some(a), Some(i)) = (chunk.get(4..4 + offset), chunk.get(4 + offset..8 + offset)) {
                addr[..offset].copy_from_slice(a);
                let index = u32::from_le_bytes([i[0], i[1], i[2], i[3]]);
                let _ = self.file.global_heap_object(u64::from_le_bytes(addr), index);
            }
        }
    }
}

/// Opens `data` and walks everything. Errors are expected; only panics and hangs matter.
fn open_and_walk(data: Vec<u8>) -> Stats {
    let storage = Box::new(h5kit_core_mem(data));
    let Ok(file) = File::from_storage(storage, "<mutant>".into(), limits()) else { return Stats::default() };
    let _ = file.superblock();
    let root = match file.root() {
        Ok(r) => Object::Group(r),
        Err(_) => {
            // The root may be damaged; still try the root address as any object.
            match file.object_at(file.superblock().root_object_header_address, "/") {
                Ok(o) => o,
                Err(_) => return Stats { opened: 1, ..Stats::default() },
            }
        }
    };
    let mut walk = Walk { file: &file, seen: HashSet::new(), objects: 0, reads: 0 };
    walk.seen.insert(root.address());
    walk.object(&root, 0);
    Stats { opened: 1, objects: walk.objects as u64, reads: walk.reads as u64 }
}

fn h5kit_core_mem(data: Vec<u8>) -> h5kit_core::MemStorage {
    h5kit_core::MemStorage::new(data)
}

// ---------------------------------------------------------------------------------------------
// Panic capture: the message and location of a panic in a mutant thread, without noise.

thread_local! {
    static CAPTURING: RefCell<bool> = const { RefCell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn install_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(|c| *c.borrow()) {
                let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
                    (*s).to_string()
                } else if let Some(s) = info.payload().downcast_ref::<String>() {
                    s.clone()
                } else {
                    "<non-string panic>".to_string()
                };
                let loc = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("{} at {}", msg, loc)));
            } else {
                default(info);
            }
        }));
    });
}

enum Outcome<T> {
    Ok(Duration, T),
    Panic(String),
    Hang,
}

/// Runs one mutant on its own thread, under `catch_unwind`, with a time budget.
fn run_mutant(data: Vec<u8>, budget: Duration) -> Outcome<Stats> {
    run_guarded(move || open_and_walk(data), budget)
}

/// Runs `f` on its own thread under `catch_unwind`; a panic or a run over `budget` is reported.
fn run_guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static, budget: Duration) -> Outcome<T> {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new().stack_size(16 << 20).spawn(move || {
        CAPTURING.with(|c| *c.borrow_mut() = true);
        let start = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let elapsed = start.elapsed();
        let r = r.map_err(|_| LAST_PANIC.with(|p| p.borrow_mut().take()).unwrap_or_else(|| "<unknown panic>".into()));
        let _ = tx.send((elapsed, r));
    });
    if spawned.is_err() {
        return Outcome::Panic("could not spawn the mutant thread".into());
    }
    match rx.recv_timeout(budget) {
        Ok((_, Err(msg))) => Outcome::Panic(msg),
        Ok((elapsed, Ok(_))) if elapsed > budget => Outcome::Hang,
        Ok((elapsed, Ok(v))) => Outcome::Ok(elapsed, v),
        // The thread is left running (it cannot be killed); the test fails anyway.
        Err(_) => Outcome::Hang,
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs.

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn is_hdf5_name(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("h5" | "hdf5" | "nc" | "he5"))
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: u32) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && depth < 4 {
            collect(&p, out, depth + 1);
        } else if p.is_file() && is_hdf5_name(&p) {
            out.push(p);
        }
    }
}

fn interop_dir() -> PathBuf {
    workspace_root().join("tests/data/interop")
}

fn interop_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    collect(&interop_dir(), &mut out, 0);
    out
}

fn fixture_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut out = Vec::new();
    collect(&root.join("tests/data"), &mut out, 0);
    // the interop files have their own test
    out.retain(|p| !p.starts_with(interop_dir()));
    if let Ok(rd) = std::fs::read_dir(root.join("crates")) {
        let mut crates: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        crates.sort();
        for c in crates {
            collect(&c.join("tests/data"), &mut out, 0);
        }
    }
    // Regression inputs saved by the fuzzers and this sweep.
    collect(&root.join("tests/robustness"), &mut out, 0);
    out
}

/// Mutants per file of the default run, and of the full sweep (`H5KIT_LONG_TESTS=1`).
const MUTANTS_SHORT: u64 = 40;
const MUTANTS_LONG: u64 = 200;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Sweeps `files`; returns (mutants run, failure lines, totals of the walks, files whose
/// unmodified walk visited no object).
fn sweep(files: &[PathBuf]) -> (u64, Vec<String>, Stats, Vec<String>) {
    install_hook();
    let per_file = env_u64("H5KIT_MUTANTS").unwrap_or(long::pick(MUTANTS_SHORT, MUTANTS_LONG));
    let budget = Duration::from_secs(env_u64("H5KIT_MUTANT_BUDGET_SECS").unwrap_or(10));
    let only_file = std::env::var("H5KIT_MUTANT_FILE").ok();
    let only_seed = env_u64("H5KIT_MUTANT_SEED");
    let mut failures = Vec::new();
    let mut run = 0u64;
    let mut slowest = (Duration::ZERO, String::new());
    let mut total = Stats::default();
    let mut unwalkable = Vec::new();
    for path in files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?").to_string();
        if let Some(f) = &only_file {
            if !path.to_string_lossy().contains(f.as_str()) {
                continue;
            }
        }
        let Ok(original) = std::fs::read(path) else { continue };
        // The undamaged file first (seed "none"): it must not panic either.
        let seeds: Vec<Option<u64>> = match only_seed {
            Some(s) => vec![Some(s)],
            None => std::iter::once(None).chain((0..per_file).map(|i| Some(mutant_seed(&name, i)))).collect(),
        };
        for seed in seeds {
            let mut data = original.clone();
            let what = match seed {
                Some(s) => mutate(&mut data, s),
                None => "unmodified".into(),
            };
            run += 1;
            let seed_text = seed.map(|s| s.to_string()).unwrap_or_else(|| "none".into());
            match run_mutant(data, budget) {
                Outcome::Ok(t, stats) => {
                    if t > slowest.0 {
                        slowest = (t, format!("{} seed {}", name, seed_text));
                    }
                    if seed.is_none() && stats.objects == 0 {
                        unwalkable.push(name.clone());
                    }
                    total.opened += stats.opened;
                    total.objects += stats.objects;
                    total.reads += stats.reads;
                }
                Outcome::Panic(msg) => failures.push(format!(
                    "PANIC file {} seed {} ({}): {}\n  replay: H5KIT_MUTANT_FILE={} H5KIT_MUTANT_SEED={} cargo test -p h5kit --test mutation",
                    path.display(), seed_text, what, msg, name, seed_text
                )),
                Outcome::Hang => failures.push(format!(
                    "HANG (> {:?}) file {} seed {} ({})\n  replay: H5KIT_MUTANT_FILE={} H5KIT_MUTANT_SEED={} cargo test -p h5kit --test mutation",
                    budget, path.display(), seed_text, what, name, seed_text
                )),
            }
        }
    }
    eprintln!(
        "mutation sweep: {} files, {} runs ({} opened, {} objects walked, {} datasets read), slowest {:?} ({})",
        files.len(), run, total.opened, total.objects, total.reads, slowest.0, slowest.1
    );
    (run, failures, total, unwalkable)
}

fn report(kind: &str, files: &[PathBuf]) {
    assert!(!files.is_empty(), "{}: no input files found", kind);
    if !long::enabled() && std::env::var("H5KIT_MUTANTS").is_err() {
        h5kit_testkit::say(&format!(
            "skipped (long test, set H5KIT_LONG_TESTS=1 to run it): the full mutation sweep of the {} files ({} mutants per file; this run: {})",
            kind, MUTANTS_LONG, MUTANTS_SHORT
        ));
    }
    let (run, failures, total, unwalkable) = sweep(files);
    // The sweep must reach past the superblock: most mutants open, and the undamaged files walk.
    if std::env::var("H5KIT_MUTANT_SEED").is_err() {
        assert!(total.opened * 2 > run, "{}: only {} of {} mutants opened", kind, total.opened, run);
        assert!(total.objects > run, "{}: only {} objects walked in {} mutants", kind, total.objects, run);
        assert!(total.reads > 0, "{}: no dataset was read", kind);
        assert!(unwalkable.len() * 4 < files.len(), "{}: undamaged files that do not walk: {:?}", kind, unwalkable);
    }
    if !failures.is_empty() {
        let mut msg = format!("{}: {} of {} mutants failed:\n", kind, failures.len(), run);
        for f in &failures {
            msg.push_str(f);
            msg.push('\n');
        }
        // Keep the report readable: the first lines suffice to reproduce.
        if msg.len() > 20_000 {
            msg.truncate(20_000);
            msg.push_str("\n...");
        }
        panic!("{}", msg);
    }
}

#[test]
fn mutants_of_interop_files_never_panic_or_hang() {
    report("interop", &interop_files());
}

#[test]
fn mutants_of_fixtures_never_panic_or_hang() {
    report("fixtures", &fixture_files());
}

#[test]
fn mutator_is_deterministic_and_damages() {
    let original: Vec<u8> = (0..10_000u32).map(|i| (i * 7) as u8).collect();
    let mut changed = 0;
    for i in 0..50 {
        let s = mutant_seed("x.h5", i);
        let (mut a, mut b) = (original.clone(), original.clone());
        let wa = mutate(&mut a, s);
        let wb = mutate(&mut b, s);
        assert_eq!(a, b);
        assert_eq!(wa, wb);
        if a != original {
            changed += 1;
        }
    }
    // A flip can be undone by a second flip, a run can write the same bytes: nearly all change.
    assert!(changed >= 45, "only {} of 50 mutants differ from the original", changed);
}

#[test]
fn harness_reports_panics_and_hangs() {
    install_hook();
    let budget = Duration::from_millis(300);
    match run_guarded(|| panic!("boom {}", 42), budget) {
        Outcome::Panic(msg) => {
            assert!(msg.starts_with("boom 42 at "), "{}", msg);
            assert!(msg.contains("mutation.rs:"), "{}", msg);
        }
        _ => panic!("a panic was not reported"),
    }
    let v: Vec<u8> = Vec::new();
    match run_guarded(move || { std::hint::black_box(v[3]); }, budget) {
        Outcome::Panic(msg) => assert!(msg.contains("index out of bounds"), "{}", msg),
        _ => panic!("an indexing panic was not reported"),
    }
    assert!(matches!(run_guarded(|| std::thread::sleep(Duration::from_secs(2)), budget), Outcome::Hang));
    assert!(matches!(run_guarded(|| 7, budget), Outcome::Ok(_, 7)));
    // Empty input: opening fails cleanly.
    assert!(matches!(run_mutant(Vec::new(), budget), Outcome::Ok(_, Stats { opened: 0, .. })));
}

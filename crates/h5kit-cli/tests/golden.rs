//! Golden tests of the `h5` binary against the output of libhdf5's own tools (h5dump / h5ls
//! 1.10.8), recorded by `tests/make_goldens.sh` under `tests/golden/`.
//!
//! For each mode (`-H`, `-p -H`, `-n`, full dump, `ls -r`) and each file of the manifest
//! (`tests/golden/manifest.tsv`: interop files, generated fixtures, the README sample), the built
//! `h5` runs from inside the file's directory with the bare file name, exactly like
//! `cd DIR && h5dump -H NAME`, and its stdout and exit status are compared byte for byte with
//! the golden.
//!
//! Ratchet: `tests/golden/expected_pass/<mode>.txt` lists the files that must match (one
//! `group/file` key a line, `#` comments). A listed file that does not match fails the test,
//! with a diff of the first differing lines. Files that match but are not listed are printed
//! (and written to `$CARGO_TARGET_TMPDIR/golden_<mode>_newly_matching.txt`) so they can be added;
//! `H5KIT_GOLDEN_BLESS=1` appends them to the list itself (never removes anything).
//!
//! Whatever the lists say, a crash of `h5` (Rust panic = exit code 101, or killed by a signal)
//! or a hang (over 60 s) on any file fails the test.
//!
//! Environment:
//! - `H5KIT_LIVE_H5DUMP=1`: compare against live `h5dump`/`h5ls` output (when on PATH) instead
//!   of the goldens.
//! - `H5KIT_GOLDEN_FILTER=substr`: only files whose key contains `substr`.
//! - `H5KIT_GOLDEN_VERBOSE=1`: print the diff of every mismatch, listed or not.
//!
//! The one-line summaries (`golden H: N of M files match ...`) and the newly matching files are
//! written to stderr directly, so they show in every `cargo test` log; `-- --nocapture` adds the
//! skipped files and (with `H5KIT_GOLDEN_VERBOSE=1`) the diffs of unlisted mismatches.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use h5kit_testkit::oracle;

const H5: &str = env!("CARGO_BIN_EXE_h5");
const TIMEOUT: Duration = Duration::from_secs(60);

struct Mode {
    name: &'static str,
    h5_args: &'static [&'static str],
    tool: &'static str,
    tool_args: &'static [&'static str],
}

const MODES: [Mode; 5] = [
    Mode { name: "H", h5_args: &["dump", "-H"], tool: "h5dump", tool_args: &["-H"] },
    Mode { name: "pH", h5_args: &["dump", "-p", "-H"], tool: "h5dump", tool_args: &["-p", "-H"] },
    Mode { name: "n", h5_args: &["dump", "-n"], tool: "h5dump", tool_args: &["-n"] },
    Mode { name: "full", h5_args: &["dump"], tool: "h5dump", tool_args: &[] },
    Mode { name: "ls", h5_args: &["ls", "-r"], tool: "h5ls", tool_args: &["-r"] },
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn golden_root() -> PathBuf {
    repo_root().join("tests").join("golden")
}

/// Directory holding the file of a manifest key (`interop/jhdf/x.hdf5`, `generated/x.h5`,
/// `data/sample.h5`, `data/vds/x.h5` = tests/data/vds/x.h5).
fn file_dir(key: &str) -> Option<(PathBuf, String)> {
    let (group, name) = key.rsplit_once('/')?;
    let dir = if group.starts_with("interop/") {
        repo_root().join("tests").join("data").join(group)
    } else if group == "generated" {
        repo_root().join("tests").join("data").join("generated")
    } else if group == "data" || group.starts_with("data/") {
        repo_root().join("tests").join(group)
    } else {
        return None;
    };
    Some((dir, name.to_string()))
}

/// One manifest entry for a mode: the file key and the expected exit status (None = skipped).
struct Entry {
    key: String,
    status: Option<i32>,
}

fn manifest(mode: &str) -> Vec<Entry> {
    let path = golden_root().join("manifest.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let filter = std::env::var("H5KIT_GOLDEN_FILTER").unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut parts = line.split('\t');
        let (Some(key), Some(m), Some(st)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if m != mode || !key.contains(filter.as_str()) {
            continue;
        }
        let status = if st == "skip" {
            None
        } else {
            Some(st.parse().unwrap_or_else(|_| panic!("bad status in manifest line {line:?}")))
        };
        out.push(Entry { key: key.to_string(), status });
    }
    out
}

fn expected_pass(mode: &str) -> BTreeSet<String> {
    let path = golden_root().join("expected_pass").join(format!("{mode}.txt"));
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

struct RunOutput {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: Option<ExitStatus>, // None: timed out (killed)
}

/// Runs `program args... name` inside `dir` with a timeout, capturing stdout and stderr.
fn run(program: &str, args: &[&str], dir: &Path, name: &str) -> std::io::Result<RunOutput> {
    let mut child = Command::new(program)
        .args(args)
        .arg(name)
        .current_dir(dir)
        .env_remove("HDF5_PLUGIN_PATH")
        .env("LC_ALL", "C")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = out_pipe.as_mut() {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = err_pipe.as_mut() {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break Some(st);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(RunOutput { stdout, stderr, status })
}

/// A unified-style diff of the first differing lines (a few lines of context, at most ~12
/// lines of each side).
fn first_diff(expected: &[u8], actual: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.split_inclusive('\n').collect();
    let al: Vec<&str> = a.split_inclusive('\n').collect();
    let first = el.iter().zip(al.iter()).take_while(|(x, y)| x == y).count();
    let ctx_start = first.saturating_sub(3);
    let mut s = format!(
        "@@ -{},{} +{},{} @@ (first difference at line {})\n",
        ctx_start + 1,
        el.len().saturating_sub(ctx_start),
        ctx_start + 1,
        al.len().saturating_sub(ctx_start),
        first + 1
    );
    for line in &el[ctx_start..first] {
        s.push_str(&format!(" {}", show(line)));
    }
    for line in el.iter().skip(first).take(12) {
        s.push_str(&format!("-{}", show(line)));
    }
    if el.len() > first + 12 {
        s.push_str(&format!("-... ({} more expected lines)\n", el.len() - first - 12));
    }
    for line in al.iter().skip(first).take(12) {
        s.push_str(&format!("+{}", show(line)));
    }
    if al.len() > first + 12 {
        s.push_str(&format!("+... ({} more actual lines)\n", al.len() - first - 12));
    }
    s
}

fn show(line: &str) -> String {
    if line.ends_with('\n') {
        line.to_string()
    } else {
        format!("{line}\n\\ No newline at end of output\n")
    }
}

enum Outcome {
    Match,
    Mismatch(String),
    /// Crash or hang: always a failure.
    Crash(String),
    /// Could not compare (missing file, live tool failed to run): reported, not a failure.
    Skipped(String),
}

fn check_one(mode: &Mode, entry: &Entry, live: bool) -> Outcome {
    let Some((dir, name)) = file_dir(&entry.key) else {
        return Outcome::Skipped(format!("unknown group in key {}", entry.key));
    };
    if !dir.join(&name).is_file() {
        return Outcome::Skipped(format!("{} not found", dir.join(&name).display()));
    }
    let Some(expected_status) = entry.status else {
        return Outcome::Skipped("output over 1 MB, not recorded".to_string());
    };
    let (expected, expected_status) = if live {
        match run(mode.tool, mode.tool_args, &dir, &name) {
            Ok(RunOutput { stdout, status: Some(st), .. }) => (stdout, st.code().unwrap_or(-1)),
            Ok(_) => return Outcome::Skipped(format!("live {} timed out", mode.tool)),
            Err(e) => return Outcome::Skipped(format!("live {} failed to run: {e}", mode.tool)),
        }
    } else {
        let path = golden_root().join(format!("{}.{}.txt", entry.key, mode.name));
        match std::fs::read(&path) {
            Ok(bytes) => (bytes, expected_status),
            Err(e) => return Outcome::Skipped(format!("golden {} unreadable: {e}", path.display())),
        }
    };
    let out = match run(H5, mode.h5_args, &dir, &name) {
        Ok(o) => o,
        Err(e) => return Outcome::Crash(format!("cannot run {H5}: {e}")),
    };
    let stderr_tail = || {
        let s = String::from_utf8_lossy(&out.stderr);
        let s: String = s.chars().take(1500).collect();
        s
    };
    let Some(status) = out.status else {
        return Outcome::Crash(format!("h5 {} hung (over {TIMEOUT:?}), killed", mode.h5_args.join(" ")));
    };
    match status.code() {
        None => {
            return Outcome::Crash(format!("h5 killed by a signal ({status}); stderr:\n{}", stderr_tail()))
        }
        Some(101) => return Outcome::Crash(format!("h5 panicked (exit 101); stderr:\n{}", stderr_tail())),
        Some(_) => {}
    }
    let code = status.code().unwrap_or(-1);
    if out.stdout == expected && code == expected_status {
        return Outcome::Match;
    }
    let mut msg = String::new();
    if code != expected_status {
        msg.push_str(&format!("exit status {code}, expected {expected_status}\n"));
    }
    if out.stdout != expected {
        msg.push_str(&first_diff(&expected, &out.stdout));
    }
    Outcome::Mismatch(msg)
}

fn golden_mode(mode_name: &str) {
    let Some(mode) = MODES.iter().find(|m| m.name == mode_name) else {
        panic!("unknown mode {mode_name}");
    };
    let live_wanted = std::env::var("H5KIT_LIVE_H5DUMP").is_ok_and(|v| v == "1");
    let verbose = std::env::var("H5KIT_GOLDEN_VERBOSE").is_ok_and(|v| v == "1");
    let entries = manifest(mode.name);
    let live = live_wanted
        && oracle::check(mode.tool, entries.len() as u64, &format!("H5KIT_LIVE_H5DUMP=1: live `{} {}`", mode.tool, mode.tool_args.join(" ")));
    if live_wanted && !live {
        println!("{}: H5KIT_LIVE_H5DUMP=1 but {} is not on PATH: using the goldens", mode.name, mode.tool);
    }
    let listed = expected_pass(mode.name);
    let results: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(entry) = entries.get(i) else { break };
                let outcome = check_one(mode, entry, live);
                results.lock().unwrap_or_else(|e| e.into_inner()).push((i, outcome));
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);

    let mut failures = Vec::new();
    let mut matched = 0usize;
    let mut compared = 0usize;
    let mut newly = Vec::new();
    let mut skipped = Vec::new();
    for (i, outcome) in &results {
        let key = &entries[*i].key;
        match outcome {
            Outcome::Match => {
                matched += 1;
                compared += 1;
                if !listed.contains(key) {
                    newly.push(key.clone());
                }
            }
            Outcome::Mismatch(diff) => {
                compared += 1;
                if listed.contains(key) {
                    failures.push(format!("{key}: listed in expected_pass/{}.txt but differs:\n{diff}", mode.name));
                } else if verbose {
                    println!("{key} ({}): differs:\n{diff}", mode.name);
                }
            }
            Outcome::Crash(msg) => {
                compared += 1;
                failures.push(format!("{key}: CRASH: {msg}"));
            }
            Outcome::Skipped(why) => skipped.push(format!("{key}: {why}")),
        }
    }
    let filtered = std::env::var("H5KIT_GOLDEN_FILTER").is_ok();
    for key in &listed {
        if !filtered && !entries.iter().any(|e| &e.key == key) {
            failures.push(format!("{key}: listed in expected_pass/{}.txt but not in the manifest", mode.name));
        }
    }
    let source = if live { "live tools" } else { "goldens" };
    // the oracle: live h5dump/h5ls, or their output recorded in tests/golden
    let oracle_name = if live { mode.tool.to_string() } else { format!("{}-recorded", mode.tool) };
    oracle::compared(&oracle_name, compared as u64);
    if !skipped.is_empty() {
        oracle::skipped(&oracle_name, skipped.len() as u64, &format!("mode {}: files not compared (see `-- --nocapture`)", mode.name));
    }
    // The summary goes straight to the process's stderr (not through the test harness's output
    // capture), so it shows in every `cargo test` log, CI included.
    let mut summary = format!(
        "golden {}: {matched} of {compared} files match ({source}; {} skipped, {} listed)\n",
        mode.name,
        skipped.len(),
        listed.len()
    );
    if !newly.is_empty() {
        summary.push_str(&format!(
            "golden {}: newly matching (add to tests/golden/expected_pass/{}.txt, or rerun with H5KIT_GOLDEN_BLESS=1):\n",
            mode.name, mode.name
        ));
        for k in &newly {
            summary.push_str(&format!("  {k}\n"));
        }
    }
    {
        use std::io::Write;
        let _ = std::io::stderr().lock().write_all(summary.as_bytes());
    }
    for s in &skipped {
        println!("  skipped {s}");
    }
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("golden_{}_newly_matching.txt", mode.name));
    let _ = std::fs::write(&tmp, newly.iter().map(|k| format!("{k}\n")).collect::<String>());
    if !newly.is_empty() && std::env::var("H5KIT_GOLDEN_BLESS").is_ok_and(|v| v == "1") {
        let path = golden_root().join("expected_pass").join(format!("{}.txt", mode.name));
        let mut all: BTreeSet<String> = listed.clone();
        all.extend(newly.iter().cloned());
        let header = format!(
            "# Files whose `h5 {}` output must match the golden byte for byte (ratchet: only add).\n",
            mode.h5_args.join(" ")
        );
        let body: String = all.iter().map(|k| format!("{k}\n")).collect();
        if let Err(e) = std::fs::write(&path, header + &body) {
            println!("cannot update {}: {e}", path.display());
        } else {
            println!("{}: added {} files to {}", mode.name, newly.len(), path.display());
        }
    }
    if !failures.is_empty() {
        panic!("{} golden failures in mode {}:\n\n{}", failures.len(), mode.name, failures.join("\n"));
    }
}

#[test]
fn golden_dump_header() {
    golden_mode("H");
}

#[test]
fn golden_dump_properties_header() {
    golden_mode("pH");
}

#[test]
fn golden_dump_contents() {
    golden_mode("n");
}

#[test]
fn golden_dump_full() {
    golden_mode("full");
}

#[test]
fn golden_ls_recursive() {
    golden_mode("ls");
}

#[test]
fn first_diff_shows_the_first_differing_line() {
    let d = first_diff(b"a\nb\nc\n", b"a\nB\nc\n");
    assert!(d.contains("first difference at line 2"), "{d}");
    assert!(d.contains("-b\n") && d.contains("+B\n"), "{d}");
    assert!(d.contains(" a\n"), "{d}");
}

#[test]
fn file_dir_maps_groups() {
    let (dir, name) = file_dir("interop/jhdf/test_file.hdf5").unwrap_or_else(|| panic!("no dir"));
    assert!(dir.ends_with("tests/data/interop/jhdf"), "{}", dir.display());
    assert_eq!(name, "test_file.hdf5");
    let (dir, _) = file_dir("data/vds/x.h5").unwrap_or_else(|| panic!("no dir"));
    assert!(dir.ends_with("tests/data/vds"), "{}", dir.display());
    assert!(file_dir("nowhere/x.h5").is_none());
}

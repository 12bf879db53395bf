//! Test-only helpers shared by the workspace's test suites (a dev-dependency only; no library
//! crate depends on it).
//!
//! - [`repo_root`], [`interop_dir`]: where the test inputs live (everything a test reads is in
//!   the repository: `tests/data/interop/{jhdf,pyfive}` holds the interop files).
//! - [`long`]: tests too slow or too memory-hungry for the default run go behind
//!   `H5KIT_LONG_TESTS=1` (`.ci/run` sets it); a skipped one says so on stderr.
//! - [`oracle`]: the checks against libhdf5's tools (h5dump, h5diff, h5ls, h5repack) and h5py
//!   count what they compared and what they skipped into a tally file that
//!   `scripts/oracle_summary.sh` sums up; under `H5KIT_REQUIRE_ORACLES=1` a missing oracle
//!   fails the test instead of skipping.

use std::path::PathBuf;

/// The workspace root (the directory holding `Cargo.lock`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// `tests/data/interop`: the files other HDF5 readers test with (`jhdf/`, `pyfive/`).
pub fn interop_dir() -> PathBuf {
    repo_root().join("tests").join("data").join("interop")
}

/// A file under [`interop_dir`], e.g. `interop("jhdf/test_file.hdf5")`.
pub fn interop(rel: &str) -> PathBuf {
    interop_dir().join(rel)
}

/// One line to the process's stderr, past libtest's output capture (which takes `eprintln!`
/// only), so that it shows in every `cargo test` log, not just with `--nocapture`.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(format!("{}\n", line).as_bytes());
}

fn env_is_1(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v.trim() == "1")
}

/// The running test as `binary::test` (libtest names each test's thread after the test).
pub fn test_name() -> String {
    // (no current_exe under WASI: the runner passes the .wasm path as argv[0])
    let exe = std::env::current_exe()
        .ok()
        .or_else(|| std::env::args_os().next().map(PathBuf::from))
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "?".to_string());
    // cargo names test binaries `<target>-<16 hex digits>`
    let bin = match exe.rsplit_once('-') {
        Some((b, h)) if h.len() == 16 && h.bytes().all(|c| c.is_ascii_hexdigit()) => b.to_string(),
        _ => exe,
    };
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("?");
    format!("{}::{}", bin, test).replace(char::is_whitespace, "_")
}

/// Long tests: `H5KIT_LONG_TESTS=1` runs them (CI does), otherwise they are skipped with a
/// line on stderr.
pub mod long {
    /// Whether `H5KIT_LONG_TESTS=1`.
    pub fn enabled() -> bool {
        super::env_is_1("H5KIT_LONG_TESTS")
    }

    /// Whether to run the long test or part described by `what`; when not, says so on stderr:
    /// `if !h5kit_testkit::long::run("repack of the 2^31-value file") { return; }`.
    pub fn run(what: &str) -> bool {
        if enabled() {
            return true;
        }
        super::say(&format!("skipped (long test, set H5KIT_LONG_TESTS=1 to run it): {} [{}]", what, super::test_name()));
        false
    }

    /// `long` under `H5KIT_LONG_TESTS=1`, else `short` (e.g. mutants per file).
    pub fn pick<T>(short: T, long: T) -> T {
        if enabled() {
            long
        } else {
            short
        }
    }
}

/// The oracles: libhdf5's command-line tools and h5py, run by tests to check h5kit's output.
///
/// Each check records `ORACLE <tool> compared|skipped <test> <count> [reason]` lines in the
/// tally file ([`oracle::tally_path`]); `scripts/oracle_summary.sh` prints the totals per tool.
/// Under `H5KIT_REQUIRE_ORACLES=1` (`.ci/run` sets it) a missing h5dump, h5diff, h5ls,
/// h5repack, h5py or hdf5plugin fails the test that wanted it. Under WASI no process can be
/// started: there the oracles are always skipped, never required.
pub mod oracle {
    use std::collections::HashMap;
    use std::io::Write;
    use std::path::PathBuf;
    use std::process::{Command, Stdio};
    use std::sync::{Mutex, OnceLock};

    pub const H5DUMP: &str = "h5dump";
    pub const H5LS: &str = "h5ls";
    pub const H5DIFF: &str = "h5diff";
    pub const H5REPACK: &str = "h5repack";
    /// python3 with h5py and numpy.
    pub const H5PY: &str = "h5py";
    /// python3 with hdf5plugin (the LZ4, Zstd, Blosc, bitshuffle filters for h5py and, through
    /// `HDF5_PLUGIN_PATH`, for the tools).
    pub const HDF5PLUGIN: &str = "hdf5plugin";
    /// python3 with kerchunk, zarr 2 and fsspec (reading `h5 refs` manifests).
    pub const KERCHUNK: &str = "kerchunk";
    /// libaec's `aec` tool (Debian libaec-tools): raw szip / AEC streams.
    pub const AEC: &str = "aec";
    /// python3 with fsspec's HTTP file system (aiohttp) and h5py: remote reads to compare with.
    pub const FSSPEC: &str = "fsspec";

    /// Whether `H5KIT_REQUIRE_ORACLES=1`.
    pub fn required() -> bool {
        super::env_is_1("H5KIT_REQUIRE_ORACLES")
    }

    fn probe(tool: &str) -> bool {
        let mut c = match tool {
            H5PY => {
                let mut c = Command::new("python3");
                c.args(["-c", "import h5py, numpy"]);
                c
            }
            HDF5PLUGIN => {
                let mut c = Command::new("python3");
                c.args(["-c", "import hdf5plugin"]);
                c
            }
            FSSPEC => {
                let mut c = Command::new("python3");
                c.args(["-c", "import fsspec, aiohttp, h5py, numpy"]);
                c
            }
            KERCHUNK => {
                let mut c = Command::new("python3");
                c.args(["-c", "import kerchunk.hdf, zarr, fsspec, h5py, hdf5plugin, imagecodecs.numcodecs, fastparquet"]);
                c
            }
            _ => {
                let mut c = Command::new(tool);
                c.arg("--version");
                c
            }
        };
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        c.status().map(|s| s.success()).unwrap_or(false)
    }

    /// Whether `tool` is installed (probed once per process).
    pub fn installed(tool: &str) -> bool {
        static CACHE: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        if let Ok(map) = cache.lock() {
            if let Some(&v) = map.get(tool) {
                return v;
            }
        }
        let v = probe(tool);
        if let Ok(mut map) = cache.lock() {
            map.insert(tool.to_string(), v);
        }
        v
    }

    /// Whether the test may use `tool` for `what`. When it is missing: under
    /// `H5KIT_REQUIRE_ORACLES=1` the test fails (panics) naming the tool; otherwise one line on
    /// stderr and `skipped` (count `skips`) in the tally.
    #[allow(clippy::panic)] // failing the calling test is the point
    #[track_caller]
    pub fn check(tool: &str, skips: u64, what: &str) -> bool {
        if installed(tool) {
            return true;
        }
        if cfg!(target_family = "wasm") {
            skipped(tool, skips, &format!("{}: no processes under WASI", what));
            return false;
        }
        if required() {
            panic!(
                "H5KIT_REQUIRE_ORACLES=1 but {} is not installed (needed for: {}); install it ({}) or unset H5KIT_REQUIRE_ORACLES",
                tool,
                what,
                install_hint(tool)
            );
        }
        skipped(tool, skips, &format!("{}: {} not installed", what, tool));
        false
    }

    /// How to install `tool` (Debian).
    pub fn install_hint(tool: &str) -> &'static str {
        match tool {
            H5PY | HDF5PLUGIN => "pip install h5py hdf5plugin numpy",
            KERCHUNK => "pip install kerchunk 'zarr<3' fsspec h5py hdf5plugin imagecodecs fastparquet",
            AEC => "apt-get install -y libaec-tools",
            FSSPEC => "pip install fsspec aiohttp h5py numpy",
            _ => "apt-get install -y hdf5-tools",
        }
    }

    /// Records `n` comparisons with `tool` by the running test.
    pub fn compared(tool: &str, n: u64) {
        record(tool, "compared", n, "");
    }

    /// Records `n` comparisons with `tool` the running test did not make, and says why on stderr.
    pub fn skipped(tool: &str, n: u64, why: &str) {
        super::say(&format!("oracle skipped: {} x{} in {}: {}", tool, n, super::test_name(), why));
        record(tool, "skipped", n, why);
    }

    /// The tally file: `$H5KIT_ORACLE_TALLY`, else `<repo>/target/oracle-tally/tally.txt`.
    pub fn tally_path() -> PathBuf {
        match std::env::var_os("H5KIT_ORACLE_TALLY") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => super::repo_root().join("target").join("oracle-tally").join("tally.txt"),
        }
    }

    fn record(tool: &str, kind: &str, n: u64, why: &str) {
        let path = tally_path();
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let why = why.replace(['\n', '\r'], " ");
        let line = format!("ORACLE {} {} {} {} {}\n", tool, kind, super::test_name(), n, why);
        // One write of one short line in append mode: concurrent tests do not interleave.
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&path);
        match file {
            Ok(mut f) => {
                if f.write_all(line.as_bytes()).is_err() {
                    eprintln!("oracle tally: cannot write {}", path.display());
                }
            }
            Err(e) => eprintln!("oracle tally: cannot open {}: {}", path.display(), e),
        }
    }
}

/// Writers killed mid-work: a child process (a test of the calling test binary, selected by
/// `--exact`) prints `flushed N` after each flush; the parent kills it (SIGKILL) a while
/// after it has flushed `target` times.
pub mod kill {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    /// Runs the test `child_test` of this test binary with `env`, kills it `pause` after its
    /// `target`-th flush (or after `limit`), and returns the last flush count it printed.
    #[allow(clippy::panic)] // failing the calling test is the point
    pub fn after_flushes(child_test: &str, env: &[(&str, &std::ffi::OsStr)], target: u64, pause: Duration, limit: Duration) -> Option<u64> {
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("no test binary: {}", e));
        let mut cmd = Command::new(exe);
        cmd.args(["--exact", child_test, "--nocapture", "--test-threads=1"]).stdout(Stdio::piped()).stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start {}: {}", child_test, e));
        let mut last = None;
        let start = Instant::now();
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("flushed ") {
                    last = n.trim().parse::<u64>().ok();
                    if last >= Some(target) || start.elapsed() > limit {
                        // The kill lands anywhere in what the child does next, flushes included.
                        std::thread::sleep(pause);
                        break;
                    }
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        last
    }
}

/// A fresh path `name` in this process's scratch directory for `tag` (`h5kit-TAG-PID` under
/// the system temporary directory, created if missing); a file left there by an earlier test
/// of the same name is removed.
pub fn temp_path(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("h5kit-{}-{}", tag, std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(name);
    let _ = std::fs::remove_file(&p);
    p
}

/// The inode of `path` (0 when it cannot be read): tests that a writer edited the file in
/// place rather than replacing it.
#[cfg(unix)]
pub fn inode(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).map(|m| m.ino()).unwrap_or(0)
}

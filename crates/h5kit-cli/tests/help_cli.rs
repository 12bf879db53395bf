//! The command line's help, version and completions (clap): every subcommand's help names its
//! options, usage errors exit 2, `--version` prints the crate version, and the completion
//! scripts mention every subcommand.

#![allow(clippy::unwrap_used)]

use std::process::Command;

fn h5(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_h5")).args(args).output().unwrap();
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned(), out.status.code())
}

const SUBCOMMANDS: &[&str] = &["dump", "ls", "repack", "bench", "completions"];

/// The jhdf interop files (the repository's `tests/data/interop/jhdf`).
fn jhdf_dir() -> std::path::PathBuf {
    h5kit_testkit::interop_dir().join("jhdf")
}

#[test]
fn top_level_help_lists_subcommands() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let (out, _, code) = h5(args);
        assert_eq!(code, Some(0), "h5 {:?}", args);
        assert!(out.contains("Usage: h5 <COMMAND>"), "{out}");
        for s in SUBCOMMANDS {
            assert!(out.contains(&format!("  {s}")), "h5 {:?} does not list {s}:\n{out}", args);
        }
    }
    // No arguments: the help, on stderr, as a usage error.
    let (_, err, code) = h5(&[]);
    assert_eq!(code, Some(2));
    assert!(err.contains("Usage: h5 <COMMAND>"), "{err}");
}

#[test]
fn version() {
    let (out, _, code) = h5(&["--version"]);
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), format!("h5 {}", env!("CARGO_PKG_VERSION")));
    let (out, _, code) = h5(&["-V"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("h5 "));
}

/// (subcommand, texts its help must contain)
const HELP: &[(&str, &[&str])] = &[
    (
        "dump",
        &[
            "Usage: h5 dump [OPTIONS] <FILE>...",
            "-H, --header",
            "-p, --properties",
            "-n, --contents",
            "-A, --onlyattr",
            "-y, --noindex",
            "-e, --escape",
            "-r, --string",
            "-d, --dataset <PATH>",
            "-g, --group <PATH>",
            "-a, --attribute <PATH>",
            "-w, --width <N>",
            "-m, --format <FMT>",
            "--json",
        ],
    ),
    ("ls", &["Usage: h5 ls [OPTIONS] <FILE>...", "-r, --recursive", "-v, --verbose", "-d, --data", "-l, --label", "-w, --width <N>"]),
    (
        "repack",
        &["Usage: h5 repack [OPTIONS] <IN> <OUT>", "-L, --latest", "-f, --filter <[OBJ:]FILTER>", "-l, --layout <[OBJ:]LAYOUT>", "--no-progress"],
    ),
    ("completions", &["Usage: h5 completions <SHELL>", "bash", "zsh", "fish"]),
];

#[test]
fn every_subcommand_has_help() {
    for (sub, texts) in HELP {
        for args in [vec!["help", sub], vec![sub, "--help"]] {
            let (out, _, code) = h5(&args);
            assert_eq!(code, Some(0), "h5 {:?}", args);
            for t in *texts {
                assert!(out.contains(t), "h5 {:?} lacks {t:?}:\n{out}", args);
            }
        }
    }
    // `h5 help bench` is clap's; `h5 bench --help` is bench's own usage (a pass-through).
    let (out, _, code) = h5(&["help", "bench"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Usage: h5 bench"), "{out}");
    let (out, _, code) = h5(&["bench", "--help"]);
    assert_eq!(code, Some(0));
    assert!(out.starts_with("usage: h5 bench DIR [--scale S]"), "{out}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [&["dump", "--bogus", "x.h5"][..], &["dump"], &["ls"], &["repack", "in.h5"], &["nosuchcommand"], &["completions", "tcsh"]] {
        let (out, err, code) = h5(args);
        assert_eq!(code, Some(2), "h5 {:?}: {err}", args);
        assert!(out.is_empty(), "h5 {:?} printed to stdout: {out}", args);
        assert!(err.contains("error:"), "h5 {:?}: {err}", args);
    }
    // A value h5dump would refuse is an error of the dump itself (exit 1), as before.
    let (_, err, code) = h5(&["dump", "-m", "bogus", "x.h5"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("h5dump error: bad float format"), "{err}");
    // A file that cannot be opened: exit 1.
    let (_, _, code) = h5(&["ls", "/nonexistent/file.h5"]);
    assert_eq!(code, Some(1));
}

#[test]
fn completions_mention_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let (out, _, code) = h5(&["completions", shell]);
        assert_eq!(code, Some(0), "h5 completions {shell}");
        for s in SUBCOMMANDS {
            assert!(out.contains(s), "{shell} completions lack {s}");
        }
        assert!(out.contains("header") && out.contains("dataset"), "{shell} completions lack dump's options");
    }
}

#[test]
fn combined_and_repeated_h5dump_flags() {
    let dir = jhdf_dir();
    if !dir.join("test_file.hdf5").exists() {
        eprintln!("help_cli: skipped the h5dump flag check (interop files not present)");
        return;
    }
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_h5")).args(args).current_dir(&dir).output().unwrap();
        (out.stdout, out.status.code())
    };
    let (a, ca) = run(&["dump", "-pH", "test_file.hdf5"]);
    let (b, cb) = run(&["dump", "-p", "-H", "test_file.hdf5"]);
    let (c, _) = run(&["dump", "--properties", "--header", "test_file.hdf5"]);
    assert_eq!((ca, cb), (Some(0), Some(0)));
    assert_eq!(a, b);
    assert_eq!(a, c);
    let (two, code) = run(&["dump", "-H", "-d", "/datasets_group/float/float32", "-d", "/nD_Datasets/3D_int32", "test_file.hdf5"]);
    assert_eq!(code, Some(0));
    let text = String::from_utf8_lossy(&two);
    let (p1, p2) = (text.find("float32").unwrap(), text.find("3D_int32").unwrap());
    assert!(p1 < p2, "the -d selections print in command-line order:\n{text}");
}

/// Progress is drawn only on a terminal: with stderr piped, `h5 repack` prints nothing there.
#[test]
fn repack_piped_shows_no_progress() {
    let dir = jhdf_dir();
    if !dir.join("test_file.hdf5").exists() {
        eprintln!("help_cli: skipped the repack progress check (interop files not present)");
        return;
    }
    let out_path = std::env::temp_dir().join(format!("h5kit-progress-{}.h5", std::process::id()));
    let src = dir.join("test_file.hdf5");
    let out = Command::new(env!("CARGO_BIN_EXE_h5")).arg("repack").arg(&src).arg(&out_path).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_file(&out_path);
}

//! `h5 dump --json` compared with h5tojson (pip package h5json 2.0.1) on the interop files, as
//! parsed JSON structures. h5tojson draws random object ids, so both sides are normalized the
//! same way (`tests/make_json_goldens.py` for the recorded goldens in `tests/golden_json/`,
//! [`normalize`] here): ids replaced by the object's first alias, collections keyed by alias,
//! link `created` times dropped, non-finite floats as strings.
//!
//! Ratchet: `tests/golden_json/known_failures.txt` lists `<group>__<file>` keys that do not
//! match yet; any other mismatch fails. `H5KIT_LIVE_H5TOJSON=1` runs h5tojson itself (when on
//! PATH; slow: minutes) on every interop file, including those too large for a golden.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

const H5: &str = env!("CARGO_BIN_EXE_h5");

/// The interop files (the repository's `tests/data/interop`).
fn interop_dir() -> PathBuf {
    h5kit_testkit::interop_dir()
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("golden_json")
}

/// Python's json writes bare `NaN`, `Infinity`, `-Infinity`: turn them into strings.
fn quote_nonfinite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_str = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if c == '"' {
            in_str = true;
        } else {
            let token = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t));
            if let Some(t) = token {
                out.push_str(&format!("\"{}\"", t));
                rest = &rest[t.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn fix(v: &Value, ids: &HashMap<String, String>) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                if k == "created" {
                    continue;
                }
                let x = match (k.as_str(), x) {
                    ("id", Value::String(s)) if ids.contains_key(s) => Value::String(ids[s].clone()),
                    _ => fix(x, ids),
                };
                out.insert(k.clone(), x);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fix(x, ids)).collect()),
        Value::String(s) => {
            for p in ["datasets/", "groups/", "datatypes/"] {
                if let Some(t) = s.strip_prefix(p) {
                    let t = ["d-", "g-", "t-"].iter().find_map(|q| t.strip_prefix(q)).unwrap_or(t);
                    if let Some(alias) = ids.get(t) {
                        return Value::String(format!("{}{}", p, alias));
                    }
                }
            }
            v.clone()
        }
        _ => v.clone(),
    }
}

/// The normalized form of an HDF5/JSON document (see the module comment).
fn normalize(doc: &Value) -> Value {
    let mut ids = HashMap::new();
    for coll in ["groups", "datasets", "datatypes"] {
        if let Some(Value::Object(m)) = doc.get(coll) {
            for (id, o) in m {
                if let Some(alias) = o.get("alias").and_then(|a| a.get(0)).and_then(Value::as_str) {
                    ids.insert(id.clone(), alias.to_string());
                }
            }
        }
    }
    let mut out = Map::new();
    for coll in ["groups", "datasets", "datatypes"] {
        let mut objs = Map::new();
        if let Some(Value::Object(m)) = doc.get(coll) {
            for o in m.values() {
                let alias = o.get("alias").and_then(|a| a.get(0)).and_then(Value::as_str).unwrap_or("").to_string();
                objs.insert(alias, fix(o, &ids));
            }
        }
        if !objs.is_empty() {
            out.insert(coll.to_string(), Value::Object(objs));
        }
    }
    let root = doc.get("root").and_then(Value::as_str).and_then(|r| ids.get(r)).cloned();
    out.insert("root".to_string(), root.map_or(Value::Null, Value::String));
    Value::Object(out)
}

fn parse(bytes: &[u8]) -> Option<Value> {
    serde_json::from_str(&quote_nonfinite(&String::from_utf8_lossy(bytes))).ok()
}

/// The first difference between two values, as a path.
fn first_diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(p), Some(q)) => first_diff(p, q, &format!("{}/{}", path, k)),
                (p, _) => Some(format!("{}/{}: only in {}", path, k, if p.is_some() { "h5tojson" } else { "h5" })),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_diff(p, q, &format!("{}[{}]", path, i)))
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => None,
        _ if a == b => None,
        _ => Some(format!("{}: {} != {}", path, a, b)),
    }
}

fn ours(file: &str, cwd: &Path) -> Option<Value> {
    let out = Command::new(H5).args(["dump", "--json", file]).current_dir(cwd).output().unwrap();
    assert!(out.status.code().is_some_and(|c| c != 101), "h5 dump --json {} crashed", file);
    parse(&out.stdout).map(|v| normalize(&v))
}

/// h5tojson's output for `path` (run in `tmp`, where it writes its log), or None when it fails
/// or takes over two minutes (it reads every element through numpy: 2^31 of them in
/// tiny_huge_1d_over_maxint.hdf5).
fn h5tojson(path: &Path, tmp: &Path) -> Option<Vec<u8>> {
    let out_path = tmp.join("h5tojson.out");
    let out_file = std::fs::File::create(&out_path).ok()?;
    let mut child = Command::new("h5tojson").arg(path).current_dir(tmp).stdout(out_file).stderr(std::process::Stdio::null()).spawn().ok()?;
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().ok()? {
            return if status.success() { std::fs::read(&out_path).ok() } else { None };
        }
        if start.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn known_failures() -> BTreeSet<String> {
    let text = std::fs::read_to_string(golden_dir().join("known_failures.txt")).unwrap_or_default();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

#[test]
fn json_matches_h5tojson() {
    let interop = interop_dir();
    if !interop.join("jhdf").is_dir() {
        eprintln!("json_cli: skipped ({} not present)", interop.display());
        return;
    }
    let live = std::env::var_os("H5KIT_LIVE_H5TOJSON").is_some();
    let have_tool = Command::new("h5tojson").arg("--help").output().is_ok_and(|o| o.status.success());
    if live && !have_tool {
        eprintln!("json_cli: h5tojson not on PATH, live comparison skipped; using the goldens");
    }
    let tmp = std::env::temp_dir().join(format!("h5kit-json-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // (key, group dir, file name, expected)
    let mut cases: Vec<(String, PathBuf, String, Option<Value>)> = Vec::new();
    if live && have_tool {
        for group in ["jhdf", "pyfive"] {
            let mut names: Vec<String> =
                std::fs::read_dir(interop.join(group)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            for name in names {
                let path = interop.join(group).join(&name);
                let expected = h5tojson(&path, &tmp).and_then(|text| parse(&text)).map(|v| normalize(&v));
                cases.push((format!("{}__{}", group, name), interop.join(group), name, expected));
            }
        }
    } else {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(golden_dir()).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for g in entries {
            let fname = g.file_name().unwrap().to_string_lossy().into_owned();
            let Some(key) = fname.strip_suffix(".json") else { continue };
            let Some((group, name)) = key.split_once("__") else { continue };
            let expected: Value = serde_json::from_str(&std::fs::read_to_string(&g).unwrap()).unwrap();
            cases.push((key.to_string(), interop.join(group), name.to_string(), Some(expected)));
        }
    }
    let known = known_failures();
    let (mut matched, mut compared) = (0, 0);
    let mut unexpected = Vec::new();
    let mut newly = Vec::new();
    for (key, dir, name, expected) in cases {
        let Some(expected) = expected else { continue };
        if !dir.join(&name).exists() {
            continue;
        }
        compared += 1;
        let got = ours(&name, &dir);
        let diff = match &got {
            Some(v) => first_diff(&expected, v, ""),
            None => Some("h5 printed no parsable JSON".to_string()),
        };
        match (diff, known.contains(&key)) {
            (None, true) => {
                matched += 1;
                newly.push(key)
            }
            (None, false) => matched += 1,
            (Some(_), true) => {}
            (Some(d), false) => unexpected.push(format!("{}: {}", key, d)),
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    eprintln!("json_cli: {} of {} files match h5tojson{}", matched, compared, if live && have_tool { " (live)" } else { "" });
    if !newly.is_empty() {
        eprintln!("json_cli: now matching, remove from known_failures.txt:\n  {}", newly.join("\n  "));
    }
    assert!(unexpected.is_empty(), "h5 dump --json differs from h5tojson on:\n  {}", unexpected.join("\n  "));
}

#[test]
fn nonfinite_tokens_are_quoted_outside_strings() {
    assert_eq!(quote_nonfinite("[NaN, -Infinity, \"NaN\", Infinity]"), "[\"NaN\", \"-Infinity\", \"NaN\", \"Infinity\"]");
}

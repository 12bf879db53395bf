#!/usr/bin/env python3
"""Regenerates tests/golden_json/: h5tojson's (pip package h5json) output for the interop
files, normalized for comparison with `h5 dump --json` (see json_cli.rs): object ids replaced
by the objects' first alias (path), collections keyed by alias, link `created` times
dropped, non-finite floats as the strings "NaN", "Infinity", "-Infinity".

Files whose h5tojson output exceeds 600 KB are left to the live mode (H5KIT_LIVE_H5TOJSON=1);
files h5tojson fails on (or takes over 60 s for) get no golden.

usage: tests/make_json_goldens.py [INTEROP_DIR]
"""
import json, math, os, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.normpath(os.path.join(here, "..", "..", ".."))
interop = sys.argv[1] if len(sys.argv) > 1 else (
    os.path.join(repo, "tests", "data", "interop")
    if os.path.isdir(os.path.join(repo, "tests", "data", "interop", "jhdf"))
    else os.path.join(repo, "..", "shared", "interop"))
out_dir = os.path.join(here, "golden_json")
LIMIT = 600_000


def norm(doc):
    idmap = {}
    for coll in ("groups", "datasets", "datatypes"):
        for k, v in doc.get(coll, {}).items():
            idmap[k] = v["alias"][0]

    def fix(x):
        if isinstance(x, dict):
            out = {}
            for k, v in x.items():
                if k == "created":
                    continue
                if k == "id" and isinstance(v, str) and v in idmap:
                    v = idmap[v]
                out[k] = fix(v)
            return out
        if isinstance(x, list):
            return [fix(i) for i in x]
        if isinstance(x, str):
            for p in ("datasets/", "groups/", "datatypes/"):
                if x.startswith(p):
                    t = x[len(p):]
                    if t[:2] in ("d-", "g-", "t-"):
                        t = t[2:]
                    if t in idmap:
                        return p + idmap[t]
            return x
        if isinstance(x, float) and not math.isfinite(x):
            return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
        return x

    out = {}
    for coll in ("groups", "datasets", "datatypes"):
        objs = {v["alias"][0]: fix(v) for v in doc.get(coll, {}).values()}
        if objs:
            out[coll] = objs
    out["root"] = idmap.get(doc.get("root"))
    return out


def main():
    os.makedirs(out_dir, exist_ok=True)
    for f in os.listdir(out_dir):
        if f.endswith(".json"):
            os.remove(os.path.join(out_dir, f))
    with tempfile.TemporaryDirectory() as tmp:  # h5tojson writes h5tojson.log into its cwd
        for group in ("jhdf", "pyfive"):
            for name in sorted(os.listdir(os.path.join(interop, group))):
                path = os.path.join(interop, group, name)
                try:
                    r = subprocess.run(["h5tojson", path], cwd=tmp, capture_output=True, timeout=60)
                except subprocess.TimeoutExpired:
                    print("timeout", group, name)
                    continue
                if r.returncode != 0 or not r.stdout:
                    print("h5tojson failed", group, name)
                    continue
                if len(r.stdout) > LIMIT:
                    print("live only (large)", group, name)
                    continue
                doc = norm(json.loads(r.stdout))
                with open(os.path.join(out_dir, f"{group}__{name}.json"), "w") as fh:
                    json.dump(doc, fh, sort_keys=True, indent=0)
                    fh.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""h5py's values for the tests/data subdirectories that tests/h5py_values.py does not cover
(vds/, v2x/, ...): writes tests/golden/values/data/<dir>/<file>.json with its dump_file().

Run: python3 tests/golden/values/dump_extra.py
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, TESTS)
import h5py_values  # noqa: E402

SKIP = {"generated", "bad", "interop"}  # generated, interop: covered by h5py_values.py itself; bad: h5py cannot open them


def main():
    n = 0
    for d in sorted(glob.glob(os.path.join(TESTS, "data", "*"))):
        if not os.path.isdir(d) or os.path.basename(d) in SKIP:
            continue
        group = "data/" + os.path.basename(d)
        for path in sorted(glob.glob(os.path.join(d, "*.h5"))):
            doc = h5py_values.dump_file(group, path)
            out = os.path.join(HERE, group, os.path.basename(path) + ".json")
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "w") as fh:
                json.dump(doc, fh, indent=1, sort_keys=True)
                fh.write("\n")
            n += 1
    print(f"wrote {n} value files", file=sys.stderr)


if __name__ == "__main__":
    main()

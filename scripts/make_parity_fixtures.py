#!/usr/bin/env python3
"""Makes tests/data/parity/: h5dump 1.10.8 printing quirks (goldens in tests/golden/data/parity).

- regions.h5: dataset region references of blocks, points, none and all selections in
  several orders (h5dump's spacing: `DATASET "p" {` / `"p"  {` for blocks, `"p"{` / `"p" {`
  for points, the line alone for none/all).
- enum_names.h5: enum members whose names need h5dump's escaping in data (quotes,
  backslash, ?, control characters, DEL), including h5dump's skip of the byte after each
  escape.
- fills.h5: big-endian and non-native fill values (-p -H).
"""
import sys

import h5py
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/parity"

with h5py.File(f"{out}/regions.h5", "w") as f:
    d = f.create_dataset("data", data=np.arange(36, dtype="<i4").reshape(6, 6))
    rt = h5py.regionref_dtype

    def sel(kind, p=None):
        sp = d.id.get_space()
        if kind == "points":
            sp.select_elements(np.array(p))
        elif kind == "none":
            sp.select_none()
        else:
            sp.select_all()
        return h5py.h5r.create(f.id, b"data", h5py.h5r.DATASET_REGION, sp)

    seqs = {
        "mixed": [d.regionref[0:1, 0:2], d.regionref[1:3, 2:4], sel("points", [[0, 0]]), sel("points", [[1, 1], [2, 2]]),
                  d.regionref[2:3, :], sel("none"), sel("points", [[3, 3]]), sel("all"), d.regionref[0:1, 0:1]],
        "points_first": [sel("points", [[0, 1]]), sel("points", [[0, 2]])],
        "none_first": [sel("none"), d.regionref[0:1, 0:1]],
        "strided": [d.regionref[0:6:2, 1:6:3]],
    }
    for name, seq in seqs.items():
        r = f.create_dataset(name, (len(seq),), dtype=rt)
        for i, x in enumerate(seq):
            r[i] = x

with h5py.File(f"{out}/enum_names.h5", "w") as f:
    names = ['q?m', 't\tb', 'a\x07v\x0b', 'del\x7f', 'cr\rx', 'ff\x0cbs\x08', 'pl"\'\\', 'd\'x', 'c\nn', 'plain']
    e = h5py.enum_dtype({n: i for i, n in enumerate(names)}, basetype="i1")
    f.create_dataset("enum", data=np.arange(len(names), dtype="i1"), dtype=e)
    f["enum"].attrs.create("attr", np.array([6, 7, 0], dtype="i1"), dtype=e)

with h5py.File(f"{out}/fills.h5", "w") as f:
    f.create_dataset("be_i4", (4,), dtype=">i4", fillvalue=7)
    f.create_dataset("be_f8", (4,), dtype=">f8", fillvalue=1.5)
    f.create_dataset("le_i2_chunked", (4,), dtype="<i2", fillvalue=-3, chunks=(2,))
    f.create_dataset("be_u2", (3,), dtype=">u2", fillvalue=65000)
    f.create_dataset("be_f4", (3,), dtype=">f4", fillvalue=-0.25)
print("wrote", out)

#!/usr/bin/env python3
"""1 GiB inputs for measuring `h5 repack` (issue 14): written by h5py (libhdf5), in slabs.

    python3 scripts/make_repack_inputs.py DIR

DIR/chunked_gzip.h5: /data float64 (16384, 8192), chunks (256, 512) (1 MiB), gzip 4.
DIR/contiguous.h5:   /data float64 (16384, 8192), contiguous.
Both also hold a group with an attribute and a small dataset. Values: a sine with a
row-dependent phase plus float32-precision noise (gzip keeps about two thirds).
"""
import sys, os
import numpy as np
import h5py

def slabs(rows=16384, cols=8192, step=1024):
    rng = np.random.default_rng(14)
    j = np.arange(cols, dtype=np.float64)
    for r0 in range(0, rows, step):
        i = np.arange(r0, r0 + step, dtype=np.float64)[:, None]
        noise = rng.random((step, cols), dtype=np.float32).astype(np.float64)
        yield r0, (np.sin(i * 0.01 + j * 0.001) + noise).astype(np.float32).astype(np.float64)

def make(path, **kw):
    with h5py.File(path, "w") as f:
        d = f.create_dataset("data", shape=(16384, 8192), dtype="f8", **kw)
        for r0, block in slabs():
            d[r0:r0 + block.shape[0]] = block
        g = f.create_group("meta")
        g.attrs["units"] = np.bytes_(b"metres")
        g.attrs["scale"] = np.float64(0.5)
        g.create_dataset("small", data=np.arange(100, dtype="i4"))

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
make(os.path.join(out, "chunked_gzip.h5"), chunks=(256, 512), compression="gzip", compression_opts=4)
make(os.path.join(out, "contiguous.h5"))

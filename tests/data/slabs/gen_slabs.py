#!/usr/bin/env python3
"""Fixture for crates/h5kit/tests/chunk_cache.rs: shuffled (and deflated) chunked datasets
with edge chunks, read back by hyperslab through the decoded-chunk cache, which keeps
shuffled chunks as byte planes and unshuffles only the elements a read copies.

Values follow formulas the test recomputes (exact in IEEE arithmetic):
  f64: ((i * 2654435761) % 1000003) / 7.0 - 5000.0      (i = row-major element index)
  i32: (i * 7919) % 100003 - 50000
  f32: float32(((i * 40503) % 65521) / 4.0 - 1000.0)
  u16: (i * 31337) % 65536
Run: python3 gen_slabs.py  (writes slabs.h5 beside it; h5py + numpy, libhdf5 2.x here)."""
import os
import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))


def idx(shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def f64(shape):
    return ((idx(shape) * 2654435761) % 1000003) / 7.0 - 5000.0


def i32(shape):
    return ((idx(shape) * 7919) % 100003 - 50000).astype("<i4")


def f32(shape):
    return (((idx(shape) * 40503) % 65521) / 4.0 - 1000.0).astype("<f4")


def u16(shape):
    return ((idx(shape) * 31337) % 65536).astype("<u2")


with h5py.File(os.path.join(here, "slabs.h5"), "w", libver="earliest") as f:
    kw = dict(shuffle=True, compression="gzip", compression_opts=4)
    f.create_dataset("f64_1d", data=f64((5000,)), chunks=(256,), **kw)
    f.create_dataset("i32_2d", data=i32((37, 23)), chunks=(8, 5), **kw)
    f.create_dataset("f32_shuffle_only", data=f32((20, 30)), chunks=(7, 7), shuffle=True)
    f.create_dataset("u16_fletcher", data=u16((1000,)), chunks=(96,), fletcher32=True, **kw)
    f.create_dataset("f64_3d", data=f64((5, 6, 7)), chunks=(2, 3, 4), **kw)
    # A dataset whose last chunk is never written: reads as the fill value.
    d = f.create_dataset("f64_partial", shape=(1000,), chunks=(100,), dtype="<f8", fillvalue=-1.5, **kw)
    d[:900] = f64((900,))

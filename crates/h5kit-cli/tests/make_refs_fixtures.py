"""Writes tests/data/refs/lz4_bitshuffle.h5: LZ4 (32004) and bitshuffle (32008: no
compression, LZ4, zstd) datasets written by h5py + hdf5plugin over several dtypes and chunk
shapes, with partial edge chunks, chunks whose element count is not a multiple of 8, a
fill value and unwritten chunks. `h5 refs` manifests of it are read through fsspec + zarr 2
(refs_check.py) and compared with h5py.

usage: python3 make_refs_fixtures.py OUT.h5
"""
import sys

import h5py
import hdf5plugin
import numpy as np


def main(out):
    rng = np.random.default_rng(32008)
    with h5py.File(out, "w") as f:
        cases = [
            ("f8", (30, 21), (16, 8)),
            ("<i4", (100,), (24,)),
            (">u2", (33, 17), (8, 5)),  # 40 elements per chunk, edge chunks on both dims
            ("i1", (250,), (64,)),
            ("f4", (20, 30), (7, 7)),  # 49 elements: not a multiple of 8
            ("<u8", (6, 9, 9), (4, 4, 2)),
        ]
        for dt, shape, chunks in cases:
            n = int(np.prod(shape))
            if np.dtype(dt).kind == "f":
                a = rng.normal(size=shape).astype(dt)
            else:
                info = np.iinfo(dt)
                a = rng.integers(max(info.min, -1000), min(info.max, 1000), size=n, endpoint=True).astype(dt).reshape(shape)
                a.flat[::7] = info.max  # some large values (all bits used)
            tag = np.dtype(dt).str.replace("<", "le").replace(">", "be").replace("|", "")
            c = "x".join(map(str, chunks))
            f.create_dataset(f"lz4/{tag}_{c}", data=a, chunks=chunks, **hdf5plugin.LZ4())
            f.create_dataset(f"bitshuffle/none/{tag}_{c}", data=a, chunks=chunks, **hdf5plugin.Bitshuffle(cname="none"))
            f.create_dataset(f"bitshuffle/lz4/{tag}_{c}", data=a, chunks=chunks, **hdf5plugin.Bitshuffle(cname="lz4"))
            if dt in ("<i4", "f4"):  # no codec: skipped with the reason (two are enough)
                f.create_dataset(f"bitshuffle/zstd/{tag}_{c}", data=a, chunks=chunks, **hdf5plugin.Bitshuffle(cname="zstd"))
        # small LZ4 blocks (several blocks per chunk, last one partial)
        a = np.arange(3000, dtype="<f8").reshape(100, 30)
        f.create_dataset("lz4/blocks_1000", data=a, chunks=(40, 30), **hdf5plugin.LZ4(nbytes=1000))
        f.create_dataset("bitshuffle/lz4/blocks_64", data=a, chunks=(40, 30), **hdf5plugin.Bitshuffle(nelems=64, cname="lz4"))
        f.create_dataset("bitshuffle/none/blocks_64", data=a, chunks=(40, 30), **hdf5plugin.Bitshuffle(nelems=64, cname="none"))
        # incompressible LZ4 blocks (stored raw by the LZ4 filter)
        r = rng.integers(0, 2**63, size=1100, dtype="<u8")
        f.create_dataset("lz4/random", data=r, chunks=(512,), **hdf5plugin.LZ4(nbytes=1024))
        f.create_dataset("bitshuffle/lz4/random", data=r, chunks=(512,), **hdf5plugin.Bitshuffle(cname="lz4"))
        # sparse: a fill value and unwritten chunks; shuffle before LZ4
        s = f.create_dataset("lz4/sparse", shape=(200, 200), chunks=(32, 32), dtype="i4", fillvalue=-7, shuffle=True, **hdf5plugin.LZ4())
        s[10:50, 100:180] = 5
        b = f.create_dataset("bitshuffle/lz4/sparse", shape=(200, 200), chunks=(32, 32), dtype="f4", fillvalue=1.5, **hdf5plugin.Bitshuffle(cname="lz4"))
        b[150:, :40] = -2.0


if __name__ == "__main__":
    main(sys.argv[1])

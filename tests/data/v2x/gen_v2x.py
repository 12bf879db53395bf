#!/usr/bin/env python3
"""Generates the HDF5 2.0 fixtures in tests/data/v2x/ with h5py's bundled libhdf5 2.x:
the Complex datatype class (datatype message version 5), complex numbers as h5py writes them
by default (a compound {r, i}), bfloat16 and FP8 (E4M3, E5M2) float layouts, and chunked
datasets (filtered, one large chunk) with the layout message version the library picks for
the format bounds (chunks of 4 GiB or more, which force layout version 5, are too large to
commit).

Values of the custom floats are written as raw bits (from ml_dtypes when installed, else a
fixed table) with the file type as memory type, so no conversion happens on write; the
expected values (`<name>_f64`) are libhdf5's own conversion of those bits to double.

Run: python3 tests/data/v2x/gen_v2x.py
"""
import os

import h5py
import numpy as np
from h5py import h5d, h5p, h5s, h5t

HERE = os.path.dirname(os.path.abspath(__file__))


def float_type(size, spos, epos, esize, mpos, msize, ebias):
    t = h5t.IEEE_F32LE.copy()
    # shrink in an order libhdf5 accepts: fields first, then precision, then size
    t.set_fields(spos, epos, esize, mpos, msize)
    t.set_ebias(ebias)
    t.set_precision(size * 8)
    t.set_size(size)
    return t


BF16 = lambda: float_type(2, 15, 7, 8, 0, 7, 127)
E4M3 = lambda: float_type(1, 7, 3, 4, 0, 3, 7)
E5M2 = lambda: float_type(1, 7, 2, 5, 0, 2, 15)


def raw_dataset(f, name, ftype, bits, shape=None):
    """A dataset of type `ftype` holding `bits` (unsigned ints of the type's size), unconverted."""
    bits = np.ascontiguousarray(bits)
    shape = shape or bits.shape
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    ds = h5d.create(f.id, name.encode(), ftype, h5s.create_simple(shape), dcpl=dcpl)
    ds.write(h5s.ALL, h5s.ALL, bits, mtype=ftype)
    # libhdf5's own conversion of the same bits to double, for the test's expected values
    out = np.empty(shape, dtype="<f8")
    ds.read(h5s.ALL, h5s.ALL, out, mtype=h5t.IEEE_F64LE)
    f.create_dataset(name + "_f64", data=out, track_times=False)


def gen(ver):
    with h5py.File(os.path.join(HERE, f"v2x_{ver}.h5"), "w", libver=(ver, "latest"), track_order=False) as f:
        c64 = np.array([1 + 2j, -3.5 - 4.25j, 0j, np.inf + 1j], dtype="<c8")
        c128 = np.array([[1e300 - 1e-300j, 2 + 0j], [np.pi + np.e * 1j, -0.0 - 0.0j]], dtype="<c16")
        # h5py's default: a compound {r, i}
        f.create_dataset("complex64_compound", data=c64, track_times=False)
        # the Complex class (datatype message version 5)
        for name, t, arr in [("complex64", h5t.COMPLEX_IEEE_F32LE, c64), ("complex128", h5t.COMPLEX_IEEE_F64LE, c128),
                             ("complex128_be", h5t.COMPLEX_IEEE_F64BE, c128)]:
            dcpl = h5p.create(h5p.DATASET_CREATE)
            dcpl.set_obj_track_times(False)
            ds = h5d.create(f.id, name.encode(), t, h5s.create_simple(arr.shape), dcpl=dcpl)
            ds.write(h5s.ALL, h5s.ALL, arr, mtype=h5t.COMPLEX_IEEE_F64LE if arr.dtype == np.dtype("<c16") else h5t.COMPLEX_IEEE_F32LE)
        # bfloat16: 1.0, -2.0, 3.140625, smallest subnormal, max finite, inf, nan, 1/3 rounded
        raw_dataset(f, "bfloat16", BF16(), np.array([0x3F80, 0xC000, 0x4049, 0x0001, 0x7F7F, 0x7F80, 0x7FC0, 0x3EAB], dtype="<u2"))
        # FP8 E4M3 and E5M2: zero, one, -1.5, subnormal, largest normal exponent values
        raw_dataset(f, "fp8_e4m3", E4M3(), np.array([0x00, 0x38, 0xBC, 0x01, 0x77, 0x7E, 0x78, 0x80], dtype="u1"))
        raw_dataset(f, "fp8_e5m2", E5M2(), np.array([0x00, 0x3C, 0xBE, 0x01, 0x7B, 0x7C, 0x7E, 0x80], dtype="u1"))
        # chunked + filtered with the file's latest layout message version
        f.create_dataset("chunked_gzip", data=np.arange(10000, dtype="<i8").reshape(100, 100), chunks=(50, 40),
                         compression="gzip", track_times=False)
        f.create_dataset("chunked_big", data=np.arange(300000, dtype="<f4"), chunks=(300000,), compression="gzip",
                         shuffle=True, track_times=False)


def gen_chunks(ver):
    """Filtered chunks under every chunk index (layout version 5 under "latest": the chunk
    size of filtered records is "Size of Offsets" wide)."""
    with h5py.File(os.path.join(HERE, f"v2x_chunks_{ver}.h5"), "w", libver=(ver, "latest"),
                   track_order=False) as f:
        data = (np.arange(2400, dtype="<i4") * 7 % 1000).reshape(40, 60)
        kw = dict(compression="gzip", shuffle=True, track_times=False)
        f.create_dataset("fixed_array", data=data, chunks=(16, 16), **kw)
        f.create_dataset("extensible_array", data=data, chunks=(16, 16), maxshape=(None, 60), **kw)
        f.create_dataset("btree_v2", data=data, chunks=(16, 16), maxshape=(None, None), **kw)
        f.create_dataset("single_chunk", data=data, chunks=(40, 60), **kw)
        f.create_dataset("fletcher32", data=data, chunks=(8, 60), fletcher32=True, track_times=False)


if __name__ == "__main__":
    for ver in ("earliest", "latest"):
        gen(ver)
        gen_chunks(ver)

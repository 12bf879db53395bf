#!/usr/bin/env python3
"""Generates the virtual dataset fixtures in tests/data/vds/ (spec IV.A.2.i "Virtual Storage",
III.E "Global Heap Block for Virtual Dataset"), with h5py's low-level API so every selection
kind libhdf5 accepts is covered (it refuses point selections): all, none, regular and irregular hyperslabs, unlimited hyperslabs,
printf-style %b source names, a missing source file, same-file and other-file sources.

Run from anywhere: python3 tests/data/vds/gen_vds.py   (writes <case>_<libver>.h5 beside it)
"""
import os

import h5py
import numpy as np
from h5py import h5d, h5p, h5s, h5t

HERE = os.path.dirname(os.path.abspath(__file__))
U = h5s.UNLIMITED


def new_file(name, ver):
    return h5py.File(os.path.join(HERE, name), "w", libver=(ver, "latest"), track_order=False)


def vds(f, name, shape, maps, fill=-1, maxshape=None, dtype=h5t.STD_I32LE):
    """maps: [(file, dataset, src_space, vspace_selector)]"""
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    if fill is not None:
        dcpl.set_fill_value(np.array([fill], dtype="<i4"))
    for (fname, dname, sspace, vsel) in maps:
        vspace = h5s.create_simple(shape, maxshape or shape)
        vsel(vspace)
        dcpl.set_virtual(vspace, fname.encode(), dname.encode(), sspace)
    h5d.create(f.id, name.encode(), dtype, h5s.create_simple(shape, maxshape or shape), dcpl=dcpl)


def space(shape, sel=None, maxshape=None):
    s = h5s.create_simple(shape, maxshape or shape)
    if sel is not None:
        sel(s)
    return s


def hs(start, count, stride=None, block=None, op=h5s.SELECT_SET):
    return lambda s: s.select_hyperslab(start, count, stride, block, op)


def gen(ver):
    src = f"src_{ver}.h5"
    with new_file(src, ver) as s:
        s.create_dataset("a", data=np.arange(10, dtype="<i4"))
        s.create_dataset("m", data=np.arange(100, 124, dtype="<i4").reshape(4, 6))
        s.create_dataset("grow", data=np.arange(200, 207, dtype="<i4"), maxshape=(None,), chunks=(4,))
        for i in range(3):
            s.create_dataset(f"blk{i}", data=np.arange(300 + 10 * i, 302 + 10 * i, dtype="<i4"))
    with new_file(f"vds_{ver}.h5", ver) as f:
        f.create_dataset("local", data=np.arange(1000, 1012, dtype="<i4"))
        f.create_dataset("local2d", data=np.arange(0, 30, dtype="<i4").reshape(5, 6))
        # 1-D: same-file and other-file sources, the rest fill.
        vds(f, "one_d", (16,), [
            (".", "local", space((12,), hs((2,), (3,))), hs((0,), (3,))),
            (src, "a", space((10,), hs((0,), (5,))), hs((5,), (5,))),
        ])
        # 2-D box from another file, plus all-selection of a same-file 2-D dataset.
        vds(f, "two_d", (7, 8), [
            (src, "m", space((4, 6)), hs((0, 0), (4, 6))),
            (".", "local2d", space((5, 6), hs((1, 1), (2, 3))), hs((5, 5), (2, 3))),
        ], fill=7)
        # Strided: source stride 2, virtual stride 3 with blocks.
        vds(f, "strided", (4, 12), [
            (src, "a", space((10,), hs((0,), (5,), (2,), (1,))), hs((1, 0), (1, 5), (1, 2), (1, 1))),
            (src, "m", space((4, 6), hs((0, 0), (2, 2), (2, 3), (2, 2))), hs((2, 0), (1, 2), (1, 6), (2, 4))),
        ])
        # Irregular hyperslab (union of two boxes) on both sides; row-major order matters.
        def irr_src(s):
            s.select_hyperslab((0, 0), (2, 2))
            s.select_hyperslab((0, 4), (2, 2), op=h5s.SELECT_OR)
        def irr_v(s):
            s.select_hyperslab((0, 0), (1, 5))
            s.select_hyperslab((2, 1), (1, 3), op=h5s.SELECT_OR)
        vds(f, "irregular", (3, 6), [(src, "m", space((4, 6), irr_src), irr_v)])
        # A none-selection mapping and a missing source file: all fill.
        vds(f, "missing", (6,), [
            ("no_such_file.h5", "a", space((10,), hs((0,), (3,))), hs((0,), (3,))),
            (src, "a", space((10,), lambda s: s.select_none()), lambda s: s.select_none()),
            (src, "no_such_dataset", space((10,), hs((0,), (2,))), hs((4,), (2,))),
        ], fill=-5)
        # Unlimited: the source grows (7 elements now, maxshape None); blocks of 2.
        vds(f, "unlimited", (10,), [
            (src, "grow", space((7,), hs((0,), (U,), (2,), (1,)), maxshape=(U,)), hs((0,), (U,), (3,), (1,))),
        ], maxshape=(U,))
        # printf-style names: blk0, blk1, blk2 each fill 2 elements of a block of stride 2.
        vds(f, "printf", (6,), [
            (src, "blk%b", space((2,)), hs((0,), (U,), (2,), (2,))),
        ], maxshape=(U,))


def gen_shared(ver):
    """Repeated source names: shared in the version 1 heap block (libhdf5 2.0 writes it when
    the lower bound is 2.0, which "latest" is), with the "same file" flag for "."."""
    src = f"src_{ver}.h5"
    with new_file(f"vds_shared_{ver}.h5", ver) as f:
        f.create_dataset("local", data=np.arange(1000, 1012, dtype="<i4"))
        # Repeated source names (shared in the version 1 heap block) and the same file.
        vds(f, "shared_names", (8,), [
            (src, "a", space((10,), hs((0,), (2,))), hs((0,), (2,))),
            (src, "a", space((10,), hs((8,), (2,))), hs((2,), (2,))),
            (".", "local", space((12,), hs((0,), (2,))), hs((4,), (2,))),
            (".", "local", space((12,), hs((10,), (2,))), hs((6,), (2,))),
        ])


def gen_grown(ver):
    """Unlimited and printf-style mappings whose sources grew after the virtual dataset was
    written: the stored extent is stale, libhdf5 reports the extent the sources give."""
    src = f"src_grown_{ver}.h5"
    with new_file(src, ver) as s:
        s.create_dataset("grow", data=np.arange(200, 207, dtype="<i4"), maxshape=(None,), chunks=(4,))
        s.create_dataset("g2", data=np.arange(500, 506, dtype="<i4").reshape(2, 3), maxshape=(2, None), chunks=(2, 2))
        s.create_dataset("blk0", data=np.array([300, 301], dtype="<i4"))
    with new_file(f"vds_grown_{ver}.h5", ver) as f:
        vds(f, "unlimited", (10,), [
            (src, "grow", space((7,), hs((0,), (U,), (2,), (1,)), maxshape=(U,)), hs((0,), (U,), (3,), (1,))),
        ], maxshape=(U,))
        # 2-D, unlimited block along dimension 1, next to a fixed mapping
        vds(f, "unlimited_2d", (3, 4), [
            (src, "g2", space((2, 3), hs((0, 0), (2, 1), None, (1, U)), maxshape=(2, U)), hs((0, 1), (2, 1), None, (1, U))),
            (src, "grow", space((7,), hs((0,), (2,))), hs((2, 0), (1, 2))),
        ], maxshape=(3, U))
        vds(f, "printf", (2,), [(src, "blk%b", space((2,)), hs((0,), (U,), (3,), (2,)))], maxshape=(U,))
    with h5py.File(os.path.join(HERE, src), "a") as s:
        s["grow"].resize((25,))
        s["grow"][7:] = np.arange(207, 225, dtype="<i4")
        s["g2"].resize((2, 5))
        s["g2"][:, 3:] = np.array([[503, 504], [513, 514]], dtype="<i4")
        for i in (1, 2, 4):  # blk3 missing: blocks stop at 2
            s.create_dataset(f"blk{i}", data=np.array([300 + 10 * i, 301 + 10 * i], dtype="<i4"))


def gen_convert(ver):
    """Sources of other numeric types than the virtual dataset: libhdf5 converts them."""
    with new_file(f"vds_convert_{ver}.h5", ver) as f:
        f.create_dataset("i4", data=np.array([-3, 0, 7, 2**31 - 1], dtype="<i4"))
        f.create_dataset("i2be", data=np.array([-300, 5, 32767], dtype=">i2"))
        f.create_dataset("f8", data=np.array([1.5, -2.75, 1e10, -1e10], dtype="<f8"))
        vds(f, "to_f8", (7,), [
            (".", "i4", space((4,)), hs((0,), (4,))),
            (".", "i2be", space((3,)), hs((4,), (3,))),
        ], dtype=h5t.IEEE_F64LE, fill=None)
        # float to int clamps (1e10 -> 2**31-1) and truncates toward zero
        vds(f, "to_i4be", (7,), [
            (".", "f8", space((4,)), hs((0,), (4,))),
            (".", "i2be", space((3,)), hs((4,), (3,))),
        ], dtype=h5t.STD_I32BE, fill=None)


def gen_hostile():
    """Virtual datasets that map themselves (libhdf5 2.0 crashes reading them: recursion).
    Kept out of the fixture scans (`hostile/`, `.bad`): h5py/h5dump must not open them."""
    path = os.path.join(HERE, "hostile", "self_reference.bad")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with h5py.File(path, "w", libver="latest") as f:
        # unlimited: opening the source (itself) asks for its extent again
        vds(f, "v", (4,), [(".", "/v", space((4,), hs((0,), (U,), (1,), (1,)), maxshape=(U,)),
                            hs((0,), (U,), (2,), (1,)))], maxshape=(U,))
        vds(f, "w", (4,), [(".", "/w", space((4,)), lambda s: s.select_all())])


if __name__ == "__main__":
    for ver in ("earliest", "latest"):
        gen(ver)
        gen_shared(ver)
        gen_grown(ver)
        gen_convert(ver)
    gen_hostile()

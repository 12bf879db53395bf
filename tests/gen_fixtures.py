#!/usr/bin/env python3
"""Generate the small HDF5 fixture files of h5kit's read-path tests.

Writes into tests/data/generated/ (and tests/data/sample.h5, the README's sample).
Each feature file is written three times, in the format versions h5py calls:

  earliest  libver=('earliest', 'latest')  h5py's default: oldest structures that can hold the data
  v110      libver=('v110', 'v110')
  latest    libver=('latest', 'latest')    (libhdf5 2.x: the v2.0 bounds)

Needs h5py, numpy and hdf5plugin. Deterministic: object modification times are switched off
everywhere (datasets, groups, committed datatypes, root group), so rerunning the script gives
byte-identical files with the same libhdf5. Run: python3 tests/gen_fixtures.py
"""

import ctypes
import glob
import os
import sys

import h5py
import hdf5plugin
import numpy as np
from h5py import h5d, h5f, h5g, h5o, h5p, h5s, h5t

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "generated")

VERSIONS = {
    "earliest": (h5f.LIBVER_EARLIEST, h5f.LIBVER_LATEST),
    "v110": (h5f.LIBVER_V110, h5f.LIBVER_V110),
    "latest": (h5f.LIBVER_LATEST, h5f.LIBVER_LATEST),
}

# ---------------------------------------------------------------------------------------------
# libhdf5 calls h5py does not wrap (same library instance as h5py: dlopen returns its handle)


def _load_hdf5():
    base = os.path.join(os.path.dirname(h5py.__file__), "..", "h5py.libs")
    cands = sorted(glob.glob(os.path.join(base, "libhdf5-*.so*")))
    if not cands:
        cands = ["libhdf5.so"]
    lib = ctypes.CDLL(cands[0])
    hid = ctypes.c_int64
    lib.H5Pcreate.argtypes = [hid]
    lib.H5Pcreate.restype = hid
    lib.H5Pclose.argtypes = [hid]
    lib.H5Pset_obj_track_times.argtypes = [hid, ctypes.c_bool]
    lib.H5Tcommit2.argtypes = [hid, ctypes.c_char_p, hid, hid, hid, hid]
    lib.H5Pset_nbit.argtypes = [hid]
    lib.H5Pset_link_phase_change.argtypes = [hid, ctypes.c_uint, ctypes.c_uint]
    lib.H5Pset_chunk_opts.argtypes = [hid, ctypes.c_uint]
    if hasattr(lib, "H5Pset_relax_file_integrity_checks"):
        lib.H5Pset_relax_file_integrity_checks.argtypes = [hid, ctypes.c_uint64]
    return lib


LIB = _load_hdf5()
H5P_DEFAULT = 0


def _check(rc, what):
    if rc < 0:
        raise RuntimeError(f"libhdf5 call failed: {what}")


def commit_type(parent, name, tid):
    """H5Tcommit2 with a tcpl that does not track times (h5py's commit would add a time)."""
    cls = ctypes.c_int64.in_dll(LIB, "H5P_CLS_DATATYPE_CREATE_ID_g").value
    tcpl = LIB.H5Pcreate(cls)
    _check(tcpl, "H5Pcreate(tcpl)")
    _check(LIB.H5Pset_obj_track_times(tcpl, False), "H5Pset_obj_track_times")
    _check(LIB.H5Tcommit2(parent.id.id, name.encode(), tid.id, H5P_DEFAULT, tcpl, H5P_DEFAULT),
           "H5Tcommit2")
    LIB.H5Pclose(tcpl)
    return parent[name]


# ---------------------------------------------------------------------------------------------
# helpers

ORDER_FLAGS = h5p.CRT_ORDER_TRACKED | h5p.CRT_ORDER_INDEXED


def new_file(path, ver, track_order=False, userblock=0):
    fapl = h5p.create(h5p.FILE_ACCESS)
    fapl.set_libver_bounds(*VERSIONS[ver])
    if hasattr(LIB, "H5Pset_relax_file_integrity_checks"):
        # allow "unusual" numeric types (precision < size), needed by the n-bit fixture
        _check(LIB.H5Pset_relax_file_integrity_checks(fapl.id, 1), "H5Pset_relax_file_integrity_checks")
    fcpl = h5p.create(h5p.FILE_CREATE)
    fcpl.set_obj_track_times(False)
    if userblock:
        fcpl.set_userblock(userblock)
    if track_order:
        fcpl.set_link_creation_order(ORDER_FLAGS)
        fcpl.set_attr_creation_order(ORDER_FLAGS)
    if os.path.exists(path):
        os.remove(path)
    fid = h5f.create(path.encode(), h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
    return h5py.File(fid)


def group(parent, name, track_order=False, phase_change=None):
    gcpl = h5p.create(h5p.GROUP_CREATE)
    gcpl.set_obj_track_times(False)
    if track_order:
        gcpl.set_link_creation_order(ORDER_FLAGS)
        gcpl.set_attr_creation_order(ORDER_FLAGS)
    if phase_change is not None:
        _check(LIB.H5Pset_link_phase_change(gcpl.id, *phase_change), "H5Pset_link_phase_change")
    gid = h5g.create(parent.id, name.encode(), gcpl=gcpl)
    return h5py.Group(gid)


def dcpl_new():
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    return dcpl


def raw_dataset(parent, name, tid, shape, raw, dcpl=None, maxshape=None):
    """Create a dataset of HDF5 type `tid` and write `raw` (bytes or array) unconverted."""
    space = h5s.create_simple(shape, maxshape) if shape != () else h5s.create(h5s.SCALAR)
    dcpl = dcpl or dcpl_new()
    dsid = h5d.create(parent.id, name.encode(), tid, space, dcpl=dcpl)
    if raw is not None:
        buf = np.frombuffer(bytes(raw), dtype=np.uint8).copy() if isinstance(raw, (bytes, bytearray)) else raw
        dsid.write(h5s.ALL, h5s.ALL, buf, mtype=tid)
    return h5py.Dataset(dsid)


def raw_attribute(obj, name, tid, shape, raw):
    from h5py import h5a
    space = h5s.create_simple(shape) if shape != () else h5s.create(h5s.SCALAR)
    aid = h5a.create(obj.id, name.encode(), tid, space)
    buf = np.frombuffer(bytes(raw), dtype=np.uint8).copy()
    aid.write(buf, mtype=tid)


def fixed_string_type(size, pad, cset):
    tid = h5t.C_S1.copy()
    tid.set_size(size)
    tid.set_strpad(pad)
    tid.set_cset(cset)
    return tid


# ---------------------------------------------------------------------------------------------
# feature files


def gen_groups(path, ver):
    with new_file(path, ver) as f:
        a = group(f, "a")
        b = group(a, "b")
        c = group(b, "c")
        d = group(c, "d")
        d.create_dataset("leaf", data=np.arange(3, dtype="<i4"))
        group(f, "empty")
        many = group(f, "many")  # > 8 links: dense in latest, several symbol table nodes in earliest
        for i in range(40):
            many.create_dataset(f"ds{i:02d}", data=np.array([i], dtype="<i2"))
        # deep: 300 hard links to one dataset -> multi-level v1 B-tree (earliest) / v2 B-tree
        deep = group(f, "deep")
        target = deep.create_dataset("target", data=np.array([1, 2], dtype="<u1"))
        for i in range(300):
            deep[f"link{i:03d}"] = target
        ordered = group(f, "ordered", track_order=True)
        for name in ["zeta", "alpha", "mu", "beta"]:
            group(ordered, name)
        ordered_dense = group(f, "ordered_dense", track_order=True)
        for i in range(20):
            ordered_dense.create_dataset(f"item_{19 - i:02d}", data=np.array([i], dtype="<i4"))
        # low phase change: dense storage with only 3 links
        pc = group(f, "phase_change", phase_change=(2, 1))
        for name in ["x", "y", "z"]:
            group(pc, name)
        group(f, "utf8_\u00e9t\u00e9")  # UTF-8 link name


def gen_links(path, ver, target_name):
    with new_file(path, ver) as f:
        a = group(f, "a")
        ds = a.create_dataset("data", data=np.arange(4, dtype="<i4"))
        b = group(f, "b")
        b["alias"] = ds  # second hard link to the same dataset
        b["a_again"] = a  # second hard link to a group
        f["soft"] = h5py.SoftLink("/a/data")
        f["soft_rel"] = h5py.SoftLink("a/data")
        f["dangling_soft"] = h5py.SoftLink("/does/not/exist")
        f["external"] = h5py.ExternalLink(target_name, "/target_data")
        f["external_group"] = h5py.ExternalLink(target_name, "/target_group")
        f["dangling_external"] = h5py.ExternalLink("missing_file.h5", "/x")
        child = group(a, "child")
        child["up"] = a  # hard-link cycle: /a/child/up -> /a
        child["root"] = f  # link to the root group
    with new_file(os.path.join(os.path.dirname(path), target_name), ver) as t:
        t.create_dataset("target_data", data=np.array([10, 20, 30], dtype="<i2"))
        g = group(t, "target_group")
        g.create_dataset("inner", data=np.array([1.5], dtype="<f8"))


def gen_attributes(path, ver):
    with new_file(path, ver) as f:
        f.attrs["root_int"] = np.int32(42)
        f.attrs["root_str"] = "hello"
        f.attrs["root_fixed_str"] = np.bytes_(b"fixed")
        f.attrs["root_array"] = np.arange(6, dtype="<f8").reshape(2, 3)
        g = group(f, "compact")
        g.attrs["a"] = np.uint8(1)
        g.attrs["b"] = np.array([1.5, 2.5], dtype="<f4")
        g.attrs["vlen_strings"] = np.array(["one", "two", "three"], dtype=h5py.string_dtype())
        g.attrs.create("empty", h5py.Empty("<i4"))
        g.attrs["compound"] = np.array([(1, 2.0)], dtype=[("x", "<i4"), ("y", "<f8")])
        g.attrs["enum"] = np.array([0, 1], dtype=h5py.enum_dtype({"OFF": 0, "ON": 1}, basetype="u1"))
        g.attrs["utf8_\u00e9"] = "caf\u00e9"
        g.attrs.create("ref", f.ref, dtype=h5py.ref_dtype)
        dense = group(f, "dense")  # > 8 attributes: dense (fractal heap + v2 B-tree) in latest
        for i in range(20):
            dense.attrs[f"attr_{i:02d}"] = np.array([i, -i], dtype="<i4")
        ordered = group(f, "ordered", track_order=True)
        for name in ["z", "a", "m"]:
            ordered.attrs[name] = np.int8(ord(name))
        ordered_dense = group(f, "ordered_dense", track_order=True)
        for i in range(12):
            ordered_dense.attrs[f"n{11 - i:02d}"] = np.int16(i)
        dcpl = dcpl_new()
        dcpl.set_attr_creation_order(ORDER_FLAGS)
        ds = f.create_dataset("dataset", data=np.arange(5, dtype="<i8"), dcpl=dcpl)
        ds.attrs["units"] = "m"
        ds.attrs["scale"] = np.float64(0.5)
        # > 64 KiB: cannot be a compact attribute message, goes to dense storage (fractal heap
        # huge object); needs a v2 object header, so the group tracks creation order (earliest too)
        large = group(f, "large", track_order=True)
        large.attrs["big"] = np.bytes_((b"0123456789" * 6600) + b"end")  # scalar S66003
        large.attrs["small"] = np.int32(7)
        large_compact = group(f, "large_compact")  # 30000 bytes: still fits one v1 header message
        large_compact.attrs["big"] = np.bytes_(b"abcdefghij" * 3000)  # scalar S30000


def gen_datatypes(path, ver):
    with new_file(path, ver) as f:
        ints = group(f, "int")
        for order, tag in (("<", "le"), (">", "be")):
            for kind in ("i", "u"):
                for size in (1, 2, 4, 8):
                    dt = np.dtype(f"{order}{kind}{size}")
                    info = np.iinfo(dt)
                    vals = np.array([info.min, info.max, 0, 1, info.max // 3], dtype=dt)
                    ints.create_dataset(f"{tag}_{kind}{size * 8}", data=vals)
        floats = group(f, "float")
        for order, tag in (("<", "le"), (">", "be")):
            for size in (2, 4, 8):
                dt = np.dtype(f"{order}f{size}")
                vals = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan,
                                 np.finfo(dt).max, np.finfo(dt).tiny], dtype=dt)
                floats.create_dataset(f"{tag}_f{size * 8}", data=vals)
        if np.dtype(np.longdouble).itemsize == 16:
            ld = np.array([1.5, -2.25, 1e300], dtype=np.longdouble)
            ld.view(np.uint8).reshape(-1, 16)[:, 10:] = 0  # x87 80-bit: zero the 6 padding bytes
            floats.create_dataset("native_long_double", data=ld)
        strs = group(f, "string")
        pads = {"nullterm": h5t.STR_NULLTERM, "nullpad": h5t.STR_NULLPAD, "spacepad": h5t.STR_SPACEPAD}
        csets = {"ascii": h5t.CSET_ASCII, "utf8": h5t.CSET_UTF8}
        for pname, pad in pads.items():
            for cname, cset in csets.items():
                tid = fixed_string_type(8, pad, cset)
                words = ["ab", "hello", "exactly8"] if cname == "ascii" else ["ab", "caf\u00e9", "\u00e9t\u00e9"]
                fill = b" " if pad == h5t.STR_SPACEPAD else b"\0"
                raw = b"".join(w.encode()[:8].ljust(8, fill) for w in words)
                raw_dataset(strs, f"fixed_{pname}_{cname}", tid, (3,), raw)
        strs.create_dataset("vlen_ascii", data=np.array([b"a", b"bc", b""], dtype=h5py.string_dtype("ascii")))
        strs.create_dataset("vlen_utf8", data=np.array(["x", "caf\u00e9", "\u65e5\u672c"], dtype=h5py.string_dtype()))
        strs.create_dataset("vlen_scalar", data="scalar string", dtype=h5py.string_dtype())
        strs.create_dataset("fixed_numpy", data=np.array([b"abc", b"de"], dtype="S4"))
        other = group(f, "other")
        raw_dataset(other, "bitfield_b8", h5t.STD_B8LE, (4,), bytes([0, 1, 0x80, 0xFF]))
        raw_dataset(other, "bitfield_b16be", h5t.STD_B16BE, (2,), bytes([0x12, 0x34, 0xAB, 0xCD]))
        raw_dataset(other, "bitfield_b32le", h5t.STD_B32LE, (1,), bytes([1, 2, 3, 4]))
        op = h5t.create(h5t.OPAQUE, 5)
        op.set_tag(b"my opaque tag")
        raw_dataset(other, "opaque_tagged", op, (2,), bytes(range(10)))
        other.create_dataset("opaque_numpy", data=np.array([b"\x01\x02\x03"], dtype="V3"))
        inner = np.dtype([("x", "<f8"), ("y", "u1")])
        comp = np.dtype([("a", "<i4"), ("b", inner), ("c", "<i2", (2, 3)), ("s", "S5"), ("e", ">u2")])
        vals = np.zeros(2, dtype=comp)
        vals[0] = (1, (0.5, 7), np.arange(6).reshape(2, 3), b"abc", 513)
        vals[1] = (-1, (-0.25, 255), -np.arange(6).reshape(2, 3), b"hello", 65535)
        other.create_dataset("compound_nested", data=vals)
        other.create_dataset("compound_vlen", data=np.array(
            [(1, "one"), (2, "two")], dtype=[("n", "<i4"), ("s", h5py.string_dtype())]))
        for name, base, mapping, data in (
            ("enum_u8", "u1", {"RED": 0, "GREEN": 1, "BLUE": 42}, [0, 1, 42, 1]),
            ("enum_i16", "<i2", {"NEG": -5, "ZERO": 0, "POS": 300}, [-5, 300, 0]),
            ("enum_u32be", ">u4", {"A": 1, "B": 100000}, [1, 100000]),
            ("enum_i64", "<i8", {"SMALL": -(2**40), "BIG": 2**40}, [2**40, -(2**40)]),
        ):
            other.create_dataset(name, data=np.array(data, dtype=h5py.enum_dtype(mapping, basetype=base)))
        vl = np.empty(3, dtype=object)
        vl[0] = np.array([1, 2, 3], dtype="<i4")
        vl[1] = np.array([], dtype="<i4")
        vl[2] = np.array([-7], dtype="<i4")
        other.create_dataset("vlen_i32", data=vl, dtype=h5py.vlen_dtype("<i4"))
        vf = np.empty(2, dtype=object)
        vf[0] = np.array([0.5, 1.5], dtype="<f8")
        vf[1] = np.array([2.5], dtype="<f8")
        other.create_dataset("vlen_f64", data=vf, dtype=h5py.vlen_dtype("<f8"))
        arr_t = h5t.array_create(h5t.STD_I32LE, (2, 3))
        raw_dataset(other, "array_i32_2x3", arr_t, (2,), np.arange(12, dtype="<i4").tobytes())
        arr_f = h5t.array_create(h5t.IEEE_F64BE, (4,))
        raw_dataset(other, "array_f64be_4", arr_f, (), np.array([1, 2, 3, 4], dtype=">f8").tobytes())
        refs = group(f, "refs")
        ref_target = refs.create_dataset("target", data=np.arange(10, dtype="<i4").reshape(2, 5))
        refs.create_dataset("object_refs", data=np.array([f.ref, refs.ref, ref_target.ref], dtype=h5py.ref_dtype))
        rr = np.array([ref_target.regionref[0:1, 1:3], ref_target.regionref[1, 4]], dtype=h5py.regionref_dtype)
        refs.create_dataset("region_refs", data=rr)
        committed = group(f, "committed")
        ct_int = commit_type(committed, "int_be", h5t.STD_I32BE.copy())
        ct_comp = commit_type(committed, "point", h5t.py_create(np.dtype([("x", "<f4"), ("y", "<f4")])))
        ct_str = commit_type(committed, "vstr", h5t.py_create(h5py.string_dtype(), logical=True))
        committed.create_dataset("uses_int", data=np.array([1, 2, 3]), dtype=ct_int)
        committed.create_dataset("uses_point", data=np.array([(1, 2), (3, 4)], dtype=[("x", "<f4"), ("y", "<f4")]),
                                 dtype=ct_comp)
        committed.create_dataset("uses_point_too", data=np.array([(5, 6)], dtype=[("x", "<f4"), ("y", "<f4")]),
                                 dtype=ct_comp)
        committed.attrs.create("attr_int", np.array([7, 8]), dtype=ct_int)
        committed.attrs.create("attr_str", "text", dtype=ct_str)


def gen_dataspaces(path, ver):
    with new_file(path, ver) as f:
        f.create_dataset("scalar_int", data=np.int32(5))
        f.create_dataset("scalar_float", data=np.float64(-1.25))
        f.create_dataset("one_d", data=np.arange(7, dtype="<i2"))
        f.create_dataset("two_d", data=np.arange(12, dtype="<i2").reshape(3, 4))
        f.create_dataset("three_d", data=np.arange(24, dtype="<u1").reshape(2, 3, 4))
        f.create_dataset("zero_size", shape=(0,), dtype="<i4")
        f.create_dataset("zero_size_2d", shape=(3, 0), dtype="<i4", maxshape=(None, None), chunks=(2, 2))
        f.create_dataset("null", data=h5py.Empty("<f4"))
        f.attrs.create("null_attr", h5py.Empty("<i8"))
        f.attrs["scalar_attr"] = np.float32(2.5)
        f.create_dataset("maxshape_unlimited", data=np.arange(5, dtype="<i4"), maxshape=(None,), chunks=(2,))
        f.create_dataset("maxshape_fixed", data=np.arange(6, dtype="<i4").reshape(2, 3), maxshape=(4, 6),
                         chunks=(2, 3))
        f.create_dataset("maxshape_mixed", data=np.arange(6, dtype="<i4").reshape(2, 3), maxshape=(None, 3),
                         chunks=(1, 3))


def gen_layouts(path, ver):
    with new_file(path, ver) as f:
        dcpl = dcpl_new()
        dcpl.set_layout(h5d.COMPACT)
        f.create_dataset("compact", data=np.arange(10, dtype="<i4"), dcpl=dcpl)
        dcpl = dcpl_new()
        dcpl.set_layout(h5d.COMPACT)
        f.create_dataset("compact_2d", data=np.arange(6, dtype="<f4").reshape(2, 3), dcpl=dcpl)
        f.create_dataset("contiguous", data=np.arange(20, dtype="<i4"))
        f.create_dataset("contiguous_unwritten", shape=(8,), dtype="<i4")
        f.create_dataset("contiguous_unwritten_fill", shape=(4,), dtype="<i4", fillvalue=-1)
        # chunked; chunk index chosen by libhdf5: v1 B-tree in earliest; layout v4 otherwise
        f.create_dataset("chunked_single", data=np.arange(12, dtype="<i4").reshape(3, 4), chunks=(3, 4))
        f.create_dataset("chunked_single_gzip", data=np.arange(12, dtype="<i4").reshape(3, 4), chunks=(3, 4),
                         compression="gzip")
        dcpl = dcpl_new()
        dcpl.set_alloc_time(h5d.ALLOC_TIME_EARLY)
        f.create_dataset("chunked_implicit", data=np.arange(20, dtype="<i4").reshape(4, 5), chunks=(2, 2), dcpl=dcpl)
        f.create_dataset("chunked_fixed_array", data=np.arange(30, dtype="<i2").reshape(5, 6), chunks=(2, 4))
        f.create_dataset("chunked_fixed_array_gzip", data=np.arange(30, dtype="<i2").reshape(5, 6), chunks=(2, 4),
                         compression="gzip", shuffle=True)
        # > 1024 chunks: fixed array data block is paged (max_dblk_page_nelmts_bits = 10)
        f.create_dataset("chunked_fixed_array_paged", data=(np.arange(1100) % 256).astype("u1"), chunks=(1,))
        f.create_dataset("chunked_extensible_array", data=np.arange(100, dtype="<i4"), chunks=(1,), maxshape=(None,))
        f.create_dataset("chunked_extensible_array_gzip", data=np.arange(100, dtype="<i4"), chunks=(4,),
                         maxshape=(None,), compression="gzip")
        ea2 = f.create_dataset("chunked_extensible_array_2d", data=np.arange(40, dtype="<i4").reshape(10, 4),
                               chunks=(3, 2), maxshape=(None, 4))
        ea2.attrs["note"] = "unlimited first dim, partial edge chunks"
        f.create_dataset("chunked_btree_v2", data=(np.arange(900) % 256).astype("u1").reshape(30, 30),
                         chunks=(2, 2), maxshape=(None, None))
        f.create_dataset("chunked_btree_v2_gzip", data=np.arange(100, dtype="<i4").reshape(10, 10),
                         chunks=(3, 3), maxshape=(None, None), compression="gzip")
        sparse = f.create_dataset("chunked_sparse", shape=(10, 10), dtype="<i4", chunks=(5, 5), fillvalue=9)
        sparse[0:5, 5:10] = np.arange(25, dtype="<i4").reshape(5, 5)
        grow = f.create_dataset("chunked_resized", data=np.arange(4, dtype="<f8"), chunks=(2,), maxshape=(None,))
        grow.resize((7,))
        grow[4:7] = [4.5, 5.5, 6.5]
        dcpl = dcpl_new()
        dcpl.set_chunk((2,))
        dcpl.set_deflate(6)
        _check(LIB.H5Pset_chunk_opts(dcpl.id, 2), "H5Pset_chunk_opts")  # DONT_FILTER_PARTIAL_CHUNKS
        f.create_dataset("chunked_dont_filter_partial", data=np.arange(5, dtype="<i4"), dcpl=dcpl)


def gen_filters(path, ver):
    with new_file(path, ver) as f:
        data = np.arange(64, dtype="<i4").reshape(8, 8) % 10
        for level in (1, 4, 9):
            f.create_dataset(f"gzip_{level}", data=data, chunks=(4, 4), compression="gzip",
                             compression_opts=level)
        f.create_dataset("shuffle_gzip", data=data, chunks=(4, 4), shuffle=True, compression="gzip")
        f.create_dataset("shuffle_only", data=data, chunks=(4, 4), shuffle=True)
        f.create_dataset("fletcher32", data=data, chunks=(4, 4), fletcher32=True)
        f.create_dataset("shuffle_gzip_fletcher32", data=data, chunks=(4, 4), shuffle=True, compression="gzip",
                         fletcher32=True)
        f.create_dataset("scaleoffset_int", data=np.arange(20, dtype="<i4") + 1000, chunks=(10,), scaleoffset=0)
        f.create_dataset("scaleoffset_float", data=np.linspace(0, 1, 20).astype("<f8"), chunks=(10,),
                         scaleoffset=2)
        nbit_t = h5t.STD_I32LE.copy()
        nbit_t.set_precision(12)
        dcpl = dcpl_new()
        dcpl.set_chunk((10,))
        _check(LIB.H5Pset_nbit(dcpl.id), "H5Pset_nbit")
        raw_dataset(f, "nbit_int12", nbit_t, (20,), np.arange(20, dtype="<i4") * 100 - 1000, dcpl=dcpl)
        f.create_dataset("lzf", data=data, chunks=(4, 4), compression="lzf")
        f.create_dataset("lz4", data=data, chunks=(4, 4), **hdf5plugin.LZ4())
        f.create_dataset("zstd", data=data, chunks=(4, 4), **hdf5plugin.Zstd(clevel=3))
        f.create_dataset("bitshuffle", data=data, chunks=(4, 4), **hdf5plugin.Bitshuffle(nelems=0, cname="none"))
        f.create_dataset("bitshuffle_lz4", data=data, chunks=(4, 4), **hdf5plugin.Bitshuffle(nelems=0, cname="lz4"))
        f.create_dataset("float_gzip", data=np.linspace(-1, 1, 30).astype(">f4"), chunks=(7,), compression="gzip")


def gen_fillvalues(path, ver):
    with new_file(path, ver) as f:
        f.create_dataset("unset", shape=(4,), dtype="<i4")
        f.create_dataset("set_int", shape=(4,), dtype="<i4", fillvalue=-7)
        f.create_dataset("set_float", shape=(3,), dtype="<f8", fillvalue=3.25)
        f.create_dataset("set_compound", shape=(2,), dtype=[("a", "<i2"), ("b", "<f4")],
                         fillvalue=np.array((1, 2.5), dtype=[("a", "<i2"), ("b", "<f4")]))
        f.create_dataset("set_string", shape=(2,), dtype="S4", fillvalue=b"none")
        for tname, tval in (("never", "never"), ("alloc", "alloc"), ("ifset", "ifset")):
            ft = f.create_dataset(f"fill_time_{tname}", shape=(6,), dtype="<i2", chunks=(3,), fillvalue=5,
                                  fill_time=tval)
            if tname == "never":
                # unwritten elements would be whatever memory held: h5dump would print garbage
                ft[...] = np.arange(6, dtype="<i2")
            else:
                ft[0:3] = [1, 2, 3]  # second chunk stays unallocated
        for aname, aval in (("early", h5d.ALLOC_TIME_EARLY), ("late", h5d.ALLOC_TIME_LATE),
                            ("incr", h5d.ALLOC_TIME_INCR)):
            dcpl = dcpl_new()
            dcpl.set_alloc_time(aval)
            dcpl.set_chunk((4,))
            f.create_dataset(f"alloc_{aname}_chunked", shape=(8,), dtype="<u2", fillvalue=3, dcpl=dcpl)
            dcpl = dcpl_new()
            dcpl.set_alloc_time(aval)
            f.create_dataset(f"alloc_{aname}_contiguous", shape=(5,), dtype="<u2", fillvalue=4, dcpl=dcpl)
        part = f.create_dataset("partially_written", shape=(8,), dtype="<i4", chunks=(2,), fillvalue=-1)
        part[2:4] = [10, 11]
        f.create_dataset("fill_default_zero_written", data=np.zeros(3, dtype="<i4"), fillvalue=0)


def gen_external(path, ver):
    d = os.path.dirname(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    e1, e2 = f"{stem}_1.bin", f"{stem}_2.bin"
    # the raw data files: dataset "ext" = 6 little-endian i4 split 16 + 8 bytes after a 4-byte header
    with open(os.path.join(d, e1), "wb") as fh:
        fh.write(b"HDR!" + np.arange(4, dtype="<i4").tobytes())
    with open(os.path.join(d, e2), "wb") as fh:
        fh.write(np.arange(4, 6, dtype="<i4").tobytes())
    with new_file(path, ver) as f:
        dcpl = dcpl_new()
        dcpl.set_external(e1.encode(), 4, 16)
        dcpl.set_external(e2.encode(), 0, 8)
        space = h5s.create_simple((6,))
        h5d.create(f.id, b"ext", h5t.STD_I32LE, space, dcpl=dcpl)
        dcpl = dcpl_new()
        dcpl.set_external(b"missing_external.bin", 0, h5f.UNLIMITED)
        h5d.create(f.id, b"ext_missing", h5t.STD_I32LE, h5s.create_simple((3,)), dcpl=dcpl)


def gen_vds(path, ver):
    d = os.path.dirname(path)
    stem = os.path.splitext(os.path.basename(path))[0]
    src = f"{stem}_source.h5"
    with new_file(os.path.join(d, src), ver) as s:
        s.create_dataset("a", data=np.arange(5, dtype="<i4"))
        s.create_dataset("b", data=np.arange(10, 15, dtype="<i4"))
    with new_file(path, ver) as f:
        f.create_dataset("local", data=np.arange(100, 104, dtype="<i4"))
        layout = h5py.VirtualLayout(shape=(3, 5), dtype="<i4", maxshape=(3, 5))
        layout[0] = h5py.VirtualSource(src, "a", shape=(5,))
        layout[1] = h5py.VirtualSource(src, "b", shape=(5,))
        layout[2, 0:4] = h5py.VirtualSource(".", "local", shape=(4,))
        dcpl = layout._get_dcpl(f.filename)  # h5py's mapping, plus no modification time
        dcpl.set_obj_track_times(False)
        dcpl.set_fill_value(np.array([-1], dtype="<i4"))
        h5d.create(f.id, b"vds", h5t.STD_I32LE, h5s.create_simple((3, 5), (3, 5)), dcpl=dcpl)


def gen_comments(path, ver):
    with new_file(path, ver) as f:
        ds = f.create_dataset("commented", data=np.arange(3, dtype="<i4"))
        h5o.set_comment(ds.id, b"This is a dataset comment")
        g = group(f, "commented_group")
        h5o.set_comment(g.id, b"group comment")
        h5o.set_comment(f.id, b"root comment")


def gen_sample(path):
    """tests/data/sample.h5: the README's sample (h5py defaults, a bit of everything)."""
    with new_file(path, "earliest") as f:
        f.attrs["title"] = "h5kit sample"
        f.attrs["version"] = np.int32(1)
        g = group(f, "measurements")
        t = g.create_dataset("temperature", data=np.array([20.5, 21.0, 21.25, 19.75], dtype="<f8"))
        t.attrs["units"] = "degC"
        g.create_dataset("counts", data=np.arange(12, dtype="<i4").reshape(3, 4), chunks=(2, 2),
                         compression="gzip")
        g.create_dataset("labels", data=np.array(["low", "mid", "high"], dtype=h5py.string_dtype()))
        f["latest"] = h5py.SoftLink("/measurements/temperature")


def gen_bad(bad_dir):
    """tests/data/bad/: files h5dump refuses (exit 1), cut or damaged copies of fixtures."""
    import re
    os.makedirs(bad_dir, exist_ok=True)

    def src(name):
        with open(os.path.join(OUT, name), "rb") as fh:
            return bytearray(fh.read())

    def put(name, data):
        with open(os.path.join(bad_dir, name), "wb") as fh:
            fh.write(bytes(data))

    put("not_hdf5.h5", b"this is not an HDF5 file\n")
    put("empty.h5", b"")
    put("truncated_superblock.h5", src("groups_earliest.h5")[:40])
    put("truncated_half.h5", src("groups_earliest.h5")[:20000])
    put("truncated_v110.h5", src("links_v110.h5")[:1200])
    b = src("links_v110.h5")  # a byte of the third object header changed: checksum mismatch
    third = [m.start() for m in re.finditer(b"OHDR", bytes(b))][2]
    b[third + 8] ^= 0x55
    put("bad_checksum_v110.h5", b)
    b = src("groups_earliest.h5")  # second symbol table node signature "SNOD" -> "XNOD"
    b[[m.start() for m in re.finditer(b"SNOD", bytes(b))][1]] = ord("X")
    put("bad_snod_earliest.h5", b)


FEATURES = [
    ("groups", gen_groups),
    ("links", None),
    ("attributes", gen_attributes),
    ("datatypes", gen_datatypes),
    ("dataspaces", gen_dataspaces),
    ("layouts", gen_layouts),
    ("filters", gen_filters),
    ("fillvalues", gen_fillvalues),
    ("external", gen_external),
    ("vds", gen_vds),
    ("comments", gen_comments),
]


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in glob.glob(os.path.join(OUT, "*")):
        os.remove(old)
    for ver in VERSIONS:
        for name, fn in FEATURES:
            path = os.path.join(OUT, f"{name}_{ver}.h5")
            if name == "links":
                gen_links(path, ver, f"links_target_{ver}.h5")
            else:
                fn(path, ver)
    gen_sample(os.path.join(HERE, "data", "sample.h5"))
    gen_bad(os.path.join(HERE, "data", "bad"))
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(OUT, "*")))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, into {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()

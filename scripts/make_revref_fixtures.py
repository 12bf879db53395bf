#!/usr/bin/env python3
"""Makes tests/data/parity/revref_dataset.h5 (a dataset of revised references, H5T_STD_REF:
object, group, attribute and region) and revref_attr.h5 (an attribute of them) through
h5py's libhdf5 2.0 C API (ctypes; h5py cannot write H5R_ref_t). h5dump 1.10.8 cannot read
either (exit 1; the attribute: the dataset without it); goldens in tests/golden/data/parity."""
import ctypes, glob, os, sys, h5py, numpy as np
d = os.path.dirname(h5py.__file__)
lib = ctypes.CDLL(glob.glob(d + "/../h5py.libs/libhdf5-*.so*")[0])
lib.H5open()
out = (sys.argv[1] if len(sys.argv) > 1 else "tests/data/parity") + "/revref_dataset.h5"
f = h5py.File(out, "w")
data = f.create_dataset("data", data=np.arange(12, dtype="<i4").reshape(3, 4))
data.attrs["units"] = np.int32(5)
f.create_group("grp")
f.flush()
fid = ctypes.c_int64(f.id.id)
REF = ctypes.c_int64.in_dll(lib, "H5T_STD_REF_g")
lib.H5Dcreate2.restype = ctypes.c_int64
lib.H5Screate_simple.restype = ctypes.c_int64
def mk(name, n):
    dims = (ctypes.c_uint64 * 1)(n)
    sp = lib.H5Screate_simple(1, dims, None)
    ds = lib.H5Dcreate2(fid, name.encode(), REF, ctypes.c_int64(sp), ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_int64(0))
    assert ds >= 0
    return ds
buf = (ctypes.c_ubyte * (64 * 4))()
def at(i): return ctypes.byref(buf, 64 * i)
assert lib.H5Rcreate_object(fid, b"data", ctypes.c_int64(0), at(0)) >= 0
assert lib.H5Rcreate_object(fid, b"grp", ctypes.c_int64(0), at(1)) >= 0
assert lib.H5Rcreate_attr(fid, b"data", b"units", ctypes.c_int64(0), at(2)) >= 0
sp = data.id.get_space(); sp.select_hyperslab((0, 1), (2, 2))
assert lib.H5Rcreate_region(fid, b"data", ctypes.c_int64(sp.id), ctypes.c_int64(0), at(3)) >= 0
ds = mk("refs", 4)
assert lib.H5Dwrite(ctypes.c_int64(ds), REF, ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_int64(0), buf) >= 0
for i in range(4): lib.H5Rdestroy(at(i))
lib.H5Dclose(ctypes.c_int64(ds))
f.close()

out = (sys.argv[1] if len(sys.argv) > 1 else "tests/data/parity") + "/revref_attr.h5"
f = h5py.File(out, "w")
data = f.create_dataset("data", data=np.arange(12, dtype="<i4").reshape(3, 4))
f.flush()
fid = ctypes.c_int64(f.id.id)
REF = ctypes.c_int64.in_dll(lib, "H5T_STD_REF_g")
lib.H5Acreate2.restype = ctypes.c_int64
lib.H5Screate_simple.restype = ctypes.c_int64
buf = (ctypes.c_ubyte * (64 * 2))()
def at(i): return ctypes.byref(buf, 64 * i)
assert lib.H5Rcreate_object(fid, b"data", ctypes.c_int64(0), at(0)) >= 0
sp = data.id.get_space(); sp.select_hyperslab((0, 1), (2, 2))
assert lib.H5Rcreate_region(fid, b"data", ctypes.c_int64(sp.id), ctypes.c_int64(0), at(1)) >= 0
dims = (ctypes.c_uint64 * 1)(2)
s = lib.H5Screate_simple(1, dims, None)
a = lib.H5Acreate2(ctypes.c_int64(data.id.id), b"refattr", REF, ctypes.c_int64(s), ctypes.c_int64(0), ctypes.c_int64(0))
assert a >= 0
assert lib.H5Awrite(ctypes.c_int64(a), REF, buf) >= 0
lib.H5Aclose(ctypes.c_int64(a))
for i in range(2): lib.H5Rdestroy(at(i))
f.close()
print("wrote revref_dataset.h5, revref_attr.h5")

#!/usr/bin/env python3
"""Makes tests/data/parity/vax.h5: datasets of H5T_VAX_F32 and H5T_VAX_F64 written through
h5py's libhdf5 2.0 C API (ctypes). libhdf5 2.0 stores VAX 1.0 as 00 00 80 40; h5dump 1.10.8
word-swaps VAX values (its VAX memory order is 80 40 00 00) and so prints other numbers:
the goldens (tests/golden/data/parity) hold what 1.10.8 prints."""
import ctypes, glob, os, sys, h5py, numpy as np
d = os.path.dirname(h5py.__file__)
lib = ctypes.CDLL(glob.glob(d + "/../h5py.libs/libhdf5-*.so*")[0])
lib.H5open()
out = (sys.argv[1] if len(sys.argv) > 1 else "tests/data/parity") + "/vax.h5"
f = h5py.File(out, "w", libver="earliest")
fid = ctypes.c_int64(f.id.id)
lib.H5Dcreate2.restype = ctypes.c_int64
lib.H5Screate_simple.restype = ctypes.c_int64
for tname, native, arr in (("H5T_VAX_F32_g", "H5T_NATIVE_FLOAT_g", np.array([1.0, -2.5, 3.14159, 0.0, 1e-10, 6.5e20], dtype=np.float32)),
                           ("H5T_VAX_F64_g", "H5T_NATIVE_DOUBLE_g", np.array([1.0, -2.5, 3.141592653589793, 0.0, 1e-100, 6.5e200], dtype=np.float64))):
    T = ctypes.c_int64.in_dll(lib, tname)
    N = ctypes.c_int64.in_dll(lib, native)
    dims = (ctypes.c_uint64 * 1)(len(arr))
    sp = lib.H5Screate_simple(1, dims, None)
    ds = lib.H5Dcreate2(fid, tname[:-2].lower().encode(), T, ctypes.c_int64(sp), ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_int64(0))
    assert ds >= 0
    assert lib.H5Dwrite(ctypes.c_int64(ds), N, ctypes.c_int64(0), ctypes.c_int64(0), ctypes.c_int64(0), arr.ctypes.data_as(ctypes.c_void_p)) >= 0
    lib.H5Dclose(ctypes.c_int64(ds))
f.close()
print("wrote", out)

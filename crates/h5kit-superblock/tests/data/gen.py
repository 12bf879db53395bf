"""Generates the superblock fixtures of this directory (python3 + h5py).

v1_sizes4.h5: superblock version 1 (non-default indexed storage K = 64), 4-byte offsets
and lengths, userblock of 512 bytes, sym K 8/32.
family-%d.h5: family driver (member size 4096), superblock v0 with an "NCSAfami" driver
information block; only family-0.h5 is kept.
"""
import ctypes
import glob
import os
import h5py
import numpy as np

fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
# h5py does not wrap H5Pset_istore_k: call the libhdf5 that h5py loaded.
lib = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(h5py.__file__), "..", "h5py.libs", "libhdf5-*.so*"))[0])
assert lib.H5Pset_istore_k(ctypes.c_int64(fcpl.id), ctypes.c_uint(64)) >= 0
fcpl.set_sizes(4, 4)
assert lib.H5Pset_sym_k(ctypes.c_int64(fcpl.id), ctypes.c_uint(32), ctypes.c_uint(8)) >= 0
fcpl.set_userblock(512)
fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
fapl.set_libver_bounds(h5py.h5f.LIBVER_EARLIEST, h5py.h5f.LIBVER_LATEST)
fid = h5py.h5f.create(b"v1_sizes4.h5", h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
f = h5py.File(fid)
f["x"] = np.arange(4, dtype="<i4")
f.close()

with h5py.File("family-%d.h5", "w", driver="family", memb_size=4096, libver="earliest") as f:
    f["x"] = np.arange(10, dtype="<i4")
for name in os.listdir("."):
    if name.startswith("family-") and name != "family-0.h5":
        os.remove(name)

import ctypes, glob, os, h5py
from h5py import h5p, h5f
libdir = os.path.join(os.path.dirname(h5py.__file__), '..', 'h5py.libs')
lib = ctypes.CDLL(glob.glob(os.path.join(libdir, 'libhdf5-*.so*'))[0])
fcpl = h5p.create(h5p.FILE_CREATE)
hid = ctypes.c_int64(fcpl.id)
print(lib.H5Pset_sym_k(hid, ctypes.c_uint(20), ctypes.c_uint(6)), lib.H5Pset_istore_k(hid, ctypes.c_uint(40)))
fapl = h5p.create(h5p.FILE_ACCESS)
fapl.set_libver_bounds(h5f.LIBVER_LATEST, h5f.LIBVER_LATEST)
fid = h5f.create(b'kvalues.h5', h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
h5py.File(fid).close()

# Generates sohm.hdf5: a file whose shared object header messages (all types) are indexed by
# a v2 B-tree of type 7 from the start (phase change 0/0), messages in the SOHM fractal heap.
import h5py, ctypes, os, numpy as np
lib = ctypes.CDLL(os.path.join(os.path.dirname(h5py.__file__), '..', 'h5py.libs', 'libhdf5-9e18f0c6.so.320.0.0'))
lib.H5Pset_shared_mesg_nindexes.argtypes = [ctypes.c_int64, ctypes.c_uint]
lib.H5Pset_shared_mesg_index.argtypes = [ctypes.c_int64, ctypes.c_uint, ctypes.c_uint, ctypes.c_uint]
lib.H5Pset_shared_mesg_phase_change.argtypes = [ctypes.c_int64, ctypes.c_uint, ctypes.c_uint]
from h5py import h5p, h5f
fcpl = h5p.create(h5p.FILE_CREATE)
assert lib.H5Pset_shared_mesg_nindexes(fcpl.id, 1) >= 0
H5O_SHMESG_ALL_FLAG = 0x0002 | 0x0004 | 0x0008 | 0x0010 | 0x0020  # sdspace, dtype, fill, pline, attr
assert lib.H5Pset_shared_mesg_index(fcpl.id, 0, H5O_SHMESG_ALL_FLAG, 1) >= 0
assert lib.H5Pset_shared_mesg_phase_change(fcpl.id, 0, 0) >= 0
fapl = h5p.create(h5p.FILE_ACCESS)
fapl.set_libver_bounds(h5f.LIBVER_LATEST, h5f.LIBVER_LATEST)
fid = h5f.create(b'sohm.hdf5', h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
f = h5py.File(fid)
for i in range(4):
    d = f.create_dataset('d%d' % i, data=np.arange(6, dtype='<i4').reshape(2, 3) + i)
    d.attrs['units'] = np.bytes_(b'metres')
f.close()

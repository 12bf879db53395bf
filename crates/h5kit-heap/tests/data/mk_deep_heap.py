# Generates deep_heap.hdf5: a deflate-filtered dense link heap holding 200 links whose names
# are 4000 bytes long (just under the 4096-byte managed object limit), i.e. over 800 KB of heap
# space: beyond the root indirect block's direct rows (512 KB), so child indirect blocks exist.
# Deflate keeps the file small.
import h5py, ctypes, os
lib = ctypes.CDLL(os.path.join(os.path.dirname(h5py.__file__), '..', 'h5py.libs', 'libhdf5-9e18f0c6.so.320.0.0'))
lib.H5Pset_deflate.argtypes = [ctypes.c_int64, ctypes.c_uint]
lib.H5Pset_link_phase_change.argtypes = [ctypes.c_int64, ctypes.c_uint, ctypes.c_uint]
import h5py.h5p as p, h5py.h5g as g
f = h5py.File('deep_heap.hdf5', 'w', libver='latest')
gcpl = p.create(p.GROUP_CREATE)
assert lib.H5Pset_deflate(gcpl.id, 9) >= 0
assert lib.H5Pset_link_phase_change(gcpl.id, 0, 0) >= 0
g.create(f.id, b'deep', gcpl=gcpl)
grp = f['deep']
for i in range(200):
    grp['%03d' % i + 'x' * 3997] = h5py.SoftLink('/t')
f.close()

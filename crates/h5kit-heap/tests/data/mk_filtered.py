# Generates filtered_heaps.hdf5: dense link storage whose fractal heaps use deflate (set on the
# group creation property list through libhdf5's C API), plus huge (over 4096-byte) link names.
import h5py, ctypes, os
lib = ctypes.CDLL(os.path.join(os.path.dirname(h5py.__file__), '..', 'h5py.libs', 'libhdf5-9e18f0c6.so.320.0.0'))
lib.H5Pset_deflate.argtypes = [ctypes.c_int64, ctypes.c_uint]
lib.H5Pset_link_phase_change.argtypes = [ctypes.c_int64, ctypes.c_uint, ctypes.c_uint]
import h5py.h5p as p, h5py.h5g as g
f = h5py.File('filtered_heaps.hdf5', 'w', libver='latest')
def group(name, deflate, n, huge):
    gcpl = p.create(p.GROUP_CREATE)
    if deflate:
        assert lib.H5Pset_deflate(gcpl.id, 6) >= 0
    assert lib.H5Pset_link_phase_change(gcpl.id, 0, 0) >= 0
    g.create(f.id, name.encode(), gcpl=gcpl)
    grp = f[name]
    for i in range(n):
        grp['link_%03d' % i] = h5py.SoftLink('/target_%03d' % i)
    if huge:
        grp['H' * 5000] = h5py.SoftLink('/huge_target')
group('filtered_indirect', True, 60, True)
group('filtered_direct', True, 3, False)
group('plain_huge', False, 3, True)
f.close()

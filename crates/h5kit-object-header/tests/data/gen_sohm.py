import ctypes, glob, os, h5py, numpy as np
from h5py import h5p, h5f
libdir = os.path.join(os.path.dirname(h5py.__file__), '..', 'h5py.libs')
cands = glob.glob(os.path.join(libdir, 'libhdf5-*.so*')) + glob.glob(os.path.join(libdir, 'libhdf5*.so*'))
cands = [c for c in cands if 'hl' not in os.path.basename(c)]
print(cands)
lib = ctypes.CDLL(cands[0])
fcpl = h5p.create(h5p.FILE_CREATE)
hid = ctypes.c_int64(fcpl.id)
print(lib.H5Pset_shared_mesg_nindexes(hid, ctypes.c_uint(2)))
# index 0: datatype+dataspace (bits 1,0 -> H5O_SHMESG_DTYPE_FLAG=2, SDSPACE=1), min size 0
print(lib.H5Pset_shared_mesg_index(hid, ctypes.c_uint(0), ctypes.c_uint(0x000a), ctypes.c_uint(1)))
# index 1: attributes + fill + pline (ATTR=0x10, FILL=0x04, PLINE=0x08)
print(lib.H5Pset_shared_mesg_index(hid, ctypes.c_uint(1), ctypes.c_uint(0x1820), ctypes.c_uint(1)))
fid = h5f.create(b'sohm.h5', h5f.ACC_TRUNC, fcpl=fcpl)
f = h5py.File(fid)
for i in range(3):
    d = f.create_dataset('d%d' % i, data=np.arange(12, dtype='<i4').reshape(3, 4), chunks=(3, 2), compression='gzip', fillvalue=7)
    d.attrs['units'] = np.array([1.5, 2.5], dtype='<f8')
    d.attrs['name'] = b'abcdefgh'
f.close()

"""Generates types.h5 (libhdf5 2.0 via h5py + ctypes): datatype version 4 (revised
reference H5T_STD_REF) and 5 (complex), layout versions 4/5 (filtered single chunk,
filtered fixed array, extensible array, v2 B-tree)."""
import ctypes, glob, os, h5py, numpy as np
from h5py import h5t, h5s, h5d, h5p

libdir = os.path.join(os.path.dirname(h5py.__file__), '..', 'h5py.libs')
lib = ctypes.CDLL([c for c in glob.glob(os.path.join(libdir, 'libhdf5-*.so*'))][0])
lib.H5Tcomplex_create.restype = ctypes.c_int64
lib.H5Tcopy.restype = ctypes.c_int64
def gvar(name):
    return ctypes.c_int64.in_dll(lib, name).value

lib.H5open()
libver = ('v200', 'v200')
with h5py.File('types.h5', 'w', libver=libver) as f:
    # Complex (class 11): H5Tcomplex_create(H5T_NATIVE_DOUBLE)
    cid = lib.H5Tcomplex_create(ctypes.c_int64(gvar('H5T_NATIVE_DOUBLE_g')))
    ctid = h5t.typewrap(cid)
    sid = h5s.create_simple((3,))
    h5d.create(f.id, b'complex', ctid, sid)
    # Revised reference (datatype version 4): H5T_STD_REF
    rid = lib.H5Tcopy(ctypes.c_int64(gvar('H5T_STD_REF_g')))
    h5d.create(f.id, b'ref2', h5t.typewrap(rid), h5s.create_simple((2,)))
    # Layouts
    f.create_dataset('single_filtered', data=np.arange(20, dtype='<i2'), chunks=(20,), compression='gzip')
    f.create_dataset('fixed_filtered', data=np.arange(40, dtype='<i4'), chunks=(10,), compression='gzip', shuffle=True)
    f.create_dataset('earray_filtered', data=np.arange(40, dtype='<i4'), chunks=(10,), maxshape=(None,), compression='gzip')
    f.create_dataset('btree2_filtered', data=np.arange(40, dtype='<f8').reshape(4, 10), chunks=(2, 5), maxshape=(None, None), compression='lzf')
    f.create_dataset('contiguous', data=np.arange(6, dtype='>u8'))
    f.create_dataset('compact', data=np.arange(3, dtype='<i1'), compact=True) if 'compact' in h5py.File.create_dataset.__code__.co_varnames else None

# oldfill_chunked.h5: a chunked dataset (libver earliest, fill value 3) whose new fill value
# message was then turned into a NIL message, leaving only the old one (type 4). h5dump -p
# then reports FILL_TIME H5D_FILL_TIME_IFSET, VALUE 3, H5D_ALLOC_TIME_LATE. Made with:
#   h5py.File('oldfill_chunked.h5', 'w', libver='earliest').create_dataset(
#       'c', data=np.arange(10, dtype='<i4'), chunks=(5,), fillvalue=3)
#   then byte (fill value message body address - 8) set from 5 to 0 (v1 header, no checksum).

"""Writes types_earliest.h5 and types_latest.h5 (h5py): the source files of tests/edit_types.rs.
Committed datatype 't' and dataset 'd' of it, int32 'x' (2x3), group 'g', compound with a
variable-length string member 'vc', vlen strings 's', object references 'r', region
references 'rr', null dataset 'n' and null attribute 'na' on the root."""
import h5py, numpy as np
# 'latest' is libver v110 (superblock 3, version 2 headers): libhdf5 2.0's own latest format
# is not readable by h5dump 1.10.
for lv, libver in [('earliest', 'earliest'), ('latest', ('v110', 'v110'))]:
    with h5py.File(f'types_{lv}.h5', 'w', libver=libver) as f:
        f['t'] = np.dtype([('a', '<i4'), ('b', '<f8')])
        f.create_dataset('d', shape=(3,), dtype=f['t'])
        f['d'][...] = np.array([(1, 0.5), (2, 1.5), (3, 2.5)], dtype=f['t'].dtype)
        f['x'] = np.array([[10, 20, 30], [40, 50, 60]], dtype='<i4')
        f.create_group('g')
        vc = np.dtype([('id', '<i4'), ('name', h5py.string_dtype())])
        f.create_dataset('vc', data=np.array([(1, 'one'), (2, 'two')], dtype=vc))
        f.create_dataset('s', data=['aa', 'bb', 'cc', 'dd'], dtype=h5py.string_dtype())
        r = f.create_dataset('r', (2,), dtype=h5py.ref_dtype)
        r[0] = f['d'].ref
        r[1] = f['g'].ref
        rr = f.create_dataset('rr', (1,), dtype=h5py.regionref_dtype)
        rr[0] = f['x'].regionref[0:1, 1:3]
        f.create_dataset('n', data=h5py.Empty('<f4'))
        f.attrs['na'] = h5py.Empty('<i4')

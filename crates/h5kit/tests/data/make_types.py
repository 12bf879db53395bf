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

# An implicit chunk index (early allocation, unfiltered, fixed shape: libhdf5's "no index")
# and the edge chunks of a 5x4 dataset of 2x2 chunks.
with h5py.File('implicit_v110.h5', 'w', libver=('v110', 'v110')) as f:
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((2, 2))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    space = h5py.h5s.create_simple((5, 4))
    h5py.h5d.create(f.id, b'imp', h5py.h5t.STD_I32LE, space, dcpl=dcpl)
    f['imp'][...] = np.arange(20, dtype='<i4').reshape(5, 4)

# Superblock extensions: persisted free-space managers (empty at close; edited in place) and
# paged aggregation (not edited in place: the model rewrites the file).
with h5py.File('fsm_persist.h5', 'w', libver=('v110', 'v110'), fs_strategy='fsm', fs_persist=True) as f:
    f['x'] = np.arange(6, dtype='<i4')
with h5py.File('fs_page.h5', 'w', libver=('v110', 'v110'), fs_strategy='page', fs_page_size=4096) as f:
    f['x'] = np.arange(6, dtype='<i4')

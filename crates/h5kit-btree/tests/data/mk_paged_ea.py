# Generates paged_earray.hdf5: extensible array chunk indexes with paged data blocks. With the
# default parameters (16-element minimum data block, 1024-element pages) data blocks first
# exceed a page at super block level 13 (elements 131060 and up), so only a few elements up
# there are written: a sparse array keeps the file small and leaves pages uninitialized.
import h5py
f = h5py.File('paged_earray.hdf5', 'w', libver='latest')
for name, kw in [('plain', {}), ('gzip', {'compression': 'gzip'})]:
    d = f.create_dataset(name, shape=(140000,), maxshape=(None,), chunks=(1,), dtype='i1', **kw)
    d[3] = 1
    d[20] = 2
    d[132170] = 3  # page 1 of the first level-13 data block; its page 0 stays uninitialized
f.close()

# Generates creation_order.hdf5: a group and a dataset with tracked and indexed creation order
# and enough links / attributes to use dense storage, so that v2 B-trees of types 6 (link
# creation order) and 9 (attribute creation order) exist. Names are created in reverse order.
import h5py
f = h5py.File('creation_order.hdf5', 'w', libver='latest', track_order=True)
g = f.create_group('g', track_order=True)
for i in reversed(range(20)):
    g.create_group('n%02d' % i)
d = f.create_dataset('d', data=[1, 2, 3], track_order=True)
for i in reversed(range(20)):
    d.attrs['a%02d' % i] = i
f.close()

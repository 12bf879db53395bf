# Generates bt2_layout_v5.hdf5: a gzip-filtered dataset with two unlimited dimensions written by
# libhdf5 2.0 (layout message version 5), so its v2 B-tree chunk index (type 11) stores
# "Chunk Size" with the Size of Offsets (8 bytes).
import h5py, numpy as np
f = h5py.File('bt2_layout_v5.hdf5', 'w', libver='latest')
d = f.create_dataset('z', shape=(20, 30), maxshape=(None, None), chunks=(4, 7), dtype='<i4', compression='gzip')
d[...] = np.arange(600, dtype='<i4').reshape(20, 30)
f.close()

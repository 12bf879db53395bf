"""vds_ext.h5: a virtual dataset (layout class 3) and a dataset with external storage
(external data files message, type 7)."""
import h5py, numpy as np
with h5py.File('vds_src.h5', 'w') as f:
    f.create_dataset('data', data=np.arange(8, dtype='<i4'))
with h5py.File('vds_ext.h5', 'w', libver='earliest') as f:
    lay = h5py.VirtualLayout(shape=(8,), dtype='<i4')
    lay[:] = h5py.VirtualSource('vds_src.h5', 'data', shape=(8,))
    f.create_virtual_dataset('virtual', lay, fillvalue=-1)
    f.create_dataset('external', shape=(4,), dtype='<i2', external=[('ext_a.bin', 0, 4), ('ext_b.bin', 16, 4)])

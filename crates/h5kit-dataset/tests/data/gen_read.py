"""Generates read.h5 (+ read_ext.bin) and read.manifest for tests/read.rs (python3 + h5py).

read.manifest lists datasets of read.h5 and of interop files: LABEL PATH OBJECT_HEADER_ADDRESS
EXPECTED_BIN STORAGE_SIZE, where EXPECTED_BIN holds dataset[...].tobytes() as h5py reads it
(only datasets whose numpy type has the file type's size and byte layout) and STORAGE_SIZE
is h5py's get_storage_size() (h5dump -p "SIZE").

Run from this directory: python3 gen_read.py
"""
import ctypes
import glob
import os
import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "..", "..", "..", "..", "tests", "data", "interop")
LIB = ctypes.CDLL(glob.glob(os.path.join(os.path.dirname(h5py.__file__), "..", "h5py.libs", "libhdf5-*.so*"))[0])


def make():
    path = os.path.join(HERE, "read.h5")
    with h5py.File(path, "w", libver="latest") as f:
        # Fixed array index with max dims larger than the current dims (chunk grid question).
        d = f.create_dataset("farray_max_gt_dims", shape=(5, 7), maxshape=(10, 12), chunks=(2, 3), dtype="<i4")
        d[...] = np.arange(35).reshape(5, 7)
        # Extensible array (one unlimited dimension), some chunks never written -> fill value.
        d = f.create_dataset("earray_fill", shape=(20,), maxshape=(None,), chunks=(4,), dtype="<i2", fillvalue=-9)
        d[0:4] = 1
        d[12:14] = 7
        # Extensible array with the unlimited dimension last, fixed dimension max > current.
        d = f.create_dataset("earray_unlim_last", shape=(5, 10), maxshape=(8, None), chunks=(2, 3), dtype="<i4",
                             fillvalue=-1)
        d[:, :7] = np.arange(35).reshape(5, 7)
        # v2 B-tree (two unlimited dimensions), filtered, edge chunks.
        d = f.create_dataset("btree2_gzip", shape=(9, 11), maxshape=(None, None), chunks=(4, 4), dtype="<f8",
                             compression="gzip")
        d[...] = np.arange(99).reshape(9, 11) / 8
        # Single chunk, filtered.
        f.create_dataset("single_gzip", data=np.arange(12, dtype="<u8"), chunks=(12,), compression="gzip")
        f.create_dataset("compact", data=np.arange(6, dtype="<i4"), chunks=None)
        f.create_dataset("contiguous_unwritten", shape=(10,), dtype="<f4", fillvalue=2.5)
        f.create_dataset("chunked_unwritten", shape=(6, 6), chunks=(3, 3), dtype="<i4", fillvalue=42)
        f.create_dataset("scalar", data=np.float64(3.25))
        f.create_dataset("external", data=np.arange(10, dtype="<i4"),
                         external=[("read_ext.bin", 0, 16), ("read_ext.bin", 100, 24)])
    # Implicit index: early allocation, fixed dims; and "do not filter partial edge chunks".
    fid = h5py.h5f.open(path.encode(), h5py.h5f.ACC_RDWR)
    space = h5py.h5s.create_simple((7, 5))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((3, 2))
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    ds = h5py.h5d.create(fid, b"implicit", h5py.h5t.STD_I16LE, space, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(35, dtype="<i2").reshape(7, 5))
    ds.close()
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((4, 3))
    dcpl.set_deflate(6)
    assert LIB.H5Pset_chunk_opts(ctypes.c_int64(dcpl.id), ctypes.c_uint(2)) >= 0  # H5D_CHUNK_DONT_FILTER_PARTIAL_CHUNKS
    space = h5py.h5s.create_simple((6, 8), (6, 8))
    ds = h5py.h5d.create(fid, b"no_filter_partial_edges", h5py.h5t.STD_I32LE, space, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(48, dtype="<i4").reshape(6, 8))
    ds.close()
    fid.close()


def usable(d):
    t = d.id.get_type()
    if t.get_class() in (h5py.h5t.VLEN, h5py.h5t.REFERENCE) or d.dtype.kind == "O":
        return False
    if t.get_size() != d.dtype.itemsize or d.dtype.hasobject:
        return False
    if isinstance(d.id.get_type(), h5py.h5t.TypeCompoundID):
        # Same member offsets as numpy's
        for i in range(t.get_nmembers()):
            name = t.get_member_name(i).decode()
            if d.dtype.fields[name][1] != t.get_member_offset(i):
                return False
    return d.size * d.dtype.itemsize <= 65536


def describe(out, label, path):
    with h5py.File(path, "r") as f:
        items = []
        f.visititems(lambda n, o: items.append((n, o)) if isinstance(o, h5py.Dataset) else None)
        for name, d in items:
            try:
                if not usable(d):
                    continue
                data = d[()] if d.shape is None else d[...]
            except Exception:
                continue
            addr = h5py.h5o.get_info(d.id).addr
            fname = (label + "_" + name).replace("/", "_").replace(":", "_") + ".bin"
            with open(os.path.join(HERE, "read_expected", fname), "wb") as fh:
                fh.write(np.asarray(data).tobytes() if d.shape is not None else b"")
            out.append("dataset %s %s %d %s %d" % (label, name, addr, fname, d.id.get_storage_size()))


if __name__ == "__main__":
    with open(os.path.join(HERE, "read_ext.bin"), "wb") as fh:
        fh.write(bytes(200))
    make()
    os.makedirs(os.path.join(HERE, "read_expected"), exist_ok=True)
    out = ["# generated by gen_read.py: dataset LABEL PATH OBJECT_HEADER_ADDRESS EXPECTED STORAGE_SIZE"]
    describe(out, "local", os.path.join(HERE, "read.h5"))
    for rel in ["jhdf/test_chunked_datasets_earliest.hdf5", "jhdf/test_chunked_datasets_latest.hdf5",
                "jhdf/chunked_v4_datasets.hdf5", "jhdf/implicit_index_datasets.hdf5",
                "jhdf/fixed_array_paged_datasets.hdf5", "jhdf/test_compact_datasets_earliest.hdf5",
                "jhdf/test_compact_datasets_latest.hdf5", "jhdf/test_compressed_chunked_datasets_earliest.hdf5",
                "jhdf/test_compressed_chunked_datasets_latest.hdf5", "jhdf/test_fill_value_earliest.hdf5",
                "jhdf/test_fill_value_latest.hdf5", "jhdf/test_byteshuffle_compressed_datasets_latest.hdf5",
                "jhdf/test_userblock_earliest.hdf5", "jhdf/test_userblock_latest.hdf5",
                "jhdf/test_odd_datasets_earliest.hdf5", "jhdf/test_odd_datasets_latest.hdf5",
                "jhdf/test_scalar_empty_datasets_earliest.hdf5", "jhdf/test_scalar_empty_datasets_latest.hdf5",
                "jhdf/compound_datasets_earliest.hdf5", "jhdf/test_string_datasets_latest.hdf5",
                "jhdf/float_special_values_latest.hdf5", "jhdf/bitfield_datasets.hdf5",
                "pyfive/btreev2.hdf5", "pyfive/chunked.hdf5", "pyfive/compressed.hdf5", "pyfive/resizable.hdf5",
                "pyfive/dataset_multidim.hdf5", "pyfive/fillvalue_earliest.hdf5", "pyfive/fillvalue_latest.hdf5",
                "pyfive/filter_pipeline_v2.hdf5", "pyfive/compact.hdf5", "pyfive/earliest.hdf5", "pyfive/latest.hdf5",
                "pyfive/netcdf4_classic.nc", "pyfive/issue23_A.nc", "pyfive/issue23_A_contiguous.nc"]:
        try:
            describe(out, "interop:" + rel, os.path.join(INTEROP, rel))
        except OSError as e:
            print("skip", rel, e)
    with open(os.path.join(HERE, "read.manifest"), "w") as fh:
        fh.write("\n".join(out) + "\n")
    print(len(out) - 1, "datasets")

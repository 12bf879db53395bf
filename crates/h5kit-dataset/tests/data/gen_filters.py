"""Generates filters.h5 and filters.manifest for tests/filters.rs (python3, h5py, hdf5plugin).

filters.manifest describes, for each dataset of filters.h5 and of some interop files, the
filter pipeline (ids and client data, as h5py reports them), every chunk (file offset, stored
size, filter mask, chunk coordinates) and the expected data (dataset[...].tobytes() as h5py
reads it, in <name>.bin). The Rust test decodes each chunk with decode_pipeline and compares
the elements inside the dataset extent.

Run from this directory: python3 gen_filters.py
"""
import os
import h5py
import hdf5plugin
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.join(HERE, "..", "..", "..", "..", "tests", "data", "interop")


def make():
    raw = {}
    rng = np.random.default_rng(42)
    with h5py.File(os.path.join(HERE, "filters.h5"), "w", libver="latest") as f:
        f.create_dataset("lzf_i32", data=np.arange(1000, dtype="<i4") // 50, chunks=(250,), compression="lzf")
        f.create_dataset("lzf_text", data=np.frombuffer(b"the quick brown fox jumps over the lazy dog " * 40, dtype="u1"), chunks=(600,), compression="lzf")
        # Random floats: LZF cannot shrink some chunks, so the optional filter is skipped (mask bit).
        f.create_dataset("lzf_f64_random", data=rng.random((20, 30)), chunks=(10, 15), compression="lzf")
        f.create_dataset("lz4_default", data=np.arange(25 * 17, dtype="<i4").reshape(25, 17) % 50,
                         chunks=(10, 10), **hdf5plugin.LZ4())
        f.create_dataset("lz4_blocks64", data=(np.arange(3000, dtype="<u2") // 7), chunks=(1000,),
                         **hdf5plugin.LZ4(nbytes=64))
        f.create_dataset("zstd_i64", data=np.arange(2000, dtype="<i8") // 3, chunks=(700,), **hdf5plugin.Zstd(clevel=5))
        for cname in ["lz4", "zstd", "none"]:
            f.create_dataset("bitshuffle_" + cname, data=(np.arange(1003, dtype="<u2") * 37) % 1000,
                             chunks=(300,), **hdf5plugin.Bitshuffle(nelems=0, cname=cname))
        f.create_dataset("bitshuffle_f32_block16", data=np.linspace(0, 1, 100, dtype="<f4"), chunks=(100,),
                         **hdf5plugin.Bitshuffle(nelems=16, cname="none"))
        # Scale-offset, integers: automatic minbits, with and without a fill value, signed,
        # unsigned, big-endian.
        f.create_dataset("so_i32", data=np.arange(1000, 1100, dtype="<i4"), chunks=(40,), scaleoffset=0)
        d = np.arange(-50, 50, dtype="<i2")
        d[::7] = -7
        f.create_dataset("so_i16_fill", data=d, chunks=(30,), scaleoffset=0, fillvalue=-7)
        f.create_dataset("so_u8", data=(np.arange(200) % 13 + 100).astype("u1"), chunks=(64,), scaleoffset=0)
        f.create_dataset("so_be_i32", data=np.arange(-300, 300, 3, dtype=">i4"), chunks=(50,), scaleoffset=0)
        f.create_dataset("so_i64_const", data=np.full(50, 123456789012, dtype="<i8"), chunks=(50,), scaleoffset=0)
        f.create_dataset("so_u16_minbits5", data=(np.arange(100) % 32).astype("<u2"), chunks=(100,), scaleoffset=5)
        # Scale-offset, floats (D-scale).
        f.create_dataset("so_f32_d2", data=np.linspace(-5, 5, 101, dtype="<f4"), chunks=(50,), scaleoffset=2)
        f.create_dataset("so_f64_d3", data=np.sin(np.arange(80) / 7.0), chunks=(40,), scaleoffset=3)
        df = np.linspace(0, 10, 60).astype("<f8")
        df[::5] = -1.0
        f.create_dataset("so_f64_fill", data=df, chunks=(60,), scaleoffset=1, fillvalue=-1.0)
        # Deflate, shuffle, Fletcher-32 together.
        f.create_dataset("shuffle_deflate_fletcher", data=np.arange(30 * 7, dtype="<f8").reshape(30, 7) / 3,
                         chunks=(8, 7), shuffle=True, compression="gzip", compression_opts=4, fletcher32=True)
    # N-bit, through the low-level API.
    fid = h5py.h5f.open(os.path.join(HERE, "filters.h5").encode(), h5py.h5f.ACC_RDWR)

    def nbit(name, base, precision, offset, values, chunk):
        t = base.copy()
        t.set_precision(precision)
        t.set_offset(offset)
        space = h5py.h5s.create_simple((len(values),))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((chunk,))
        dcpl.set_filter(h5py.h5z.FILTER_NBIT)
        ds = h5py.h5d.create(fid, name.encode(), t, space, dcpl=dcpl)
        arr = np.ascontiguousarray(values)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, arr)

    # The chunks hold the values in the file datatype: value bits shifted to "offset", padding 0.
    v = np.arange(-100, 100, dtype="<i4") * 16
    nbit("nbit_i32_p12_o4", h5py.h5t.STD_I32LE, 12, 4, v, 64)
    raw["nbit_i32_p12_o4"] = ((v.astype("<i8") & 0xfff) << 4).astype("<u4").tobytes()
    v = (np.arange(300) % 128).astype("<u2")
    nbit("nbit_u16_p7_o0", h5py.h5t.STD_U16LE, 7, 0, v, 100)
    raw["nbit_u16_p7_o0"] = v.tobytes()
    v = np.arange(77, dtype=">u4") * 1000
    nbit("nbit_be_u32_p20_o3", h5py.h5t.STD_U32BE, 20, 3, v, 77)
    raw["nbit_be_u32_p20_o3"] = ((v & 0xfffff) << 3).astype(">u4").tobytes()
    # Compound of an n-bit integer, a float and a string (no-op for n-bit).
    ct = h5py.h5t.create(h5py.h5t.COMPOUND, 16)
    it = h5py.h5t.STD_U32LE.copy()
    it.set_precision(10)
    it.set_offset(2)
    st = h5py.h5t.C_S1.copy()
    st.set_size(4)
    ct.insert(b"a", 0, it)
    ct.insert(b"s", 4, st)
    ct.insert(b"f", 8, h5py.h5t.IEEE_F64LE)
    n = 40
    rec = np.zeros(n, dtype=[("a", "<u4"), ("s", "S4"), ("f", "<f8")])
    rec["a"] = np.arange(n) * 9 % 1024
    rec["s"] = [b"s%02d" % i for i in range(n)]
    rec["f"] = np.arange(n) / 4.0
    space = h5py.h5s.create_simple((n,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((16,))
    dcpl.set_filter(h5py.h5z.FILTER_NBIT)
    ds = h5py.h5d.create(fid, b"nbit_compound", ct, space, dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, rec)
    ds.close()
    fid.close()
    rec_raw = rec.copy()
    rec_raw["a"] = rec["a"] << 2
    raw["nbit_compound"] = rec_raw.tobytes()
    return raw


def describe(out, label, path, names, raw=None):
    with h5py.File(path, "r") as f:
        for name in names:
            d = f[name]
            dcpl = d.id.get_create_plist()
            out.append("dataset %s %s %s %s %s %d %s.bin" % (
                label, name, ",".join(map(str, d.shape)), ",".join(map(str, d.chunks)),
                d.dtype.str, d.dtype.itemsize, (label + "_" + name).replace("/", "_").replace(":", "_")))
            for i in range(dcpl.get_nfilters()):
                code, flags, cd, fname = dcpl.get_filter(i)
                out.append("filter %d %s" % (code, ",".join(map(str, cd)) if cd else "-"))
            for i in range(d.id.get_num_chunks()):
                info = d.id.get_chunk_info(i)
                out.append("chunk %d %d %d %s" % (info.byte_offset, info.size, info.filter_mask,
                                                  ",".join(map(str, info.chunk_offset))))
            data = raw[name] if raw and name in raw else d[...].tobytes()
            with open(os.path.join(HERE, "expected", (label + "_" + name).replace("/", "_").replace(":", "_") + ".bin"), "wb") as fh:
                fh.write(data)


if __name__ == "__main__":
    raw = make()
    os.makedirs(os.path.join(HERE, "expected"), exist_ok=True)
    out = ["# generated by gen_filters.py: dataset LABEL NAME SHAPE CHUNK DTYPE ELEMSIZE EXPECTED;",
           "# filter ID CD; chunk FILE_OFFSET SIZE FILTER_MASK CHUNK_COORDS"]
    with h5py.File(os.path.join(HERE, "filters.h5"), "r") as f:
        names = sorted(f.keys())
    describe(out, "local", os.path.join(HERE, "filters.h5"), names, raw)
    interop = {
        "jhdf/lz4_datasets.hdf5": None,
        "jhdf/bitshuffle_datasets.hdf5": None,
        "jhdf/fletcher32_datasets_earliest.hdf5": ["float/float32", "float/float64", "int/int16", "int/int32", "int/int8"],
        "jhdf/fletcher32_datasets_latest.hdf5": ["float/float32", "float/float64", "int/int16", "int/int32", "int/int8"],
        "pyfive/fletcher32.hdf5": ["dataset1", "dataset2"],
        "jhdf/test_byteshuffle_compressed_datasets_earliest.hdf5": ["float/float32", "float/float64", "int/int16", "int/int32", "int/int8"],
        "pyfive/compressed.hdf5": ["dataset1", "dataset2", "dataset3"],
        "pyfive/filter_pipeline_v2.hdf5": ["data"],
    }
    for rel, names in interop.items():
        path = os.path.join(INTEROP, rel)
        if names is None:
            with h5py.File(path, "r") as f:
                names = sorted(f.keys())
        describe(out, "interop:" + rel, path, names)
    with open(os.path.join(HERE, "filters.manifest"), "w") as fh:
        fh.write("\n".join(out) + "\n")

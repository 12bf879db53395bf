#!/usr/bin/env bash
# Makes tests/data/szip/: a source file (h5py: integers and floats of 1, 2, 4 and 8 bytes,
# little- and big-endian, smooth, noisy, zero and incompressible data, rows shorter than a
# block, rows of whole blocks, rows of 128+ blocks) and its szip copies made by h5repack
# (Debian's libhdf5 1.10.8 with libaec 1.0.6):
#   szip_8nn.h5 (-f SZIP=8,NN), szip_16ec.h5 (SZIP=16,EC), szip_32nn.h5 (SZIP=32,NN),
#   szip_8ec.h5 (SZIP=8,EC).
# h5kit's tests (crates/h5kit/tests/szip.rs) read them against the source.
set -euo pipefail
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/data/szip"
mkdir -p "$OUT"
python3 - "$OUT/szip_source.h5" <<'PY'
import sys
import numpy as np, h5py
rng = np.random.default_rng(15)
with h5py.File(sys.argv[1], "w", libver="earliest") as f:
    def put(name, arr, chunks):
        f.create_dataset(name, data=arr, chunks=chunks)
    shape = (23, 128)
    base = np.add.outer(np.arange(shape[0]) * 3.0, np.sin(np.arange(shape[1]) / 7.0) * 40.0)
    for t in ["i1", "u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", ">i2", ">u2", ">i4", ">i8", ">u8"]:
        dt = np.dtype(t)
        info = np.iinfo(dt)
        vals = base + rng.integers(-3, 4, size=shape)
        if info.min == 0:
            vals = np.abs(vals)
        vals = np.clip(vals, info.min, info.max).astype(dt)
        put("smooth_" + dt.str.replace("|", "").replace("<", "le_").replace(">", "be_"), vals, (10, 128))
    for t in ["<f4", "<f8", ">f4", ">f8"]:
        dt = np.dtype(t)
        put("float_" + t.replace("<", "le_").replace(">", "be_"), (base / 10.0 + rng.normal(0, 0.01, shape)).astype(dt), (10, 128))
    # extremes of the integer range (mapping edge cases)
    put("extremes_i2", np.tile(np.array([-32768, 32767, 0, -1, 1, -32768, -32768, 32767], dtype="<i2"), 300).reshape(30, 80), (6, 80))
    put("extremes_u4", np.tile(np.array([0, 4294967295, 1, 4294967294], dtype="<u4"), 200).reshape(10, 80), (5, 80))
    # rows of whole blocks (64), zeros (zero-block runs), a step
    z = np.zeros((40, 64), dtype="<i4"); z[20:, :] = 7; z[30, 5] = 100000
    put("zeros_steps_i4", z, (16, 64))
    # incompressible: the optional filter fails, the chunk is stored unfiltered
    put("noise_u1", rng.integers(0, 256, size=(8, 512), dtype=np.uint8), (8, 512))
    put("noise_u4", rng.integers(0, 2**32, size=(4, 256), dtype=np.uint32), (2, 256))
    # rows shorter than a block: scanline = whole chunk (capped)
    put("narrow_i2", (np.arange(600).reshape(150, 4) % 37).astype("<i2"), (50, 4))
    # one long row: scanline capped at 128 blocks; partial last chunk
    put("long_row_u2", (np.arange(10000) // 3 % 5000).astype("<u2"), (6000,))
    # 3-D
    put("cube_f4", rng.normal(5, 1, size=(6, 7, 40)).astype("<f4"), (3, 7, 40))
PY
cd "$OUT"
h5repack -f SZIP=8,NN szip_source.h5 szip_8nn.h5
h5repack -f SZIP=16,EC szip_source.h5 szip_16ec.h5
h5repack -f SZIP=32,NN szip_source.h5 szip_32nn.h5
h5repack -f SZIP=8,EC szip_source.h5 szip_8ec.h5
ls -l "$OUT"

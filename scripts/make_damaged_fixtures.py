#!/usr/bin/env python3
"""Makes tests/data/damaged/: small files with one damaged or unknown header message, patched
from h5py files (libver earliest: version 1 object headers):

- bad_attribute.h5: dataset "d" (int32 0..11) with attributes "good" and "bad"; the version
  byte of "bad"'s attribute message is set to 7 (no such version). libhdf5 opens the dataset
  and reads its data; reading the attributes fails.
- fail_if_unknown.h5: datasets "plain", "unknown_ok", "unknown_fail" and "unknown_write"
  (each int32 0..3); in the last three a NIL message of the header becomes an unknown message
  type 0x00C8, with flags 0 (ignored), 0x80 ("fail if unknown always": libhdf5 refuses the
  object) or 0x08 ("fail if unknown and open for write": read-only opens read it, libhdf5
  refuses it in a file opened for writing).
"""
import struct
import sys

import h5py
import numpy as np

outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/data/damaged"

path = f"{outdir}/bad_attribute.h5"
with h5py.File(path, "w", libver="earliest") as f:
    d = f.create_dataset("d", data=np.arange(12, dtype="<i4").reshape(3, 4))
    d.attrs["good"] = np.int32(42)
    d.attrs["bad"] = np.float64(2.5)
buf = bytearray(open(path, "rb").read())
pos = buf.find(b"bad\0")
assert pos > 0 and buf[pos - 8] == 1, "attribute message version 1 expected"
buf[pos - 8] = 7
open(path, "wb").write(buf)

path = f"{outdir}/fail_if_unknown.h5"
with h5py.File(path, "w", libver="earliest") as f:
    addrs = {}
    for n in ("plain", "unknown_ok", "unknown_fail", "unknown_write"):
        addrs[n] = h5py.h5o.get_info(f.create_dataset(n, data=np.arange(4, dtype="<i4")).id).addr
buf = bytearray(open(path, "rb").read())
for name, flags in (("unknown_ok", 0), ("unknown_fail", 0x80), ("unknown_write", 0x08)):
    oh = addrs[name]
    size = struct.unpack_from("<I", buf, oh + 8)[0]
    pos = oh + 16
    while pos < oh + 16 + size:
        t, s = struct.unpack_from("<HH", buf, pos)
        if t == 0 and s >= 8:
            struct.pack_into("<HHB", buf, pos, 0xC8, s, flags)
            buf[pos + 8 : pos + 8 + s] = bytes(range(s))
            break
        pos += 8 + s
    else:
        raise SystemExit("no NIL message in " + name)
open(path, "wb").write(buf)
print("wrote", outdir)

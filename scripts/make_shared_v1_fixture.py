#!/usr/bin/env python3
"""Makes tests/data/shared_v1/committed_v1.h5: a dataset whose datatype is a committed
datatype referenced by a *version 1* shared message, as libhdf5 1.6 and earlier wrote them
(libhdf5 1.8+ writes version 2; h5py cannot make version 1).

h5py (libver earliest: version 1 object headers) writes the file; then the dataset's object
header is re-laid in place: its shared datatype message (version 2: version, type, address)
becomes version 1 (version 1, type byte, 6 reserved bytes, then a symbol table entry's link
name offset (size of lengths) and object header address: libhdf5's H5O__shared_decode), the
other messages are kept in order, the rest of the chunk is a NIL message.
"""
import struct
import sys

import h5py
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/shared_v1/committed_v1.h5"
with h5py.File(out, "w", libver="earliest") as f:
    f["int_t"] = np.dtype("<i4")
    f["cmp_t"] = np.dtype([("a", "<i2"), ("b", "<f8")])
    f.create_dataset("ints", data=np.arange(-5, 7, dtype="<i4").reshape(3, 4), dtype=f["int_t"])
    f.create_dataset("pairs", data=np.array([(1, 1.5), (-2, 2.25)], dtype=f["cmp_t"].dtype), dtype=f["cmp_t"])
    f.create_dataset("plain", data=np.arange(4, dtype="<u2"))
    addrs = {n: h5py.h5o.get_info(f[n].id).addr for n in ("ints", "pairs", "int_t", "cmp_t")}

buf = bytearray(open(out, "rb").read())


def relayout(oh, want_type_addr):
    assert buf[oh] == 1, "version 1 object header"
    nmsg = struct.unpack_from("<H", buf, oh + 2)[0]
    size = struct.unpack_from("<I", buf, oh + 8)[0]
    start = oh + 16
    pos, msgs = start, []
    while pos < start + size:
        mtype, msize, mflags = struct.unpack_from("<HHB", buf, pos)
        body = bytes(buf[pos + 8 : pos + 8 + msize])
        pos += 8 + msize
        if mtype == 0:
            continue
        if mtype == 0x10:
            raise SystemExit("continuation message: header too large for this script")
        if mtype == 3 and mflags & 2:
            assert body[0] == 2 and body[1] == 2, body[:2]
            addr = struct.unpack_from("<Q", body, 2)[0]
            assert addr == want_type_addr, (addr, want_type_addr)
            body = bytes([1, 0]) + bytes(6) + struct.pack("<QQ", 0, addr)
        msgs.append((mtype, mflags, body))
    out_b = bytearray()
    for mtype, mflags, body in msgs:
        body = body + bytes((-len(body)) % 8)
        out_b += struct.pack("<HHB3x", mtype, len(body), mflags) + body
    rest = size - len(out_b)
    assert rest >= 8, "no room for the larger shared message"
    out_b += struct.pack("<HHB3x", 0, rest - 8, 0) + bytes(rest - 8)
    buf[start : start + size] = out_b
    struct.pack_into("<H", buf, oh + 2, len(msgs) + 1)
    _ = nmsg


relayout(addrs["ints"], addrs["int_t"])
relayout(addrs["pairs"], addrs["cmp_t"])
open(out, "wb").write(buf)
print("wrote", out, addrs)

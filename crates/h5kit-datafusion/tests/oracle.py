"""h5py and pandas side of the h5kit-datafusion tests.

  python3 oracle.py table DIR    writes the 10-file table DIR/part00.h5 .. part09.h5
  python3 oracle.py answer DIR   pandas' answers to the tests' queries over DIR/part*.h5,
                                 each file read with h5py (the golden tests/data/table/expected.txt)
  python3 oracle.py types PATH   writes one dataset of each type read_arrow supports (and some it does not)
  python3 oracle.py dump PATH    h5py's values of those datasets (golden tests/data/types.txt)

Dump lines: NAME<TAB>v1<TAB>v2..., numbers as Python prints them (repr: floats round-trip),
strings and bytes as hex of their bytes, enum values as member names, compounds one line per
member (NAME.MEMBER).
"""
import glob
import os
import sys

import h5py
import numpy as np

QUERIES = [
    "SELECT k, count(*), avg(x), max(y) FROM t GROUP BY k ORDER BY k",
    "SELECT k, min(s), max(s), min(code) FROM t GROUP BY k ORDER BY k",
]


def table(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(16)
    for i in range(10):
        n = 80 + 12 * i
        k = rng.integers(0, 5, n).astype("<i8")
        x = rng.normal(100.0, 15.0, n)
        y = rng.integers(-(2**31), 2**31 - 1, n, dtype="<i4")
        s = ["r%d-%03d-%s" % (i, j, "é" if j % 7 == 0 else "a" * (j % 4)) for j in range(n)]
        code = np.array([b"c%02d" % (v % 50) for v in rng.integers(0, 1000, n)], dtype="S4")
        with h5py.File(os.path.join(d, "part%02d.h5" % i), "w", libver="latest") as f:
            f.create_dataset("k", data=k, chunks=(32,))
            f.create_dataset("x", data=x, chunks=(32,), compression="gzip", shuffle=True)
            f.create_dataset("y", data=y, chunks=(32,))
            f.create_dataset("s", data=s, dtype=h5py.string_dtype(), chunks=(32,))
            f.create_dataset("code", data=code, chunks=(32,))
            # Not columns: a 2-D dataset and a group.
            f.create_dataset("grid", data=np.zeros((2, 3)))
            f.create_group("meta").attrs["part"] = i


def frame(d):
    import pandas as pd

    parts = []
    for p in sorted(glob.glob(os.path.join(d, "part*.h5"))):
        with h5py.File(p, "r") as f:
            parts.append(
                pd.DataFrame(
                    {
                        "k": f["k"][()],
                        "x": f["x"][()],
                        "y": f["y"][()],
                        "s": f["s"].asstr()[()],
                        "code": [c.decode() for c in f["code"][()]],
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def answer(d):
    df = frame(d)
    g = df.groupby("k", sort=True)
    a = g.agg(n=("x", "size"), avg_x=("x", "mean"), max_y=("y", "max"))
    print("# " + QUERIES[0])
    for k, r in a.iterrows():
        print("%d,%d,%r,%d" % (k, r["n"], float(r["avg_x"]), r["max_y"]))
    b = g.agg(min_s=("s", "min"), max_s=("s", "max"), min_code=("code", "min"))
    print("# " + QUERIES[1])
    for k, r in b.iterrows():
        print("%d,%s,%s,%s" % (k, r["min_s"].encode().hex(), r["max_s"].encode().hex(), r["min_code"].encode().hex()))


def types(path):
    n = 10
    i = np.arange(n)
    with h5py.File(path, "w") as f:
        for t in ["<i1", "<u1", ">i2", "<u2", "<i4", ">u4", "<i8", "<u8"]:
            name = "int_" + t.replace("<", "le_").replace(">", "be_")
            f.create_dataset(name, data=((i * 37 - 100) % 256 * (1 if "u" in t else -1) + (3 if "1" in t else 1000)).astype(t))
        f.create_dataset("f2", data=(i / 3).astype("<f2"))
        f.create_dataset("f4", data=(i / 7 - 0.5).astype("<f4"))
        f.create_dataset("f8_be", data=(i * 1e300 / 7 - 1e299).astype(">f8"))
        f.create_dataset("f8_chunked", data=np.sin(np.arange(1000.0)), chunks=(32,), compression="gzip")
        f.create_dataset("s_nullpad", data=np.array([b"ab", b"", b"xyz\x00q"[:3], b"12345"] * 2, dtype="S5"))
        sid = h5py.h5t.C_S1.copy()
        sid.set_size(6)
        sid.set_strpad(h5py.h5t.STR_NULLTERM)
        ds = f.create_dataset("s_nullterm", shape=(3,), dtype=h5py.Datatype(sid))
        ds[...] = np.array([b"one", b"three", b""], dtype="S6")
        sid = h5py.h5t.C_S1.copy()
        sid.set_size(5)
        sid.set_strpad(h5py.h5t.STR_SPACEPAD)
        ds = f.create_dataset("s_spacepad", shape=(3,), dtype=h5py.Datatype(sid))
        ds[...] = np.array([b"a  ", b"bb", b"c c"], dtype="S5")
        f.create_dataset("s_latin1", data=np.array([b"caf\xe9", b"ok"], dtype="S4"))
        f.create_dataset("vs_utf8", data=["", "héllo", "日本語", "x" * 40], dtype=h5py.string_dtype("utf-8"))
        f.create_dataset("vs_ascii", data=[b"abc", b"", b"de"], dtype=h5py.string_dtype("ascii"))
        f.create_dataset("vs_chunked", data=["v%d" % j for j in range(300)], dtype=h5py.string_dtype(), chunks=(32,))
        color = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 7}, basetype="i1")
        f.create_dataset("enum", data=np.array([0, 7, 1, 1, 0], dtype="i1"), dtype=color)
        f.create_dataset("bool", data=np.array([True, False, True]))
        inner = np.dtype([("a", "<i2"), ("b", "<f4")])
        rec = np.dtype([("id", "<i4"), ("v", ">f8"), ("tag", "S3"), ("name", h5py.string_dtype()), ("c", color), ("in", inner)])
        data = np.zeros(4, dtype=rec)
        data["id"] = [1, -2, 3, 4]
        data["v"] = [0.5, -1.25, 3e10, 7.0]
        data["tag"] = [b"a", b"bc", b"def", b""]
        data["name"] = ["n0", "ñ1", "", "n3"]
        data["c"] = [7, 0, 1, 7]
        data["in"]["a"] = [10, 20, 30, -40]
        data["in"]["b"] = [0.25, 0.5, 0.75, 1.0]
        f.create_dataset("compound", data=data)
        # No Arrow type: a 2-element array member, and an object reference.
        f.create_dataset("unsupported_array", data=np.zeros(2, dtype=np.dtype([("p", "<f4", (2,))])))
        f.create_dataset("unsupported_ref", data=[f["f4"].ref], dtype=h5py.ref_dtype)


def hexes(v):
    return v.hex() if isinstance(v, bytes) else v.encode().hex()


def dump_values(name, ds_dtype, values, out):
    if ds_dtype.names is not None:
        for m in ds_dtype.names:
            dump_values(name + "." + m, ds_dtype.fields[m][0], values[m], out)
        return
    enum = h5py.check_enum_dtype(ds_dtype)
    if ds_dtype.kind == "b":  # h5py's bool: an enum FALSE = 0, TRUE = 1
        vals = ["TRUE" if v else "FALSE" for v in values]
    elif enum is not None:
        names = {v: k for k, v in enum.items()}
        vals = [names[int(v)] for v in values]
    elif ds_dtype.kind in "SO" or h5py.check_string_dtype(ds_dtype) is not None:
        vals = [hexes(v) for v in values]
    elif ds_dtype.kind == "f":
        vals = [repr(float(v)) for v in values]
    else:
        vals = [str(int(v)) for v in values]
    out.append("\t".join([name] + vals))


def dump(path):
    out = []
    with h5py.File(path, "r") as f:
        for name in sorted(f):
            if name.startswith("unsupported"):
                continue
            ds = f[name]
            values = ds[()]  # variable-length strings as bytes
            dump_values(name, ds.dtype, values, out)
    print("\n".join(out))


if __name__ == "__main__":
    {"table": table, "answer": answer, "types": types, "dump": dump}[sys.argv[1]](sys.argv[2])

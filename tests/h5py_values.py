#!/usr/bin/env python3
"""Dump every dataset's (and attribute's) values as h5py reads them, as exact bytes, for the
bit-exact comparison of h5kit's data reads.

Writes tests/golden/values/<group>/<file>.json for the interop files (tests/data/interop/*/),
the generated fixtures (tests/data/generated/*.h5) and tests/data/sample.h5. Filters from
hdf5plugin (lz4, zstd, bitshuffle, ...) are loaded, so compressed data is decoded.

JSON layout (keys sorted):
  {"file": "<group>/<file>", "objects": {"/path": {"kind": "dataset"|"group"|"datatype",
      "dtype": numpy dtype str, "shape": [...], "hex": raw bytes of arr.tobytes()  (plain dtypes)
      | "sha256" + "nbytes" (instead of "hex" when over 64 KiB)
      | "values": nested list (dtypes holding vlen data / references, see encode())
      | "null": true (null dataspace) | "error": message,
      "attrs": {name: same fields}}}}
x87 long doubles (16 bytes) have their 6 padding bytes zeroed. Numbers are little-endian as numpy holds them in memory after h5py's conversion to the
native-order numpy dtype shown in "dtype" (so big-endian files appear as "<" or ">" exactly as
h5py maps them). encode(): bytes -> {"bytes": hex}, str -> {"str": hex of UTF-8},
ndarray -> {"dtype", "shape", "hex"}, object reference -> {"ref": target path or null},
region reference -> {"regionref": target path or null}, compound record -> list of fields.

Run: python3 tests/h5py_values.py [FILE...]   (default: all files)
"""

import glob
import hashlib
import json
import os
import sys

import h5py
import hdf5plugin  # noqa: F401  (registers the filter plugins)
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import LIB  # noqa: E402  (ctypes handle on h5py's libhdf5)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
INTEROP = os.path.join(HERE, "data", "interop")
OUT = os.path.join(HERE, "golden", "values")
MAX_HEX = 64 * 1024
MAX_READ = 64 * 1024 * 1024


def groups():
    out = []
    for d in sorted(glob.glob(os.path.join(INTEROP, "*"))):
        if os.path.isdir(d):
            g = "interop/" + os.path.basename(d)
            out += [(g, p) for p in sorted(glob.glob(os.path.join(d, "*"))) if os.path.isfile(p)]
    out += [("generated", p) for p in sorted(glob.glob(os.path.join(HERE, "data", "generated", "*.h5")))]
    out.append(("data", os.path.join(HERE, "data", "sample.h5")))
    return out


def open_file(name):
    """h5py.File, with libhdf5 2.x's integrity check for unusual numeric types relaxed (n-bit)."""
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    if hasattr(LIB, "H5Pset_relax_file_integrity_checks"):
        LIB.H5Pset_relax_file_integrity_checks(fapl.id, 1)
    return h5py.File(h5py.h5f.open(name.encode(), h5py.h5f.ACC_RDONLY, fapl=fapl))


def read_dataset(ds):
    try:
        return ds[()]
    except OSError:
        if ds.dtype.hasobject:
            raise
        # no conversion path (e.g. tagged opaque): read the file's bytes unconverted
        arr = np.empty(ds.shape, dtype=ds.dtype)
        ds.id.read(h5py.h5s.ALL, h5py.h5s.ALL, arr, mtype=ds.id.get_type())
        return arr


def encode(v, f):
    if isinstance(v, h5py.RegionReference):
        return {"regionref": _deref_name(f, v)}
    if isinstance(v, h5py.Reference):
        return {"ref": _deref_name(f, v)}
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, str):
        return {"str": v.encode("utf-8", "surrogateescape").hex()}
    if isinstance(v, np.ndarray):
        if v.dtype.hasobject and v.ndim == 0:
            return encode(v[()], f)
        if v.dtype.hasobject:
            return [encode(x, f) for x in v.tolist()] if v.dtype.names is None else \
                [encode(x, f) for x in v]
        return {"dtype": v.dtype.str if v.dtype.names is None else str(v.dtype),
                "shape": list(v.shape), "hex": v.tobytes().hex()}
    if isinstance(v, np.void):
        if v.dtype.names:
            return [encode(v[n], f) for n in v.dtype.names]
        return {"bytes": v.tobytes().hex()}
    if isinstance(v, np.generic):
        return {"dtype": v.dtype.str, "hex": v.tobytes().hex()}
    if isinstance(v, (list, tuple)):
        return [encode(x, f) for x in v]
    if v is None:
        return None
    return {"repr": repr(v)}


def _deref_name(f, ref):
    try:
        if not ref:
            return None
        return f[ref].name
    except Exception:  # dangling or unreadable reference
        return None


def describe_value(read, dtype, shape, f):
    """read(): returns the numpy array (or raises)."""
    rec = {"dtype": str(dtype) if dtype.names or dtype.hasobject else dtype.str,
           "shape": list(shape) if shape is not None else None}
    if shape is None:
        rec["null"] = True
        return rec
    n = 1
    for s in shape:
        n *= s
    if n * max(dtype.itemsize, 1) > MAX_READ:
        rec["error"] = "not read: over 64 MiB"
        return rec
    try:
        arr = read()
    except Exception as e:  # missing filter, missing external file, ...
        rec["error"] = f"{type(e).__name__}: {e}"
        return rec
    if isinstance(arr, h5py.Empty):
        rec["null"] = True
        return rec
    arr = np.asarray(arr)
    if arr.dtype.hasobject:
        rec["values"] = encode(arr, f)
        return rec
    if arr.dtype.kind == "f" and arr.dtype.itemsize == 16 and np.finfo(np.longdouble).nmant == 63:
        # x87 80-bit long double: the 6 padding bytes are not data, zero them
        arr = np.ascontiguousarray(arr).copy()
        arr.view(np.uint8).reshape(-1, 16)[:, 10:] = 0
    raw = arr.tobytes()
    if len(raw) > MAX_HEX:
        rec["sha256"] = hashlib.sha256(raw).hexdigest()
        rec["nbytes"] = len(raw)
    else:
        rec["hex"] = raw.hex()
    return rec


def attrs_of(obj, f):
    out = {}
    try:
        names = list(obj.attrs.keys())
    except Exception as e:
        return {"__error__": f"{type(e).__name__}: {e}"}
    for name in names:
        try:
            a = obj.attrs.get_id(name)
            dtype = a.dtype
            shape = a.shape if a.get_space().get_simple_extent_type() != h5py.h5s.NULL else None
            out[name] = describe_value(lambda: obj.attrs[name], dtype, shape, f)
        except Exception as e:
            out[name] = {"error": f"{type(e).__name__}: {e}"}
    return out


def dump_file(group, path):
    name = os.path.basename(path)
    doc = {"file": f"{group}/{name}", "objects": {}}
    cwd = os.getcwd()
    os.chdir(os.path.dirname(path))  # external links, VDS sources, external raw data: relative
    try:
        with open_file(name) as f:
            objs = doc["objects"]
            objs["/"] = {"kind": "group", "attrs": attrs_of(f, f)}

            def visit(pname, obj):
                key = "/" + pname
                if isinstance(obj, h5py.Dataset):
                    shape = obj.shape
                    rec = describe_value(lambda: read_dataset(obj), obj.dtype, shape, f)
                    rec["kind"] = "dataset"
                elif isinstance(obj, h5py.Group):
                    rec = {"kind": "group"}
                else:
                    rec = {"kind": "datatype", "dtype": str(obj.dtype)}
                rec["attrs"] = attrs_of(obj, f)
                objs[key] = rec

            f.visititems(visit)
    except Exception as e:
        doc["error"] = f"{type(e).__name__}: {e}"
    finally:
        os.chdir(cwd)
    return doc


def main(argv):
    want = set(os.path.abspath(a) for a in argv)
    n = 0
    for group, path in groups():
        if want and os.path.abspath(path) not in want:
            continue
        doc = dump_file(group, path)
        out = os.path.join(OUT, group, os.path.basename(path) + ".json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as fh:
            json.dump(doc, fh, indent=1, sort_keys=True)
            fh.write("\n")
        n += 1
    print(f"wrote {n} value files under {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])

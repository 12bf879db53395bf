"""The five file modes and the errors a tutorial user meets, with h5py; examples/modes.rs does
the same steps with h5kit. Each step prints one line: its result, or the exception's class.

Usage: python3 examples/modes.py DIR   (writes DIR/modes.h5, DIR/appended.h5, DIR/excl.h5, DIR/x.h5)
"""
import os
import sys

import h5py
import numpy as np

d = sys.argv[1]
path, appended, excl, x_path = (os.path.join(d, n) for n in ("modes.h5", "appended.h5", "excl.h5", "x.h5"))
for p in (path, appended, excl, x_path):
    if os.path.exists(p):
        os.remove(p)


def show(step, value):
    print(f"{step}: {value}")


def error(step, fn):
    try:
        fn()
        print(f"{step}: no error")
    except Exception as e:  # the class is the step's result
        print(f"{step}: error {type(e).__name__}")


error("r on a missing file", lambda: h5py.File(path, "r"))
error("r+ on a missing file", lambda: h5py.File(path, "r+"))
error("an unknown mode", lambda: h5py.File(path, "rw"))
with h5py.File(path, "w") as f:  # w: create, truncating
    stock = f.create_dataset("stock", data=np.array([3, 5, 2], dtype=np.int64))
    f.create_dataset("fixed", data=np.array([1.0, 2.0]))
    rows = f.create_dataset("rows", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype=np.float64)
    f.create_group("g")
    show("w keys", " ".join(f.keys()))
    error("create_group of an existing name", lambda: f.create_group("g"))
    error("create_dataset of an existing name", lambda: f.create_dataset("stock", data=np.array([1], dtype=np.int64)))
    error("a missing object", lambda: f["nope"])
    error("a missing object in a group", lambda: f["g/nope"])
    error("a missing attribute", lambda: f.attrs["nope"])
    error("resize of a contiguous dataset", lambda: f["fixed"].resize((3,)))
    error("resize past maxshape", lambda: rows.resize((1, 4)))
    error("write of the wrong length", lambda: stock.__setitem__(slice(0, 3), np.array([1, 2], dtype=np.int64)))
    error("read past the end", lambda: stock[5])
with h5py.File(path, "r") as f:  # r: read only, must exist
    show("r stock", f["stock"][:].tolist())
    error("r: create_group", lambda: f.create_group("h"))
    error("r: write", lambda: f["stock"].__setitem__(slice(0, 1), np.array([1], dtype=np.int64)))
    error("r: set an attribute", lambda: f.attrs.__setitem__("a", np.int64(1)))
    error("r: resize", lambda: f["rows"].resize((2, 3)))
with h5py.File(path, "r+") as f:  # r+: read and write, must exist
    f["stock"][1:2] = np.array([6], dtype=np.int64)
    f["rows"].resize((1, 3))
    f["rows"][0:1, :] = np.array([[1.0, 2.0, 3.0]])
    show("r+ stock", f["stock"][:].tolist())
with h5py.File(path, "a") as f:  # a: read and write, created if missing
    rows = f["rows"]
    rows.resize((2, 3))
    rows[1:2, :] = np.array([[4.0, 5.0, 6.0]])
    f.attrs["modes"] = "w r r+ a"
    show("a rows", f"{list(rows.shape)} {rows[:].ravel().tolist()}")
with h5py.File(appended, "a") as f:  # a on a missing file creates it
    f.create_group("made_by_a")
    show("a creates", " ".join(f.keys()))
error("w- on an existing file", lambda: h5py.File(path, "w-"))
error("x on an existing file", lambda: h5py.File(path, "x"))
with h5py.File(excl, "w-") as f:  # w-: create, failing if it exists
    f.create_group("made_by_w-")
with h5py.File(x_path, "x") as f:  # x: the same as w-
    f.create_group("made_by_x")
with h5py.File(appended, "w") as f:  # w on an existing file empties it
    show("w truncates", len(f))
with h5py.File(path, "r") as f:
    show("final keys", " ".join(f.keys()))

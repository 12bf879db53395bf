"""The tutorial database written with h5py; examples/tutorial.rs writes the same with h5kit.

Usage: python3 examples/tutorial.py OUT.h5
"""
import sys

import h5py
import numpy as np

CATALOG = {
    "fruits": {"apple": [3, 5, 2, 8], "pear": [1, 1, 4]},
    "vegetables": {"carrot": [10, 12], "leek": [7], "pea": [20, 30, 25, 22, 21]},
}

with h5py.File(sys.argv[1], "w") as f:
    f.attrs["title"] = "Tutorial inventory"
    for category, items in CATALOG.items():
        grp = f.create_group(category)
        grp.attrs["count"] = np.int64(len(items))
        for i, (item, stock) in enumerate(items.items()):
            dset = grp.create_dataset(item, data=np.array(stock, dtype=np.int64))
            dset.attrs["price"] = np.float64(0.5 + i)
            dset.attrs["unit"] = "kg"
    log = f.create_dataset("log", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype=np.float64)
    for day in range(10):
        log.resize((day + 1, 3))
        log[day, :] = [day, day * 1.5, -day]

"""Writes attr_data.tsv: raw bytes (hex) of every fixed-size attribute of the interop files,
read with h5py (libhdf5) in the attribute's own file datatype. Columns: file, object path,
attribute name, hex. Only attributes whose numpy dtype is a plain int/float/bytes/compound of
those with itemsize = the file datatype size (so the bytes are the file's bytes).
Run from crates/h5kit-object-header/tests/data."""
import h5py, numpy as np

INTEROP = '../../../../tests/data/interop/'
files = sorted({l.split()[0] for l in open('interop_headers.txt')})
paths = {}
for l in open('interop_headers.txt'):
    f, a, p = l.split()[:3]
    paths.setdefault(f, []).append(p)

def plain(dt):
    if dt.kind in 'iufS':
        return True
    if dt.kind == 'V' and dt.fields:
        return all(plain(dt.fields[n][0]) for n in dt.names)
    return False

out = open('attr_data.tsv', 'w')
for f in files:
    try:
        h = h5py.File(INTEROP + f, 'r')
    except Exception:
        continue
    for p in paths[f]:
        try:
            obj = h[p]
            names = list(obj.attrs.keys())
        except Exception:
            continue
        for n in names:
            try:
                aid = obj.attrs.get_id(n)
                ftype = aid.get_type()
                dt = ftype.dtype
                if not plain(dt) or dt.itemsize != ftype.get_size() or dt.hasobject:
                    continue
                shape = aid.shape
                buf = np.empty(shape if shape is not None else (), dtype=dt)
                if aid.get_storage_size() == 0 and np.prod(shape or ()) != 0:
                    continue
                aid.read(buf, mtype=ftype)
                out.write('\t'.join([f, p, n, buf.tobytes().hex()]) + '\n')
            except Exception:
                continue
out.close()

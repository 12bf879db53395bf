#!/bin/sh
# Seeds fuzz/corpus/<target>/ (git-ignored) from the interop files in tests/data/interop and
# the other committed fixtures, plus a few hand-made message bodies and real filtered chunks.
# Usage: fuzz/seed.sh   (from anywhere; needs python3, and h5py for the filter chunks)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
interop="$root/tests/data/interop"
corpus="$here/corpus"
max=409600   # bigger files make slow executions
mkdir -p "$corpus"

# (tests/data holds the interop files: tests/data/interop/{jhdf,pyfive})
files=$(find "$root/tests/data" "$root"/crates/*/tests/data "$root/tests/robustness" \
    -type f \( -name '*.h5' -o -name '*.hdf5' -o -name '*.nc' \) -size -${max}c 2>/dev/null | sort)

copy() { # target file [prefix-byte]
    mkdir -p "$corpus/$1"
    name=$(echo "$2" | sed "s|^$interop/|interop/|; s|^$root/||; s|/|_|g")
    if [ $# -ge 3 ]; then
        { printf "$3"; cat "$2"; } > "$corpus/$1/$name"
    else
        cp "$2" "$corpus/$1/$name"
    fi
}

for f in $files; do
    copy whole_file "$f"
    copy same_result "$f"
    copy superblock "$f"
    copy object_header "$f" '\000'
    # Structure targets: files containing the signature, with the selector byte in front.
    for pair in btree_v1:TREE btree_v1:SNOD btree_v2:BTHD fixed_array:FAHD extensible_array:EAHD \
                local_heap:HEAP global_heap:GCOL fractal_heap:FRHP; do
        t=${pair%%:*}; sig=${pair#*:}
        if grep -q "$sig" "$f"; then copy "$t" "$f" '\000'; fi
    done
done

python3 - "$corpus" <<'PY'
import os, sys, struct, zlib, glob
corpus = sys.argv[1]
def put(target, name, data):
    d = os.path.join(corpus, target); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), "wb").write(data)

# message target: [sizes selector][type id u16][flags][body]
msgs = {
    "dataspace_v1": (1, bytes([1, 2, 0, 0, 0, 0, 0, 0]) + struct.pack("<QQ", 4, 5)),
    "dataspace_v2": (1, bytes([2, 1, 1, 1]) + struct.pack("<QQ", 7, 2**64 - 1)),
    "datatype_i32": (3, bytes([0x10, 0x08, 0, 0]) + struct.pack("<IHH", 4, 0, 32)),
    "datatype_f64": (3, bytes([0x11, 0x20, 0x3f, 0]) + struct.pack("<IHHBBBBI", 8, 0, 64, 52, 11, 0, 52, 1023)),
    "datatype_str": (3, bytes([0x13, 0x00, 0, 0]) + struct.pack("<I", 5)),
    "datatype_vlstr": (3, bytes([0x19, 0x01, 0, 0]) + struct.pack("<I", 16) + bytes([0x13, 0, 0, 0]) + struct.pack("<I", 1)),
    "datatype_compound": (3, bytes([0x36, 0x01, 0, 0]) + struct.pack("<I", 4) + b"a\0\0\0\0\0\0\0" + struct.pack("<I", 0) + bytes([0x10, 0x08, 0, 0]) + struct.pack("<IHH", 4, 0, 32)),
    "layout_contig": (8, bytes([3, 1]) + struct.pack("<QQ", 2048, 80)),
    "layout_chunk_v3": (8, bytes([3, 2, 2]) + struct.pack("<Q", 4096) + struct.pack("<II", 10, 4)),
    "layout_compact": (8, bytes([3, 0]) + struct.pack("<H", 4) + b"abcd"),
    "fill_v3": (5, bytes([3, 0x21]) + struct.pack("<I", 4) + b"\1\0\0\0"),
    "filters_v2": (11, bytes([2, 2]) + struct.pack("<HHH", 1, 0, 1) + struct.pack("<I", 6) + struct.pack("<HHH", 2, 0, 1) + struct.pack("<I", 4)),
    "filters_v1": (11, bytes([1, 1, 0, 0, 0, 0, 0, 0]) + struct.pack("<HHHH", 1, 8, 0, 1) + b"deflate\0" + struct.pack("<II", 6, 0)),
    "link_hard": (6, bytes([1, 0x10, 3]) + b"abc" + struct.pack("<Q", 800)),
    "link_soft": (6, bytes([1, 0x18, 1, 3]) + b"abc" + struct.pack("<H", 4) + b"/x/y"),
    "linkinfo": (2, bytes([0, 0]) + struct.pack("<QQ", 2**64 - 1, 2**64 - 1)),
    "groupinfo": (10, bytes([0, 0])),
    "symtab": (17, struct.pack("<QQ", 136, 680)),
    "attribute_v3": (12, bytes([3, 0]) + struct.pack("<HHHB", 2, 8, 8, 0) + b"a\0" + bytes([0x10, 0x08, 0, 0]) + struct.pack("<IHH", 4, 0, 32) + bytes([2, 0, 0, 0]) + b"\7\0\0\0"),
    "attrinfo": (21, bytes([0, 0]) + struct.pack("<QQ", 4000, 5000)),
    "continuation": (16, struct.pack("<QQ", 4000, 200)),
    "mtime": (18, bytes([1, 0, 0, 0]) + struct.pack("<I", 1600000000)),
    "shared_v3": (3, bytes([3, 2]) + struct.pack("<Q", 1234)),
    "external": (7, bytes([1, 0, 0, 0]) + struct.pack("<HHQ", 1, 1, 0) + struct.pack("<QQQ", 8, 0, 100)),
    "comment": (13, b"hello\0"),
    "sohm_table": (15, bytes([0]) + struct.pack("<QB", 300, 1)),
}
for name, (tid, body) in msgs.items():
    flags = 2 if name.startswith("shared") else 0
    put("message", name, bytes([0]) + struct.pack("<H", tid) + bytes([flags]) + body)
    if tid == 3:
        put("datatype", name, bytes([0]) + body)

# filter_pipeline target: [filter selector][element size][n client data][cd u32...][chunk]
ids = [1, 2, 3, 4, 5, 32000, 32004, 32008, 32015, 7]
def fseed(name, fid, esize, cd, chunk):
    put("filter_pipeline", name, bytes([ids.index(fid), esize & 0xff, len(cd)]) + b"".join(struct.pack("<I", v & 0xffffffff) for v in cd) + chunk)
raw = bytes(range(256)) * 8
fseed("deflate", 1, 4, [6], zlib.compress(raw, 6))
fseed("shuffle", 2, 4, [4], raw)
fseed("fletcher32", 3, 4, [], raw + b"\0\0\0\0")
try:
    import h5py, numpy as np
    n = 0
    files = sorted(glob.glob(os.path.join(corpus, "..", "..", "tests", "data", "interop", "*", "*")))
    for path in files:
        try:
            f = h5py.File(path, "r")
        except Exception:
            continue
        def visit(name, obj):
            global n
            if n >= 200 or not isinstance(obj, h5py.Dataset) or obj.chunks is None:
                return
            try:
                plist = obj.id.get_create_plist()
                nf = plist.get_nfilters()
                if nf == 0 or obj.id.get_num_chunks() == 0:
                    return
                info = obj.id.get_chunk_info(0)
                mask, chunk = obj.id.read_direct_chunk(info.chunk_offset)
                fid, flags, cd, fname = plist.get_filter(nf - 1)
                if fid not in ids:
                    return
                fseed("real_%d_%d" % (n, fid), fid, obj.dtype.itemsize, list(cd)[:15], chunk[:65536])
                n += 1
            except Exception:
                pass
        f.visititems(visit)
except ImportError:
    pass
PY
for d in "$corpus"/*; do echo "$(ls "$d" | wc -l) $(basename "$d")"; done

#!/bin/sh
# Issue 14's check on a file h5py wrote: `h5 bench --only append_flush` (1,000 cycles of grow
# by one row, write it, flush, on a new dataset "log" of an existing 1 GiB file) against h5py
# doing the same work on a copy of the same file; peak resident memory of each
# (/usr/bin/time -v); then h5dump must read all 1,000 rows of both files.
#
# Usage: scripts/append_flush_h5py_file.sh [DIR] [ROUNDS]   (default: a temporary dir, 3)
# H5=PATH: use that h5 binary instead of building one.
# Needs: python3 + h5py + numpy, h5dump, /usr/bin/time, ~3 GiB free in DIR.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$(mktemp -d /tmp/h5kit-append.XXXXXX)}
rounds=${2:-3}
mkdir -p "$dir/h5kit" "$dir/h5py"
target=${CARGO_TARGET_DIR:-$root/target}
h5=${H5:-}
if [ -z "$h5" ]; then
    (cd "$root" && cargo build --release -q -p h5kit-cli)
    h5=$target/release/h5
fi

if [ ! -f "$dir/source.h5" ]; then
    echo "h5py writes $dir/source.h5 (1 GiB: \"x\", 2^27 float64 in chunks of 2^20, as write_large)" >&2
    python3 - "$dir/source.h5" <<'PY'
import sys, numpy as np, h5py
N = 8 * 2**20
rng = np.random.default_rng(7)
with h5py.File(sys.argv[1], "w") as f:
    x = f.create_dataset("x", shape=(16 * N,), dtype="<f8", chunks=(2**20,))
    for k in range(16):
        x[k * N:(k + 1) * N] = rng.standard_normal(N)
PY
fi

cat > "$dir/append_flush.py" <<'PY'
import sys, time, numpy as np, h5py
row = np.arange(16, dtype="<f4")
t = time.perf_counter()
with h5py.File(sys.argv[1], "a") as f:
    x = f.create_dataset("log", shape=(0, 16), maxshape=(None, 16), dtype="<f4", chunks=(1024, 16))
    for i in range(1000):
        x.resize((i + 1, 16))
        x[i] = row
        f.flush()
print(f"append_flush {time.perf_counter() - t:.4f}")
PY

check_rows() { # h5dump reads "log": 1,000 rows of 0..15
    h5dump -d /log -y -w 0 "$1" | python3 -c '
import sys, re
text = sys.stdin.read()
body = text[text.index("DATA {") + 6:]
vals = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", body)]
want = [float(k) for k in range(16)] * 1000
sys.exit(0 if vals == want else f"h5dump: {len(vals)} values, not the 1,000 rows written")'
}

peak() { awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$1"; }

for r in $(seq 1 "$rounds"); do
    cp "$dir/source.h5" "$dir/h5kit/large.h5"
    cp "$dir/source.h5" "$dir/h5py/large.h5"
    sync
    a=$(/usr/bin/time -v -o "$dir/time.h5kit" "$h5" bench "$dir/h5kit" --only append_flush | awk '/^append_flush/ {print $2}')
    b=$(/usr/bin/time -v -o "$dir/time.h5py" python3 "$dir/append_flush.py" "$dir/h5py/large.h5" | awk '{print $2}')
    check_rows "$dir/h5kit/large.h5"
    check_rows "$dir/h5py/large.h5"
    echo "round $r: h5kit $a s, $(peak "$dir/time.h5kit") MiB peak; h5py $b s, $(peak "$dir/time.h5py") MiB peak; h5dump reads all 1000 rows of both"
done
[ -n "${1:-}" ] || rm -rf "$dir"

#!/bin/bash
# Regenerates tests/golden_ls/: h5ls 1.10.8's output for `h5 ls` options on the interop files.
# Each file runs from its own directory with its bare name (h5ls prints the name it was
# given), with TZ=UTC (h5ls -v prints modification times in local time).
#   golden_ls/<mode>/<group>__<file>.txt   the expected stdout
#   golden_ls/<mode>/<group>__<file>.fnv   for outputs over 512 KiB: "fnv1a64 <hex> <bytes>"
# Modes: v = -v, rv = -r -v, d = -d, vd = -v -d, dlw = -d -l -w50.
# Skipped: isssue-523.hdf5 (h5ls -v prints gigabytes of padding for its named types) and,
# for the data modes, tiny_huge_1d_over_maxint.hdf5 (2^31 elements).
# Usage: tests/make_ls_goldens.sh [INTEROP_DIR]   (default: the repo's tests/data/interop)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
interop="${1:-}"
if [ -z "$interop" ]; then
  interop="$repo/tests/data/interop"
fi
out="$here/golden_ls"
declare -A MODES=([v]="-v" [rv]="-r -v" [d]="-d" [vd]="-v -d" [dlw]="-d -l -w50")
for mode in "${!MODES[@]}"; do
  rm -rf "$out/$mode"; mkdir -p "$out/$mode"
  for group in jhdf pyfive; do
    for path in "$interop/$group"/*; do
      f="$(basename "$path")"
      case "$f" in isssue-523.hdf5) continue ;; esac
      case "$mode:$f" in d:tiny_huge*|vd:tiny_huge*|dlw:tiny_huge*) continue ;; esac
      dest="$out/$mode/${group}__$f"
      # shellcheck disable=SC2086
      (cd "$interop/$group" && TZ=UTC timeout 60 h5ls ${MODES[$mode]} "$f" > "$dest.txt" 2>/dev/null) || true
      size=$(stat -c %s "$dest.txt")
      if [ "$size" -gt 524288 ]; then
        python3 - "$dest.txt" > "$dest.fnv" <<'PY'
import sys
h = 0xcbf29ce484222325
data = open(sys.argv[1], 'rb').read()
for b in data:
    h ^= b
    h = (h * 0x100000001b3) & 0xffffffffffffffff
print("fnv1a64 %016x %d" % (h, len(data)))
PY
        rm "$dest.txt"
      fi
    done
  done
done
echo "goldens written to $out"

#!/bin/sh
# Side-by-side benchmark: h5kit (crates/h5kit-bench) against libhdf5 from C
# (shared/bench/libhdf5_bench.c) and through h5py (shared/bench/h5py_bench.py), on the
# workloads of shared/bench/WORKLOADS.md.
#
# Usage: scripts/bench_compare.sh [--scale S | --full] [--pairs N] [--peers] [--large] [--dir DIR]
#   --scale S   workload scale (default 0.25: N = 8 Mi values, a few minutes on 2 cores)
#   --full      scale 1 (N = 32 Mi values, 256 MiB per array)
#   --pairs N   rounds, each running ours, C and h5py one after the other (default 3)
#   --cache B   chunk cache bytes for the "+direct" random-slab read (default 16 MiB)
#   --peers     also run the crates.io pure-Rust crates (bench/peers: rust-hdf5, hdf5-pure)
#   --large     also run write_large and append_flush with the peers (h5kit, the C program and
#               h5py always run them; rust-hdf5 takes long on append_flush at --scale 0.25)
#   --dir DIR   scratch directory (default: a new temporary directory, removed at the end)
#
# Every program works through its library's public API (h5kit: the `h5kit` crate's File; the
# lines "+direct" / "+owned" below the table are other paths, not compared,
# measured in one more h5kit run of their own after the rounds).
# Prints each program's median time per workload and the ratios other time / h5kit time
# (above 1: h5kit is faster) against libhdf5 from C, h5py, rust-hdf5 and hdf5-pure (nan: a
# program that did not run the workload), then peak resident memory: h5kit's per workload
# (VmHWM, reset before each) and each program's whole-run maximum (getrusage of the child).
# Each program's large.h5 (16x the other files) is deleted after its run.
# Needs: cargo, cc, libhdf5-dev (installed with apt-get if missing), python3 + h5py + numpy.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/../shared/bench
scale=0.25
pairs=3
dir=
peers=0
large=0
while [ $# -gt 0 ]; do
    case $1 in
        --scale) scale=$2; shift 2 ;;
        --full) scale=1; shift ;;
        --pairs) pairs=$2; shift 2 ;;
        --dir) dir=$2; shift 2 ;;
        --cache) export CACHE_BYTES=$2; shift 2 ;;
        --peers) peers=1; shift ;;
        --large) large=1; shift ;;
        *) echo "usage: $0 [--scale S | --full] [--pairs N] [--peers] [--large] [--cache B] [--dir DIR]" >&2; exit 2 ;;
    esac
done
cleanup=
if [ -z "$dir" ]; then
    dir=$(mktemp -d /tmp/h5kit-bench.XXXXXX)
    cleanup=$dir
fi
mkdir -p "$dir"
target=${CARGO_TARGET_DIR:-$root/target}

echo "building h5kit-bench (release)..." >&2
ours=$target/release/h5kit-bench
if ! (cd "$root" && CARGO_TARGET_DIR=$target cargo build --release -q -p h5kit-bench); then
    [ -x "$ours" ] || exit 1
    echo "build failed: using the existing $ours" >&2
fi

echo "building libhdf5_bench.c..." >&2
cbin=$dir/libhdf5_bench
if ! sh "$bench/build_libhdf5_bench.sh" "$cbin"; then
    echo "libhdf5_bench could not be built (libhdf5-dev missing?): C column skipped" >&2
    cbin=
fi
pbin=
if [ "$peers" = 1 ]; then
    echo "building bench/peers (release)..." >&2
    if (cd "$root/bench/peers" && CARGO_TARGET_DIR=$root/bench/peers/target cargo build --release -q) \
        || [ -x "$root/bench/peers/target/release/h5kit-peers" ]; then
        pbin=$root/bench/peers/target/release/h5kit-peers
    else
        echo "bench/peers did not build: peers skipped" >&2
    fi
fi
have_py=1
python3 -c 'import h5py, numpy' 2>/dev/null || { echo "h5py/numpy missing: h5py column skipped" >&2; have_py=0; }

OURS=$ours CBIN=$cbin PBIN=$pbin HAVE_PY=$have_py PYBENCH=$bench/h5py_bench.py \
SCALE=$scale PAIRS=$pairs DIR=$dir LARGE=$large python3 - <<'PY'
import os, subprocess, statistics, sys, tempfile

ours, cbin, pybench = os.environ["OURS"], os.environ["CBIN"], os.environ["PYBENCH"]
scale, pairs, d = os.environ["SCALE"], int(os.environ["PAIRS"]), os.environ["DIR"]
large = ["--large"] if os.environ["LARGE"] == "1" else []
progs = [("h5kit", [ours] + large)]
direct_cache = str(os.environ.get("CACHE_BYTES", 16 << 20))
os.environ.pop("H5KIT_BENCH_DIRECT", None)
if cbin:
    progs.append(("libhdf5-C", [cbin]))
if os.environ["HAVE_PY"] == "1":
    progs.append(("h5py", [sys.executable, pybench]))
peer_names = []
if os.environ.get("PBIN"):
    for lib in ("rust-hdf5", "hdf5-pure"):
        progs.append((lib, ["env", f"H5KIT_PEERS_LIB={lib}", os.environ["PBIN"]] + large))
        peer_names.append(lib)

times = {p: {} for p, _ in progs}      # prog -> workload -> [seconds]
maxrss = {p: [] for p, _ in progs}     # prog -> [KiB]
peak = {}                              # workload -> [KiB] (h5kit only)
order = []
base = {}                              # workload -> [KiB] resident at its start (h5kit)
direct = {}                            # "name+direct" -> [seconds] (h5kit's lower-level paths)

def run(name, cmd, sub, extras=False):
    out = os.path.join(d, sub)
    os.makedirs(out, exist_ok=True)
    # Every program starts with no other program's dirty pages under writeback: without this,
    # a program's first writes (and its truncates, which wait for pages under writeback) pay
    # for the previous program's files, and the order of the programs decides the ratios.
    os.sync()
    with tempfile.TemporaryFile("w+") as fo, tempfile.TemporaryFile("w+") as fe:
        env = dict(os.environ, H5KIT_BENCH_DIRECT=direct_cache) if extras else None
        p = subprocess.Popen(cmd + [out, "--scale", scale], stdout=fo, stderr=fe, text=True, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        # Dropped before its dirty pages reach the disk (and the next program's timings).
        try:
            os.remove(os.path.join(out, "large.h5"))
        except FileNotFoundError:
            pass
        fo.seek(0); fe.seek(0)
        stdout, stderr = fo.read(), fe.read()
    if p.returncode != 0:
        sys.exit(f"{name} failed ({p.returncode}):\n{stderr}")
    if extras:
        # The lines not compared, from a run of their own (its memory is not the user's).
        for line in stderr.splitlines():
            f = line.split()
            if len(f) == 4 and f[0] == "direct":
                direct.setdefault(f[1], []).append(float(f[2]))
            if len(f) == 3 and f[1] in ("base_rss_kib", "peak_rss_kib") and "+" in f[0]:
                (base if f[1] == "base_rss_kib" else peak).setdefault(f[0], []).append(int(f[2]))
        return
    maxrss[name].append(ru.ru_maxrss)
    for line in stdout.splitlines():
        f = line.split()
        if len(f) < 3 or f[1] == "skip":
            continue
        w, s = f[0], f[1]
        if w not in order:
            order.append(w)
        times[name].setdefault(w, []).append(float(s))
    for line in stderr.splitlines():
        f = line.split()
        if len(f) == 4 and f[0] == "direct":
            direct.setdefault(f[1], []).append(float(f[2]))
        if len(f) == 3 and f[1] == "base_rss_kib":
            base.setdefault(f[0], []).append(int(f[2]))
        if len(f) == 3 and f[1] == "peak_rss_kib":
            peak.setdefault(f[0], []).append(int(f[2]))

for i in range(pairs):
    for name, cmd in progs:
        run(name, cmd, name)
        print(f"round {i + 1}/{pairs}: {name} done", file=sys.stderr, flush=True)
run("h5kit", progs[0][1], "h5kit-extras", extras=True)
print("extras done", file=sys.stderr, flush=True)

med = lambda v: statistics.median(v) if v else float("nan")
names = [p for p, _ in progs]
print(f"# scale {scale}, {pairs} rounds, median seconds; ratio = other time / h5kit time (>1: h5kit faster); every program through its public API")
hdr = f"{'workload':<20}" + "".join(f"{n:>12}" for n in names)
if "libhdf5-C" in names:
    hdr += f"{'C/h5kit':>10}"
if "h5py" in names:
    hdr += f"{'h5py/h5kit':>12}"
for pn in peer_names:
    hdr += f"{pn + '/h5kit':>17}"
hdr += f"{'h5kit peak MiB (+added)':>24}"
print(hdr)
for w in order:
    row = f"{w:<20}" + "".join(f"{med(times[n].get(w, [])):>12.4f}" for n in names)
    ours_t = med(times["h5kit"].get(w, []))
    if "libhdf5-C" in names:
        row += f"{med(times['libhdf5-C'].get(w, [])) / ours_t:>10.2f}"
    if "h5py" in names:
        row += f"{med(times['h5py'].get(w, [])) / ours_t:>12.2f}"
    for pn in peer_names:
        row += f"{med(times[pn].get(w, [])) / ours_t:>17.2f}"
    added = med(peak.get(w, [])) - med(base.get(w, []))
    row += f"{med(peak.get(w, [])) / 1024:>16.0f} (+{added / 1024:.0f})"
    print(row)
if direct:
    print("# not compared: +owned = Dataset::read into a new Vec; +direct = through h5kit-dataset (H5KIT_BENCH_DIRECT; see spec-notes/performance.md)")
    for w, v in direct.items():
        bw = w.split("+")[0]
        row = f"{w:<28}{med(v):>12.4f}"
        if "libhdf5-C" in names:
            row += f"  C/h5kit {med(times['libhdf5-C'].get(bw, [])) / med(v):.2f}"
        if "h5py" in names:
            row += f"  h5py/h5kit {med(times['h5py'].get(bw, [])) / med(v):.2f}"
        row += f"  peak MiB {med(peak.get(w, [])) / 1024:.0f} (+{(med(peak.get(w, [])) - med(base.get(w, []))) / 1024:.0f})"
        print(row)
if not large:
    print("# write_large, append_flush: the peers not run (add --large)")
print("# whole-run peak RSS (MiB, median over rounds, getrusage of each program's compared run; includes its generated data): " +
      ", ".join(f"{n} {med(maxrss[n]) / 1024:.0f}" for n in names))
PY
[ -n "$cleanup" ] && rm -rf "$cleanup"
exit 0

#!/bin/sh
# Runs cargo-fuzz targets one after another, each for SECONDS (default 600), at the lowest
# CPU priority, and prints one summary line per target (executions, coverage, features, corpus,
# findings). Logs go to fuzz/logs/<target>.log (git-ignored). FUZZ_TARGET_DIR (default
# fuzz/target) lets a second sequence build into its own directory while another one runs.
# Usage: fuzz/run_all.sh [SECONDS] [TARGET...]   (default: every target in fuzz_targets/)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
secs=${1:-600}
[ $# -gt 0 ] && shift
targets=${*:-$(ls fuzz_targets | sed 's/\.rs$//')}
tdir=${FUZZ_TARGET_DIR:-$here/target}
mkdir -p logs
for t in $targets; do
    nice -n 19 cargo +nightly fuzz build -O --target-dir "$tdir" "$t" >>logs/build.log 2>&1
done
for t in $targets; do
    mkdir -p corpus/$t
    start=$(date -u +%H:%M:%S)
    nice -n 19 cargo +nightly fuzz run -O --target-dir "$tdir" "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout=20 >"logs/$t.log" 2>&1 || true
    last=$(grep -E '^#[0-9]+' "logs/$t.log" | tail -1)
    crashes=$(grep -cE 'ERROR: libFuzzer|deadly signal|==ERROR' "logs/$t.log" || true)
    echo "$t start=$start commit=$(git rev-parse --short HEAD) secs=$secs crashes=$crashes :: $last"
done

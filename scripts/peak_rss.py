#!/usr/bin/env python3
"""Runs a command (a test binary: cargo's target runner) and appends its peak resident memory
to the log named by H5KIT_PEAK_LOG: "KiB name", where KiB is the largest of the command and
every process it waited for (ru_maxrss of RUSAGE_CHILDREN), so oracles it runs count too.

  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=scripts/peak_rss.py cargo test ...
  scripts/peak_rss.py --report [LIMIT_MIB]   # the five largest; exit 1 if one is over LIMIT
"""
import os
import resource
import subprocess
import sys

LOG = os.environ.get("H5KIT_PEAK_LOG", "/tmp/h5kit-peak-rss.log")


def report(limit_mib):
    rows = []
    try:
        with open(LOG) as f:
            for line in f:
                kib, _, name = line.strip().partition(" ")
                rows.append((int(kib), name))
    except FileNotFoundError:
        print(f"no peaks recorded in {LOG}")
        return 1
    rows.sort(reverse=True)
    print(f"peak resident memory of the {len(rows)} test processes (with their children), largest first:")
    for kib, name in rows[:5]:
        print(f"  {kib / 1024:8.0f} MiB  {name}")
    if limit_mib is not None and rows and rows[0][0] > limit_mib * 1024:
        print(f"over the limit of {limit_mib} MiB")
        return 1
    return 0


def main():
    if sys.argv[1:2] == ["--report"]:
        limit = float(sys.argv[2]) if len(sys.argv) > 2 else None
        return report(limit)
    args = sys.argv[1:]
    code = subprocess.call(args)
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    name = os.path.basename(args[0]) + ("" if len(args) < 2 else " " + " ".join(args[1:3]))
    with open(LOG, "a") as f:
        f.write(f"{kib} {name}\n")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())

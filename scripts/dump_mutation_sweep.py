#!/usr/bin/env python3
"""Issue 6's mutation sweep through the `h5` binary: every file of tests/data/interop, N
deterministic mutants each (bit flips in the first 4 KiB, bit flips anywhere, overwritten runs,
truncation), each run as `h5 dump MUTANT` in its own process. Reports, per mutant kind and in all:
runs, exit statuses, panics (exit 101), signals (aborts, crashes), runs over the time limit and
the largest peak resident memory (wait4's ru_maxrss of each child).

Usage: scripts/dump_mutation_sweep.py [--mutants N] [--timeout S] [--h5 PATH] [--jobs J]
Exit status 1 when any panic, signal, timeout or peak over 1 GiB was seen.
"""
import argparse, os, random, signal, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
interop = os.path.join(root, "tests", "data", "interop")

def mutants(data, n, seed):
    rng = random.Random(seed)
    size = len(data)
    for i in range(n):
        kind = ("flip4k", "flip", "run", "cut")[i % 4]
        b = bytearray(data)
        if kind == "flip4k":
            for _ in range(rng.randint(1, 8)):
                p = rng.randrange(min(size, 4096))
                b[p] ^= 1 << rng.randrange(8)
        elif kind == "flip":
            for _ in range(rng.randint(1, 16)):
                p = rng.randrange(size)
                b[p] ^= 1 << rng.randrange(8)
        elif kind == "run":
            p = rng.randrange(size)
            ln = rng.randint(1, 64)
            val = rng.choice([0x00, 0xFF, rng.randrange(256)])
            for q in range(p, min(size, p + ln)):
                b[q] = val
        else:
            b = b[: rng.randrange(size)]
        yield i, kind, bytes(b)

def run_one(h5, path, timeout):
    start = time.monotonic()
    p = subprocess.Popen([h5, "dump", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = start + timeout
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = status
            return status, time.monotonic() - start, ru.ru_maxrss, False
        if time.monotonic() > deadline:
            p.kill()
            pid, status, ru = os.wait4(p.pid, 0)
            p.returncode = status
            return status, time.monotonic() - start, ru.ru_maxrss, True
        time.sleep(0.002)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mutants", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--h5", default=os.path.join(root, "target", "release", "h5"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip", action="append", default=[],
                    help="file names left out (e.g. files whose unmutated dump is legitimately huge)")
    a = ap.parse_args()
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(interop) for f in fs
                   if os.path.basename(f) not in a.skip)
    tmp = tempfile.mkdtemp(prefix="h5kit-sweep-")
    stats = {}
    bad = []
    maxrss = (0, "")
    slowest = (0.0, "")
    total = 0
    t0 = time.monotonic()

    def job(args):
        fi, f, i, kind, data = args
        m = os.path.join(tmp, f"{fi}-{i}.h5")
        with open(m, "wb") as fh:
            fh.write(data)
        status, secs, rss, timed_out = run_one(a.h5, m, a.timeout)
        os.unlink(m)
        return f, i, kind, status, secs, rss, timed_out

    def work():
        for fi, f in enumerate(files):
            data = open(f, "rb").read()
            if not data:
                continue
            for i, kind, mdata in mutants(data, a.mutants, f"{os.path.basename(f)}:{len(data)}"):
                yield fi, f, i, kind, mdata

    def results():
        # At most 2 * jobs mutants in memory: Executor.map would materialise every mutant
        # first, and the parent's size then shows in each child's ru_maxrss (fork inherits it).
        from concurrent.futures import FIRST_COMPLETED, wait
        with ThreadPoolExecutor(a.jobs) as ex:
            pending = set()
            for item in work():
                pending.add(ex.submit(job, item))
                if len(pending) >= 2 * a.jobs:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for d in done:
                        yield d.result()
            for d in pending:
                yield d.result()

    if True:
        for f, i, kind, status, secs, rss, timed_out in results():
            total += 1
            s = stats.setdefault(kind, {"runs": 0, "ok": 0, "err": 0})
            s["runs"] += 1
            name = f"{os.path.relpath(f, interop)}#{i}({kind})"
            if timed_out:
                bad.append(f"timeout {secs:.1f}s {name}")
            elif os.WIFSIGNALED(status):
                bad.append(f"signal {os.WTERMSIG(status)} {name}")
            elif os.WEXITSTATUS(status) == 101:
                bad.append(f"panic {name}")
            elif os.WEXITSTATUS(status) == 0:
                s["ok"] += 1
            else:
                s["err"] += 1
            if rss > maxrss[0]:
                maxrss = (rss, name)
            if secs > slowest[0] and not timed_out:
                slowest = (secs, name)
            if rss > 1024 * 1024:
                bad.append(f"peak {rss // 1024} MiB {name}")
    os.rmdir(tmp)
    print(f"files {len(files)}, mutants per file {a.mutants}, runs {total}, "
          f"wall {time.monotonic() - t0:.0f} s, jobs {a.jobs}, timeout {a.timeout} s")
    for k, s in stats.items():
        print(f"  {k:7} runs {s['runs']:6}  exit 0 {s['ok']:6}  clean error {s['err']:6}")
    print(f"largest peak RSS {maxrss[0] / 1024:.1f} MiB ({maxrss[1]}); slowest {slowest[0]:.2f} s ({slowest[1]})")
    print(f"panics/signals/timeouts/peaks over 1 GiB: {len(bad)}")
    for b in bad[:50]:
        print("  " + b)
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())

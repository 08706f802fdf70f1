#!/usr/bin/env python3
"""Off-CPU time line of the client and the server from a machine-wide sched recording (profile-small.sh with SCHED=1).

usage: sched.py <out>.sched.data <client-pid> <server-pid> [<from>,<to>] [--bins MS]

Reads `perf sched timehist` (each switch-out of a thread: its run time, and before it the time it waited runnable for a
core, its "sch delay"), and over the window (CLOCK_MONOTONIC seconds, as in <out>.steps) prints, per process, the
cores it ran on (CPU-s / wall), the share of the wall time it had at least one thread running or runnable ("had work"),
and for the two together: the share of time both had work, only one, neither (both waiting: on the disk, the socket,
each other), and the share of time their threads were runnable but waiting for a core (the neighbours' and each
other's). Without a window, prints the server's and client's running time per bin to find one.
"""
import subprocess
import sys


def intervals(data, pids):
    out = subprocess.run(["perf", "sched", "timehist", "-i", data], capture_output=True, text=True, check=True).stdout
    runs = {p: [] for p in pids}
    waits = {p: [] for p in pids}
    others = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 6 or not parts[0][0].isdigit() or not parts[1].startswith("["):
            continue
        try:
            t = float(parts[0])
            run = float(parts[-1]) / 1000
            delay = float(parts[-2]) / 1000
        except ValueError:
            continue
        name = " ".join(parts[2:-3])
        ids = name[name.rfind("[") + 1:name.rfind("]")]
        pid = int(ids.split("/")[1]) if "/" in ids else int(ids) if ids.isdigit() else -1
        if pid in runs:
            runs[pid].append((t - run, t))
            if delay > 0:
                waits[pid].append((t - run - delay, t - run))
        elif not name.startswith("<idle>") and "swapper" not in name:
            others.append((t - run, t))
    return runs, waits, others


def covered(ivs, lo, hi, step):
    """Per step-long slot of [lo, hi): how much of it the intervals cover (summed, so two threads at once count 2)."""
    n = int((hi - lo) / step) + 1
    slots = [0.0] * n
    for a, b in ivs:
        a, b = max(a, lo), min(b, hi)
        if a >= b:
            continue
        first, last = int((a - lo) / step), min(n - 1, int((b - lo) / step))
        for i in range(first, last + 1):
            slots[i] += max(0.0, min(b, lo + (i + 1) * step) - max(a, lo + i * step))
    return slots


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    bins = float(sys.argv[sys.argv.index("--bins") + 1]) / 1000 if "--bins" in sys.argv else 0.1
    if "--bins" in sys.argv:
        args.remove(sys.argv[sys.argv.index("--bins") + 1])
    data, client, server = args[0], int(args[1]), int(args[2])
    runs, waits, others = intervals(data, [client, server])
    if len(args) < 4:
        lo = min(a for p in runs for a, _ in runs[p])
        hi = max(b for p in runs for _, b in runs[p])
        c, s = covered(runs[client], lo, hi, bins), covered(runs[server], lo, hi, bins)
        for i in range(len(c)):
            if c[i] + s[i] > 0.02 * bins:
                print(f"{lo + i * bins:.3f}  client {c[i] / bins:4.2f}  server {s[i] / bins:4.2f}")
        return
    lo, hi = (float(x) for x in args[3].split(","))
    wall = hi - lo
    step = 0.0005
    n = int(wall / step) + 1
    run = {p: covered(runs[p], lo, hi, step) for p in runs}
    wait = {p: covered(waits[p], lo, hi, step) for p in runs}
    other = covered(others, lo, hi, step)
    work = {p: [run[p][i] + wait[p][i] > 0.25 * step for i in range(n)] for p in runs}
    print(f"window {lo:.3f}–{hi:.3f}: {wall:.3f} s wall")
    for name, p in (("client", client), ("server", server)):
        print(f"  {name}: ran {sum(run[p]):.3f} CPU-s ({sum(run[p]) / wall:.2f} cores), waited for a core {sum(wait[p]):.3f} thread-s,"
              f" had work {sum(work[p]) / n:.0%} of the time")
    both = sum(1 for i in range(n) if work[client][i] and work[server][i]) / n
    neither = sum(1 for i in range(n) if not work[client][i] and not work[server][i]) / n
    print(f"  both had work {both:.0%}, only one {1 - both - neither:.0%}, neither {neither:.0%}")
    busy = [run[client][i] + run[server][i] for i in range(n)]
    two = sum(1 for b in busy if b > 1.5 * step) / n
    none = sum(1 for b in busy if b < 0.5 * step) / n
    print(f"  cores running client or server: two {two:.0%}, one {1 - two - none:.0%}, none {none:.0%};"
          f" other processes ran {sum(other):.3f} CPU-s in the window ({sum(other) / wall:.2f} cores)")


main()

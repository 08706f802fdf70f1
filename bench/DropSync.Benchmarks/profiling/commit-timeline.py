#!/usr/bin/env python3
# usage: commit-timeline.py <server log> <warm-up commits to skip>: see docs/performance/server-history.md, round 10.
# Distribution of the request timing log's stages for POST /files/upload, and of group commits (every group logged).
import re, sys
stages = ["auth", "body read, block sealed", "planned (reads)", "to writer queue", "wait for group", "group's earlier writes",
          "own statements", "group's later writes", "COMMIT (fsync)", "answered (hop back)", "published", "rest"]
per = {s: [] for s in stages}; totals = []; pools = []
groups = []; first = last = None
skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
lines = open(sys.argv[1], errors="replace").read().splitlines()
reqs = [l for l in lines if "POST /files/upload 200" in l]
for l in reqs[skip:]:
    m = re.search(r"200 ([0-9.]+) ms: (.*?); GC pause", l)
    if not m: continue
    totals.append(float(m.group(1))); body = m.group(2)
    for s in stages:
        mm = re.search(re.escape(s) + r" (-?[0-9.]+)(,|$)", body)
        if mm: per[s].append(float(mm.group(1)))
    q = re.search(r"thread pool queue (\d+) at start", l)
    if q: pools.append(int(q.group(1)))
for l in lines:
    m = re.search(r"metadata commit at (\S+): ([0-9.]+) ms for (\d+) writes: queued ([0-9.]+) ms, work ([0-9.]+) ms, COMMIT ([0-9.]+) ms, writer idle before it ([0-9.]+) ms", l)
    if m: groups.append((m.group(1),) + tuple(float(x) for x in m.groups()[1:]))
def pct(v, p):
    v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")
print(f"requests: {len(totals)} (skipped {skip}); total p50 {pct(totals,.5):.2f} p99 {pct(totals,.99):.2f} ms")
print(f"{'stage':28} {'p50':>7} {'p90':>7} {'p99':>7} {'mean':>7}")
for s in stages:
    v = per[s]
    if v: print(f"{s:28} {pct(v,.5):7.2f} {pct(v,.9):7.2f} {pct(v,.99):7.2f} {sum(v)/len(v):7.2f}")
if pools: print(f"thread pool queue at request start: p50 {pct(pools,.5)} p99 {pct(pools,.99)}")
if groups:
    import datetime
    t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "")[:26] + "+00:00")
    m0 = re.search(r"request at (\S+):", reqs[skip]); m1 = re.search(r"request at (\S+):", reqs[-1])
    t0, t1 = t(m0.group(1)), t(m1.group(1))
    gs = [g for g in groups if t0 <= t(g[0]) <= t1]
    span = (t(gs[-1][0]) - t(gs[0][0])).total_seconds()
    sizes = [g[2] for g in gs]
    print(f"groups: {len(gs)} over {span:.1f} s = {len(gs)/span if span else 0:.0f}/s, writes/group p50 {pct(sizes,.5):.0f} mean {sum(sizes)/len(sizes):.1f} max {max(sizes):.0f}")
    for name, i in [("oldest queued -> BEGIN", 3), ("BEGIN -> COMMIT called (statements)", 4), ("COMMIT (WAL write + fsync)", 5), ("writer idle before BEGIN", 6)]:
        v = [g[i] for g in gs]
        print(f"  {name:36} p50 {pct(v,.5):6.2f} p90 {pct(v,.9):6.2f} p99 {pct(v,.99):6.2f} mean {sum(v)/len(v):6.2f} ms (sum {sum(v)/1e3/span*100 if span else 0:.0f} % of wall)")

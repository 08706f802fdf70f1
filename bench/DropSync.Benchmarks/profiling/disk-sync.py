# Raw latency of 4 KiB write + fdatasync (or fsync), appended as a WAL would be, in a temp dir on the same disk.
import os, sys, time, tempfile, statistics
mode = sys.argv[1] if len(sys.argv) > 1 else "fdatasync"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
d = tempfile.mkdtemp(prefix="fsync-", dir="/tmp")
f = os.open(os.path.join(d, "wal"), os.O_WRONLY | os.O_CREAT, 0o600)
buf = os.urandom(4096)
lat = []
t0 = time.perf_counter()
for i in range(n):
    a = time.perf_counter()
    os.pwrite(f, buf, (i % 256) * 4096 * 4)  # WAL-like: rewrite after the WAL is reset, with some appends
    (os.fdatasync if mode == "fdatasync" else os.fsync)(f)
    lat.append((time.perf_counter() - a) * 1e3)
el = time.perf_counter() - t0
os.close(f); os.unlink(os.path.join(d, "wal")); os.rmdir(d)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"{mode} of 4 KiB x{n}: {n/el:.0f}/s, p50 {q(0.5):.3f} ms, p90 {q(0.9):.3f}, p99 {q(0.99):.3f}, max {lat[-1]:.3f} ms, mean {statistics.mean(lat):.3f}")

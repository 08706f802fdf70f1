# A WAL-like COMMIT without SQLite: <frames> pwrites of 24 + 4096 bytes appended, then fdatasync; the file is reused
# from its start every 1000 frames (as a WAL after a checkpoint), so most syncs overwrite blocks already allocated.
import os, sys, time
frames = int(sys.argv[1]); n = int(sys.argv[2])
path = "/tmp/walsync-%d" % os.getpid()
f = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
page = os.urandom(4096); hdr = os.urandom(24)
off = 0; lat = []
t0 = time.perf_counter()
for i in range(n):
    a = time.perf_counter()
    for k in range(frames):
        os.pwrite(f, hdr, off); os.pwrite(f, page, off + 24); off += 4120
    os.fdatasync(f)
    lat.append((time.perf_counter() - a) * 1e3)
    if off > 1000 * 4120: off = 0
el = time.perf_counter() - t0
os.close(f); os.unlink(path)
lat.sort(); q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"{frames} frames + fdatasync x{n}: {n/el:.0f}/s, p50 {q(.5):.2f} ms, p90 {q(.9):.2f}, p99 {q(.99):.2f}")

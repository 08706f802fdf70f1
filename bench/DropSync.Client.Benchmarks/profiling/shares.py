"""Shares of one perf file from profile-small.sh, per process (client, server): CPU-seconds, by thread, by the innermost
known stage (leaf first, as bench/DropSync.Benchmarks/profiling/classify-perf.py), and the DropSync frames with the most
inclusive samples.  usage: python3 shares.py <perf file> <client-pid> <server-pid> [hz=499] [--time <from>,<to>]
(--time: CLOCK_MONOTONIC seconds from the .steps file that profile-small.sh writes, to take one step of a run)"""
import sys, subprocess, re, collections
window = []
if '--time' in sys.argv:
    i = sys.argv.index('--time'); window = ['--time', sys.argv[i + 1]]; del sys.argv[i:i + 2]
path, client, server = sys.argv[1], sys.argv[2], sys.argv[3]
hz = float(sys.argv[4]) if len(sys.argv) > 4 else 499.0
rules = [
 ("sha256", lambda f: 'libcrypto' in f and re.search(r'\b29[a-f][0-9a-f]{3}\b', f)),
 ("aes-gcm", lambda f: 'libcrypto' in f and re.search(r'\b24[0-9a-f]{4}\b', f)),
 ("crypto-other", lambda f: 'libcrypto' in f or 'SHA256' in f or 'Sha256' in f),
 ("zstd", lambda f: 'ZstdSharp' in f),
 ("fsync", lambda f: 'fsync' in f),
 ("file write", lambda f: 'sys_pwrite' in f or ('sys_write' in f and 'sock' not in f)),
 ("file read", lambda f: 'sys_pread' in f or 'ksys_read' in f),
 ("open/rename/stat/mkdir/unlink", lambda f: any(s in f for s in ('renameat','sys_openat','sys_mkdir','sys_unlink','sys_newfstatat','sys_statx','do_sys_open','sys_close','utimensat'))),
 ("socket", lambda f: any(s in f for s in ('recvfrom','recvmsg','sendto','sendmsg','tcp_'))),
 ("sched/futex/epoll", lambda f: any(s in f for s in ('sched_yield','futex','epoll','nanosleep','schedule'))),
 ("page faults", lambda f: 'exc_page_fault' in f),
 ("mmap/madvise", lambda f: any(s in f for s in ('mmap','madvise','mprotect'))),
 ("sqlite native", lambda f: 'libe_sqlite' in f or 'sqlite3' in f),
 ("Microsoft.Data.Sqlite", lambda f: 'Microsoft.Data.Sqlite' in f or 'SQLitePCL' in f),
 ("base64", lambda f: 'Base64' in f),
 ("json", lambda f: 'System.Text.Json' in f),
 ("multipart", lambda f: 'Multipart' in f),
 ("memmove", lambda f: 'memmove' in f or 'Memmove' in f or 'memcpy' in f),
 ("memset", lambda f: 'memset' in f or 'ZeroMemory' in f),
 ("GC", lambda f: 'WKS::' in f or 'SVR::' in f or 'gc_heap' in f or 'GCHeap' in f),
 ("JIT", lambda f: 'libclrjit' in f),
]
def classify(stack):
    for f in stack:
        for name, rule in rules:
            if rule(f): return name
    leaf = stack[0] if stack else ''
    if 'kernel' in leaf: return 'kernel other'
    if 'libcoreclr' in leaf: return 'runtime other'
    if 'libc' in leaf: return 'libc other'
    return 'managed other'
out = subprocess.run(['perf','script','-i',path,'-F','pid,tid,comm,ip,sym,dso'] + window, capture_output=True, text=True).stdout
per = {client: collections.Counter(), server: collections.Counter()}
threads = {client: collections.Counter(), server: collections.Counter()}
frames = {client: collections.Counter(), server: collections.Counter()}
totals = collections.Counter()
for block in out.split('\n\n'):
    lines = [l.strip() for l in block.strip().split('\n') if l.strip()]
    if not lines: continue
    head = lines[0].split()
    pid = next((p for p in head if '/' in p), head[1]).split('/')[0] if any('/' in p for p in head) else head[1]
    if pid not in per: continue
    comm = lines[0].split(pid)[0].strip()
    stack = lines[1:]
    totals[pid] += 1
    per[pid][classify(stack)] += 1
    threads[pid][re.sub(r'\d+$', '#', comm)] += 1
    seen = set()
    for f in stack:
        m = re.search(r'(DropSync\.[\w.]+(?:::|\.)[\w<>]+)', f)
        if m:
            k = re.sub(r'\[.*', '', m.group(1))
            if k not in seen:
                seen.add(k); frames[pid][k] += 1
for pid, name in ((client, 'client'), (server, 'server')):
    t = totals[pid]
    if not t: continue
    print(f"== {name} (pid {pid}): {t} samples = {t/hz:.2f} CPU-s")
    print("  by thread:", ", ".join(f"{k} {100*v/t:.0f}%" for k, v in threads[pid].most_common(8)))
    for k, v in per[pid].most_common():
        print(f"  {k:32s} {v/hz:6.2f} s {100*v/t:5.1f}%")
    print("  DropSync frames (inclusive):")
    for k, v in frames[pid].most_common(25):
        print(f"    {100*v/t:5.1f}%  {k}")

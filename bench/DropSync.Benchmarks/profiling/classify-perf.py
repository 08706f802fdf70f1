"""CPU-seconds per stage of one perf file from profile-transfer.sh: each sample goes to the innermost frame (leaf
first) that matches a known stage. The libcrypto address ranges are those of Debian 13's OpenSSL 3 build (SHA-NI
SHA-256 at 0x29xxxx, VAES AES-GCM at 0x24xxxx); check them with objdump on another OpenSSL."""
import sys, subprocess, re, collections
rules = [
 ("sha256", lambda f: 'libcrypto' in f and re.search(r'\b29[a-f][0-9a-f]{3}\b', f)),
 ("aes-gcm", lambda f: 'libcrypto' in f and re.search(r'\b24[0-9a-f]{4}\b', f)),
 ("crypto-other", lambda f: 'libcrypto' in f),
 ("zstd", lambda f: 'ZstdSharp' in f),
 ("file write (pwrite)", lambda f: 'sys_pwrite' in f or 'sys_write' in f and 'sock' not in f),
 ("file read (pread)", lambda f: 'sys_pread' in f or 'ksys_read' in f),
 ("fsync", lambda f: 'fsync' in f),
 ("rename/open/mkdir/unlink", lambda f: any(s in f for s in ('renameat','sys_openat','sys_mkdir','sys_unlink','sys_newfstatat','sys_statx','do_sys_open'))),
 ("socket recv", lambda f: 'recvfrom' in f or 'recvmsg' in f),
 ("socket send", lambda f: 'sendto' in f or 'sendmsg' in f or 'sys_write' in f),
 ("sched_yield/futex/epoll", lambda f: any(s in f for s in ('sched_yield','futex','epoll','nanosleep'))),
 ("page faults", lambda f: 'exc_page_fault' in f),
 ("mmap/madvise", lambda f: any(s in f for s in ('mmap','madvise','mprotect'))),
 ("sqlite", lambda f: 'sqlite' in f),
 ("memmove (managed copies)", lambda f: 'memmove' in f or 'Buffer::Memmove' in f),
 ("memset (zeroing)", lambda f: 'memset' in f),
 ("GC", lambda f: 'WKS::' in f or 'SVR::' in f or 'gc_heap' in f or 'GCHeap' in f),
 ("JIT", lambda f: 'libclrjit' in f),
]
def classify(stack):
    for f in stack:  # leaf first
        for name, rule in rules:
            if rule(f): return name
    # fallbacks by leaf dso
    leaf = stack[0] if stack else ''
    if 'kernel' in leaf: return 'kernel other'
    if 'libcoreclr' in leaf: return 'runtime other'
    return 'managed/other'
path = sys.argv[1]
out = subprocess.run(['perf','script','-i',path,'-F','ip,sym,dso'], capture_output=True, text=True).stdout
counts = collections.Counter(); total = 0
for block in out.split('\n\n'):
    lines = [l.strip() for l in block.strip().split('\n') if l.strip()]
    if not lines: continue
    total += 1
    counts[classify(lines)] += 1
hz = 999.0
print(f"{path}: {total} samples = {total/hz:.2f} CPU-s")
for k, v in counts.most_common():
    print(f"  {k:28s} {v/hz:6.2f} s  {100*v/total:5.1f}%")

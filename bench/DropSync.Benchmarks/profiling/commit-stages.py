"""Share of the server's CPU samples per stage of a small-file commit, from one perf file of profile-commits.sh. Each
sample goes to the innermost frame (leaf first) that names a stage; async code runs in pieces on thread-pool threads,
so a stage counts the pieces that ran under its own frames (its awaits' continuations are its own again)."""
import sys, subprocess, re, collections
stages = [
 ("group-commit writer thread (SQLite writes, WAL fsync)", r'GroupCommitWriter'),
 ("metadata reads (pooled connection + snapshot)", r'SqliteMetadataStore.*ReadAsync|MetadataConnections|SqliteConnection::Open|SqliteConnectionPool'),
 ("authentication", r'BearerAuthenticationHandler|AccountService::CheckToken|AuthenticationMiddleware|AuthenticationHandler'),
 ("block seal (zstd probe, AES-GCM, key wrap)", r'SealToArray|EncryptedDiskBlockStore|BlockCompression|CompressionDecision|ZstdSharp|AesGcm'),
 ("commit planning (ParentPlan, FileCommitter)", r'FileCommitter|ParentPlan'),
 ("path resolution, quota", r'PathResolver|StorageQuota|NamespaceView'),
 ("change fan-out", r'ChangeFanout|ChangeFeed|Publish|OrderedDispatcher|WebSocketHub'),
 ("upload body read + hash", r'UploadService|UploadApi|ContentHasher|IncrementalHash'),
 ("rate limiting", r'RateLimit'),
 ("logging", r'Logging|Logger'),
 ("JSON", r'System\.Text\.Json'),
 ("Kestrel + ASP.NET Core pipeline", r'Kestrel|AspNetCore|HttpProtocol|Http1Connection'),
 ("JIT", r'libclrjit'),
 ("GC", r'gc_heap|WKS::|SVR::|GCHeap'),
 ("thread pool (dispatch, spinning)", r'PortableThreadPool|ThreadPoolWorkQueue|WorkerThread|LowLevelLifoSemaphore|sched_yield'),
 ("sockets/epoll (runtime)", r'SocketAsyncEngine|epoll'),
]
compiled = [(n, re.compile(p)) for n, p in stages]
def main(path):
    out = subprocess.run(['perf', 'script', '-i', path, '-F', 'comm,tid,ip,sym,dso'], capture_output=True, text=True).stdout
    counts = collections.Counter(); total = 0
    for block in out.split('\n\n'):
        lines = [l for l in block.strip().split('\n') if l.strip()]
        if len(lines) < 2: continue
        total += 1
        frames = lines[1:]
        stage = None
        for f in frames:
            for name, rx in compiled:
                if rx.search(f): stage = name; break
            if stage: break
        if stage is None:
            leaf = frames[0]
            stage = 'other: kernel' if '[kernel' in leaf else 'other: sqlite' if 'sqlite' in leaf else 'other: libc' if 'libc' in leaf else 'other: runtime' if 'coreclr' in leaf else 'other'
        counts[stage] += 1
    print(f"{total} samples")
    for name, c in counts.most_common():
        print(f"{100.0*c/total:5.1f}%  {name}")
main(sys.argv[1])

"""System calls per measured commit from a commit-syscalls.sh perf file: by kind, by thread and kind, and for each of
the largest kinds the frames that issued them (the first managed or SQLite frame above libc).
   usage: python3 commit-syscalls.py <out>.perf.data <commits> [kinds to show callers of, comma-separated]"""
import sys, subprocess, collections, re
names = {}
for line in open('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'):
    m = re.match(r'#define __NR_(\w+) (\d+)', line)
    if m: names[int(m.group(2))] = m.group(1)
commits = int(sys.argv[2])
show = sys.argv[3].split(',') if len(sys.argv) > 3 else None
out = subprocess.run(['perf', 'script', '-i', sys.argv[1], '-F', 'comm,tid,trace,ip,sym,dso'], capture_output=True, text=True).stdout
def thread(comm):
    if comm.startswith('DropSync metada'): return 'metadata writer/ckpt'
    if '.NET TP Worker' in comm or 'TP Worker' in comm: return 'thread pool'
    if 'Sockets' in comm or 'epoll' in comm.lower(): return 'socket engine'
    return comm
kinds = collections.Counter(); by_thread = collections.Counter(); callers = collections.defaultdict(collections.Counter)
for block in out.split('\n\n'):
    lines = [l for l in block.strip().split('\n') if l.strip()]
    if not lines: continue
    m = re.search(r'NR (\d+)', lines[0])
    if not m: continue
    kind = names.get(int(m.group(1)), m.group(1))
    comm = lines[0].strip().split()[0] if not lines[0].startswith(' ') else lines[0].split()[0]
    head = re.match(r'\s*(.+?)\s+\d+\s', lines[0])
    comm = head.group(1) if head else comm
    t = thread(comm)
    kinds[kind] += 1; by_thread[(t, kind)] += 1
    frames = []
    for l in lines[1:]:
        p = l.strip().split(None, 1)
        if len(p) < 2: continue
        sym = re.sub(r'\s*\(.*\)\s*$', '', p[1]).strip()
        dso = re.search(r'\(([^)]*)\)\s*$', p[1]); dso = dso.group(1) if dso else ''
        if 'libc' in dso or 'kernel' in dso or sym.startswith('[unknown]'): continue
        sym = re.sub(r'\[OptimizedTier1\]|\[Optimized\]|\[Tier1\]|\[Tier0\]|\[PreJIT\]|\[QuickJitted\]', '', sym)
        frames.append(sym[:110] + ('' if 'dll' in dso or 'perf-' in dso or not dso else ' <' + dso.split('/')[-1] + '>'))
        if len(frames) == 3: break
    callers[kind][' | '.join(frames) or '?'] += 1
total = sum(kinds.values())
print(f'{total} syscalls, {total / commits:.1f} per commit over {commits} commits')
for k, v in kinds.most_common(25): print(f'{v / commits:7.2f}  {k}')
print('\nby thread')
for (t, k), v in by_thread.most_common(40): print(f'{v / commits:7.2f}  {t:22} {k}')
for k, _ in kinds.most_common(12):
    if show and k not in show: continue
    print(f'\n{k}: {kinds[k] / commits:.2f} per commit, callers')
    for c, v in callers[k].most_common(8): print(f'{v / commits:7.3f}  {c}')

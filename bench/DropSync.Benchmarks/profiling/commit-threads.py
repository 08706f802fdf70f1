"""Share of a profile-commits.sh perf file's samples by thread (the metadata writer, the JIT, the rest), then by the
leaf's library and the system call under it (fsync, pwrite, pread). SQLite's native frames do not unwind, so "parse"
is only seen when a parser frame is on the stack.   usage: python3 commit-threads.py <out>.perf.data"""
import sys, subprocess, collections, re
out = subprocess.run(['perf','script','-i',sys.argv[1],'-F','comm,tid,ip,sym,dso'],capture_output=True,text=True).stdout
tot=collections.Counter(); c=collections.Counter(); n=0
for block in out.split('\n\n'):
    lines=[l for l in block.strip().split('\n') if l.strip()]
    if len(lines)<2: continue
    n+=1
    head=lines[0]
    th='writer' if 'DropSync metada' in head else 'jit' if 'Tiered' in head else 'request/other'
    leaf=lines[1]
    lib='kernel' if '[kernel' in leaf else 'sqlite' if 'sqlite' in leaf else 'libc' if 'libc' in leaf else 'runtime' if 'coreclr' in leaf else 'jit' if 'clrjit' in leaf else 'managed/other'
    stack='\n'.join(lines[1:])
    sc = 'fsync' if re.search(r'\bfsync|fdatasync',stack) else 'pwrite' if 'pwrite' in stack else 'pread' if 'pread' in stack else ('parse' if re.search(r'sqlite3RunParser|yy_|sqlite3GetToken|sqlite3Prepare|sqlite3LocateTable|sqlite3ResolveExpr|sqlite3Select',stack) else '')
    rd = 'ReadAsync' if re.search(r'ReadAsync|MetadataConnections|SqliteConnectionPool|SqliteConnection::Open',stack) else ''
    tot[th]+=1; c[(th,lib,sc,rd)]+=1
print(n,'samples'); 
for k,v in tot.most_common(): print(f'{100*v/n:5.1f}% {k}')
for k,v in c.most_common(40): print(f'{100*v/n:5.1f}% {k}')

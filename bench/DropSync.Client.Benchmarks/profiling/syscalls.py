"""Syscall counts per process in one step of a profile-small.sh / profile-big.sh run (its <out>.sys.data), most first.
usage: python3 syscalls.py <out>.sys.data <client-pid> <server-pid> <from>,<to>   (CLOCK_MONOTONIC seconds, as shares.py --time)
x86-64 numbers are named from the table below; others print as numbers."""
import sys, subprocess, collections
path, client, server, window = sys.argv[1:5]
names = dict(x.split(':') for x in '0:read 1:write 3:close 5:fstat 7:poll 8:lseek 9:mmap 10:mprotect 11:munmap 16:ioctl 17:pread64 18:pwrite64 19:readv 20:writev 24:sched_yield 28:madvise 35:nanosleep 44:sendto 45:recvfrom 46:sendmsg 47:recvmsg 72:fcntl 74:fsync 75:fdatasync 77:ftruncate 82:rename 186:gettid 202:futex 217:getdents64 230:clock_nanosleep 232:epoll_wait 233:epoll_ctl 257:openat 262:newfstatat 281:epoll_pwait 306:syncfs 316:renameat2 332:statx 14:rt_sigprocmask 13:rt_sigaction 234:tgkill 318:getrandom 435:clone3 334:rseq 273:set_robust_list 39:getpid 4:stat 6:lstat 21:access 89:readlink 267:readlinkat 302:prlimit64 439:faccessat2 54:setsockopt 55:getsockopt 288:accept4 42:connect 41:socket 51:getsockname 52:getpeername 48:shutdown 285:fallocate 98:getrusage'.split())
out = subprocess.run(['perf','script','-i',path,'-F','pid,trace','--time',window], capture_output=True, text=True).stdout
c = {client: collections.Counter(), server: collections.Counter()}
for l in out.splitlines():
    parts = l.split()
    if len(parts) < 3 or parts[0] not in c: continue
    nr = parts[2].rstrip(',').split('=')[-1] if 'NR' in l else parts[1]
    c[parts[0]][nr] += 1
for pid, cnt in c.items():
    print(pid, 'total', sum(cnt.values()))
    print('   ', ', '.join(f'{names.get(k,k)} {v}' for k, v in cnt.most_common(16)))

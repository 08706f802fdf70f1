#!/bin/bash
# One `transfer` run with the server's system calls counted in the measured media upload (step 1) and resumable
# upload (step 5), per block (a 1 GiB step is 256 blocks of 4 MiB): strace -f on the server (every thread, including
# those the thread pool starts later, which perf stat -p misses) with time stamps, split at the times the "[n/6]"
# lines appeared. strace slows the server a lot: use it for counts only, never for the CPU or rate figures.
#   usage: transfer-syscalls.sh <label> <DropSync.Api.dll> [transfer args...]; output in /tmp/transfer-syscalls-<label>.*
set -u
label=$1; dll=$2; shift 2
cd "$(dirname "$0")/../../.."
out=/tmp/transfer-syscalls-$label
rm -f $out.*
calls=fsync,fdatasync,openat,close,stat,lstat,newfstatat,rename,mkdir,getpid,fcntl,lseek,ftruncate,pwrite64,recvfrom,futex,sched_yield,epoll_wait,unlink,madvise,read,write,sendmsg,sendto,mmap,munmap,getrandom
l0=$(cut -d' ' -f1 /proc/loadavg)
DROPSYNC_BENCH_SERVER=$dll dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- transfer "$@" 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err 2>/dev/null | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
strace -f -ttt -e trace=$calls -o $out.strace -p $pid 2>/dev/null & st=$!
seen=0
while kill -0 $bench 2>/dev/null; do
  n=$(grep -c '^\[[0-9]/[0-9]\]' $out.err)
  [ "$n" -gt "$seen" ] && { echo "$n $(date +%s.%N)" >> $out.marks; seen=$n; }
  sleep 0.02
done
wait $bench
kill -INT $st 2>/dev/null; wait $st 2>/dev/null
echo "$label load $l0-$(cut -d' ' -f1 /proc/loadavg)"
total=$(tail -1 $out.marks | cut -d' ' -f1)
for s in 1 5; do
  from=$(awk -v k=$((total - 6 + s)) '$1==k {print $2}' $out.marks); to=$(awk -v k=$((total - 5 + s)) '$1==k {print $2}' $out.marks)
  [ -z "$to" ] && to=9999999999
  echo "step $s per block (256 blocks):"
  awk -v a=$from -v b=$to '$2+0 >= a && $2+0 < b && $3 != "<..." && $3 != "+++" {c=$3; sub(/\(.*/, "", c); n[c]++; t++} END {printf " all %.2f", t/256; for (k in n) printf " %s %.2f", k, n[k]/256; print ""}' $out.strace
done

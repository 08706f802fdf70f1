#!/bin/bash
# Counts the group-commit writer thread's file system calls for 3 s of the first measured step of `commits`: which
# files it writes (WAL, database, temp files) and how many fsyncs (one per group commit of the WAL).
#   usage: strace-writer.sh <out-prefix> [commits args...]
# DROPSYNC_BENCH_SERVER=<DropSync.Api.dll> counts another build's. Needs strace and permission to trace the server.
set -u
out=$1; shift
cd "$(dirname "$0")/../../.."
dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits "$@" > $out.txt 2>$out.err &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
until grep -q 'writer(s):' $out.err || ! kill -0 $bench 2>/dev/null; do sleep 0.2; done
tid=$(grep -l "DropSync metada" /proc/$pid/task/*/comm | head -1 | cut -d/ -f5)
timeout 3 strace -p $tid -e trace=pwrite64,pread64,fsync,fdatasync,openat,unlink,close -o $out.strace 2>/dev/null
ls -l /proc/$pid/fd | grep metadata | awk '{print $9, $11}' > $out.fds
wait $bench
echo "system calls:"; awk '{split($1,a,"("); print a[1]}' $out.strace | sort | uniq -c | sort -rn
echo "pwrite64 by fd:"; grep pwrite64 $out.strace | awk -F'[(,]' '{print $2}' | sort | uniq -c
echo "fsync by fd:"; grep fsync $out.strace | awk -F'[(,)]' '{print $2}' | sort | uniq -c
echo "temp files opened:"; grep -c etilqs $out.strace
echo "metadata fds:"; cat $out.fds
cat $out.txt

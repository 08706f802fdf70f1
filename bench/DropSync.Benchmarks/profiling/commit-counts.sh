#!/bin/bash
# Hard counts per measured commit of one `commits` step (one writer count), steadier than wall-clock figures on a
# loaded machine: the group-commit writer thread's CPU (from /proc), and the whole server's madvise calls, page faults
# and context switches (perf stat, from the first measured commit until the step's table is printed).
#   usage: commit-counts.sh <label> <DropSync.Api.dll> --writers N --commits C [--warmup W]; output in /tmp/commit-counts-<label>.*
# Needs perf and permission to profile the server.
set -u
label=$1; dll=$2; shift 2
commits=$(echo "$@" | grep -o -- '--commits [0-9]*' | grep -o '[0-9]*$')
cd "$(dirname "$0")/../../.."
out=/tmp/commit-counts-$label
DROPSYNC_BENCH_SERVER=$dll dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits "$@" 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err 2>/dev/null | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
until grep -q 'writer(s):' $out.err || ! kill -0 $bench 2>/dev/null; do sleep 0.1; done
# Two threads' names start "DropSync metada" (comm keeps 15 characters): the writer and the WAL checkpointer. The
# writer is the one that has used more CPU by now (it ran every warm-up commit).
ticks_of(){ local st; st=$(cat /proc/$pid/task/$1/stat) || return 1; local f=(${st##*) }); echo $(( ${f[11]} + ${f[12]} )); }
tid=""; best=-1
for t in $(grep -l 'DropSync metada' /proc/$pid/task/*/comm | cut -d/ -f5); do
  n=$(ticks_of $t) && [ "$n" -gt "$best" ] && { best=$n; tid=$t; }
done
writer_ticks(){ ticks_of $tid; }
w0=$(writer_ticks); w1=$w0
perf stat -e syscalls:sys_enter_madvise,page-faults,context-switches -p $pid -o $out.stat &
stat=$!
while kill -0 $bench 2>/dev/null && ! grep -q 'latency' $out.txt; do w1=$(writer_ticks 2>/dev/null || echo $w1); sleep 0.1; done
kill -INT $stat; wait $stat; wait $bench
per(){ echo "scale=2; $1/$commits" | bc; }
echo "$label (load $(cut -d' ' -f1 /proc/loadavg)): $(awk 'NF>=8 && $1 ~ /^[0-9]+$/' $out.txt | tail -1)"
echo "  per commit: writer thread CPU $(echo "scale=3; ($w1-$w0)*10/$commits" | bc) ms, madvise $(per $(awk '/madvise/{print $1}' $out.stat)), page faults $(per $(awk '/page-faults/{print $1}' $out.stat)), context switches $(per $(awk '/context-switches/{print $1}' $out.stat))"

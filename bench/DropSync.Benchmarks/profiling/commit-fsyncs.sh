#!/bin/bash
# One `commits` step with the server's fsync + fdatasync calls and context switches per measured commit (perf stat,
# from the first measured commit until the step's table is printed): the group commit's fsyncs per commit, a count
# that load does not change much (groups carry more writes when they are fuller).
#   usage: commit-fsyncs.sh <label> <DropSync.Api.dll> [env settings...]; WRITERS, COMMITS, WARMUP (16, 4000, 3000)
#   appends one line to /tmp/commit-fsyncs.txt. Needs perf and permission to profile the server.
set -u
label=$1; dll=$2; shift 2
cd "$(dirname "$0")/../../.."
out=/tmp/commit-fsyncs-$label; commits=${COMMITS:-4000}
l0=$(cut -d' ' -f1 /proc/loadavg)
env "$@" DROPSYNC_BENCH_SERVER=$dll timeout 600 dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits --writers ${WRITERS:-16} --commits $commits --warmup ${WARMUP:-3000} 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err 2>/dev/null | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
until grep -q 'writer(s):' $out.err || ! kill -0 $bench 2>/dev/null; do sleep 0.1; done
perf stat -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync,context-switches -p $pid -o $out.stat &
stat=$!
while kill -0 $bench 2>/dev/null && ! grep -q 'latency' $out.txt; do sleep 0.1; done
kill -INT $stat; wait $stat; wait $bench
r=$(awk 'NF==8 && $1 ~ /^[0-9]+$/' $out.txt | tr -s ' ')
f=$(awk '/sys_enter_fsync/{print $1}' $out.stat | tr -d ,); d=$(awk '/sys_enter_fdatasync/{print $1}' $out.stat | tr -d ,); cs=$(awk '/context-switches/{print $1}' $out.stat | tr -d ,)
echo "$(date -u +%H:%M) $label load $l0-$(cut -d' ' -f1 /proc/loadavg): $r | fsync/commit $(echo "scale=3; ($f+$d)/$commits" | bc) cs/commit $(echo "scale=1; $cs/$commits" | bc)" | tee -a /tmp/commit-fsyncs.txt

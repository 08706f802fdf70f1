#!/bin/bash
# Every system call the server makes during one measured `commits` step, with its call stack (perf record of
# raw_syscalls:sys_enter, frame pointers), from the first measured commit until the step's table is printed; then
# commit-syscalls.py prints them per measured commit by kind, by thread and by the code that issued them.
#   usage: commit-syscalls.sh <out-prefix> <DropSync.Api.dll> [env settings...]; WRITERS, COMMITS, WARMUP (16, 3000, 3000)
#   then:  python3 commit-syscalls.py <out-prefix>.perf.data <commits>
set -u
out=$1; dll=$2; shift 2
cd "$(dirname "$0")/../../.."
commits=${COMMITS:-3000}
l0=$(cut -d' ' -f1 /proc/loadavg)
env "$@" DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DROPSYNC_BENCH_SERVER=$dll timeout 900 dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits --writers ${WRITERS:-16} --commits $commits --warmup ${WARMUP:-3000} 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err 2>/dev/null | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
until grep -q 'writer(s):' $out.err || ! kill -0 $bench 2>/dev/null; do sleep 0.1; done
perf record -e raw_syscalls:sys_enter -g -p $pid -o $out.perf.data 2>/dev/null &
rec=$!
while kill -0 $bench 2>/dev/null && ! grep -q 'latency' $out.txt; do sleep 0.1; done
kill -INT $rec; wait $rec; wait $bench
echo "$out load $l0-$(cut -d' ' -f1 /proc/loadavg)"; cat $out.txt

#!/bin/bash
# Profiles the server with perf during the measured steps of `commits` (the warm-up is not recorded): one perf file,
# recorded from the first measured step on, for at most <seconds>.
#   usage: profile-commits.sh <out-prefix> <seconds> [commits args...]
#   then:  python3 commit-stages.py <out-prefix>.perf.data
# DROPSYNC_BENCH_SERVER=<DropSync.Api.dll> profiles another build. Needs perf and permission to profile the server.
set -u
out=$1; shift
seconds=$1; shift
cd "$(dirname "$0")/../../.."
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
rm -f $out.perf.data
dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits "$@" 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
until grep -q 'writer(s):' $out.err || ! kill -0 $bench 2>/dev/null; do sleep 0.2; done
perf record -F 499 -g -p $pid -o $out.perf.data -- sleep $seconds 2>/dev/null
wait $bench
cat $out.txt

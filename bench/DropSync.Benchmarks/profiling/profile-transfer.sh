#!/bin/bash
# Profiles the server during `transfer` with perf (kernel and native frames included: most of the server's CPU was in
# the kernel and in OpenSSL, which dotnet-trace does not see). One perf file per step: perf switches output at each
# "[n/6]" line the benchmark prints (the last six files are the measured steps when there is a warm-up).
#   usage: profile-transfer.sh <out-prefix> [transfer args...]
#   then:  python3 classify-perf.py <out-prefix>.perf.data.<timestamp>
# Needs perf (linux-perf) and permission to profile the server (root, or kernel.perf_event_paranoid <= 1).
set -u
out=$1; shift
cd "$(dirname "$0")/../../.."
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
rm -f $out.perf.data*
dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- transfer "$@" 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 300); do pid=$(grep -o 'server: pid [0-9]*' $out.err | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
perf record -F 999 -g -p $pid -o $out.perf.data --switch-output=signal 2>/dev/null &
perfpid=$!
seen=0
while kill -0 $bench 2>/dev/null; do
  n=$(grep -c '^\[[0-9]/[0-9]\]' $out.err)
  if [ "$n" -gt "$seen" ]; then kill -USR2 $perfpid; seen=$n; echo "step $n at $(date +%T)"; fi
  sleep 0.1
done
wait $bench
sleep 1; kill -INT $perfpid 2>/dev/null; wait $perfpid 2>/dev/null
ls $out.perf.data*

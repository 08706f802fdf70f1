#!/bin/bash
# usage: writer-thread-commits.sh <label> <server dll> --writers N [commits args]; one writer count per run; output in /tmp/commits-<label>.*
# Prints the bench table plus the writer thread's CPU ms and write/read syscalls per measured commit (from /proc).
label=$1; dll=$2; shift 2
cd "$(dirname "$0")/../../.."
export DROPSYNC_BENCH_SERVER=$dll
out=/tmp/commits-$label
dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits "$@" 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err 2>/dev/null | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
tid=""
for i in $(seq 1 300); do for t in /proc/$pid/task/*; do grep -q "DropSync metada" $t/comm 2>/dev/null && tid=${t##*/}; done; [ -n "$tid" ] && break; sleep 0.2; done
snap(){ local st; st=$(cat /proc/$pid/task/$tid/stat 2>/dev/null) || return 1; [ -z "$st" ] && return 1; local f=(${st##*) }); local io; io=$(cat /proc/$pid/task/$tid/io 2>/dev/null) || return 1; echo "$(( ${f[11]} + ${f[12]} )) $(echo "$io" | awk '/syscw/{print $2}') $(echo "$io" | awk '/syscr/{print $2}')"; }
start=""; last=""
while kill -0 $bench 2>/dev/null; do
  s=$(snap) && last=$s
  if [ -z "$start" ] && grep -q 'writer(s):' $out.err; then start=$s; fi
  sleep 0.2
done
cat $out.txt
commits=$(awk '$1 ~ /^[0-9]+$/ && NF>=8 {print $2}' $out.txt | tail -1)
read t0 w0 r0 <<<"$start"; read t1 w1 r1 <<<"$last"
echo "$label: load $(cut -d' ' -f1-3 /proc/loadavg); writer thread per measured commit: CPU $(echo "scale=3; ($t1-$t0)*10/$commits" | bc) ms, write syscalls $(echo "scale=1; ($w1-$w0)/$commits" | bc), read syscalls $(echo "scale=1; ($r1-$r0)/$commits" | bc)"

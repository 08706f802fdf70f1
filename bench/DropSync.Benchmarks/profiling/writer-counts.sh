#!/bin/bash
# The group-commit writer's and the WAL checkpointer's work per measured commit of one `commits` step: each thread's
# CPU (from /proc) and its pwrite/pread calls (perf stat on the thread), the server's fsyncs and CPU, so that builds can
# be compared on a loaded machine by counts rather than by wall-clock rates.
#   usage: writer-counts.sh <label> <DropSync.Api.dll> [env settings...]; WRITERS, COMMITS, WARMUP (16, 3000, 2500)
#   appends one line to /tmp/writer-counts.txt. Needs perf and permission to profile the server.
set -u
label=$1; dll=$2; shift 2
cd "$(dirname "$0")/../../.."
out=/tmp/writer-counts-$label; commits=${COMMITS:-3000}
l0=$(cut -d' ' -f1 /proc/loadavg)
env "$@" DROPSYNC_BENCH_SERVER=$dll timeout 900 dotnet run -c Release --no-build --project bench/DropSync.Benchmarks -- commits --writers ${WRITERS:-16} --commits $commits --warmup ${WARMUP:-2500} 2>$out.err >$out.txt &
bench=$!
pid=""
for i in $(seq 1 600); do pid=$(grep -o 'server: pid [0-9]*' $out.err 2>/dev/null | grep -o '[0-9]*$'); [ -n "$pid" ] && break; sleep 0.2; done
until grep -q 'writer(s):' $out.err || ! kill -0 $bench 2>/dev/null; do sleep 0.1; done
# Two threads' names start "DropSync metada" (comm keeps 15 characters): the writer has used more CPU by now.
ticks_of(){ local st; st=$(cat /proc/$pid/task/$1/stat) || return 1; local f=(${st##*) }); echo $(( ${f[11]} + ${f[12]} )); }
proc_ticks(){ local st; st=$(cat /proc/$pid/stat) || return 1; local f=(${st##*) }); echo $(( ${f[11]} + ${f[12]} )); }
tids=$(grep -l 'DropSync metada' /proc/$pid/task/*/comm | cut -d/ -f5)
wt=""; ct=""; best=-1
for t in $tids; do n=$(ticks_of $t) && if [ "$n" -gt "$best" ]; then ct=$wt; wt=$t; best=$n; else ct=$t; fi; done
w0=$(ticks_of $wt); c0=$(ticks_of $ct); p0=$(proc_ticks); w1=$w0; c1=$c0; p1=$p0
ev=syscalls:sys_enter_pwrite64,syscalls:sys_enter_pread64,syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync
perf stat -e $ev -t $wt -o $out.wstat & ws=$!
perf stat -e $ev -t $ct -o $out.cstat & cs=$!
while kill -0 $bench 2>/dev/null && ! grep -q 'latency' $out.txt; do
  w1=$(ticks_of $wt 2>/dev/null || echo $w1); c1=$(ticks_of $ct 2>/dev/null || echo $c1); p1=$(proc_ticks 2>/dev/null || echo $p1); sleep 0.1
done
kill -INT $ws $cs; wait $ws $cs; wait $bench
r=$(awk 'NF>=8 && $1 ~ /^[0-9]+$/' $out.txt | tail -1 | tr -s ' ')
n(){ awk -v e="$2" '$2 ~ e {gsub(",","",$1); print $1}' $1; }
per(){ echo "scale=2; $1/$commits" | bc; }
ms(){ echo "scale=3; $1*10/$commits" | bc; }
echo "$(date -u +%H:%M) $label load $l0-$(cut -d' ' -f1 /proc/loadavg): $r | ms/commit server $(ms $((p1-p0))) writer $(ms $((w1-w0))) ckpt $(ms $((c1-c0))) | writer pwrite $(per $(n $out.wstat pwrite64)) fsync $(per $(( $(n $out.wstat sys_enter_fsync) + $(n $out.wstat fdatasync) ))) | ckpt pwrite $(per $(n $out.cstat pwrite64)) pread $(per $(n $out.cstat pread64)) fsync $(per $(( $(n $out.cstat sys_enter_fsync) + $(n $out.cstat fdatasync) )))" | tee -a /tmp/writer-counts.txt

#!/bin/bash
# A server's start-up: wall time and process CPU (user + system, from /proc) until GET /healthz first answers 200, and
# its RSS then. For comparing runtime settings or builds (ReadyToRun, tiered compilation) at start-up.
#   usage: startup-cpu.sh <label> <DropSync.Api.dll> [env settings...]; appends one line to /tmp/startup-cpu.txt
set -u
label=$1; dll=$2; shift 2
d=$(mktemp -d /tmp/startup-cpu-XXXX); port=$((20000 + RANDOM % 20000))
t0=$(date +%s.%N)
env "$@" dotnet "$dll" --urls http://127.0.0.1:$port --data $d/data --DropSync:KeysDirectory $d/keys >$d/log 2>&1 &
pid=$!
until curl -sf http://127.0.0.1:$port/healthz >/dev/null 2>&1; do
  sleep 0.05
  kill -0 $pid 2>/dev/null || { echo "$label: the server exited"; tail $d/log; rm -rf $d; exit 1; }
done
t1=$(date +%s.%N)
st=$(cat /proc/$pid/stat); f=(${st##*) }); ticks=$(( ${f[11]} + ${f[12]} ))
rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
kill $pid; wait $pid 2>/dev/null; rm -rf $d
echo "$(date -u +%H:%M) $label load $(cut -d' ' -f1 /proc/loadavg): healthy after $(echo "$t1 - $t0" | bc) s, server CPU $(echo "scale=2; $ticks/100" | bc) s, RSS $((rss / 1024)) MiB" | tee -a /tmp/startup-cpu.txt

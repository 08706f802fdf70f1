#!/bin/bash
# Profiles both sides of the small-file workload (`--peers --only small --skip-rclone`) with perf: the benchmark
# process (the dropsync client) and the server process, into one file <out>.perf.data from the warm-up's "peak RSS"
# line on, and <out>.steps, the CLOCK_MONOTONIC time of each later "peak RSS" line (the end of each timed step: the
# upload, then the download). One file, cut by time: perf's --switch-output left the library mappings and thread
# names in the first file only, so later files counted SHA-256 and the JIT as managed code. Then, per step:
#   python3 bench/DropSync.Client.Benchmarks/profiling/shares.py <out>.perf.data <client-pid> <server-pid> 499 --time <from>,<to>
#   usage: profile-small.sh <out-prefix> [more benchmark args...]   (ONLY=big profiles the 1 GiB workload: profile-big.sh)
# BENCH_DIR=<a build's bin/Release/net10.0> runs that build's benchmark dll instead of this tree's (A/B runs; the server
# is picked as usual, DROPSYNC_BENCH_SERVER=<DropSync.Api.dll> for another). <out>.sys.data also records every syscall
# entry (no stacks) of both processes; count one step's with syscalls.py <out>.sys.data <client> <server> <from>,<to>.
# SCHED=1 also records every context switch and wakeup on the machine (perf -a, sched tracepoints) into
# <out>.sched.data, for off-CPU time lines of both processes: sched.py <out>.sched.data <client> <server> <from>,<to>.
# Needs perf (linux-perf) and permission to profile (root, or kernel.perf_event_paranoid <= 1).
set -u
out=$1; shift
cd "$(dirname "$0")/../../.."
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
rm -f $out.perf.data* $out.sys.data $out.sched.data $out.steps
if [ -n "${BENCH_DIR:-}" ]; then
  dotnet "$BENCH_DIR/DropSync.Client.Benchmarks.dll" --peers --only "${ONLY:-small}" --skip-rclone "$@" >$out.txt 2>$out.err &
else
  dotnet run -c Release --no-build --project bench/DropSync.Client.Benchmarks -- --peers --only "${ONLY:-small}" --skip-rclone "$@" >$out.txt 2>$out.err &
fi
runner=$!
client=""; server=""
for i in $(seq 1 600); do
  # The benchmark is dotnet run's child (other people's runs of it are not ours); the server is the benchmark's child.
  if [ -n "${BENCH_DIR:-}" ]; then client=$runner; else client=$(pgrep -P $runner | head -1); fi
  [ -n "$client" ] && server=$(pgrep -P $client -f DropSync.Api.dll | head -1)
  [ -n "$server" ] && break; sleep 0.2
done
echo "client $client server $server" | tee $out.pids
seen=0; perfpid=""; syspid=""
while kill -0 $runner 2>/dev/null; do
  n=$(grep -c 'peak RSS' $out.txt)
  if [ "$n" -gt "$seen" ]; then
    if [ -z "$perfpid" ]; then
      perf record -F 499 -g -k CLOCK_MONOTONIC -p $client,$server -o $out.perf.data 2>/dev/null &
      perfpid=$!
      perf record -e raw_syscalls:sys_enter -k CLOCK_MONOTONIC -p $client,$server -o $out.sys.data 2>/dev/null &
      syspid=$!
      if [ -n "${SCHED:-}" ]; then
        perf record -a -e sched:sched_switch -e sched:sched_wakeup -k CLOCK_MONOTONIC -o $out.sched.data 2>/dev/null &
        syspid="$syspid $!"
      fi
    fi
    echo "step $n $(python3 -c 'import time; print(f"{time.monotonic():.6f}")')" >> $out.steps
    seen=$n; echo "step $n at $(date +%T)"
  fi
  sleep 0.1
done
wait $runner
sleep 1; [ -n "$perfpid" ] && { kill -INT $perfpid $syspid 2>/dev/null; wait $perfpid $syspid 2>/dev/null; }
ls $out.perf.data*; cat $out.steps

#!/bin/bash
# Lists what the JIT compiles in each step of the small-file workload (`--peers --only small --skip-rclone`), both
# processes: DOTNET_JitDisasmSummary writes one line per compiled method (tier, IL and code size) to
# DOTNET_JitStdOutFile. The path is relative on purpose: the server runs in its own folder (tests/DropSync.Testing
# ServerProcess), so each process writes its own list, <out>.server.list and <out>.client.list. <out>.steps has both
# lists' line counts at the end of each step (each "peak RSS" line: the first round, the upload, the download), so
#   sed -n '<from+1>,<to>p' <out>.server.list
# is one step's compiles. usage: jit-small.sh <out-prefix> [more benchmark args, e.g. --cold]
# (DROPSYNC_BENCH_SERVER=<other build's DropSync.Api.dll> lists another build's server.)
set -u
out=$(realpath -m "$1"); shift
root=$(cd "$(dirname "$0")/../../.." && pwd)
server_dir=$(dirname "${DROPSYNC_BENCH_SERVER:-$root/functions/DropSync.Api/bin/Release/net10.0/DropSync.Api.dll}")
client_dir=$(mktemp -d)
rm -f "$out".steps "$out".*.list "$server_dir/jit-list.txt"
cd "$client_dir"
DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile=jit-list.txt \
  dotnet "$root/bench/DropSync.Client.Benchmarks/bin/Release/net10.0/DropSync.Client.Benchmarks.dll" --peers --only small --skip-rclone "$@" >"$out.txt" 2>&1 &
runner=$!
seen=0
while kill -0 $runner 2>/dev/null; do
  n=$(grep -c 'peak RSS' "$out.txt")
  if [ "$n" -gt "$seen" ]; then
    echo "step $n server $(wc -l <"$server_dir/jit-list.txt") client $(wc -l <jit-list.txt)" >>"$out.steps"
    seen=$n
  fi
  sleep 0.05
done
mv "$server_dir/jit-list.txt" "$out.server.list"; mv jit-list.txt "$out.client.list"; rmdir "$client_dir"
cat "$out.steps"; grep 'first sync of' "$out.txt"

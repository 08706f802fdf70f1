#!/usr/bin/env bash
# Publishes the `dropsync` CLI as users should run it, for one pinned runtime id, compiled ahead of time so a one-shot
# `dropsync sync` does not spend its time starting a JIT:
#   aot (default): Native AOT, one self-contained executable (plus SQLite's libe_sqlite3.so); no .NET runtime needed.
#   r2r: ReadyToRun, framework-dependent (needs the .NET 10 runtime); for a platform Native AOT cannot build for here.
# Usage: ./scripts/publish-cli.sh [output folder, default artifacts/cli] [runtime id, default linux-x64] [aot|r2r]
# Then run `<output folder>/dropsync sync <folder>`, or put the folder on PATH. Why AOT: client/README.md, "Install /
# run" (the figures: docs/performance/client-history.md, "Round 7: idle re-sync as a fresh process").
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

out="${1:-artifacts/cli}"
rid="${2:-linux-x64}"
kind="${3:-aot}"
case "$kind" in
  aot) mode=(-p:CliNativeAot=true) ;;
  # PublishReadyToRun is set in the project for any publish with a runtime id.
  r2r) mode=(--self-contained false) ;;
  *) echo "unknown kind '$kind' (aot or r2r)" >&2; exit 2 ;;
esac
rm -rf "$out"
mkdir -p "$out"

# Its own artifacts path keeps this RID-specific build out of the regular build's bin/ and obj/ folders (the tests
# use those).
dotnet publish client/DropSync.Cli/DropSync.Cli.csproj -c Release -r "$rid" "${mode[@]}" \
  --artifacts-path "artifacts/cli-build-$kind-$rid" -o "$out" --nologo -v quiet -clp:ErrorsOnly

# Symbols stay in the build folder: users do not need them.
find "$out" \( -name '*.pdb' -o -name '*.dbg' \) -delete
# The project's assembly is DropSync.Cli; users type `dropsync` (as the .NET tool's command is named).
mv "$out/DropSync.Cli" "$out/dropsync"
chmod 755 "$out/dropsync"
echo "dropsync CLI: $out/dropsync ($kind, $rid, $(du -sh "$out" | cut -f1))"

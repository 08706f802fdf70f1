#!/usr/bin/env bash
# Publishes the `dropsync` CLI as users should run it: ReadyToRun (the code is compiled ahead of time, so a one-shot
# `dropsync sync` does not spend its time in the JIT), framework-dependent, for one pinned runtime id.
# Usage: ./scripts/publish-cli.sh [output folder, default artifacts/cli] [runtime id, default linux-x64]
# Then run `<output folder>/dropsync sync <folder>` (needs the .NET 10 runtime), or put the folder on PATH.
# The figures behind the choice (ReadyToRun against the plain build and Native AOT) are in client/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

out="${1:-artifacts/cli}"
rid="${2:-linux-x64}"
rm -rf "$out"
mkdir -p "$out"

# PublishReadyToRun is set in the project for any publish with a runtime id. Its own artifacts path keeps this
# RID-specific build out of the regular build's bin/ and obj/ folders (the tests use those).
dotnet publish client/DropSync.Cli/DropSync.Cli.csproj -c Release -r "$rid" --self-contained false \
  --artifacts-path "artifacts/cli-build-$rid" -o "$out" --nologo -v quiet -clp:ErrorsOnly

find "$out" -name '*.pdb' -delete
# The project's assembly is DropSync.Cli; users type `dropsync` (as the .NET tool's command is named).
mv "$out/DropSync.Cli" "$out/dropsync"
chmod 755 "$out/dropsync"
echo "dropsync CLI: $out/dropsync ($(du -sh "$out" | cut -f1), ReadyToRun, $rid)"

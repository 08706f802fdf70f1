#!/usr/bin/env bash
# Publishes the server as the Lambda asset the CDK app deploys: a self-contained linux-arm64 .NET app in
# artifacts/lambda (git-ignored), started by a `bootstrap` script, for the provided.al2023 runtime on ARM64.
# Usage: ./scripts/publish-lambda.sh [output folder, default artifacts/lambda] [runtime id, default linux-arm64]
# (the local serverless harness runs the same publish for this machine: artifacts/lambda-x64 linux-x64)
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

out="${1:-artifacts/lambda}"
rid="${2:-linux-arm64}"
rm -rf "$out"
mkdir -p "$out"

# -p:AssemblyName=bootstrap cannot be used: as a global property it renames every project in the graph ("Ambiguous
# project name 'bootstrap'"). So the app keeps its name and a two-line `bootstrap` starts it. Its own artifacts path
# keeps this RID-specific build out of the regular build's bin/ and obj/ folders.
dotnet publish functions/DropSync.Api/DropSync.Api.csproj -c Release -r "$rid" --self-contained \
  --artifacts-path "artifacts/lambda-build-$rid" -o "$out" --nologo -v quiet -clp:ErrorsOnly

# Symbols are not needed in Lambda and only make the package larger.
find "$out" -name '*.pdb' -delete

cat > "$out/bootstrap" <<'SH'
#!/bin/sh
# Lambda (provided.al2023) runs this; the Lambda Web Adapter layer forwards events to the server as HTTP.
cd "$(dirname "$0")"
exec ./DropSync.Api "$@"
SH
chmod 755 "$out/bootstrap" "$out/DropSync.Api"
echo "lambda asset: $out ($(du -sh "$out" | cut -f1))"

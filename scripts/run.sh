#!/usr/bin/env bash
# Starts the embedded DropSync server. Extra arguments go to the server, e.g. --urls http://0.0.0.0:8080 --data /srv/dropsync
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet run --project functions/DropSync.Api -c Release -- "$@"

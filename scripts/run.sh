#!/usr/bin/env bash
# Starts the embedded DropSync server. Extra arguments go to the server, e.g. --urls http://0.0.0.0:8080 --data /srv/dropsync
#
# The data folder is ./dropsync-data in the folder you ran this script from, and a relative --data is taken from there
# too. That has to be decided here: `dotnet run` starts a web project in its own project folder, so a relative path the
# server resolved itself would land in functions/DropSync.Api/.
set -euo pipefail
here="$PWD"
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$here/$1" ;;
  esac
}

args=()
data_given=false
while [ $# -gt 0 ]; do
  case "$1" in
    --data)
      [ $# -ge 2 ] || { echo "run.sh: --data needs a folder" >&2; exit 2; }
      args+=(--data "$(absolute "$2")"); data_given=true; shift 2 ;;
    --data=*)
      args+=("--data=$(absolute "${1#--data=}")"); data_given=true; shift ;;
    *)
      args+=("$1"); shift ;;
  esac
done

if [ "$data_given" = false ]; then
  if [ -n "${DropSync__DataDirectory:-}" ]; then
    export DropSync__DataDirectory="$(absolute "$DropSync__DataDirectory")"
  else
    args+=(--data "$here/dropsync-data")
  fi
fi

# The same for a keys folder given by environment (the default, ~/.config/dropsync/keys, is absolute already).
if [ -n "${DropSync__KeysDirectory:-}" ]; then
  export DropSync__KeysDirectory="$(absolute "$DropSync__KeysDirectory")"
fi

exec dotnet run --project functions/DropSync.Api -c Release -- "${args[@]}"

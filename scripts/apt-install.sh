#!/usr/bin/env bash
# Installs Debian packages for the test run, time-limited, with apt's own network timeouts and retries, so a stalled
# mirror fails the run instead of hanging it. Usage: scripts/apt-install.sh <what, for messages> <package>...
# Runs as root in CI (sudo elsewhere).
set -euo pipefail

what=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
apt_options=(-o Acquire::Retries=2 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30)
timeout --kill-after=10 300 $SUDO apt-get "${apt_options[@]}" update \
  || { echo "$what: apt-get update failed or took over 300 s" >&2; exit 1; }
timeout --kill-after=10 600 $SUDO apt-get "${apt_options[@]}" install -y --no-install-recommends "$@" \
  || { echo "$what: installing $* failed or took over 600 s" >&2; exit 1; }

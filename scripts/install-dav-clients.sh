#!/usr/bin/env bash
# Installs the WebDAV clients the WebDAV tests drive (tests/DropSync.Dav.Tests): Debian's litmus (the WebDAV
# compliance suite) and rclone (its WebDAV backend copies a tree up and back). Runs as root in CI; a no-op when both
# are already installed. The tests fail, not skip, when either is missing.
set -euo pipefail

if command -v litmus >/dev/null 2>&1 && command -v rclone >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

export DEBIAN_FRONTEND=noninteractive
# Time-limited, with apt's own network timeouts and retries, so a stalled mirror fails the run instead of hanging it.
apt_options=(-o Acquire::Retries=2 -o Acquire::http::Timeout=30 -o Acquire::https::Timeout=30)
timeout --kill-after=10 300 $SUDO apt-get "${apt_options[@]}" update \
  || { echo "install-dav-clients: apt-get update failed or took over 300 s" >&2; exit 1; }
timeout --kill-after=10 600 $SUDO apt-get "${apt_options[@]}" install -y --no-install-recommends litmus rclone \
  || { echo "install-dav-clients: installing litmus and rclone failed or took over 600 s" >&2; exit 1; }

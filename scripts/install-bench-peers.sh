#!/usr/bin/env bash
# Installs the peers the client benchmark runs side by side with dropsync (bench/DropSync.Client.Benchmarks,
# PeerComparison.cs): Debian's rsync (run as a daemon on loopback) and rclone (serving WebDAV on loopback, and its
# client). A no-op when both are already installed.
set -euo pipefail

if command -v rsync >/dev/null 2>&1 && command -v rclone >/dev/null 2>&1; then
  exit 0
fi

exec "$(dirname "$0")/apt-install.sh" install-bench-peers rsync rclone

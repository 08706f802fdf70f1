#!/bin/bash
# Profiles both sides of the 1 GiB workload (`--peers --only big --skip-rclone`) the way profile-small.sh does the
# small one: perf files <out>.perf.data.<ts>: the untimed 64 MiB warm-up's upload and download first (none with
# --cold), then the 1 GiB upload (it also holds the benchmark writing its random file and copying it into the device's
# folder), the download, the one-byte insert. Then:
# python3 bench/DropSync.Client.Benchmarks/profiling/shares.py <file> <client-pid> <server-pid>
#   usage: profile-big.sh <out-prefix> [more benchmark args...]
ONLY=big exec "$(dirname "$0")/profile-small.sh" "$@"

#!/bin/bash
# Profiles both sides of the 1 GiB workload (`--peers --only big --skip-rclone`) the way profile-small.sh does the
# small one: <out>.perf.data and <out>.steps, whose marks end the untimed 64 MiB warm-up's upload and download (none
# with --cold), then the 1 GiB upload (its window also holds the benchmark writing its random file and copying it into
# the device's folder), the download, the one-byte insert. Then, per step (times from <out>.steps):
# python3 bench/DropSync.Client.Benchmarks/profiling/shares.py <out>.perf.data <client-pid> <server-pid> 499 --time <from>,<to>
#   usage: profile-big.sh <out-prefix> [more benchmark args...]
ONLY=big exec "$(dirname "$0")/profile-small.sh" "$@"

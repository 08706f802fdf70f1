#!/usr/bin/env bash
# Installs the WebDAV clients the WebDAV tests drive (tests/DropSync.Dav.Tests): Debian's litmus (the WebDAV
# compliance suite) and rclone (its WebDAV backend copies a tree up and back). Runs as root in CI; a no-op when both
# are already installed. The tests fail, not skip, when either is missing.
set -euo pipefail

if command -v litmus >/dev/null 2>&1 && command -v rclone >/dev/null 2>&1; then
  exit 0
fi

exec "$(dirname "$0")/apt-install.sh" install-dav-clients litmus rclone

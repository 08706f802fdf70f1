#!/usr/bin/env bash
# Installs the browser the web app's end-to-end tests drive (tests/DropSync.Web.Tests): Debian's Chromium and
# ChromeDriver, plus a font so pages render text. Playwright's own browser download is not used (and not reachable
# here); the tests launch /usr/bin/chromium through Playwright's ExecutablePath. Runs as root in CI; a no-op when
# Chromium is already installed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
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
  || { echo "install-browser: apt-get update failed or took over 300 s" >&2; exit 1; }
timeout --kill-after=10 600 $SUDO apt-get "${apt_options[@]}" install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core \
  || { echo "install-browser: installing chromium failed or took over 600 s" >&2; exit 1; }

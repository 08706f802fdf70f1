#!/usr/bin/env bash
# Installs the browser the web app's end-to-end tests drive (tests/DropSync.Web.Tests): Debian's Chromium and
# ChromeDriver, plus a font so pages render text. Playwright's own browser download is not used (and not reachable
# here); the tests launch /usr/bin/chromium through Playwright's ExecutablePath. Runs as root in CI; a no-op when
# Chromium is already installed.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

exec "$(dirname "$0")/apt-install.sh" install-browser chromium chromium-driver fonts-dejavu-core

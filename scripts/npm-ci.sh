#!/usr/bin/env bash
# One way to install a folder's pinned Node packages for the tests: `npm ci` from its package-lock.json, only when
# node_modules does not already match the lockfile, with a timeout per attempt and one retry, so it never hangs.
#   scripts/npm-ci.sh <folder with package-lock.json> <what, for messages> [binary in node_modules/.bin that must exist]...
# Used by scripts/openapi-tools.sh (the repository root) and scripts/cdk-nag.sh (tests/cdk-nag).
set -euo pipefail
[ "$#" -ge 2 ] || { echo "usage: scripts/npm-ci.sh <folder> <what> [binary]..." >&2; exit 2; }
folder="$1"
what="$2"
shift 2
cd "$folder"

step_timeout="${DROPSYNC_NPM_TIMEOUT:-300}"

fail() {
  echo "$what: $*" >&2
  exit 1
}

command -v npm >/dev/null || fail "npm (Node.js 20+) is needed"

# npm ci writes node_modules/.package-lock.json; when it has every package the lockfile names (optional ones only
# where installed: fsevents is for macOS), the install is current.
installed() {
  node -e '
    const want = require("./package-lock.json").packages;
    let have;
    try { have = require("./node_modules/.package-lock.json").packages; } catch { process.exit(1); }
    for (const [name, entry] of Object.entries(want)) {
      if (name === "" || (entry.optional && !have[name])) continue;
      if (!have[name] || have[name].version !== entry.version) process.exit(1);
    }
  ' 2>/dev/null || return 1
  for tool in "$@"; do
    [ -x "node_modules/.bin/$tool" ] || return 1
  done
}

if ! installed "$@"; then
  echo "==> installing $what (npm ci from $folder/package-lock.json)" >&2
  ok=0
  for attempt in 1 2; do
    if timeout --kill-after=10 "$step_timeout" npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >&2; then
      ok=1
      break
    fi
    echo "$what: npm ci failed or took over ${step_timeout}s (attempt $attempt of 2)" >&2
  done
  [ "$ok" = 1 ] || fail "could not install; check that the npm registry answers (npm ping) and run this again"
  installed "$@" || fail "node_modules does not match package-lock.json after npm ci"
fi

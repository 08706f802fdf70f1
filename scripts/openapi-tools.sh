#!/usr/bin/env bash
# Installs the Node tools the OpenAPI contract tests run (package.json, versions fixed by package-lock.json) into
# ./node_modules with `npm ci`, once, never hanging: @redocly/cli (lint), openapi-typescript (types from the
# document), openapi-fetch (the client those types drive) and typescript (tsc checks the typed usage).
# Idempotent: when node_modules already matches the lockfile it only checks. Prints the folder of the tools' binaries:
#   DROPSYNC_NODE_BIN=<repo>/node_modules/.bin
set -euo pipefail
cd "$(dirname "$0")/.."

step_timeout="${DROPSYNC_NPM_TIMEOUT:-300}"

fail() {
  echo "openapi-tools: $*" >&2
  exit 1
}

command -v npm >/dev/null || fail "npm (Node.js 20+) is needed for the OpenAPI checks"

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
  ' 2>/dev/null
}

if ! installed || [ ! -x node_modules/.bin/redocly ]; then
  echo "==> installing the OpenAPI tools (npm ci from package-lock.json)" >&2
  ok=0
  for attempt in 1 2; do
    if timeout --kill-after=10 "$step_timeout" npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >&2; then
      ok=1
      break
    fi
    echo "openapi-tools: npm ci failed or took over ${step_timeout}s (attempt $attempt of 2)" >&2
  done
  [ "$ok" = 1 ] || fail "could not install the OpenAPI tools; check that the npm registry answers (npm ping) and run scripts/openapi-tools.sh again"
fi

for tool in redocly openapi-typescript tsc; do
  [ -x "node_modules/.bin/$tool" ] || fail "node_modules/.bin/$tool is missing after npm ci"
done
echo "DROPSYNC_NODE_BIN=$PWD/node_modules/.bin"

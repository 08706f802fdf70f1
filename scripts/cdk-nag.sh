#!/usr/bin/env bash
# cdk-nag's AwsSolutions rules over DropSync's synthesized templates (tests/DropSync.Infra.Tests/CdkNagTests calls this).
# Installs tests/cdk-nag's pinned packages (cdk-nag 3.0.2, the aws-cdk-lib its peer dependency asks for, constructs;
# versions fixed by tests/cdk-nag/package-lock.json) with `npm ci`, once, never hanging; then, given templates, runs
# tests/cdk-nag/nag.js over them and passes on its JSON report and exit code.
#   scripts/cdk-nag.sh                      install only
#   scripts/cdk-nag.sh main=a.json replica=b.json
set -euo pipefail
caller_dir="$PWD"
cd "$(dirname "$0")/../tests/cdk-nag"

step_timeout="${DROPSYNC_NPM_TIMEOUT:-300}"

fail() {
  echo "cdk-nag: $*" >&2
  exit 3
}

command -v npm >/dev/null || fail "npm (Node.js 20+) is needed for the cdk-nag check"

# npm ci writes node_modules/.package-lock.json; when it has every package the lockfile names, the install is current.
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

if ! installed; then
  echo "==> installing cdk-nag (npm ci from tests/cdk-nag/package-lock.json)" >&2
  ok=0
  for attempt in 1 2; do
    if timeout --kill-after=10 "$step_timeout" npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >&2; then
      ok=1
      break
    fi
    echo "cdk-nag: npm ci failed or took over ${step_timeout}s (attempt $attempt of 2)" >&2
  done
  [ "$ok" = 1 ] || fail "could not install cdk-nag; check that the npm registry answers (npm ping) and run scripts/cdk-nag.sh again"
fi

if [ "$#" -gt 0 ]; then
  DROPSYNC_CALLER_DIR="$caller_dir" exec node nag.js "$@"
fi

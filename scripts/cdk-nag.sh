#!/usr/bin/env bash
# cdk-nag's AwsSolutions rules over DropSync's synthesized templates (tests/DropSync.Infra.Tests/CdkNagTests calls this).
# Installs tests/cdk-nag's pinned packages (cdk-nag 3.0.2, the aws-cdk-lib its peer dependency asks for, constructs;
# versions fixed by tests/cdk-nag/package-lock.json) with `npm ci`, once, never hanging; then, given templates, runs
# tests/cdk-nag/nag.js over them and passes on its JSON report and exit code.
#   scripts/cdk-nag.sh                      install only
#   scripts/cdk-nag.sh main=a.json replica=b.json
set -euo pipefail
caller_dir="$PWD"
scripts_dir="$(cd "$(dirname "$0")" && pwd)"
cd "$scripts_dir/../tests/cdk-nag"

"$scripts_dir/npm-ci.sh" . "cdk-nag" >&2 || exit 3  # 3: not installed (1 means findings)

if [ "$#" -gt 0 ]; then
  DROPSYNC_CALLER_DIR="$caller_dir" exec node nag.js "$@"
fi

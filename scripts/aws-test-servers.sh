#!/usr/bin/env bash
# Installs the AWS-compatible servers the AWS tests run against, into .tools/aws-servers (project-local, git-ignored),
# once, pinned, and never hanging:
#   - DynamoDB Local: only the tarball of the npm package that carries it (amplify-dynamodb-simulator, pinned by version
#     and integrity), of which only emulator/ is unpacked. Its dependencies (~340 packages, one of which once hung a
#     fresh machine for 30 minutes) are never installed: the jar needs none of them. DynamoDB Local's licence is AWS's
#     own, so it stays a test tool here and is never part of what DropSync ships.
#   - fauxqs (S3 + SQS): `npm ci` from tests/aws-servers/package-lock.json (79 packages, versions fixed by the lockfile).
# Every network step has a time limit and one retry; on failure it says what failed and exits non-zero.
# Idempotent: a second run only checks. Prints where they are, as lines the test fixtures also understand:
#   DROPSYNC_DYNAMODB_LOCAL_DIR=<folder with DynamoDBLocal.jar>
#   DROPSYNC_FAUXQS_BIN=<fauxqs entry script for node>
# Needs node/npm (20+) and, to run DynamoDB Local, Java 17+.
set -euo pipefail
cd "$(dirname "$0")/.."

simulator_version="2.9.30"
simulator_integrity="sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
step_timeout="${DROPSYNC_AWS_SERVERS_TIMEOUT:-180}"

prefix=".tools/aws-servers"
emulator_dir="$prefix/dynamodb-local-$simulator_version/emulator"
fauxqs_dir="$prefix/fauxqs"
fauxqs_pkg="$fauxqs_dir/node_modules/fauxqs/package.json"

fail() {
  echo "aws-test-servers: $*" >&2
  exit 1
}

# Runs a command with a time limit, once more if it fails (a registry hiccup), then gives up with a clear message.
with_retry() {
  local what="$1"
  shift
  for attempt in 1 2; do
    if timeout --kill-after=10 "$step_timeout" "$@"; then
      return 0
    fi
    echo "aws-test-servers: $what failed or took over ${step_timeout}s (attempt $attempt of 2)" >&2
  done
  fail "could not $what; check that the npm registry answers (npm ping) and run scripts/aws-test-servers.sh again"
}

command -v npm >/dev/null || fail "npm (Node.js 20+) is needed to install the AWS test servers"

if [ ! -f "$emulator_dir/DynamoDBLocal.jar" ]; then
  echo "==> fetching DynamoDB Local (amplify-dynamodb-simulator@$simulator_version, tarball only) into $prefix" >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  with_retry "download amplify-dynamodb-simulator@$simulator_version" \
    npm pack "amplify-dynamodb-simulator@$simulator_version" --pack-destination "$work" --silent --no-audit --no-fund >/dev/null
  tarball="$work/amplify-dynamodb-simulator-$simulator_version.tgz"
  [ -f "$tarball" ] || fail "npm pack did not produce $tarball"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  [ "$actual" = "$simulator_integrity" ] || fail "amplify-dynamodb-simulator@$simulator_version does not match its pinned integrity ($actual)"
  mkdir -p "$work/unpacked"
  tar -xzf "$tarball" -C "$work/unpacked" package/emulator
  rm -rf "$(dirname "$emulator_dir")"
  mkdir -p "$(dirname "$emulator_dir")"
  mv "$work/unpacked/package/emulator" "$emulator_dir"
fi
[ -f "$emulator_dir/DynamoDBLocal.jar" ] || fail "DynamoDBLocal.jar not found under $emulator_dir"

if [ ! -f "$fauxqs_pkg" ] || ! cmp -s tests/aws-servers/package-lock.json "$fauxqs_dir/package-lock.json"; then
  echo "==> installing fauxqs from tests/aws-servers/package-lock.json into $fauxqs_dir" >&2
  rm -rf "$fauxqs_dir"
  mkdir -p "$fauxqs_dir"
  cp tests/aws-servers/package.json tests/aws-servers/package-lock.json "$fauxqs_dir/"
  with_retry "install fauxqs (npm ci)" \
    npm ci --prefix "$fauxqs_dir" --no-audit --no-fund --loglevel=error --ignore-scripts >&2
fi
[ -f "$fauxqs_pkg" ] || fail "fauxqs not found under $fauxqs_dir"

fauxqs_bin=$(node -e '
  const path = require("path");
  const dir = path.dirname(process.argv[1]);
  const pkg = require(process.argv[1]);
  const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin && (pkg.bin.fauxqs || Object.values(pkg.bin)[0]));
  if (!bin) { process.exit(1); }
  console.log(path.resolve(dir, bin));
' "$(pwd)/$fauxqs_pkg") || fail "fauxqs's package.json names no command"

echo "DROPSYNC_DYNAMODB_LOCAL_DIR=$(cd "$emulator_dir" && pwd)"
echo "DROPSYNC_FAUXQS_BIN=$fauxqs_bin"

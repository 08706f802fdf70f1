#!/usr/bin/env bash
# Installs the AWS-compatible servers the AWS adapter tests run against, into .tools/aws-servers (project-local,
# git-ignored), once: DynamoDB Local (inside the npm package amplify-dynamodb-simulator) and fauxqs (S3 + SQS).
# Idempotent: a second run only checks. Prints where they are, as lines the test fixtures also understand:
#   DROPSYNC_DYNAMODB_LOCAL_DIR=<folder with DynamoDBLocal.jar>
#   DROPSYNC_FAUXQS_BIN=<fauxqs entry script for node>
# Needs node/npm (20+) and, to run DynamoDB Local, Java 17+.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=".tools/aws-servers"
simulator_version="${DROPSYNC_DYNAMODB_SIMULATOR_VERSION:-}"
fauxqs_version="${DROPSYNC_FAUXQS_VERSION:-}"

emulator_dir="$prefix/node_modules/amplify-dynamodb-simulator/emulator"
fauxqs_pkg="$prefix/node_modules/fauxqs/package.json"

if [ ! -f "$emulator_dir/DynamoDBLocal.jar" ] || [ ! -f "$fauxqs_pkg" ]; then
  mkdir -p "$prefix"
  echo "==> installing DynamoDB Local (amplify-dynamodb-simulator) and fauxqs into $prefix" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$prefix" \
    "amplify-dynamodb-simulator${simulator_version:+@$simulator_version}" "fauxqs${fauxqs_version:+@$fauxqs_version}" >&2
fi

if [ ! -f "$emulator_dir/DynamoDBLocal.jar" ]; then
  echo "aws-test-servers: DynamoDBLocal.jar not found under $emulator_dir" >&2
  exit 1
fi

fauxqs_bin=$(node -e '
  const path = require("path");
  const dir = path.dirname(process.argv[1]);
  const pkg = require(process.argv[1]);
  const bin = typeof pkg.bin === "string" ? pkg.bin : (pkg.bin && (pkg.bin.fauxqs || Object.values(pkg.bin)[0]));
  if (!bin) { process.exit(1); }
  console.log(path.resolve(dir, bin));
' "$(pwd)/$fauxqs_pkg")

echo "DROPSYNC_DYNAMODB_LOCAL_DIR=$(cd "$emulator_dir" && pwd)"
echo "DROPSYNC_FAUXQS_BIN=$fauxqs_bin"

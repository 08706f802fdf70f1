#!/usr/bin/env bash
# Runs every DropSync test on this machine, installing what the tests need first.
# Usage: ./scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Api]
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "==> installing the browser for the web app's end-to-end tests"
./scripts/install-browser.sh
echo "==> installing the WebDAV clients for the WebDAV tests (litmus, rclone)"
./scripts/install-dav-clients.sh

echo "==> restoring and building"
dotnet build DropSync.sln -c Release --nologo -v quiet -clp:ErrorsOnly

./scripts/aws-test-servers.sh >/dev/null  # DynamoDB Local + fauxqs for tests/DropSync.Aws.Tests, into .tools/
./scripts/openapi-tools.sh >/dev/null  # redocly, openapi-typescript, tsc for the OpenAPI contract tests, into node_modules/
./scripts/cdk-nag.sh  # cdk-nag 3.0.2 for tests/DropSync.Infra.Tests/CdkNagTests, into tests/cdk-nag/node_modules/
echo "==> publishing the Lambda asset (the infra tests synthesise the CDK app with it)"
./scripts/publish-lambda.sh
if [ "$(uname -m)" != "aarch64" ]; then
  # The serverless harness (tests/DropSync.AwsHarness) runs the same publish built for this machine.
  echo "==> publishing the Lambda asset for $(uname -m) (the AWS harness tests run it)"
  ./scripts/publish-lambda.sh artifacts/lambda-x64 linux-x64
fi

echo "==> running tests"
log=$(mktemp)
status=0
dotnet test DropSync.sln -c Release --no-build --nologo -v quiet --logger "console;verbosity=minimal" "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole run, summed over the test projects' own summaries.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi

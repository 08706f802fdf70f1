#!/usr/bin/env bash
# Synthesises DropSync's CloudFormation templates into cdk.out with the project's pinned CDK CLI (package.json),
# installing it into ./node_modules first when needed. Needs no AWS credentials: without them the stacks are
# account-agnostic; the primary region is us-east-1 unless given.
# Usage: ./scripts/synth.sh [cdk synth arguments, e.g. -c stage=prod -c primaryRegion=eu-west-1 -c replicaRegion=eu-central-1]
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The CDK CLI and the jsii runtime warn on every run that Node 20 is past its end of life (2026-04-30). Node 20 is
# what this project's machines have and both still work on it; docs/deploy.md recommends Node 22 for deploying.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# Off EC2 the SDK's credential chain would otherwise probe the instance metadata endpoint and wait for it to time out.
export AWS_EC2_METADATA_DISABLED="${AWS_EC2_METADATA_DISABLED:-true}"

wanted=$(node -p 'require("./package-lock.json").packages["node_modules/aws-cdk"].version')
installed=$(node -p 'try { require("./node_modules/aws-cdk/package.json").version } catch { "" }')
if [ "$installed" != "$wanted" ]; then
  echo "==> installing the CDK CLI $wanted (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

if [ ! -x artifacts/lambda/bootstrap ]; then
  echo "==> publishing the Lambda asset" >&2
  ./scripts/publish-lambda.sh >&2
fi

rm -rf cdk.out
echo "==> cdk synth" >&2
npx --no-install cdk synth --no-notices --quiet "$@"
echo "templates: $(ls cdk.out/*.template.json | tr '\n' ' ')"

#!/usr/bin/env bash
# Installs the Node tools the OpenAPI contract tests run (package.json, versions fixed by package-lock.json) into
# ./node_modules with `npm ci` (scripts/npm-ci.sh: once, never hanging): @redocly/cli (lint), openapi-typescript
# (types from the document), openapi-fetch (the client those types drive) and typescript (tsc checks the typed usage).
# Prints the folder of the tools' binaries:
#   DROPSYNC_NODE_BIN=<repo>/node_modules/.bin
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/npm-ci.sh . "the OpenAPI tools" redocly openapi-typescript tsc
echo "DROPSYNC_NODE_BIN=$PWD/node_modules/.bin"

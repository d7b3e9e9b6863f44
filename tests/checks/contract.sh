#!/usr/bin/env bash
# Part of `make test`: live responses of the real binary match openapi.yaml
# (tests/contract/contract.mjs, with yaml and ajv from npm in the tools cache).
set -euo pipefail
cd "$(dirname "$0")/../.."
tools=${REPLGW_TOOLS:-$HOME/.cache/replgw-tools}
if [ ! -d "$tools/node_modules/ajv-formats" ] || [ ! -d "$tools/node_modules/yaml" ]; then
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" yaml@2.9.1 ajv@8.20.0 ajv-formats@3.0.1 >&2
fi
REPLGW_TOOLS_MODULES="$tools/node_modules" node tests/contract/contract.mjs "${REPLGW_BIN:-build/replgw}" openapi.yaml

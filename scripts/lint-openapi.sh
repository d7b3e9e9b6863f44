#!/usr/bin/env bash
# Lints openapi.yaml with Redocly CLI (recommended rules; errors fail, warnings are shown).
# Redocly comes from the npm registry into a cache folder on first use; no network, no pass.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.77.0
tools=${REPLGW_TOOLS:-$HOME/.cache/replgw-tools}
bin=$tools/node_modules/.bin/redocly
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "lint-openapi: node and npm are needed (Node.js 20.19 or later)" >&2
    exit 1
fi
if [ ! -x "$bin" ] || ! grep -q "\"version\": \"$version\"" "$tools/node_modules/@redocly/cli/package.json" 2>/dev/null; then
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" "@redocly/cli@$version" >&2
fi
# Redocly prints a banner about future Node.js versions; keep only the verdict lines.
if out=$("$bin" lint --format=stylish openapi.yaml 2>&1); then
    echo "lint-openapi: openapi.yaml is valid ($(printf '%s\n' "$out" | grep -cE '^ +[0-9]+:[0-9]+ +warning' || true) warnings)"
else
    printf '%s\n' "$out" | grep -vE '[║╔╚]' >&2
    echo "lint-openapi: openapi.yaml has lint errors" >&2
    exit 1
fi

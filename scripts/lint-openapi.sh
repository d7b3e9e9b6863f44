#!/usr/bin/env bash
# Lints openapi.yaml (or the file given) with Redocly CLI 1.x: its `recommended` rules, less the
# license-URL rule (the contract is proprietary and has no licence page). Errors fail, warnings
# are listed. Redocly comes from the npm registry into a cache folder on first use (REPLGW_TOOLS,
# default ~/.cache/replgw-tools). Without node, npm or the registry the lint fails: it never
# passes without having run. Ends with one verdict line.
# Usage: scripts/lint-openapi.sh [FILE]
set -euo pipefail
spec=${1:+$(realpath -- "$1")}
cd "$(dirname "$0")/.."

version=1.34.20
tools=${REPLGW_TOOLS:-$HOME/.cache/replgw-tools}
bin=$tools/node_modules/.bin/redocly
pkg=$tools/node_modules/@redocly/cli/package.json
spec=${spec:-openapi.yaml}

fail() {
    echo "lint-openapi: FAIL: $*" >&2
    exit 1
}

installed_version() {
    node -e 'try { console.log(require(process.argv[1]).version) } catch (e) {}' "$pkg" 2>/dev/null
}

command -v node >/dev/null && command -v npm >/dev/null ||
    fail "node and npm are needed (Node.js 18.17 or later) to run @redocly/cli $version"
[ -f "$spec" ] || fail "$spec not found"

if [ ! -x "$bin" ] || [ "$(installed_version)" != "$version" ]; then
    echo "lint-openapi: installing @redocly/cli@$version into $tools" >&2
    mkdir -p "$tools"
    npm install --no-audit --no-fund --loglevel=error --prefix "$tools" "@redocly/cli@$version" >&2 ||
        fail "could not install @redocly/cli@$version from the npm registry (offline?)"
    [ -x "$bin" ] && [ "$(installed_version)" = "$version" ] ||
        fail "npm finished but @redocly/cli $version is not in $tools"
fi

config=$(mktemp "${TMPDIR:-/tmp}/replgw-redocly.XXXXXX.yaml")
trap 'rm -f "$config"' EXIT
cat >"$config" <<'EOF'
extends:
  - recommended
rules:
  info-license-url: off
EOF

# No telemetry and no update check: the lint talks to nothing but the files.
set +e
out=$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_COLOR=1 \
    "$bin" lint --format=stylish --config "$config" "$spec" 2>&1)
rc=$?
set -e

# stylish lines look like "  12:7   warning  rule-id  message".
errors=$(printf '%s\n' "$out" | grep -cE '^ +[0-9]+:[0-9]+ +error ' || true)
warnings=$(printf '%s\n' "$out" | grep -cE '^ +[0-9]+:[0-9]+ +warning ' || true)
printf '%s\n' "$out" | grep -E '^ +[0-9]+:[0-9]+ +(error|warning) ' >&2 || true

if [ "$rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
    # Whatever Redocly said, when it is not a list of problems (a crash, a bad config).
    [ "$errors" -ne 0 ] || printf '%s\n' "$out" >&2
    fail "$spec: $errors errors, $warnings warnings (@redocly/cli $version, exit $rc)"
fi
# A run that printed no verdict of its own has not linted anything: do not pass it.
printf '%s\n' "$out" | grep -q 'Your API description is valid' ||
    fail "@redocly/cli $version gave no verdict: $out"
echo "lint-openapi: OK: $spec: 0 errors, $warnings warnings (@redocly/cli $version)"

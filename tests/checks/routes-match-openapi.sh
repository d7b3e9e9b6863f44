#!/usr/bin/env bash
# Part of `make test`: the route table (server/srv_route.c) and openapi.yaml name the same
# operations, so the contract cannot drift from what the server serves.
set -euo pipefail
cd "$(dirname "$0")/../.."
table=$(sed -n 's/^ *{"\([A-Z]*\)", "\([^"]*\)".*/\1 \2/p' server/srv_route.c | sort)
spec=$(awk '
    /^paths:/ { in_paths = 1; next }
    /^[a-z]/ { in_paths = 0 }
    in_paths && /^  \/[^ ]*:$/ { path = $1; sub(/:$/, "", path); next }
    in_paths && /^    (get|post|patch|put|delete):$/ { m = toupper($1); sub(/:$/, "", m); print m " " path }
' openapi.yaml | sort)
if [ "$table" != "$spec" ]; then
    echo "routes and openapi.yaml differ (< route table, > openapi.yaml):"
    diff <(echo "$table") <(echo "$spec") || true
    exit 1
fi
echo "routes-match-openapi: $(echo "$table" | wc -l) operations agree"

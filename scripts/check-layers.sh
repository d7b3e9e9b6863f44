#!/usr/bin/env bash
# Enforces the one direction of dependence: server -> api -> cim -> db, util a leaf.
# Fails when a module includes a layer above it or a library that is not its business.
set -u
cd "$(dirname "$0")/.."
fail=0
check() { # folder, forbidden include pattern, reason
    local hits
    hits=$(grep -nE "^#include [<\"]($2)" "$1"/*.[ch] 2>/dev/null)
    if [ -n "$hits" ]; then
        echo "layer violation in $1/ ($3):"; echo "$hits"; fail=1
    fi
}
check util 'db/|cim/|api/|server/|sqlite3\.h|jansson\.h|microhttpd\.h' "util is a leaf"
check db   'cim/|api/|server/|jansson\.h|microhttpd\.h' "db knows only SQLite"
check cim  'api/|server/|jansson\.h|microhttpd\.h|sqlite3\.h' "cim knows neither JSON, HTTP nor SQLite"
check api  'server/|microhttpd\.h|sqlite3\.h' "api knows neither MHD nor SQLite"
[ $fail -eq 0 ] && echo "layers: ok"
exit $fail

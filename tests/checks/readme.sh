#!/usr/bin/env bash
# Part of `make test`: the README's curl walk-through, replayed in order against the real binary
# on a fresh database, answers exactly what the README shows (tests/readme/replay.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
bin=${REPLGW_BIN:-build/replgw}
"$bin" --port 0 --db "$dir/replgw.db" --system-name tgt01 --access-log=false \
    > "$dir/out" 2> "$dir/err" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
port=
for _ in $(seq 100); do
    port=$(grep -oE '[0-9]+$' "$dir/out" | head -n1 || true)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "readme: the server did not start" >&2; cat "$dir/err" >&2; exit 1; }
python3 tests/readme/replay.py README.md "$port"

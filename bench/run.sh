#!/usr/bin/env bash
# make bench: the real replgw on 127.0.0.1 under wrk, against baselines measured in the same run
# (a minimal libmicrohttpd server, the create transaction in a C loop with the same durability,
# and a naive server committing each create alone under a mutex). Prints one table; figures are
# ratios so they hold on a noisy machine.
# BENCH_SECONDS sets each wrk run's length (default 5); BENCH_ROUNDS how many create runs alternate
# with the naive server's (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
OUT=$B/bench
DUR=${BENCH_SECONDS:-5}
mkdir -p "$OUT"
sh scripts/apt-install.sh wrk
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L bench/baseline_http.c -o "$OUT/baseline_http" \
    $(pkg-config --cflags --libs libmicrohttpd)
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L bench/baseline_storage.c -o "$OUT/baseline_storage" \
    $(pkg-config --cflags --libs sqlite3)
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L bench/baseline_naive.c -o "$OUT/baseline_naive" \
    $(pkg-config --cflags --libs libmicrohttpd jansson sqlite3) -pthread

pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -f "$OUT"/naive.db*
}
trap cleanup EXIT

# Starts a server command writing "... PORT" on its first output line; sets PORT and PID.
start() {
    local log=$OUT/server.out
    : > "$log"
    "$@" > "$log" 2> "$OUT/server.err" &
    PID=$!
    pids+=("$PID")
    for _ in $(seq 100); do
        PORT=$(grep -oE '[0-9]+$' "$log" | head -n1 || true)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    echo "bench: server did not start" >&2
    exit 1
}

# Converts wrk's "68.00us" / "1.20ms" / "1.01s" to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n;
                           else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# wrk against URL with SCRIPT (or "") and CONNS connections: prints "rps p50 p99".
measure() {
    local url=$1 script=$2 conns=$3
    wrk -t2 -c"$conns" -d"${DUR}s" --latency ${script:+-s "$script"} "$url" > "$OUT/wrk.txt" 2>&1
    local rps p50 p99
    rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$OUT/wrk.txt")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$OUT/wrk.txt")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$OUT/wrk.txt")")
    if grep -q 'Non-2xx' "$OUT/wrk.txt"; then
        echo "bench: non-2xx answers in $url ($script):" >&2; grep 'Non-2xx' "$OUT/wrk.txt" >&2
    fi
    echo "$rps $p50 $p99"
}

rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

echo "bench: baselines"
rm -f "$OUT/storage.db"*
read -r _ storage_single < <("$OUT/baseline_storage" "$OUT/storage.db" 3 | grep single)
read -r _ storage_batch < <("$OUT/baseline_storage" "$OUT/storage2.db" 3 | grep batch16)
rm -f "$OUT"/storage*.db* "$OUT"/naive.db*
start "$OUT/baseline_http"
http=http://127.0.0.1:$PORT
start "$OUT/baseline_naive" "$OUT/naive.db"
naive=http://127.0.0.1:$PORT

echo "bench: replgw"
rm -f "$OUT/bench.db"*
start "$B/replgw" --port 0 --db "$OUT/bench.db" --access-log=false --multiple-membership \
    --max-connections-per-ip 0 --system-name bench
base=http://127.0.0.1:$PORT
for i in $(seq 8); do
    curl -s -o /dev/null -X POST "$base/logical-elements" -H 'Content-Type: application/json' \
        -d "{\"DeviceID\":\"vol$i\"}"
done
for _ in $(seq 200); do
    curl -s -o /dev/null -X POST "$base/replication-groups" -H 'Content-Type: application/json' \
        -d '{"Members":["/logical-elements/1","/logical-elements/2","/logical-elements/3","/logical-elements/4","/logical-elements/5","/logical-elements/6","/logical-elements/7","/logical-elements/8"]}'
done
reuse=$(curl -sv "$base/livez" "$base/livez" 2>&1 | grep -ciE 're-?using existing connection' || true)
closes=$(curl -sv "$base/replication-groups/1" 2>&1 | grep -ci '^< connection: close' || true)

printf '\n%-22s %5s %9s %9s %9s %7s %8s %10s %9s %s\n' workload conns 'req/s' 'p50 ms' 'p99 ms' \
    p99/p50 'RSS MiB' ceiling fraction 'ceiling p99/p50'
# The last column is the HTTP ceiling's own p99/p50 in the same run: wrk shares the two cores,
# so even the minimal server has a tail, and a workload's p99/p50 is best read beside it.
row() { # name conns rps p50 p99 ceiling [ceiling_p50 ceiling_p99]
    awk -v n="$1" -v c="$2" -v r="$3" -v a="$4" -v b="$5" -v m="$(rss_mib "$PID")" -v k="$6" \
        -v ka="${7:-0}" -v kb="${8:-0}" \
        'BEGIN { printf "%-22s %5d %9d %9.3f %9.3f %7.1f %8s %10d %8.1f%% %s\n",
                 n, c, r, a, b, (a > 0 ? b / a : 0), m, k, (k > 0 ? 100 * r / k : 0),
                 (ka > 0 ? sprintf("%15.1f", kb / ka) : sprintf("%15s", "-")) }'
}
# Each workload runs right after the baseline it is compared with (the HTTP ceiling before each
# read workload, the naive server before and after creates), all servers up at once, so a ratio
# compares runs seconds apart on a machine whose speed drifts over minutes.
read_row() { # name script conns
    local ceiling c50 c99 rps p50 p99
    read -r ceiling c50 c99 < <(measure "$http/" "" "$3")
    http_ceiling[$3]="${http_ceiling[$3]:+${http_ceiling[$3]}/}$ceiling"
    read -r rps p50 p99 < <(measure "$base" "$2" "$3")
    row "$1" "$3" "$rps" "$p50" "$p99" "$ceiling" "$c50" "$c99"
}
# Creates alternate with the naive server, BENCH_ROUNDS times (default 2): naive, replgw, naive,
# replgw, naive. Each round's ratio is replgw against the mean of the naive runs just before and
# just after it, which brackets the drift; the table shows each round.
ROUNDS=${BENCH_ROUNDS:-2}
declare -A ratios naive http_ceiling
for c in 16 64; do
    read_row "GET group (8 members)" bench/get.lua "$c"
    read_row "list page of 100" bench/list.lua "$c"
    read_row "90% read / 10% create" bench/mix.lua "$c"
    read -r before _ _ < <(measure "$naive" bench/create.lua "$c")
    naive[$c]=$before
    for _ in $(seq "$ROUNDS"); do
        read -r rps p50 p99 < <(measure "$base" bench/create.lua "$c")
        row "create (8 members)" "$c" "$rps" "$p50" "$p99" "$storage_batch"
        read -r after _ _ < <(measure "$naive" bench/create.lua "$c")
        naive[$c]="${naive[$c]}/$after"
        ratios[$c]="${ratios[$c]:+${ratios[$c]} }$(awk -v r="$rps" -v a="$before" -v b="$after" \
            'BEGIN { printf "%.1fx", (a + b > 0 ? 2 * r / (a + b) : 0) }')"
        before=$after
    done
done
printf '\nceilings: HTTP %s req/s at 16 connections, %s at 64\n' \
    "${http_ceiling[16]}" "${http_ceiling[64]}"
printf '(measured before each read workload, in table order);\n'
printf 'storage %s creates/s one per transaction, %s with 16 per transaction (the group-commit\n' \
    "$storage_single" "$storage_batch"
printf 'ceiling; create fractions above are against it).\n'
printf 'naive server (each create committed alone under a mutex): %s creates/s at 16\n' \
    "${naive[16]}"
printf 'connections, %s at 64 (in turn with the create rows above). replgw creates, each round\n' \
    "${naive[64]}"
printf 'against the naive runs just before and after it: %s at 16 connections, %s at 64\n' \
    "${ratios[16]}" "${ratios[64]}"
printf '(target 4x).\n'
printf 'keep-alive: %s reused connection(s), %s Connection: close.\n' \
    "$reuse" "$closes"

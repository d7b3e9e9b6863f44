#!/usr/bin/env bash
# make bench-scale: the real replgw on 127.0.0.1 on an empty store (8 elements, 200 groups) and
# on a store of SCALE_GROUPS (default 1,000,000) groups of 8 members made by bench/gen_groups.c,
# with the same flags as bench/run.sh. Measures create latency (create.lua, 16 connections),
# the time to fetch a list page of 100 at the first, a middle and the last position, the first
# page of lists filtered by Persistent and by name prefix, and GET of one group (one connection
# each, so the latency is the server's time, not a queue), and prints one table with the ratio
# of the two stores against the 2x target of issue 6.
#
# BENCH_SECONDS: length of each create run (default 5); SCALE_READ_SECONDS: of each read run
# (default 3); SCALE_GROUPS: groups in the large store (default 1000000). The generated store is
# kept in $BUILD/bench/scale-N.db and reused while it holds exactly N groups; each run works on
# a copy, since the create run adds groups.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
OUT=$B/bench
DUR=${BENCH_SECONDS:-5}
READ_DUR=${SCALE_READ_SECONDS:-3}
N=${SCALE_GROUPS:-1000000}
GEN_TIMEOUT=${SCALE_GEN_TIMEOUT:-1800}
M=8
SEED=200
BODY='{"Members":["/logical-elements/1","/logical-elements/2","/logical-elements/3","/logical-elements/4","/logical-elements/5","/logical-elements/6","/logical-elements/7","/logical-elements/8"],"ReplicationSettingData":{"ElementName":"bench"}}'
mkdir -p "$OUT"
sh scripts/apt-install.sh wrk
cc -O2 -std=c11 -Wall -Wextra -Werror -D_POSIX_C_SOURCE=200809L -I. bench/gen_groups.c \
    "$B"/db/*.o "$B"/util/*.o "$B"/cim/cim_path.o -o "$OUT/gen_groups" \
    $(pkg-config --libs sqlite3) -lpthread

PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null || true; }
trap cleanup EXIT

# Starts the real server on database $1 (bench/run.sh's flags, then any further arguments);
# sets PORT, PID and base.
start() {
    local log=$OUT/scale-server.out db=$1
    shift
    : > "$log"
    "$B/replgw" --port 0 --db "$db" --access-log=false --multiple-membership \
        --max-connections-per-ip 0 --system-name bench "$@" > "$log" 2> "$OUT/scale-server.err" &
    PID=$!
    for _ in $(seq 200); do
        PORT=$(grep -oE '[0-9]+$' "$log" | head -n1 || true)
        if [ -n "$PORT" ]; then base=http://127.0.0.1:$PORT; return 0; fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "scale: server did not start on $db:" >&2
    cat "$OUT/scale-server.err" >&2
    exit 1
}

# SIGTERM, then waits (at most 30 s) for the server to close its database.
stop() {
    kill "$PID"
    for _ in $(seq 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PID" 2>/dev/null; then echo "scale: server did not stop" >&2; exit 1; fi
    wait "$PID" 2>/dev/null || true
    PID=
}

post() { # path body
    curl -s --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$base$1" \
        -H 'Content-Type: application/json' -d "$2"
}

# The 8 elements and $1 groups, through the API.
seed() {
    local code
    for i in $(seq $M); do
        code=$(post /logical-elements "{\"DeviceID\":\"vol$i\"}")
        [ "$code" = 201 ] || { echo "scale: POST /logical-elements: $code" >&2; exit 1; }
    done
    for _ in $(seq "$1"); do
        code=$(post /replication-groups "$BODY")
        [ "$code" = 201 ] || { echo "scale: POST /replication-groups: $code" >&2; exit 1; }
    done
}

# Converts wrk's "68.00us" / "1.20ms" / "1.01s" to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n;
                           else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# wrk on PATH with SCRIPT (or ""), CONNS connections for SECONDS: prints "rps p50 p99".
measure() {
    local path=$1 script=$2 conns=$3 secs=$4 threads=2
    [ "$conns" -lt 2 ] && threads=1
    timeout $((secs + 30)) wrk -t$threads -c"$conns" -d"${secs}s" --timeout 10s --latency \
        ${script:+-s "$script"} "$base$path" > "$OUT/scale-wrk.txt" 2>&1
    if grep -qE 'Non-2xx|Socket errors' "$OUT/scale-wrk.txt"; then
        echo "scale: errors in $path ($script):" >&2
        grep -E 'Non-2xx|Socket errors' "$OUT/scale-wrk.txt" >&2
        exit 1
    fi
    echo "$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$OUT/scale-wrk.txt")" \
        "$(to_ms "$(awk '$1 == "50%" {print $2}' "$OUT/scale-wrk.txt")")" \
        "$(to_ms "$(awk '$1 == "99%" {print $2}' "$OUT/scale-wrk.txt")")"
}

# List pages of 100 at the first, a middle and the last position of groups 1..$1, each on one
# connection; appends "list_<pos><suffix>_p50|p99|rps value" lines to file $2.
measure_lists() {
    local g=$1 f=$2 suffix=$3 path m rps p50 p99
    for pos in first middle last; do
        case $pos in
        first) path="/replication-groups?limit=100" ;;
        middle) path="/replication-groups?limit=100&cursor=$((g / 2 - 50))" ;;
        last) path="/replication-groups?limit=100&cursor=$((g - 100))" ;;
        esac
        curl -s --max-time 30 -o /dev/null "$base$path" # warm the page cache
        m=$(measure "$path" "" 1 "$READ_DUR")
        read -r rps p50 p99 <<< "$m"
        echo "list_${pos}${suffix}_p50 $p50" >> "$f"
        echo "list_${pos}${suffix}_p99 $p99" >> "$f"
        echo "list_${pos}${suffix}_rps $rps" >> "$f"
    done
}

# First pages of filtered lists; appends "filter_<name>_p50|p99 value" lines to file $1. Every
# group of either store is persistent and named RG-<id>: Persistent=true matches them all,
# Persistent=false none, the prefix RG-100 a few (1 of 200, 1,111 of 1,000,000) and RG- all.
measure_filters() {
    local f=$1 name query m rps p50 p99
    while read -r name query; do
        curl -s --max-time 30 -o /dev/null "$base/replication-groups?limit=100&$query"
        m=$(measure "/replication-groups?limit=100&$query" "" 1 "$READ_DUR")
        read -r rps p50 p99 <<< "$m"
        echo "filter_${name}_p50 $p50" >> "$f"
        echo "filter_${name}_p99 $p99" >> "$f"
    done <<'EOF'
persistent Persistent=true
temporary Persistent=false
prefix_few ElementNamePrefix=RG-100
prefix_all ElementNamePrefix=RG-
EOF
}

# Measures the running server holding groups 1..$1; appends "metric value" lines to file $2.
# Reads first (the store as described), then creates.
run_workloads() {
    local g=$1 f=$2 path m rps p50 p99
    : > "$f"
    measure_lists "$g" "$f" ""
    measure_filters "$f"
    path="/replication-groups/$((g / 2))"
    curl -s --max-time 10 -o /dev/null "$base$path"
    m=$(measure "$path" "" 1 "$READ_DUR")
    read -r rps p50 p99 <<< "$m"
    echo "get_p50 $p50" >> "$f"
    echo "get_p99 $p99" >> "$f"
    m=$(measure "" bench/create.lua 16 "$DUR")
    read -r rps p50 p99 <<< "$m"
    echo "create_rps $rps" >> "$f"
    echo "create_p50 $p50" >> "$f"
    echo "create_p99 $p99" >> "$f"
}

# A read-write connection, which checkpoints and removes the WAL when it closes (a read-only
# one leaves an empty -wal and -shm behind).
groups_in() { sqlite3 "$1" 'SELECT count(*) FROM rgroup' 2>/dev/null || echo 0; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f", b / 1048576 }'; }

# 1. The generator writes what the server writes: the same 3 groups made both ways, compared
#    row by row (sqlite3 .dump of every table).
echo "scale: checking the generator against the server"
rm -f "$OUT"/scale-check-*.db*
start "$OUT/scale-check-api.db"
seed 3
stop
start "$OUT/scale-check-gen.db"
stop
"$OUT/gen_groups" -n 3 -m $M "$OUT/scale-check-gen.db" > /dev/null
if ! diff <(sqlite3 "$OUT/scale-check-api.db" .dump) <(sqlite3 "$OUT/scale-check-gen.db" .dump) \
    > "$OUT/scale-check.diff"; then
    echo "scale: gen_groups no longer writes what the server writes:" >&2
    cat "$OUT/scale-check.diff" >&2
    exit 1
fi
rm -f "$OUT"/scale-check-*.db*

# 2. The empty store: 8 elements and 200 groups through the API.
echo "scale: empty store ($SEED groups)"
rm -f "$OUT/scale-empty.db"*
start "$OUT/scale-empty.db"
seed $SEED
run_workloads $SEED "$OUT/scale-empty.txt"
stop
# The same pages with no cache of serialized groups: every item read and rendered, the cost of
# a page nobody has fetched before.
start "$OUT/scale-empty.db" --group-cache 0
measure_lists $SEED "$OUT/scale-empty.txt" _uncached
stop

# 3. The large store, generated once (the real server initialises the file first, so the
#    system row is its own) and reused while it holds exactly N groups in the schema version
#    this server writes (an older store would be migrated at start, not measured), made by
#    this gen_groups.c (a changed generator writes something else).
STORE=$OUT/scale-$N.db
schema=$(sqlite3 "$OUT/scale-empty.db" 'PRAGMA user_version')
gen_src=$(cksum < bench/gen_groups.c)
if [ -f "$STORE" ] && [ -f "$STORE.gen.txt" ] && [ "$(groups_in "$STORE")" = "$N" ] &&
    [ "$(sqlite3 "$STORE" 'PRAGMA user_version')" = "$schema" ] &&
    [ "$(cat "$STORE.gen.src" 2>/dev/null)" = "$gen_src" ]; then
    echo "scale: reusing $STORE ($N groups)"
else
    echo "scale: generating $N groups of $M members into $STORE"
    rm -f "$STORE"* "$OUT/scale-gen.db"*
    start "$OUT/scale-gen.db"
    stop
    timeout "$GEN_TIMEOUT" "$OUT/gen_groups" -n "$N" -m $M "$OUT/scale-gen.db" |
        tee "$OUT/scale-gen.log"
    [ ! -e "$OUT/scale-gen.db-wal" ] || { echo "scale: the generator left a WAL" >&2; exit 1; }
    mv "$OUT/scale-gen.db" "$STORE"
    tail -n1 "$OUT/scale-gen.log" > "$STORE.gen.txt"
    echo "$gen_src" > "$STORE.gen.src"
fi
GEN_LINE=$(cat "$STORE.gen.txt")
STORE_MIB=$(mib "$STORE")
echo "scale: $N-group store ($STORE_MIB MiB), on a copy"
cp "$STORE" "$OUT/scale-run.db"
# Written back before the server starts: otherwise the first WAL checkpoint's fsync of the
# database file flushes the whole fresh copy and stalls the writer (a p99 of 200 ms on creates
# that is the copy's, not the store's).
sync "$OUT/scale-run.db"
rm -f "$OUT/scale-run.db-wal" "$OUT/scale-run.db-shm"
start "$OUT/scale-run.db"
run_workloads "$N" "$OUT/scale-large.txt"
stop
start "$OUT/scale-run.db" --group-cache 0
measure_lists "$N" "$OUT/scale-large.txt" _uncached
stop
rm -f "$OUT/scale-run.db"*

# 4. One table. Ratio = large / empty for times, empty / large for req/s: above 2 misses.
{
    printf '\n%-34s %12s %12s %7s %s\n' metric "empty ($SEED)" "$N" ratio 'within 2x'
    while IFS='|' read -r key label kind; do
        e=$(awk -v k="$key" '$1 == k {print $2}' "$OUT/scale-empty.txt")
        l=$(awk -v k="$key" '$1 == k {print $2}' "$OUT/scale-large.txt")
        awk -v n="$label" -v e="$e" -v l="$l" -v kind="$kind" 'BEGIN {
            r = kind == "rps" ? (l > 0 ? e / l : 0) : (e > 0 ? l / e : 0);
            printf "%-34s %12s %12s %7.2f %s\n", n, e, l, r, (r <= 2 ? "yes" : "NO") }'
    done <<'EOF'
create_rps|create req/s (16 conns)|rps
create_p50|create p50 ms (16 conns)|ms
create_p99|create p99 ms (16 conns)|ms
list_first_p50|list first page p50 ms|ms
list_first_p99|list first page p99 ms|ms
list_middle_p50|list middle page p50 ms|ms
list_middle_p99|list middle page p99 ms|ms
list_last_p50|list last page p50 ms|ms
list_last_p99|list last page p99 ms|ms
list_first_uncached_p50|list first page, no cache, p50 ms|ms
list_middle_uncached_p50|list middle page, no cache, p50 ms|ms
list_last_uncached_p50|list last page, no cache, p50 ms|ms
list_last_uncached_p99|list last page, no cache, p99 ms|ms
filter_persistent_p50|Persistent=true page p50 ms|ms
filter_temporary_p50|Persistent=false page p50 ms|ms
filter_prefix_few_p50|ElementNamePrefix=RG-100 page p50 ms|ms
filter_prefix_all_p50|ElementNamePrefix=RG- page p50 ms|ms
get_p50|GET group p50 ms|ms
get_p99|GET group p99 ms|ms
EOF
    printf '\n%s-group store: %s MiB; generator: %s\n' "$N" "$STORE_MIB" "$GEN_LINE"
    printf 'list pages of 100 and GET on one connection for %ss; creates with bench/create.lua,\n' \
        "$READ_DUR"
    printf '16 connections for %ss. Ratio: large/empty for times, empty/large for req/s.\n' "$DUR"
} | tee "$OUT/scale.txt"

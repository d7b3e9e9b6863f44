#!/usr/bin/env bash
# Runs every test binary (unit, then integration) plus the repository checks, adds up the
# cmocka counts and ends with "N passed, N failed". Exits non-zero on any failure; a binary
# that crashes or exits non-zero without a cmocka summary counts as one failure.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export REPLGW_BIN="$PWD/$BUILD/replgw"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
passed=0
failed=0

run_one() {
    local name=$1; shift
    local out rc p f
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
    if [ -z "$p" ] && [ -z "$f" ]; then
        # Not a cmocka binary (a script check): its exit code is its verdict.
        if [ $rc -eq 0 ]; then p=1; f=0; else p=0; f=1; fi
    fi
    p=${p:-0}; f=${f:-0}
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" -eq 0 ] || echo "FAILED: $name" >&2
}

for t in $(find "$BUILD/tests/unit" -type f -perm -u+x 2>/dev/null | sort); do
    run_one "$t" "$t"
done
for t in $(find "$BUILD/tests/integration" -type f -name 'test_*' -perm -u+x 2>/dev/null | sort); do
    run_one "$t" "$t"
done
# The change and race tests again with a pool of request threads, each with its own reader.
for t in lifecycle reliability; do
    run_one "test_${t}_http --threads 4" env REPLGW_THREADS=4 "$BUILD/tests/integration/test_${t}_http"
done
# Reads and lists with no cache of serialized groups: every answer built from the database.
run_one "test_resources_http --group-cache 0" env REPLGW_GROUP_CACHE=0 \
    "$BUILD/tests/integration/test_resources_http"
for s in tests/checks/*.sh; do
    [ -e "$s" ] || continue
    run_one "$s" bash "$s"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

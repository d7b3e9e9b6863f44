#!/usr/bin/env bash
# Part of `make test`: every saved fuzz input (seeds and past findings) runs without a crash.
set -euo pipefail
cd "$(dirname "$0")/../.."
for t in path mof xml body; do
    "${BUILD:-build}/fuzz/replay_$t" "fuzz/corpus/$t"
done

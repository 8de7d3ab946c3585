#!/bin/sh
# Builds the libFuzzer targets (clang, ASan + UBSan) into build-fuzz/ and runs
# each for SECONDS (default 60), seeded from format/vectors/*.adbk,
# tests/fixtures/hostile/*.adbk and tests/fuzz/seeds/*.adbk (encrypted and
# signed archives, made with the test keys of fuzz_common.h). Prints the
# executions of each target and exits 1 when any target found something (its
# crash-* or leak-* file is named, in build-fuzz/fuzz-findings/TARGET/).
#
# Usage: tests/fuzz/run.sh [SECONDS] [TARGET...]
# Environment: ADBK_FUZZ_BUILD (build folder, default TOP/build-fuzz),
#              ADBK_FUZZ_JOBS (targets run at once, default 1).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
build=${ADBK_FUZZ_BUILD:-$top/build-fuzz}

cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DADBK_FUZZ=ON >/dev/null
# Every target this configuration has (fuzz_salvage only once the library
# builds salvage.c), unless some are named.
targets=${*:-$(tr ';' ' ' <"$build/tests/fuzz/targets.txt")}
# shellcheck disable=SC2086
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target $targets >/dev/null

status=0
for t in $targets; do
    corpus=$build/fuzz-corpus/$t
    findings=$build/fuzz-findings/$t
    mkdir -p "$corpus" "$findings"
    # Seeds are copied in every time; libFuzzer keeps what it learned beside them.
    for seed in "$top"/format/vectors/*.adbk "$top"/tests/fixtures/hostile/*.adbk \
                "$top"/tests/fuzz/seeds/*.adbk; do
        [ -f "$seed" ] && cp "$seed" "$corpus/"
    done
    log=$build/fuzz-findings/$t.log
    # -rss_limit_mb and -malloc_limit_mb make over-allocation a finding; every
    # input gets 10 s. Sanitizers stop at the first report.
    rc=0
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=512 \
        -malloc_limit_mb=256 -max_len=65536 -dict="$top/tests/fuzz/adbk.dict" \
        -artifact_prefix="$findings/" -print_final_stats=1 "$corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
    if [ "$rc" -eq 0 ]; then
        echo "fuzz: $t: ${execs:-?} executions in ${secs} s, $cov, no findings"
    else
        status=1
        echo "fuzz: $t: FINDING after ${execs:-?} executions (exit $rc); log $log" >&2
        ls "$findings" >&2
        grep -m 5 -E 'ERROR|SUMMARY|invariant failed|runtime error' "$log" >&2 || true
    fi
done
exit $status

#!/usr/bin/env bash
# The whole suite, as `make test` runs it:
#   1. the release build's ctest suite (unit, pcap, oracle, cli, robustness, fuzz-regress)
#   2. the same suite built with ASan+UBSan
#   3. each libFuzzer target for FUZZ_SECONDS (two at a time), seeded from its corpus;
#      a crash fails the run and the crasher is saved under tests/fuzz-regress/<target>/
# Tests that need ../shared/data skip themselves, with a line saying so, when it is absent.
set -uo pipefail
BUILD=$1 ASAN_BUILD=$2 FUZZ_BUILD=$3 FUZZ_SECONDS=$4 WERROR=$5
JOBS=$(nproc 2>/dev/null || echo 2)
fail=0

echo "== [1/3] release build: ctest =="
(cd "$BUILD" && ctest --output-on-failure -j"$JOBS") || fail=1

echo "== [2/3] ASan+UBSan build: ctest =="
cmake -S . -B "$ASAN_BUILD" -DCMAKE_BUILD_TYPE=Debug -DMM_SANITIZE=address,undefined \
    -DMM_WERROR="$WERROR" -DMM_BENCH=OFF >/dev/null &&
    cmake --build "$ASAN_BUILD" -j"$JOBS" >/dev/null &&
    (cd "$ASAN_BUILD" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure -j"$JOBS" -LE 'oracle|slow') || fail=1

echo "== [3/3] libFuzzer: ${FUZZ_SECONDS}s per target =="
bash scripts/run-fuzz.sh "$FUZZ_BUILD" "$FUZZ_SECONDS" || fail=1

if [ $fail -ne 0 ]; then
    echo "make test: FAILED (see above)"
    exit 1
fi
echo "make test: all stages passed"

#!/usr/bin/env bash
# Build the libFuzzer targets (clang) and run each for SECONDS, two at a time, starting
# from fuzz/corpus/<target>/ plus the saved crashers in tests/fuzz-regress/<target>/.
# New crashers are copied to tests/fuzz-regress/<target>/ (commit them: the unit suite
# replays that folder) and fail the run. fuzz/<target>.flags, when present, adds libFuzzer
# options for that target (lines starting with # are comments).
set -uo pipefail
FUZZ_BUILD=$1 SECONDS_PER_TARGET=$2
cmake -S . -B "$FUZZ_BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMM_FUZZ=ON -DMM_TESTS=OFF -DMM_BENCH=OFF >/dev/null || exit 1
cmake --build "$FUZZ_BUILD" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null || exit 1
targets=$(cd "$FUZZ_BUILD/fuzz" && ls fuzz_* 2>/dev/null | grep -v '\.' )
[ -n "$targets" ] || { echo "run-fuzz: no fuzz targets built"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run_one() {
    local t=$1 name=${1#fuzz_}
    local corpus=$work/$name
    mkdir -p "$corpus" "tests/fuzz-regress/$name"
    cp -r fuzz/corpus/"$name"/. "$corpus"/ 2>/dev/null || true
    cp -r tests/fuzz-regress/"$name"/. "$corpus"/ 2>/dev/null || true
    local -a extra=()
    [ -f "fuzz/$name.flags" ] && read -r -a extra < <(grep -v '^#' "fuzz/$name.flags" | tr '\n' ' ')
    if "$FUZZ_BUILD/fuzz/$t" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/crash-$name-" "${extra[@]}" \
        >"$work/$name.log" 2>&1; then
        echo "fuzz $name: ok ($(grep -E '^Done [0-9]+ runs' "$work/$name.log" | tail -1))"
    else
        echo "fuzz $name: FAILED"
        tail -40 "$work/$name.log"
        for c in "$work"/crash-"$name"-*; do
            [ -f "$c" ] && cp "$c" "tests/fuzz-regress/$name/" && echo "saved tests/fuzz-regress/$name/$(basename "$c")"
        done
        return 1
    fi
}
fail=0
pids=()
for t in $targets; do
    run_one "$t" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}" || fail=1
        pids=("${pids[@]:1}")
    fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail

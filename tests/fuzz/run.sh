#!/bin/sh
# Runs the libFuzzer harnesses.
#
#   tests/fuzz/run.sh [SECONDS] [NAME...]
#       A campaign: builds into build-fuzz/ (or $IGNIS_FUZZ_DIR), then fuzzes
#       each harness (default: all) for SECONDS (default 600), keeping the
#       corpus in build-fuzz/corpus/NAME between runs and findings in
#       build-fuzz/findings/.
#   tests/fuzz/run.sh --ci DIR SECONDS NAME [BUILDDIR]
#       What the meson suite "fuzz" runs: builds the harnesses into DIR if a
#       source changed since the last build (one test at a time: a lock),
#       then the harness replays every regression input and seed, and
#       fuzzes for SECONDS from a fresh copy of the seeds.
#
# Both print the executions and end non-zero on a finding; the input that
# found it is saved (its path is printed) and belongs, once fixed, in
# tests/fuzz/regressions/NAME/.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
ALL="config data-url json-index merge roundtrip net"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$HERE/known-findings.supp"

# run_one DIR NAME SECONDS CORPUS FINDINGS: prints one summary line.
run_one() {
        dir=$1 name=$2 secs=$3 corpus=$4 findings=$5
        bin="$dir/fuzz-$name"
        log="$findings/fuzz-$name.log"
        reg="$HERE/regressions/$name"
        mkdir -p "$corpus" "$findings"

        # Every input that ever found something, and every seed, once.
        if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
                if ! "$bin" -runs=0 "$reg" >"$log" 2>&1; then
                        tail -n 40 "$log"
                        echo "fuzz-$name: a regression input fails again (tests/fuzz/regressions/$name)"
                        return 1
                fi
        fi
        # A finding is not a reason to stop the other harnesses; its
        # status is.
        set +e
        "$bin" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
                -dict="$dir/ignis.dict" -artifact_prefix="$findings/$name-" -print_final_stats=1 \
                "$corpus" "$dir/seeds/$name" >"$log" 2>&1
        rc=$?
        set -e
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1)
        if [ "$rc" -ne 0 ]; then
                grep -E 'ERROR|runtime error|property failed|SUMMARY|Test unit written' "$log" | head -n 20
                echo "fuzz-$name: FINDING after ${execs:-?} executions (log: $log)"
                return 1
        fi
        echo "fuzz-$name: ${execs:-0} executions in ${secs} s, ${cov:-cov: ?}, corpus $(find "$corpus" -type f | wc -l), no finding"
}

# build_if_stale DIR BUILDDIR: the meson tests run in parallel; the first
# builds, the others wait and find the build current.
build_if_stale() {
        mkdir -p "$1"
        (
                flock 9
                stale=
                for h in "$HERE"/fuzz-*.c; do
                        [ -x "$1/$(basename "$h" .c)" ] || stale=1
                done
                if [ -n "$stale" ] || [ ! -e "$1/built" ] ||
                   [ -n "$(find "$SRC/src/config" "$SRC/src/util" "$SRC/src/fetch" "$SRC/src/providers" \
                        "$SRC/include" "$HERE" \
                        -newer "$1/built" -type f | head -n 1)" ]; then
                        "$HERE/build.sh" "$1" "$2" && touch "$1/built"
                fi
        ) 9>"$1/build.lock"
}

if [ "${1:-}" = "--ci" ]; then
        dir=$2 secs=$3 name=$4
        build_if_stale "$dir" "${5:-}"
        work="$dir/ci-$name"
        rm -rf "$work"
        run_one "$dir" "$name" "$secs" "$work/corpus" "$work"
        exit $?
fi

secs=${1:-600}
[ $# -gt 0 ] && shift
names=${*:-$ALL}
out=${IGNIS_FUZZ_DIR:-$SRC/build-fuzz}
"$HERE/build.sh" "$out" "$SRC/build"
status=0
for n in $names; do
        run_one "$out" "$n" "$secs" "$out/corpus/$n" "$out/findings" || status=1
done
exit $status

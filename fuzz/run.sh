#!/usr/bin/env bash
# Runs every fuzz target of fuzz/ for SECONDS each (default 20) and fails if any crashed.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Installs cargo-fuzz when it is missing. Works on the stable toolchain: cargo-fuzz needs
# nightly-only rustc flags (-Zsanitizer, sanitizer coverage), which RUSTC_BOOTSTRAP=1 unlocks.
# Environment:
#   FUZZ_SANITIZER  address (default) or none (4.8x the executions on xml_render alone; the code
#                   under test is safe Rust, so ASan mostly guards the libFuzzer glue and the C
#                   in the build; switching rebuilds everything)
#   FUZZ_ARGS       extra libFuzzer arguments, e.g. "-max_len=65536"
#   FUZZ_DEV=1      build without optimizations (cargo fuzz --dev): about half the build time
#                   and a fraction of the executions; what CI's short smoke run uses
#   CARGO_BUILD_JOBS is honoured by the build.
# Prints one line per target, e.g. `fuzz rpc_params: 1234567 executions, 0 crashes`.
# A crashing input lands in fuzz/artifacts/<target>/ (crash-*, timeout-*, oom-*); reproduce it
# with `RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz <target> fuzz/artifacts/<target>/<file>`.
# See docs/fuzzing.md.
set -uo pipefail

seconds=${1:-20}
shift || true
case $seconds in
'' | *[!0-9]*)
    echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
export RUSTC_BOOTSTRAP=1
sanitizer=${FUZZ_SANITIZER:-address}
profile=()
if [ "${FUZZ_DEV:-0}" = 1 ]; then
    profile=(--dev)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked || exit 2
fi

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

# One build for all targets (cargo fuzz run would otherwise rebuild-check per target).
if ! cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer" "${profile[@]}"; then
    echo "fuzz: build failed" >&2
    exit 2
fi

logs=$root/fuzz/target/run-logs
mkdir -p "$logs"
failed=0
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    log=$logs/$t.log
    # -timeout: an input that takes 10 s is a stall and fails the run like a crash.
    # shellcheck disable=SC2086
    cargo fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "${profile[@]}" "$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    if [ -z "$execs" ]; then
        # libFuzzer prints no final stats when it dies on a crash; take the last status line.
        execs=$(grep -oE '^#[0-9]+' "$log" | tail -n1 | tr -d '#')
    fi
    execs=${execs:-0}
    if [ $rc -eq 0 ]; then
        line="fuzz $t: $execs executions, 0 crashes (${rate:-?} exec/s, ${seconds}s)"
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
        kind=$(basename "${artifact:-crash}" | cut -d- -f1) # crash, timeout, oom or leak
        line="fuzz $t: $execs executions, 1 crash ($kind, exit $rc) -> ${artifact:-see $log}"
        # The panic message (or libFuzzer's error) and where the input went.
        echo "---- $t ($log):" >&2
        grep -E -A3 "panicked at|ERROR: libFuzzer|Test unit written" "$log" | head -n 30 >&2
    fi
    echo "$line"
    summary+=("$line")
done

echo
printf '%s\n' "${summary[@]}"
# The plain closing line CI readers know: targets that ran clean, targets that crashed.
crashed=$(printf '%s\n' "${summary[@]}" | grep -c ' crash (' || true)
echo "fuzz: $((${#summary[@]} - crashed)) passed, $crashed failed"
exit $failed

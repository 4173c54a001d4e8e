#!/usr/bin/env bash
# Load test over loopback: ccgate (release, SQLite, 10,000 numbers) serving signed 2020-07-01
# ListPhoneNumbers pages of 20, then the bare actix-web baseline (crates/gateway/examples/
# bare_actix.rs) with the same wrk settings; prints requests/s, p99 latency and peak RSS
# (VmHWM) of each server as a Markdown table, and the ratio ccgate / bare.
# See docs/benchmarks.md.
#
# Usage: bench/run.sh            (from anywhere; settings via environment)
#   THREADS=2 CONNECTIONS=32 DURATION=15   wrk -t/-c/-d (seconds)
#   RUNS=1                                 wrk runs per server (alternating ccgate, bare)
#   WORKERS=0                              HTTP workers of both servers (0 = one per core)
#   NUMBERS=10000                          numbers seeded (AddBulkPhoneNumbers, 100 per call)
#   MAX_RPS=80000                          signed requests generated per run = MAX_RPS*DURATION;
#                                          a run that exhausts them fails (raise MAX_RPS)
#   CCGATE_PORT=18080 BARE_PORT=18081      loopback ports
#   RESULTS=FILE                           also write the Markdown table to FILE
#   LOG_FILTER=warn                        ccgate's CCGATE__LOG__FILTER (the shipped default is
#                                          info: one JSON line per request on stderr)
#   CCGATE_BIN=PATH                        serve with this ccgate binary instead of building
#                                          target/release/ccgate (e.g. a build with the numbers
#                                          list cache disabled, see docs/benchmarks.md)
#
# Installs nothing except wrk: when it is missing and we are root, `apt-get update` then
# `apt-get install -y wrk`.
set -euo pipefail

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
RUNS=${RUNS:-1}
WORKERS=${WORKERS:-0}
NUMBERS=${NUMBERS:-10000}
MAX_RPS=${MAX_RPS:-80000}
LOG_FILTER=${LOG_FILTER:-warn}
CCGATE_PORT=${CCGATE_PORT:-18080}
BARE_PORT=${BARE_PORT:-18081}
INSTANCE=ccc-test

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/seed.sh
. bench/seed.sh
log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

# --- wrk ---------------------------------------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "wrk is not installed (apt-get install wrk, as root)"
    log "wrk is missing: apt-get update && apt-get install -y wrk"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
fi

# --- build -------------------------------------------------------------------------------
if [ -z "${CCGATE_BIN:-}" ]; then
    log "cargo build --release -p ccgate"
    cargo build --release -p ccgate
fi
log "cargo build --release -p ccgate-gateway --example bare_actix"
cargo build --release -p ccgate-gateway --example bare_actix
TARGET=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
CCGATE="${CCGATE_BIN:-$TARGET/release/ccgate}"
[ -x "$CCGATE" ] || die "no ccgate binary at $CCGATE"
BARE="$TARGET/release/examples/bare_actix"

# --- temp dir and clean-up ---------------------------------------------------------------
TMP=$(mktemp -d -t ccgate-bench.XXXXXX)
CCGATE_PID=""
BARE_PID=""
stop() { # pid: SIGTERM, then wait (ccgate drains in-flight requests)
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$CCGATE_PID"
    stop "$BARE_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_http() { # url pid name
    for _ in $(seq 300); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || die "$3 exited during start-up (see above)"
        sleep 0.1
    done
    die "$3 did not answer $1 within 30 s"
}
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

start_ccgate() {
    (
        cd "$TMP"
        exec env CCGATE__SERVER__BIND="127.0.0.1:$CCGATE_PORT" \
            CCGATE__SERVER__WORKERS="$WORKERS" \
            CCGATE__DATABASE__URL="sqlite://$TMP/ccgate.db?mode=rwc" \
            CCGATE__SECURITY__MASTER_KEY_FILE="$TMP/master.key" \
            CCGATE__LOG__FILTER="$LOG_FILTER" \
            "$CCGATE" serve
    ) >>"$TMP/ccgate.out" 2>>"$TMP/ccgate.err" &
    CCGATE_PID=$!
    wait_http "http://127.0.0.1:$CCGATE_PORT/healthz" "$CCGATE_PID" ccgate ||
        { cat "$TMP/ccgate.err" >&2; exit 1; }
}

# --- ccgate: first start, demo key, seed -------------------------------------------------
log "starting ccgate on 127.0.0.1:$CCGATE_PORT (SQLite in $TMP)"
start_ccgate
AK=$(awk '/AccessKeyId:/ {print $2; exit}' "$TMP/ccgate.out")
SK=$(awk '/AccessKeySecret:/ {print $2; exit}' "$TMP/ccgate.out")
[ -n "$AK" ] && [ -n "$SK" ] || die "no demo AccessKey in ccgate's output: $(cat "$TMP/ccgate.out")"
export CCGATE_ENDPOINT="http://127.0.0.1:$CCGATE_PORT" CCGATE_ACCESS_KEY_ID="$AK" \
    CCGATE_ACCESS_KEY_SECRET="$SK"

log "seeding $NUMBERS numbers (AddBulkPhoneNumbers, 100 per call, via ccgate call)"
seed_start=$(date +%s.%N)
seed_numbers "$CCGATE" "$INSTANCE" "$NUMBERS" "$TMP/seed.out" || die "AddBulkPhoneNumbers failed"
total=$("$CCGATE" call ListPhoneNumbers --api-version 2020-07-01 "InstanceId=$INSTANCE" \
    PageNumber=1 PageSize=1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["Data"]["TotalCount"])')
[ "$total" = "$NUMBERS" ] || die "expected $NUMBERS numbers after seeding, ccgate lists $total"
log "seeded $total numbers in $(python3 -c "print(f'{$(date +%s.%N) - $seed_start:.1f}')") s"

# Restart so that peak RSS covers serving only (not seeding) and caches start cold.
log "restarting ccgate on the seeded database"
stop "$CCGATE_PID"
start_ccgate

# --- bare actix baseline -----------------------------------------------------------------
log "starting bare_actix on 127.0.0.1:$BARE_PORT"
CCGATE__SERVER__BIND="127.0.0.1:$BARE_PORT" CCGATE__SERVER__WORKERS="$WORKERS" \
    "$BARE" >"$TMP/bare.out" 2>&1 &
BARE_PID=$!
wait_http "http://127.0.0.1:$BARE_PORT/" "$BARE_PID" bare_actix

# --- wrk ---------------------------------------------------------------------------------
COUNT=$((MAX_RPS * DURATION))
run_wrk() { # name url wrap -> prints "rps p99_us"
    local name=$1 url=$2 wrap=$3 out="$TMP/wrk-$1.txt"
    log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency $url ($name)"
    if ! CCBENCH_URLS="$TMP/urls" CCBENCH_WRAP=$wrap wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"${DURATION}s" --latency -s bench/list_phone_numbers.lua "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk against $name failed (non-2xx responses, socket errors or exhausted requests)"
    fi
    cat "$out" >&2
    sed -n 's/^CCBENCH .*rps=\([0-9.]*\) .*p99_us=\([0-9]*\) .*/\1 \2/p' "$out"
}

declare -a ROWS=()
for ((run = 1; run <= RUNS; run++)); do
    log "run $run/$RUNS: signing $COUNT ListPhoneNumbers requests ($THREADS files)"
    rm -rf "$TMP/urls"
    python3 bench/gen_requests.py --access-key-id "$AK" --access-key-secret "$SK" \
        --instance "$INSTANCE" --count "$COUNT" --threads "$THREADS" --out "$TMP/urls"
    read -r c_rps c_p99 < <(run_wrk ccgate "http://127.0.0.1:$CCGATE_PORT" 0)
    read -r b_rps b_p99 < <(run_wrk bare "http://127.0.0.1:$BARE_PORT" 1)
    [ -n "${c_rps:-}" ] && [ -n "${b_rps:-}" ] || die "could not read wrk results"
    ROWS+=("$run $c_rps $c_p99 $b_rps $b_p99")
done
C_HWM=$(hwm_kb "$CCGATE_PID")
B_HWM=$(hwm_kb "$BARE_PID")

# --- report ------------------------------------------------------------------------------
python3 - "$C_HWM" "$B_HWM" "$THREADS" "$CONNECTIONS" "$DURATION" "$WORKERS" "$NUMBERS" \
    "$LOG_FILTER" "$CCGATE" "${ROWS[@]}" <<'EOF' | tee "${RESULTS:-/dev/null}"
import sys
c_hwm, b_hwm, threads, conns, dur, workers, numbers, log_filter, binary = sys.argv[1:10]
rows = [r.split() for r in sys.argv[10:]]
print(f"wrk -t{threads} -c{conns} -d{dur}s --latency; workers={workers} (0 = one per core); "
      f"{numbers} numbers; signed 2020-07-01 ListPhoneNumbers, PageSize=20, PageNumber 1..100; "
      f"ccgate {binary} with CCGATE__LOG__FILTER={log_filter}\n")
print("| run | server | requests/s | p99 latency | peak RSS (VmHWM) |")
print("|---|---|---:|---:|---:|")
for run, c_rps, c_p99, b_rps, b_p99 in rows:
    print(f"| {run} | ccgate | {float(c_rps):,.0f} | {int(c_p99)/1000:.2f} ms | {int(c_hwm)/1024:.1f} MiB |")
    print(f"| {run} | bare actix-web | {float(b_rps):,.0f} | {int(b_p99)/1000:.2f} ms | {int(b_hwm)/1024:.1f} MiB |")
print()
for run, c_rps, _, b_rps, _ in rows:
    ratio = float(c_rps) / float(b_rps)
    verdict = "meets" if ratio >= 0.25 else "BELOW"
    print(f"run {run}: ccgate / bare = {ratio:.1%} ({verdict} the 25% target)")
print("\npeak RSS is VmHWM at the end of all runs (ccgate restarted after seeding).")
EOF

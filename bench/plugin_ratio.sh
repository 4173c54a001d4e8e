#!/usr/bin/env bash
# Built-in vs dynamic plugins under load: the same signed 2020-07-01 ListPhoneNumbers requests
# (pages of 20 of 10,000 numbers) sent by wrk to two ccgate processes serving copies of one
# seeded SQLite database, one with the built-in `flows` and `numbers` plugins, one with the
# built-ins disabled and both domains loaded from their release libraries. Rounds alternate
# which server goes first, so that drifts of a shared machine hit both alike; prints each
# round's requests/s and CPU time per request (server process, from /proc), and the median
# ratio dynamic / built-in. See docs/benchmarks.md ("Plugin libraries: built-in vs dynamic").
#
# Usage: bench/plugin_ratio.sh      (from anywhere; settings via environment)
#   ROUNDS=5 DURATION=8 THREADS=2 CONNECTIONS=32   rounds, wrk -d/-t/-c
#   NUMBERS=10000 MAX_RPS=80000                    as in bench/run.sh
#   BUILTIN_PORT=18090 DYNAMIC_PORT=18091          loopback ports
#   LOG_FILTER=warn                                CCGATE__LOG__FILTER of both servers
#
# Builds target/release/ccgate and the two plugin libraries (release, `dynamic` feature, each
# in its own cargo invocation), unless SKIP_BUILD=1. Needs wrk (apt-get install wrk).
set -euo pipefail

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
NUMBERS=${NUMBERS:-10000}
MAX_RPS=${MAX_RPS:-80000}
BUILTIN_PORT=${BUILTIN_PORT:-18090}
DYNAMIC_PORT=${DYNAMIC_PORT:-18091}
LOG_FILTER=${LOG_FILTER:-warn}
INSTANCE=ccc-test

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/seed.sh
. bench/seed.sh
log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'plugin_ratio.sh: %s\n' "$*" >&2; exit 1; }
command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk)"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building ccgate and the plugin libraries (release)"
    cargo build --release -p ccgate
    for p in numbers flows; do
        cargo rustc --release -p "ccgate-$p" --lib --crate-type cdylib --features dynamic
    done
fi
TARGET=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
CCGATE=$TARGET/release/ccgate
LIBS=$TARGET/release/libccgate_flows.so,$TARGET/release/libccgate_numbers.so

TMP=$(mktemp -d -t ccgate-ratio.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # name port db [env...] -> pid in $STARTED
    local name=$1 port=$2 db=$3
    shift 3
    (
        cd "$TMP"
        exec env CCGATE__SERVER__BIND="127.0.0.1:$port" \
            CCGATE__DATABASE__URL="sqlite://$db?mode=rwc" \
            CCGATE__SECURITY__MASTER_KEY_FILE="$TMP/master.key" \
            CCGATE__LOG__FILTER="$LOG_FILTER" "$@" "$CCGATE" serve
    ) >>"$TMP/$name.out" 2>>"$TMP/$name.err" &
    STARTED=$!
    PIDS+=("$STARTED")
    for _ in $(seq 300); do
        curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
        kill -0 "$STARTED" 2>/dev/null || { cat "$TMP/$name.err" >&2; die "$name exited"; }
        sleep 0.1
    done
    die "$name did not start"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# --- seed once (built-in), then serve copies ---------------------------------------------
log "seeding $NUMBERS numbers"
start seed "$BUILTIN_PORT" "$TMP/seed.db"
SEED_PID=$STARTED
AK=$(awk '/AccessKeyId:/ {print $2; exit}' "$TMP/seed.out")
SK=$(awk '/AccessKeySecret:/ {print $2; exit}' "$TMP/seed.out")
[ -n "$AK" ] && [ -n "$SK" ] || die "no demo AccessKey in ccgate's output"
export CCGATE_ENDPOINT="http://127.0.0.1:$BUILTIN_PORT" CCGATE_ACCESS_KEY_ID="$AK" \
    CCGATE_ACCESS_KEY_SECRET="$SK"
seed_numbers "$CCGATE" "$INSTANCE" "$NUMBERS" "$TMP/seed.call" || die "AddBulkPhoneNumbers failed"
kill -TERM "$SEED_PID"
wait "$SEED_PID" 2>/dev/null || true
cp "$TMP/seed.db" "$TMP/builtin.db"
cp "$TMP/seed.db" "$TMP/dynamic.db"

start builtin "$BUILTIN_PORT" "$TMP/builtin.db"
BUILTIN_PID=$STARTED
start dynamic "$DYNAMIC_PORT" "$TMP/dynamic.db" CCGATE__PLUGINS__ENABLED= \
    CCGATE__PLUGINS__LIBRARIES="$LIBS"
DYNAMIC_PID=$STARTED

run_wrk() { # port pid -> "rps cpu_us_per_request"
    local port=$1 pid=$2 out="$TMP/wrk.txt" before after
    before=$(cpu_ticks "$pid")
    CCBENCH_URLS="$TMP/urls" CCBENCH_WRAP=0 wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"${DURATION}s" --latency -s bench/list_phone_numbers.lua \
        "http://127.0.0.1:$port" >"$out" 2>&1 || { cat "$out" >&2; die "wrk failed"; }
    after=$(cpu_ticks "$pid")
    sed -n 's/^CCBENCH requests=\([0-9]*\) .*rps=\([0-9.]*\) .*/\1 \2/p' "$out" |
        awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" \
            '{printf "%s %.1f\n", $2, t / hz * 1e6 / $1}'
}

printf '| round | built-in req/s | dynamic req/s | dynamic / built-in | built-in CPU µs/req | dynamic CPU µs/req |\n'
printf '|---|---:|---:|---:|---:|---:|\n'
RATIOS=()
for ((round = 1; round <= ROUNDS; round++)); do
    rm -rf "$TMP/urls"
    python3 bench/gen_requests.py --access-key-id "$AK" --access-key-secret "$SK" \
        --instance "$INSTANCE" --count $((MAX_RPS * DURATION)) --threads "$THREADS" \
        --out "$TMP/urls"
    # The same signed requests go to both servers (each has its own nonce store).
    if ((round % 2)); then
        read -r b_rps b_cpu < <(run_wrk "$BUILTIN_PORT" "$BUILTIN_PID")
        read -r d_rps d_cpu < <(run_wrk "$DYNAMIC_PORT" "$DYNAMIC_PID")
    else
        read -r d_rps d_cpu < <(run_wrk "$DYNAMIC_PORT" "$DYNAMIC_PID")
        read -r b_rps b_cpu < <(run_wrk "$BUILTIN_PORT" "$BUILTIN_PID")
    fi
    ratio=$(awk -v d="$d_rps" -v b="$b_rps" 'BEGIN {printf "%.1f", 100 * d / b}')
    RATIOS+=("$ratio")
    printf '| %d | %.0f | %.0f | %s%% | %s | %s |\n' "$round" "$b_rps" "$d_rps" "$ratio" \
        "$b_cpu" "$d_cpu"
done
printf '\nmedian dynamic / built-in: %s%% of requests/s (%d rounds of %ss, wrk -t%s -c%s)\n' \
    "$(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
    "$ROUNDS" "$DURATION" "$THREADS" "$CONNECTIONS"

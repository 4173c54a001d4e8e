# shellcheck shell=bash disable=SC2154
# (SC2154: the settings these functions read are assigned by the sourcing script.)
# Sourced by bench/run.sh, writes.sh, agents.sh and reports.sh (not run on its own), from the
# repository root: what they share to install wrk, build, start and stop ccgate and the bare
# actix-web baseline (crates/gateway/examples/bare_actix.rs), and run wrk. The functions read
# the sourcing script's settings (CCGATE_PORT, BARE_PORT, WORKERS, LOG_FILTER, THREADS,
# CONNECTIONS, DURATION, CCGATE_BIN, BARE_BIN) and share state with it through the globals they
# set (TARGET is the script's: TARGET=$(target_dir)):
#   TMP, CCGATE_PID, BARE_PID   bench_tmp, start_ccgate, start_bare
#   CCGATE, BARE                build_binaries
#   AK, SK                      first_start
# The seeding of the numbers and flows instance is in bench/seed.sh (run.sh and writes.sh source
# both; bench/plugin_ratio.sh only seed.sh, with a harness of its own).

log() { printf '>>> %s\n' "$*" >&2; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# --- wrk and binaries ----------------------------------------------------------------------
need_wrk() { # wrk, installed when it is missing and we are root
    command -v wrk >/dev/null 2>&1 && return 0
    [ "$(id -u)" = 0 ] || die "wrk is not installed (apt-get install wrk, as root)"
    log "wrk is missing: apt-get update && apt-get install -y wrk"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y wrk
}

target_dir() { # cargo's target directory
    cargo metadata --format-version 1 --no-deps |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

build_binaries() { # with_bare(1|0): builds release ccgate unless CCGATE_BIN is set, and
    # bare_actix unless BARE_BIN is set or with_bare is 0; sets CCGATE and BARE to the binaries
    # to run (the ones given, else the release ones under $TARGET)
    if [ -z "${CCGATE_BIN:-}" ]; then
        log "cargo build --release -p ccgate"
        cargo build --release -p ccgate
    fi
    if [ -z "${BARE_BIN:-}" ] && [ "$1" = 1 ]; then
        log "cargo build --release -p ccgate-gateway --example bare_actix"
        cargo build --release -p ccgate-gateway --example bare_actix
    fi
    CCGATE="${CCGATE_BIN:-$TARGET/release/ccgate}"
    BARE="${BARE_BIN:-$TARGET/release/examples/bare_actix}"
}
check_binaries() { # with_bare(1|0): dies unless CCGATE (and with 1, BARE) can be run
    [ -x "$CCGATE" ] || die "no ccgate binary at $CCGATE"
    [ "$1" != 1 ] || [ -x "$BARE" ] || die "no bare_actix binary at $BARE"
}

# --- temp dir and clean-up -----------------------------------------------------------------
bench_tmp() { # prefix [cleanup]: TMP, a new temp dir; no servers yet; on exit the function
    # `cleanup` (or the one named), on SIGINT / SIGTERM exit 130 (which runs it)
    TMP=$(mktemp -d -t "$1.XXXXXX")
    CCGATE_PID=""
    BARE_PID=""
    # shellcheck disable=SC2064 # the function's name, expanded now on purpose
    trap "${2:-cleanup}" EXIT
    trap 'exit 130' INT TERM
}
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

# --- servers -------------------------------------------------------------------------------
wait_http() { # url pid name [seconds, 30]: 0 once it answers; else says why and returns 1, so
    # that the caller can show the process's own output before the temp dir goes
    local secs=${4:-30}
    for _ in $(seq $((secs * 10))); do
        curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { log "$3 exited during start-up:"; return 1; }
        sleep 0.1
    done
    log "$3 did not answer $1 within $secs s:"
    return 1
}

start_ccgate() { # [db-url, default SQLite $TMP/ccgate.db]: ccgate serve in $TMP on CCGATE_PORT,
    # master key in $TMP, output appended to $TMP/ccgate.out and .err; returns when it answers.
    # One AccessKey signs every request of a run, several million within the 15-minute nonce
    # window: the per-key nonce quota (default 2,000,000, then 503) is raised to the store's
    # total (MAX_NONCES_PER_KEY).
    (
        cd "$TMP"
        exec env CCGATE__SERVER__BIND="127.0.0.1:$CCGATE_PORT" \
            CCGATE__SERVER__WORKERS="$WORKERS" \
            CCGATE__DATABASE__URL="${1:-sqlite://$TMP/ccgate.db?mode=rwc}" \
            CCGATE__SECURITY__MASTER_KEY_FILE="$TMP/master.key" \
            CCGATE__LOG__FILTER="$LOG_FILTER" \
            CCGATE__SECURITY__MAX_NONCES_PER_KEY="${MAX_NONCES_PER_KEY:-20000000}" \
            "$CCGATE" serve
    ) >>"$TMP/ccgate.out" 2>>"$TMP/ccgate.err" &
    CCGATE_PID=$!
    wait_http "http://127.0.0.1:$CCGATE_PORT/healthz" "$CCGATE_PID" ccgate ||
        { cat "$TMP/ccgate.err" >&2; exit 1; }
}
first_start() { # what [db-url]: the first start_ccgate (it migrates the database and prints a
    # demo AccessKey): sets AK and SK, and exports them and the endpoint for `ccgate call`
    log "starting ccgate on 127.0.0.1:$CCGATE_PORT ($1)"
    start_ccgate "${@:2}"
    AK=$(awk '/AccessKeyId:/ {print $2; exit}' "$TMP/ccgate.out")
    SK=$(awk '/AccessKeySecret:/ {print $2; exit}' "$TMP/ccgate.out")
    [ -n "$AK" ] && [ -n "$SK" ] || die "no demo AccessKey in ccgate's output: $(cat "$TMP/ccgate.out")"
    export CCGATE_ENDPOINT="http://127.0.0.1:$CCGATE_PORT" CCGATE_ACCESS_KEY_ID="$AK" \
        CCGATE_ACCESS_KEY_SECRET="$SK"
}
restart_ccgate() { # [db-url]: stop ccgate, start it again on the same database
    log "restarting ccgate on the seeded database"
    stop "$CCGATE_PID"
    start_ccgate "$@"
}

start_bare() { # body-file [seconds, 30]: bare_actix on BARE_PORT answering the bytes of body-file
    CCGATE__SERVER__BIND="127.0.0.1:$BARE_PORT" CCGATE__SERVER__WORKERS="$WORKERS" \
        BARE_BODY="$1" "$BARE" >"$TMP/bare.out" 2>&1 &
    BARE_PID=$!
    wait_http "http://127.0.0.1:$BARE_PORT/" "$BARE_PID" bare_actix "${2:-30}" ||
        { cat "$TMP/bare.out" >&2; exit 1; }
}

# --- wrk -----------------------------------------------------------------------------------
run_wrk() { # name url wrap: wrk over the signed targets in $TMP/urls (bench/list_phone_numbers.lua)
    # -> prints "rps p50_us p99_us"; dies when wrk fails
    local name=$1 url=$2 wrap=$3 out="$TMP/wrk-$1.txt"
    log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency $url ($name)"
    if ! CCBENCH_URLS="$TMP/urls" CCBENCH_WRAP=$wrap wrk -t"$THREADS" -c"$CONNECTIONS" \
        -d"${DURATION}s" --latency -s bench/list_phone_numbers.lua "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk against $name failed (non-2xx responses, socket errors or exhausted requests)"
    fi
    cat "$out" >&2
    sed -n 's/^CCBENCH .*rps=\([0-9.]*\) .*p50_us=\([0-9]*\) .*p99_us=\([0-9]*\) .*/\1 \2 \3/p' "$out"
}

#!/usr/bin/env bash
# Call load on one node (docs/benchmarks.md, "Calls (issue 12)"): CALLS (200) back-to-back calls
# placed through the API at a steady rate, all live at once, between two SIPp UAS "phones".
#
#   - ccgate (CCGATE_BIN, default target/release/ccgate: this script builds nothing) on a fresh
#     SQLite file in a temp dir, with a config file (CCGATE_CONFIG) whose [telephony] listens on
#     a free loopback UDP port and routes numbers 1380… to the "agents" phone, 1390… to the
#     "customers" phone (the trunks of tests/e2e/conftest.py's SipRig);
#   - two SIPp processes playing tests/sipp/phone_uas.xml.in, each `-m CALLS` (it exits after
#     that many calls: 0 = every call followed the script): agents ring 200 ms and wait for the
#     BYE (talk timer 8,000 ms), customers ring 500 ms, talk 5,000 ms and hang up;
#   - the demo AccessKey printed on first start, one outbound number (2017 AddPhoneNumber,
#     Usage Bidirection), a Bearer token (`ccgate token issue`);
#   - bench/calls.py start: CALLS StartBack2BackCall (2017-07-05, Bearer, the tea client's
#     generic call_api) at RATE/s from a thread pool, Caller 1380xxxxxxx / Callee 1390xxxxxxx
#     unique per call, each request's wall-clock send time and TaskId recorded;
#   - waits for both SIPp processes, then bench/calls.py check: polls
#     ListCallEventDetailByContactId for every TaskId until it has a ReleaseReason, checks
#     CALLS records each with SetUpMeeting (bridged) and a 200 release, and the calls_cdr rows
#     of the SQLite file (ENDED, disposition Success); prints p50/p90/p99/max of API request →
#     first INVITE (the Dial event), → INVITE at the agent phone (SIPp's -trace_msg), → bridged
#     (SetUpMeeting) and of the API response time, the rates and peak concurrent calls.
# Exits non-zero if an API request, a SIPp call or a record check failed.
#
# Usage: bench/calls.sh          (from anywhere; settings via environment)
#   CALLS=200 RATE=40 WORKERS=16          calls, StartBack2BackCall requests/s, client threads
#   AGENT_RING_MS=200 AGENT_TALK_MS=8000  agents phone (the first leg: ccgate BYEs it)
#   CUSTOMER_RING_MS=500 CUSTOMER_TALK_MS=5000   customers phone (hangs up itself)
#   SIPP_BUFF=1048576                     SIPp -buff_size (socket send/receive buffers, bytes)
#   SIPP_TIMEOUT=90                       SIPp -timeout (s); SIPp is also bounded from outside
#   CCGATE_PORT=0                         HTTP port (0 = a free one)
#   LOG_FILTER=warn                       ccgate's CCGATE__LOG__FILTER
#   CCGATE_BIN=PATH                       the ccgate binary (default target/release/ccgate)
#   PYTHON=PATH                           python with the SDKs (default .venv/bin/python)
#   RESULTS=FILE                          also write the report to FILE
#   KEEP=1                                keep the temp dir (logs, SIPp traces, ccgate.db)
set -euo pipefail

CALLS=${CALLS:-200}
RATE=${RATE:-40}
WORKERS=${WORKERS:-16}
AGENT_RING_MS=${AGENT_RING_MS:-200}
AGENT_TALK_MS=${AGENT_TALK_MS:-8000}
CUSTOMER_RING_MS=${CUSTOMER_RING_MS:-500}
CUSTOMER_TALK_MS=${CUSTOMER_TALK_MS:-5000}
SIPP_BUFF=${SIPP_BUFF:-1048576}
SIPP_TIMEOUT=${SIPP_TIMEOUT:-90}
CCGATE_PORT=${CCGATE_PORT:-0}
LOG_FILTER=${LOG_FILTER:-warn}
KEEP=${KEEP:-0}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
[ -z "${CCGATE_BIN:-}" ] || CCGATE_BIN=$(abs "$CCGATE_BIN") # relative to the caller's directory
[ -z "${RESULTS:-}" ] || RESULTS=$(abs "$RESULTS")
[ -z "${PYTHON:-}" ] || case $PYTHON in */*) PYTHON=$(abs "$PYTHON") ;; esac
cd "$ROOT"
log() { printf '>>> %s\n' "$*" >&2; }
die() { printf 'calls.sh: %s\n' "$*" >&2; exit 1; }

PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
CCGATE=${CCGATE_BIN:-$ROOT/target/release/ccgate}
[ -x "$CCGATE" ] || die "no ccgate binary at $CCGATE (cargo build --release -p ccgate, or set CCGATE_BIN)"
[ -x "$PYTHON" ] || die "no python at $PYTHON (the e2e venv: tests/e2e/README.md; or set PYTHON)"
"$PYTHON" -c 'import alibabacloud_ccc20200701, aliyunsdkccc' 2>/dev/null ||
    die "$PYTHON lacks alibabacloud-ccc20200701 / aliyun-python-sdk-ccc (tests/e2e/requirements.txt)"
SIPP=$(command -v sipp) || die "sipp is not installed (apt-get install -y --no-install-recommends sip-tester)"

# --- temp dir and clean-up ---------------------------------------------------------------
TMP=$(mktemp -d -t ccgate-calls.XXXXXX)
CCGATE_PID=""
AGENTS_PID=""
CUSTOMERS_PID=""
stop() { # pid: SIGTERM, then wait (ccgate drains in-flight requests, ends live calls)
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$AGENTS_PID"
    stop "$CUSTOMERS_PID"
    stop "$CCGATE_PID"
    if [ "$KEEP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() { # n kind(udp|tcp) -> n distinct free loopback ports
    "$PYTHON" - "$@" <<'EOF'
import socket, sys
n, kind = int(sys.argv[1]), sys.argv[2]
socks = []
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}
read -r SIP_PORT AGENTS_PORT CUSTOMERS_PORT AGENTS_RTP CUSTOMERS_RTP < <(free_ports 5 udp)
[ "$CCGATE_PORT" != 0 ] || CCGATE_PORT=$(free_ports 1 tcp)
ENDPOINT="127.0.0.1:$CCGATE_PORT"

# --- config ------------------------------------------------------------------------------
cat >"$TMP/ccgate.toml" <<EOF
[telephony]
listen_udp = "127.0.0.1:$SIP_PORT"
ring_timeout_seconds = 20

[[telephony.trunks]]
name = "agents"
proxy = "127.0.0.1:$AGENTS_PORT"
prefixes = ["1380"]

[[telephony.trunks]]
name = "customers"
proxy = "127.0.0.1:$CUSTOMERS_PORT"
prefixes = ["1390"]
EOF

# --- ccgate: first start (migrates, demo key) --------------------------------------------
ccgate_exec() { # command... : exec'd with ccgate's environment (call it in a subshell)
    exec env CCGATE_CONFIG="$TMP/ccgate.toml" \
        CCGATE__SERVER__BIND="$ENDPOINT" \
        CCGATE__DATABASE__URL="sqlite://$TMP/ccgate.db?mode=rwc" \
        CCGATE__SECURITY__MASTER_KEY_FILE="$TMP/master.key" \
        CCGATE__LOG__FILTER="$LOG_FILTER" \
        "$@"
}
log "starting ccgate ($CCGATE) on $ENDPOINT, SIP udp 127.0.0.1:$SIP_PORT (SQLite in $TMP)"
(cd "$TMP" && ccgate_exec "$CCGATE" serve) >"$TMP/ccgate.out" 2>"$TMP/ccgate.err" &
CCGATE_PID=$!
for i in $(seq 600); do
    curl -fsS -o /dev/null "http://$ENDPOINT/readyz" 2>/dev/null && break
    kill -0 "$CCGATE_PID" 2>/dev/null || { cat "$TMP/ccgate.err" >&2; die "ccgate exited during start-up"; }
    [ "$i" -lt 600 ] || die "ccgate not ready within 60 s"
    sleep 0.1
done
AK=$(awk '/AccessKeyId:/ {print $2; exit}' "$TMP/ccgate.out")
SK=$(awk '/AccessKeySecret:/ {print $2; exit}' "$TMP/ccgate.out")
INSTANCE=$(awk '/InstanceId:/ {print $2; exit}' "$TMP/ccgate.out")
[ -n "$AK" ] && [ -n "$SK" ] && [ -n "$INSTANCE" ] ||
    die "no demo AccessKey in ccgate's output: $(cat "$TMP/ccgate.out")"
TOKEN=$(cd "$TMP" && ccgate_exec "$CCGATE" token issue --access-key-id "$AK" --ttl 3600)
[ -n "$TOKEN" ] || die "ccgate token issue printed nothing"

# --- SIPp phones -------------------------------------------------------------------------
render() { # ring talk out
    sed -e "s/@RING_MS@/$1/g" -e "s/@TALK_MS@/$2/g" tests/sipp/phone_uas.xml.in >"$3"
}
render "$AGENT_RING_MS" "$AGENT_TALK_MS" "$TMP/agents.xml"
render "$CUSTOMER_RING_MS" "$CUSTOMER_TALK_MS" "$TMP/customers.xml"
start_phone() { # who port rtp-port; pitfall 12: bounded from outside too (`timeout`)
    local who=$1 port=$2 rtp=$3
    (
        cd "$TMP"
        exec timeout -k 5 $((SIPP_TIMEOUT + 30)) "$SIPP" -sf "$TMP/$who.xml" \
            -i 127.0.0.1 -p "$port" -mi 127.0.0.1 -mp "$rtp" -set who "$who" \
            -m "$CALLS" -l $((CALLS * 2)) -buff_size "$SIPP_BUFF" \
            -nostdin -timeout "$SIPP_TIMEOUT" \
            -trace_msg -message_file "$TMP/$who.msg" \
            -trace_logs -log_file "$TMP/$who.log" \
            -trace_err -error_file "$TMP/$who.err" \
            -trace_screen -screen_file "$TMP/$who.screen"
    ) >"$TMP/$who.out" 2>&1 &
}
start_phone agents "$AGENTS_PORT" "$AGENTS_RTP"
AGENTS_PID=$!
start_phone customers "$CUSTOMERS_PORT" "$CUSTOMERS_RTP"
CUSTOMERS_PID=$!
bindable() { # port: whether a UDP socket can still bind it (SIPp has not yet)
    "$PYTHON" -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", int(sys.argv[1])))' \
        "$1" 2>/dev/null
}
for phone in "$AGENTS_PID:$AGENTS_PORT" "$CUSTOMERS_PID:$CUSTOMERS_PORT"; do
    pid=${phone%:*} port=${phone#*:}
    for i in $(seq 100); do
        bindable "$port" || break
        kill -0 "$pid" 2>/dev/null || die "SIPp exited before binding 127.0.0.1:$port: $(cat "$TMP"/*.out)"
        [ "$i" -lt 100 ] || die "SIPp did not bind 127.0.0.1:$port within 10 s"
        sleep 0.1
    done
done
log "SIPp phones -m $CALLS: agents 127.0.0.1:$AGENTS_PORT (ring $AGENT_RING_MS ms, talk" \
    "$AGENT_TALK_MS ms), customers 127.0.0.1:$CUSTOMERS_PORT (ring $CUSTOMER_RING_MS ms," \
    "talk $CUSTOMER_TALK_MS ms)"

# --- load --------------------------------------------------------------------------------
cpu_s() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; } # utime + stime at USER_HZ 100
CPU0=$(cpu_s "$CCGATE_PID")
T0=$(date +%s.%N)
log "$CALLS StartBack2BackCall at $RATE/s ($WORKERS client threads)"
START_RC=0
"$PYTHON" bench/calls.py start --endpoint "$ENDPOINT" --ak "$AK" --sk "$SK" --token "$TOKEN" \
    --instance "$INSTANCE" --calls "$CALLS" --rate "$RATE" --workers "$WORKERS" \
    --out "$TMP/sent.json" || START_RC=$?
if [ "$START_RC" = 2 ]; then # nothing was sent: the phones would only wait for their -timeout
    stop "$AGENTS_PID"; stop "$CUSTOMERS_PID"; AGENTS_PID=""; CUSTOMERS_PID=""
    die "bench/calls.py start failed before placing calls"
fi

log "waiting for the SIPp phones to finish their $CALLS calls"
AGENTS_RC=0 # SIPp's exit code; 124/137: killed by `timeout`
wait "$AGENTS_PID" || AGENTS_RC=$?
AGENTS_PID=""
CUSTOMERS_RC=0
wait "$CUSTOMERS_PID" || CUSTOMERS_RC=$?
CUSTOMERS_PID=""
WALL=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
CPU1=$(cpu_s "$CCGATE_PID")
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$CCGATE_PID/status")
log "SIPp exit codes: agents $AGENTS_RC, customers $CUSTOMERS_RC ($WALL s after the first request)"
for who in agents customers; do
    grep -E 'Successful call|Failed call|Retransmissions' "$TMP/$who.screen" 2>/dev/null |
        sed "s/^/    $who: /" >&2 || true
done

# --- check and report --------------------------------------------------------------------
set +e
"$PYTHON" bench/calls.py check --endpoint "$ENDPOINT" --ak "$AK" --sk "$SK" \
    --instance "$INSTANCE" --calls "$CALLS" --sent "$TMP/sent.json" --db "$TMP/ccgate.db" \
    --agents-msg "$TMP/agents.msg" --screen "agents=$TMP/agents.screen" \
    --screen "customers=$TMP/customers.screen" --agents-rc "$AGENTS_RC" --customers-rc "$CUSTOMERS_RC" \
    --start-rc "$START_RC" --binary "$CCGATE" \
    --agent-ring-ms "$AGENT_RING_MS" --customer-ring-ms "$CUSTOMER_RING_MS" \
    --note "ccgate CPU $(awk -v a="$CPU0" -v b="$CPU1" 'BEGIN {printf "%.1f", b - a}') s over ${WALL} s" \
    --note "ccgate peak RSS $(awk -v k="$HWM" 'BEGIN {printf "%.1f", k / 1024}') MiB" \
    | tee "${RESULTS:-/dev/null}"
CHECK_RC=${PIPESTATUS[0]}
set -e
if [ "$CHECK_RC" != 0 ]; then
    for who in agents customers; do
        printf -- '--- %s: last SIPp errors (%s)\n' "$who" "$TMP/$who.err" >&2
        grep -v 'receive timeout' "$TMP/$who.err" 2>/dev/null | tail -n 15 >&2 || true
    done
    printf -- '--- ccgate stderr (tail)\n' >&2
    tail -n 20 "$TMP/ccgate.err" >&2 || true
    KEEP=1
fi
exit "$CHECK_RC"

#!/usr/bin/env bash
# Load test over loopback: ccgate (release, SQLite) holding one seeded instance, ccc-test, with
# 10,000 numbers and 30 contact flows (300 of the numbers bound to 3 of the flows), serving the
# signed list actions of that instance (LOADS), each followed by the bare actix-web baseline
# (crates/gateway/examples/bare_actix.rs answering the bytes ccgate answered) with the same wrk
# settings; prints requests/s, p50 and p99 of every run as a Markdown table, ccgate / bare, and
# ccgate's peak RSS (VmHWM). See docs/benchmarks.md.
#
# Loads (LOADS, space-separated, in this order by default):
#   numbers2020  2020-07-01 ListPhoneNumbers, PageSize 20, PageNumber cycling 1..100
#   flows2017    2017-07-05 ListContactFlows: every flow of the instance with its versions and
#                bound numbers (unpaged)
#   flows2020    2020-07-01 ListContactFlows, PageSize FLOWS_PAGE_SIZE, PageNumber cycling over
#                every page of the instance's flows (default order: UpdatedTime DESC)
#   huaweiflows  Huawei cc-management queryIVRFlowList (POST, body {}): every flow of the
#                account's instances, with an AccessToken of tokenByAkSk for the demo
#                AccessKey (X-Token-Expire 3600) as `Authorization: Bearer` (a token needs no
#                nonce: wrk repeats the one target)
# and, not by default (it answers all NUMBERS numbers in one reply, 4.8 MB with 10,000;
# run it alone with few connections: THREADS=1 CONNECTIONS=2 MAX_RPS=1000 LOADS=numbers2017):
#   numbers2017  2017-07-05 ListPhoneNumbers (unpaged: every number of the instance)
#
# Usage: bench/run.sh            (from anywhere; settings via environment)
#   THREADS=2 CONNECTIONS=32 DURATION=15   wrk -t/-c/-d (seconds)
#   RUNS=1                                 wrk runs per load and server (ccgate, then bare)
#   LOADS="numbers2020 flows2017 flows2020 huaweiflows"   (or numbers2017, see above)
#   WORKERS=0                              HTTP workers of both servers (0 = one per core)
#   NUMBERS=10000                          numbers seeded (AddBulkPhoneNumbers, 100 per call)
#   FLOWS=30                               flows created besides the instance's default flow
#                                          (2017 CreateContactFlow, one draft version each)
#   BOUND_FLOWS=3 BOUND_NUMBERS=300        the first BOUND_NUMBERS numbers are bound to the
#                                          first BOUND_FLOWS of those flows, equal blocks
#   FLOWS_PAGE_SIZE=10                     PageSize of 2020 ListContactFlows
#   MAX_RPS=80000                          signed requests generated per run and load =
#   FLOWS_MAX_RPS=150000                   MAX_RPS*DURATION (FLOWS_MAX_RPS for the flows
#                                          loads); a run that exhausts them fails (raise it)
#   CCGATE_PORT=18080 BARE_PORT=18081      loopback ports
#   RESULTS=FILE                           also write the Markdown table to FILE
#   LOG_FILTER=warn                        ccgate's CCGATE__LOG__FILTER (the shipped default is
#                                          info: one JSON line per request on stderr)
#   CCGATE_BIN=PATH                        serve with this ccgate binary instead of building
#                                          target/release/ccgate (e.g. a build with the numbers
#                                          list cache disabled, see docs/benchmarks.md)
#   BARE_BIN=PATH                          this bare_actix binary (no cargo build)
#   CHECK=1                                no load: seed, check the seeded instance, send one
#                                          signed request of every load with curl and print the
#                                          answer sizes (needs neither wrk nor bare_actix; with
#                                          CCGATE_BIN=target/debug/ccgate it builds nothing)
#
# Installs nothing except wrk: when it is missing and we are root, `apt-get update` then
# `apt-get install -y wrk`.
set -euo pipefail

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
RUNS=${RUNS:-1}
WORKERS=${WORKERS:-0}
LOADS=${LOADS:-numbers2020 flows2017 flows2020 huaweiflows}
NUMBERS=${NUMBERS:-10000}
FLOWS=${FLOWS:-30}
BOUND_FLOWS=${BOUND_FLOWS:-3}
BOUND_NUMBERS=${BOUND_NUMBERS:-300}
FLOWS_PAGE_SIZE=${FLOWS_PAGE_SIZE:-10}
MAX_RPS=${MAX_RPS:-80000}
FLOWS_MAX_RPS=${FLOWS_MAX_RPS:-150000}
CHECK=${CHECK:-0}
LOG_FILTER=${LOG_FILTER:-warn}
CCGATE_PORT=${CCGATE_PORT:-18080}
BARE_PORT=${BARE_PORT:-18081}
INSTANCE=ccc-test

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
# shellcheck source=bench/seed.sh
. bench/seed.sh

for load in $LOADS; do
    case $load in
    numbers2020 | numbers2017 | flows2017 | flows2020 | huaweiflows) ;;
    *) die "unknown load $load in LOADS" ;;
    esac
done
[ "$BOUND_FLOWS" -le "$FLOWS" ] || die "BOUND_FLOWS ($BOUND_FLOWS) > FLOWS ($FLOWS)"
[ "$BOUND_NUMBERS" -le "$NUMBERS" ] || die "BOUND_NUMBERS ($BOUND_NUMBERS) > NUMBERS ($NUMBERS)"

# --- wrk and build (CHECK=1 needs neither wrk nor bare_actix) -----------------------------
WITH_BARE=1
if [ "$CHECK" = 1 ]; then WITH_BARE=0; else need_wrk; fi
TARGET=$(target_dir)
build_binaries "$WITH_BARE"
check_binaries "$WITH_BARE"

# --- temp dir and clean-up ---------------------------------------------------------------
bench_tmp ccgate-bench

# --- ccgate: first start, demo key, seed -------------------------------------------------
first_start "SQLite in $TMP"
t0=$(date +%s.%N)
seed_instance
"$CCGATE" call ListPhoneNumbers --api-version 2020-07-01 "InstanceId=$INSTANCE" \
    PageNumber=1 PageSize=1 >"$TMP/numbers.json"
"$CCGATE" call ListContactFlows "InstanceId=$INSTANCE" >"$TMP/flows2017.json"
"$CCGATE" call ListContactFlows --api-version 2020-07-01 "InstanceId=$INSTANCE" \
    PageNumber=1 PageSize=1 >"$TMP/flows2020.json"
read -r total flows_total flows_2017 bound_2017 bound_flows < <(python3 - "$TMP" <<'EOF'
import json, sys
tmp = sys.argv[1]
numbers, f17, f20 = (json.load(open(f"{tmp}/{n}.json")) for n in ("numbers", "flows2017", "flows2020"))
flows = f17["ContactFlows"]["ContactFlow"]
bound = [len(f["PhoneNumbers"]["PhoneNumber"]) for f in flows]
print(numbers["Data"]["TotalCount"], f20["Data"]["TotalCount"], len(flows), sum(bound),
      sum(1 for b in bound if b))
EOF
)
[ "$total" = "$NUMBERS" ] || die "expected $NUMBERS numbers after seeding, ccgate lists $total"
[ "$flows_total" = "$flows_2017" ] && [ "$flows_total" -ge "$FLOWS" ] ||
    die "expected $FLOWS flows and the default one, 2020 lists $flows_total, 2017 $flows_2017"
[ "$bound_2017" = "$BOUND_NUMBERS" ] ||
    die "expected $BOUND_NUMBERS bound numbers, 2017 ListContactFlows lists $bound_2017"
[ "$BOUND_NUMBERS" = 0 ] || [ "$bound_flows" = "$BOUND_FLOWS" ] ||
    die "expected numbers on $BOUND_FLOWS flows, 2017 ListContactFlows has them on $bound_flows"
log "seeded $total numbers and $flows_total flows ($bound_2017 numbers bound to $bound_flows" \
    "flows) in $(elapsed "$t0") s"
FLOW_PAGES=$(((flows_total + FLOWS_PAGE_SIZE - 1) / FLOWS_PAGE_SIZE))
((FLOW_PAGES <= 100)) || FLOW_PAGES=100
NUMBER_PAGES=$(((NUMBERS + 19) / 20))
((NUMBER_PAGES <= 100)) || NUMBER_PAGES=100
((NUMBER_PAGES >= 1)) || NUMBER_PAGES=1

# Restart so that peak RSS covers serving only (not seeding) and caches start cold.
restart_ccgate

# --- loads -------------------------------------------------------------------------------
HUAWEI_FLOWS=/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList
HUAWEI_TOKEN=""
if [[ " $LOADS " == *" huaweiflows "* ]]; then
    HUAWEI_TOKEN=$(curl -fsS -X POST -H 'Content-Type: application/json' -H 'X-Token-Expire: 3600' \
        -d "{\"app_key\": \"$AK\", \"app_secret\": \"$SK\"}" \
        "$CCGATE_ENDPOINT/apigovernance/api/oauth/tokenByAkSk" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["AccessToken"])') ||
        die "tokenByAkSk refused the demo AccessKey"
fi
# How wrk sends a load's targets (bench/list_phone_numbers.lua reads these).
wrk_env() { # load: exports them (call it in the subshell that runs wrk)
    if [ "$1" = huaweiflows ]; then
        export CCBENCH_METHOD=POST CCBENCH_AUTHORIZATION="Bearer $HUAWEI_TOKEN"
    else
        export CCBENCH_METHOD=GET
        unset CCBENCH_AUTHORIZATION
    fi
}
gen_load() { # load count threads out: signed GET targets of `load` (bench/gen_requests.py);
    # huaweiflows: its one path (the token authenticates, wrk repeats it)
    local load=$1
    local -a what
    case $load in
    huaweiflows)
        mkdir -p "$4"
        for ((t = 1; t <= $3; t++)); do echo "$HUAWEI_FLOWS" >"$4/urls.$t.txt"; done
        return
        ;;
    numbers2020) what=(--action ListPhoneNumbers --api-version 2020-07-01 --pages "$NUMBER_PAGES" --page-size 20) ;;
    numbers2017) what=(--action ListPhoneNumbers --api-version 2017-07-05 --pages 0 --param OutboundOnly=false) ;;
    flows2017) what=(--action ListContactFlows --api-version 2017-07-05 --pages 0) ;;
    flows2020) what=(--action ListContactFlows --api-version 2020-07-01 --pages "$FLOW_PAGES" --page-size "$FLOWS_PAGE_SIZE") ;;
    esac
    python3 bench/gen_requests.py --access-key-id "$AK" --access-key-secret "$SK" \
        --instance "$INSTANCE" --count "$2" --threads "$3" --out "$4" "${what[@]}"
}
describe() { # load -> what it requests
    case $1 in
    numbers2020) echo "2020-07-01 ListPhoneNumbers, PageSize 20, PageNumber 1..$NUMBER_PAGES" ;;
    flows2017) echo "2017-07-05 ListContactFlows (all $flows_total flows, $bound_2017 bound numbers)" ;;
    flows2020) echo "2020-07-01 ListContactFlows, PageSize $FLOWS_PAGE_SIZE, PageNumber 1..$FLOW_PAGES" ;;
    numbers2017) echo "2017-07-05 ListPhoneNumbers (all $NUMBERS numbers, unpaged)" ;;
    huaweiflows) echo "Huawei queryIVRFlowList (all $flows_total flows), one AccessToken" ;;
    esac
}

# The bytes bare_actix answers for a load: what ccgate answers to its first request (page 1).
for load in $LOADS; do
    rm -rf "$TMP/probe"
    gen_load "$load" 1 1 "$TMP/probe"
    post=()
    [ "$load" != huaweiflows ] || post=(-X POST -H 'Content-Type: application/json' -d '{}'
        -H "Authorization: Bearer $HUAWEI_TOKEN")
    curl -fsS "${post[@]}" -o "$TMP/$load-body.json" \
        "$CCGATE_ENDPOINT$(head -n1 "$TMP/probe/urls.1.txt")" ||
        die "ccgate refused the first $load request"
    python3 - "$TMP/$load-body.json" "$load" <<'EOF' || die "unexpected answer to $load"
import json, sys
body = json.load(open(sys.argv[1]))
if "Data" in body:
    items = body["Data"]["List"]
elif "PhoneNumbers" in body:
    items = body["PhoneNumbers"]["PhoneNumber"]
elif "result" in body:
    items = body["result"]
else:
    items = body["ContactFlows"]["ContactFlow"]
assert items, f"{sys.argv[2]}: empty list"
EOF
    log "$load: $(describe "$load"); first answer $(wc -c <"$TMP/$load-body.json") B"
done
if [ "$CHECK" = 1 ]; then
    log "CHECK=1: seeding and every load's signed request work; no load run"
    exit 0
fi

# --- wrk ---------------------------------------------------------------------------------
declare -a ROWS=() WHAT=()
for load in $LOADS; do
    case $load in flows*) count=$((FLOWS_MAX_RPS * DURATION)) ;; *) count=$((MAX_RPS * DURATION)) ;; esac
    WHAT+=("$load=$(describe "$load")")
    start_bare "$TMP/$load-body.json"
    for ((run = 1; run <= RUNS; run++)); do
        log "$load run $run/$RUNS: signing $count requests ($THREADS files)"
        rm -rf "$TMP/urls"
        gen_load "$load" "$count" "$THREADS" "$TMP/urls"
        # Signed targets are used once; the Huawei token's one target is repeated (wrap).
        wrap=0
        [ "$load" != huaweiflows ] || wrap=1
        read -r c_rps c_p50 c_p99 < <(wrk_env "$load" && run_wrk "ccgate-$load" "$CCGATE_ENDPOINT" "$wrap")
        read -r b_rps b_p50 b_p99 < <(wrk_env "$load" && run_wrk "bare-$load" "http://127.0.0.1:$BARE_PORT" 1)
        [ -n "${c_rps:-}" ] && [ -n "${b_rps:-}" ] || die "could not read wrk results"
        ROWS+=("$load $run $c_rps $c_p50 $c_p99 $b_rps $b_p50 $b_p99 $(wc -c <"$TMP/$load-body.json")")
    done
    stop "$BARE_PID"
    BARE_PID=""
done
C_HWM=$(hwm_kb "$CCGATE_PID")

# --- report ------------------------------------------------------------------------------
python3 - "$C_HWM" "$THREADS" "$CONNECTIONS" "$DURATION" "$WORKERS" "$NUMBERS" \
    "$flows_total" "$bound_2017" "$bound_flows" "$LOG_FILTER" "$CCGATE" "${#WHAT[@]}" \
    "${WHAT[@]}" "${ROWS[@]}" <<'EOF' | tee "${RESULTS:-/dev/null}"
import sys
(c_hwm, threads, conns, dur, workers, numbers, flows, bound, bound_flows, log_filter, binary,
 n_what) = sys.argv[1:13]
what = dict(w.split("=", 1) for w in sys.argv[13:13 + int(n_what)])
rows = [r.split() for r in sys.argv[13 + int(n_what):]]
print(f"wrk -t{threads} -c{conns} -d{dur}s --latency; workers={workers} (0 = one per core); "
      f"instance ccc-test: {int(numbers):,} numbers, {flows} contact flows, {bound} numbers "
      f"bound to {bound_flows} of them; ccgate {binary} with CCGATE__LOG__FILTER={log_filter}; "
      f"bare actix-web answers the bytes ccgate answered to the load's first request\n")
for load, text in what.items():
    print(f"- {load}: {text}")
print()
print("| load | run | server | requests/s | p50 | p99 | body |")
print("|---|---|---|---:|---:|---:|---:|")
for load, run, c_rps, c_p50, c_p99, b_rps, b_p50, b_p99, size in rows:
    print(f"| {load} | {run} | ccgate | {float(c_rps):,.0f} | {int(c_p50)/1000:.2f} ms | {int(c_p99)/1000:.2f} ms | |")
    print(f"| {load} | {run} | bare actix-web | {float(b_rps):,.0f} | {int(b_p50)/1000:.2f} ms | {int(b_p99)/1000:.2f} ms | {int(size):,} B |")
print()
# Targets: every load >= 25% of bare; the contact-flow lists also p99 <= 5 ms (issue 15).
for load, run, c_rps, _, c_p99, b_rps, *_ in rows:
    ratio = float(c_rps) / float(b_rps)
    verdict = "meets" if ratio >= 0.25 else "BELOW"
    line = f"{load} run {run}: ccgate / bare = {ratio:.1%} ({verdict} the 25% target)"
    if load.startswith("flows"):
        ok = int(c_p99) <= 5000
        line += f"; p99 {int(c_p99)/1000:.2f} ms ({'meets' if ok else 'ABOVE'} the 5 ms target)"
    print(line)
print(f"\nccgate peak RSS (VmHWM at the end of all runs, restarted after seeding): "
      f"{int(c_hwm)/1024:.1f} MiB")
EOF

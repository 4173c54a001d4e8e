#!/usr/bin/env bash
# Load test of the agents plugin over loopback (docs/benchmarks.md, "Agents (issue 11)"):
# ccgate (release, SQLite) holding 5,000 agents in 50 skill groups, half of them signed in,
# under wrk with
#   1. `list`: signed 2020-07-01 ListRealtimeAgentStates, PageSize 100, PageNumber cycling
#      1..50 (the whole instance, no filter), then the bare actix-web baseline
#      (crates/gateway/examples/bare_actix.rs answering the bytes ccgate answered for page 1);
#   2. `transition`: signed 2020-07-01 TakeBreak / ReadyForService alternating over the 2,500
#      signed-in agents (each one a state row, a state-log entry and an event in one write
#      transaction), then bare actix-web (answering the bytes of one TakeBreak answer).
#   3. the agent directory's other list actions that take AccessKey signatures, on the same
#      instance (LOADS below): `users` 2017 ListUsers (PageSize 100, PageNumber 1..50),
#      `skillgroups` 2017 ListSkillGroups (all 50), `agentstates` 2017 ListAgentStates
#      (PageSize 100, pages 1..50), `groupstates` 2017 ListSkillGroupStates (PageSize 50,
#      page 1), `statelogs` 2020 ListAgentStateLogs (one agent, default range: today) and
#      `events` 2017 ListAgentEvents (one agent by RamId); and with a Bearer token of the demo
#      account (these accept no AccessKey): `usersofgroup` 2017 ListUsersOfSkillGroup (one
#      group's members, PageSize 100, pages 1..2), `groupsofuser` 2017 ListSkillGroupsOfUser
#      (one agent), `roles` 2017 ListRoles and `realtimeagent` 2017 ListRealTimeAgent (every
#      agent of the instance in one answer: the seed's action is unpaged).
#   4. the other lists about agents: `findusers` 2017 FindUsers (Criteria agent01: 1,000 of
#      the agents, PageSize 100, pages 1..10); `devices` 2017 ListAgentDevices (RamIds of 100
#      agents, the last 24 hours: 500 records) and `devicesall` (no RamIds: the instance's
#      newest records of the last 24 hours, at most 1,000) over DEVICES device records per
#      agent and day for 7 days (175,000 by default); `configitems` 2020 ListConfigItems (one
#      agent's scope), `config` 2017 ListConfig (Bearer: the instance's effective values) and
#      `turnservers` 2017 GetTURNServerList (three servers in [[plugins.workbench.turn.servers]]),
#      after UpdateConfigItems at the instance, every skill group and every tenth agent.
# Prints requests/s, p50 and p99 of every run as a Markdown table, and ccgate / bare.
#
# Usage: bench/agents.sh          (from anywhere; settings via environment)
#   THREADS=2 CONNECTIONS=32 DURATION=15   wrk -t/-c/-d (seconds)
#   RUNS=1                                 wrk runs per load and server
#   LOADS="list transition users skillgroups usersofgroup groupsofuser agentstates groupstates roles statelogs events findusers devices devicesall configitems config turnservers"
#                                          (+ realtimeagent, alone with THREADS=1 CONNECTIONS=2)
#   WORKERS=0                              HTTP workers of both servers (0 = one per core)
#   USERS=5000 SKILL_GROUPS=50             agents and skill groups seeded
#   DEVICES=5                              device records per agent and day (7 days)
#   MAX_RPS=10000                          signed requests generated per run and load =
#                                          MAX_RPS*DURATION; a run that exhausts them fails
#   FAST_MAX_RPS=100000                    the same for the loads that answer without the
#                                          database (turnservers: ~60,000 req/s)
#   CCGATE_PORT=18080 BARE_PORT=18081      loopback ports
#   RESULTS=FILE                           also write the Markdown table to FILE
#   LOG_FILTER=warn                        ccgate's CCGATE__LOG__FILTER
#   CCGATE_BIN=PATH                        serve with this ccgate binary (no cargo build)
#   BARE_BIN=PATH                          this bare_actix binary (no cargo build)
#
# Seeding: the skill groups and users are inserted straight into ccgate's SQLite file
# (bench/agents.py sql; 2017 CreateSkillGroup / CreateUser are not served yet), with the agent
# device records, then the agents are signed in over HTTP with signed 2020 SignInGroup
# (+ ReadyForService / TakeBreak) requests (bench/agents.py signin, 8 concurrent connections)
# and the configuration items set with UpdateConfigItems (bench/agents.py config). ccgate is restarted after seeding so peak
# RSS covers serving only. Installs nothing except wrk (as bench/run.sh does).
set -euo pipefail

THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
RUNS=${RUNS:-1}
WORKERS=${WORKERS:-0}
USERS=${USERS:-5000}
SKILL_GROUPS=${SKILL_GROUPS:-50}
DEVICES=${DEVICES:-5}
MAX_RPS=${MAX_RPS:-10000}
FAST_MAX_RPS=${FAST_MAX_RPS:-100000}
LOG_FILTER=${LOG_FILTER:-warn}
CCGATE_PORT=${CCGATE_PORT:-18080}
BARE_PORT=${BARE_PORT:-18081}
INSTANCE=ccc-test
PAGES=$(((USERS + 99) / 100))
# realtimeagent is not in the default: its 3 MB answers outlive wrk's 2 s timeout at 32
# connections; run it alone with THREADS=1 CONNECTIONS=2 LOADS=realtimeagent.
LOADS=${LOADS:-list transition users skillgroups usersofgroup groupsofuser agentstates groupstates roles statelogs events findusers devices devicesall configitems config turnservers}
# Loads whose action accepts only Bearer tokens (`ccgate token issue` for the demo account).
BEARER_LOADS=" usersofgroup groupsofuser roles realtimeagent config "
# The first skill group and the first agent, as bench/agents.py seeds them.
GROUP0=00000000-0000-4000-8000-000000000000
USER0=00000000-0000-4000-9000-000000000000
# ListAgentDevices: the RamIds of the first 100 agents (bench/agents.py), the last 24 hours.
RAM100=$(seq -s, 1000000000000000 1000000000000099)
STOP_MS=$(($(date +%s) * 1000))
START_MS=$((STOP_MS - 86400000))

# A list load's action, version, pages (0 = unpaged), page size and fixed parameters.
load_spec() { # load -> "action version pages page_size [K=V ...]"
    case $1 in
    list) echo "ListRealtimeAgentStates 2020-07-01 $PAGES 100" ;;
    users) echo "ListUsers 2017-07-05 $PAGES 100" ;;
    skillgroups) echo "ListSkillGroups 2017-07-05 0 0" ;;
    usersofgroup) echo "ListUsersOfSkillGroup 2017-07-05 2 100 SkillGroupId=$GROUP0" ;;
    groupsofuser) echo "ListSkillGroupsOfUser 2017-07-05 0 0 UserId=$USER0" ;;
    agentstates) echo "ListAgentStates 2017-07-05 $PAGES 100" ;;
    groupstates) echo "ListSkillGroupStates 2017-07-05 1 50" ;;
    roles) echo "ListRoles 2017-07-05 0 0" ;;
    realtimeagent) echo "ListRealTimeAgent 2017-07-05 0 0" ;;
    statelogs) echo "ListAgentStateLogs 2020-07-01 0 0 AgentId=agent00000@$INSTANCE" ;;
    events) echo "ListAgentEvents 2017-07-05 0 0 RamId.1=1000000000000000" ;;
    findusers) echo "FindUsers 2017-07-05 10 100 Criteria=agent01" ;;
    devices) echo "ListAgentDevices 2017-07-05 0 0 RamIds=$RAM100 StartTime=$START_MS StopTime=$STOP_MS" ;;
    devicesall) echo "ListAgentDevices 2017-07-05 0 0 StartTime=$START_MS StopTime=$STOP_MS" ;;
    configitems) echo "ListConfigItems 2020-07-01 0 0 ObjectType=user ObjectId=$USER0" ;;
    config) echo "ListConfig 2017-07-05 0 0" ;;
    turnservers) echo "GetTURNServerList 2017-07-05 0 0" ;;
    *) return 1 ;;
    esac
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

# --- wrk and build -----------------------------------------------------------------------
need_wrk
TARGET=$(target_dir)
build_binaries 1
check_binaries 1

# --- temp dir and clean-up ---------------------------------------------------------------
bench_tmp ccgate-agents

# --- ccgate: first start (migrates, demo key), seed, sign in -----------------------------
# Three TURN servers for GetTURNServerList (a settings file: an array of tables has no
# environment form).
cat >"$TMP/bench.toml" <<'EOF'
[[plugins.workbench.turn.servers]]
region = "cn-shanghai"
name = "turn-sh-1"
domain = "turn-sh-1.example.com:3478"
cidr = "10.1.0.0/16"

[[plugins.workbench.turn.servers]]
region = "cn-beijing"
name = "turn-bj-1"
domain = "turn-bj-1.example.com:3478"
cidr = "10.2.0.0/16"

[[plugins.workbench.turn.servers]]
region = "cn-hangzhou"
name = "turn-hz-1"
domain = "turn-hz-1.example.com:3478"
cidr = "10.3.0.0/16"
EOF
export CCGATE_CONFIG="$TMP/bench.toml"
first_start "SQLite in $TMP"
stop "$CCGATE_PID"

log "seeding $USERS users in $SKILL_GROUPS skill groups and $DEVICES device records per agent" \
    "and day for 7 days (SQL into $TMP/ccgate.db)"
t0=$(date +%s.%N)
python3 bench/agents.py sql "$TMP/ccgate.db" --users "$USERS" --groups "$SKILL_GROUPS" \
    --devices "$DEVICES" --days 7
log "seeded in $(elapsed "$t0") s"
start_ccgate
log "signing in every second agent (SignInGroup, then ReadyForService / TakeBreak)"
t0=$(date +%s.%N)
python3 bench/agents.py signin "$CCGATE_ENDPOINT" --ak "$AK" --sk "$SK" --users "$USERS" \
    --groups "$SKILL_GROUPS"
log "signed in in $(elapsed "$t0") s"
python3 bench/agents.py config "$CCGATE_ENDPOINT" --ak "$AK" --sk "$SK" --users "$USERS" \
    --groups "$SKILL_GROUPS"
"$CCGATE" call ListRealtimeAgentStates --api-version 2020-07-01 "InstanceId=$INSTANCE" \
    PageNumber=1 PageSize=100 >"$TMP/page1.json"
"$CCGATE" call ListRealtimeAgentStates --api-version 2020-07-01 "InstanceId=$INSTANCE" \
    'StateList=["Ready","Break"]' PageNumber=1 PageSize=1 >"$TMP/signed.json"
read -r total signed < <(python3 - "$TMP/page1.json" "$TMP/signed.json" <<'EOF'
import json, sys
page, signed = (json.load(open(p)) for p in sys.argv[1:3])
print(page["Data"]["TotalCount"], signed["Data"]["TotalCount"])
EOF
)
[ "$total" = "$USERS" ] || die "expected $USERS agents, ccgate lists $total"
[ "$signed" = "$((USERS / 2))" ] || die "expected $((USERS / 2)) signed-in agents, ccgate lists $signed"
log "ccgate lists $total agents, $signed signed in"

restart_ccgate

# The bytes bare_actix answers: what ccgate answers (each list's first page; one TakeBreak).
signed_target() { # version action params... -> a signed GET target (`ccgate call` prints the
    # JSON reformatted: sign with agents.py and fetch the bytes with curl); Bearer with $BEARER
    python3 - "$AK" "$SK" "${BEARER:-}" "$@" <<'EOF'
import sys
sys.path.insert(0, "bench")
import agents
ak, sk, bearer, version, action, *pairs = sys.argv[1:]
print(agents.Signer(ak, sk, bearer).target(action, dict(p.split("=", 1) for p in pairs), version))
EOF
}
cli() { # ccgate admin commands on the bench's database
    (cd "$TMP" && CCGATE__DATABASE__URL="sqlite://$TMP/ccgate.db?mode=rwc" \
        CCGATE__SECURITY__MASTER_KEY_FILE="$TMP/master.key" "$CCGATE" "$@")
}
ACCOUNT=$(cli account list | awk -F'\t' 'NF > 1 {print $1; exit}')
[ -n "$ACCOUNT" ] || die "no account in the bench database"
TOKEN=$(cli token issue --account "$ACCOUNT" --ttl 86400 | tail -1)
[ -n "$TOKEN" ] || die "could not issue a Bearer token"
bearer_for() { # load -> the token if the load is Bearer-only, else nothing
    [[ $BEARER_LOADS == *" $1 "* ]] && echo "$TOKEN" || true
}
for load in $LOADS; do
    [ "$load" != transition ] || continue
    read -r action version pages size fixed < <(load_spec "$load") || die "unknown load $load"
    paging=()
    [ "$pages" = 0 ] || paging=(PageNumber=1 "PageSize=$size")
    # shellcheck disable=SC2086 # fixed holds K=V words
    curl -fsS "$CCGATE_ENDPOINT$(BEARER=$(bearer_for "$load") signed_target "$version" "$action" "${paging[@]}" $fixed)" \
        >"$TMP/$load-body.json" || die "$action failed"
    python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); sys.exit(b.get("Success") is False or b.get("Code") not in (None, "OK", "200"))' \
        "$TMP/$load-body.json" || die "$action answered an error: $(head -c 300 "$TMP/$load-body.json")"
done
curl -fsS "$CCGATE_ENDPOINT$(signed_target 2020-07-01 TakeBreak UserId=agent00000@$INSTANCE Code=Lunch)" \
    >"$TMP/transition-body.json"

# --- wrk ---------------------------------------------------------------------------------
count_of() { # load -> the signed requests to generate for one run of it
    case $1 in
    turnservers) echo $((FAST_MAX_RPS * DURATION)) ;;
    *) echo $((MAX_RPS * DURATION)) ;;
    esac
}

declare -a ROWS=()
for load in $LOADS; do
    body="$TMP/$load-body.json"
    COUNT=$(count_of "$load")
    for ((run = 1; run <= RUNS; run++)); do
        log "$load run $run/$RUNS: signing $COUNT requests ($THREADS files)"
        rm -rf "$TMP/urls"
        t0=$(date +%s.%N)
        if [ "$load" != transition ]; then
            read -r action version pages size fixed < <(load_spec "$load")
            params=()
            for kv in $fixed; do params+=(--param "$kv"); done
            python3 bench/agents.py list --ak "$AK" --sk "$SK" --count "$COUNT" \
                --threads "$THREADS" --action "$action" --version "$version" --pages "$pages" \
                --page-size "$size" "${params[@]}" --bearer "$(bearer_for "$load")" --out "$TMP/urls"
        else
            python3 bench/agents.py transition --ak "$AK" --sk "$SK" --count "$COUNT" \
                --threads "$THREADS" --users "$USERS" --out "$TMP/urls"
        fi
        log "generated in $(elapsed "$t0") s"
        # Bearer targets carry no nonce: wrk may wrap around them.
        wrap=0
        [ -z "$(bearer_for "$load")" ] || wrap=1
        read -r c_rps c_p50 c_p99 < <(run_wrk "ccgate-$load" "$CCGATE_ENDPOINT" "$wrap")
        start_bare "$body"
        read -r b_rps b_p50 b_p99 < <(run_wrk "bare-$load" "http://127.0.0.1:$BARE_PORT" 1)
        B_HWM=$(hwm_kb "$BARE_PID")
        stop "$BARE_PID"
        BARE_PID=""
        [ -n "${c_rps:-}" ] && [ -n "${b_rps:-}" ] || die "could not read wrk results"
        ROWS+=("$load $run $c_rps $c_p50 $c_p99 $b_rps $b_p50 $b_p99 $(wc -c <"$body")")
    done
done
C_HWM=$(hwm_kb "$CCGATE_PID")
LOGS=$(python3 - "$TMP/ccgate.db" <<'EOF'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM agents_state_log").fetchone()[0])
EOF
)

# --- report ------------------------------------------------------------------------------
python3 - "$C_HWM" "${B_HWM:-0}" "$THREADS" "$CONNECTIONS" "$DURATION" "$WORKERS" "$USERS" \
    "$SKILL_GROUPS" "$LOG_FILTER" "$CCGATE" "$LOGS" "${ROWS[@]}" <<'EOF' | tee "${RESULTS:-/dev/null}"
import sys
c_hwm, b_hwm, threads, conns, dur, workers, users, groups, log_filter, binary, logs = sys.argv[1:12]
rows = [r.split() for r in sys.argv[12:]]
print(f"wrk -t{threads} -c{conns} -d{dur}s --latency; workers={workers} (0 = one per core); "
      f"{users} agents in {groups} skill groups, {int(users)//2} signed in; ccgate {binary} "
      f"with CCGATE__LOG__FILTER={log_filter}\n")
pages = (int(users) + 99) // 100
what = {
    "list": "ListRealtimeAgentStates 2020, PageSize 100, PageNumber 1..%d" % pages,
    "transition": "TakeBreak / ReadyForService 2020, alternating over the signed-in agents",
    "users": "ListUsers 2017, PageSize 100, PageNumber 1..%d" % pages,
    "skillgroups": "ListSkillGroups 2017, all %s groups" % groups,
    "usersofgroup": "ListUsersOfSkillGroup 2017, one group, PageSize 100, PageNumber 1..2",
    "groupsofuser": "ListSkillGroupsOfUser 2017, one agent",
    "agentstates": "ListAgentStates 2017, PageSize 100, PageNumber 1..%d" % pages,
    "groupstates": "ListSkillGroupStates 2017, PageSize 50, page 1",
    "roles": "ListRoles 2017",
    "realtimeagent": "ListRealTimeAgent 2017, all agents (unpaged)",
    "statelogs": "ListAgentStateLogs 2020, one agent, today",
    "events": "ListAgentEvents 2017, one agent",
    "findusers": "FindUsers 2017, Criteria agent01 (1,000 agents), PageSize 100, PageNumber 1..10",
    "devices": "ListAgentDevices 2017, RamIds of 100 agents, the last 24 hours",
    "devicesall": "ListAgentDevices 2017, no RamIds (the instance), the last 24 hours, at most 1,000",
    "configitems": "ListConfigItems 2020, one agent's scope",
    "config": "ListConfig 2017 (Bearer), the instance's effective values",
    "turnservers": "GetTURNServerList 2017, three servers",
}
print("| load | run | server | requests/s | p50 | p99 | body |")
print("|---|---|---|---:|---:|---:|---:|")
for load, run, c_rps, c_p50, c_p99, b_rps, b_p50, b_p99, size in rows:
    print(f"| {load} | {run} | ccgate | {float(c_rps):,.0f} | {int(c_p50)/1000:.2f} ms | {int(c_p99)/1000:.2f} ms | |")
    print(f"| {load} | {run} | bare actix-web | {float(b_rps):,.0f} | {int(b_p50)/1000:.2f} ms | {int(b_p99)/1000:.2f} ms | {int(size):,} B |")
print()
for load, run, c_rps, _, _, b_rps, *_ in rows:
    print(f"{load} run {run} ({what[load]}): ccgate / bare = {float(c_rps) / float(b_rps):.1%}")
print(f"\nccgate peak RSS (VmHWM, restarted after seeding): {int(c_hwm)/1024:.1f} MiB; "
      f"state-log rows at the end: {int(logs):,}")
EOF

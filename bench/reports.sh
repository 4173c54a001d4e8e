#!/usr/bin/env bash
# The reports benchmark of issue 13 (docs/benchmarks.md, "Reports (issue 13)"), per database:
#   1. seed: plugins/reports/examples/seed_reports.rs (release) writes one instance with
#      AGENTS agents in GROUPS skill groups and CALLS calls over MONTHS months of working days
#      with the agents' state changes, then rebuilds the rollups (timings per phase);
#   2. criterion: `cargo bench -p ccgate-reports --bench reports` on that database
#      (REPORTS_BENCH_DB): criterion means and p50/p99 of single calls (PERCENTILES lines);
#   3. wrk: the release ccgate serving that database, then the bare actix-web server
#      (crates/gateway/examples/bare_actix.rs) answering the bytes ccgate answered, with the same
#      requests: ListAgentSummaryReports over the last 30 days (PageSize 100, pages 1..5),
#      GetInstanceSummaryReport over the 12 months, and ListCallDetailRecords pages (PageSize 20)
#      with the time range only (last day; 12 months) and with one filter over 12 months
#      (ContactType, ContactDisposition, Criteria = a customer number or a skill group's name, PhoneNumber, ContactId);
#      and the other report lists: ListSkillGroupSummaryReports (30 days),
#      ListAgentSummaryReportsByInterval (30 days, Daily, PageSize 20, pages 1..5),
#      ListSkillGroupSummaryReportsByInterval (30 days, Daily), the two SinceMidnight lists and
#      ListCallMeasureSummaryReports (Monthly).
#      Requests carry a Bearer token (`ccgate token issue`; wrk cannot sign each request, and a
#      Bearer request needs no nonce), so wrk repeats the same targets.
# Prints requests/s, p50 and p99 per load and server as a Markdown table.
#
# Usage: bench/reports.sh                 (from anywhere; settings via environment)
#   DATABASES="sqlite postgres"           which databases
#   SQLITE_PATH=target/bench-reports/bench_reports.db
#   PG_URL=postgres://postgres@127.0.0.1:5432/bench_reports   (created when missing; never `test`)
#   CALLS=1000000 AGENTS=500 SKILL_GROUPS=20 MONTHS=12 INSTANCE=bench-inst END=<today, UTC>
#   SEED=1 CRITERION=1 WRK=1               0 skips a step (SEED=0 reuses the seeded databases)
#   CRITERION_ARGS="--measurement-time 3 --warm-up-time 1 --sample-size 20"
#   CCBENCH_SAMPLES=300                    single calls timed per criterion benchmark (p50/p99)
#   THREADS=2 CONNECTIONS=32 DURATION=10   wrk -t/-c/-d (seconds)
#   LOADS=REGEX                            only the wrk loads whose name matches (e.g. 'Criteria')
#   WORKERS=0                              HTTP workers of both servers (0 = one per core)
#   CCGATE_PORT=18090 BARE_PORT=18091 LOG_FILTER=warn
#   CCGATE_BIN=PATH BARE_BIN=PATH SEEDER_BIN=PATH   use these binaries (no cargo build)
#   RESULTS=FILE                           also append the Markdown tables to FILE
#
# The core account `reports-bench`, instance INSTANCE and a Bearer token are made with the
# ccgate CLI (`ccgate account create`, `instance create`, `token issue`) on the seeded
# database; the master key lives in target/bench-reports/ so a reseeded PostgreSQL database
# keeps working with its stored signing key.
set -euo pipefail

DATABASES=${DATABASES:-sqlite postgres}
CALLS=${CALLS:-1000000}
AGENTS=${AGENTS:-500}
SKILL_GROUPS=${SKILL_GROUPS:-20}
MONTHS=${MONTHS:-12}
INSTANCE=${INSTANCE:-bench-inst}
END=${END:-$(date -u +%F)}
SEED=${SEED:-1}
CRITERION=${CRITERION:-1}
WRK=${WRK:-1}
LOADS=${LOADS:-}
CRITERION_ARGS=${CRITERION_ARGS:---measurement-time 3 --warm-up-time 1 --sample-size 20}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-10}
WORKERS=${WORKERS:-0}
CCGATE_PORT=${CCGATE_PORT:-18090}
BARE_PORT=${BARE_PORT:-18091}
LOG_FILTER=${LOG_FILTER:-warn}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/bench_reports}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh

TARGET=$(target_dir)
STATE="$TARGET/bench-reports"
mkdir -p "$STATE"
SQLITE_PATH=${SQLITE_PATH:-$STATE/bench_reports.db}
case "$PG_URL" in */test | */postgres) die "PG_URL must name a scratch database, not $PG_URL" ;; esac

# --- build -------------------------------------------------------------------------------
if [ -z "${SEEDER_BIN:-}" ] && [ "$SEED$WRK" != 00 ]; then
    log "cargo build --release -p ccgate-reports --example seed_reports"
    cargo build --release -p ccgate-reports --example seed_reports
fi
SEEDER="${SEEDER_BIN:-$TARGET/release/examples/seed_reports}"
if [ "$WRK" = 1 ]; then # sets CCGATE and BARE (only the wrk step uses them)
    need_wrk
    build_binaries 1
fi

# --- temp dir and clean-up ---------------------------------------------------------------
bench_tmp ccgate-reports

url_of() { # db -> the sea-orm URL
    case $1 in
        sqlite) echo "sqlite://$SQLITE_PATH?mode=rwc" ;;
        postgres) echo "$PG_URL" ;;
        *) die "unknown database $1 (sqlite, postgres)" ;;
    esac
}

declare -a ROWS=()

for DB in $DATABASES; do
    URL=$(url_of "$DB")
    # --- 1. seed ---------------------------------------------------------------------------
    if [ "$SEED" = 1 ]; then
        if [ "$DB" = sqlite ]; then
            rm -f "$SQLITE_PATH" "$SQLITE_PATH-wal" "$SQLITE_PATH-shm"
        fi
        log "seeding $DB: $CALLS calls, $AGENTS agents, $SKILL_GROUPS groups, $MONTHS months to $END"
        "$SEEDER" --database "$URL" --calls "$CALLS" --agents "$AGENTS" --groups "$SKILL_GROUPS" \
            --months "$MONTHS" --instance "$INSTANCE" --end "$END" --reset --create-database |
            tee "$STATE/seed-$DB.txt"
    fi
    # --- 2. criterion ----------------------------------------------------------------------
    if [ "$CRITERION" = 1 ]; then
        log "criterion on $DB"
        # shellcheck disable=SC2086
        REPORTS_BENCH_DB="$URL" REPORTS_BENCH_INSTANCE="$INSTANCE" \
            cargo bench -p ccgate-reports --bench reports -- $CRITERION_ARGS 2>&1 |
            tee "$STATE/criterion-$DB.txt"
    fi
    [ "$WRK" = 1 ] || continue
    # --- 3. wrk ----------------------------------------------------------------------------
    eval "$("$SEEDER" --database "$URL" --instance "$INSTANCE" --describe)"
    export CCGATE__DATABASE__URL="$URL" CCGATE__SECURITY__MASTER_KEY_FILE="$STATE/master-$DB.key"
    export CCGATE__LOG__FILTER="$LOG_FILTER"
    ACCOUNT=$("$CCGATE" account list | awk -F'\t' '$2 == "reports-bench" {print $1; exit}')
    [ -n "$ACCOUNT" ] || ACCOUNT=$("$CCGATE" account create --name reports-bench | tail -1)
    if ! "$CCGATE" instance list | awk -F'\t' -v i="$INSTANCE" '$1 == i {f=1} END {exit !f}'; then
        "$CCGATE" instance create --account "$ACCOUNT" --id "$INSTANCE" --name "Reports benchmark" >/dev/null
    fi
    TOKEN=$("$CCGATE" token issue --account "$ACCOUNT" --ttl 86400 | tail -1)
    [ -n "$TOKEN" ] || die "no token"
    log "starting ccgate on 127.0.0.1:$CCGATE_PORT ($DB)"
    (
        cd "$TMP"
        exec env CCGATE__SERVER__BIND="127.0.0.1:$CCGATE_PORT" CCGATE__SERVER__WORKERS="$WORKERS" \
            "$CCGATE" serve
    ) >"$TMP/ccgate-$DB.out" 2>"$TMP/ccgate-$DB.err" &
    CCGATE_PID=$!
    wait_http "http://127.0.0.1:$CCGATE_PORT/healthz" "$CCGATE_PID" ccgate 60 ||
        { cat "$TMP/ccgate-$DB.err" >&2; exit 1; }

    common="Version=2017-07-05&Format=JSON&RegionId=cn-shanghai&SignatureType=BEARERTOKEN&BearerToken=$TOKEN&InstanceId=$INSTANCE"
    enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
    s30=$(enc "$FROM30_LOCAL 00:00:00")
    e30=$(enc "$LAST_LOCAL 23:59:59")
    s12=$(enc "$FIRST_LOCAL 00:00:00")
    cdr="Action=ListCallDetailRecords&PageNumber=1&PageSize=20"
    loads=(
        "agents_30d_page100|Action=ListAgentSummaryReports&StartTime=$s30&EndTime=$e30&PageSize=100&PageNumber=%PAGE%"
        "instance_12m|Action=GetInstanceSummaryReport&StartTime=$s12&EndTime=$e30"
        "groups_30d|Action=ListSkillGroupSummaryReports&StartTime=$s30&EndTime=$e30&PageSize=100&PageNumber=1"
        "agents_daily_30d_page20|Action=ListAgentSummaryReportsByInterval&StartTime=$s30&EndTime=$e30&Interval=Daily&PageSize=20&PageNumber=%PAGE%"
        "groups_daily_30d|Action=ListSkillGroupSummaryReportsByInterval&StartTime=$s30&EndTime=$e30&Interval=Daily&PageSize=100&PageNumber=1"
        "agents_since_midnight_page100|Action=ListAgentSummaryReportsSinceMidnight&PageSize=100&PageNumber=%PAGE%"
        "groups_since_midnight|Action=ListSkillGroupSummaryReportsSinceMidnight&PageSize=100&PageNumber=1"
        "call_measure_monthly|Action=ListCallMeasureSummaryReports&IntervalType=Monthly"
        "cdr_time_1d|$cdr&StartTime=$LAST_MS&StopTime=$END_MS"
        "cdr_time_12m|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS"
        "cdr_12m_ContactType=Inbound|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&ContactType=Inbound"
        "cdr_12m_ContactDisposition=AbandonedInQueue|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&ContactDisposition=AbandonedInQueue"
        "cdr_12m_ContactDisposition=Success|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&ContactDisposition=Success"
        "cdr_12m_Criteria=customer|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&Criteria=$CUSTOMER"
        "cdr_12m_Criteria=group|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&Criteria=group00"
        "cdr_12m_PhoneNumber|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&PhoneNumber=$NUMBER"
        "cdr_12m_ContactId|$cdr&StartTime=$FIRST_MS&StopTime=$END_MS&ContactId=$CONTACT"
    )
    for entry in "${loads[@]}"; do
        name=${entry%%|*}
        query=${entry#*|}
        [[ -z $LOADS || $name =~ $LOADS ]] || continue
        dir="$TMP/urls-$name"
        mkdir -p "$dir"
        : >"$dir/all.txt"
        if [[ $query == *%PAGE%* ]]; then
            for p in $(seq 1 $(((AGENTS + 99) / 100))); do
                echo "/?${query//%PAGE%/$p}&$common" >>"$dir/all.txt"
            done
        else
            echo "/?$query&$common" >"$dir/all.txt"
        fi
        for t in $(seq 1 "$THREADS"); do cp "$dir/all.txt" "$dir/urls.$t.txt"; done
        first_target=$(head -1 "$dir/all.txt")
        curl -fsS "http://127.0.0.1:$CCGATE_PORT$first_target" >"$TMP/body-$name.json" ||
            die "ccgate refused $name: $(curl -sS "http://127.0.0.1:$CCGATE_PORT$first_target")"
        python3 - "$TMP/body-$name.json" "$name" <<'EOF' >&2
import json, sys
b = json.load(open(sys.argv[1]))
paged = [v for k, v in b.items() if k.startswith("Paged") or k == "CallDetailRecords"]
if paged and isinstance(paged[0], dict) and "TotalCount" in paged[0]:
    d = paged[0]
    lst = d.get("List")
    rows = lst if isinstance(lst, list) else next(iter((lst or {}).values()), [])
    print(f"  {sys.argv[2]}: TotalCount {d['TotalCount']}, {len(rows)} rows")
elif "InstanceSummaryReport" in b:
    print(f"  {sys.argv[2]}: TotalCalls {b['InstanceSummaryReport']['Overall']['TotalCalls']}")
else:
    print(f"  {sys.argv[2]}: answered {', '.join(sorted(b))}")
EOF
        run_wrk_row() { # label url -> "rps p50_us p99_us non2xx+socket_errors" (bench/lib.sh's
            # run_wrk stops the script on a failed run)
            local out="$TMP/wrk-$DB-$name-$1.txt"
            log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency $2 ($DB $name, $1)"
            # A load that fails (errors, timeouts) is reported in its row; the others still run.
            if ! CCBENCH_URLS="$dir" CCBENCH_WRAP=1 wrk -t"$THREADS" -c"$CONNECTIONS" \
                -d"${DURATION}s" --latency -s bench/list_phone_numbers.lua "$2" >"$out" 2>&1; then
                cat "$out" >&2
                log "wrk against $1 had errors ($DB $name)"
            fi
            sed -n 's/^CCBENCH .*rps=\([0-9.]*\) .*p50_us=\([0-9]*\) .*p99_us=\([0-9]*\) .*non2xx=\([0-9]*\) socket_errors=\([0-9]*\).*/\1 \2 \3 \4+\5/p' "$out"
        }
        read -r c_rps c_p50 c_p99 c_err < <(run_wrk_row ccgate "http://127.0.0.1:$CCGATE_PORT")
        start_bare "$TMP/body-$name.json" 60
        read -r b_rps b_p50 b_p99 b_err < <(run_wrk_row bare "http://127.0.0.1:$BARE_PORT")
        stop "$BARE_PID"
        BARE_PID=""
        [ -n "${c_rps:-}" ] && [ -n "${b_rps:-}" ] || die "could not read wrk results"
        ROWS+=("$DB $name $c_rps $c_p50 $c_p99 $b_rps $b_p50 $b_p99 $(wc -c <"$TMP/body-$name.json") $c_err")
        # Each row as soon as it is measured (a later failure keeps the earlier figures).
        echo "ROW ${ROWS[-1]}" >&2
    done
    stop "$CCGATE_PID"
    CCGATE_PID=""
    unset CCGATE__DATABASE__URL CCGATE__SECURITY__MASTER_KEY_FILE
done

[ "${#ROWS[@]}" -gt 0 ] || exit 0
python3 - "$THREADS" "$CONNECTIONS" "$DURATION" "$WORKERS" "$CALLS" "$AGENTS" "$SKILL_GROUPS" \
    "$MONTHS" "$LOG_FILTER" "${ROWS[@]}" <<'EOF' | tee -a "${RESULTS:-/dev/null}"
import sys
threads, conns, dur, workers, calls, agents, groups, months, log_filter = sys.argv[1:10]
rows = [r.split() for r in sys.argv[10:]]
print(f"wrk -t{threads} -c{conns} -d{dur}s --latency; workers={workers} (0 = one per core); "
      f"{int(calls):,} calls, {agents} agents in {groups} skill groups, {months} months; "
      f"CCGATE__LOG__FILTER={log_filter}; Bearer token\n")
print("| database | load | ccgate req/s | ccgate p50 | ccgate p99 | bare req/s | bare p50 | bare p99 | body | ccgate errors (non-2xx+socket) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for db, load, c_rps, c_p50, c_p99, b_rps, b_p50, b_p99, size, c_err in rows:
    print(f"| {db} | {load} | {float(c_rps):,.0f} | {int(c_p50)/1000:.2f} ms | {int(c_p99)/1000:.2f} ms "
          f"| {float(b_rps):,.0f} | {int(b_p50)/1000:.2f} ms | {int(b_p99)/1000:.2f} ms | {int(size):,} B | {c_err} |")
EOF

#!/usr/bin/env bash
# Lists while people write (issue 15): ccgate holding one seeded instance, ccc-test, with 10,000
# numbers and 30 contact flows (300 of the numbers bound to 3 of the flows; the seeding of
# bench/run.sh, bench/seed.sh), serving signed 2020-07-01 ListPhoneNumbers (PageSize 20,
# PageNumber cycling 1..100, the numbers2020 load of bench/run.sh) to wrk while bench/writer.py
# sends WRITES_PER_SEC signed writes beside it: AddPhoneNumber, ModifyPhoneNumber and
# RemovePhoneNumber in equal shares, at a steady rate, removing only numbers it added itself (so
# the instance stays at ~10,000). Each level is followed by the bare actix-web baseline
# (crates/gateway/examples/bare_actix.rs answering the bytes ccgate answered to page 1; no
# writer then: bare has nothing to write). Prints, per level and run, writes/s asked and sent
# → ccgate requests/s, p50, p99, bare requests/s, ccgate / bare, writer errors and the writes'
# p99, as a Markdown table, against the issue's target (ccgate / bare ≥ 0.15 with 200 writes/s,
# 0 errors). See docs/benchmarks.md ("Lists under writes").
#
# Usage: bench/writes.sh          (from anywhere; settings via environment)
#   WRITES_PER_SEC="0 50 100 200"          the levels, in this order (writes per second)
#   THREADS=2 CONNECTIONS=32 DURATION=15   wrk -t/-c/-d (seconds); the writer runs a second
#                                          longer than wrk, started before it
#   RUNS=1                                 runs per level (ccgate with the writer, then bare)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/<fresh db>
#                                          serve from PostgreSQL instead of SQLite (default):
#                                          the script creates that database with psql (it must
#                                          not exist) and drops it at the end (KEEP_DB=1 keeps it)
#   WORKERS=0                              HTTP workers of both servers (0 = one per core)
#   NUMBERS=10000 FLOWS=30 BOUND_FLOWS=3 BOUND_NUMBERS=300   the seeding, as in bench/run.sh
#                                          (NUMBERS ≤ 10,000: the writer reads the ids it
#                                          modifies with one 2017 ListPhoneNumbers)
#   WRITER_WORKERS=8 WRITER_POOL=20        writer threads; numbers the writer adds (untimed)
#                                          before its timed writes, so a Remove always has one
#   MAX_RPS=120000                         signed list requests per run = MAX_RPS*DURATION
#   CCGATE_PORT=18080 BARE_PORT=18081      loopback ports
#   RESULTS=FILE                           also write the Markdown table to FILE
#   LOG_FILTER=warn                        ccgate's CCGATE__LOG__FILTER
#   CCGATE_BIN=PATH  BARE_BIN=PATH         these binaries instead of building release ones
#   CHECK=1                                dry run, no wrk and no bare_actix: small seeding
#                                          (NUMBERS=1000, FLOWS=3, BOUND_NUMBERS=30 unless set),
#                                          levels "0 50 200" of DURATION=3 s each, with a
#                                          Python reader sending signed list requests during the
#                                          writes (every answer must be 200 with a plausible
#                                          TotalCount) and, after each level, the instance's
#                                          TotalCount checked equal to NUMBERS (the writer
#                                          removed what it added). With no CCGATE_BIN it builds
#                                          and uses the debug binary.
#
# Installs nothing except wrk: when it is missing and we are root, `apt-get update` then
# `apt-get install -y wrk`.
set -euo pipefail

CHECK=${CHECK:-0}
if [ "$CHECK" = 1 ]; then
    NUMBERS=${NUMBERS:-1000}
    FLOWS=${FLOWS:-3}
    BOUND_NUMBERS=${BOUND_NUMBERS:-30}
    WRITES_PER_SEC=${WRITES_PER_SEC:-0 50 200}
    DURATION=${DURATION:-3}
fi
WRITES_PER_SEC=${WRITES_PER_SEC:-0 50 100 200}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-15}
RUNS=${RUNS:-1}
WORKERS=${WORKERS:-0}
NUMBERS=${NUMBERS:-10000}
FLOWS=${FLOWS:-30}
BOUND_FLOWS=${BOUND_FLOWS:-3}
BOUND_NUMBERS=${BOUND_NUMBERS:-300}
WRITER_WORKERS=${WRITER_WORKERS:-8}
WRITER_POOL=${WRITER_POOL:-20}
MAX_RPS=${MAX_RPS:-120000}
LOG_FILTER=${LOG_FILTER:-warn}
CCGATE_PORT=${CCGATE_PORT:-18080}
BARE_PORT=${BARE_PORT:-18081}
DATABASE_URL=${DATABASE_URL:-}
KEEP_DB=${KEEP_DB:-0}
INSTANCE=ccc-test

# Binaries given relative to where the script was started from (ccgate runs in a temp dir).
for var in CCGATE_BIN BARE_BIN; do
    if [ -n "${!var:-}" ]; then
        [ -e "${!var}" ] || { printf 'writes.sh: %s=%s does not exist\n' "$var" "${!var}" >&2; exit 1; }
        printf -v "$var" '%s' "$(realpath "${!var}")"
    fi
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
# shellcheck source=bench/lib.sh
. bench/lib.sh
# shellcheck source=bench/seed.sh
. bench/seed.sh

for w in $WRITES_PER_SEC; do
    [[ $w =~ ^[0-9]+$ ]] || die "WRITES_PER_SEC: $w is not a whole number of writes per second"
done
[ "$BOUND_FLOWS" -le "$FLOWS" ] || die "BOUND_FLOWS ($BOUND_FLOWS) > FLOWS ($FLOWS)"
[ "$BOUND_NUMBERS" -le "$NUMBERS" ] || die "BOUND_NUMBERS ($BOUND_NUMBERS) > NUMBERS ($NUMBERS)"
[ "$NUMBERS" -le 10000 ] || die "NUMBERS ($NUMBERS) > 10,000 (the writer lists them with 2017 ListPhoneNumbers)"

# --- wrk and build (CHECK=1 needs neither wrk nor bare_actix) -----------------------------
WITH_BARE=1
if [ "$CHECK" = 1 ]; then WITH_BARE=0; else need_wrk; fi
TARGET=$(target_dir)
if [ -z "${CCGATE_BIN:-}" ] && [ "$CHECK" = 1 ]; then
    log "cargo build -p ccgate (debug, CHECK=1)"
    cargo build -p ccgate
    CCGATE_BIN=$TARGET/debug/ccgate
fi
build_binaries "$WITH_BARE"
check_binaries "$WITH_BARE"

# --- temp dir, database and clean-up -----------------------------------------------------
WRITER_PID=""
PG_MAINT=""
PG_DB=""
cleanup_writes() { # bench/lib.sh's cleanup, with the writer and the PostgreSQL database
    stop "$WRITER_PID"
    stop "$CCGATE_PID"
    stop "$BARE_PID"
    if [ -n "$PG_DB" ]; then
        if [ "$KEEP_DB" = 1 ]; then
            log "kept database $PG_DB (KEEP_DB=1)"
        else
            psql "$PG_MAINT" -qc "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >&2 ||
                printf 'writes.sh: could not drop database %s\n' "$PG_DB" >&2
        fi
    fi
    rm -rf "$TMP"
}
bench_tmp ccgate-writes cleanup_writes

if [ -n "$DATABASE_URL" ]; then
    case $DATABASE_URL in
    postgres://* | postgresql://*) ;;
    *) die "DATABASE_URL must be postgres://USER@HOST:PORT/DB (SQLite is the default: leave it unset)" ;;
    esac
    command -v psql >/dev/null 2>&1 || die "psql is needed to create the database of DATABASE_URL"
    name=${DATABASE_URL##*/}
    name=${name%%\?*}
    [[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || die "DATABASE_URL: database name '$name' (use [a-z0-9_])"
    PG_MAINT="${DATABASE_URL%/*}/postgres"
    exists=$(psql "$PG_MAINT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'") ||
        die "cannot reach PostgreSQL at ${DATABASE_URL%/*}"
    [ -z "$exists" ] || die "database $name exists: name a fresh one (this script creates and drops it)"
    psql "$PG_MAINT" -qc "CREATE DATABASE \"$name\"" || die "could not create database $name"
    PG_DB=$name
    DB_URL=$DATABASE_URL
    DB_DESC="PostgreSQL ($name, created for this run)"
else
    DB_URL="sqlite://$TMP/ccgate.db?mode=rwc"
    DB_DESC="SQLite (file in $TMP)"
fi

total_count() { # -> TotalCount of the instance's 2020 ListPhoneNumbers
    "$CCGATE" call ListPhoneNumbers --api-version 2020-07-01 "InstanceId=$INSTANCE" \
        PageNumber=1 PageSize=1 >"$TMP/total.json" || { cat "$TMP/total.json" >&2; return 1; }
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Data"]["TotalCount"])' \
        "$TMP/total.json"
}

# --- ccgate: first start, demo key, seed (as bench/run.sh) --------------------------------
first_start "$DB_DESC" "$DB_URL"
t0=$(date +%s.%N)
seed_instance
total=$(total_count) || die "ListPhoneNumbers failed after seeding"
[ "$total" = "$NUMBERS" ] || die "expected $NUMBERS numbers after seeding, ccgate lists $total"
log "seeded $total numbers in $(elapsed "$t0") s"
NUMBER_PAGES=$(((NUMBERS + 19) / 20))
((NUMBER_PAGES <= 100)) || NUMBER_PAGES=100
if [ -n "$PG_DB" ]; then
    # Planner statistics, as autovacuum takes them within a minute or so of a bulk load. Right
    # after the seeding PostgreSQL still estimates a handful of rows for the instance and pages
    # by sorting all 10,000 (a top-N heapsort, ~4 ms a page) instead of walking the
    # (instance_id, number) index: measured, that made lists 3x slower than in steady state.
    psql "$DATABASE_URL" -qc "ANALYZE" || die "ANALYZE failed"
    log "ANALYZE done (planner statistics of the seeded tables)"
fi

restart_ccgate "$DB_URL"

gen_list() { # count threads out: signed 2020 ListPhoneNumbers targets (bench/gen_requests.py)
    python3 bench/gen_requests.py --access-key-id "$AK" --access-key-secret "$SK" \
        --instance "$INSTANCE" --count "$1" --threads "$2" --out "$3" \
        --action ListPhoneNumbers --api-version 2020-07-01 --pages "$NUMBER_PAGES" --page-size 20
}

rm -rf "$TMP/probe"
gen_list 1 1 "$TMP/probe"
curl -fsS -o "$TMP/body.json" "$CCGATE_ENDPOINT$(head -n1 "$TMP/probe/urls.1.txt")" ||
    die "ccgate refused the first signed ListPhoneNumbers request"
log "2020 ListPhoneNumbers, PageSize 20, PageNumber 1..$NUMBER_PAGES; page 1 is" \
    "$(wc -c <"$TMP/body.json") B"

# --- the writer ----------------------------------------------------------------------------
TAG=0
start_writer() { # rate seconds out: bench/writer.py in the background, ready when it writes
    local rate=$1 secs=$2 out=$3
    rm -f "$out.ready"
    python3 bench/writer.py --endpoint "$CCGATE_ENDPOINT" --ak "$AK" --sk "$SK" \
        --instance "$INSTANCE" --rate "$rate" --duration "$secs" --seeded-numbers "$NUMBERS" \
        --tag "$TAG" --workers "$WRITER_WORKERS" --pool "$WRITER_POOL" --ready "$out.ready" \
        >"$out" 2>"$out.err" &
    WRITER_PID=$!
    TAG=$(((TAG + 1) % 100))
    for _ in $(seq 600); do
        [ -e "$out.ready" ] && return 0
        kill -0 "$WRITER_PID" 2>/dev/null || { cat "$out.err" "$out" >&2; die "the writer exited before writing"; }
        sleep 0.1
    done
    die "the writer did not start its timed writes within 60 s"
}
sent=0 werr=0 wp99=0 left=0
finish_writer() { # out: waits for the writer (in this shell: it is our child), then sets
    # sent (writes/s achieved), werr (errors), wp99 (ms) and left (numbers not cleaned up)
    local out=$1 rc=0
    wait "$WRITER_PID" || rc=$?
    WRITER_PID=""
    [ -s "$out" ] || { cat "$out.err" >&2; die "the writer printed no summary (exit $rc)"; }
    log "writer: $(cat "$out")"
    read -r sent werr wp99 left < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["achieved_per_s"], s["errors"], s["p99_ms"], s["not_cleaned_up"])' "$out")
}

# --- CHECK=1: no wrk; a reader beside the writer, then the count -----------------------------
if [ "$CHECK" = 1 ]; then
    declare -a CHECKED=()
    failed=0
    for w in $WRITES_PER_SEC; do
        rm -rf "$TMP/urls"
        gen_list 5000 1 "$TMP/urls"
        if [ "$w" != 0 ]; then start_writer "$w" "$DURATION" "$TMP/writer-$w.json"; fi
        read -r reads read_errors lo hi < <(python3 - "$TMP/urls/urls.1.txt" "$CCGATE_PORT" \
            "$DURATION" "$NUMBERS" "$((WRITER_POOL + WRITER_WORKERS))" <<'EOF'
import http.client, json, sys, time
urls, port, secs, numbers, slack = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
reads = errors = 0
lo, hi = 1 << 62, -1
end = time.monotonic() + secs
for line in open(urls):
    if time.monotonic() > end:
        break
    c.request("GET", line.strip())
    r = c.getresponse()
    body = r.read()
    reads += 1
    try:
        total = json.loads(body)["Data"]["TotalCount"]
    except Exception:
        total = None
    if r.status != 200 or total is None or not numbers <= total <= numbers + slack:
        errors += 1
        if errors <= 3:
            print(f"reader: HTTP {r.status} TotalCount {total}: {body[:200]!r}", file=sys.stderr)
    if total is not None:
        lo, hi = min(lo, total), max(hi, total)
print(reads, errors, lo, hi)
EOF
        )
        sent=0 werr=0 wp99=0 left=0
        if [ "$w" != 0 ]; then finish_writer "$TMP/writer-$w.json"; fi
        after=$(total_count) || die "ListPhoneNumbers failed after the writes"
        ok=yes
        [ "$read_errors" = 0 ] && [ "$werr" = 0 ] && [ "$left" = 0 ] && [ "$after" = "$NUMBERS" ] || { ok=NO; failed=1; }
        CHECKED+=("| $w | $sent | $werr | $([ "$w" = 0 ] && echo — || echo "$wp99 ms") | $reads | $read_errors | $lo..$hi | $after | $ok |")
    done
    printf '\nCHECK=1 on %s, %s numbers, %s s per level (debug or given binary %s; no wrk)\n\n' \
        "$DB_DESC" "$NUMBERS" "$DURATION" "$CCGATE"
    echo "| writes/s asked | writes/s sent | writer errors | write p99 | list reads | read errors | TotalCount seen | TotalCount after | ok |"
    echo "|---:|---:|---:|---:|---:|---:|---|---:|---|"
    printf '%s\n' "${CHECKED[@]}"
    [ "$failed" = 0 ] || die "CHECK=1 failed (see the table)"
    log "CHECK=1: seeding, signed writes at every level, reads beside them and the counts work; no load run"
    exit 0
fi

# --- wrk -----------------------------------------------------------------------------------
start_bare "$TMP/body.json"

declare -a ROWS=()
count=$((MAX_RPS * DURATION))
for w in $WRITES_PER_SEC; do
    for ((run = 1; run <= RUNS; run++)); do
        log "$w writes/s, run $run/$RUNS: signing $count list requests ($THREADS files)"
        rm -rf "$TMP/urls"
        gen_list "$count" "$THREADS" "$TMP/urls"
        sent=0 werr=0 wp99=0 left=0
        if [ "$w" != 0 ]; then start_writer "$w" "$((DURATION + 1))" "$TMP/writer.json"; fi
        read -r c_rps c_p50 c_p99 < <(run_wrk "ccgate-$w" "$CCGATE_ENDPOINT" 0)
        if [ "$w" != 0 ]; then finish_writer "$TMP/writer.json"; fi
        after=$(total_count) || die "ListPhoneNumbers failed after the writes"
        read -r b_rps b_p50 b_p99 < <(run_wrk "bare-$w" "http://127.0.0.1:$BARE_PORT" 1)
        [ -n "${c_rps:-}" ] && [ -n "${b_rps:-}" ] || die "could not read wrk results"
        ROWS+=("$w $run $sent $werr $wp99 $left $after $c_rps $c_p50 $c_p99 $b_rps $b_p50 $b_p99")
    done
done

# --- report --------------------------------------------------------------------------------
python3 - "$THREADS" "$CONNECTIONS" "$DURATION" "$WORKERS" "$NUMBERS" "$FLOWS" \
    "$BOUND_NUMBERS" "$BOUND_FLOWS" "$LOG_FILTER" "$CCGATE" "$DB_DESC" "$NUMBER_PAGES" \
    "$(wc -c <"$TMP/body.json")" "${ROWS[@]}" <<'EOF' | tee "${RESULTS:-/dev/null}"
import sys
(threads, conns, dur, workers, numbers, flows, bound, bound_flows, log_filter, binary, db,
 pages, body) = sys.argv[1:14]
rows = [r.split() for r in sys.argv[14:]]
print(f"wrk -t{threads} -c{conns} -d{dur}s --latency; workers={workers} (0 = one per core); "
      f"{db}; instance ccc-test: {int(numbers):,} numbers, {flows} contact flows, {bound} "
      f"numbers bound to {bound_flows} of them; ccgate {binary} with "
      f"CCGATE__LOG__FILTER={log_filter}; signed 2020-07-01 ListPhoneNumbers, PageSize 20, "
      f"PageNumber 1..{pages}; bare actix-web answers ccgate's page 1 ({int(body):,} B), "
      f"without a writer; writes: AddPhoneNumber, ModifyPhoneNumber, RemovePhoneNumber in "
      f"equal shares (bench/writer.py)\n")
print("| writes/s | run | writes/s sent | ccgate req/s | ccgate p50 | ccgate p99 | bare req/s | "
      "bare p99 | ccgate / bare | writer errors | write p99 |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
ok = True
for (w, run, sent, werr, wp99, left, after, c_rps, c_p50, c_p99, b_rps, b_p50, b_p99) in rows:
    ratio = float(c_rps) / float(b_rps)
    wlat = f"{float(wp99):.1f} ms" if w != "0" else "—"
    print(f"| {w} | {run} | {float(sent):.1f} | {float(c_rps):,.0f} | {int(c_p50)/1000:.2f} ms | "
          f"{int(c_p99)/1000:.2f} ms | {float(b_rps):,.0f} | {int(b_p99)/1000:.2f} ms | "
          f"{ratio:.2f}x | {werr} | {wlat} |")
print()
for (w, run, sent, werr, wp99, left, after, c_rps, c_p50, c_p99, b_rps, *_) in rows:
    ratio = float(c_rps) / float(b_rps)
    verdict = "meets" if ratio >= 0.15 and werr == "0" else "BELOW"
    line = (f"{w} writes/s run {run}: ccgate / bare = {ratio:.2f}x, {werr} writer errors "
            f"({verdict} the issue-15 target: >= 0.15x, 0 errors)")
    if after != numbers or left != "0":
        line += f"; instance lists {after} numbers after the writes (expected {numbers})"
        ok = False
    print(line)
if not ok:
    sys.exit(1)
EOF

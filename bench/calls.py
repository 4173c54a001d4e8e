#!/usr/bin/env python3
"""Places the calls and checks their records for bench/calls.sh (docs/benchmarks.md, "Calls").

Runs in the e2e venv (.venv: aliyun-python-sdk-core + aliyun-python-sdk-ccc for the signed 2017
actions, alibabacloud-ccc20200701's tea client for the Bearer-only StartBack2BackCall), like
tests/e2e/test_calls.py.

Subcommands:

  start --endpoint HOST:PORT --ak ID --sk SECRET --token BEARER --instance ID
        --calls N --rate R --workers W --out FILE
      Adds one outbound number to the instance (2017 AddPhoneNumber, Usage Bidirection), then
      sends N StartBack2BackCall (2017-07-05, Bearer token, the tea client's generic call_api,
      no automatic retry) at R requests/s from a pool of W threads: request i is due at
      t0 + i/R, Caller 1380 + i (7 digits), Callee 1390 + i. Writes FILE (JSON): per call the
      numbers, the wall-clock time the request was sent and answered, TaskId or the error.
      Exit 0 when every request got a TaskId, 1 when some failed, 2 when nothing was sent.

  check --endpoint ... --ak ... --sk ... --instance ID --calls N --sent FILE --db SQLITE
        [--agents-msg FILE] [--agents-rc RC --customers-rc RC --start-rc RC] [--binary PATH]
        [--screen WHO=FILE ...] [--note TEXT ...]
      Polls ListCallEventDetailByContactId (2017, signed) for every TaskId until the record has
      a ReleaseReason (60 s in all), checks each: Events has SetUpMeeting (bridged) and
      ReleaseReason is a 200 release; counts the calls_cdr rows of the SQLite file (ENDED,
      disposition Success). Prints the percentiles of API request → first INVITE (the Dial
      event: when the engine sent the INVITE to the caller), → INVITE received by the agents
      phone (SIPp's -trace_msg, if given), → bridged (SetUpMeeting) and of the API response
      time; the request rate achieved, the calls bridged per second, the peak of calls live
      at once (Dial to End) and the SIPp phones' retransmission counts; then one summary
      line. Exit 1 if any check failed.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

V2017 = "2017-07-05"
AGENT_PREFIX, CUSTOMER_PREFIX = "1380", "1390"


# --- clients (as tests/e2e/conftest.py) ------------------------------------------------------


def tea_client(endpoint: str, token: str):
    from alibabacloud_ccc20200701.client import Client
    from alibabacloud_tea_openapi.models import Config

    return Client(Config(endpoint=endpoint, protocol="http", bearer_token=token))


def call_api(client, action: str, version: str, query: dict) -> dict:
    """The tea client's generic call_api (RPC style); no automatic retry: a retried
    StartBack2BackCall would place a second call."""
    from alibabacloud_tea_openapi import utils_models as m
    from darabonba.runtime import RuntimeOptions

    params = m.Params(action=action, version=version, protocol="HTTP", pathname="/",
                      method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                      body_type="json")
    resp = client.call_api(params, m.OpenApiRequest(query=query),
                           RuntimeOptions(autoretry=False, read_timeout=30000))
    if resp["statusCode"] != 200:
        raise RuntimeError(f"HTTP {resp['statusCode']}: {resp['body']}")
    return resp["body"]


class Sdk2017:
    """aliyun-python-sdk-core AcsClient + the typed 2017-07-05 request classes (signature v1)."""

    def __init__(self, endpoint: str, ak: str, sk: str):
        from aliyunsdkcore.client import AcsClient

        self.endpoint = endpoint
        self.client = AcsClient(ak, sk, "cn-hangzhou", auto_retry=False)

    def call(self, action: str, **params) -> dict:
        from importlib import import_module

        cls = getattr(import_module(f"aliyunsdkccc.request.v20170705.{action}Request"),
                      f"{action}Request")
        req = cls()
        req.set_endpoint(self.endpoint)
        for name, value in params.items():
            getattr(req, f"set_{name}")(value)
        return json.loads(self.client.do_action_with_exception(req))


# --- start -----------------------------------------------------------------------------------


def cmd_start(a) -> int:
    try:
        sdk = Sdk2017(a.endpoint, a.ak, a.sk)
        number = f"0571{int(time.time()) % 100_000_000:08d}"
        body = sdk.call("AddPhoneNumber", InstanceId=a.instance, PhoneNumber=number,
                        Usage="Bidirection")
        if body.get("Success") is not True:
            print(f"AddPhoneNumber failed: {body}", file=sys.stderr)
            return 2
    except Exception as e:  # noqa: BLE001 - report and stop
        print(f"AddPhoneNumber failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(f"outbound number {number} added to {a.instance}", file=sys.stderr)

    local = threading.local()
    calls = [
        {"i": i, "caller": f"{AGENT_PREFIX}{i:07d}", "callee": f"{CUSTOMER_PREFIX}{i:07d}"}
        for i in range(a.calls)
    ]

    def place(c: dict) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = tea_client(a.endpoint, a.token)
        c["sent"] = time.time()
        try:
            body = call_api(client, "StartBack2BackCall", V2017, {
                "InstanceId": a.instance, "CallCenterNumber": number,
                "Caller": c["caller"], "Callee": c["callee"]})
            c["answered"] = time.time()
            if body.get("Success") is True and body.get("TaskId"):
                c["task"] = body["TaskId"]
            else:
                c["error"] = json.dumps(body)[:300]
        except Exception as e:  # noqa: BLE001 - recorded per call
            c["answered"] = time.time()
            c["error"] = f"{type(e).__name__}: {e}"[:300]

    tea_client(a.endpoint, a.token)  # imports outside the measured window
    with ThreadPoolExecutor(a.workers) as pool:
        t0 = time.time() + 0.2
        futures = []
        for c in calls:
            c["due"] = t0 + c["i"] / a.rate
            delay = c["due"] - time.time()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(place, c))
        for f in futures:
            f.result()
    with open(a.out, "w") as f:
        json.dump({"number": number, "rate": a.rate, "workers": a.workers, "calls": calls}, f)
    failed = [c for c in calls if "task" not in c]
    lag = max(c["sent"] - c["due"] for c in calls)
    span = calls[-1]["sent"] - calls[0]["sent"]
    print(f"sent {len(calls)} requests in {span:.2f} s ({(len(calls) - 1) / span if span else 0:.1f}/s), "
          f"max lag behind schedule {lag * 1000:.0f} ms, {len(failed)} failed", file=sys.stderr)
    for c in failed[:10]:
        print(f"  call {c['i']}: {c['error']}", file=sys.stderr)
    return 1 if failed else 0


# --- check -----------------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-len(s) * p // 100) - 1))
    return s[int(k)]


def invite_arrivals(path: str) -> dict[str, float]:
    """First arrival time (epoch s) of the initial INVITE for each number in a SIPp -trace_msg
    file (SIPp stamps each message with the local time; this machine runs in UTC)."""
    out: dict[str, float] = {}
    stamp, take = None, False
    stamp_re = re.compile(r"^-+ (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)")
    invite_re = re.compile(r"^INVITE sip:(\d+)@")
    try:
        f = open(path, encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return out
    with f:
        for line in f:
            m = stamp_re.match(line)
            if m:
                stamp = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S.%f"
                                          ).replace(tzinfo=timezone.utc).timestamp()
                take = False
                continue
            if "message received" in line:
                take = True
                continue
            if take and line.strip():
                m = invite_re.match(line.strip())
                if m and stamp is not None and m.group(1) not in out:
                    out[m.group(1)] = stamp
                take = False
    return out


def sipp_screen(path: str) -> tuple[int, int]:
    """(messages, retransmissions) summed over the message table of a SIPp -trace_screen file
    (its first screen: `  ----------> INVITE   200   0   0   0`)."""
    msgs = retrans = 0
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except FileNotFoundError:
        return 0, 0
    for line in text.split("Statistics Screen")[0].splitlines():
        m = re.match(r"^\s+(?:-+>|<-+)\s+\S+\s+(\d+)\s+(\d+)", line)
        if m:
            msgs += int(m.group(1))
            retrans += int(m.group(2))
    return msgs, retrans


def poll_records(sdk: Sdk2017, instance: str, tasks: list[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    done: dict[str, dict] = {}
    pending = list(tasks)
    while pending:
        still = []
        for task in pending:
            try:
                data = sdk.call("ListCallEventDetailByContactId", InstanceId=instance,
                                ContactId=task)["Data"]
            except Exception as e:  # noqa: BLE001 - retried until the deadline
                data = {"error": f"{type(e).__name__}: {e}"}
            if data.get("ReleaseReason"):
                done[task] = data
            else:
                still.append(task)
                done[task] = data
        pending = still
        if pending:
            if time.monotonic() > deadline:
                break
            time.sleep(0.5)
    return done


def cmd_check(a) -> int:
    sent = json.load(open(a.sent))
    calls = sent["calls"]
    problems: list[str] = []
    if a.start_rc:
        problems.append(f"bench/calls.py start exited {a.start_rc}")
    for who, rc in (("agents", a.agents_rc), ("customers", a.customers_rc)):
        if rc != 0:
            problems.append(f"SIPp {who} exited {rc} (0 = all {a.calls} calls followed the script; "
                            "1 = some failed, 97/124/137 = timed out)")
    placed = [c for c in calls if "task" in c]
    for c in calls:
        if "task" not in c:
            problems.append(f"call {c['i']}: StartBack2BackCall failed: {c.get('error')}")

    sdk = Sdk2017(a.endpoint, a.ak, a.sk)
    t = time.monotonic()
    records = poll_records(sdk, a.instance, [c["task"] for c in placed], a.poll_timeout)
    poll_s = time.monotonic() - t

    arrivals = invite_arrivals(a.agents_msg) if a.agents_msg else {}
    api, dial, wire, bridged, lives, bridged_at = [], [], [], [], [], []
    ok = 0
    for c in placed:
        d = records.get(c["task"], {})
        events = (d.get("Events") or {}).get("CallEventDetail") or []
        names = [e["Event"] for e in events]
        reason = d.get("ReleaseReason") or ""
        bad = []
        if not reason:
            bad.append(f"no ReleaseReason ({d.get('error') or names})")
        elif not reason.startswith("200"):
            bad.append(f"ReleaseReason {reason!r}")
        if "SetUpMeeting" not in names:
            bad.append(f"not bridged: {names}")
        if names[:1] != ["Dial"]:
            bad.append(f"first event {names[:1]}")
        if bad:
            problems.append(f"call {c['i']} ({c['task']}): " + "; ".join(bad))
            continue
        ok += 1
        ts = {}
        for e in events:
            ts.setdefault(e["Event"], int(e["TimeStamp"]) / 1000)
        api.append((c["answered"] - c["sent"]) * 1000)
        dial.append((ts["Dial"] - c["sent"]) * 1000)
        bridged.append((ts["SetUpMeeting"] - c["sent"]) * 1000)
        bridged_at.append(ts["SetUpMeeting"])
        if c["caller"] in arrivals:
            wire.append((arrivals[c["caller"]] - c["sent"]) * 1000)
        lives.append((ts["Dial"], int(events[-1]["TimeStamp"]) / 1000))
    if len(records) != a.calls or ok != a.calls:
        problems.append(f"{ok} good records of {len(records)} read, expected {a.calls}")

    # The calls_cdr rows themselves: count, status and disposition.
    try:
        db = sqlite3.connect(f"file:{a.db}?mode=ro", uri=True, timeout=10)
        rows = db.execute("SELECT status, disposition, release_initiator, COUNT(*) FROM calls_cdr "
                          "GROUP BY 1, 2, 3").fetchall()
        db.close()
    except sqlite3.Error as e:
        rows = []
        problems.append(f"could not read calls_cdr from {a.db}: {e}")
    total = sum(r[3] for r in rows)
    dispositions = ", ".join(f"{n} {s}/{d}/{by}" for s, d, by, n in rows)
    if total != a.calls or any(r[:2] != ("ENDED", "Success") for r in rows):
        problems.append(f"calls_cdr: {total} rows ({dispositions}), expected {a.calls} ENDED/Success")

    # Rates and concurrency.
    sends = sorted(c["sent"] for c in calls)
    span = sends[-1] - sends[0] if len(sends) > 1 else 0
    req_rate = (len(sends) - 1) / span if span else 0.0
    first_req = sends[0]
    last_bridge = max(bridged_at, default=first_req)
    setup_rate = len(bridged) / (last_bridge - first_req) if last_bridge > first_req else 0.0
    edges = sorted([(s, 1) for s, _ in lives] + [(e, -1) for _, e in lives])
    live = peak = 0
    for _, step in edges:
        live += step
        peak = max(peak, live)

    print(f"\n{a.calls} back-to-back calls, StartBack2BackCall at {sent['rate']}/s from "
          f"{sent['workers']} threads; ccgate {a.binary}")
    for n in a.note:
        print(f"{n}")
    for spec in a.screen:
        who, _, path = spec.partition("=")
        msgs, retrans = sipp_screen(path)
        print(f"SIPp {who}: {msgs} SIP messages, {retrans} retransmissions")
    print(f"records: {ok} bridged with a 200 release of {len(records)} read "
          f"(polled {poll_s:.1f} s); calls_cdr: {total} rows ({dispositions})")
    print(f"requests sent at {req_rate:.1f}/s; calls bridged {setup_rate:.1f}/s "
          f"(first request to last bridge); peak {peak} calls live at once\n")
    print("| from the API request to | n | p50 | p90 | p99 | max |")
    print("|---|---:|---:|---:|---:|---:|")
    rows_out = [("API response", api), ("first INVITE sent (Dial)", dial),
                ("INVITE at the agents phone (SIPp)", wire), ("bridged (SetUpMeeting)", bridged)]
    for label, v in rows_out:
        if v:
            print(f"| {label} | {len(v)} | {pct(v, 50):.1f} ms | {pct(v, 90):.1f} ms | "
                  f"{pct(v, 99):.1f} ms | {max(v):.1f} ms |")
    print(f"\n(bridged includes the phones' scripted ringing: agents {a.agent_ring_ms} ms + "
          f"customers {a.customer_ring_ms} ms)")
    for p in problems[:20]:
        print(f"FAILED: {p}", file=sys.stderr)
    if len(problems) > 20:
        print(f"FAILED: ... and {len(problems) - 20} more", file=sys.stderr)
    status = "OK" if not problems else f"FAILED ({len(problems)} problems)"
    summary = (f"calls: {status}: {ok}/{a.calls} bridged, SIPp rc {a.agents_rc}/{a.customers_rc}, "
               f"{req_rate:.1f} req/s, peak {peak} live; ")
    if dial and bridged:
        summary += (f"first INVITE p50 {pct(dial, 50):.1f} / p99 {pct(dial, 99):.1f} ms, "
                    f"bridged p50 {pct(bridged, 50):.0f} / p99 {pct(bridged, 99):.0f} ms, "
                    f"API p50 {pct(api, 50):.1f} / p99 {pct(api, 99):.1f} ms")
    print(f"\n{summary}")
    return 1 if problems else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("start", "check"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=True)
        s.add_argument("--ak", required=True)
        s.add_argument("--sk", required=True)
        s.add_argument("--instance", required=True)
        s.add_argument("--calls", type=int, default=200)
    s = sub.choices["start"]
    s.add_argument("--token", required=True)
    s.add_argument("--rate", type=float, default=40.0)
    s.add_argument("--workers", type=int, default=16)
    s.add_argument("--out", required=True)
    s = sub.choices["check"]
    s.add_argument("--sent", required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--agents-msg")
    s.add_argument("--agents-rc", type=int, default=0)
    s.add_argument("--customers-rc", type=int, default=0)
    s.add_argument("--start-rc", type=int, default=0)
    s.add_argument("--binary", default="?")
    s.add_argument("--note", action="append", default=[])
    s.add_argument("--screen", action="append", default=[], help="WHO=FILE: a SIPp -trace_screen file")
    s.add_argument("--poll-timeout", type=float, default=60.0)
    s.add_argument("--agent-ring-ms", type=int, default=200)
    s.add_argument("--customer-ring-ms", type=int, default=500)
    a = p.parse_args()
    return cmd_start(a) if a.cmd == "start" else cmd_check(a)


if __name__ == "__main__":
    sys.exit(main())

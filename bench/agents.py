#!/usr/bin/env python3
"""Seeds agents and signs requests for bench/agents.sh (docs/benchmarks.md, "Agents").

Subcommands (standard library only):

  sql DB --users N --groups G
      Inserts G skill groups and N users (role `agent`, each a member of two groups) of
      instance ccc-test straight into the agents tables of ccgate's SQLite file DB, in one
      transaction, with the rows the plugin itself writes (plugins/agents/src/storage):
      2017 CreateSkillGroup / CreateUser are not served by the tree this was written for
      (9b2e318), so they cannot seed over HTTP. Run it while ccgate is stopped (after a first
      start has migrated the file). Users are agent00000..., groups group00...; user i is in
      groups i % G and (i // G + i + 1) % G; extensions 8001...
      With --devices D: also D agent device records (the rows AddAgentDevice writes,
      plugins/device-diagnostics/src/storage) per agent and day over the last --days days
      (default 7), login times spread evenly over each agent's day, the newest one an hour
      before now.

  signin URL --ak ID --sk SECRET --users N --groups G [--concurrency C]
      Over HTTP, signed like aliyun-python-sdk-core (signature v1, HMAC-SHA1), every second
      user: 2020 SignInGroup to its two groups, then ReadyForService for a third of them and
      TakeBreak (Code Lunch) for another third (the last third stays signed in: BREAK
      Warm-up). C concurrent keep-alive connections (default 8). Prints the time taken; fails
      on any non-200 answer.

  config URL --ak ID --sk SECRET --users N --groups G
      Over HTTP, signed 2020 UpdateConfigItems: four items at the instance scope, three at
      every skill group's and two at every tenth user's (users 0, 10, 20, ...). Fails on any
      non-200 answer.

  list --ak ID --sk SECRET --count N --threads T --pages P --out DIR
      N signed 2020 ListRealtimeAgentStates GET targets, PageSize 100, PageNumber cycling
      1..P, split round-robin into DIR/urls.<t>.txt (bench/list_phone_numbers.lua walks them).

  transition --ak ID --sk SECRET --count N --threads T --users N --out DIR
      N signed 2020 TakeBreak / ReadyForService GET targets: request k acts for signed-in agent
      k % S (S = N/2 agents, every second user), TakeBreak (Code Lunch) on even rounds
      k // S, ReadyForService on odd ones. Both are allowed from every state those agents are
      in (signed in, READY, BREAK), so any interleaving wrk produces is accepted.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

INSTANCE = "ccc-test"


def enc(s: str) -> str:
    """RFC 3986 encoding: only unreserved characters stay literal."""
    return quote(s, safe="-_.~")


class Signer:
    """Signature v1 (HMAC-SHA1) GET targets, with the common parameters the Python SDK sends."""

    def __init__(self, ak: str, sk: str, bearer: str = ""):
        self.ak, self.key = ak, (sk + "&").encode()
        # With a Bearer token: no signature and no nonce (wrk may repeat a target).
        self.bearer = bearer
        self.run = os.urandom(8).hex()
        self.n = 0
        self.timestamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.lock = threading.Lock()

    def target(self, action: str, params: dict, version: str = "2020-07-01") -> str:
        if self.bearer:
            p = {"Action": action, "Version": version, "Format": "JSON", "RegionId": "cn-shanghai",
                 "SignatureType": "BEARERTOKEN", "BearerToken": self.bearer,
                 "InstanceId": INSTANCE, **params}
            return "/?" + "&".join(f"{enc(k)}={enc(v)}" for k, v in p.items())
        with self.lock:
            self.n += 1
            nonce = f"{self.run}{self.n:016x}"
        p = {
            "Action": action,
            "Version": version,
            "Format": "JSON",
            "RegionId": "cn-shanghai",
            "AccessKeyId": self.ak,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureType": "",
            "Timestamp": self.timestamp,
            "SignatureNonce": nonce,
            "InstanceId": INSTANCE,
            **params,
        }
        canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(p.items()))
        sts = f"GET&{enc('/')}&{enc(canonical)}"
        sig = base64.b64encode(hmac.new(self.key, sts.encode(), hashlib.sha1).digest()).decode()
        return "/?" + "&".join(f"{enc(k)}={enc(v)}" for k, v in p.items()) + f"&Signature={enc(sig)}"


def login(i: int) -> str:
    return f"agent{i:05d}"


def group_id(g: int) -> str:
    return f"00000000-0000-4000-8000-{g:012d}"


def user_id(i: int) -> str:
    return f"00000000-0000-4000-9000-{i:012d}"


def groups_of(i: int, groups: int) -> list:
    a, b = i % groups, (i // groups + i + 1) % groups
    return [a] if a == b else [a, b]


def cmd_sql(args) -> None:
    now = int(time.time() * 1000)
    db = sqlite3.connect(args.db, timeout=30)
    with db:
        db.executemany(
            "INSERT INTO agents_skill_groups (id, instance_id, name, description, routing_strategy,"
            " allow_private_outbound_number, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [(group_id(g), INSTANCE, f"group{g:02d}", f"Skill group {g}", "", 0, now, now)
             for g in range(args.groups)],
        )
        db.executemany(
            "INSERT INTO agents_users (id, instance_id, ram_id, login_name, display_name, email,"
            " phone, department, private_outbound_number_id, extension, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            [(user_id(i), INSTANCE, str(1_000_000_000_000_000 + i), login(i), f"Agent {i}",
              f"{login(i)}@example.com", f"1390000{i:04d}", "", None, str(8001 + i), now, now)
             for i in range(args.users)],
        )
        db.executemany(
            "INSERT INTO agents_user_roles (user_id, role, instance_id) VALUES (?,?,?)",
            [(user_id(i), "agent", INSTANCE) for i in range(args.users)],
        )
        db.executemany(
            "INSERT INTO agents_skill_levels (id, instance_id, user_id, skill_group_id, level)"
            " VALUES (?,?,?,?,?)",
            [(f"{user_id(i)}-{g:02d}", INSTANCE, user_id(i), group_id(g), 5)
             for i in range(args.users) for g in groups_of(i, args.groups)],
        )
        # The next extension CreateUser hands out follows the seeded ones.
        db.execute(
            "INSERT INTO agents_instance_counters (instance_id, state_seq, last_extension)"
            " VALUES (?, 0, ?) ON CONFLICT (instance_id) DO UPDATE SET last_extension ="
            " excluded.last_extension",
            (INSTANCE, 8000 + args.users),
        )
        devices = []
        for d in range(args.days * args.devices):
            # Day d // D back, slot d % D of it; an hour's margin before now.
            at = now - 3_600_000 - (d // args.devices) * 86_400_000 \
                - (d % args.devices) * (86_400_000 // max(args.devices, 1))
            devices += [(INSTANCE, user_id(i), str(1_000_000_000_000_000 + i),
                         "Chrome 120.0.6099.109", f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                         "5060", "", 0, at - i, at - i) for i in range(args.users)]
        db.executemany(
            "INSERT INTO device_diagnostics_agent_devices (instance_id, user_id, ram_id,"
            " browser_version, client_ip, client_port, remark, is_login, login_time, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)", devices)
    db.close()


class Client:
    """Signed GETs over one keep-alive connection per thread; raises on a non-200 answer."""

    def __init__(self, url: str, signer: Signer):
        self.url, self.signer, self.local = urlsplit(url), signer, threading.local()

    def call(self, action: str, params: dict) -> None:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection(
                self.url.hostname, self.url.port, timeout=30)
        target = self.signer.target(action, params)
        conn.request("GET", target, headers={"Accept": "*/*", "x-sdk-client": "python/2.0.0"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{resp.status} for {target[:120]}...: {body[:400]!r}")


def cmd_config(args) -> None:
    client = Client(args.url, Signer(args.ak, args.sk))

    def items(**kv) -> str:
        return json.dumps([{"Name": k, "Value": v} for k, v in kv.items()], separators=(",", ":"))

    scopes = [("instance", INSTANCE, items(AllowChooseSkillGroup="1", AutoAnswerCall="3",
                                           SatisfactionSurvey="1", SettingWorkbenchLogLevel="2"))]
    scopes += [("skillGroup", group_id(g), items(AllowHangup="0", ShowCalledID="0",
                                                 enableRecord="1"))
               for g in range(args.groups)]
    scopes += [("user", user_id(i), items(AutoAnswerCall=str(i % 60), ShowCalleeID="-1"))
               for i in range(0, args.users, 10)]
    started = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(lambda s: client.call("UpdateConfigItems", {
            "ObjectType": s[0], "ObjectId": s[1], "ConfigItems": s[2]}), scopes))
    print(f"configured {len(scopes)} scopes in {time.monotonic() - started:.1f} s",
          file=sys.stderr)


def cmd_signin(args) -> None:
    client = Client(args.url, Signer(args.ak, args.sk))

    def agent(i: int) -> None:
        who = f"{login(i)}@{INSTANCE}"
        groups = [f"group{g:02d}@{INSTANCE}" for g in groups_of(i, args.groups)]
        client.call("SignInGroup", {
            "UserId": who,
            "DeviceId": f"ACC-YUNBS-1.0.10-{i:05d}",
            "SignedSkillGroupIdList": json.dumps(groups, separators=(",", ":")),
        })
        k = (i // 2) % 3
        if k == 1:
            client.call("ReadyForService", {"UserId": who})
        elif k == 2:
            client.call("TakeBreak", {"UserId": who, "Code": "Lunch"})

    started = time.monotonic()
    with ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(agent, range(0, args.users, 2)))
    print(f"signed in {len(range(0, args.users, 2))} agents in {time.monotonic() - started:.1f} s",
          file=sys.stderr)


def write_split(out: str, threads: int, targets) -> None:
    os.makedirs(out, exist_ok=True)
    files = [open(os.path.join(out, f"urls.{t + 1}.txt"), "w", buffering=1 << 20)
             for t in range(threads)]
    for k, target in enumerate(targets):
        files[k % threads].write(target + "\n")
    for f in files:
        f.close()


def cmd_list(args) -> None:
    """Signed targets of a list action: PageNumber cycling 1..pages with PageSize page_size
    (pages 0: unpaged), plus the fixed --param K=V pairs; with --bearer, Bearer targets."""
    signer = Signer(args.ak, args.sk, args.bearer)
    fixed = dict(p.split("=", 1) for p in args.param)

    def params(k: int) -> dict:
        if args.pages == 0:
            return fixed
        return {**fixed, "PageNumber": str(k % args.pages + 1), "PageSize": str(args.page_size)}

    write_split(args.out, args.threads, (
        signer.target(args.action, params(k), args.version) for k in range(args.count)))


def cmd_transition(args) -> None:
    signer = Signer(args.ak, args.sk)
    agents = list(range(0, args.users, 2))

    def target(k: int) -> str:
        who = f"{login(agents[k % len(agents)])}@{INSTANCE}"
        if (k // len(agents)) % 2 == 0:
            return signer.target("TakeBreak", {"UserId": who, "Code": "Lunch"})
        return signer.target("ReadyForService", {"UserId": who})

    write_split(args.out, args.threads, (target(k) for k in range(args.count)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("sql")
    p.add_argument("db")
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--groups", type=int, default=50)
    p.add_argument("--devices", type=int, default=0, help="device records per agent and day")
    p.add_argument("--days", type=int, default=7)
    p.set_defaults(f=cmd_sql)
    # The two subcommands that write over HTTP take the same arguments.
    for name, f in (("config", cmd_config), ("signin", cmd_signin)):
        p = sub.add_parser(name)
        p.add_argument("url")
        p.add_argument("--users", type=int, default=5000)
        p.add_argument("--groups", type=int, default=50)
        p.add_argument("--concurrency", type=int, default=8)
        p.set_defaults(f=f)
    p = sub.add_parser("list")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--pages", type=int, default=50, help="0: unpaged")
    p.add_argument("--page-size", type=int, default=100)
    p.add_argument("--action", default="ListRealtimeAgentStates")
    p.add_argument("--version", default="2020-07-01")
    p.add_argument("--param", action="append", default=[], help="K=V, repeatable")
    p.add_argument("--bearer", default="", help="a Bearer token instead of AccessKey signatures")
    p.add_argument("--out", required=True)
    p.set_defaults(f=cmd_list)
    p = sub.add_parser("transition")
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--out", required=True)
    p.set_defaults(f=cmd_transition)
    for p in sub.choices.values():
        if p.prog.split()[-1] != "sql":
            p.add_argument("--ak", required=True)
            p.add_argument("--sk", required=True)
    args = ap.parse_args()
    args.f(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Sends signed phone-number writes at a steady rate beside a list load (bench/writes.sh).

Writes, in equal shares and in this order, over and over (request i is due at t0 + i/RATE,
open loop: a slow answer delays no later request, --workers threads send them):

  Add     2017-07-05 AddPhoneNumber, Usage Bidirection, a number of the writer's own:
          138 + a random seeded index (8 digits) + the run's --tag (2 digits) + a counter
          (5 digits), 18 digits, so it sorts among the seeded numbers 138xxxxxxxx (next to a
          random one of them: on any page) and is unique across the writer runs of one
          benchmark;
  Modify  2017-07-05 ModifyPhoneNumber of a random seeded number (read at start with one
          2017 ListPhoneNumbers), Usage alternating Outbound / Bidirection (its flow and skill
          groups are kept);
  Remove  2017-07-05 RemovePhoneNumber of the oldest number this writer added and has not
          removed yet: never a seeded number.

Before t0 it adds --pool numbers of its own (untimed), so that a Remove always has one even when
the Add before it is still in flight, then creates the --ready file; after the last timed write
it removes every number it added (untimed), so the instance ends with the numbers it had (the
seeded ones).

Every request is signed when it is sent (Alibaba RPC signature v1, HMAC-SHA1, as
bench/gen_requests.py signs: fresh Timestamp, unique SignatureNonce). An error is any answer
that is not HTTP 200 with a JSON body, or an exception (timeout, connection reset).

Prints one JSON line on stdout: writes sent / ok / errors (per action, with the first error
texts), the rate achieved, the latency p50/p99 of the writes, how late the last one was sent.
Exit 0 when nothing failed, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import deque
from urllib.parse import quote

V2017 = "2017-07-05"


def enc(s: str) -> str:
    """RFC 3986 encoding: only unreserved characters stay literal."""
    return quote(s, safe="-_.~")


class Client:
    """Signed GET requests over one keep-alive connection (one per worker thread)."""

    def __init__(self, host: str, port: int, ak: str, sk: str, instance: str, timeout: float):
        self.host, self.port, self.ak, self.key = host, port, ak, (sk + "&").encode()
        self.instance, self.timeout = instance, timeout
        self.conn: http.client.HTTPConnection | None = None

    def target(self, action: str, params: dict) -> str:
        p = {
            "Action": action,
            "Version": V2017,
            "Format": "JSON",
            "RegionId": "cn-shanghai",
            "AccessKeyId": self.ak,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "InstanceId": self.instance,
            **params,
        }
        canonical = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(p.items()))
        sts = f"GET&{enc('/')}&{enc(canonical)}"
        sig = base64.b64encode(hmac.new(self.key, sts.encode(), hashlib.sha1).digest()).decode()
        return "/?" + "&".join(f"{enc(k)}={enc(v)}" for k, v in p.items()) + f"&Signature={enc(sig)}"

    def call(self, action: str, **params) -> tuple[int, dict | str]:
        """(HTTP status, JSON body) or raises; one reconnect on a dropped keep-alive."""
        path = self.target(action, params)
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers={"Accept": "application/json"})
                resp = self.conn.getresponse()
                body = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            try:
                return resp.status, json.loads(body)
            except ValueError:
                return resp.status, body[:200].decode(errors="replace")
        raise AssertionError("unreachable")


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


class Writer:
    def __init__(self, a: argparse.Namespace):
        host, _, port = a.endpoint.removeprefix("http://").partition(":")
        self.make = lambda: Client(host, int(port or 80), a.ak, a.sk, a.instance, a.timeout)
        self.a = a
        self.lock = threading.Lock()
        self.own: deque[str] = deque()  # PhoneNumberIds added and not removed, oldest first
        self.counter = 0
        self.seeded: list[str] = []
        self.sent = {"Add": 0, "Modify": 0, "Remove": 0}
        self.ok = {"Add": 0, "Modify": 0, "Remove": 0}
        self.errors: dict[str, int] = {"Add": 0, "Modify": 0, "Remove": 0}
        self.first_errors: list[str] = []
        self.latency: list[float] = []
        self.late = 0.0

    def error(self, action: str, what: str) -> None:
        with self.lock:
            self.errors[action] += 1
            if len(self.first_errors) < 5:
                self.first_errors.append(f"{action}: {what}")

    def new_number(self) -> str:
        with self.lock:
            self.counter += 1
            n = self.counter
        base = random.randrange(self.a.seeded_numbers)
        return f"138{base:08d}{self.a.tag:02d}{n:05d}"

    def add(self, c: Client) -> bool:
        number = self.new_number()
        status, body = c.call("AddPhoneNumber", PhoneNumber=number, Usage="Bidirection")
        if status != 200 or not isinstance(body, dict):
            self.error("Add", f"{number}: HTTP {status} {body}")
            return False
        with self.lock:
            self.own.append(body["PhoneNumber"]["PhoneNumberId"])
        return True

    def modify(self, c: Client, i: int) -> bool:
        pid = random.choice(self.seeded)
        usage = "Outbound" if i % 2 else "Bidirection"
        status, body = c.call("ModifyPhoneNumber", PhoneNumberId=pid, Usage=usage)
        if status != 200 or not isinstance(body, dict):
            self.error("Modify", f"{pid}: HTTP {status} {body}")
            return False
        return True

    def remove(self, c: Client, pid: str | None = None) -> bool:
        if pid is None:
            with self.lock:
                pid = self.own.popleft() if self.own else None
            if pid is None:
                self.error("Remove", "no number of the writer's own to remove (raise --pool)")
                return False
        status, body = c.call("RemovePhoneNumber", PhoneNumberId=pid)
        if status != 200 or not isinstance(body, dict):
            self.error("Remove", f"{pid}: HTTP {status} {body}")
            return False
        return True

    def load_seeded(self, c: Client) -> None:
        status, body = c.call("ListPhoneNumbers", OutboundOnly="false")
        if status != 200 or not isinstance(body, dict):
            sys.exit(f"writer: 2017 ListPhoneNumbers answered HTTP {status}: {body}")
        self.seeded = [n["PhoneNumberId"] for n in body["PhoneNumbers"]["PhoneNumber"]]
        if not self.seeded:
            sys.exit("writer: the instance has no numbers to modify")

    def run(self) -> int:
        a = self.a
        c = self.make()
        self.load_seeded(c)
        for _ in range(a.pool):
            if not self.add(c):
                break
        total = int(a.rate * a.duration)
        ops = ("Add", "Modify", "Remove")
        next_i = 0
        t0 = time.monotonic() + 0.05
        lock = threading.Lock()

        def worker() -> None:
            nonlocal next_i
            client = self.make()
            while True:
                with lock:
                    i = next_i
                    next_i += 1
                if i >= total:
                    return
                due = t0 + i / a.rate
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                op = ops[i % 3]
                start = time.monotonic()
                with self.lock:
                    self.sent[op] += 1
                    self.late = max(self.late, start - due)
                try:
                    if op == "Add":
                        ok = self.add(client)
                    elif op == "Modify":
                        ok = self.modify(client, i)
                    else:
                        ok = self.remove(client)
                except Exception as e:  # noqa: BLE001 - every failure is counted
                    self.error(op, f"{type(e).__name__}: {e}")
                    client.conn = None
                    ok = False
                took = time.monotonic() - start
                with self.lock:
                    self.latency.append(took)
                    if ok:
                        self.ok[op] += 1

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(a.workers)]
        for t in threads:
            t.start()
        if a.ready:
            with open(a.ready, "w") as f:
                f.write("writing\n")
        for t in threads:
            t.join()
        elapsed = time.monotonic() - t0
        # Untimed: remove what this writer added, so the instance is as seeded again.
        leftovers = 0
        while self.own:
            pid = self.own.popleft()
            try:
                if self.remove(c, pid):
                    continue
            except Exception as e:  # noqa: BLE001
                self.error("Remove", f"{type(e).__name__}: {e}")
            leftovers += 1
        sent = sum(self.sent.values())
        errors = sum(self.errors.values())
        print(json.dumps({
            "rate": a.rate,
            "duration": a.duration,
            "sent": sent,
            "ok": sum(self.ok.values()),
            "errors": errors,
            "by_action": {op: {"sent": self.sent[op], "ok": self.ok[op], "errors": self.errors[op]}
                          for op in ops},
            "first_errors": self.first_errors,
            "achieved_per_s": round(sent / elapsed, 1) if elapsed > 0 else 0,
            "p50_ms": round(pct(self.latency, 50) * 1000, 2),
            "p99_ms": round(pct(self.latency, 99) * 1000, 2),
            "max_late_ms": round(self.late * 1000, 1),
            "pool": a.pool,
            "not_cleaned_up": leftovers,
        }))
        return 0 if errors == 0 else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint", required=True, help="http://HOST:PORT")
    ap.add_argument("--ak", required=True)
    ap.add_argument("--sk", required=True)
    ap.add_argument("--instance", default="ccc-test")
    ap.add_argument("--rate", type=float, required=True, help="writes per second (> 0)")
    ap.add_argument("--duration", type=float, required=True, help="seconds of timed writes")
    ap.add_argument("--seeded-numbers", type=int, required=True,
                    help="NUMBERS of the seeding: new numbers sort next to 138 + 0..N-1")
    ap.add_argument("--tag", type=int, default=0, help="0-99, distinct per writer run")
    ap.add_argument("--workers", type=int, default=8, help="sending threads")
    ap.add_argument("--pool", type=int, default=20, help="numbers added before the timed writes")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    ap.add_argument("--ready", help="file created when the timed writes start (after --pool)")
    a = ap.parse_args()
    if a.rate <= 0 or not 0 <= a.tag <= 99:
        ap.error("--rate must be > 0 and --tag within 0..99")
    random.seed(os.urandom(8))
    return Writer(a).run()


if __name__ == "__main__":
    sys.exit(main())

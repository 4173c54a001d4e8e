"""Signed call-event webhooks (docs/telephony.md "Webhooks"): the demo instance's webhook
(conftest `SipRig`: `[plugins.calls.webhooks."ccc-test"]`) POSTs to a receiver this module runs
on `gateway.webhook_port`. A real call between SIPp phones must arrive as signed webhooks, in
`seq` order 1..n, the last one final (`ended`); a receiver answering 500 gets the event again
(and nothing later of that call before it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sipp import Phone, PhoneSpec
from test_calls import AGENT_NUMBER, CUSTOMER_NUMBER, b2b, outbound_number, record


class Receiver:
    """Records every POST (event id, status answered, headers, body); answers 500 to the first
    delivery of each event id in `fail_once`."""

    def __init__(self, port: int):
        self.got: list[dict] = []
        self.fail_once: set[str] = set()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event_id = self.headers.get("X-Ccgate-Event-Id", "")
                with receiver.lock:
                    status = 200
                    if event_id in receiver.fail_once:
                        receiver.fail_once.discard(event_id)
                        status = 500
                    receiver.got.append(
                        {"event_id": event_id, "status": status, "headers": self.headers,  # case-insensitive
                         "body": body, "path": self.path}
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of(self, contact_id: str) -> list[dict]:
        with self.lock:
            return [g for g in self.got if g["event_id"].startswith(f"{contact_id}:")]

    def wait_final(self, contact_id: str, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            mine = self.of(contact_id)
            if mine and mine[-1]["status"] == 200 and json.loads(mine[-1]["body"]).get("final"):
                return mine
            assert time.monotonic() < deadline, f"no final webhook for {contact_id}: {mine}"
            time.sleep(0.1)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(gateway):
    r = Receiver(gateway.webhook_port)
    yield r
    r.close()


def verify(secret: str, delivery: dict) -> dict:
    """The receiver's check, as docs/telephony.md shows it."""
    h = delivery["headers"]
    ts = h["X-Ccgate-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + delivery["body"],
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, h["X-Ccgate-Signature"]), delivery
    assert abs(time.time() - int(ts)) < 300, ts
    assert h["Content-Type"] == "application/json", h
    return json.loads(delivery["body"])


def check_order(gateway, contact_id: str, deliveries: list[dict]) -> list[dict]:
    """Every delivery signed; the accepted ones are seq 1..n once each, in order, the last
    final; a refused one is followed by itself again."""
    events = [verify(gateway.webhook_secret, d) for d in deliveries]
    for d, ev in zip(deliveries, events):
        assert d["path"] == "/hooks"
        assert ev["contact_id"] == contact_id and ev["instance_id"] == "ccc-test", ev
        assert d["event_id"] == ev["event_id"] == f"{contact_id}:{ev['seq']}", (d, ev)
    accepted = [ev for d, ev in zip(deliveries, events) if d["status"] == 200]
    assert [ev["seq"] for ev in accepted] == list(range(1, len(accepted) + 1)), accepted
    assert accepted[-1]["final"] is True and accepted[-1]["event"] == "ended", accepted[-1]
    assert not any(ev["final"] for ev in accepted[:-1]), accepted
    for i, d in enumerate(deliveries):
        if d["status"] != 200:
            assert deliveries[i + 1]["event_id"] == d["event_id"], deliveries
    return accepted


def test_a_calls_events_arrive_signed_in_order_and_a_refused_one_again(
        gateway, demo, a2017, new_number, receiver):
    sip = gateway.sip
    instance = demo.instance_id
    number = outbound_number(a2017, instance, new_number)
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=200, talk_ms=15000, port=sip.agent_port)) as agent, \
            Phone.start(PhoneSpec("uas", who="customer", ring_ms=600, talk_ms=1500,
                                  port=sip.customer_port)) as customer:
        body = b2b(demo, InstanceId=instance, CallCenterNumber=number, Caller=AGENT_NUMBER,
                   Callee=CUSTOMER_NUMBER)
        assert body["Success"] is True, body
        task = body["TaskId"]
        # The receiver refuses the call's third event once.
        receiver.fail_once.add(f"{task}:3")
        agent.assert_success(30)
        customer.assert_success(30)
    record(a2017, instance, task)
    deliveries = receiver.wait_final(task)
    accepted = check_order(gateway, task, deliveries)
    names = [ev["event"] for ev in accepted]
    assert names[0] == "inviting" and "bridged" in names and names[-2:] == ["released", "ended"], names
    refused = [d for d in deliveries if d["status"] == 500]
    assert [d["event_id"] for d in refused] == [f"{task}:3"], deliveries
    assert [d["event_id"] for d in deliveries].count(f"{task}:3") == 2, deliveries
    # The final event carries the record.
    call = accepted[-1]["call"]
    assert call["status"] == "ENDED" and call["caller"] == AGENT_NUMBER, call
    assert call["callee"] == CUSTOMER_NUMBER and call["bridged_ms"] > 0, call


def test_a_failed_call_ends_with_its_final_event(gateway, demo, a2017, new_number, receiver):
    sip = gateway.sip
    instance = demo.instance_id
    number = outbound_number(a2017, instance, new_number)
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=100, talk_ms=15000, port=sip.agent_port)) as agent, \
            Phone.start(PhoneSpec("busy", who="customer", ring_ms=300, port=sip.customer_port)) as customer:
        task = b2b(demo, InstanceId=instance, CallCenterNumber=number, Caller=AGENT_NUMBER,
                   Callee=CUSTOMER_NUMBER)["TaskId"]
        agent.assert_success(30)
        customer.assert_success(30)
    record(a2017, instance, task)
    accepted = check_order(gateway, task, receiver.wait_final(task))
    failed = [ev for ev in accepted if ev["event"] == "failed"]
    assert failed and failed[0]["sip_code"] == 486 and failed[0]["leg"] == "second", accepted

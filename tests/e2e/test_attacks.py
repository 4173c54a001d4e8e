"""Issue 9's findings, each replayed as the attacker did it, against the real binary.

Every test here failed before the hardening and passes now:
- replay after restart (every backend): a refused replay of AddPhoneNumber succeeded after a
  restart, because the nonce store lives in memory;
- revoked and disabled-key Bearer tokens (every backend, Alibaba and Huawei);
- NUL values (every backend; PostgreSQL answered 500), a long LIKE pattern (SQLite answered 500),
  XML control characters (a stored flow name made every later XML listing malformed);
- an unsigned header choosing the action of a v1-signed request;
- HTTP level, on a dedicated SQLite gateway with short limits (the backend plays no part):
  held bodies, idle and excess connections, `Upgrade: websocket`, one tenant exhausting the
  nonce store, and log forging through the raw `Action`.
"""

from __future__ import annotations

import socket
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests
from aliyunsdkcore.acs_exception.exceptions import ServerException

from conftest import Gateway, client_2020
from test_auth import capture_signed_url
from test_flows import main_definition

# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def raw(port: int, data: bytes, wait: float = 5.0) -> tuple[bytes, float]:
    """Sends `data` on a new connection and reads until the server closes it (or `wait`
    seconds pass); the bytes read and the seconds it took."""
    started = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(wait)
    s.sendall(data)
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except socket.timeout:
        pass
    finally:
        s.close()
    return out, time.monotonic() - started


def envelope(resp: bytes) -> tuple[int, dict]:
    """Status and JSON body of one raw HTTP/1.1 response."""
    import json

    head, _, body = resp.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


# ---------------------------------------------------------------------------------------------
# every backend
# ---------------------------------------------------------------------------------------------


def test_replay_after_restart_is_refused(gateway, new_number):
    demo = gateway.create_tenant()  # its own instance: other modules count the demo's data
    sdk = demo.sdk2017()
    urls = capture_signed_url(sdk)
    number = new_number()
    added = sdk.call("AddPhoneNumber", InstanceId=demo.instance_id, PhoneNumber=number, Usage="Inbound")
    signed_add = urls[-1]
    # The replay is refused while the process lives...
    r = requests.post(gateway.base_url + signed_add)
    assert (r.status_code, r.json()["Code"]) == (400, "SignatureNonceUsed"), r.text
    # ...the number goes, so a replay that got through would add it again...
    sdk.call(
        "RemovePhoneNumber",
        InstanceId=demo.instance_id,
        PhoneNumberId=added["PhoneNumber"]["PhoneNumberId"],
    )
    gateway.restart()
    # ...and after a restart (or a crash) the window does not reopen.
    r = requests.post(gateway.base_url + signed_add)
    body = r.json()
    assert (r.status_code, body["Code"]) == (400, "InvalidTimeStamp.Expired"), r.text
    assert "earlier than this gateway's start" in body["Message"]
    listed = sdk.call("ListPhoneNumbers", InstanceId=demo.instance_id, OutboundOnly=False)
    assert number not in [n["Number"] for n in listed["PhoneNumbers"]["PhoneNumber"]]
    # Fresh requests are served as before.
    assert sdk.call("ListContactFlows", InstanceId=demo.instance_id)["Success"] is True


def bearer_call(gateway, token: str) -> tuple[int, str]:
    r = requests.post(
        gateway.base_url,
        params={
            "Action": "ListContactFlows",
            "Version": "2020-07-01",
            "InstanceId": "x",
            "PageNumber": "1",
            "PageSize": "1",
            "SignatureType": "BEARERTOKEN",
        },
        headers={"x-acs-bearer-token": token},
    )
    return r.status_code, r.json().get("Code", "OK")


def wait_for(check, seconds: float = 5.0):
    """Polls `check()` until it returns a true value (the gateway caches keys for 1 s here)."""
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def test_bearer_tokens_are_revocable_and_die_with_their_key(gateway):
    t = gateway.create_tenant()
    one = gateway.issue_token(t.access_key_id)
    other = gateway.issue_token(t.access_key_id)
    # InstanceId "x" is not theirs: 404 proves the token itself was accepted.
    assert bearer_call(gateway, one) == (404, "NotExists.InstanceId")
    gateway.admin("token", "revoke", one)
    assert wait_for(lambda: bearer_call(gateway, one) == (401, "InvalidBearerToken.Revoked"))
    assert bearer_call(gateway, other) == (404, "NotExists.InstanceId")
    # Finding 4: a token kept working for its whole lifetime after its key was disabled.
    gateway.admin("key", "disable", t.access_key_id)
    assert wait_for(lambda: bearer_call(gateway, other) == (401, "InvalidBearerToken.Revoked"))
    gateway.admin("key", "enable", t.access_key_id)
    time.sleep(1.5)
    assert bearer_call(gateway, other) == (401, "InvalidBearerToken.Revoked"), "not revived"
    time.sleep(1.1)  # tokens issued in the second of the disable are revoked too
    fresh = gateway.issue_token(t.access_key_id)
    assert bearer_call(gateway, fresh) == (404, "NotExists.InstanceId")
    # Huawei tokens are bound to their app key the same way.
    tok = requests.post(
        gateway.base_url + "/apigovernance/api/oauth/tokenByAkSk",
        json={"app_key": t.access_key_id, "app_secret": t.access_key_secret},
    ).json()["AccessToken"]
    url = gateway.base_url + "/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList"
    auth = {"Authorization": f"Bearer {tok}"}
    assert requests.post(url, json={}, headers=auth).status_code == 200
    gateway.admin("token", "revoke", "--access-key-id", t.access_key_id)
    assert wait_for(lambda: requests.post(url, json={}, headers=auth).status_code == 403)


def test_nul_values_are_refused_before_any_query(gateway, demo):
    # Finding 5: on PostgreSQL these reached a query and answered 500.
    r = requests.get(
        gateway.base_url,
        params={"Action": "ListContactFlows", "Version": "2017-07-05", "AccessKeyId": "\0"},
    )
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidParameter"), r.text
    r = requests.post(
        gateway.base_url + "/apigovernance/api/oauth/tokenByAkSk",
        json={"app_key": "\0", "app_secret": "x"},
    )
    assert (r.status_code, r.json()["retCode"]) == (400, "400"), r.text
    sdk = demo.sdk2017()
    with pytest.raises(ServerException) as e:
        sdk.call("GetRoutePoint", InstanceId=demo.instance_id, ContactFlowId="a\0b")
    assert (e.value.get_http_status(), e.value.get_error_code()) == (400, "InvalidParameter")


def test_long_like_patterns_are_refused(gateway, demo, m2020, expect_error):
    # Finding 5: on SQLite 25,000 `%` gave 500 "LIKE or GLOB pattern too complex".
    client = demo.sdk2020()
    # (25,000 `%` URL-encode to 75 KB, over the URI limit: that is refused as a malformed head.)
    for pattern in ("%" * 15_000, "_" * 15_000, "x" * 49_999):
        req = m2020.ListPhoneNumbersRequest(
            instance_id=demo.instance_id, page_number=1, page_size=10, search_pattern=pattern
        )
        expect_error(lambda: client.list_phone_numbers(req), 400, "Parameter.Maximum")


def test_xml_listings_stay_well_formed(gateway):
    # Finding 5: a flow name holding a control character made every later XML listing of the
    # instance malformed.
    demo = gateway.create_tenant()  # its own instance: other modules count the demo's flows
    sdk = demo.sdk2017()
    tag = uuid.uuid4().hex[:6]
    name = "ctl\x01\x1b[31m\ufffe-" + tag
    created = sdk.call(
        "CreateContactFlow",
        InstanceId=demo.instance_id,
        Name=name,
        Description="d\x02",
        Content=main_definition("hello"),
    )
    assert created["Success"] is True
    # Listed as XML that parses, with U+FFFD where XML 1.0 cannot carry the character...
    req = sdk.request("ListContactFlows", InstanceId=demo.instance_id)
    req.set_accept_format("XML")
    xml = sdk.client.do_action(req).decode()  # the SDK's own Format
    root = ET.fromstring(xml)
    names = [e.text for e in root.iter("ContactFlowName")]
    assert "ctl\ufffd\ufffd[31m\ufffd-" + tag in names, xml[:500]
    # ...while JSON keeps the value as stored.
    listed = sdk.call("ListContactFlows", InstanceId=demo.instance_id)
    assert name in [f["ContactFlowName"] for f in listed["ContactFlows"]["ContactFlow"]]


def test_an_unsigned_header_cannot_choose_the_action(gateway, demo):
    sdk = demo.sdk2017()
    urls = capture_signed_url(sdk)
    sdk.call("ListContactFlows", InstanceId=demo.instance_id)
    # Finding 3: the signed ListContactFlows was served as the header's action. (A fresh nonce
    # would be needed to be served at all; the refusal comes first.)
    r = requests.post(gateway.base_url + urls[-1], headers={"x-acs-action": "CreateContactFlow"})
    assert (r.status_code, r.json()["Code"]) == (400, "IncompleteSignature"), r.text


# ---------------------------------------------------------------------------------------------
# HTTP level: one SQLite gateway with short limits
# ---------------------------------------------------------------------------------------------

LIMITS = {
    "CCGATE__LIMITS__BODY_TIMEOUT_SECS": "2",
    "CCGATE__LIMITS__HEAD_TIMEOUT_MS": "1500",
    "CCGATE__LIMITS__MAX_CONNECTIONS_PER_IP": "10",
    "CCGATE__SECURITY__MAX_NONCES": "1000",
    "CCGATE__SECURITY__MAX_NONCES_PER_KEY": "20",
    "CCGATE__LOG__FORMAT": "text",
}


@pytest.fixture(scope="module")
def tight(ccgate_binary, tmp_path_factory) -> Gateway:
    gw = Gateway(ccgate_binary, tmp_path_factory.mktemp("gw-tight"), "sqlite")
    gw.env.update(LIMITS)
    try:
        gw.start()
    except Exception:
        gw.stop()
        raise
    yield gw
    gw.stop()


def test_held_bodies_are_cut_off(tight):
    # Finding 2: bodies being read had no time limit (200 connections pinned 1.66 GB).
    head = (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    )
    for framing in (b"Content-Length: 8000000\r\n\r\nAction=", b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"):
        out, took = raw(tight.port, head + framing, wait=10)
        status, body = envelope(out)
        assert (status, body["Code"]) == (408, "RequestTimeout"), out[:300]
        assert body["RequestId"]
        assert b"connection: close" in out.lower()
        assert took < 6, f"closed after {took:.1f}s (body timeout 2 s)"
    # An oversized declared body is refused at once.
    out, took = raw(tight.port, head + b"Content-Length: 9000000\r\n\r\n", wait=10)
    assert envelope(out)[1]["Code"] == "RequestEntityTooLarge"
    assert took < 2


def test_idle_connections_are_closed_with_an_envelope(tight):
    out, took = raw(tight.port, b"GET / HTTP/1.1\r\nHo", wait=10)
    status, body = envelope(out)
    assert (status, body["Code"]) == (408, "RequestTimeout"), out[:300]
    assert took < 5


def test_websocket_upgrades_are_refused_at_once(tight):
    # Finding 2: `Upgrade: websocket` on `/` held a connection for minutes.
    out, took = raw(
        tight.port,
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        wait=10,
    )
    status, body = envelope(out)
    assert (status, body["Code"]) == (400, "InvalidRequest.Upgrade"), out[:300]
    assert took < 3


def test_connections_beyond_the_per_address_quota_are_refused(tight):
    # Finding 2: ~20,000 held connections used every file descriptor.
    socks = [socket.create_connection(("127.0.0.1", tight.port)) for _ in range(14)]
    try:
        codes = []
        for s in socks:
            s.settimeout(5)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        for s in socks:
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            codes.append(envelope(data)[1]["Code"])
    finally:
        for s in socks:
            s.close()
    assert codes.count("MissingParameter") == 10, codes
    assert codes.count("Throttling.Connections") == 4, codes
    # Closed connections give their places back.
    time.sleep(0.5)
    r = requests.post(tight.base_url)
    assert r.json()["Code"] == "MissingParameter"


def test_one_tenant_cannot_exhaust_the_nonce_store(tight):
    # Finding 4: one tenant filled the global store and everyone got 503 while /readyz said ready.
    greedy, polite = tight.create_tenant(), tight.create_tenant()
    sdk = greedy.sdk2017()
    for _ in range(20):
        sdk.call("ListContactFlows", InstanceId=greedy.instance_id)
    with pytest.raises(ServerException) as e:
        sdk.call("ListContactFlows", InstanceId=greedy.instance_id)
    assert (e.value.get_http_status(), e.value.get_error_code()) == (429, "Throttling.User")
    assert polite.sdk2017().call("ListContactFlows", InstanceId=polite.instance_id)["Success"]
    ready = requests.get(tight.base_url + "/readyz")
    assert ready.status_code == 200 and "nonce store:" in ready.text, ready.text
    metrics = requests.get(tight.base_url + "/metrics").text
    entries = [l for l in metrics.splitlines() if l.startswith("ccgate_nonce_store_entries ")]
    assert entries and int(entries[0].split()[1]) >= 21, metrics
    assert "ccgate_nonce_store_capacity 1000" in metrics


def test_log_lines_cannot_be_forged_or_flooded(tight):
    # Finding 6: the raw Action was logged twice before authentication, unbounded, and a
    # newline in it forged a line in the text log.
    before = tight.stderr_path.stat().st_size
    forged = "List\n2026-12-04T00:00:00.000000Z  INFO forged: admin logged in\x1b[31m" + "A" * 500_000
    r = requests.post(
        tight.base_url,
        data={"Action": forged, "Version": "2017-07-05", "AccessKeyId": "nobody"},
    )
    assert r.status_code in (400, 404), r.text
    time.sleep(0.3)
    with open(tight.stderr_path, "rb") as f:
        f.seek(before)
        written = f.read()
    assert len(written) < 4096, f"{len(written)} bytes of log for one request"
    assert b"forged" not in written and b"\x1b[31m" not in written, written[:1000]

"""Asynchronous CDR exports end to end: real calls (StartBack2BackCall between two SIPp phones,
as tests/e2e/test_calls.py places them) on a fresh tenant, then exports of their time range
through `POST /v1/instances/{id}/cdr-exports`, polled at `GET .../cdr-exports/{ExportId}` until
Done and downloaded from `GET .../cdr-exports/{ExportId}/file`: the CSV holds exactly the calls
placed, the Parquet file (read with pyarrow) the same rows.

Credentials are the agent-state stream's (Authorization: Bearer); errors are Alibaba JSON
envelopes. The phones use the fixed ports of the gateway's `[telephony]` (conftest `SipRig`),
so the calls run one after another.
"""

from __future__ import annotations

import csv
import io
import time

import pyarrow.parquet as pq
import requests

from sipp import Phone, PhoneSpec
from test_calls import AGENT_NUMBER, CUSTOMER_NUMBER, b2b, outbound_number

CALLS = 2


def url(tenant, suffix: str = "") -> str:
    return f"{tenant.gateway.base_url}/v1/instances/{tenant.instance_id}/cdr-exports{suffix}"


def auth(tenant) -> dict:
    return {"Authorization": f"Bearer {tenant.bearer_token}"}


def wait_done(tenant, export_id: str, timeout: float = 20.0) -> dict:
    """Polls the status resource until Done; PercentDone never goes down."""
    deadline = time.monotonic() + timeout
    last = -1
    while True:
        r = requests.get(url(tenant, f"/{export_id}"), headers=auth(tenant), timeout=5)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["ExportId"] == export_id and body["RequestId"], body
        assert body["Status"] in ("Pending", "Running", "Done"), body
        assert body["PercentDone"] >= last, body
        last = body["PercentDone"]
        if body["Status"] == "Done":
            return body
        assert time.monotonic() < deadline, f"the export did not finish: {body}"
        time.sleep(0.2)


def download(tenant, export_id: str) -> requests.Response:
    r = requests.get(url(tenant, f"/{export_id}/file"), headers=auth(tenant), timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Disposition"].startswith("attachment; filename=\"cdr-"), r.headers
    assert int(r.headers["Content-Length"]) == len(r.content)
    return r


def test_cdr_export_of_real_calls_as_csv_and_parquet(gateway, new_number):
    t = gateway.create_tenant()
    a2017 = t.sdk2017()
    inst = t.instance_id
    number = outbound_number(a2017, inst, new_number)
    sip = gateway.sip
    t0 = int(time.time() * 1000)
    placed = []
    for _ in range(CALLS):
        with Phone.start(PhoneSpec("uas", who="agent", ring_ms=200, talk_ms=15000,
                                   port=sip.agent_port)) as agent, \
                Phone.start(PhoneSpec("uas", who="customer", ring_ms=300, talk_ms=800,
                                      port=sip.customer_port)) as customer:
            body = b2b(t, InstanceId=inst, CallCenterNumber=number, Caller=AGENT_NUMBER,
                       Callee=CUSTOMER_NUMBER)
            assert body["Success"] is True, body
            placed.append(body["TaskId"])
            agent.assert_success(30)
            customer.assert_success(30)
    # The reports plugin records a call when the calls plugin publishes its end.
    deadline = time.monotonic() + 15
    while True:
        cdrs = a2017.call("ListCallDetailRecords", InstanceId=inst, PageNumber=1, PageSize=10,
                          StartTime=t0 - 1000, StopTime=int(time.time() * 1000) + 1000)
        if cdrs["CallDetailRecords"]["TotalCount"] >= CALLS:
            break
        assert time.monotonic() < deadline, cdrs
        time.sleep(0.3)
    start, end = t0 - 1000, int(time.time() * 1000) + 1000

    # CSV, parameters as JSON.
    r = requests.post(url(t), json={"StartTime": start, "EndTime": end, "Format": "csv"},
                      headers=auth(t), timeout=5)
    assert r.status_code == 202, r.text
    started = r.json()
    assert started["Status"] == "Pending" and started["RequestId"], started
    export_id = started["ExportId"]
    assert r.headers["Location"] == f"/v1/instances/{inst}/cdr-exports/{export_id}"
    status = wait_done(t, export_id)
    assert status["PercentDone"] == 100 and status["RowsDone"] == CALLS, status
    assert status["RowsTotal"] == CALLS and status["Format"] == "csv", status
    assert status["StartTime"] == start and status["EndTime"] == end and status["Error"] == ""
    assert status["FinishTime"] >= status["CreateTime"] > 0, status
    f = download(t, export_id)
    assert f.headers["Content-Type"].startswith("text/csv"), f.headers
    rows = list(csv.DictReader(io.StringIO(f.content.decode("utf-8"))))
    assert sorted(r["ContactId"] for r in rows) == sorted(placed), rows
    assert [r["StartTime"] for r in rows] == sorted((r["StartTime"] for r in rows), key=int)
    for row in rows:
        assert row["InstanceId"] == inst and row["ContactType"] == "Back2Back", row
        assert row["ContactDisposition"] == "Success", row
        assert row["CallingNumber"] == AGENT_NUMBER and row["CalledNumber"] == CUSTOMER_NUMBER
        assert start <= int(row["StartTime"]) < end, row
        assert int(row["ReleaseTime"]) >= int(row["AnswerTime"]) > int(row["StartTime"]), row
        assert row["ReleaseReason"].startswith("200"), row

    # Parquet, parameters as a form body.
    r = requests.post(url(t), data={"StartTime": str(start), "EndTime": str(end),
                                    "Format": "parquet"}, headers=auth(t), timeout=5)
    assert r.status_code == 202, r.text
    pid = r.json()["ExportId"]
    assert wait_done(t, pid)["Format"] == "parquet"
    f = download(t, pid)
    assert f.headers["Content-Type"] == "application/vnd.apache.parquet", f.headers
    assert f.content[:4] == b"PAR1" and f.content[-4:] == b"PAR1"
    table = pq.read_table(io.BytesIO(f.content))
    assert table.num_rows == len(rows) == CALLS
    assert sorted(table.column("ContactId").to_pylist()) == sorted(placed)
    assert table.column_names == list(rows[0].keys())
    assert sorted(table.column("StartTime").to_pylist()) == sorted(int(r["StartTime"]) for r in rows)

    # A range without calls: Done at once with an empty file (the CSV header alone).
    r = requests.post(url(t), json={"StartTime": 0, "EndTime": 1000}, headers=auth(t), timeout=5)
    empty = r.json()["ExportId"]
    assert wait_done(t, empty)["RowsTotal"] == 0
    assert download(t, empty).content.decode().strip().startswith("ContactId,InstanceId,")


def test_cdr_export_refusals(gateway, other):
    t = gateway.create_tenant()
    # No credentials.
    r = requests.post(url(t), json={"StartTime": 0, "EndTime": 1}, timeout=5)
    assert r.status_code == 401 and r.json()["Code"] == "InvalidCredentials", r.text
    # Another account's token does not see the instance.
    r = requests.post(url(t), json={"StartTime": 0, "EndTime": 1}, headers=auth(other), timeout=5)
    assert r.status_code == 404, r.text
    # Bad parameters, in the Alibaba envelope.
    r = requests.post(url(t), json={"StartTime": 0, "EndTime": 1, "Format": "xlsx"},
                      headers=auth(t), timeout=5)
    body = r.json()
    assert r.status_code == 400 and body["Code"] == "InvalidParameter", r.text
    assert "Format" in body["Message"] and body["RequestId"], body
    r = requests.post(url(t), json={"StartTime": 5, "EndTime": 5}, headers=auth(t), timeout=5)
    assert r.status_code == 400 and "EndTime" in r.json()["Message"], r.text
    r = requests.post(url(t), json={"EndTime": 5}, headers=auth(t), timeout=5)
    assert r.status_code == 400 and r.json()["Code"] == "MissingParameter", r.text
    # An unknown export, and another instance's export.
    r = requests.get(url(t, "/00000000-0000-4000-8000-000000000000"), headers=auth(t), timeout=5)
    assert r.status_code == 404 and r.json()["Code"] == "NotExists.ExportId", r.text
    r = requests.post(url(t), json={"StartTime": 0, "EndTime": 1}, headers=auth(t), timeout=5)
    assert r.status_code == 202, r.text
    mine = r.json()["ExportId"]
    theirs = f"{other.gateway.base_url}/v1/instances/{other.instance_id}/cdr-exports/{mine}"
    r = requests.get(theirs, headers=auth(other), timeout=5)
    assert r.status_code == 404 and r.json()["Code"] == "NotExists.ExportId", r.text
    r = requests.get(theirs + "/file", headers=auth(other), timeout=5)
    assert r.status_code == 404, r.text

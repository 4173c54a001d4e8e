"""The `reports` plugin end to end: a scripted day of real SIP calls between SIPp phones, driven
through the official SDKs, then every report action checked against figures computed here from
what the script did (docs/metrics.md defines every field).

The day, on a fresh account (so the account-wide metering reports are exact too), one instance,
skill group G with agent A (signs in and works) and agent B (never signs in), a hotline bound to
G and an outbound number:

| # | what | ContactType / ContactDisposition |
|---|---|---|
| 0 | A signs in, READY, takes a break of ~2 s; meanwhile a customer calls the hotline: no READY agent, refused 480 | Inbound / QueueOverflow |
| 1 | A READY again; a customer calls, A's phone rings 0.5 s and answers, the customer hangs up after 1.5 s; 1 s after-call work | Inbound / Success |
| 2 | the same with another customer | Inbound / Success |
| 3 | a customer calls, A's phone rings 0.5 s and refuses (486): A missed it | Inbound / AbandonedRing |
| 4 | DialEx (AnswerMode 2, group G): the customer answers, then A; A hangs up after 1.5 s; 1 s after-call work | Outbound / Success |
| 5 | StartBack2BackCall to a busy customer (486) | Back2Back / NoAnswer |

Counts are checked exactly; durations within a tolerance (SIPp's timing varies by a few hundred
ms); ratios exactly (32-bit float) from the counts. The phones use the fixed ports of the
gateway's `[telephony]` (conftest `SipRig`), so the calls run one after another.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aliyunsdkcore.request import CommonRequest

from conftest import call_api, client_2020
from sipp import Phone, PhoneSpec, ensure_sipp, free_rtp_port, free_sip_port

V2017 = "2017-07-05"
ZONE = ZoneInfo("Asia/Shanghai")  # the reports plugin's default instance time zone
AGENT_NUMBER = "13800000001"  # the agent phone (trunk prefix 1380)
CUSTOMER_ANSWERS = "13900000001"  # the customer phone (trunk prefix 1390)
CUSTOMER_BUSY = "13900000002"
INBOUND_CALLERS = ["13700000010", "13700000011", "13700000012", "13700000013"]  # calls 0..3
RING_MS = 500  # A's phone rings this long on inbound calls
TALK_MS = 1500  # the customer (inbound) or A (DialEx) hangs up after this much talk
BREAK_S = 2.0
TOL = 1  # seconds, for one duration
TOL_SUM = 2  # seconds, for sums over several calls or periods


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def rpc(tenant, action: str, **params) -> dict:
    """A 2017-07-05 RPC action through aliyun-python-sdk-core's CommonRequest (AccessKey
    signature v1, POST, parameters in the query)."""
    req = CommonRequest(domain=tenant.gateway.endpoint, version=V2017, action_name=action)
    req.set_method("POST")
    for k, v in params.items():
        if v is not None:
            req.add_query_param(k, str(v))
    body = json.loads(tenant.sdk2017().client.do_action_with_exception(req))
    assert body["Success"] is True and body["Code"] == "OK" and body["HttpStatusCode"] == 200, body
    return body


def f32(x: float) -> float:
    """A ratio as the plugin sends it: 32-bit float, widened."""
    return struct.unpack("f", struct.pack("f", x))[0]


def ratio(num: int, den: int) -> float:
    return f32(num / den) if den else 0.0


def same_ratio(got, num: int, den: int) -> bool:
    return math.isclose(float(got), ratio(num, den), rel_tol=1e-6, abs_tol=1e-9)


def local(ts: float) -> str:
    return datetime.fromtimestamp(ts, ZONE).strftime("%Y-%m-%d %H:%M:%S")


def items(v, elem: str) -> list:
    """The items of a list, whether sent in the seed's JSON wire form {"<elem>": [...]} or as a
    bare array (test_list_wire_forms pins which one each list uses)."""
    if isinstance(v, dict):
        assert list(v) == [elem], f"expected {{{elem!r}: [...]}}, got {v!r}"[:500]
        return v[elem]
    assert isinstance(v, list), f"expected a list, got {v!r}"[:500]
    return v


def near(got, expected: float, tol: float, what: str) -> None:
    assert abs(int(got) - expected) <= tol, f"{what}: got {got}, expected {expected:.2f} ± {tol}"


UAC_REFUSED = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="customer refused">
  <send retrans="500"><![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: CALLER <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:CALLER@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="480" optional="true" next="ack"/>
  <recv response="486" optional="true" next="ack"/>
  <recv response="487" optional="true" next="ack"/>
  <recv response="408" optional="true" next="ack"/>
  <recv response="603" optional="true" next="ack"/>
  <recv response="503" next="ack"/>
  <label id="ack"/>
  <send><![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: CALLER <sip:CALLER@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <timewait milliseconds="300"/>
</scenario>
"""


def customer_calls(sip_port: int, hotline: str, caller: str, *, refused: bool) -> str:
    """A customer (SIPp UAC, caller id `caller`) calls the hotline at ccgate's SIP port.
    Answered: SIPp's built-in uac with the From user replaced, hanging up TALK_MS after the 200.
    Refused: a UAC that expects a final error and ACKs it. Returns the final status line the
    customer got (e.g. 'SIP/2.0 480 Temporarily Unavailable')."""
    sipp = ensure_sipp()
    d = Path(tempfile.mkdtemp(prefix="sipp-customer-"))
    if refused:
        text = UAC_REFUSED.replace("CALLER", caller)
    else:
        text = subprocess.run([sipp, "-sd", "uac"], capture_output=True, text=True).stdout  # exits 99
        text = text.replace("From: sipp <sip:sipp@", f"From: {caller} <sip:{caller}@")
        assert f"sip:{caller}@" in text, "SIPp's uac scenario changed"
    (d / "uac.xml").write_text(text, encoding="latin-1")
    port = free_sip_port("udp")
    r = subprocess.run(
        [sipp, "-sf", str(d / "uac.xml"), f"127.0.0.1:{sip_port}", "-s", hotline,
         "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1", "-mp", str(free_rtp_port(port)),
         "-d", str(TALK_MS), "-m", "1", "-nostdin", "-timeout", "25",
         "-trace_msg", "-message_file", str(d / "messages.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=40)
    msgs = (d / "messages.txt").read_text(errors="replace") if (d / "messages.txt").exists() else ""
    finals = [ln.strip() for ln in msgs.splitlines()
              if ln.startswith("SIP/2.0 ") and not ln.startswith(("SIP/2.0 1", "SIP/2.0/"))]
    assert r.returncode == 0, f"customer {caller}: SIPp exited {r.returncode}\n{msgs[-3000:]}"
    return finals[0] if finals else ""


def poll_state(client, m2020, instance: str) -> str:
    resp = client.poll_user_status(m2020.PollUserStatusRequest(instance_id=instance))
    return resp.body.data.user_context.user_state


def wait_state(client, m2020, instance: str, state: str, timeout: float = 10.0) -> float:
    """Waits until the agent is in `state`; returns the time.time() it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        got = poll_state(client, m2020, instance)
        if got == state:
            return time.time()
        assert time.monotonic() < deadline, f"the agent stayed {got}, never {state}"
        time.sleep(0.1)


# --------------------------------------------------------------------------------------------
# the scripted day (once per backend)
# --------------------------------------------------------------------------------------------


class Day:
    pass


@pytest.fixture(scope="module")
def day(gateway, new_number, m2020) -> Day:
    sip = gateway.sip
    t = gateway.create_tenant(gateway.unique("reports"))
    inst = t.instance_id
    admin = client_2020(gateway.endpoint, bearer_token=t.bearer_token)
    sdk = t.sdk2017()
    d = Day()
    d.tenant, d.instance = t, inst
    d.t0 = time.time()

    # -- set-up: a skill group, two agents, a hotline bound to the group, an outbound number
    sfx = uuid.uuid4().hex[:6]
    d.group_name = f"报表热线{sfx}"
    d.group = sdk.call("CreateSkillGroup", InstanceId=inst, Name=d.group_name,
                       Description="reports e2e")["SkillGroupId"]
    roles = {r["RoleName"]: r["RoleId"]
             for r in call_api(admin, "ListRoles", V2017, {"InstanceId": inst})["Roles"]["Role"]}
    d.login_a, d.login_b = f"ra_{sfx}", f"rb_{sfx}"
    d.name_a = f"坐席甲 {sfx}"
    d.user_a = sdk.call("CreateUser", InstanceId=inst, LoginName=d.login_a, DisplayName=d.name_a,
                        Email=f"{d.login_a}@example.com", Phone="13800000002",
                        RoleIds=[roles["AGENT"]], SkillGroupIds=[d.group],
                        SkillLevels=[5])["UserId"]
    d.user_b = sdk.call("CreateUser", InstanceId=inst, LoginName=d.login_b,
                        DisplayName=f"坐席乙 {sfx}", Email=f"{d.login_b}@example.com",
                        Phone="13800000003", RoleIds=[roles["AGENT"]], SkillGroupIds=[d.group],
                        SkillLevels=[5])["UserId"]
    # AgentId in the reports is the RAM id (seed 004 §11: "等同于该座席的RAM子账户ID")
    d.ram_a = sdk.call("GetUser", InstanceId=inst, UserId=d.user_a)["User"]["RamId"]
    d.ram_b = sdk.call("GetUser", InstanceId=inst, UserId=d.user_b)["User"]["RamId"]
    d.hotline = new_number()
    pn = sdk.call("AddPhoneNumber", InstanceId=inst, PhoneNumber=d.hotline,
                  Usage="Inbound")["PhoneNumber"]
    sdk.call("ModifyPhoneNumber", InstanceId=inst, PhoneNumberId=pn["PhoneNumberId"],
             Usage="Inbound", SkillGroupIds=[d.group])
    d.outnum = new_number()
    assert sdk.call("AddPhoneNumber", InstanceId=inst, PhoneNumber=d.outnum,
                    Usage="Bidirection")["Success"] is True
    token = gateway.admin("token", "issue", "--access-key-id", t.access_key_id,
                          "--subject", d.login_a, "--role", "agent").strip()
    desk = client_2020(gateway.endpoint, bearer_token=token)

    # -- A signs in, is READY, takes a break; a call arrives meanwhile: QueueOverflow
    desk.sign_in_group(m2020.SignInGroupRequest(
        instance_id=inst, signed_skill_group_id_list=json.dumps([d.group]), device_id="sip-1"))
    d.t_signin = time.time()
    desk.ready_for_service(m2020.ReadyForServiceRequest(instance_id=inst))
    desk.take_break(m2020.TakeBreakRequest(instance_id=inst, code="Lunch"))
    d.t_break = time.time()
    d.final = {}
    d.final[0] = customer_calls(sip.port, d.hotline, INBOUND_CALLERS[0], refused=True)
    time.sleep(max(0.0, d.t_break + BREAK_S - time.time()))
    desk.ready_for_service(m2020.ReadyForServiceRequest(instance_id=inst))
    d.t_break_end = time.time()

    # -- two inbound calls answered by A, each followed by 1 s of after-call work
    for i in (1, 2):
        with Phone.start(PhoneSpec("uas", who="agent", ring_ms=RING_MS, talk_ms=20000,
                                   port=sip.agent_port)) as agent:
            d.final[i] = customer_calls(sip.port, d.hotline, INBOUND_CALLERS[i], refused=False)
            agent.assert_success(20)
        wait_state(desk, m2020, inst, "READY")

    # -- an inbound call A's phone refuses (486 after ringing): AbandonedRing
    with Phone.start(PhoneSpec("busy", who="agent", ring_ms=RING_MS, port=sip.agent_port)) as agent:
        d.final[3] = customer_calls(sip.port, d.hotline, INBOUND_CALLERS[3], refused=True)
        agent.assert_success(20)
    wait_state(desk, m2020, inst, "READY")

    # -- DialEx to the group: the customer answers, then A; A hangs up after TALK_MS
    with Phone.start(PhoneSpec("uas", who="customer", ring_ms=300, talk_ms=20000,
                               port=sip.customer_port)) as customer, \
            Phone.start(PhoneSpec("uas", who="agent", ring_ms=300, talk_ms=TALK_MS,
                                  port=sip.agent_port)) as agent:
        body = sdk.call("DialEx", InstanceId=inst, Caller=d.outnum, Callee=CUSTOMER_ANSWERS,
                        AnswerMode=2, RoutPoint=d.group)
        assert body["Success"] is True, body
        d.dial_ex = body["TaskId"]
        customer.assert_success(30)
        agent.assert_success(30)
    # A's last READY period starts here and stays open until the queries
    d.t_last_ready = wait_state(desk, m2020, inst, "READY")

    # -- StartBack2BackCall to a busy customer (the agent phone answers first, no agent)
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=100, talk_ms=15000,
                               port=sip.agent_port)) as agent, \
            Phone.start(PhoneSpec("busy", who="customer", ring_ms=300,
                                  port=sip.customer_port)) as customer:
        body = call_api(admin, "StartBack2BackCall", V2017, dict(
            InstanceId=inst, CallCenterNumber=d.outnum, Caller=AGENT_NUMBER, Callee=CUSTOMER_BUSY))
        d.b2b = body["TaskId"]
        agent.assert_success(30)
        customer.assert_success(30)
    wait_state(desk, m2020, inst, "READY")

    # -- wait until the reports reflect the six calls and A's last after-call work
    d.n_calls = 6
    deadline = time.monotonic() + 10
    while True:
        cdrs = rpc(t, "ListCallDetailRecords", InstanceId=inst, PageNumber=1, PageSize=100,
                   StartTime=int(d.t0 * 1000) - 1000, StopTime=int(time.time() * 1000) + 1000,
                   WithRecording="false")["CallDetailRecords"]
        out = rpc(t, "ListAgentSummaryReports", InstanceId=inst, AgentIds=d.user_a,
                  StartTime=local(d.t0 - 1), EndTime=local(time.time() + 5))
        rows = items(out["PagedAgentSummaryReport"]["List"], "AgentSummaryReport")
        if cdrs["TotalCount"] >= d.n_calls and rows and int(rows[0]["Outbound"]["TotalWorkTime"]) >= 1:
            break
        assert time.monotonic() < deadline, (
            f"the reports did not catch up within 10 s: {cdrs['TotalCount']} CDRs, agent row {rows}")
        time.sleep(0.3)
    d.t_end = time.time()
    d.start_local = local(d.t0 - 1)
    d.end_local = local(d.t_end + 5)
    d.day_local = datetime.fromtimestamp(d.t0, ZONE).date()
    d.crossed_midnight = datetime.fromtimestamp(d.t_end + 5, ZONE).date() != d.day_local
    d.range = dict(InstanceId=inst, StartTime=d.start_local, EndTime=d.end_local)
    # A report over d.range counts open periods up to its end (EndTime's second included), not
    # up to the query: a test that runs later than that expects no more.
    d.range_end = math.floor(d.t_end + 5) + 1
    return d


# --------------------------------------------------------------------------------------------
# expected figures (docs/metrics.md), from the script above
# --------------------------------------------------------------------------------------------

# inbound
IN_LINE = 4  # calls 0-3
IN_QUEUED = 4  # every inbound call went to a number bound to the group
IN_HANDLED = 2  # calls 1, 2
IN_OVERFLOW = 1  # call 0
IN_GIVEUP = 1  # call 3 (AbandonedRing)
A_RANG = 3  # calls 1, 2, 3 rang A
TALK_IN = 2 * TALK_MS / 1000  # calls 1, 2
RING_IN = 3 * RING_MS / 1000
# outbound
OUT_DIALED = 2  # DialEx, Back2Back
OUT_ANSWERED = 1
A_OUT_DIALED = 1  # DialEx went to A
TALK_OUT = TALK_MS / 1000
WORK_IN = 2.0  # 2 × 1 s after-call work
WORK_OUT = 1.0


def check_inbound_instance(inb: dict, what: str) -> None:
    assert inb["CallsIncomingLine"] == IN_LINE, (what, inb)
    assert inb["CallsIncomingQueue"] == IN_QUEUED, (what, inb)
    assert inb["CallsIncomingIVR"] == 0 and inb["CallsAbandonedInIVR"] == 0, (what, inb)
    assert inb["CallsAbandonedInQueue"] == 0, (what, inb)
    assert inb["CallsOffered"] == IN_QUEUED, (what, inb)
    assert inb["CallsHandled"] == IN_HANDLED, (what, inb)
    assert same_ratio(inb["HandleRate"], IN_HANDLED, IN_QUEUED), (what, inb)
    assert same_ratio(inb["ServiceLevel20"], IN_HANDLED, IN_QUEUED), (what, inb)
    near(inb["TotalTalkTime"], TALK_IN, TOL_SUM, f"{what} Inbound.TotalTalkTime")
    assert inb["AverageTalkTime"] == int(inb["TotalTalkTime"]) // IN_HANDLED, (what, inb)
    near(inb["MaxTalkTime"], TALK_MS / 1000, TOL, f"{what} Inbound.MaxTalkTime")
    near(inb["TotalRingTime"], RING_IN, TOL_SUM, f"{what} Inbound.TotalRingTime")
    assert inb["AverageRingTime"] == int(inb["TotalRingTime"]) // A_RANG, (what, inb)
    near(inb["MaxRingTime"], RING_MS / 1000, TOL, f"{what} Inbound.MaxRingTime")
    # wait = queue entry → agent answer: ring plus set-up, for the 2 handled calls
    near(inb["TotalWaitTime"], 2 * RING_MS / 1000, TOL_SUM, f"{what} Inbound.TotalWaitTime")
    assert inb["AverageWaitTime"] == int(inb["TotalWaitTime"]) // IN_HANDLED, (what, inb)
    near(inb["MaxWaitTime"], RING_MS / 1000, TOL, f"{what} Inbound.MaxWaitTime")
    near(inb["TotalWorkTime"], WORK_IN, TOL_SUM, f"{what} Inbound.TotalWorkTime")
    assert inb["AverageWorkTime"] == int(inb["TotalWorkTime"]) // IN_HANDLED, (what, inb)
    near(inb["MaxWorkTime"], 1, TOL, f"{what} Inbound.MaxWorkTime")
    check_no_satisfaction(inb, what)


def check_no_satisfaction(section: dict, what: str) -> None:
    for k in ("SatisfactionSurveysOffered", "SatisfactionSurveysResponded", "SatisfactionIndex"):
        assert section[k] == 0, (what, k, section)


def check_outbound(out: dict, dialed: int, answered: int, what: str, work: float) -> None:
    assert out["CallsDialed"] == dialed, (what, out)
    assert out["CallsAnswered"] == answered, (what, out)
    assert same_ratio(out["AnswerRate"], answered, dialed), (what, out)
    assert int(out["TotalDialingTime"]) <= 3 * dialed, (what, out)  # ring 0.3-0.6 s + set-up
    assert out["AverageDialingTime"] == int(out["TotalDialingTime"]) // dialed, (what, out)
    assert int(out["MaxDialingTime"]) <= int(out["TotalDialingTime"]), (what, out)
    near(out["TotalTalkTime"], TALK_OUT * answered, TOL, f"{what} Outbound.TotalTalkTime")
    assert out["AverageTalkTime"] == int(out["TotalTalkTime"]) // answered, (what, out)
    near(out["MaxTalkTime"], TALK_OUT, TOL, f"{what} Outbound.MaxTalkTime")
    near(out["TotalWorkTime"], work, TOL, f"{what} Outbound.TotalWorkTime")
    assert out["AverageWorkTime"] == int(out["TotalWorkTime"]) // answered, (what, out)
    near(out["MaxWorkTime"], work, TOL, f"{what} Outbound.MaxWorkTime")
    check_no_satisfaction(out, what)


def check_overall(ov: dict, inb: dict, out: dict, d: Day, what: str, *, logged_in: bool = True,
                  query_time: float | None = None) -> None:
    assert ov["TotalCalls"] == inb["CallsHandled"] + out["CallsAnswered"], (what, ov)
    talk = int(ov["TotalTalkTime"])
    near(talk, TALK_IN + TALK_OUT * (out["CallsAnswered"] > 0), TOL_SUM, f"{what} Overall.TotalTalkTime")
    assert abs(talk - (int(inb["TotalTalkTime"]) + int(out["TotalTalkTime"]))) <= 1, (what, ov)
    assert ov["AverageTalkTime"] == talk // ov["TotalCalls"], (what, ov)
    assert ov["MaxTalkTime"] == max(int(inb["MaxTalkTime"]), int(out["MaxTalkTime"])), (what, ov)
    work = int(ov["TotalWorkTime"])
    assert abs(work - (int(inb["TotalWorkTime"]) + int(out["TotalWorkTime"]))) <= 1, (what, ov)
    assert ov["AverageWorkTime"] == work // ov["TotalCalls"], (what, ov)
    assert ov["MaxWorkTime"] == max(int(inb["MaxWorkTime"]), int(out["MaxWorkTime"])), (what, ov)
    check_no_satisfaction(ov, what)
    if not logged_in:
        return
    q = query_time or time.time()
    logged = int(ov["TotalLoggedInTime"])
    near(logged, q - d.t_signin, TOL_SUM, f"{what} Overall.TotalLoggedInTime")
    near(ov["TotalBreakTime"], d.t_break_end - d.t_break, TOL, f"{what} Overall.TotalBreakTime")
    ready = int(ov["TotalReadyTime"])
    busy = TALK_IN + TALK_OUT + WORK_IN + WORK_OUT + RING_IN
    assert 0 < ready <= logged - int(ov["TotalBreakTime"]) - int(busy) + TOL_SUM, (what, ov)
    # READY periods: after sign-in, after the break, after calls 1, 2, 3 and the DialEx
    assert ov["AverageReadyTime"] == ready // 6, (what, ov, "6 READY periods expected")
    # the last READY period is still open: counted up to the query (docs/metrics.md), so the
    # longest period and the total are at least as long as it
    open_ready = q - d.t_last_ready
    assert int(ov["MaxReadyTime"]) >= int(open_ready) - TOL, (
        what, f"MaxReadyTime {ov['MaxReadyTime']} < the open READY period ({open_ready:.2f} s so far)", ov)
    assert ready >= int(open_ready) - TOL, (what, f"TotalReadyTime {ready} < open READY {open_ready:.2f} s")
    assert int(ov["MaxReadyTime"]) <= ready, (what, ov)
    assert same_ratio(ov["OccupancyRate"], talk + work, logged), (what, ov)


# --------------------------------------------------------------------------------------------
# ListCallDetailRecords
# --------------------------------------------------------------------------------------------


def cdr_list(d: Day, **filters) -> tuple[list[dict], dict]:
    params = dict(InstanceId=d.instance, PageNumber=1, PageSize=100,
                  StartTime=int(d.t0 * 1000) - 1000, StopTime=int(d.t_end * 1000) + 1000,
                  WithRecording="false")
    params.update(filters)
    page = rpc(d.tenant, "ListCallDetailRecords", **params)["CallDetailRecords"]
    return items(page["List"], "CallDetailRecord"), page


def test_call_detail_records(day):
    d = day
    rows, page = cdr_list(d)
    assert page["TotalCount"] == d.n_calls and len(rows) == d.n_calls, rows
    assert (page["PageNumber"], page["PageSize"]) == (1, 100), page
    starts = [int(r["StartTime"]) for r in rows]
    assert starts == sorted(starts), "ASC by default"
    expected = [  # script order
        ("Inbound", "QueueOverflow", INBOUND_CALLERS[0], d.hotline, ""),
        ("Inbound", "Success", INBOUND_CALLERS[1], d.hotline, d.name_a),
        ("Inbound", "Success", INBOUND_CALLERS[2], d.hotline, d.name_a),
        ("Inbound", "AbandonedRing", INBOUND_CALLERS[3], d.hotline, d.name_a),
        ("Outbound", "Success", d.outnum, CUSTOMER_ANSWERS, d.name_a),
        ("Back2Back", "NoAnswer", AGENT_NUMBER, CUSTOMER_BUSY, ""),
    ]
    got = [(r["ContactType"], r["ContactDisposition"], r["CallingNumber"], r["CalledNumber"],
            r["AgentNames"]) for r in rows]
    assert got == expected, got
    assert rows[4]["ContactId"] == d.dial_ex and rows[5]["ContactId"] == d.b2b, rows
    for r in rows:
        assert r["InstanceId"] == d.instance, r
        assert int(d.t0 * 1000) - 1000 <= int(r["StartTime"]) <= int(d.t_end * 1000), r
        assert r["SatisfactionDesc"] == "未发送" and r["Feedback"] == "", r
        agents = items(r["Agents"], "CallDetailAgent")
        if r["AgentNames"]:
            assert [a["AgentId"] for a in agents] == [d.ram_a], r
        else:
            assert agents == [], r
    for r in rows[:4]:  # every inbound call was queued on the group (the overflow too)
        assert r["SkillGroupIdList"] == d.group and r["SkillGroupNames"] == d.group_name, r
    # Duration: arrival/first dial to release, whole seconds
    near(rows[0]["Duration"], 0, TOL, "Duration of the overflow")
    for r in rows[1:3]:
        near(r["Duration"], (RING_MS + TALK_MS) / 1000, TOL_SUM, "Duration of an answered call")
    near(rows[3]["Duration"], RING_MS / 1000, TOL, "Duration of the missed call")
    near(rows[4]["Duration"], 0.6 + TALK_MS / 1000, TOL_SUM, "Duration of the DialEx call")
    ids = [r["ContactId"] for r in rows]
    assert len(set(ids)) == len(ids), ids

    # the refusals the customers heard
    assert d.final[0].startswith("SIP/2.0 480"), d.final
    assert d.final[1].startswith("SIP/2.0 200") and d.final[2].startswith("SIP/2.0 200"), d.final
    assert d.final[3].startswith("SIP/2.0 4") or d.final[3].startswith("SIP/2.0 6"), d.final

    def ids_of(**f):
        return [r["ContactId"] for r in cdr_list(d, **f)[0]]

    assert ids_of(ContactType="Inbound") == ids[:4]
    assert ids_of(ContactType="Outbound") == [ids[4]]
    assert ids_of(ContactType="Back2Back") == [ids[5]]
    assert ids_of(ContactType="PrivacyDial") == []
    assert ids_of(ContactDisposition="Success") == [ids[1], ids[2], ids[4]]
    assert ids_of(ContactDisposition="QueueOverflow") == [ids[0]]
    assert ids_of(ContactDisposition="AbandonedRing") == [ids[3]]
    assert ids_of(ContactDisposition="NoAnswer") == [ids[5]]
    assert ids_of(ContactDisposition="AbandonedInQueue") == []
    assert ids_of(ContactType="Inbound", ContactDisposition="Success") == [ids[1], ids[2]]
    for i in (0, 3, 5):
        assert ids_of(ContactId=ids[i]) == [ids[i]]
    assert ids_of(PhoneNumber=d.hotline) == ids[:4]
    assert ids_of(PhoneNumber=d.outnum) == ids[4:]
    assert ids_of(Criteria=INBOUND_CALLERS[2]) == [ids[2]]  # the caller of an inbound call
    assert ids_of(Criteria=CUSTOMER_BUSY) == [ids[5]]  # the callee of an outbound call
    assert ids_of(Criteria=d.login_a) == ids[1:5]  # the agent's login name
    assert ids_of(Criteria=d.group_name) == ids[:5]  # the skill group's name (DialEx: RoutPoint)
    assert ids_of(Criteria="19999999999") == []
    # time range: [StartTime, StopTime)
    assert ids_of(StartTime=starts[2]) == ids[2:]
    assert ids_of(StartTime=starts[2] + 1) == ids[3:]
    assert ids_of(StopTime=starts[2] + 1) == ids[:3]
    # order and paging
    desc, _ = cdr_list(d, OrderBy="DESC")
    assert [r["ContactId"] for r in desc] == ids[::-1]
    paged = []
    for n in (1, 2, 3, 4):
        rows_n, page_n = cdr_list(d, PageNumber=n, PageSize=2)
        assert page_n["TotalCount"] == d.n_calls and (page_n["PageNumber"], page_n["PageSize"]) == (n, 2)
        paged += [r["ContactId"] for r in rows_n]
    assert paged == ids
    # Criteria pages: merged from the customer, login and group alternatives, in order, each
    # call once (the DialEx call matches both the agent's login and the group)
    for order, want in (("ASC", ids[:5]), ("DESC", ids[:5][::-1])):
        got_pages = []
        for n in (1, 2, 3):
            rows_c, page_c = cdr_list(d, Criteria=d.group_name, OrderBy=order, PageNumber=n, PageSize=2)
            assert page_c["TotalCount"] == 5, (order, n, page_c)
            got_pages += [r["ContactId"] for r in rows_c]
        assert got_pages == want, (order, got_pages)
    # TotalCount of a full page over whole days: the per-day call counts (summed on the
    # database) plus the partial days at the ends, with and without filters
    wide = dict(StartTime=int(d.t0 * 1000) - 3 * 86_400_000, StopTime=int(d.t_end * 1000) + 2 * 86_400_000,
                PageSize=1)
    for f, want in [({}, ids), (dict(ContactType="Inbound"), ids[:4]),
                    (dict(ContactDisposition="Success,NoAnswer"), [ids[1], ids[2], ids[4], ids[5]]),
                    (dict(PhoneNumber=d.hotline), ids[:4]),
                    (dict(ContactType="Outbound,Back2Back", PhoneNumber=d.outnum), ids[4:]),
                    # the group's daily rollups plus the agent's calls outside the group
                    (dict(Criteria=d.group_name), ids[:5]), (dict(Criteria=d.login_a), ids[1:5])]:
        rows_w, page_w = cdr_list(d, **wide, **f)
        assert page_w["TotalCount"] == len(want) and [r["ContactId"] for r in rows_w] == want[:1], (f, page_w)
    # another tenant sees none of them
    other = d.tenant.gateway.demo
    try:
        body = rpc(other, "ListCallDetailRecords", InstanceId=d.instance, PageNumber=1, PageSize=10)
    except Exception as e:  # noqa: BLE001 - refused is fine
        assert getattr(e, "get_http_status", lambda: 0)() in (403, 404), e
    else:
        raise AssertionError(f"another account read this instance's CDRs: {body}")
    # StopTime is exclusive (docs/metrics.md: start in [StartTime, StopTime))
    assert ids_of(StopTime=starts[2]) == ids[:2], "a call starting at StopTime is not listed"
    # no survey was sent: docs/metrics.md (and the seed) omit Satisfaction
    for r in rows:
        assert "Satisfaction" not in r, json.dumps(r, ensure_ascii=False)


# --------------------------------------------------------------------------------------------
# instance summary
# --------------------------------------------------------------------------------------------


def test_instance_summary_report(day):
    d = day
    r = rpc(d.tenant, "GetInstanceSummaryReport", **d.range)["InstanceSummaryReport"]
    q = min(time.time(), d.range_end)
    assert r["InstanceId"] == d.instance
    check_inbound_instance(r["Inbound"], "instance")
    check_outbound(r["Outbound"], OUT_DIALED, OUT_ANSWERED, "instance", WORK_OUT)
    check_overall(r["Overall"], r["Inbound"], r["Outbound"], d, "instance", query_time=q)

    # a range before the day: nothing
    empty = rpc(d.tenant, "GetInstanceSummaryReport", InstanceId=d.instance,
                StartTime=local(d.t0 - 7200), EndTime=local(d.t0 - 3600))["InstanceSummaryReport"]
    assert empty["Inbound"]["CallsIncomingLine"] == 0 and empty["Outbound"]["CallsDialed"] == 0
    assert empty["Overall"]["TotalLoggedInTime"] == 0 and empty["Overall"]["OccupancyRate"] == 0


def test_instance_summary_since_midnight(day):
    d = day
    if d.crossed_midnight or datetime.now(ZONE).date() != d.day_local:
        pytest.skip("the day crossed midnight in Asia/Shanghai: since-midnight figures differ")
    r = rpc(d.tenant, "GetInstanceSummaryReportSinceMidnight",
            InstanceId=d.instance)["InstanceSummaryReport"]
    q = time.time()
    assert r["InstanceId"] == d.instance
    check_inbound_instance(r["Inbound"], "instance since midnight")
    check_outbound(r["Outbound"], OUT_DIALED, OUT_ANSWERED, "instance since midnight", WORK_OUT)
    check_overall(r["Overall"], r["Inbound"], r["Outbound"], d, "instance since midnight",
                  query_time=q)
    assert r["Timestamp"] == f"{d.day_local:%Y-%m-%d} 00:00:00", r


COUNTS_IN = ("CallsIncomingLine", "CallsIncomingQueue", "CallsOffered", "CallsHandled")
COUNTS_OUT = ("CallsDialed", "CallsAnswered")
SUMS_IN = ("TotalTalkTime", "TotalRingTime", "TotalWorkTime")
SUMS_OV = ("TotalLoggedInTime", "TotalBreakTime", "TotalReadyTime", "TotalTalkTime", "TotalWorkTime")


def check_buckets_add_up(buckets: list[dict], total: dict, interval: str, what: str,
                         counts_in=COUNTS_IN) -> None:
    step = timedelta(minutes=5) if interval == "Minute5" else timedelta(days=1)
    stamps = [datetime.strptime(b["Timestamp"], "%Y-%m-%d %H:%M:%S") for b in buckets]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps), (what, stamps)
    for s in stamps:
        if interval == "Minute5":
            assert s.minute % 5 == 0 and s.second == 0, (what, s)
        else:
            assert (s.hour, s.minute, s.second) == (0, 0, 0), (what, s)
    first = datetime.strptime(total["_start"], "%Y-%m-%d %H:%M:%S")
    last = datetime.strptime(total["_end"], "%Y-%m-%d %H:%M:%S")
    assert stamps[0] <= first < stamps[0] + step, (what, stamps[0], first)
    assert stamps[-1] < last <= stamps[-1] + step, (what, stamps[-1], last)
    n = len(buckets)
    for k in counts_in:
        assert sum(b["Inbound"][k] for b in buckets) == total["Inbound"][k], (what, k)
    for k in COUNTS_OUT:
        assert sum(b["Outbound"][k] for b in buckets) == total["Outbound"][k], (what, k)
    assert sum(b["Overall"]["TotalCalls"] for b in buckets) == total["Overall"]["TotalCalls"], what
    # seconds are floored per bucket: the sum may be short of the total by < 1 s per bucket
    for k in SUMS_IN:
        s = sum(int(b["Inbound"][k]) for b in buckets)
        assert int(total["Inbound"][k]) - n <= s <= int(total["Inbound"][k]) + 1, (what, k, s, total)
    for k in SUMS_OV:
        s = sum(int(b["Overall"][k]) for b in buckets)
        # logged-in and ready time grow between the two queries
        assert int(total["Overall"][k]) - n - 1 <= s <= int(total["Overall"][k]) + 2, (what, k, s)


@pytest.mark.parametrize("interval", ["Minute5", "Daily"])
def test_instance_summary_by_interval(day, interval):
    d = day
    total = rpc(d.tenant, "GetInstanceSummaryReport", **d.range)["InstanceSummaryReport"]
    r = rpc(d.tenant, "GetInstanceSummaryReportByInterval", Interval=interval,
            **d.range)["InstanceTimeIntervalReport"]
    assert r["InstanceId"] == d.instance
    buckets = items(r["IntervalList"], "InstanceSummaryReport")
    for b in buckets:
        assert b["InstanceId"] == d.instance, b
    total.update(_start=d.start_local, _end=d.end_local)
    check_buckets_add_up(buckets, total, interval, f"instance {interval}")
    if interval == "Daily" and not d.crossed_midnight:
        assert len(buckets) == 1 and buckets[0]["Timestamp"] == f"{d.day_local:%Y-%m-%d} 00:00:00"


# --------------------------------------------------------------------------------------------
# agents
# --------------------------------------------------------------------------------------------


def check_agent_a(row: dict, d: Day, what: str, query_time: float) -> None:
    assert (row["AgentId"], row["LoginName"], row["AgentName"]) == (d.ram_a, d.login_a, d.name_a), row
    assert row["InstanceId"] == d.instance, row
    assert row["SkillGroupIds"] == d.group and row["SkillGroupNames"] == d.group_name, row
    inb, out, ov = row["Inbound"], row["Outbound"], row["Overall"]
    assert inb["CallsOffered"] == A_RANG, (what, inb)
    assert inb["CallsHandled"] == IN_HANDLED, (what, inb)
    assert same_ratio(inb["HandleRate"], IN_HANDLED, A_RANG), (what, inb)
    assert same_ratio(inb["ServiceLevel20"], IN_HANDLED, A_RANG), (what, inb)
    near(inb["TotalTalkTime"], TALK_IN, TOL_SUM, f"{what} Inbound.TotalTalkTime")
    assert inb["AverageTalkTime"] == int(inb["TotalTalkTime"]) // IN_HANDLED, (what, inb)
    near(inb["TotalRingTime"], RING_IN, TOL_SUM, f"{what} Inbound.TotalRingTime")
    assert inb["AverageRingTime"] == int(inb["TotalRingTime"]) // A_RANG, (what, inb)
    near(inb["MaxRingTime"], RING_MS / 1000, TOL, f"{what} Inbound.MaxRingTime")
    near(inb["TotalWorkTime"], WORK_IN, TOL_SUM, f"{what} Inbound.TotalWorkTime")
    assert inb["AverageWorkTime"] == int(inb["TotalWorkTime"]) // IN_HANDLED, (what, inb)
    check_no_satisfaction(inb, what)
    check_outbound(out, A_OUT_DIALED, OUT_ANSWERED, what, WORK_OUT)
    check_overall(ov, inb, out, d, what, query_time=query_time)
    assert ov["OneTransferCalls"] == 0, (what, ov)


def check_agent_b(row: dict, d: Day, what: str) -> None:
    assert (row["AgentId"], row["LoginName"]) == (d.ram_b, d.login_b), row
    for sec in ("Inbound", "Outbound", "Overall"):
        for k, v in row[sec].items():
            assert v == 0, (what, sec, k, v)


def agent_rows(body: dict) -> tuple[list[dict], dict]:
    page = body["PagedAgentSummaryReport"]
    elem = "AgentTimeIntervalReport" if "IntervalList" in str(page)[:100000] else "AgentSummaryReport"
    return items(page["List"], elem), page


def test_agent_summary_reports(day):
    d = day
    rows, page = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", **d.range))
    q = min(time.time(), d.range_end)
    assert page["TotalCount"] == 2 and (page["PageNumber"], page["PageSize"]) == (1, 10), page
    by_id = {r["AgentId"]: r for r in rows}
    assert set(by_id) == {d.ram_a, d.ram_b}, rows
    check_agent_a(by_id[d.ram_a], d, "agent A", q)
    check_agent_b(by_id[d.ram_b], d, "agent B")
    # filters and paging
    only, page = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", AgentIds=d.user_b, **d.range))
    assert [r["AgentId"] for r in only] == [d.ram_b] and page["TotalCount"] == 1, only
    both = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", AgentIds=f"{d.user_a},{d.user_b}",
                          SkillGroupId=d.group, **d.range))[0]
    assert {r["AgentId"] for r in both} == {d.ram_a, d.ram_b}
    # AgentIds also takes RAM ids (the seed's AgentId)
    only = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", AgentIds=d.ram_a, **d.range))[0]
    assert [r["AgentId"] for r in only] == [d.ram_a], only
    p1, pg1 = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", PageNumber=1, PageSize=1, **d.range))
    p2, pg2 = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", PageNumber=2, PageSize=1, **d.range))
    assert pg1["TotalCount"] == pg2["TotalCount"] == 2 and len(p1) == len(p2) == 1
    assert {p1[0]["AgentId"], p2[0]["AgentId"]} == {d.ram_a, d.ram_b}


def test_agent_summary_since_midnight(day):
    d = day
    if d.crossed_midnight or datetime.now(ZONE).date() != d.day_local:
        pytest.skip("the day crossed midnight in Asia/Shanghai: since-midnight figures differ")
    rows, page = agent_rows(rpc(d.tenant, "ListAgentSummaryReportsSinceMidnight",
                                InstanceId=d.instance))
    q = time.time()
    assert page["TotalCount"] == 2, page
    by_id = {r["AgentId"]: r for r in rows}
    check_agent_a(by_id[d.ram_a], d, "agent A since midnight", q)
    check_agent_b(by_id[d.ram_b], d, "agent B since midnight")
    only = agent_rows(rpc(d.tenant, "ListAgentSummaryReportsSinceMidnight", InstanceId=d.instance,
                          AgentIds=d.user_a))[0]
    assert [r["AgentId"] for r in only] == [d.ram_a]
    for r in rows:  # docs/metrics.md and the seed's example: today's local midnight
        assert r["Timestamp"] == f"{d.day_local:%Y-%m-%d} 00:00:00", r


AGENT_COUNTS_IN = ("CallsOffered", "CallsHandled")


@pytest.mark.parametrize("interval", ["Minute5", "Daily"])
def test_agent_summary_by_interval(day, interval):
    d = day
    total = agent_rows(rpc(d.tenant, "ListAgentSummaryReports", AgentIds=d.user_a, **d.range))[0][0]
    rows, page = agent_rows(rpc(d.tenant, "ListAgentSummaryReportsByInterval", Interval=interval,
                                AgentIds=d.user_a, **d.range))
    assert page["TotalCount"] == 1 and [r["AgentId"] for r in rows] == [d.ram_a], rows
    buckets = items(rows[0]["IntervalList"], "AgentSummaryReport")
    for b in buckets:
        assert (b["AgentId"], b["LoginName"], b["InstanceId"]) == (d.ram_a, d.login_a, d.instance), b
    total.update(_start=d.start_local, _end=d.end_local)
    check_buckets_add_up(buckets, total, interval, f"agent {interval}", counts_in=AGENT_COUNTS_IN)


# --------------------------------------------------------------------------------------------
# skill groups
# --------------------------------------------------------------------------------------------


def group_rows(body: dict) -> tuple[list[dict], dict]:
    page = body["PagedSkillGroupSummaryReport"]
    elem = "SkillGroupTimeIntervalReport" if "IntervalList" in str(page)[:100000] else "SkillGroupSummaryReport"
    return items(page["List"], elem), page


def check_group(row: dict, d: Day, what: str, query_time: float) -> None:
    assert (row["SkillGroupId"], row["SkillGroupName"], row["InstanceId"]) == (
        d.group, d.group_name, d.instance), row
    inb = row["Inbound"]
    assert inb["InComingQueueOfQueueCount"] == IN_QUEUED, (what, inb)
    assert inb["CallsOffered"] == IN_QUEUED, (what, inb)
    assert inb["AnsweredByAgentOfQueueCount"] == IN_HANDLED, (what, inb)
    assert inb["CallsHandled"] == IN_HANDLED, (what, inb)
    assert inb["OverflowInQueueOfQueueCount"] == IN_OVERFLOW, (what, inb)
    assert inb["OverFlowInQueueOfQueueCount"] == IN_OVERFLOW, (what, inb)
    assert inb["GiveUpByAgentOfQueueCount"] == IN_GIVEUP, (what, inb)
    assert inb["AbandonedInQueueOfQueueCount"] == 0, (what, inb)
    assert same_ratio(inb["HandleRate"], IN_HANDLED, IN_QUEUED), (what, inb)
    assert same_ratio(inb["ServiceLevel20"], IN_HANDLED, IN_QUEUED), (what, inb)
    near(inb["AnsweredByAgentOfQueueWaitTimeDuration"], 2 * RING_MS / 1000, TOL_SUM,
         f"{what} AnsweredByAgentOfQueueWaitTimeDuration")
    near(inb["AnsweredByAgentOfQueueMaxWaitTimeDuration"], RING_MS / 1000, TOL,
         f"{what} AnsweredByAgentOfQueueMaxWaitTimeDuration")
    # queue wait stops when an agent is rung: ~0 for every call (ccgate routes at once)
    near(inb["QueueWaitTimeDuration"], 0, TOL_SUM, f"{what} QueueWaitTimeDuration")
    near(inb["QueueMaxWaitTimeDuration"], 0, TOL, f"{what} QueueMaxWaitTimeDuration")
    near(inb["TotalTalkTime"], TALK_IN, TOL_SUM, f"{what} Inbound.TotalTalkTime")
    near(inb["TotalRingTime"], RING_IN, TOL_SUM, f"{what} Inbound.TotalRingTime")
    assert inb["AverageRingTime"] == int(inb["TotalRingTime"]) // A_RANG, (what, inb)
    near(inb["TotalWorkTime"], WORK_IN, TOL_SUM, f"{what} Inbound.TotalWorkTime")
    check_no_satisfaction(inb, what)
    # the DialEx went to the group (RoutPoint); the Back2Back call had no group
    check_outbound(row["Outbound"], A_OUT_DIALED, OUT_ANSWERED, what, WORK_OUT)
    check_overall(row["Overall"], inb, row["Outbound"], d, what, query_time=query_time)


def test_skill_group_summary_reports(day, expect_error):
    d = day
    rows, page = group_rows(rpc(d.tenant, "ListSkillGroupSummaryReports", **d.range))
    q = min(time.time(), d.range_end)
    assert page["TotalCount"] == 1 and len(rows) == 1, rows
    check_group(rows[0], d, "group", q)
    rows = group_rows(rpc(d.tenant, "ListSkillGroupSummaryReports", SkillGroupIds=d.group,
                          **d.range))[0]
    assert [r["SkillGroupId"] for r in rows] == [d.group]
    # errors: the Alibaba envelope with the right status and code
    expect_error(lambda: rpc(d.tenant, "ListSkillGroupSummaryReports", SkillGroupIds="no-such-group",
                             **d.range), 404, "NotExists.SkillGroupId")
    expect_error(lambda: rpc(d.tenant, "ListAgentSummaryReports", SkillGroupId="no-such-group",
                             **d.range), 404, "NotExists.SkillGroupId")


def test_skill_group_summary_since_midnight(day):
    d = day
    if d.crossed_midnight or datetime.now(ZONE).date() != d.day_local:
        pytest.skip("the day crossed midnight in Asia/Shanghai: since-midnight figures differ")
    rows, page = group_rows(rpc(d.tenant, "ListSkillGroupSummaryReportsSinceMidnight",
                                InstanceId=d.instance, SkillGroups=d.group))
    q = time.time()
    assert page["TotalCount"] == 1 and len(rows) == 1, rows
    check_group(rows[0], d, "group since midnight", q)
    assert rows[0]["Timestamp"] == f"{d.day_local:%Y-%m-%d} 00:00:00", rows[0]


@pytest.mark.parametrize("interval", ["Minute5", "Daily"])
def test_skill_group_summary_by_interval(day, interval):
    d = day
    total = group_rows(rpc(d.tenant, "ListSkillGroupSummaryReports", **d.range))[0][0]
    rows, page = group_rows(rpc(d.tenant, "ListSkillGroupSummaryReportsByInterval",
                                Interval=interval, **d.range))
    assert page["TotalCount"] == 1 and [r["SkillGroupId"] for r in rows] == [d.group], rows
    buckets = items(rows[0]["IntervalList"], "SkillGroupSummaryReport")
    for b in buckets:
        assert (b["SkillGroupId"], b["InstanceId"]) == (d.group, d.instance), b
    total.update(_start=d.start_local, _end=d.end_local)
    check_buckets_add_up(buckets, total, interval, f"group {interval}",
                         counts_in=("CallsOffered", "CallsHandled", "InComingQueueOfQueueCount",
                                    "OverFlowInQueueOfQueueCount", "GiveUpByAgentOfQueueCount"))


# --------------------------------------------------------------------------------------------
# metering
# --------------------------------------------------------------------------------------------


def test_call_measure_reports(day):
    d = day
    if d.crossed_midnight:
        pytest.skip("the calls straddle midnight in Asia/Shanghai: per-day figures split")
    day_ = d.day_local
    body = rpc(d.tenant, "GetCallMeasureSummaryReport", IntervalType="Daily", Year=day_.year,
               Month=day_.month, Day=day_.day)
    s = body["SummaryReport"]
    assert (s["Year"], s["Month"], s["Day"]) == (day_.year, day_.month, day_.day), s
    # connected calls; minutes rounded up per call, at least 1
    assert (s["InboundCount"], s["InboundDurationByMinute"]) == (IN_HANDLED, IN_HANDLED), s
    assert (s["OutboundCount"], s["OutboundDurationByMinute"]) == (OUT_ANSWERED, OUT_ANSWERED), s
    nr = body["NumberReports"]
    numbers = {n["Number"]: n for n in items(nr["List"], "NumberReport")}
    assert nr["TotalCount"] == 2 and set(numbers) == {d.hotline, d.outnum}, nr
    h, o = numbers[d.hotline], numbers[d.outnum]
    assert (h["InboundCount"], h["InboundDurationByMinute"], h["OutboundCount"]) == (2, 2, 0), h
    assert (o["InboundCount"], o["OutboundCount"], o["OutboundDurationByMinute"]) == (0, 1, 1), o
    for n in (h, o):
        assert (n["Year"], n["Month"], n["Day"]) == (day_.year, day_.month, day_.day), n

    monthly = rpc(d.tenant, "GetCallMeasureSummaryReport", IntervalType="Monthly", Year=day_.year,
                  Month=day_.month)["SummaryReport"]
    assert (monthly["InboundCount"], monthly["OutboundCount"]) == (IN_HANDLED, OUT_ANSWERED), monthly

    lst = rpc(d.tenant, "ListCallMeasureSummaryReports", IntervalType="Daily")
    reports = items(lst["CallMeasureSummaryReportList"], "CallMeasureSummaryReport")
    today = [r for r in reports if (int(r["Year"]), int(r["Month"]), int(r["Day"]))
             == (day_.year, day_.month, day_.day)]
    assert len(today) == 1, reports
    r = today[0]
    assert (r["InboundCount"], r["InboundDurationByMinute"], r["OutboundCount"],
            r["OutboundDurationByMinute"]) == (2, 2, 1, 1), r
    assert sum(int(x["InboundCount"]) for x in reports) == IN_HANDLED, reports


# --------------------------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------------------------


def test_malformed_times_are_invalid_parameters(day, expect_error):
    d = day
    for action in ("GetInstanceSummaryReport", "ListAgentSummaryReports",
                   "ListSkillGroupSummaryReports", "GetInstanceSummaryReportByInterval"):
        msg = expect_error(lambda: rpc(d.tenant, action, InstanceId=d.instance,
                                       StartTime="2024/05/01 10:00", EndTime=d.end_local),
                           400, "InvalidParameter")
        assert "StartTime" in msg, (action, msg)
    expect_error(lambda: rpc(d.tenant, "GetInstanceSummaryReport", InstanceId=d.instance,
                             StartTime=d.start_local, EndTime="tomorrow"), 400, "InvalidParameter")


def test_list_wire_forms(day):
    """Lists as the seed's JSON examples send them: CDRs, their agents and the metering lists
    wrapped in their item element ({"CallDetailRecord": [...]}, as the specs' descriptions say);
    the summary reports' lists bare (the seed's JSON examples of §11.5-11.10)."""
    d = day
    page = rpc(d.tenant, "ListCallDetailRecords", InstanceId=d.instance, PageNumber=1, PageSize=1,
               StartTime=int(d.t0 * 1000) - 1000, StopTime=int(d.t_end * 1000) + 1000,
               ContactId=d.dial_ex)["CallDetailRecords"]
    day_ = d.day_local
    measure = rpc(d.tenant, "GetCallMeasureSummaryReport", IntervalType="Daily", Year=day_.year,
                  Month=day_.month, Day=day_.day)
    cdr = items(page["List"], "CallDetailRecord")[0]
    checks = [
        ("CallDetailRecords.List", page["List"], "CallDetailRecord"),
        ("CallDetailRecords.List[].Agents", cdr["Agents"], "CallDetailAgent"),
        ("CallDetailRecords.List[].Recordings", cdr["Recordings"], "Recording"),
        ("NumberReports.List", measure["NumberReports"]["List"], "NumberReport"),
        ("CallMeasureSummaryReportList", rpc(d.tenant, "ListCallMeasureSummaryReports",
                                             IntervalType="Daily")["CallMeasureSummaryReportList"],
         "CallMeasureSummaryReport"),
        ("PagedAgentSummaryReport.List", rpc(d.tenant, "ListAgentSummaryReports", **d.range)[
            "PagedAgentSummaryReport"]["List"], None),
        ("PagedSkillGroupSummaryReport.List", rpc(d.tenant, "ListSkillGroupSummaryReports",
                                                  **d.range)["PagedSkillGroupSummaryReport"]["List"], None),
    ]
    wrong = []
    for path, v, elem in checks:
        if elem is None and not isinstance(v, list):
            wrong.append(f"{path}: expected a bare array, got {type(v).__name__}")
        elif elem is not None and not (isinstance(v, dict) and list(v) == [elem]):
            wrong.append(f"{path}: expected {{{elem!r}: [...]}}, got {json.dumps(v, ensure_ascii=False)[:80]}")
    assert not wrong, "\n".join(wrong)

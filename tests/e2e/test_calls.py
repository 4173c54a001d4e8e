"""Real calls through the official SDKs: StartBack2BackCall and DialEx set up SIP calls between
SIPp phones (tests/sipp) by third-party call control, and ListCallEventDetailByContactId reads
back what happened.

The gateway's `[telephony]` (conftest `SipRig`) routes numbers 1380… to the "agent" phone's port
and 1390… to the "customer" phone's, and reaches agents by extension on the agent phone's port;
each test starts its phones on those ports, so the tests of this module run one after another.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from datetime import datetime, timezone

import pytest

from conftest import call_api, client_2020

V2017 = "2017-07-05"
from sipp import Phone, PhoneSpec

AGENT_NUMBER = "13800000001"
CUSTOMER_NUMBER = "13900000001"


def record(a2017, instance: str, contact_id: str, timeout: float = 20.0) -> dict:
    """The call's detail once it ended (the recorder applies the engine's events shortly after
    the SIP messages)."""
    deadline = time.monotonic() + timeout
    while True:
        body = a2017.call("ListCallEventDetailByContactId", InstanceId=instance, ContactId=contact_id)
        data = body["Data"]
        if data.get("ReleaseReason"):
            return data
        assert time.monotonic() < deadline, f"the call was not recorded as ended: {body}"
        time.sleep(0.2)


def event_names(data: dict) -> list[str]:
    return [e["Event"] for e in data["Events"]["CallEventDetail"]]


def sipp_times(phone: Phone, start: str) -> list[int]:
    """UTC epoch ms of each message the phone sent or received whose first line starts with
    `start` (SIPp's -trace_msg stamps every message with the local time; the machine is UTC)."""
    out, stamp, take = [], None, False
    for line in phone.messages().splitlines():
        m = re.match(r"^-+ (\d{4}-\d\d-\d\d)\s+(\d\d:\d\d:\d\d\.\d+)", line)
        if m:
            stamp = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S.%f").replace(
                tzinfo=timezone.utc)
            continue
        if "message sent" in line or "message received" in line:
            take = True
            continue
        if take and line.strip():
            if line.strip().startswith(start) and stamp is not None:
                out.append(int(stamp.timestamp() * 1000))
            take = False
    return out


def b2b(demo, **params) -> dict:
    """StartBack2BackCall: a BEARERTOKEN-only action (seed 004 §7.2), so through the official
    tea client with the account's Bearer token (aliyun-python-sdk-core signs with AccessKeys
    only)."""
    client = client_2020(demo.gateway.endpoint, bearer_token=demo.bearer_token)
    return call_api(client, "StartBack2BackCall", V2017, params)


def outbound_number(a2017, instance: str, new_number) -> str:
    number = new_number()
    body = a2017.call("AddPhoneNumber", InstanceId=instance, PhoneNumber=number, Usage="Bidirection")
    assert body["Success"] is True, body
    return number


def test_back_to_back_call_between_two_phones(gateway, demo, a2017, instance, new_number):
    sip = gateway.sip
    number = outbound_number(a2017, instance, new_number)
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=200, talk_ms=15000, port=sip.agent_port)) as agent, \
            Phone.start(PhoneSpec("uas", who="customer", ring_ms=600, talk_ms=1500,
                                  port=sip.customer_port)) as customer:
        body = b2b(demo, InstanceId=instance, CallCenterNumber=number, Caller=AGENT_NUMBER,
                   Callee=CUSTOMER_NUMBER)
        assert body["Success"] is True and body["HttpStatusCode"] == 200, body
        task = body["TaskId"]
        assert re.fullmatch(r"\d{18}", task), body
        agent.assert_success(30)
        customer.assert_success(30)
        # RFC 3725 Flow IV: each phone got the other's media address.
        assert agent.logged("media=[]") or agent.logged("shape=sdp-no-m"), agent.report()
        assert agent.logged(f"re-INVITE received, offer: m=audio {customer.rtp_port}"), agent.report()
        assert customer.logged(f"SDP in ACK: m=audio {agent.rtp_port}"), customer.report()
        # The caller id the customer sees is the call center number.
        assert re.search(rf"^From: <sip:{number}@", customer.messages(), re.M), customer.report()
        answered = sipp_times(customer, "SIP/2.0 200 OK")[0]
        bye = sipp_times(customer, "BYE ")[0]

    data = record(a2017, instance, task)
    assert data["Caller"] == AGENT_NUMBER and data["Callee"] == CUSTOMER_NUMBER, data
    names = event_names(data)
    assert names[:3] == ["Dial", "Ring", "Talk"] and names.count("Talk") == 2, names
    assert "SetUpMeeting" in names and names[-1] == "End", names
    assert data["ReleaseAgent"] == "callee", data
    assert data["ReleaseReason"].startswith("200"), data
    # The record's times are the SIP messages' times (within 50 ms).
    events = data["Events"]["CallEventDetail"]
    talk_customer = [int(e["TimeStamp"]) for e in events if e["Event"] == "Talk"][1]
    assert abs(talk_customer - answered) <= 50, (talk_customer, answered)
    end = int(events[-1]["TimeStamp"])
    assert abs(end - bye) <= 50, (end, bye)
    assert int(data["StartTime"]) <= int(events[0]["TimeStamp"])


def test_back_to_back_call_to_a_busy_callee(gateway, demo, a2017, instance, new_number):
    sip = gateway.sip
    number = outbound_number(a2017, instance, new_number)
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=100, talk_ms=15000, port=sip.agent_port)) as agent, \
            Phone.start(PhoneSpec("busy", who="customer", ring_ms=300, port=sip.customer_port)) as customer:
        task = b2b(demo, InstanceId=instance, CallCenterNumber=number, Caller=AGENT_NUMBER,
                   Callee=CUSTOMER_NUMBER)["TaskId"]
        agent.assert_success(30)
        customer.assert_success(30)
        assert "Reason: SIP;cause=486" in agent.messages(), agent.report()
    data = record(a2017, instance, task)
    assert data["ReleaseReason"].startswith("486"), data
    assert "GiveUp" in event_names(data), event_names(data)


def create_ready_agent(gateway, demo, a2017, instance) -> tuple[str, str, str]:
    """A skill group with one agent who signed in and is READY: (group id, user id, login)."""
    sfx = uuid.uuid4().hex[:6]
    group = a2017.call("CreateSkillGroup", InstanceId=instance, Name=f"热线{sfx}",
                       Description="hotline")["SkillGroupId"]
    admin = client_2020(gateway.endpoint, bearer_token=demo.bearer_token)
    roles = {r["RoleName"]: r["RoleId"] for r in call_api(admin, "ListRoles", V2017,
                                                          {"InstanceId": instance})["Roles"]["Role"]}
    login = f"callee_{sfx}"
    user = a2017.call("CreateUser", InstanceId=instance, LoginName=login, DisplayName=f"坐席 {login}",
                      Email=f"{login}@example.com", Phone="13800000002", RoleIds=[roles["AGENT"]],
                      SkillGroupIds=[group], SkillLevels=[5])["UserId"]
    token = gateway.admin("token", "issue", "--access-key-id", demo.access_key_id,
                          "--subject", login, "--role", "agent").strip()
    return group, user, token


def poll_state(client, instance: str) -> str:
    from alibabacloud_ccc20200701 import models

    resp = client.poll_user_status(models.PollUserStatusRequest(instance_id=instance))
    return resp.body.data.user_context.user_state


def test_dial_ex_to_a_skill_group_rings_its_ready_agent(gateway, demo, a2017, instance, new_number,
                                                       m2020, expect_error):
    sip = gateway.sip
    number = outbound_number(a2017, instance, new_number)
    group, _user, token = create_ready_agent(gateway, demo, a2017, instance)
    agent_client = client_2020(gateway.endpoint, bearer_token=token)

    # Nobody ready yet: a clear error, and no phone rings.
    msg = expect_error(lambda: a2017.call("DialEx", InstanceId=instance, Caller=number,
                                          Callee=CUSTOMER_NUMBER, AnswerMode=2, RoutPoint=group),
                       400, "NoReadyAgent")
    assert msg

    agent_client.sign_in_group(m2020.SignInGroupRequest(
        instance_id=instance, signed_skill_group_id_list=json.dumps([group]), device_id="sip-1"))
    agent_client.ready_for_service(m2020.ReadyForServiceRequest(instance_id=instance))
    assert poll_state(agent_client, instance) == "READY"

    with Phone.start(PhoneSpec("uas", who="customer", ring_ms=300, talk_ms=15000,
                               port=sip.customer_port)) as customer, \
            Phone.start(PhoneSpec("uas", who="agent", ring_ms=300, talk_ms=1500, port=sip.agent_port)) as agent:
        body = a2017.call("DialEx", InstanceId=instance, Caller=number, Callee=CUSTOMER_NUMBER,
                          AnswerMode=2, RoutPoint=group)
        assert body["Success"] is True, body
        task = body["TaskId"]
        # The agent was reserved before the customer was dialled.
        assert poll_state(agent_client, instance) in ("RINGING", "TALKING")
        customer.assert_success(30)
        agent.assert_success(30)
        # DialEx calls the customer first (Flow IV: re-INVITEd with the agent's offer), then
        # the agent, by extension on the PBX (answered in its ACK).
        assert customer.logged(f"re-INVITE received, offer: m=audio {agent.rtp_port}"), customer.report()
        assert agent.logged(f"SDP in ACK: m=audio {customer.rtp_port}"), agent.report()
        assert re.search(r"INVITE sip:80\d\d@127\.0\.0\.1", agent.messages()), agent.report()

    data = record(a2017, instance, task)
    assert data["ReleaseAgent"] in ("agent", "callee", "caller"), data
    names = event_names(data)
    assert names.count("Talk") == 2 and "SetUpMeeting" in names, names
    # The agent's state followed the call, and after-call work (1 s here) ends in READY.
    deadline = time.monotonic() + 10
    while poll_state(agent_client, instance) != "READY":
        assert time.monotonic() < deadline, "the agent never became READY again"
        time.sleep(0.2)


@pytest.mark.parametrize("mode, expected", [(0, (503, "MediaServer.NotConfigured"))])
def test_dial_ex_to_a_contact_flow_needs_a_media_server(a2017, instance, new_number, expect_error,
                                                       mode, expected):
    number = outbound_number(a2017, instance, new_number)
    expect_error(lambda: a2017.call("DialEx", InstanceId=instance, Caller=number,
                                    Callee=CUSTOMER_NUMBER, AnswerMode=mode, RoutPoint="flow-1"),
                 *expected)


def wait_events(a2017, instance: str, contact_id: str, name: str, timeout: float = 20.0) -> list[str]:
    """The call's event names once `name` is among them."""
    deadline = time.monotonic() + timeout
    while True:
        data = a2017.call("ListCallEventDetailByContactId", InstanceId=instance,
                          ContactId=contact_id)["Data"]
        names = event_names(data)
        if name in names:
            return names
        assert time.monotonic() < deadline, f"no {name} event: {names}"
        time.sleep(0.2)


def test_an_agents_softphone_registers_makes_a_call_holds_and_hangs_up(
        gateway, demo, a2017, instance, new_number, m2020, expect_error):
    """The 2020 agent desk with a real registered device: RegisterDevice, a SIPp device that
    REGISTERs with those credentials (digest), MakeCall ringing that device first, HoldCall,
    RetrieveCall, ReleaseCall."""
    sip = gateway.sip
    number = outbound_number(a2017, instance, new_number)
    group, user, token = create_ready_agent(gateway, demo, a2017, instance)
    agent = client_2020(gateway.endpoint, bearer_token=token)
    agent.sign_in_group(m2020.SignInGroupRequest(
        instance_id=instance, signed_skill_group_id_list=json.dumps([group]), device_id="sip-1"))
    agent.ready_for_service(m2020.ReadyForServiceRequest(instance_id=instance))
    device_id = f"dev{uuid.uuid4().hex[:6]}"
    resp = agent.register_device(m2020.RegisterDeviceRequest(
        instance_id=instance, device_id=device_id, password="s3cret!x"))
    assert resp.status_code == 200 and resp.body.code == "OK", resp.body

    registrar = ("127.0.0.1", sip.port)
    with Phone.start(PhoneSpec("register", who=device_id, auth=(device_id, "wrong-pass"),
                               registrar=registrar,
                               extra_args=["-set", "domain", instance])) as intruder:
        intruder.assert_success(20)
        assert intruder.logged("REGISTER rejected: 403"), intruder.report()

    with Phone.start(PhoneSpec("register", who=device_id, auth=(device_id, "s3cret!x"),
                               registrar=registrar, ring_ms=200, talk_ms=30000,
                               extra_args=["-set", "domain", instance])) as device, \
            Phone.start(PhoneSpec("uas", who="customer", ring_ms=300, talk_ms=30000,
                                  port=sip.customer_port)) as customer:
        deadline = time.monotonic() + 10
        while not device.logged("registered (200 OK"):
            assert time.monotonic() < deadline, device.report()
            time.sleep(0.05)
        call = agent.make_call(m2020.MakeCallRequest(
            instance_id=instance, callee=CUSTOMER_NUMBER, caller=number, device_id=device_id))
        assert call.status_code == 200, call.body
        job = call.body.data.call_context.job_id
        assert re.fullmatch(r"\d{18}", job), call.body
        wait_events(a2017, instance, job, "SetUpMeeting")
        # The registered device rang first (not the PBX: nothing listens there in this test).
        assert device.logged(f"re-INVITE received, offer: m=audio {customer.rtp_port}"), device.report()

        channel = f"{job}-2"
        held = agent.hold_call(m2020.HoldCallRequest(instance_id=instance, job_id=job,
                                                     channel_id=channel))
        assert held.status_code == 200, held.body
        wait_events(a2017, instance, job, "Hold")
        assert "a=inactive" in customer.messages(), customer.report()
        back = agent.retrieve_call(m2020.RetrieveCallRequest(instance_id=instance, job_id=job,
                                                             channel_id=channel))
        assert back.status_code == 200, back.body
        wait_events(a2017, instance, job, "Retrieve")
        done = agent.release_call(m2020.ReleaseCallRequest(instance_id=instance, job_id=job,
                                                           channel_id=channel))
        assert done.status_code == 200, done.body
        device.assert_success(20)
        customer.assert_success(20)
        assert customer.logged("BYE received"), customer.report()

    data = record(a2017, instance, job)
    assert data["ReleaseAgent"] == "system", data
    assert data["ReleaseReason"] == "200-Hung up through the API", data
    assert {"Hold", "Retrieve"} <= set(event_names(data)), event_names(data)
    # Another agent's call is not this agent's to release.
    expect_error(lambda: agent.release_call(m2020.ReleaseCallRequest(
        instance_id=instance, job_id="000000000000000001", channel_id="x")), 404, "NotExists.JobId")


def test_a_retry_with_the_same_client_token_dials_nobody(gateway, demo, a2017, instance, new_number):
    sip = gateway.sip
    number = outbound_number(a2017, instance, new_number)
    token = uuid.uuid4().hex
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=100, talk_ms=15000, port=sip.agent_port)) as agent, \
            Phone.start(PhoneSpec("uas", who="customer", ring_ms=200, talk_ms=1500,
                                  port=sip.customer_port)) as customer:
        first = b2b(demo, InstanceId=instance, CallCenterNumber=number, Caller=AGENT_NUMBER,
                    Callee=CUSTOMER_NUMBER, ClientToken=token)
        again = b2b(demo, InstanceId=instance, CallCenterNumber=number, Caller=AGENT_NUMBER,
                    Callee=CUSTOMER_NUMBER, ClientToken=token)
        assert again["TaskId"] == first["TaskId"], (first, again)
        agent.assert_success(30)
        customer.assert_success(30)
        assert len(re.findall(r"^INVITE sip:1380", agent.messages(), re.M)) == 1, agent.report()


def test_an_inbound_call_to_a_skill_groups_number_reaches_its_ready_agent(
        gateway, demo, a2017, instance, new_number, m2020):
    """A customer's INVITE (SIPp's built-in UAC, with an SDP offer) to a number bound to a skill
    group: ccgate reserves the group's READY agent, rings the agent's phone with the customer's
    offer and answers the customer with the agent's SDP."""
    import subprocess

    from sipp import ensure_sipp, free_sip_port

    sip = gateway.sip
    group, _user, token = create_ready_agent(gateway, demo, a2017, instance)
    hotline = new_number()
    pn = a2017.call("AddPhoneNumber", InstanceId=instance, PhoneNumber=hotline,
                    Usage="Inbound")["PhoneNumber"]
    a2017.call("ModifyPhoneNumber", InstanceId=instance, PhoneNumberId=pn["PhoneNumberId"],
               Usage="Inbound", SkillGroupIds=[group])
    agent_client = client_2020(gateway.endpoint, bearer_token=token)
    agent_client.sign_in_group(m2020.SignInGroupRequest(
        instance_id=instance, signed_skill_group_id_list=json.dumps([group]), device_id="sip-1"))
    agent_client.ready_for_service(m2020.ReadyForServiceRequest(instance_id=instance))

    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=300, talk_ms=20000, port=sip.agent_port)) as agent:
        customer = subprocess.run(
            [ensure_sipp(), "-sn", "uac", f"127.0.0.1:{sip.port}", "-s", hotline,
             "-i", "127.0.0.1", "-p", str(free_sip_port("udp")), "-d", "2000", "-m", "1",
             "-nostdin", "-timeout", "20"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=40)
        assert customer.returncode == 0, "the customer's call was answered and ended normally"
        agent.assert_success(30)
        # The customer's offer (SIPp's built-in UAC offers m=audio 6000) reached the agent.
        assert re.search(r"^m=audio 6000 ", agent.messages(), re.M), agent.report()
        assert agent.logged("BYE received"), agent.report()
    # The agent's state followed the call and is READY again after after-call work.
    deadline = time.monotonic() + 10
    while poll_state(agent_client, instance) != "READY":
        assert time.monotonic() < deadline, "the agent never became READY again"
        time.sleep(0.2)

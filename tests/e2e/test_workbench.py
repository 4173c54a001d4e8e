"""The agent workbench (issue 14) end to end, on every backend, through the official SDKs:
an agent's softphone starts from ccgate's answers.

- An agent logs in: RequestLoginInfo with a Bearer token acting for them (`ccgate token issue
  --subject`) answers their name, extension, roles, tenant, the addresses of ccgate's own HTTP
  API and SIP registrar, and SignData signed with the instance's login key, which verifies
  with the key `GET /login-keys/{InstanceId}` publishes (Python `cryptography`, Ed25519).
- RefreshToken answers a new Bearer token that works, with a signed session until it expires;
  a revoked token is refused, and so are the tokens of a removed user.
- Configuration: an administrator sets items with 2020-07-01 UpdateConfigItems (the typed
  model of alibabacloud-ccc20200701); agents read them with GetConfig / ListConfig; unknown
  items, wrong scopes and bad values are distinct errors; an agent reads no one else's.
- Devices: AddAgentDevice, ModifyAgentDevice, ListAgentDevices.
- GetServiceExtensions: the survey route point never has an agent's extension.
- TURN: a real coturn (Debian `coturn`, `use-auth-secret`, on loopback) accepts the
  credentials GetTURNCredentials answers (`turnutils_uclient` exits 0) and refuses an expired
  and a tampered pair.

The 2017 actions a Bearer token calls go through the tea client's `call_api` (aliyun-python-
sdk-core has no Bearer credential); AccessKey calls use the typed 2017 request classes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from conftest import call_api, client_2020, sdk_error

V2017 = "2017-07-05"
V2020 = "2020-07-01"
ROLE_NAME = {"admin": "ADMIN", "skill-group-leader": "SKILL_GROUP_ADMIN", "agent": "AGENT"}


@dataclass
class User:
    login: str
    role: str
    user_id: str = ""
    ram_id: str = ""
    extension: str = ""
    token: str = field(default="", repr=False)


@dataclass
class Desk:
    gateway: object
    demo: object
    instance: str
    group: str
    users: dict
    roles: dict  # RoleName -> RoleId

    def call(self, token: str, action: str, version: str = V2017, **query) -> dict:
        """`action` with Bearer `token` through the tea client; the body."""
        client = client_2020(self.gateway.endpoint, bearer_token=token)
        return call_api(client, action, version, {"InstanceId": self.instance, **query})

    def as_user(self, key: str, action: str, **query) -> dict:
        body = self.call(self.users[key].token, action, **query)
        assert body["Success"] is True and body["HttpStatusCode"] == 200, body
        return body


def issue_user_token(gateway, access_key_id: str, login: str, role: str) -> str:
    return gateway.admin(
        "token", "issue", "--access-key-id", access_key_id, "--subject", login, "--role", role
    ).strip()


@pytest.fixture
def desk(gateway, demo, a2017, instance) -> Desk:
    sfx = uuid.uuid4().hex[:6]
    group = a2017.call("CreateSkillGroup", InstanceId=instance, Name=f"wb{sfx}",
                       Description="workbench")["SkillGroupId"]
    roles = {r["RoleName"]: r["RoleId"] for r in call_api(
        client_2020(gateway.endpoint, bearer_token=demo.bearer_token), "ListRoles", V2017,
        {"InstanceId": instance})["Roles"]["Role"]}
    users = {
        "lead": User(f"wblead_{sfx}", "skill-group-leader"),
        "a1": User(f"wbagent1_{sfx}", "agent"),
        "a2": User(f"wbagent2_{sfx}", "agent"),
    }
    for n, u in enumerate(users.values(), start=1):
        body = a2017.call(
            "CreateUser", InstanceId=instance, LoginName=u.login,
            DisplayName=f"坐席{n} {u.login}", Email=f"{u.login}@example.com",
            Phone=f"1390000{n:04d}", RoleIds=[roles[ROLE_NAME[u.role]]],
            SkillGroupIds=[group], SkillLevels=[5],
        )
        u.user_id = body["UserId"]
        detail = a2017.call("GetUser", InstanceId=instance, UserId=u.user_id)["User"]
        u.ram_id = detail["RamId"]
        u.token = issue_user_token(gateway, demo.access_key_id, u.login, u.role)
    d = Desk(gateway, demo, instance, group, users, roles)
    # Extensions as RequestLoginInfo answers them, read by the leader (everyone is a member
    # of its group).
    for u in users.values():
        u.extension = d.as_user("lead", "RequestLoginInfo", UserId=u.user_id)[
            "LoginInfo"]["Extension"]
    return d


def login_key(gateway, instance: str) -> Ed25519PublicKey:
    r = requests.get(f"{gateway.base_url}/login-keys/{instance}", timeout=5)
    assert r.status_code == 200, r.text
    key = r.json()
    assert key["Algorithm"] == "Ed25519" and key["Jwk"]["crv"] == "Ed25519", key
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(key["PublicKey"]))


def assert_signed(gateway, instance: str, sign_data: str, signature: str) -> dict:
    """Verifies `signature` over `sign_data` with the published key; the parsed SignData."""
    key = login_key(gateway, instance)
    key.verify(base64.b64decode(signature), sign_data.encode())  # raises InvalidSignature
    data = json.loads(sign_data)
    assert list(data) == ["tenantId", "serviceId", "dn", "source", "timestamp", "expireTime"]
    assert data["source"] == "aliyun"
    return data


def test_an_agent_logs_in_refreshes_reads_config_and_records_a_device(desk, a2017, m2020, b2020):
    gw, inst, a1 = desk.gateway, desk.instance, desk.users["a1"]
    info = desk.as_user("a1", "RequestLoginInfo")["LoginInfo"]
    assert info["UserName"] == f"{a1.login}@{inst}"
    assert info["DisplayName"].endswith(a1.login)
    assert info["PhoneNumber"] == "13900000002"
    assert info["TenantId"] == desk.demo.account_id
    assert [r["RoleName"] for r in info["Roles"]["Role"]] == ["AGENT"]
    # Real addresses from config: the HTTP API and ccgate's SIP registrar.
    assert info["AgentServerUrl"] == gw.endpoint
    assert info["WebRtcUrl"] == f"127.0.0.1:{gw.sip.port}"
    assert info["Extension"].isdigit()
    data = assert_signed(gw, inst, info["SignData"], info["Signature"])
    assert (data["serviceId"], data["dn"]) == (a1.ram_id, info["Extension"])
    assert data["expireTime"] - data["timestamp"] == 1800
    assert abs(data["timestamp"] - time.time()) < 30
    # A signature does not verify other data.
    with pytest.raises(Exception):
        login_key(gw, inst).verify(base64.b64decode(info["Signature"]),
                                   info["SignData"].replace(a1.ram_id, desk.users["a2"].ram_id)
                                   .encode())

    # RefreshToken: a new working token and a session signed until it expires.
    tok = desk.as_user("a1", "RefreshToken")["Token"]
    fresh = tok["BearerToken"]
    assert fresh and fresh != a1.token
    data = assert_signed(gw, inst, tok["SignData"], tok["Signature"])
    assert data["expireTime"] - data["timestamp"] == 3600, "the old token's lifetime again"
    assert data["dn"] == info["Extension"]

    # Configuration: the administrator sets items (2020 SDK), the agent reads them.
    b2020.update_config_items(m2020.UpdateConfigItemsRequest(
        instance_id=inst, object_type="user", object_id=a1.user_id,
        config_items=json.dumps([{"Name": "AutoAnswerCall", "Value": "5"},
                                 {"Name": "ShowCalledID", "Value": "0"}])))
    b2020.update_config_items(m2020.UpdateConfigItemsRequest(
        instance_id=inst, object_type="instance", object_id=inst,
        config_items=json.dumps([{"Name": "AllowHangup", "Value": "0"}])))
    got = desk.call(fresh, "GetConfig", Name="AutoAnswerCall", ObjectType="user")
    assert got["ConfigItem"] == {"Name": "AutoAnswerCall", "Value": "5"}, "with the new token"
    got = desk.call(fresh, "GetConfig", Name="AutoAnswerCall", ObjectType="instance")
    assert got["ConfigItem"]["Value"] == "0", "the documented default"
    listed = desk.as_user("a1", "ListConfig", **{
        "ConfigItem.1": json.dumps({"Name": "AllowHangup", "DimensionName": "user"}),
        "ConfigItem.2": json.dumps({"Name": "ShowCalledID", "DimensionName": "user"}),
        "ConfigItem.3": json.dumps({"Name": "ShowCalledID", "DimensionName": "instance"}),
    })["ConfigItems"]["ConfigItem"]
    assert [(i["Name"], i["Value"]) for i in listed] == [
        ("AllowHangup", "0"), ("ShowCalledID", "0"), ("ShowCalledID", "1")]
    items = b2020.list_config_items(m2020.ListConfigItemsRequest(
        instance_id=inst, object_type="user", object_id=a1.user_id)).body.data
    by = {i.name: i for i in items}
    assert (by["AutoAnswerCall"].value, by["AutoAnswerCall"].object_type) == ("5", "user")
    assert (by["AllowHangup"].value, by["AllowHangup"].object_type) == ("0", "instance")

    # Devices: recorded by the agent, marked signed in, listed.
    dev = desk.as_user("a1", "AddAgentDevice", BrowserVersion="Chrome 120", ClientIp="10.1.2.3",
                       ClientPort="5062", Remark="desk 7")["AgentDeviceId"]
    assert isinstance(dev, int)
    desk.as_user("a1", "ModifyAgentDevice", AgentDeviceId=str(dev), IsLogin="1")
    own = desk.as_user("a1", "ListAgentDevices")["AgentDeviceList"]["AgentDevice"]
    assert len(own) == 1, own
    d = own[0]
    assert (d["BrowserVersion"], d["ClientIp"], d["ClientPort"], d["Remark"], d["IsLogin"]) == (
        "Chrome 120", "10.1.2.3", "5062", "desk 7", 1)
    assert str(d["RamId"]) == a1.ram_id and d["InstanceId"] == inst
    assert abs(d["LoginTime"] / 1000 - time.time()) < 60
    # The administrator (typed 2017 request, AccessKey) lists it by RamId.
    admin = a2017.call("ListAgentDevices", InstanceId=inst, RamIds=a1.ram_id)
    assert [x["ClientIp"] for x in admin["AgentDeviceList"]["AgentDevice"]] == ["10.1.2.3"]


def test_an_agent_reads_no_one_elses_login_info_or_config(desk, expect_error):
    a1, a2, lead = desk.users["a1"], desk.users["a2"], desk.users["lead"]
    expect_error(lambda: desk.call(a1.token, "RequestLoginInfo", UserId=a2.user_id),
                 403, "NoPermission")
    expect_error(lambda: desk.call(a1.token, "RequestLoginInfo", UserId=a2.login),
                 403, "NoPermission")
    expect_error(lambda: desk.call(a1.token, "GetConfig", Name="AllowHangup",
                                   ObjectType="user", ObjectId=a2.user_id), 403, "NoPermission")
    expect_error(lambda: desk.call(a1.token, "GetTURNCredentials", UserName=a2.ram_id),
                 403, "NoPermission")
    expect_error(lambda: desk.call(a1.token, "ListAgentDevices", RamIds=a2.ram_id),
                 403, "NoPermission")
    # The leader of their group may.
    info = desk.as_user("lead", "RequestLoginInfo", UserId=a2.user_id)["LoginInfo"]
    assert info["UserName"] == f"{a2.login}@{desk.instance}"
    assert info["Extension"] == a2.extension
    # Extensions are the users' own.
    assert len({a1.extension, a2.extension, lead.extension}) == 3


def test_configuration_errors_are_distinct(desk, m2020, b2020, expect_error):
    inst, a1 = desk.instance, desk.users["a1"]

    def update(object_type, object_id, items, client=b2020):
        return client.update_config_items(m2020.UpdateConfigItemsRequest(
            instance_id=inst, object_type=object_type, object_id=object_id,
            config_items=json.dumps(items)))

    expect_error(lambda: update("instance", inst, [{"Name": "Nope", "Value": "1"}]),
                 404, "NotExists.ConfigItem")
    expect_error(lambda: update("user", a1.user_id, [{"Name": "SatisfactionSurvey",
                                                      "Value": "1"}]),
                 400, "InvalidConfigItem.Scope")
    msg = expect_error(lambda: update("user", a1.user_id, [{"Name": "AllowHangup", "Value": "0"},
                                                           {"Name": "AutoAnswerCall",
                                                            "Value": "99"}]),
                       400, "InvalidConfigItem.Value")
    assert "0 to 60" in msg
    expect_error(lambda: update("user", "no-such-user", [{"Name": "AllowHangup", "Value": "1"}]),
                 404, "NotExists.ObjectId")
    expect_error(lambda: update("tenant", inst, [{"Name": "AllowHangup", "Value": "1"}]),
                 400, "InvalidParameter")
    # Nothing of the refused request was written: no value is set at a1's scope.
    items = b2020.list_config_items(m2020.ListConfigItemsRequest(
        instance_id=inst, object_type="user", object_id=a1.user_id)).body.data
    assert [i.name for i in items if i.object_type == "user"] == []
    # Agents do not change configuration.
    agent_client = client_2020(desk.gateway.endpoint, bearer_token=a1.token)
    expect_error(lambda: update("user", a1.user_id, [{"Name": "AllowHangup", "Value": "0"}],
                                client=agent_client), 403, "NoPermission")
    # The 2017 readers.
    expect_error(lambda: desk.call(a1.token, "GetConfig", Name="Bogus", ObjectType="instance"),
                 404, "NotExists.ConfigItem")
    expect_error(lambda: desk.call(a1.token, "GetConfig", Name="SmsSatisfactionSurvey",
                                   ObjectType="skillGroup", ObjectId=desk.group),
                 400, "InvalidConfigItem.Scope")


def test_refused_tokens_revoked_and_of_removed_users(desk, a2017, expect_error):
    gw, a1, a2 = desk.gateway, desk.users["a1"], desk.users["a2"]
    fresh = desk.as_user("a1", "RefreshToken")["Token"]["BearerToken"]
    gw.admin("token", "revoke", fresh)
    deadline = time.monotonic() + 5
    while True:
        try:
            desk.call(fresh, "GetConfig", Name="AllowHangup", ObjectType="instance")
        except Exception as e:  # noqa: BLE001
            assert sdk_error(e)[:2] == (401, "InvalidBearerToken.Revoked")
            break
        assert time.monotonic() < deadline, "the revoked token still works"
        time.sleep(0.2)
    # The old token is unaffected by revoking its successor.
    desk.as_user("a1", "GetConfig", Name="AllowHangup", ObjectType="instance")
    # A removed user's tokens die with them.
    a2017.call("RemoveUsers", InstanceId=desk.instance, UserIds=[a2.user_id])
    expect_error(lambda: desk.call(a2.token, "RequestLoginInfo"), 403, "NoPermission")


def test_the_survey_route_point_has_no_agents_extension(desk, a2017):
    num = desk.as_user("a1", "GetServiceExtensions", ServiceType="SatisfactionSurvey")[
        "ServiceExtensions"]["ServiceExtension"]
    assert [e["Name"] for e in num] == ["SatisfactionSurvey"]
    number = num[0]["Number"]
    assert number not in {u.extension for u in desk.users.values()}
    again = desk.as_user("a2", "GetServiceExtensions", ServiceType="SatisfactionSurvey")
    assert again["ServiceExtensions"]["ServiceExtension"][0]["Number"] == number
    login = f"wbafter_{uuid.uuid4().hex[:6]}"
    uid = a2017.call("CreateUser", InstanceId=desk.instance, LoginName=login, DisplayName=login,
                     Email=f"{login}@example.com", RoleIds=[desk.roles["AGENT"]])["UserId"]
    # The administrator (the account's token) reads anyone's.
    info = desk.call(desk.demo.bearer_token, "RequestLoginInfo", UserId=uid)
    assert info["LoginInfo"]["Extension"] != number


# --- TURN against a real coturn --------------------------------------------------------------

@pytest.fixture(scope="module")
def coturn(gateway, tmp_path_factory):
    """coturn with the gateway's shared secret on its TURN port, stopped by PID afterwards."""
    if not shutil.which("turnserver"):
        pytest.fail("coturn is not installed (apt-get install coturn; .ci/run installs it)")
    work: Path = tmp_path_factory.mktemp("coturn")
    log, pid = work / "turn.log", work / "turn.pid"
    conf = work / "turnserver.conf"
    conf.write_text("\n".join([
        "listening-ip=127.0.0.1", "relay-ip=127.0.0.1", f"listening-port={gateway.sip.turn_port}",
        "min-port=49160", "max-port=49400", "realm=ccgate.test", "use-auth-secret",
        f"static-auth-secret={gateway.sip.turn_secret}", "fingerprint", "no-tls", "no-dtls",
        "no-cli", "allow-loopback-peers", "no-multicast-peers", "simple-log",
        f"log-file={log}", f"pidfile={pid}", "",
    ]))
    proc = subprocess.Popen(["turnserver", "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=work)
    deadline = time.monotonic() + 20
    while "Relay ports initialization done" not in (log.read_text(errors="replace")
                                                    if log.exists() else ""):
        assert proc.poll() is None, f"turnserver exited: {log.read_text(errors='replace')}"
        assert time.monotonic() < deadline, "turnserver not ready in 20 s"
        time.sleep(0.2)
    yield gateway.sip.turn_port
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def allocate(port: int, user: str, password: str) -> subprocess.CompletedProcess:
    """`turnutils_uclient`: allocates a relay with these credentials and sends through it."""
    return subprocess.run(
        ["turnutils_uclient", "-y", "-n", "3", "-m", "1", "-u", user, "-w", password,
         "-p", str(port), "127.0.0.1"],
        capture_output=True, text=True, timeout=60)


def test_coturn_accepts_the_credentials_and_refuses_expired_or_tampered_ones(desk, coturn):
    servers = json.loads(desk.as_user("a1", "GetTURNServerList")["TurnServerListConfig"])
    assert servers == [{"region": "local", "name": "e2e coturn",
                        "domain": f"127.0.0.1:{coturn}", "cidr": "127.0.0.0/8"}]
    cred = desk.as_user("a1", "GetTURNCredentials", UserName="0")
    user, password = cred["Username"], cred["Password"]
    expiry, who = user.split(":", 1)
    assert who == desk.users["a1"].ram_id
    assert 86_000 < int(expiry) - time.time() <= 86_400 + 5
    ok = allocate(coturn, user, password)
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    # Tampered: the password of another username.
    bad = allocate(coturn, user, password[:-2] + ("AA" if password[-2:] != "AA" else "BB"))
    assert bad.returncode != 0
    assert "Cannot complete Allocation" in bad.stdout + bad.stderr
    # Expired: the same scheme with an expiry in the past (what ccgate answers a day later).
    past = f"{int(time.time()) - 60}:{who}"
    secret = desk.gateway.sip.turn_secret.encode()
    past_pw = base64.b64encode(hmac.new(secret, past.encode(), hashlib.sha1).digest()).decode()
    expired = allocate(coturn, past, past_pw)
    assert expired.returncode != 0
    assert "Cannot complete Allocation" in expired.stdout + expired.stderr

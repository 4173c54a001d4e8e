"""Agents, skill groups and roles (plugins/agents, plugins/roles) through the official SDKs.

The administrator (the demo AccessKey, family A typed 2017-07-05 requests) sets up a fresh
instance: two skill groups A and B and five users made with CreateUser (RoleId from ListRoles):
one skill-group leader of A and four agents. Each user then acts with a Bearer token issued for
them (`ccgate token issue --subject <login> --role <role>`), through the 2020-07-01 SDK (the
agent desk: SignInGroup, ReadyForService, TakeBreak, SignOutGroup) or the tea client's
`call_api` for 2017 actions (family A cannot send Bearer tokens). What a user of the API would
notice is asserted: the states each answer shows, the refusals (400 InvalidAgentState, 403
NoPermission) and their messages, the counts and logs of the report actions, and the
server-sent event stream `GET /v1/instances/{id}/agent-states/stream`.

Forms this file relies on (plugins/agents/api/*.toml, /work/notes/agents-plan.md):
- 2017 `UserId` and `SkillGroupId` are UUIDs; 2020 answers `UserId`/`AgentId` as
  `<LoginName>@<InstanceId>` and skill groups as `<Name>@<InstanceId>`.
- Role ids are UUID v5 (URL namespace) of `ccgate:role:<InstanceId>:<name>`; RoleName ADMIN,
  SKILL_GROUP_ADMIN, AGENT with RoleDescription 管理员, 技能组组长, 坐席.
- The stream's `event: state` data is the `agents.state_changed` event (snake_case keys
  `seq`, `user_id`, `login_name`, `state`, `previous`, `break_code`, `skill_group_ids`,
  `cause`, `at_ms`; `state` the stored names OFFLINE, SIGNED_IN, READY, BREAK, ...), its `id:`
  the instance's state-log `seq`; `event: snapshot` data is `{"agents": [{"login_name",
  "state", ...}, ...]}` with every agent the caller may see.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from conftest import call_api, client_2020, sdk_error

V2017 = "2017-07-05"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# Roles: the token role, the 2017 RoleName and its RoleDescription (roles plugin spec).
ROLE_NAME = {"admin": "ADMIN", "skill-group-leader": "SKILL_GROUP_ADMIN", "agent": "AGENT"}
ROLE_DESC = {"admin": "管理员", "skill-group-leader": "技能组组长", "agent": "坐席"}

# The SSE stream shows the 2020 state names (a fresh sign-in is BREAK with break code Warm-up).
SSE_SIGNED_IN = "BREAK"


def now_ms() -> int:
    return int(time.time() * 1000)


def role_id(instance: str, role: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ccgate:role:{instance}:{role}"))


# --------------------------------------------------------------------------------------------
# the scene: an instance with skill groups A and B, a leader of A and four agents
# --------------------------------------------------------------------------------------------


@dataclass
class User:
    login: str
    role: str  # admin | skill-group-leader | agent
    groups: dict  # group key ("A"/"B") -> skill level
    user_id: str = ""
    ram_id: str = ""
    token: str = field(default="", repr=False)


@dataclass
class Scene:
    gateway: object
    demo: object
    instance: str
    admin_bearer: str
    groups: dict  # "A"/"B" -> {"id": uuid, "name": str}
    users: dict  # key ("lead", "a1".."a4") -> User

    # ids ------------------------------------------------------------------------------------

    def gid(self, key: str) -> str:
        return self.groups[key]["id"]

    def gname(self, key: str) -> str:
        return self.groups[key]["name"]

    def g2020(self, key: str) -> str:
        """The 2020-07-01 form of a skill group id."""
        return f"{self.gname(key)}@{self.instance}"

    def agent_id(self, key: str) -> str:
        """The 2020-07-01 form of a user id."""
        return f"{self.users[key].login}@{self.instance}"

    # clients --------------------------------------------------------------------------------

    def client(self, key: str):
        """The 2020 client acting for user `key` with their own Bearer token."""
        return client_2020(self.gateway.endpoint, bearer_token=self.users[key].token)

    def admin_client(self):
        """The 2020 client with the demo account's Bearer token (an administrator)."""
        return client_2020(self.gateway.endpoint, bearer_token=self.admin_bearer)

    def call2017(self, key: str | None, action: str, **query) -> dict:
        """A 2017 action over the tea client with user `key`'s token (None: the admin's)."""
        client = self.admin_client() if key is None else self.client(key)
        body = call_api(client, action, V2017, {"InstanceId": self.instance, **query})
        assert body["Success"] is True, body
        return body


def issue_user_token(gateway, access_key_id: str, login: str, role: str) -> str:
    """`ccgate token issue --subject <login> --role <role>`: a token acting for that user."""
    return gateway.admin(
        "token", "issue", "--access-key-id", access_key_id, "--subject", login, "--role", role
    ).strip()


def list_roles(scene_or_client, instance: str) -> list[dict]:
    body = call_api(scene_or_client, "ListRoles", V2017, {"InstanceId": instance})
    assert body["Success"] is True
    return body["Roles"]["Role"]


@pytest.fixture
def scene(gateway, demo, a2017, instance) -> Scene:
    sfx = uuid.uuid4().hex[:6]
    groups = {}
    for key, name, desc in (("A", f"售前A{sfx}", "pre-sales"), ("B", f"售后B{sfx}", "after-sales")):
        body = a2017.call("CreateSkillGroup", InstanceId=instance, Name=name, Description=desc)
        assert body["Success"] is True and body["HttpStatusCode"] == 200
        assert UUID_RE.fullmatch(body["SkillGroupId"]), body
        groups[key] = {"id": body["SkillGroupId"], "name": name, "description": desc}

    admin_bearer = demo.bearer_token
    roles = {r["RoleName"]: r["RoleId"] for r in list_roles(
        client_2020(gateway.endpoint, bearer_token=admin_bearer), instance)}

    users = {
        "lead": User(f"lead_{sfx}", "skill-group-leader", {"A": 10}),
        "a1": User(f"agent1_{sfx}", "agent", {"A": 5, "B": 3}),
        "a2": User(f"agent2_{sfx}", "agent", {"A": 7}),
        "a3": User(f"agent3_{sfx}", "agent", {"B": 4}),
        "a4": User(f"agent4_{sfx}", "agent", {}),
    }
    for n, u in enumerate(users.values(), start=1):
        params = dict(
            InstanceId=instance,
            LoginName=u.login,
            DisplayName=f"坐席{n} {u.login}",
            Email=f"{u.login}@example.com",
            Phone=f"1380000{n:04d}",
            RoleIds=[roles[ROLE_NAME[u.role]]],
        )
        if u.groups:
            params["SkillGroupIds"] = [groups[g]["id"] for g in u.groups]
            params["SkillLevels"] = list(u.groups.values())
        body = a2017.call("CreateUser", **params)
        assert body["Success"] is True and body["HttpStatusCode"] == 200
        assert UUID_RE.fullmatch(body["UserId"]), body
        u.user_id = body["UserId"]
        u.ram_id = a2017.call("GetUser", InstanceId=instance, UserId=u.user_id)["User"]["RamId"]
        u.token = issue_user_token(gateway, demo.access_key_id, u.login, u.role)
    return Scene(gateway, demo, instance, admin_bearer, groups, users)


# --- 2020 agent desk helpers ------------------------------------------------------------------


def sign_in(client, m2020, instance, group_ids: list[str], device="webrtc-1", user_id=None):
    resp = client.sign_in_group(m2020.SignInGroupRequest(
        instance_id=instance, signed_skill_group_id_list=json.dumps(group_ids),
        device_id=device, user_id=user_id))
    assert resp.status_code == 200
    assert resp.body is not None, "the SDK could not map the body into its model"
    return resp.body.data


def ready(client, m2020, instance, user_id=None):
    resp = client.ready_for_service(
        m2020.ReadyForServiceRequest(instance_id=instance, user_id=user_id))
    assert resp.status_code == 200 and resp.body is not None
    return resp.body.data


def take_break(client, m2020, instance, code="Lunch", user_id=None):
    resp = client.take_break(m2020.TakeBreakRequest(instance_id=instance, code=code,
                                                    user_id=user_id))
    assert resp.status_code == 200 and resp.body is not None
    return resp.body.data


def sign_out(client, m2020, instance, user_id=None):
    resp = client.sign_out_group(m2020.SignOutGroupRequest(instance_id=instance,
                                                           user_id=user_id))
    assert resp.status_code == 200 and resp.body is not None
    return resp.body.data


def realtime(client, m2020, instance, **kw) -> dict:
    resp = client.list_realtime_agent_states(m2020.ListRealtimeAgentStatesRequest(
        instance_id=instance, page_number=1, page_size=100, **kw))
    assert resp.status_code == 200
    assert resp.body is not None, "the SDK could not map the body into its model"
    return {a.agent_id: a for a in resp.body.data.list}


def skill_group_states(sdk2017, instance, **kw) -> dict:
    body = sdk2017.call("ListSkillGroupStates", InstanceId=instance, **kw)
    assert body["Success"] is True
    return {g["SkillGroupId"]: g for g in body["Data"]["List"]}


# --------------------------------------------------------------------------------------------
# administration: skill groups, users, roles
# --------------------------------------------------------------------------------------------


def test_admin_creates_skill_groups_and_agents(scene, a2017, expect_error):
    inst = scene.instance
    lead = scene.users["lead"]

    # GetUser: details, role, skill levels of the leader.
    user = a2017.call("GetUser", InstanceId=inst, UserId=lead.user_id)["User"]
    assert user["UserId"] == lead.user_id and user["InstanceId"] == inst
    assert re.fullmatch(r"\d{16}", user["RamId"])
    assert user["Detail"]["LoginName"] == lead.login
    assert user["Detail"]["Email"] == f"{lead.login}@example.com"
    assert user["Detail"]["DisplayName"].endswith(lead.login)
    [role] = user["Roles"]["Role"]
    assert (role["RoleId"], role["RoleName"], role["RoleDescription"]) == (
        role_id(inst, "skill-group-leader"), "SKILL_GROUP_ADMIN", "技能组组长")
    [level] = user["SkillLevels"]["SkillLevel"]
    assert level["Level"] == 10
    assert level["Skill"]["SkillGroupId"] == scene.gid("A")
    assert level["Skill"]["SkillGroupName"] == scene.gname("A")
    # An agent with no skill group has none.
    a4 = a2017.call("GetUser", InstanceId=inst, UserId=scene.users["a4"].user_id)["User"]
    assert a4["SkillLevels"]["SkillLevel"] == []
    assert [r["RoleName"] for r in a4["Roles"]["Role"]] == ["AGENT"]

    # ListUsers: all five, each with its levels; RamIds are distinct.
    body = a2017.call("ListUsers", InstanceId=inst, PageNumber=1, PageSize=50)["Users"]
    assert body["TotalCount"] == 5
    listed = {u["Detail"]["LoginName"]: u for u in body["List"]["User"]}
    assert set(listed) == {u.login for u in scene.users.values()}
    assert len({u["RamId"] for u in listed.values()}) == 5
    for u in scene.users.values():
        got = {lv["Skill"]["SkillGroupId"]: lv["Level"]
               for lv in listed[u.login]["SkillLevels"]["SkillLevel"]}
        assert got == {scene.gid(g): lvl for g, lvl in u.groups.items()}, u.login
        assert listed[u.login]["UserId"] == u.user_id
    # Paging.
    page = a2017.call("ListUsers", InstanceId=inst, PageNumber=2, PageSize=2)["Users"]
    assert (page["TotalCount"], page["PageNumber"], page["PageSize"]) == (5, 2, 2)
    assert len(page["List"]["User"]) == 2

    # ListUsersOfSkillGroup (Bearer only): A has the leader, agent1 and agent2 with levels.
    of_a = scene.call2017(None, "ListUsersOfSkillGroup", SkillGroupId=scene.gid("A"),
                          PageNumber=1, PageSize=50)["Users"]
    assert of_a["TotalCount"] == 3
    levels_a = {}
    for u in of_a["List"]["User"]:
        [lv] = [lv for lv in u["SkillLevels"]["SkillLevel"]
                if lv["Skill"]["SkillGroupId"] == scene.gid("A")]
        levels_a[u["Detail"]["LoginName"]] = lv["Level"]
    assert levels_a == {scene.users["lead"].login: 10, scene.users["a1"].login: 5,
                        scene.users["a2"].login: 7}

    # ListSkillGroups: names, descriptions, member counts.
    groups = {g["SkillGroupId"]: g for g in
              a2017.call("ListSkillGroups", InstanceId=inst)["SkillGroups"]["SkillGroup"]}
    assert set(groups) == {scene.gid("A"), scene.gid("B")}
    a, b = groups[scene.gid("A")], groups[scene.gid("B")]
    assert (a["SkillGroupName"], a["SkillGroupDescription"], a["UserCount"]) == (
        scene.gname("A"), "pre-sales", 3)
    assert (b["SkillGroupName"], b["SkillGroupDescription"], b["UserCount"]) == (
        scene.gname("B"), "after-sales", 2)
    assert a["InstanceId"] == inst

    # Refusals a user would meet.
    msg = expect_error(lambda: a2017.call("CreateSkillGroup", InstanceId=inst,
                                          Name=scene.gname("A")), 409, "Conflict.SkillGroupName")
    assert scene.gname("A") in msg
    agent_role = role_id(inst, "agent")
    msg = expect_error(lambda: a2017.call(
        "CreateUser", InstanceId=inst, LoginName=lead.login, DisplayName="dup",
        Email="dup@example.com", RoleIds=[agent_role]), 409, "Conflict.LoginName")
    assert lead.login in msg
    expect_error(lambda: a2017.call(
        "CreateUser", InstanceId=inst, LoginName=f"x{lead.login}", DisplayName="x",
        Email="x@example.com", RoleIds=[agent_role], SkillGroupIds=[str(uuid.uuid4())],
        SkillLevels=[1]), 404, "NotExists.SkillGroupId")
    expect_error(lambda: a2017.call(
        "CreateUser", InstanceId=inst, LoginName=f"y{lead.login}", DisplayName="y",
        Email="y@example.com", RoleIds=[str(uuid.uuid4())]), 404, "NotExists.RoleId")
    expect_error(lambda: a2017.call("GetUser", InstanceId=inst, UserId=str(uuid.uuid4())),
                 404, "NotExists.UserId")
    # None of the refused users exists.
    assert a2017.call("ListUsers", InstanceId=inst, PageNumber=1,
                      PageSize=50)["Users"]["TotalCount"] == 5


def test_list_roles_by_caller_role(scene):
    inst = scene.instance
    expected = [(role_id(inst, r), ROLE_NAME[r], ROLE_DESC[r])
                for r in ("admin", "skill-group-leader", "agent")]

    def seen(client):
        roles = list_roles(client, inst)
        assert all(r["InstanceId"] == inst for r in roles)
        return [(r["RoleId"], r["RoleName"], r["RoleDescription"]) for r in roles]

    assert seen(scene.admin_client()) == expected
    assert seen(scene.client("lead")) == expected[1:]
    assert seen(scene.client("a2")) == expected[2:]


# --------------------------------------------------------------------------------------------
# the agent desk (2020) and its logs
# --------------------------------------------------------------------------------------------


def test_agent_desk_day(scene, a2017, m2020, expect_error):
    """agent2 signs in to A, gets ready, takes a lunch break, gets ready, signs out; each
    answer shows the new state; the 2017 event list and the 2020 state log tell the story."""
    inst = scene.instance
    me = scene.users["a2"]
    desk = scene.client("a2")
    t0 = now_ms()

    # A refused transition says why.
    msg = expect_error(lambda: ready(desk, m2020, inst), 400, "InvalidAgentState")
    assert "OFFLINE" in msg and "SignInGroup" in msg, msg
    expect_error(lambda: take_break(desk, m2020, inst), 400, "InvalidAgentState")

    # Sign in with the 2020 form of the group id.
    d = sign_in(desk, m2020, inst, [scene.g2020("A")], device="webrtc-agent2")
    assert (d.user_state, d.break_code) == ("BREAK", "Warm-up")
    assert d.user_id == scene.agent_id("a2") and d.instance_id == inst
    assert d.signed_skill_group_id_list == [scene.g2020("A")]
    assert d.device_id == "webrtc-agent2"
    assert re.fullmatch(r"80\d\d", d.extension), d.extension
    assert d.work_mode == "ON_SITE"

    d = ready(desk, m2020, inst)
    assert (d.user_state, d.break_code) == ("READY", "")
    assert d.signed_skill_group_id_list == [scene.g2020("A")]

    d = take_break(desk, m2020, inst, "Lunch")
    assert (d.user_state, d.break_code) == ("BREAK", "Lunch")

    d = ready(desk, m2020, inst)
    assert (d.user_state, d.break_code) == ("READY", "")

    d = sign_out(desk, m2020, inst)
    assert d.user_state == "OFFLINE"
    assert d.signed_skill_group_id_list == []
    t1 = now_ms()

    # Still refused after signing out; signing out again changes nothing.
    msg = expect_error(lambda: ready(desk, m2020, inst), 400, "InvalidAgentState")
    assert "OFFLINE" in msg
    assert sign_out(desk, m2020, inst).user_state == "OFFLINE"

    # 2017 ListAgentEvents: the story in order, within the window.
    body = a2017.call("ListAgentEvents", InstanceId=inst, RamIds=[me.ram_id],
                      StartTime=t0, StopTime=now_ms() + 1000)
    assert body["Success"] is True
    events = body["AgentEventList"]["AgentEvent"]
    assert [e["Event"] for e in events] == ["签入", "等待", "小休", "等待", "签出"]
    times = [e["EventTime"] for e in events]
    assert times == sorted(times) and t0 <= times[0] and times[-1] <= t1
    for e in events:
        assert e["LoginName"] == me.login and str(e["RamId"]) == me.ram_id
        assert e["InstanceId"] == inst
    assert [g["SkillGroupId"] for g in events[0]["SkillGroupIds"]["SkillGroup"]] == [
        scene.gid("A")]
    assert events[0]["SkillGroupIds"]["SkillGroup"][0]["SkillGroupName"] == scene.gname("A")
    # Filtered by event.
    only = a2017.call("ListAgentEvents", InstanceId=inst, RamIds=[me.ram_id], Events=["小休"],
                      StartTime=t0, StopTime=now_ms() + 1000)
    assert [e["Event"] for e in only["AgentEventList"]["AgentEvent"]] == ["小休"]
    # Another agent's events are not mixed in.
    other = a2017.call("ListAgentEvents", InstanceId=inst, RamIds=[scene.users["a1"].ram_id],
                       StartTime=t0, StopTime=now_ms() + 1000)
    assert other["AgentEventList"]["AgentEvent"] == []
    # A window of more than one hour is refused.
    stop = now_ms()
    msg = expect_error(lambda: a2017.call("ListAgentEvents", InstanceId=inst,
                                          RamIds=[me.ram_id], StartTime=stop - 3_700_000,
                                          StopTime=stop), 400, "InvalidParameter")
    assert msg

    # 2020 ListAgentStateLogs: one entry per state with its start and duration.
    resp = scene.admin_client().list_agent_state_logs(m2020.ListAgentStateLogsRequest(
        instance_id=inst, agent_id=scene.agent_id("a2"), start_time=t0,
        end_time=now_ms() + 1000))
    assert resp.status_code == 200 and resp.body is not None
    logs = [e for e in resp.body.data if e.start_time >= t0]
    assert [(e.state, e.break_code) for e in logs] == [
        ("Break", "Warm-up"), ("Ready", ""), ("Break", "Lunch"), ("Ready", ""), ("Offline", "")]
    starts = [e.start_time for e in logs]
    assert starts == sorted(starts) and starts[-1] <= t1
    for e, nxt in zip(logs, logs[1:]):
        assert 0 <= e.duration <= (nxt.start_time - e.start_time) // 1000 + 1
    assert all(e.work_mode == "ON_SITE" for e in logs)
    # The agent may read its own log (by login name), not another's.
    own = scene.client("a2").list_agent_state_logs(m2020.ListAgentStateLogsRequest(
        instance_id=inst, agent_id=me.login, start_time=t0, end_time=now_ms() + 1000))
    assert [e.state for e in own.body.data if e.start_time >= t0][-1] == "Offline"
    expect_error(lambda: scene.client("a2").list_agent_state_logs(
        m2020.ListAgentStateLogsRequest(instance_id=inst, agent_id=scene.agent_id("a1"))),
        403, "NoPermission")


def test_sign_in_group_refusals_and_admin_acting_for_an_agent(scene, b2020, m2020,
                                                              expect_error):
    inst = scene.instance
    desk = scene.client("a2")
    # A group the agent is not a member of, an unknown group, not a JSON list.
    msg = expect_error(lambda: sign_in(desk, m2020, inst, [scene.gid("B")]), 400,
                       "InvalidParameter")
    assert "SignedSkillGroupIdList" in msg
    expect_error(lambda: sign_in(desk, m2020, inst, [f"nope@{inst}"]), 404,
                 "NotExists.SkillGroupId")
    expect_error(lambda: desk.sign_in_group(m2020.SignInGroupRequest(
        instance_id=inst, signed_skill_group_id_list="not json", device_id="d")),
        400, "InvalidParameter")
    # Still offline.
    assert realtime(b2020, m2020, inst)[scene.agent_id("a2")].state == "Offline"

    # An AccessKey caller must name the agent; it may use any form of the id.
    expect_error(lambda: sign_in(b2020, m2020, inst, [scene.gid("A")]), 400, "Parameter.Null")
    d = sign_in(b2020, m2020, inst, [scene.gid("A"), scene.gid("B")],
                user_id=scene.users["a1"].user_id)
    assert d.user_id == scene.agent_id("a1") and d.user_state == "BREAK"
    assert sorted(d.signed_skill_group_id_list) == sorted([scene.g2020("A"), scene.g2020("B")])
    assert ready(b2020, m2020, inst, user_id=scene.users["a1"].login).user_state == "READY"
    d = take_break(b2020, m2020, inst, "小休", user_id=scene.agent_id("a1"))
    assert (d.user_state, d.break_code) == ("BREAK", "小休")
    # Signing in again while signed in changes the groups and keeps the state.
    d = sign_in(b2020, m2020, inst, [scene.g2020("B")], user_id=scene.agent_id("a1"))
    assert (d.user_state, d.break_code) == ("BREAK", "小休")
    assert d.signed_skill_group_id_list == [scene.g2020("B")]
    expect_error(lambda: ready(b2020, m2020, inst, user_id=f"ghost@{inst}"), 404,
                 "NotExists.UserId")


# --------------------------------------------------------------------------------------------
# access control
# --------------------------------------------------------------------------------------------


def test_roles_and_scopes(scene, a2017, m2020, expect_error):
    inst = scene.instance
    users = scene.users

    # An agent sees only itself.
    mine = scene.call2017("a2", "ListUsers", PageNumber=1, PageSize=50)["Users"]
    assert mine["TotalCount"] == 1
    assert [u["Detail"]["LoginName"] for u in mine["List"]["User"]] == [users["a2"].login]
    assert scene.call2017("a2", "GetUser", UserId=users["a2"].user_id)["User"]["UserId"] == \
        users["a2"].user_id
    expect_error(lambda: scene.call2017("a2", "GetUser", UserId=users["a1"].user_id),
                 403, "NoPermission")
    # An agent acts only for itself.
    sign_in(scene.client("a1"), m2020, inst, [scene.gid("A")])
    msg = expect_error(lambda: take_break(scene.client("a2"), m2020, inst,
                                          user_id=scene.agent_id("a1")), 403, "NoPermission")
    assert "TakeBreak" in msg, msg
    states = realtime(scene.admin_client(), m2020, inst)
    assert (states[scene.agent_id("a1")].state,
            states[scene.agent_id("a1")].break_code) == ("Break", "Warm-up")
    # An agent may not administer.
    msg = expect_error(lambda: scene.call2017("a2", "CreateSkillGroup", Name="mine"),
                       403, "NoPermission")
    assert "The caller's role agent may not call CreateSkillGroup." in msg
    expect_error(lambda: scene.call2017("lead", "CreateSkillGroup", Name="mine"),
                 403, "NoPermission")
    # ... and sees only its own agent state.
    assert set(realtime(scene.client("a2"), m2020, inst)) == {scene.agent_id("a2")}

    # The leader sees the members of A, not B's.
    led = scene.call2017("lead", "ListUsers", PageNumber=1, PageSize=50)["Users"]
    assert {u["Detail"]["LoginName"] for u in led["List"]["User"]} == {
        users["lead"].login, users["a1"].login, users["a2"].login}
    assert led["TotalCount"] == 3
    expect_error(lambda: scene.call2017("lead", "GetUser", UserId=users["a3"].user_id),
                 403, "NoPermission")
    assert set(realtime(scene.client("lead"), m2020, inst)) == {
        scene.agent_id("lead"), scene.agent_id("a1"), scene.agent_id("a2")}
    # The leader changes A, not B.
    expect_error(lambda: scene.call2017("lead", "ModifySkillGroup", SkillGroupId=scene.gid("B"),
                                        Name=scene.gname("B"), Description="taken over"),
                 403, "NoPermission")
    scene.call2017("lead", "ModifySkillGroup", SkillGroupId=scene.gid("A"),
                   Name=scene.gname("A"), Description="changed by the leader")
    groups = {g["SkillGroupId"]: g for g in
              a2017.call("ListSkillGroups", InstanceId=inst)["SkillGroups"]["SkillGroup"]}
    assert groups[scene.gid("A")]["SkillGroupDescription"] == "changed by the leader"
    assert groups[scene.gid("B")]["SkillGroupDescription"] == "after-sales"

    # A token for a login the instance does not have acts for nobody.
    ghost = issue_user_token(scene.gateway, scene.demo.access_key_id, "ghost_nobody", "agent")
    expect_error(lambda: call_api(client_2020(scene.gateway.endpoint, bearer_token=ghost),
                                  "ListUsers", V2017,
                                  {"InstanceId": inst, "PageNumber": 1, "PageSize": 10}),
                 403, "NoPermission")


# --------------------------------------------------------------------------------------------
# reports: skill group and agent states
# --------------------------------------------------------------------------------------------


def test_skill_group_and_agent_states(scene, a2017, b2020, m2020):
    inst = scene.instance
    c = scene.client
    # agent1: A and B, ready.  agent2: A, lunch.  agent3: B, signed out again.
    # leader: A, in a meeting.  agent4: never signed in.
    sign_in(c("a1"), m2020, inst, [scene.gid("A"), scene.gid("B")])
    ready(c("a1"), m2020, inst)
    sign_in(c("a2"), m2020, inst, [scene.gid("A")])
    ready(c("a2"), m2020, inst)
    take_break(c("a2"), m2020, inst, "Lunch")
    sign_in(c("a3"), m2020, inst, [scene.gid("B")])
    ready(c("a3"), m2020, inst)
    sign_out(c("a3"), m2020, inst)
    sign_in(c("lead"), m2020, inst, [scene.gid("A")])
    ready(c("lead"), m2020, inst)
    take_break(c("lead"), m2020, inst, "Meeting")

    # 2017 ListSkillGroupStates: exact counts per group.
    states = skill_group_states(a2017, inst,
                                SkillGroupIds=f"{scene.gid('A')},{scene.gid('B')}")
    counts = lambda g: (g["LoggedInAgents"], g["ReadyAgents"], g["BreakingAgents"],  # noqa: E731
                        g["TalkingAgents"], g["WorkingAgents"])
    a, b = states[scene.gid("A")], states[scene.gid("B")]
    assert counts(a) == (3, 1, 2, 0, 0)
    assert counts(b) == (1, 1, 0, 0, 0)
    assert a["SkillGroupName"] == scene.gname("A") and a["InstanceId"] == inst
    assert (a["WaitingCalls"], a["LongestCall"]) == (0, 0)
    # Without a filter: both groups; paged.
    body = a2017.call("ListSkillGroupStates", InstanceId=inst, PageNumber=1, PageSize=1)
    assert body["Data"]["TotalCount"] == 2 and len(body["Data"]["List"]) == 1
    # The leader sees only the group it leads.
    led = scene.call2017("lead", "ListSkillGroupStates", PageNumber=1, PageSize=10)
    assert [g["SkillGroupId"] for g in led["Data"]["List"]] == [scene.gid("A")]
    assert counts(led["Data"]["List"][0]) == (3, 1, 2, 0, 0)

    # 2020 ListRealtimeAgentStates: every agent with its state.
    t = now_ms()
    agents = realtime(b2020, m2020, inst)
    assert set(agents) == {scene.agent_id(k) for k in scene.users}
    st = {k: (agents[scene.agent_id(k)].state, agents[scene.agent_id(k)].break_code)
          for k in scene.users}
    assert st == {"a1": ("Ready", ""), "a2": ("Break", "Lunch"), "a3": ("Offline", ""),
                  "lead": ("Break", "Meeting"), "a4": ("Offline", "")}
    a1 = agents[scene.agent_id("a1")]
    assert sorted(a1.skill_group_id_list) == sorted([scene.g2020("A"), scene.g2020("B")])
    assert sorted(a1.skill_group_name_list) == sorted([scene.gname("A"), scene.gname("B")])
    assert a1.instance_id == inst and a1.agent_name.endswith(scene.users["a1"].login)
    assert a1.state_time <= t and a1.duration >= 0
    assert agents[scene.agent_id("a3")].skill_group_id_list == []
    assert sorted(a.extension for a in agents.values()) == [str(8001 + i) for i in range(5)]
    # Filters: state, skill group, agent ids.
    assert set(realtime(b2020, m2020, inst, state_list=json.dumps(["Break"]))) == {
        scene.agent_id("a2"), scene.agent_id("lead")}
    assert set(realtime(b2020, m2020, inst, skill_group_id=scene.g2020("B"))) == {
        scene.agent_id("a1"), scene.agent_id("a3")}
    assert set(realtime(b2020, m2020, inst, agent_id_list=json.dumps(
        [scene.users["a4"].login, scene.agent_id("a1")]))) == {
        scene.agent_id("a4"), scene.agent_id("a1")}


# --------------------------------------------------------------------------------------------
# the agent-state stream (SSE)
# --------------------------------------------------------------------------------------------


class Sse:
    """One `GET .../agent-states/stream` connection, read with requests (stream=True)."""

    def __init__(self, gateway, instance, token, last_event_id=None):
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.resp = requests.get(
            f"{gateway.base_url}/v1/instances/{instance}/agent-states/stream",
            headers=headers, stream=True, timeout=(5, 10))
        assert self.resp.status_code == 200, self.resp.text[:500]
        assert self.resp.headers["content-type"].startswith("text/event-stream")
        self.resp.encoding = "utf-8"  # SSE is UTF-8; the header need not say so
        self._lines = self.resp.iter_lines(decode_unicode=True)

    def next(self, deadline_s: float = 10.0) -> dict:
        """The next event: {"event", "id", "data"} (data parsed as JSON). Comments skipped."""
        end = time.monotonic() + deadline_s
        ev: dict = {}
        data: list[str] = []
        for line in self._lines:
            if time.monotonic() > end:
                raise AssertionError("no SSE event within the deadline")
            if line is None:
                continue
            if line == "":
                if data or ev:
                    ev.setdefault("event", "message")
                    ev["data"] = json.loads("\n".join(data)) if data else None
                    return ev
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                data.append(value)
            elif name in ("event", "id"):
                ev[name] = value
        raise AssertionError("the stream ended")

    def states(self, n: int) -> list[dict]:
        """The next n `state` events (a snapshot in between is an error)."""
        out = []
        while len(out) < n:
            ev = self.next()
            assert ev["event"] == "state", ev
            out.append(ev)
        return out

    def close(self):
        self.resp.close()


def sse_view(events) -> list[tuple]:
    return [(e["data"]["login_name"], e["data"]["state"], e["data"]["break_code"])
            for e in events]


def test_agent_state_stream_resumes_without_gap_or_duplicate(scene, m2020):
    inst = scene.instance
    gw = scene.gateway
    u = scene.users
    c = scene.client

    s = Sse(gw, inst, scene.admin_bearer)
    try:
        snap = s.next()
        assert snap["event"] == "snapshot", snap
        agents = {a["login_name"]: a for a in snap["data"]["agents"]}
        assert set(agents) == {x.login for x in u.values()}
        assert {a["state"] for a in agents.values()} == {"OFFLINE"}

        sign_in(c("a1"), m2020, inst, [scene.gid("A")])
        ready(c("a1"), m2020, inst)
        live = s.states(2)
    finally:
        s.close()
    assert sse_view(live) == [(u["a1"].login, SSE_SIGNED_IN, "Warm-up"),
                              (u["a1"].login, "READY", "")]
    ids = [int(e["id"]) for e in live]
    assert ids[0] < ids[1]
    assert all(int(e["id"]) == e["data"]["seq"] for e in live)
    assert live[0]["data"]["user_id"] == u["a1"].user_id
    last = ids[-1]

    # Disconnected: two transitions happen.
    take_break(c("a1"), m2020, inst, "Lunch")
    sign_in(c("a2"), m2020, inst, [scene.gid("A")])

    s = Sse(gw, inst, scene.admin_bearer, last_event_id=last)
    try:
        missed = s.states(2)
        # One more, live on the resumed stream: it is new, not a replay.
        ready(c("a2"), m2020, inst)
        [after] = s.states(1)
    finally:
        s.close()
    assert sse_view(missed) == [(u["a1"].login, "BREAK", "Lunch"),
                                (u["a2"].login, SSE_SIGNED_IN, "Warm-up")]
    assert [int(e["id"]) for e in missed] == [last + 1, last + 2]
    assert sse_view([after]) == [(u["a2"].login, "READY", "")]
    assert int(after["id"]) == last + 3

    # An agent's stream shows only that agent.
    s = Sse(gw, inst, u["a2"].token)
    try:
        snap = s.next()
        assert snap["event"] == "snapshot"
        assert [(a["login_name"], a["state"]) for a in snap["data"]["agents"]] == [
            (u["a2"].login, "READY")]
        sign_out(c("a1"), m2020, inst)  # someone else's change: not shown
        take_break(c("a2"), m2020, inst, "Coffee")
        [mine] = s.states(1)
    finally:
        s.close()
    assert sse_view([mine]) == [(u["a2"].login, "BREAK", "Coffee")]
    assert int(mine["id"]) == last + 5  # a1's sign-out was last + 4, not shown


def test_agent_state_stream_refuses_strangers(scene, other):
    url = f"{scene.gateway.base_url}/v1/instances/{scene.instance}/agent-states/stream"
    r = requests.get(url, timeout=5)
    assert r.status_code == 401
    # Another account's token does not see the instance.
    r = requests.get(url, headers={"Authorization": f"Bearer {other.bearer_token}"}, timeout=5)
    assert r.status_code == 404


# --------------------------------------------------------------------------------------------
# numbers bound to skill groups
# --------------------------------------------------------------------------------------------


def test_numbers_bind_real_skill_groups(scene, a2017, b2020, m2020, new_number, expect_error):
    inst = scene.instance
    number = new_number()
    pn = a2017.call("AddPhoneNumber", InstanceId=inst, PhoneNumber=number,
                    Usage="Bidirection")["PhoneNumber"]
    msg = expect_error(lambda: a2017.call("ModifyPhoneNumber", InstanceId=inst,
                                          PhoneNumberId=pn["PhoneNumberId"], Usage="Inbound",
                                          SkillGroupIds=["no-such-group"]),
                       404, "NotExists.SkillGroupId")
    assert "no-such-group" in msg
    expect_error(lambda: a2017.call("AddBulkPhoneNumbers", InstanceId=inst,
                                    PhoneNumbers=[new_number()], Usage="Inbound",
                                    SkillGroupIds=[str(uuid.uuid4())]),
                 404, "NotExists.SkillGroupId")

    mod = a2017.call("ModifyPhoneNumber", InstanceId=inst, PhoneNumberId=pn["PhoneNumberId"],
                     Usage="Inbound", SkillGroupIds=[scene.gid("A")])["PhoneNumber"]
    assert [(g["SkillGroupId"], g["SkillGroupName"]) for g in
            mod["SkillGroups"]["SkillGroup"]] == [(scene.gid("A"), scene.gname("A"))]

    resp = b2020.list_phone_numbers(m2020.ListPhoneNumbersRequest(
        instance_id=inst, page_number=1, page_size=10))
    assert resp.body is not None
    [item] = resp.body.data.list
    assert item.number == number
    [g] = item.skill_groups
    assert (g.skill_group_id, g.name, g.display_name, g.instance_id) == (
        scene.g2020("A"), scene.gname("A"), scene.gname("A"), inst)
    listed = {n["Number"]: n for n in a2017.call("ListPhoneNumbers", InstanceId=inst, OutboundOnly=False)[
        "PhoneNumbers"]["PhoneNumber"]}
    assert [(g["SkillGroupId"], g["SkillGroupName"]) for g in
            listed[number]["SkillGroups"]["SkillGroup"]] == [(scene.gid("A"), scene.gname("A"))]


# --------------------------------------------------------------------------------------------
# every role against every action of agents and roles
# --------------------------------------------------------------------------------------------


def agents_and_roles_specs():
    """(version, action, roles) of every spec of plugins/agents and plugins/roles: the rule the
    gateway enforces (`roles`, default administrator only)."""
    import tomllib
    from pathlib import Path

    out = []
    for plugin in ("agents", "roles"):
        for f in sorted((Path(__file__).resolve().parents[2] / "plugins" / plugin / "api").glob("*.toml")):
            spec = tomllib.loads(f.read_text())
            if "action" in spec:  # not uses.toml
                out.append((spec["version"], spec["action"], spec.get("roles", ["admin"])))
    return out


def test_every_role_against_every_agents_action(scene, a2017):
    """For each action of agents and roles, a token acting for an administrator, a skill-group
    leader and an agent: the roles the spec admits get past the role check (any answer but 403
    "may not call <Action>."), the others are refused with 403 NoPermission before the handler.
    Requests carry only InstanceId, so admitted calls may still fail their own validation."""
    inst = scene.instance
    admin_login = f"admin_{uuid.uuid4().hex[:6]}"
    a2017.call("CreateUser", InstanceId=inst, LoginName=admin_login, DisplayName="Admin",
               Email=f"{admin_login}@example.com", RoleIds=[role_id(inst, "admin")])
    tokens = {
        "admin": issue_user_token(scene.gateway, scene.demo.access_key_id, admin_login, "admin"),
        "skill-group-leader": scene.users["lead"].token,
        "agent": scene.users["a1"].token,
    }
    specs = agents_and_roles_specs()
    assert len(specs) == 30, [s[1] for s in specs]
    checked = 0
    for version, action, admitted in specs:
        for role, token in tokens.items():
            client = client_2020(scene.gateway.endpoint, bearer_token=token)
            refused_message = f"The caller's role {role} may not call {action}."
            try:
                call_api(client, action, version, {"InstanceId": inst})
                outcome = None
            except Exception as e:  # noqa: BLE001 - the SDK's exception is inspected
                outcome = sdk_error(e)
            if role in admitted:
                assert not (outcome and outcome[1] == "NoPermission" and refused_message in outcome[2]), (
                    f"{role} was refused {action} {version}: {outcome}")
            else:
                assert outcome is not None and outcome[:2] == (403, "NoPermission"), (
                    f"{role} was not refused {action} {version}: {outcome}")
                assert refused_message in outcome[2], outcome
            checked += 1
    assert checked == 90

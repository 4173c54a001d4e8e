"""Contact flows (plugins/flows) through the official SDKs.

2017-07-05 (family A, typed requests): ListContactFlows, CreateContactFlow,
CommitContactFlowVersionModification, PublishContactFlowVersion, GetRoutePoint.
2020-07-01 (family B, typed models, every credential kind): ListContactFlows with Type,
SortOrder, OrderByField, SearchPattern and paging (seed 000).
"""

import json
import re

import pytest

DEFAULT_FLOW = "默认流程"


def main_definition(say: str) -> str:
    """INCOMING_CALL -> PLAY_SAY -> HANGUP, the shape of seed 000's example."""
    return json.dumps(
        {
            "activities": [
                {"type": "INCOMING_CALL", "id": "start", "name": "开始",
                 "events": [{"event": "complete", "next": "say"}], "nodeIndex": 0},
                {"type": "PLAY_SAY", "id": "say", "name": "放音",
                 "properties": {"say": say, "audioType": "tts"},
                 "events": [{"event": "complete", "next": "bye"}], "nodeIndex": 1},
                {"type": "HANGUP", "id": "bye", "name": "挂机",
                 "events": [{"event": "complete", "next": None}], "nodeIndex": 999},
            ],
            "description": "",
        },
        ensure_ascii=False,
    )


def sub_definition() -> str:
    return json.dumps(
        {
            "activities": [
                {"type": "START", "id": "s", "name": "start",
                 "events": [{"event": "complete", "next": "h"}]},
                {"type": "HANGUP", "id": "h", "name": "hangup", "events": []},
            ]
        }
    )


def create_flow(sdk, instance, name, *, description="", type_=None, content=None, canvas=None):
    params = dict(InstanceId=instance, Name=name, Description=description,
                  Content=content or main_definition(f"hello from {name}"))
    if type_ is not None:
        params["Type"] = type_
    if canvas is not None:
        params["Canvas"] = canvas
    return sdk.call("CreateContactFlow", **params)["ContactFlow"]


def flows_2017(sdk, instance) -> dict:
    """2017 ListContactFlows as {name: ContactFlow}."""
    body = sdk.call("ListContactFlows", InstanceId=instance)
    assert body["Success"] is True
    return {f["ContactFlowName"]: f for f in body["ContactFlows"]["ContactFlow"]}


def list_2020(client, m2020, instance, **kw):
    kw.setdefault("page_number", 1)
    kw.setdefault("page_size", 100)
    resp = client.list_contact_flows(m2020.ListContactFlowsRequest(instance_id=instance, **kw))
    assert resp.status_code == 200
    assert resp.body is not None, "the SDK could not map the body into its model"
    return resp.body.data


# --- the default flow of a new instance -------------------------------------------------------


def test_new_instance_has_a_published_default_flow(a2017, instance):
    flows = flows_2017(a2017, instance)
    assert list(flows) == [DEFAULT_FLOW]
    f = flows[DEFAULT_FLOW]
    assert f["InstanceId"] == instance
    assert f["Type"] == "Mainflow"
    versions = f["Versions"]["ContactFlowVersion"]
    assert len(versions) == 1
    assert versions[0]["Status"] == "Published"
    assert set(versions[0]) == {"ContactFlowVersionId", "Version", "ContactFlowVersionDescription",
                                "LastModified", "LastModifiedBy", "LockedBy", "Status"}
    assert re.fullmatch(r"\d{14}", versions[0]["Version"])  # yyyyMMddHHmmss
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", versions[0]["LastModified"])
    assert versions[0]["LockedBy"] == ""
    assert set(f) == {"ContactFlowId", "InstanceId", "ContactFlowName", "ContactFlowDescription",
                      "Type", "AppliedVersion", "Versions", "PhoneNumbers"}
    assert f["AppliedVersion"] == versions[0]["Version"]
    assert f["PhoneNumbers"]["PhoneNumber"] == []
    rp = a2017.call("GetRoutePoint", InstanceId=instance, ContactFlowId=f["ContactFlowId"])
    assert re.fullmatch(r"\d{8}", rp["RoutePoint"])
    assert rp["Success"] is True and rp["Code"] == "OK"


# --- create / commit / publish lifecycle ------------------------------------------------------


def test_flow_lifecycle_create_commit_publish(demo, a2017, instance, m2020):
    b2020 = demo.sdk2020("acs3")
    name = "售后 flow a*b~c"  # space, '*', '~' and CJK exercise the signature encodings
    content = main_definition("您好，售后服务 & more")
    canvas = '{"zoom": 1.5, "note": "a+b=c"}'
    created = create_flow(a2017, instance, name, description="after-sales", content=content,
                          canvas=canvas)
    flow_id = created["ContactFlowId"]
    assert created["ContactFlowName"] == name
    assert created["ContactFlowDescription"] == "after-sales"
    assert created["InstanceId"] == instance
    assert created["Type"] == "Mainflow"
    assert created["AppliedVersion"] == ""
    [v1] = created["Versions"]["ContactFlowVersion"]
    assert v1["Status"] == "Draft"
    assert v1["Content"] == content  # body parameters survive form encoding
    assert v1["Canvas"] == canvas
    assert v1["LastModifiedBy"] == demo.access_key_id

    # Visible in both list versions, unpublished.
    listed = flows_2017(a2017, instance)[name]
    assert listed["ContactFlowId"] == flow_id and listed["AppliedVersion"] == ""
    assert [v["Status"] for v in listed["Versions"]["ContactFlowVersion"]] == ["Draft"]
    item = {f.contact_flow_id: f for f in list_2020(b2020, m2020, instance).list}[flow_id]
    assert item.published is False
    assert item.draft_id == v1["ContactFlowVersionId"]
    assert item.definition == content
    assert item.type == "MAIN_FLOW"
    assert item.description == "after-sales"

    # Publish the draft.
    pub = a2017.call("PublishContactFlowVersion", InstanceId=instance,
                     ContactFlowVersionId=v1["ContactFlowVersionId"], UseTianGong=True)
    assert pub["Success"] is True
    listed = flows_2017(a2017, instance)[name]
    assert listed["AppliedVersion"] == v1["Version"]
    assert [v["Status"] for v in listed["Versions"]["ContactFlowVersion"]] == ["Published"]
    item = {f.contact_flow_id: f for f in list_2020(b2020, m2020, instance).list}[flow_id]
    assert item.published is True
    assert item.draft_id is None

    # Commit a modification on the published version: a new draft holds it.
    content2 = main_definition("第二版")
    committed = a2017.call("CommitContactFlowVersionModification", InstanceId=instance,
                           ContactFlowVersionId=v1["ContactFlowVersionId"],
                           Content=content2)["ContactFlowVersion"]
    assert committed["ContactFlowVersionId"] != v1["ContactFlowVersionId"]
    assert committed["Status"] == "Draft"
    assert committed["Content"] == content2
    assert committed["Canvas"] == canvas  # kept when Canvas is not sent
    listed = flows_2017(a2017, instance)[name]
    assert listed["AppliedVersion"] == v1["Version"]  # still the published one
    statuses = {v["ContactFlowVersionId"]: v["Status"]
                for v in listed["Versions"]["ContactFlowVersion"]}
    assert statuses == {v1["ContactFlowVersionId"]: "Published",
                        committed["ContactFlowVersionId"]: "Draft"}
    item = {f.contact_flow_id: f for f in list_2020(b2020, m2020, instance).list}[flow_id]
    assert item.published is True
    assert item.draft_id == committed["ContactFlowVersionId"]
    assert item.definition == content2

    # Committing again on the draft updates it in place.
    content3 = main_definition("第三版")
    again = a2017.call("CommitContactFlowVersionModification", InstanceId=instance,
                       ContactFlowVersionId=committed["ContactFlowVersionId"],
                       Content=content3, Canvas="{}")["ContactFlowVersion"]
    assert again["ContactFlowVersionId"] == committed["ContactFlowVersionId"]
    assert again["Content"] == content3 and again["Canvas"] == "{}"

    # Publish the new draft: the old version is archived.
    a2017.call("PublishContactFlowVersion", InstanceId=instance,
               ContactFlowVersionId=again["ContactFlowVersionId"])
    listed = flows_2017(a2017, instance)[name]
    assert listed["AppliedVersion"] == again["Version"]
    statuses = {v["ContactFlowVersionId"]: v["Status"]
                for v in listed["Versions"]["ContactFlowVersion"]}
    assert statuses == {v1["ContactFlowVersionId"]: "Archived",
                        again["ContactFlowVersionId"]: "Published"}
    item = {f.contact_flow_id: f for f in list_2020(b2020, m2020, instance).list}[flow_id]
    assert item.definition == content3 and item.draft_id is None

    # Rollback: publishing the archived version makes it current again.
    a2017.call("PublishContactFlowVersion", InstanceId=instance,
               ContactFlowVersionId=v1["ContactFlowVersionId"])
    listed = flows_2017(a2017, instance)[name]
    assert listed["AppliedVersion"] == v1["Version"]


def test_bearer_principal_is_recorded_as_editor(demo, instance, m2020):
    """A flow created through a Bearer token is attributed to the token's subject."""
    from conftest import call_api

    body = call_api(demo.sdk2020("bearer"), "CreateContactFlow", "2017-07-05",
                    {"InstanceId": instance, "Name": "by-bearer",
                     "Content": main_definition("x")})
    [v] = body["ContactFlow"]["Versions"]["ContactFlowVersion"]
    assert v["LastModifiedBy"] == "admin"  # `ccgate token issue` default --subject
    item = [f for f in list_2020(demo.sdk2020("v2"), m2020, instance).list
            if f.name == "by-bearer"][0]
    assert item.editor == "admin"


def test_route_points_are_distinct_and_stable(a2017, instance):
    ids = [create_flow(a2017, instance, f"rp-{i}")["ContactFlowId"] for i in range(3)]
    points = [a2017.call("GetRoutePoint", InstanceId=instance, ContactFlowId=i)["RoutePoint"]
              for i in ids]
    assert len(set(points)) == 3
    assert all(re.fullmatch(r"\d{8}", p) for p in points)
    assert a2017.call("GetRoutePoint", InstanceId=instance,
                      ContactFlowId=ids[0])["RoutePoint"] == points[0]


def test_subflow_type_round_trips(a2017, b2020, instance, m2020):
    created = create_flow(a2017, instance, "sub-1", type_="Subflow", content=sub_definition())
    assert created["Type"] == "Subflow"
    assert flows_2017(a2017, instance)["sub-1"]["Type"] == "Subflow"
    data = list_2020(b2020, m2020, instance, type="SUB_FLOW")
    assert [f.name for f in data.list] == ["sub-1"]
    assert data.list[0].type == "SUB_FLOW"


# --- errors of the write actions --------------------------------------------------------------


def test_create_contact_flow_errors(a2017, instance, expect_error):
    create_flow(a2017, instance, "dup")
    msg = expect_error(lambda: create_flow(a2017, instance, "dup"), 409,
                       "Conflict.ContactFlowName")
    assert "dup" in msg
    # Invalid definition: an event pointing at a missing activity.
    bad = json.dumps({"activities": [
        {"type": "INCOMING_CALL", "id": "a", "events": [{"event": "complete", "next": "zzz"}]}]})
    msg = expect_error(lambda: create_flow(a2017, instance, "bad", content=bad), 400,
                       "InvalidParameter")
    assert "zzz" in msg
    expect_error(lambda: create_flow(a2017, instance, "bad", content="not json"), 400,
                 "InvalidParameter")
    # A main flow must start with INCOMING_CALL.
    expect_error(lambda: create_flow(a2017, instance, "bad", content=sub_definition()), 400,
                 "InvalidParameter")
    expect_error(lambda: create_flow(a2017, instance, "bad", type_="Bogus"), 400,
                 "Parameter.Enumeration")
    expect_error(lambda: a2017.call("CreateContactFlow", InstanceId=instance,
                                    Content=main_definition("x")), 400, "MissingParameter")
    expect_error(lambda: create_flow(a2017, instance, "n" * 65), 400, "Parameter.Maximum")
    # None of the failures created anything.
    assert sorted(flows_2017(a2017, instance)) == sorted([DEFAULT_FLOW, "dup"])


def test_unknown_flow_and_version_ids(a2017, instance, expect_error):
    expect_error(lambda: a2017.call("GetRoutePoint", InstanceId=instance,
                                    ContactFlowId="no-such-flow"), 404, "NotExists.ContactFlowId")
    expect_error(lambda: a2017.call("PublishContactFlowVersion", InstanceId=instance,
                                    ContactFlowVersionId="no-such-version"),
                 404, "NotExists.ContactFlowVersionId")
    expect_error(lambda: a2017.call("CommitContactFlowVersionModification", InstanceId=instance,
                                    ContactFlowVersionId="no-such-version",
                                    Content=main_definition("x")),
                 404, "NotExists.ContactFlowVersionId")


def test_flow_of_another_instance_is_not_found(gateway, demo, a2017, instance, expect_error):
    """Flow and version ids are scoped to their instance, even within one account."""
    f = create_flow(a2017, instance, "scoped")
    other_instance = gateway.create_instance(demo.account_id)
    expect_error(lambda: a2017.call("GetRoutePoint", InstanceId=other_instance,
                                    ContactFlowId=f["ContactFlowId"]),
                 404, "NotExists.ContactFlowId")
    v = f["Versions"]["ContactFlowVersion"][0]["ContactFlowVersionId"]
    expect_error(lambda: a2017.call("PublishContactFlowVersion", InstanceId=other_instance,
                                    ContactFlowVersionId=v),
                 404, "NotExists.ContactFlowVersionId")
    assert flows_2017(a2017, instance)["scoped"]["AppliedVersion"] == ""


# --- 2020 ListContactFlows: typed models, filters, sorting, paging ----------------------------


def test_2020_list_maps_into_the_sdk_model(b2020_any, instance, m2020):
    data = list_2020(b2020_any, m2020, instance)
    assert data.total_count == 1 and data.page_number == 1 and data.page_size == 100
    [f] = data.list
    assert f.contact_flow_id  # populated, not None: the body matched the model's types
    assert f.name == DEFAULT_FLOW
    assert f.type == "MAIN_FLOW"
    assert f.published is True
    assert f.instance_id == instance
    assert f.number_list == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d", f.created_time)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d", f.updated_time)
    assert json.loads(f.definition)["activities"][0]["type"] == "INCOMING_CALL"


@pytest.fixture
def five_flows(a2017, instance):
    """Instance with the default flow plus: Alpha, beta, Gamma% (main), sub-x, sub-y (sub)."""
    for name, desc in [("Alpha", "first"), ("beta", "Second one"), ("Gamma%", "third")]:
        create_flow(a2017, instance, name, description=desc)
    for name in ("sub-x", "sub-y"):
        create_flow(a2017, instance, name, type_="SUB_FLOW", content=sub_definition())
    return instance


def test_2020_list_type_filter(b2020, five_flows, m2020):
    main = list_2020(b2020, m2020, five_flows, type="MAIN_FLOW")
    assert main.total_count == 4
    assert sorted(f.name for f in main.list) == sorted([DEFAULT_FLOW, "Alpha", "beta", "Gamma%"])
    sub = list_2020(b2020, m2020, five_flows, type="SUB_FLOW")
    assert sorted(f.name for f in sub.list) == ["sub-x", "sub-y"]
    assert list_2020(b2020, m2020, five_flows, type="SURVEY_FLOW").total_count == 0


def test_2020_list_sorting(b2020, five_flows, m2020):
    asc = list_2020(b2020, m2020, five_flows, order_by_field="name", sort_order="ASC",
                    type="MAIN_FLOW")
    names = [f.name for f in asc.list]
    assert names[0] == "Alpha" and set(names) == {DEFAULT_FLOW, "Alpha", "beta", "Gamma%"}
    desc = list_2020(b2020, m2020, five_flows, order_by_field="name", sort_order="DESC",
                     type="MAIN_FLOW")
    assert [f.name for f in desc.list] == list(reversed(names))
    # By creation time: the default flow first ascending, last descending.
    by_created = list_2020(b2020, m2020, five_flows, order_by_field="createdTime",
                           sort_order="ASC")
    assert by_created.list[0].name == DEFAULT_FLOW
    assert [f.name for f in by_created.list][1:] == ["Alpha", "beta", "Gamma%", "sub-x", "sub-y"]
    newest_first = list_2020(b2020, m2020, five_flows, order_by_field="createdTime",
                             sort_order="DESC")
    assert [f.name for f in newest_first.list] == [f.name for f in reversed(by_created.list)]


def test_2020_list_search_pattern(b2020, five_flows, m2020):
    def names(p):
        return sorted(f.name for f in list_2020(b2020, m2020, five_flows, search_pattern=p).list)

    assert names("alpha") == ["Alpha"]  # case-insensitive
    assert names("ET") == ["beta"]
    assert names("second") == ["beta"]  # matches the description too
    assert names("sub-") == ["sub-x", "sub-y"]
    assert names("%") == ["Gamma%"]  # literal, not a wildcard
    assert names("_") == []
    assert names("nothing-like-this") == []
    data = list_2020(b2020, m2020, five_flows, search_pattern="a", type="SUB_FLOW")
    assert data.total_count == 0


def test_2020_list_paging(b2020, five_flows, m2020):
    seen = []
    for page in (1, 2, 3):
        data = list_2020(b2020, m2020, five_flows, page_number=page, page_size=2,
                         order_by_field="createdTime", sort_order="ASC")
        assert data.total_count == 6
        assert data.page_number == page and data.page_size == 2
        assert len(data.list) == 2
        seen += [f.contact_flow_id for f in data.list]
    assert len(set(seen)) == 6
    beyond = list_2020(b2020, m2020, five_flows, page_number=4, page_size=2)
    assert beyond.total_count == 6 and beyond.list == []


@pytest.mark.parametrize(
    "kw, code",
    [
        (dict(page_number=0, page_size=10), "Parameter.Minimum"),
        (dict(page_number=101, page_size=10), "Parameter.Maximum"),
        (dict(page_number=1, page_size=0), "Parameter.Minimum"),
        (dict(page_number=1, page_size=101), "Parameter.Maximum"),
        (dict(page_number=1, page_size=10, type="MAINFLOW"), "Parameter.Enumeration"),
        (dict(page_number=1, page_size=10, sort_order="UP"), "Parameter.Enumeration"),
        (dict(page_number=1, page_size=10, order_by_field="colour"), "Parameter.Enumeration"),
        (dict(page_size=10), "Parameter.Null"),
    ],
)
def test_2020_list_parameter_errors(b2020, demo, m2020, expect_error, kw, code):
    expect_error(
        lambda: b2020.list_contact_flows(
            m2020.ListContactFlowsRequest(instance_id=demo.instance_id, **kw)
        ),
        400,
        code,
    )


def test_2020_list_paging_bounds_are_inclusive(b2020, demo, m2020):
    data = list_2020(b2020, m2020, demo.instance_id, page_number=100, page_size=1)
    assert data.page_number == 100 and data.list == []
    data = list_2020(b2020, m2020, demo.instance_id, page_number=1, page_size=100)
    assert data.page_size == 100 and data.total_count >= 1


def test_2020_list_default_order_is_most_recently_updated_first(a2017, b2020, instance, m2020):
    """Without SortOrder/OrderByField (seed 000's example values: updatedTime, DESC), a flow
    that was just modified comes first."""
    older = create_flow(a2017, instance, "older")
    create_flow(a2017, instance, "newer")
    assert [f.name for f in list_2020(b2020, m2020, instance).list][:2] == ["newer", "older"]
    before = {f.name: f.updated_time for f in list_2020(b2020, m2020, instance).list}
    a2017.call("CommitContactFlowVersionModification", InstanceId=instance,
               ContactFlowVersionId=older["Versions"]["ContactFlowVersion"][0][
                   "ContactFlowVersionId"],
               Content=main_definition("touched"))
    after = list_2020(b2020, m2020, instance).list
    assert [f.name for f in after][:2] == ["older", "newer"]
    touched = {f.name: f for f in after}["older"]
    assert touched.updated_time >= before["older"]
    assert touched.created_time <= touched.updated_time

"""Phone numbers (plugins/numbers) through the official SDKs.

2017-07-05 via family A typed requests: AddPhoneNumber, AddBulkPhoneNumbers, RemovePhoneNumber,
ModifyPhoneNumber, ListPhoneNumbers, CheckNumberAvaliable, PickGlobalOutboundNumbers (seed 004
§6); GetNumberRegionInfo and PickLocalNumber are Bearer-only, so they go through the tea
client's `call_api` with a Bearer token. 2020-07-01 ListPhoneNumbers via the typed 2020 client
(seed 002).
"""

import re

import pytest

from conftest import call_api
from test_flows import create_flow, flows_2017, list_2020


def add(sdk, instance, number, usage="Bidirection", flow_id=None) -> dict:
    params = dict(InstanceId=instance, PhoneNumber=number, Usage=usage)
    if flow_id is not None:
        params["ContactFlowId"] = flow_id
    body = sdk.call("AddPhoneNumber", **params)
    assert body["Success"] is True and body["HttpStatusCode"] == 200
    return body["PhoneNumber"]


def numbers_2017(sdk, instance, outbound_only=False) -> dict:
    body = sdk.call("ListPhoneNumbers", InstanceId=instance, OutboundOnly=outbound_only)
    assert body["Success"] is True
    return {n["Number"]: n for n in body["PhoneNumbers"]["PhoneNumber"]}


def numbers_2020(client, m2020, instance, **kw):
    kw.setdefault("page_number", 1)
    kw.setdefault("page_size", 100)
    resp = client.list_phone_numbers(m2020.ListPhoneNumbersRequest(instance_id=instance, **kw))
    assert resp.status_code == 200
    assert resp.body is not None, "the SDK could not map the body into its model"
    return resp.body.data


def default_flow(sdk, instance) -> dict:
    return flows_2017(sdk, instance)["默认流程"]


def create_skill_group(sdk, instance, name) -> str:
    """A skill group of the agents plugin (seed 004 §8.1 CreateSkillGroup); its id. Numbers
    refuse a SkillGroupId.N that agents does not know (404 NotExists.SkillGroupId)."""
    body = sdk.call("CreateSkillGroup", InstanceId=instance, Name=name)
    assert body["Success"] is True
    return body["SkillGroupId"]


# --- AddPhoneNumber and what the lists show afterwards ----------------------------------------


def test_add_phone_number_bound_to_a_flow(a2017, b2020, instance, new_number, m2020):
    flow = default_flow(a2017, instance)
    number = new_number("杭州")
    pn = add(a2017, instance, number, "Bidirection", flow["ContactFlowId"])
    assert pn["Number"] == number
    assert pn["InstanceId"] == instance
    assert pn["Usage"] == "Bidirection" and pn["AllowOutbound"] is True
    assert pn["PhoneNumberId"]
    assert pn["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]
    assert pn["ContactFlow"]["ContactFlowName"] == "默认流程"
    # seed 004 §6.1 PhoneNumber and its ContactFlow
    assert set(pn) == {"PhoneNumberId", "InstanceId", "Number", "PhoneNumberDescription",
                       "TestOnly", "RemainingTime", "AllowOutbound", "Usage", "Trunks",
                       "ContactFlow"}
    assert set(pn["ContactFlow"]) == {"ContactFlowDescription", "ContactFlowId",
                                      "ContactFlowName", "InstanceId", "Type"}

    listed = numbers_2017(a2017, instance)[number]
    assert listed["PhoneNumberId"] == pn["PhoneNumberId"]
    assert (listed["Province"], listed["City"]) == ("浙江", "杭州")
    assert listed["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]

    [item] = numbers_2020(b2020, m2020, instance).list
    assert item.number == number
    assert item.contact_flow_id == flow["ContactFlowId"]
    assert item.contact_flow_name == "默认流程"
    assert item.usage == "Bidirection" and item.active is True
    assert (item.province, item.city) == ("浙江", "杭州")
    assert item.instance_id == instance
    assert re.fullmatch(r"\d{13}", item.create_time)  # epoch ms, as a string

    # The flows plugin shows the binding too (2017 PhoneNumbers, 2020 NumberList).
    bound = default_flow(a2017, instance)["PhoneNumbers"]["PhoneNumber"]
    assert [n["Number"] for n in bound] == [number]
    assert bound[0]["PhoneNumberId"] == pn["PhoneNumberId"]
    # seed 004 §4.2 ContactFlows.ContactFlow[].PhoneNumbers.PhoneNumber[]
    assert set(bound[0]) == {"PhoneNumberId", "InstanceId", "Number", "PhoneNumberDescription",
                             "TestOnly", "RemainingTime", "AllowOutbound", "Usage", "Trunks"}
    assert (bound[0]["Usage"], bound[0]["AllowOutbound"]) == ("Bidirection", True)
    [f] = list_2020(b2020, m2020, instance).list
    assert f.number_list == [number]


def test_flow_lists_show_a_binding_change_at_once(a2017, b2020, instance, new_number, m2020):
    """Both ListContactFlows are cached (1 s), and the numbers they show come from the numbers
    plugin: each numbers write drops the flows plugin's cached lists of the instance before it
    answers, so the next list shows the binding (also through another replica, [cluster])."""
    first = default_flow(a2017, instance)
    second = create_flow(a2017, instance, "second")

    def bound():
        f17 = flows_2017(a2017, instance)
        f20 = {f.name: f.number_list
               for f in list_2020(b2020, m2020, instance).list}
        return {name: ([n["Number"] for n in f17[name]["PhoneNumbers"]["PhoneNumber"]],
                       f20[name])
                for name in ("默认流程", "second")}

    assert bound() == {"默认流程": ([], []), "second": ([], [])}  # both lists now cached
    number = new_number()
    pn = add(a2017, instance, number, "Bidirection", first["ContactFlowId"])
    assert bound() == {"默认流程": ([number], [number]), "second": ([], [])}
    a2017.call("ModifyPhoneNumber", InstanceId=instance, PhoneNumberId=pn["PhoneNumberId"],
               Usage="Bidirection", ContactFlowId=second["ContactFlowId"])
    assert bound() == {"默认流程": ([], []), "second": ([number], [number])}
    a2017.call("RemovePhoneNumber", InstanceId=instance, PhoneNumberId=pn["PhoneNumberId"])
    assert bound() == {"默认流程": ([], []), "second": ([], [])}


def test_add_phone_number_without_flow(a2017, instance, new_number):
    number = new_number("上海")
    pn = add(a2017, instance, number, "Inbound")
    assert pn["AllowOutbound"] is False
    assert "ContactFlow" not in pn
    assert "ContactFlow" not in numbers_2017(a2017, instance)[number]
    assert default_flow(a2017, instance)["PhoneNumbers"]["PhoneNumber"] == []


def test_add_phone_number_errors(gateway, demo, a2017, instance, new_number, expect_error):
    number = new_number()
    add(a2017, instance, number)
    msg = expect_error(lambda: add(a2017, instance, number), 409, "Conflict.PhoneNumber")
    assert number in msg
    # A number belongs to one instance at a time, across instances too.
    elsewhere = gateway.create_instance(demo.account_id)
    expect_error(lambda: add(a2017, elsewhere, number), 409, "Conflict.PhoneNumber")
    expect_error(lambda: add(a2017, instance, "12-34"), 400, "InvalidParameter")
    expect_error(lambda: add(a2017, instance, new_number(), "Outboug"), 400,
                 "Parameter.Enumeration")
    # 400 numbers may only be Inbound (seed 004 §6.1).
    msg = expect_error(lambda: add(a2017, instance, "4001234567", "Bidirection"), 400,
                       "InvalidParameter")
    assert "400" in msg
    expect_error(lambda: add(a2017, instance, new_number(), flow_id="no-such-flow"), 404,
                 "NotExists.ContactFlowId")
    expect_error(lambda: a2017.call("AddPhoneNumber", InstanceId=instance, Usage="Inbound"),
                 400, "MissingParameter")
    # Only the first number was added.
    assert list(numbers_2017(a2017, instance)) == [number]


def test_400_number_inbound_is_accepted(a2017, instance):
    pn = add(a2017, instance, "4001234567", "Inbound")
    assert pn["AllowOutbound"] is False
    a2017.call("RemovePhoneNumber", InstanceId=instance, PhoneNumberId=pn["PhoneNumberId"])


# --- AddBulkPhoneNumbers ----------------------------------------------------------------------


def test_add_bulk_phone_numbers(a2017, instance, new_number):
    flow = default_flow(a2017, instance)
    taken = new_number()
    add(a2017, instance, taken)
    good = [new_number("北京"), new_number("厦门")]
    groups = [create_skill_group(a2017, instance, "sg-a"), create_skill_group(a2017, instance, "sg-b")]
    body = a2017.call(
        "AddBulkPhoneNumbers",
        InstanceId=instance,
        PhoneNumbers=[good[0], "not-a-number", taken, good[1], good[0]],
        Usage="Outbound",
        ContactFlowId=flow["ContactFlowId"],
        SkillGroupIds=groups,
    )
    assert body["Success"] is True
    added = body["PhoneNumbers"]["PhoneNumber"]
    assert [n["Number"] for n in added] == good
    for n in added:
        assert n["Usage"] == "Outbound" and n["AllowOutbound"] is True
        assert n["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]
        assert [g["SkillGroupId"] for g in n["SkillGroups"]["SkillGroup"]] == groups
        assert [g["SkillGroupName"] for g in n["SkillGroups"]["SkillGroup"]] == ["sg-a", "sg-b"]
    assert body["FailedPhoneNumbers"]["FailedPhoneNumber"] == ["not-a-number"]
    assert sorted(body["UserdPhoneNumbers"]["UserdPhoneNumber"]) == sorted([taken, good[0]])
    assert body["ArrearagePhoneNumbers"]["ArrearagePhoneNumber"] == []

    listed = numbers_2017(a2017, instance)
    assert set(listed) == {taken, *good}
    assert (listed[good[0]]["Province"], listed[good[0]]["City"]) == ("北京", "北京")
    assert (listed[good[1]]["Province"], listed[good[1]]["City"]) == ("福建", "厦门")
    assert [g["SkillGroupId"] for g in listed[good[1]]["SkillGroups"]["SkillGroup"]] == groups
    assert [g["SkillGroupName"] for g in listed[good[1]]["SkillGroups"]["SkillGroup"]] == [
        "sg-a", "sg-b"]
    bound = {n["Number"] for n in default_flow(a2017, instance)["PhoneNumbers"]["PhoneNumber"]}
    assert bound == set(good)


def test_add_bulk_errors(a2017, instance, new_number, expect_error):
    expect_error(lambda: a2017.call("AddBulkPhoneNumbers", InstanceId=instance, Usage="Inbound"),
                 400, "MissingParameter")
    expect_error(lambda: a2017.call("AddBulkPhoneNumbers", InstanceId=instance,
                                    PhoneNumbers=[new_number()], Usage="Both"),
                 400, "Parameter.Enumeration")
    expect_error(lambda: a2017.call("AddBulkPhoneNumbers", InstanceId=instance,
                                    PhoneNumbers=[new_number()], Usage="Inbound",
                                    ContactFlowId="no-such-flow"),
                 404, "NotExists.ContactFlowId")
    expect_error(lambda: a2017.call("AddBulkPhoneNumbers", InstanceId=instance,
                                    PhoneNumbers=[new_number()], Usage="Inbound",
                                    SkillGroupIds=["no-such-group"]),
                 404, "NotExists.SkillGroupId")
    assert numbers_2017(a2017, instance) == {}


def test_add_bulk_one_thousand_numbers(a2017, b2020, instance, m2020, expect_error):
    """The documented maximum in one call (1000 query parameters from family A), then paged
    through the 2020 list; 1001 is refused."""
    nums = [f"0755{i:08d}" for i in range(1000)]
    body = a2017.call("AddBulkPhoneNumbers", InstanceId=instance, PhoneNumbers=nums,
                      Usage="Inbound")
    assert len(body["PhoneNumbers"]["PhoneNumber"]) == 1000
    last = numbers_2020(b2020, m2020, instance, page_number=100, page_size=10)
    assert last.total_count == 1000
    assert [n.number for n in last.list] == nums[990:]
    assert all((n.province, n.city) == ("广东", "深圳") for n in last.list)
    expect_error(lambda: a2017.call("AddBulkPhoneNumbers", InstanceId=instance,
                                    PhoneNumbers=[f"0756{i:08d}" for i in range(1001)],
                                    Usage="Inbound"),
                 400, "Parameter.Maximum")
    assert numbers_2020(b2020, m2020, instance, page_size=1).total_count == 1000


# --- ModifyPhoneNumber / RemovePhoneNumber ----------------------------------------------------


def test_modify_phone_number_binds_a_flow_and_changes_usage(a2017, b2020, instance, new_number,
                                                            m2020, expect_error):
    number = new_number()
    pn = add(a2017, instance, number, "Inbound")
    flow = create_flow(a2017, instance, "ivr-for-modify")
    sg = create_skill_group(a2017, instance, "sg-1")
    expect_error(lambda: a2017.call("ModifyPhoneNumber", InstanceId=instance,
                                    PhoneNumberId=pn["PhoneNumberId"], Usage="Bidirection",
                                    SkillGroupIds=["no-such-group"]),
                 404, "NotExists.SkillGroupId")
    body = a2017.call("ModifyPhoneNumber", InstanceId=instance,
                      PhoneNumberId=pn["PhoneNumberId"], Usage="Bidirection",
                      ContactFlowId=flow["ContactFlowId"], SkillGroupIds=[sg])
    mod = body["PhoneNumber"]
    assert body["Success"] is True
    assert mod["Usage"] == "Bidirection" and mod["AllowOutbound"] is True
    assert mod["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]
    assert mod["ContactFlow"]["ContactFlowName"] == "ivr-for-modify"
    assert mod["SkillGroups"]["SkillGroup"] == [{"SkillGroupId": sg, "SkillGroupName": "sg-1"}]

    listed = numbers_2017(a2017, instance)[number]
    assert listed["Usage"] == "Bidirection"
    assert listed["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]
    [item] = numbers_2020(b2020, m2020, instance).list
    assert item.contact_flow_name == "ivr-for-modify"
    # 2020-07-01 names a skill group `<Name>@<InstanceId>` (seed 002: `skillgroup@ccc-test`).
    assert [(g.skill_group_id, g.name, g.display_name, g.instance_id)
            for g in item.skill_groups] == [(f"sg-1@{instance}", "sg-1", "sg-1", instance)]
    flows = flows_2017(a2017, instance)
    assert [n["Number"] for n in flows["ivr-for-modify"]["PhoneNumbers"]["PhoneNumber"]] == [
        number]
    assert flows["默认流程"]["PhoneNumbers"]["PhoneNumber"] == []

    # Omitting ContactFlowId keeps the binding; sending it empty unbinds.
    kept = a2017.call("ModifyPhoneNumber", InstanceId=instance,
                      PhoneNumberId=pn["PhoneNumberId"], Usage="Outbound")["PhoneNumber"]
    assert kept["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]
    assert kept["Usage"] == "Outbound"
    cleared = a2017.call("ModifyPhoneNumber", InstanceId=instance,
                         PhoneNumberId=pn["PhoneNumberId"], Usage="Outbound",
                         ContactFlowId="")["PhoneNumber"]
    assert "ContactFlow" not in cleared
    [item] = numbers_2020(b2020, m2020, instance).list
    assert item.contact_flow_id == "" and item.usage == "Outbound"


def test_modify_phone_number_errors(a2017, instance, new_number, expect_error):
    pn = add(a2017, instance, new_number())
    expect_error(lambda: a2017.call("ModifyPhoneNumber", InstanceId=instance,
                                    PhoneNumberId="no-such-id", Usage="Inbound"),
                 404, "NotExists.PhoneNumberId")
    expect_error(lambda: a2017.call("ModifyPhoneNumber", InstanceId=instance,
                                    PhoneNumberId=pn["PhoneNumberId"], Usage="Inbound",
                                    ContactFlowId="no-such-flow"),
                 404, "NotExists.ContactFlowId")
    expect_error(lambda: a2017.call("ModifyPhoneNumber", InstanceId=instance,
                                    PhoneNumberId=pn["PhoneNumberId"], Usage="Sideways"),
                 400, "Parameter.Enumeration")
    assert numbers_2017(a2017, instance)[pn["Number"]]["Usage"] == "Bidirection"


def test_remove_phone_number(a2017, b2020, instance, new_number, m2020, expect_error):
    flow = default_flow(a2017, instance)
    number = new_number()
    pn = add(a2017, instance, number, flow_id=flow["ContactFlowId"])
    body = a2017.call("RemovePhoneNumber", InstanceId=instance, PhoneNumberId=pn["PhoneNumberId"])
    assert body["Success"] is True and body["Code"] == "OK"
    assert number not in numbers_2017(a2017, instance)
    assert numbers_2020(b2020, m2020, instance).total_count == 0
    assert default_flow(a2017, instance)["PhoneNumbers"]["PhoneNumber"] == []
    expect_error(lambda: a2017.call("RemovePhoneNumber", InstanceId=instance,
                                    PhoneNumberId=pn["PhoneNumberId"]),
                 404, "NotExists.PhoneNumberId")
    # The number is free again.
    again = add(a2017, instance, number)
    assert again["PhoneNumberId"] != pn["PhoneNumberId"]


# --- 2017 ListPhoneNumbers --------------------------------------------------------------------


def test_list_2017_outbound_only(a2017, instance, new_number, expect_error):
    inbound, outbound, both = new_number(), new_number(), new_number()
    add(a2017, instance, inbound, "Inbound")
    add(a2017, instance, outbound, "Outbound")
    add(a2017, instance, both, "Bidirection")
    assert set(numbers_2017(a2017, instance, False)) == {inbound, outbound, both}
    only = numbers_2017(a2017, instance, True)
    assert set(only) == {outbound, both}
    assert all(n["AllowOutbound"] for n in only.values())
    expect_error(lambda: a2017.call("ListPhoneNumbers", InstanceId=instance), 400,
                 "MissingParameter")


# --- 2020 ListPhoneNumbers (seed 002) ---------------------------------------------------------


@pytest.fixture
def seven_numbers(a2017, instance, new_number):
    """3 Inbound (0571 杭州), 2 Outbound (0591 福州), 2 Bidirection (0592 厦门)."""
    nums = {
        "Inbound": sorted(new_number("杭州") for _ in range(3)),
        "Outbound": sorted(new_number("福州") for _ in range(2)),
        "Bidirection": sorted(new_number("厦门") for _ in range(2)),
    }
    for usage, ns in nums.items():
        a2017.call("AddBulkPhoneNumbers", InstanceId=instance, PhoneNumbers=ns, Usage=usage)
    return instance, nums


def test_list_2020_filters(b2020_any, seven_numbers, m2020):
    instance, nums = seven_numbers
    everything = numbers_2020(b2020_any, m2020, instance)
    assert everything.total_count == 7
    assert [n.number for n in everything.list] == sorted(sum(nums.values(), []))
    for usage, ns in nums.items():
        data = numbers_2020(b2020_any, m2020, instance, usage=usage)
        assert (data.total_count, [n.number for n in data.list]) == (len(ns), ns), usage
        assert all(n.usage == usage for n in data.list)
    data = numbers_2020(b2020_any, m2020, instance, search_pattern="0591")
    assert [n.number for n in data.list] == nums["Outbound"]
    data = numbers_2020(b2020_any, m2020, instance, search_pattern=nums["Inbound"][1][1:])
    assert [n.number for n in data.list] == [nums["Inbound"][1]]
    data = numbers_2020(b2020_any, m2020, instance, search_pattern="0592", usage="Inbound")
    assert data.total_count == 0 and data.list == []
    # Seed 002: "empty means no filtering" for SearchPattern and Usage.
    assert numbers_2020(b2020_any, m2020, instance, search_pattern="", usage="").total_count == 7
    # Every number added is active.
    assert numbers_2020(b2020_any, m2020, instance, active=True).total_count == 7
    assert numbers_2020(b2020_any, m2020, instance, active=False).total_count == 0
    assert numbers_2020(b2020_any, m2020, instance, search_pattern="%").total_count == 0


def test_list_2020_paging(b2020, seven_numbers, m2020):
    instance, nums = seven_numbers
    ordered = sorted(sum(nums.values(), []))
    pages = [numbers_2020(b2020, m2020, instance, page_number=p, page_size=3) for p in (1, 2, 3)]
    assert [d.total_count for d in pages] == [7, 7, 7]
    assert [[n.number for n in d.list] for d in pages] == [ordered[0:3], ordered[3:6], ordered[6:]]
    assert [(d.page_number, d.page_size) for d in pages] == [(1, 3), (2, 3), (3, 3)]
    assert numbers_2020(b2020, m2020, instance, page_number=4, page_size=3).list == []


@pytest.mark.parametrize(
    "kw, code",
    [
        (dict(page_number=0, page_size=10), "Parameter.Minimum"),
        (dict(page_number=101, page_size=10), "Parameter.Maximum"),
        (dict(page_number=1, page_size=0), "Parameter.Minimum"),
        (dict(page_number=1, page_size=101), "Parameter.Maximum"),
        (dict(page_number=1, page_size=10, usage="Both"), "Parameter.Enumeration"),
        (dict(page_number=1), "Parameter.Null"),
    ],
)
def test_list_2020_parameter_errors(b2020, demo, m2020, expect_error, kw, code):
    msg = expect_error(
        lambda: b2020.list_phone_numbers(
            m2020.ListPhoneNumbersRequest(instance_id=demo.instance_id, **kw)
        ),
        400,
        code,
    )
    param = {"Parameter.Enumeration": "Usage"}.get(code)
    if param:
        assert param in msg


def test_list_2020_unknown_instance(b2020, m2020, expect_error):
    msg = expect_error(
        lambda: b2020.list_phone_numbers(
            m2020.ListPhoneNumbersRequest(instance_id="ccc-nope", page_number=1, page_size=10)
        ),
        404,
        "NotExists.InstanceId",
    )
    assert "ccc-nope" in msg


# --- CheckNumberAvaliable ---------------------------------------------------------------------


def test_check_number_avaliable(a2017, instance, new_number):
    inbound, outbound = new_number(), new_number()
    add(a2017, instance, inbound, "Inbound")
    add(a2017, instance, outbound, "Outbound")

    ok = a2017.call("CheckNumberAvaliable", InstanceId=instance, Callee="18801341234",
                    Caller=outbound)
    assert ok["Success"] is True
    assert ok["CallerAvaliable"] == {"Avaliable": True}
    assert ok["CalleeAvaliable"] == {"Avaliable": True}

    no_caller = a2017.call("CheckNumberAvaliable", InstanceId=instance, Callee="18801341234")
    assert no_caller["CallerAvaliable"] == {"Avaliable": True}

    bad = a2017.call("CheckNumberAvaliable", InstanceId=instance, Callee="18801341234",
                     Caller=inbound)
    assert bad["CallerAvaliable"]["Avaliable"] is False
    assert inbound in bad["CallerAvaliable"]["Reason"]
    assert bad["CalleeAvaliable"] == {"Avaliable": True}

    foreign = new_number()
    r = a2017.call("CheckNumberAvaliable", InstanceId=instance, Callee="188-x",
                   Caller=foreign)
    assert r["CallerAvaliable"]["Avaliable"] is False and foreign in r["CallerAvaliable"]["Reason"]
    assert r["CalleeAvaliable"]["Avaliable"] is False and r["CalleeAvaliable"]["Reason"]


# --- GetNumberRegionInfo (Bearer only) --------------------------------------------------------


@pytest.mark.parametrize(
    "number, province, city",
    [("059288886666", "福建", "厦门"), ("01088886666", "北京", "北京"),
     ("057128236231", "浙江", "杭州"), ("+861088886666", "北京", "北京")],
)
def test_get_number_region_info_with_bearer(demo, bearer_client, number, province, city):
    body = call_api(bearer_client, "GetNumberRegionInfo", "2017-07-05",
                    {"InstanceId": demo.instance_id, "Number": number})
    assert body["Success"] is True and body["Code"] == "OK"
    assert body["PhoneNumber"] == {"Number": number, "Province": province, "City": city}
    assert "HttpStatusCode" not in body  # seed 004 §6.6 lists none


def test_get_number_region_info_unknown_and_invalid(demo, bearer_client, expect_error):
    body = call_api(bearer_client, "GetNumberRegionInfo", "2017-07-05",
                    {"InstanceId": demo.instance_id, "Number": "+4930123456"})
    assert body["PhoneNumber"]["Province"] == "" and body["PhoneNumber"]["City"] == ""
    expect_error(lambda: call_api(bearer_client, "GetNumberRegionInfo", "2017-07-05",
                                  {"InstanceId": demo.instance_id, "Number": "abc"}),
                 400, "InvalidParameter")
    expect_error(lambda: call_api(bearer_client, "GetNumberRegionInfo", "2017-07-05",
                                  {"InstanceId": "no-such-instance", "Number": "01088886666"}),
                 404, "NotExists.InstanceId")


# --- PickLocalNumber (Bearer only) ------------------------------------------------------------


def test_pick_local_number_prefers_city_then_province(demo, bearer_client, new_number):
    beijing, fuzhou, xiamen = new_number("北京"), new_number("福州"), new_number("厦门")
    callee = "059212345678"

    def pick(*candidates):
        q = {"InstanceId": demo.instance_id, "CalleeNumber": callee}
        q.update({f"CandidateNumber.{i}": c for i, c in enumerate(candidates, 1)})
        body = call_api(bearer_client, "PickLocalNumber", "2017-07-05", q)
        assert body["Success"] is True
        assert body["Data"]["Callee"] == {"Number": callee, "Province": "福建", "City": "厦门"}
        return body["Data"]["Caller"]

    assert pick(beijing, fuzhou, xiamen) == {"Number": xiamen, "Province": "福建", "City": "厦门"}
    assert pick(beijing, fuzhou) == {"Number": fuzhou, "Province": "福建", "City": "福州"}
    assert pick(beijing)["Number"] == beijing


def test_pick_local_number_from_instance_outbound_numbers(a2017, gateway, demo, instance,
                                                          new_number, expect_error):
    client = demo.sdk2020("bearer")
    q = {"InstanceId": instance, "CalleeNumber": "01012345678"}
    expect_error(lambda: call_api(client, "PickLocalNumber", "2017-07-05", q), 404,
                 "NotExists.OutboundNumber")
    beijing_inbound, shanghai, beijing = new_number("北京"), new_number("上海"), new_number("北京")
    add(a2017, instance, beijing_inbound, "Inbound")  # cannot call out: never picked
    add(a2017, instance, shanghai, "Outbound")
    add(a2017, instance, beijing, "Bidirection")
    body = call_api(client, "PickLocalNumber", "2017-07-05", q)
    assert body["Data"]["Caller"]["Number"] == beijing


# --- PickGlobalOutboundNumbers ----------------------------------------------------------------


def test_pick_global_outbound_numbers(a2017, instance, new_number, expect_error):
    xiamen, fuzhou, beijing = new_number("厦门"), new_number("福州"), new_number("北京")
    inbound_xiamen = new_number("厦门")
    other_group = new_number("厦门")
    sales = create_skill_group(a2017, instance, "sales")
    support = create_skill_group(a2017, instance, "support")
    a2017.call("AddBulkPhoneNumbers", InstanceId=instance, PhoneNumbers=[beijing, fuzhou, xiamen],
               Usage="Outbound", SkillGroupIds=[sales])
    a2017.call("AddBulkPhoneNumbers", InstanceId=instance, PhoneNumbers=[inbound_xiamen],
               Usage="Inbound", SkillGroupIds=[sales])
    a2017.call("AddBulkPhoneNumbers", InstanceId=instance, PhoneNumbers=[other_group],
               Usage="Outbound", SkillGroupIds=[support])
    callee = "059212345678"

    body = a2017.call("PickGlobalOutboundNumbers", InstanceId=instance, CalleeNumber=callee,
                      SkillGroupIds=[sales], Count=3)
    assert body["Success"] is True
    pairs = body["DialNumberPairs"]["DialNumberPair"]
    callers = [p["Caller"]["Number"] for p in pairs]
    assert callers == [xiamen, fuzhou, beijing]  # same city, same province, the rest
    assert pairs[0]["Caller"] == {"Number": xiamen, "Province": "福建", "City": "厦门"}
    assert all(p["Callee"] == {"Number": callee, "Province": "福建", "City": "厦门"}
               for p in pairs)

    one = a2017.call("PickGlobalOutboundNumbers", InstanceId=instance, CalleeNumber=callee,
                     SkillGroupIds=[sales])
    assert [p["Caller"]["Number"] for p in one["DialNumberPairs"]["DialNumberPair"]] == [xiamen]

    both = a2017.call("PickGlobalOutboundNumbers", InstanceId=instance, CalleeNumber=callee,
                      SkillGroupIds=[sales, support], Count=10, IsVirtual=False)
    got = [p["Caller"]["Number"] for p in both["DialNumberPairs"]["DialNumberPair"]]
    assert sorted(got[:2]) == sorted([xiamen, other_group])
    assert set(got) == {xiamen, other_group, fuzhou, beijing}

    empty = a2017.call("PickGlobalOutboundNumbers", InstanceId=instance, CalleeNumber=callee,
                       SkillGroupIds=["nobody"])
    assert empty["DialNumberPairs"]["DialNumberPair"] == []

    expect_error(lambda: a2017.call("PickGlobalOutboundNumbers", InstanceId=instance,
                                    CalleeNumber=callee, SkillGroupIds=[sales], Count=0),
                 400, "Parameter.Minimum")
    expect_error(lambda: a2017.call("PickGlobalOutboundNumbers", InstanceId=instance,
                                    CalleeNumber=callee),
                 400, "MissingParameter")

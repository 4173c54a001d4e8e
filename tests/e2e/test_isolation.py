"""Tenants: an AccessKey (or token) of account B never reaches account A's instances or data,
and sees its own. Another account's instance answers exactly like a missing one
(NotExists.InstanceId), so instance ids do not leak."""

import pytest

from conftest import call_api
from test_flows import create_flow, flows_2017, list_2020
from test_huawei import access_token, query_flows
from test_numbers import add, numbers_2017, numbers_2020


@pytest.fixture
def a_data(demo, a2017, instance, new_number):
    """Account A (demo): an instance with a flow and a number bound to it."""
    flow = create_flow(a2017, instance, "a-private-flow")
    number = add(a2017, instance, new_number(), flow_id=flow["ContactFlowId"])
    return instance, flow, number


def test_other_account_cannot_see_or_touch_instance_a(other, a_data, m2020, expect_error):
    instance_a, flow, number = a_data
    sdk_b = other.sdk2017()
    missing = f"The specified instance {instance_a} does not exist."
    calls_2017 = [
        ("ListContactFlows", {}),
        ("ListPhoneNumbers", {"OutboundOnly": False}),
        ("GetRoutePoint", {"ContactFlowId": flow["ContactFlowId"]}),
        ("CreateContactFlow", {"Name": "intruder", "Content": "{}"}),
        ("PublishContactFlowVersion", {
            "ContactFlowVersionId": flow["Versions"]["ContactFlowVersion"][0][
                "ContactFlowVersionId"]}),
        ("AddPhoneNumber", {"PhoneNumber": "01099990000", "Usage": "Inbound"}),
        ("ModifyPhoneNumber", {"PhoneNumberId": number["PhoneNumberId"], "Usage": "Inbound"}),
        ("RemovePhoneNumber", {"PhoneNumberId": number["PhoneNumberId"]}),
        ("CheckNumberAvaliable", {"Callee": "01012345678"}),
    ]
    for action, params in calls_2017:
        msg = expect_error(lambda: sdk_b.call(action, InstanceId=instance_a, **params), 404,
                           "NotExists.InstanceId")
        assert msg == missing, action
    for kind in ("acs3", "v2", "bearer"):
        client = other.sdk2020(kind)
        expect_error(lambda: list_2020(client, m2020, instance_a), 404, "NotExists.InstanceId")
        expect_error(lambda: numbers_2020(client, m2020, instance_a), 404,
                     "NotExists.InstanceId")
    expect_error(lambda: call_api(other.sdk2020("bearer"), "GetNumberRegionInfo", "2017-07-05",
                                  {"InstanceId": instance_a, "Number": "01088886666"}),
                 404, "NotExists.InstanceId")


def test_account_a_data_is_unchanged_by_b(other, a_data, a2017, expect_error):
    instance_a, flow, number = a_data
    sdk_b = other.sdk2017()
    for action, params in [
        ("RemovePhoneNumber", {"PhoneNumberId": number["PhoneNumberId"]}),
        ("ModifyPhoneNumber", {"PhoneNumberId": number["PhoneNumberId"], "Usage": "Inbound",
                               "ContactFlowId": ""}),
    ]:
        try:
            sdk_b.call(action, InstanceId=instance_a, **params)
        except Exception:  # noqa: BLE001 - refused, as the previous test asserts
            pass
    listed = numbers_2017(a2017, instance_a)[number["Number"]]
    assert listed["Usage"] == "Bidirection"
    assert listed["ContactFlow"]["ContactFlowId"] == flow["ContactFlowId"]
    assert "a-private-flow" in flows_2017(a2017, instance_a)
    assert "intruder" not in flows_2017(a2017, instance_a)


def test_other_account_works_on_its_own_instance(other, a_data, m2020, new_number, expect_error):
    instance_a, flow_a, number_a = a_data
    sdk_b = other.sdk2017()
    # Its own instance has only its own default flow.
    assert list(flows_2017(sdk_b, other.instance_id)) == ["默认流程"]
    for kind in ("acs3", "v2", "bearer"):
        data = list_2020(other.sdk2020(kind), m2020, other.instance_id)
        assert [f.contact_flow_id for f in data.list] != [flow_a["ContactFlowId"]]
        assert all(f.instance_id == other.instance_id for f in data.list)
    # A's ids mean nothing inside B's instance.
    expect_error(lambda: sdk_b.call("GetRoutePoint", InstanceId=other.instance_id,
                                    ContactFlowId=flow_a["ContactFlowId"]),
                 404, "NotExists.ContactFlowId")
    expect_error(lambda: sdk_b.call("RemovePhoneNumber", InstanceId=other.instance_id,
                                    PhoneNumberId=number_a["PhoneNumberId"]),
                 404, "NotExists.PhoneNumberId")
    expect_error(lambda: add(sdk_b, other.instance_id, new_number(),
                             flow_id=flow_a["ContactFlowId"]),
                 404, "NotExists.ContactFlowId")
    # A number bound in account A cannot be bound in B (one instance per number), and the
    # error does not name A's instance.
    msg = expect_error(lambda: add(sdk_b, other.instance_id, number_a["Number"]), 409,
                       "Conflict.PhoneNumber")
    assert instance_a not in msg
    own = add(sdk_b, other.instance_id, new_number())
    assert list(numbers_2017(sdk_b, other.instance_id)) == [own["Number"]]


def test_huawei_tenant_space_is_the_account(gateway, demo, other, a_data):
    instance_a, flow_a, _ = a_data
    a_files = {f["flowFileName"] for f in
               query_flows(gateway, access_token(gateway, demo)).json()["result"]}
    b_files = [f["flowFileName"] for f in
               query_flows(gateway, access_token(gateway, other)).json()["result"]]
    assert "a-private-flow.json" in a_files
    assert "a-private-flow.json" not in b_files
    # B's tenant space is exactly the flows of its one instance.
    own = flows_2017(other.sdk2017(), other.instance_id)
    assert sorted(b_files) == sorted(f"{name}.json" for name in own)

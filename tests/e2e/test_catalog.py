"""The action catalog: the OpenAPI document the gateway serves, and the answer for actions that
are specified (plugins/<plugin>/api/*.toml) but have no handler in this build."""

from __future__ import annotations

import requests
from openapi_spec_validator import validate

from conftest import call_api


def test_openapi_document_validates_and_lists_every_action(gateway):
    resp = requests.get(f"{gateway.base_url}/openapi.json", timeout=10)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    doc = resp.json()
    validate(doc)  # raises OpenAPIValidationError on any violation of OpenAPI 3.1
    operations = [op for path in doc["paths"].values() for op in path.values()]
    # 80 actions of the seeds, 18 more the official 2020 SDK sends (the agent desk: 8 state
    # actions, 7 call actions; StartBack2BackCall 2020-07-01; the workbench's
    # UpdateConfigItems and ListConfigItems).
    assert len(operations) == 98
    implemented = {op["operationId"] for op in operations if op["x-ccgate-implemented"]}
    assert "ListPhoneNumbers_2020_07_01" in implemented
    assert "DialEx_2017_07_05" in implemented
    assert "GetConversationDetailByContactId_2017_07_05" not in implemented
    list_numbers = doc["paths"]["/#Action=ListPhoneNumbers&Version=2020-07-01"]["post"]
    usage = next(p for p in list_numbers["parameters"] if p["name"] == "Usage")
    assert usage["schema"]["enum"] == ["Outbound", "Inbound", "Bidirection"]


def test_specified_actions_without_a_handler_answer_not_implemented(demo, expect_error):
    sdk = demo.sdk2017()
    msg = expect_error(
        lambda: sdk.call("GetConversationDetailByContactId", InstanceId=demo.instance_id,
                         ContactId="000000000000000001"),
        501, "NotImplemented")
    assert "GetConversationDetailByContactId" in msg and "calls" in msg
    # The same through the 2020 SDK's generic call, signed with ACS3.
    expect_error(
        lambda: call_api(demo.sdk2020(), "ListIvrTrackingDetail", "2017-07-05",
                         {"InstanceId": demo.instance_id}),
        501, "NotImplemented")
    # Unknown actions stay unknown.
    expect_error(
        lambda: call_api(demo.sdk2020(), "NoSuchAction", "2017-07-05",
                         {"InstanceId": demo.instance_id}),
        404, "InvalidAction.NotFound")


def test_ccgate_actions_lists_every_action_with_plugin_and_status(gateway):
    rows = {}
    for line in gateway.admin("actions").splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 5:
            plugin, version, action, status = cols[:4]
            rows[(version, action)] = (plugin, status)
    assert len(rows) == 98
    assert rows[("2020-07-01", "SignInGroup")] == ("agents", "served")
    assert rows[("2017-07-05", "RequestLoginInfo")] == ("workbench", "served")
    assert rows[("2020-07-01", "UpdateConfigItems")] == ("workbench", "served")
    assert rows[("2017-07-05", "ListAgentDevices")] == ("device-diagnostics", "served")
    assert rows[("2017-07-05", "GetRecordOssUploadParam")] == (
        "device-diagnostics", "not-implemented")
    assert rows[("2017-07-05", "ListRoles")] == ("roles", "served")
    assert rows[("2020-07-01", "ListPhoneNumbers")] == ("numbers", "served")
    assert rows[("huawei-cc-management-v1", "queryIVRFlowList")] == ("flows", "served")
    assert rows[("2017-07-05", "ListIvrTrackingDetail")] == ("flows", "not-implemented")
    assert rows[("2017-07-05", "DialEx")] == ("calls", "served")
    assert rows[("2020-07-01", "MakeCall")] == ("calls", "served")
    assert rows[("2017-07-05", "GetConversationDetailByContactId")] == ("calls", "not-implemented")

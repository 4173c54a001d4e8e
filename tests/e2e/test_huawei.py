"""Huawei AICC cc-management (C1): tokenByAkSk (huawei-aicc.md §2) and queryIVRFlowList
(seed 001), with `requests` as a Huawei client would call them."""

import time

import pytest
import requests

from test_flows import create_flow, flows_2017

TOKEN_PATH = "/apigovernance/api/oauth/tokenByAkSk"
FLOWS_PATH = "/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList"


def token_by_ak_sk(gateway, ak, secret, headers=None) -> requests.Response:
    return requests.post(gateway.base_url + TOKEN_PATH, json={"app_key": ak, "app_secret": secret},
                         headers=headers or {})


def access_token(gateway, tenant) -> str:
    r = token_by_ak_sk(gateway, tenant.access_key_id, tenant.access_key_secret)
    assert r.status_code == 200, r.text
    return r.json()["AccessToken"]


def query_flows(gateway, token, headers=None, **kw) -> requests.Response:
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    h.update(headers or {})
    return requests.post(gateway.base_url + FLOWS_PATH, headers=h, **kw)


def test_token_by_ak_sk_response(gateway, demo):
    before = int(time.time())
    r = token_by_ak_sk(gateway, demo.access_key_id, demo.access_key_secret)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"AccessToken", "ApplyType", "CreateTime", "Expires", "Scope", "AppKey",
                         "UserID"}
    assert all(isinstance(v, str) for v in body.values())  # every value is a string
    assert body["ApplyType"] == "Bearer"
    assert body["AppKey"] == demo.access_key_id
    assert body["Expires"] == "600"  # the documented example lifetime is the default
    assert abs(int(body["CreateTime"]) - before) <= 5  # epoch seconds
    assert body["AccessToken"]


def test_token_lifetime_header(gateway, demo):
    r = token_by_ak_sk(gateway, demo.access_key_id, demo.access_key_secret,
                       {"X-Token-Expire": "3600"})
    assert r.status_code == 200 and r.json()["Expires"] == "3600"
    for bad in ("0", "3601", "soon"):
        r = token_by_ak_sk(gateway, demo.access_key_id, demo.access_key_secret,
                           {"X-Token-Expire": bad})
        assert r.status_code == 400, (bad, r.text)


def test_token_refused_for_wrong_credentials(gateway, demo):
    assert token_by_ak_sk(gateway, demo.access_key_id, "wrong").status_code == 403
    assert token_by_ak_sk(gateway, "unknown-app-key", "x").status_code == 403
    r = requests.post(gateway.base_url + TOKEN_PATH, json={"app_key": demo.access_key_id})
    assert r.status_code == 400
    r = requests.post(gateway.base_url + TOKEN_PATH, data="not json",
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_query_ivr_flow_list(gateway, demo, a2017):
    token = access_token(gateway, demo)
    r = query_flows(gateway, token)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["retCode"] == "0" and body["message"] == "success"
    flows = {f["flowFileName"]: f for f in body["result"]}
    default = flows["默认流程.json"]
    assert set(default) == {"isLoad", "accessCode", "maxCallNum", "description", "id",
                            "flowFileName", "flowType"}
    assert default["isLoad"] == 1  # published
    assert isinstance(default["id"], int)
    assert default["flowType"] in range(0, 7)
    assert default["maxCallNum"] is None
    flow_id = flows_2017(a2017, demo.instance_id)["默认流程"]["ContactFlowId"]
    route_point = a2017.call("GetRoutePoint", InstanceId=demo.instance_id,
                             ContactFlowId=flow_id)["RoutePoint"]
    assert route_point in {f["accessCode"] for f in body["result"]}


def test_query_ivr_flow_list_tracks_created_and_published_flows(gateway, demo, a2017, instance):
    """The tenant space is the whole account: flows of every instance of it are listed."""
    token = access_token(gateway, demo)
    created = create_flow(a2017, instance, "huawei-visible", description="for huawei")
    route_point = a2017.call("GetRoutePoint", InstanceId=instance,
                             ContactFlowId=created["ContactFlowId"])["RoutePoint"]

    def item():
        r = query_flows(gateway, token, json={})
        assert r.status_code == 200, r.text
        [f] = [f for f in r.json()["result"] if f["flowFileName"] == "huawei-visible.json"]
        return f

    f = item()
    assert (f["isLoad"], f["accessCode"], f["description"]) == (0, route_point, "for huawei")
    a2017.call("PublishContactFlowVersion", InstanceId=instance,
               ContactFlowVersionId=created["Versions"]["ContactFlowVersion"][0][
                   "ContactFlowVersionId"])
    assert item()["isLoad"] == 1


def test_query_ivr_flow_list_accepts_an_x_app_key_that_matches(gateway, demo):
    token = access_token(gateway, demo)
    r = query_flows(gateway, token, headers={"X-APP-Key": demo.access_key_id})
    assert r.status_code == 200
    r = query_flows(gateway, token, headers={"X-APP-Key": "someone-else"})
    assert r.status_code == 403


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-token", "Basic abc"])
def test_query_ivr_flow_list_authentication_failures(gateway, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    r = requests.post(gateway.base_url + FLOWS_PATH, headers=headers)
    assert r.status_code == 403, r.text


def test_tokens_do_not_cross_dialects(gateway, demo, m2020, expect_error):
    """An Alibaba Bearer token is not a Huawei AccessToken, and vice versa."""
    assert query_flows(gateway, demo.bearer_token).status_code == 403
    from conftest import client_2020

    huawei = access_token(gateway, demo)
    client = client_2020(gateway.endpoint, bearer_token=huawei)
    expect_error(
        lambda: client.list_contact_flows(
            m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1,
                                          page_size=1)
        ),
        401,
        "InvalidBearerToken.Malformed",
    )


def test_unknown_huawei_path(gateway, demo):
    token = access_token(gateway, demo)
    r = requests.post(gateway.base_url + "/apiaccess/rest/cc-management/v1/ivrFlow/nope",
                      headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404

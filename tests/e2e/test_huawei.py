"""Huawei AICC cc-management (C1): tokenByAkSk (huawei-aicc.md §2) and queryIVRFlowList
(seed 001), with `requests` as a Huawei client would call them; and CC-iSales (C2): the
`auth-v2` signature (huawei-aicc.md §4) with a signer written here from the reference, on the
specified CC-iSales operation no plugin serves yet (501 after authentication)."""

import hashlib
import hmac
import time
from urllib.parse import quote, urlencode, urlparse

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


# --------------------------------------------------------------------------------------------
# CC-iSales (C2, auth-v2)
# --------------------------------------------------------------------------------------------

CAMPAIGNS_PATH = "/rest/isales/v1/openapi/campaigns/{}"


def normalize(s: str) -> str:
    """huawei-aicc.md §4.1 Normalize: UTF-8, every byte but A-Z a-z 0-9 - . _ ~ as %XX."""
    return quote(s, safe="")


def auth_v2(ak: str, sk: str, ts: str, method: str, path: str, query: list[tuple[str, str]],
            headers: dict[str, str], body: str = "") -> str:
    """The Authorization value of huawei-aicc.md §4.1 (Java demo variant), signing `headers`."""
    names = sorted(h.lower() for h in headers)
    values = {h.lower(): v.strip() for h, v in headers.items()}
    lines = [method, path]
    if query:
        lines.append("&".join(sorted(f"{normalize(k)}={normalize(v)}" for k, v in query)))
    lines.append(";".join(names))
    lines.append("\n".join(sorted(f"{normalize(n)}:{normalize(values[n])}" for n in names)))
    canonical = "\n".join(lines) + "\n" + (normalize(body) if body else "")
    prefix = f"auth-v2/{ak}/{ts}/{';'.join(names)}"
    key = hmac.new(sk.encode(), prefix.encode(), hashlib.sha256).hexdigest()
    return prefix + "/" + hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def test_auth_v2_signer_reproduces_the_reference_vector():
    """§4.3 vector 1, so that the requests below are signed the way the reference says."""
    query = [("name", ""), ("status", "0"), ("deviceType", "0"), ("curPage", "1"),
             ("rowsPerPage", "10")]
    assert auth_v2("globalaktest", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "2024-01-01T00:00:00Z",
                   "GET", "/rest/isales/v1/openapi/campaigns/1", query,
                   {"host": "10.22.26.181:28080"}) == (
        "auth-v2/globalaktest/2024-01-01T00:00:00Z/host/"
        "e11dc831057c9f1ed79945217b86ea919e705dc8f714cf4c15ebbc3e8487dda0")


def isales_get(gateway, path, query, authorization=None) -> requests.Response:
    headers = {"Content-Type": "application/json; charset=UTF-8"}
    if authorization:
        headers["Authorization"] = authorization
    return requests.get(gateway.base_url + path + "?" + urlencode(query), headers=headers)


def assert_isales_error(r: requests.Response, status: int, code: str, says: str):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"resultCode", "resultDesc", "returnCode", "returnDesc"}, body
    assert body["resultCode"] == body["returnCode"] == code, body
    assert body["resultDesc"] == body["returnDesc"] and says in body["resultDesc"], body


def test_isales_specified_operation_is_authenticated_then_not_implemented(gateway, demo):
    """queryCampaigns (seed 003) has a spec and no plugin: its template `{vdnId}` matches, the
    C2 signature is checked, then 501 in the CC-iSales shape."""
    path = CAMPAIGNS_PATH.format(1)
    query = [("status", "0"), ("curPage", "1"), ("rowsPerPage", "10"), ("name", "")]
    host = urlparse(gateway.base_url).netloc
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def sign(secret=demo.access_key_secret, ak=demo.access_key_id, q=query):
        return auth_v2(ak, secret, ts, "GET", path, q, {"host": host})

    assert_isales_error(isales_get(gateway, path, query), 401, "401", "Authorization")
    assert_isales_error(isales_get(gateway, path, query, sign(secret="wrong")), 401, "401",
                        "signature does not match")
    assert_isales_error(isales_get(gateway, path, query, sign(ak="nobody")), 401, "401",
                        "unknown")
    tampered = [("status", "2")] + query[1:]
    assert_isales_error(isales_get(gateway, path, tampered, sign()), 401, "401",
                        "signature does not match")
    assert_isales_error(isales_get(gateway, path, query, sign()), 501, "501", "queryCampaigns")
    r = requests.get(gateway.base_url + "/rest/isales/v1/openapi/nothing")
    assert_isales_error(r, 404, "404", "not found")


def test_demo_instance_is_vdn_1_and_vdn_ids_are_set_by_the_admin_cli(gateway, demo, instance):
    rows = {line.split("\t")[0]: line.split("\t") for line in
            gateway.admin("instance", "list").splitlines()}
    assert rows[demo.instance_id][3] == "1"
    gateway.admin("instance", "set-vdn", instance, "--vdn", "7")
    with pytest.raises(RuntimeError, match="already has VDN id 7"):
        other = gateway.create_instance(demo.account_id)
        gateway.admin("instance", "set-vdn", other, "--vdn", "7")
    with pytest.raises(RuntimeError, match="outside 1-9999"):
        gateway.admin("instance", "set-vdn", instance, "--vdn", "10000")
    gateway.admin("instance", "set-vdn", instance)
    rows = {line.split("\t")[0]: line.split("\t") for line in
            gateway.admin("instance", "list").splitlines()}
    assert rows[instance][3] == ""

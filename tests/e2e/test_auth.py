"""Authentication and the Alibaba RPC dialect, as the official SDKs experience them.

Error codes are those of crates/gateway/src/auth/aliyun.rs and dialect/aliyun/handler.rs;
what each SDK raises for them is shared/reference/sdk-error-behaviour.txt.
"""

import datetime as dt
import json
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.utils import parameter_helper

from conftest import Sdk2017, call_api, client_2020


def default_flow_id_2017(sdk: Sdk2017, instance: str) -> str:
    flows = sdk.call("ListContactFlows", InstanceId=instance)["ContactFlows"]["ContactFlow"]
    assert [f["ContactFlowName"] for f in flows] == ["默认流程"]
    return flows[0]["ContactFlowId"]


# --- every signing method of both families is accepted ---------------------------------------


def test_all_sdk_families_and_credential_kinds_reach_the_same_data(demo, m2020):
    instance = demo.instance_id
    flow_id = default_flow_id_2017(demo.sdk2017(), instance)
    for kind in ("acs3", "v2", "bearer"):
        resp = demo.sdk2020(kind).list_contact_flows(
            m2020.ListContactFlowsRequest(instance_id=instance, page_number=1, page_size=10)
        )
        assert resp.status_code == 200, kind
        ids = [f.contact_flow_id for f in resp.body.data.list]
        assert flow_id in ids, kind
        assert resp.body.code == "OK"


def test_success_envelopes_carry_request_id_and_status(a2017, b2020, demo, m2020):
    body = a2017.call("ListContactFlows", InstanceId=demo.instance_id)
    assert body["Success"] is True and body["Code"] == "OK" and body["HttpStatusCode"] == 200
    assert len(body["RequestId"]) == 36
    resp = b2020.list_contact_flows(
        m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
    )
    assert resp.body.http_status_code == 200
    assert resp.body.request_id and resp.body.request_id != body["RequestId"]


# --- wrong secret / unknown key / disabled key ----------------------------------------------


def test_wrong_secret_family_a_gets_a_clean_error_not_indexerror(gateway, demo):
    """Family A splits a SignatureDoesNotMatch Message on ':' and compares the part after it
    with its own string-to-sign; when they are equal it reports InvalidAccessKeySecret (what a
    user of real Alibaba Cloud sees for a wrong secret). So this also proves that the gateway's
    string-to-sign is byte-identical to the SDK's."""
    sdk = Sdk2017(gateway.endpoint, demo.access_key_id, demo.access_key_secret + "x")
    with pytest.raises(ServerException) as ei:
        sdk.call("ListContactFlows", InstanceId=demo.instance_id)
    assert ei.value.get_http_status() == 400
    assert ei.value.get_error_code() == "InvalidAccessKeySecret"


def test_wrong_secret_raw_body_is_signature_does_not_match_with_string_to_sign(gateway, demo):
    """The same request on the wire: the JSON body family A parsed."""
    sdk = Sdk2017(gateway.endpoint, demo.access_key_id, "wrong-secret")
    captured = capture_signed_url(sdk)
    with pytest.raises(ServerException):
        sdk.call("ListContactFlows", InstanceId=demo.instance_id)
    r = requests.post(gateway.base_url + captured[-1])
    assert r.status_code == 400
    body = r.json()
    assert body["Code"] == "SignatureDoesNotMatch"
    sts = body["Message"].split(":", 1)[1]
    assert sts.startswith("POST&%2F&") and "ListContactFlows" in sts
    assert body["RequestId"] and body["HostId"]


@pytest.mark.parametrize("kind", ["acs3", "v2"])
def test_wrong_secret_family_b(gateway, demo, m2020, expect_error, kind):
    client = client_2020(
        gateway.endpoint,
        demo.access_key_id,
        "not-the-secret",
        signature="v2" if kind == "v2" else None,
    )
    msg = expect_error(
        lambda: client.list_contact_flows(
            m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
        ),
        400,
        "SignatureDoesNotMatch",
    )
    assert "string to sign" in msg
    if kind == "acs3":
        assert "ACS3-HMAC-SHA256" in msg
    else:
        assert "POST&%2F&" in msg


def test_unknown_access_key(gateway, demo, m2020, expect_error):
    sdk = Sdk2017(gateway.endpoint, "LTAInotAKeyOfThisGateway", "whatever")
    expect_error(
        lambda: sdk.call("ListContactFlows", InstanceId=demo.instance_id),
        404,
        "InvalidAccessKeyId.NotFound",
    )
    for sig in (None, "v2"):
        client = client_2020(
            gateway.endpoint, "LTAInotAKeyOfThisGateway", "whatever", signature=sig
        )
        expect_error(
            lambda: client.list_contact_flows(
                m2020.ListContactFlowsRequest(
                    instance_id=demo.instance_id, page_number=1, page_size=1
                )
            ),
            404,
            "InvalidAccessKeyId.NotFound",
        )


def test_disabled_key_is_refused_and_works_again_when_enabled(gateway, demo, m2020, expect_error):
    ak, secret = gateway.create_key(demo.account_id)
    sdk = Sdk2017(gateway.endpoint, ak, secret)
    tea = client_2020(gateway.endpoint, ak, secret)
    req = m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
    assert sdk.call("ListContactFlows", InstanceId=demo.instance_id)["Success"] is True
    assert tea.list_contact_flows(req).body.data.total_count >= 1
    huawei = requests.post(
        f"{gateway.base_url}/apigovernance/api/oauth/tokenByAkSk",
        json={"app_key": ak, "app_secret": secret},
    ).json()["AccessToken"]

    gateway.admin("key", "disable", ak)
    time.sleep(1.5)  # the gateway caches keys for [security] cache_ttl_secs (1 s here)
    expect_error(
        lambda: sdk.call("ListContactFlows", InstanceId=demo.instance_id),
        400,
        "InvalidAccessKeyId.Inactive",
    )
    expect_error(lambda: tea.list_contact_flows(req), 400, "InvalidAccessKeyId.Inactive")
    # Huawei tokenByAkSk refuses the disabled pair too (401: account not usable).
    r = requests.post(
        f"{gateway.base_url}/apigovernance/api/oauth/tokenByAkSk",
        json={"app_key": ak, "app_secret": secret},
    )
    assert r.status_code == 401, r.text
    # ... and so does cc-management for a token issued before the key was disabled.
    r = requests.post(
        f"{gateway.base_url}/apiaccess/rest/cc-management/v1/ivrFlow/queryIVRFlowList",
        headers={"Authorization": f"Bearer {huawei}"},
    )
    assert r.status_code == 401, r.text

    gateway.admin("key", "enable", ak)
    time.sleep(1.5)
    assert sdk.call("ListContactFlows", InstanceId=demo.instance_id)["Success"] is True


def test_key_of_a_new_key_pair_works_with_every_family(gateway, demo, m2020):
    ak, secret = gateway.create_key(demo.account_id)
    assert Sdk2017(gateway.endpoint, ak, secret).call(
        "GetRoutePoint",
        InstanceId=demo.instance_id,
        ContactFlowId=default_flow_id_2017(demo.sdk2017(), demo.instance_id),
    )["RoutePoint"].isdigit()
    for sig in (None, "v2"):
        resp = client_2020(gateway.endpoint, ak, secret, signature=sig).list_phone_numbers(
            m2020.ListPhoneNumbersRequest(instance_id=demo.instance_id, page_number=1, page_size=5)
        )
        assert resp.body.data.page_size == 5


# --- replay protection ------------------------------------------------------------------------


def capture_signed_url(sdk: Sdk2017) -> list:
    """Wraps the AcsClient's signer so the signed `/?...` URL of each request is recorded."""
    urls: list = []
    signer = sdk.client._signer
    original = signer.sign

    def sign(region_id, request):
        headers, url = original(region_id, request)
        urls.append(url)
        return headers, url

    signer.sign = sign
    return urls


def test_replayed_request_is_refused(gateway, demo):
    sdk = demo.sdk2017()
    urls = capture_signed_url(sdk)
    first = sdk.call("ListContactFlows", InstanceId=demo.instance_id)
    assert first["Success"] is True
    assert urls and "SignatureNonce=" in urls[-1]
    r = requests.post(gateway.base_url + urls[-1])
    assert r.status_code == 400, r.text
    assert r.json()["Code"] == "SignatureNonceUsed"
    # A new request (new nonce) from the same client still works.
    assert sdk.call("ListContactFlows", InstanceId=demo.instance_id)["Success"] is True


@pytest.mark.parametrize("kind", ["acs3", "v2"])
def test_reused_nonce_family_b(demo, m2020, monkeypatch, expect_error, kind):
    """Two requests signed with the same nonce (as a replaying proxy would send): the first is
    served, the second refused, for ACS3 (x-acs-signature-nonce) and v1 (SignatureNonce)."""
    import uuid

    from alibabacloud_tea_openapi.utils import Utils

    nonce = uuid.uuid4().hex
    monkeypatch.setattr(Utils, "get_nonce", staticmethod(lambda: nonce))
    client = demo.sdk2020(kind)
    req = m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
    assert client.list_contact_flows(req).body.data.total_count >= 1
    expect_error(lambda: client.list_contact_flows(req), 400, "SignatureNonceUsed")


def test_nonce_is_remembered_per_access_key(gateway, demo, monkeypatch):
    """The same nonce from two different AccessKeys is two different requests."""
    import uuid

    ak2, secret2 = gateway.create_key(demo.account_id)
    nonce = uuid.uuid4().hex
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)
    assert demo.sdk2017().call("ListContactFlows", InstanceId=demo.instance_id)["Success"]
    assert Sdk2017(gateway.endpoint, ak2, secret2).call(
        "ListContactFlows", InstanceId=demo.instance_id)["Success"]


def test_expired_timestamp_family_a(demo, monkeypatch, expect_error):
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: old)
    expect_error(
        lambda: demo.sdk2017().call("ListContactFlows", InstanceId=demo.instance_id),
        400,
        "InvalidTimeStamp.Expired",
    )


@pytest.mark.parametrize("kind", ["acs3", "v2"])
def test_expired_timestamp_family_b(demo, m2020, monkeypatch, expect_error, kind):
    from alibabacloud_tea_openapi.utils import Utils

    future = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    monkeypatch.setattr(Utils, "get_timestamp", staticmethod(lambda: future))
    expect_error(
        lambda: demo.sdk2020(kind).list_contact_flows(
            m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
        ),
        400,
        "InvalidTimeStamp.Expired",
    )


# --- Bearer tokens ---------------------------------------------------------------------------


def test_forged_bearer_token_is_refused(gateway, demo, m2020, expect_error):
    token = demo.bearer_token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    client = client_2020(gateway.endpoint, bearer_token=forged)
    expect_error(
        lambda: client.list_contact_flows(
            m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
        ),
        401,
        "InvalidBearerToken.Malformed",
    )


def test_bearer_token_over_signature_v1_path(gateway, demo, m2020):
    """`signature_algorithm='v2'` + bearer sends BearerToken=... in the query instead of the
    x-acs-bearer-token header."""
    client = client_2020(gateway.endpoint, bearer_token=demo.bearer_token, signature="v2")
    resp = client.list_contact_flows(
        m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=10)
    )
    assert "默认流程" in [f.name for f in resp.body.data.list]


@pytest.mark.parametrize("action", ["GetNumberRegionInfo", "PickLocalNumber"])
def test_bearer_only_actions_refuse_access_keys(demo, expect_error, action):
    params = {"InstanceId": demo.instance_id}
    if action == "GetNumberRegionInfo":
        params["Number"] = "059288886666"
    else:
        params["CalleeNumber"] = "059288886666"
        params["CandidateNumbers"] = ["01088886666"]
    msg = expect_error(lambda: demo.sdk2017().call(action, **params), 403,
                       "Forbidden.BearerTokenRequired")
    assert "bearer" in msg.lower()
    query = {k: v for k, v in params.items() if k != "CandidateNumbers"}
    if action == "PickLocalNumber":
        query["CandidateNumber.1"] = "01088886666"
    for kind in ("acs3", "v2"):
        expect_error(
            lambda: call_api(demo.sdk2020(kind), action, "2017-07-05", query),
            403,
            "Forbidden.BearerTokenRequired",
        )


# --- dialect: unknown actions, versions, XML, missing parameters -----------------------------


def test_unknown_action(gateway, demo, expect_error):
    req = CommonRequest(
        domain=gateway.endpoint, version="2017-07-05", action_name="NoSuchAction"
    )
    req.set_method("POST")
    req.add_query_param("InstanceId", demo.instance_id)
    expect_error(
        lambda: demo.sdk2017().client.do_action_with_exception(req),
        404,
        "InvalidAction.NotFound",
    )
    for kind in ("acs3", "v2", "bearer"):
        expect_error(
            lambda: call_api(demo.sdk2020(kind), "NoSuchAction", "2020-07-01",
                             {"InstanceId": demo.instance_id}),
            404,
            "InvalidAction.NotFound",
        )


def test_unknown_version(demo, expect_error):
    expect_error(
        lambda: call_api(demo.sdk2020(), "ListContactFlows", "2099-01-01",
                         {"InstanceId": demo.instance_id}),
        400,
        "InvalidVersion",
    )


def test_format_xml_returns_xml_under_action_response_root(demo):
    sdk = demo.sdk2017()
    req = sdk.request("ListContactFlows", InstanceId=demo.instance_id)
    req.set_accept_format("XML")
    raw = sdk.client.do_action(req)  # the SDK's own Format, unlike do_action_with_exception
    root = ET.fromstring(raw)
    assert root.tag == "ListContactFlowsResponse"
    assert root.findtext("Code") == "OK"
    assert root.findtext("Success") == "true"
    names = [e.text for e in root.iter("ContactFlowName")]
    assert names == ["默认流程"]
    versions = list(root.iter("ContactFlowVersion"))
    assert [v.findtext("Status") for v in versions] == ["Published"]


def test_format_xml_errors_have_error_root(demo):
    sdk = demo.sdk2017()
    req = sdk.request("ListContactFlows", InstanceId="no-such-instance")
    req.set_accept_format("XML")
    root = ET.fromstring(sdk.client.do_action(req))
    assert root.tag == "Error"
    assert root.findtext("Code") == "NotExists.InstanceId"
    assert "no-such-instance" in root.findtext("Message")


def test_missing_parameter_2017_and_2020(demo, m2020, expect_error):
    msg = expect_error(
        lambda: demo.sdk2017().call("GetRoutePoint", InstanceId=demo.instance_id),
        400,
        "MissingParameter",
    )
    assert "ContactFlowId" in msg
    msg = expect_error(
        lambda: demo.sdk2020().list_phone_numbers(
            m2020.ListPhoneNumbersRequest(instance_id=demo.instance_id, page_number=1)
        ),
        400,
        "Parameter.Null",
    )
    assert "PageSize" in msg


def test_unknown_instance(demo, m2020, expect_error):
    msg = expect_error(
        lambda: demo.sdk2017().call("ListContactFlows", InstanceId="no-such-instance"),
        404,
        "NotExists.InstanceId",
    )
    assert "no-such-instance" in msg
    for kind in ("acs3", "v2", "bearer"):
        expect_error(
            lambda: demo.sdk2020(kind).list_contact_flows(
                m2020.ListContactFlowsRequest(
                    instance_id="no-such-instance", page_number=1, page_size=1
                )
            ),
            404,
            "NotExists.InstanceId",
        )


# --- encodings and transports each signing method must get right ------------------------------


def test_form_body_parameters_are_signed_on_every_path(demo, instance):
    """CreateContactFlow's Content in a form body: family A (v1, body signed), tea ACS3
    (x-acs-content-sha256 over the body), tea v1 and Bearer."""
    from test_flows import main_definition

    for kind in ("acs3", "v2", "bearer"):
        content = main_definition(f"body via {kind}: a+b=c & d%20e ~*")
        body = call_api(demo.sdk2020(kind), "CreateContactFlow", "2017-07-05",
                        {"InstanceId": instance, "Name": f"form-{kind}"},
                        body={"Content": content, "Canvas": "x y+z"})
        [v] = body["ContactFlow"]["Versions"]["ContactFlowVersion"]
        assert (v["Content"], v["Canvas"]) == (content, "x y+z"), kind


@pytest.mark.parametrize("kind", ["acs3", "v2", "bearer"])
def test_reserved_characters_in_query_values(demo, instance, m2020, kind):
    """Query values with space, '+', '*', '~', '/', '%', '&', '=' and CJK, as each SDK path
    encodes them, reach the plugin intact (the flow is found by its full name)."""
    name = "q a+b*c~d/e%f&g=h 中"
    sdk = demo.sdk2017()
    create_flow_2017(sdk, instance, name)
    resp = demo.sdk2020(kind).list_contact_flows(
        m2020.ListContactFlowsRequest(instance_id=instance, page_number=1, page_size=10,
                                      search_pattern=name)
    )
    assert [f.name for f in resp.body.data.list] == [name]


def create_flow_2017(sdk, instance, name):
    from test_flows import create_flow

    try:
        return create_flow(sdk, instance, name)
    except ServerException as e:
        if e.get_error_code() != "Conflict.ContactFlowName":
            raise


def test_get_method_common_request(gateway, demo):
    """CommonRequest defaults to GET, with everything in the query string."""
    req = CommonRequest(domain=gateway.endpoint, version="2017-07-05",
                        action_name="ListContactFlows")
    assert req.get_method() == "GET"
    req.add_query_param("InstanceId", demo.instance_id)
    body = json.loads(demo.sdk2017().client.do_action_with_exception(req))
    assert "默认流程" in [f["ContactFlowName"] for f in body["ContactFlows"]["ContactFlow"]]


def test_expired_bearer_token(gateway, demo, m2020, expect_error):
    token = gateway.admin("token", "issue", "--access-key-id", demo.access_key_id,
                          "--ttl", "1").strip()
    client = client_2020(gateway.endpoint, bearer_token=token)
    req = m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=1)
    time.sleep(2.2)
    expect_error(lambda: client.list_contact_flows(req), 401, "InvalidBearerToken.Expired")


def test_acs3_hmac_sm3_signature(gateway, demo, m2020):
    """tea's `signature_algorithm='ACS3-HMAC-SM3'` (same canonical request, SM3 hashes)."""
    client = client_2020(gateway.endpoint, demo.access_key_id, demo.access_key_secret,
                         signature="ACS3-HMAC-SM3")
    resp = client.list_contact_flows(
        m2020.ListContactFlowsRequest(instance_id=demo.instance_id, page_number=1, page_size=10)
    )
    assert "默认流程" in [f.name for f in resp.body.data.list]

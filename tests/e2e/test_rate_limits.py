"""Per-AccessKey rate limits as a client meets them (issue 15): with `[limits]
requests_per_key_per_second` set, a key over its rate gets 429 `Throttling.User` with an
`x-acs-retry-after` header, which the official 2020 SDK raises as a `ThrottlingException`;
another key goes on, and the first works again after the wait. Off by default (the session
gateway of the other tests has no limit)."""

from __future__ import annotations

import time

import pytest
from alibabacloud_tea_openapi.exceptions import ThrottlingException

from conftest import SoloGateway, call_api, clean_env, client_2020


@pytest.fixture
def limited(ccgate_binary, tmp_path):
    solo = SoloGateway(ccgate_binary, tmp_path, clean_env(
        tmp_path,
        CCGATE__LIMITS__REQUESTS_PER_KEY_PER_SECOND="4",
        CCGATE__LIMITS__REQUEST_BURST_PER_KEY="4"))
    yield solo
    solo.stop()


def list_flows(solo, ak, secret):
    client = client_2020(solo.endpoint, ak, secret)
    return call_api(client, "ListContactFlows", "2020-07-01",
                    {"InstanceId": solo.instance_id, "PageNumber": "1", "PageSize": "10"})


def test_a_key_over_its_rate_is_throttled_with_a_retry_after(limited):
    ak, secret = limited.access_key_id, limited.access_key_secret
    ok, throttled = 0, []
    for _ in range(12):
        try:
            list_flows(limited, ak, secret)
            ok += 1
        except ThrottlingException as e:
            throttled.append(e)
    assert throttled, "12 requests at once never throttled at 4/s with a burst of 4"
    assert 4 <= ok <= 8, ok
    e = throttled[0]
    assert e.code == "Throttling.User", e
    assert e.retry_after is not None and 0 < e.retry_after <= 1000, e.retry_after
    # Another key of the same account is not held back.
    account = next(line.split("\t")[1] for line in limited.admin("instance", "list").splitlines()
                   if line.split("\t")[0] == limited.instance_id)
    kv = dict(line.split("=", 1) for line in
              limited.admin("key", "create", "--account", account).splitlines() if "=" in line)
    assert list_flows(limited, kv["AccessKeyId"], kv["AccessKeySecret"])["Code"] == "OK"
    # After the wait, the first key works again.
    time.sleep(1.1)
    assert list_flows(limited, ak, secret)["Code"] == "OK"

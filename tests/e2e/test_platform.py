"""The plugin platform as a user or operator meets it: roles on Bearer tokens (each action's
spec says which roles may call it; the gateway refuses others with 403 before the handler) and
plugin settings (`[plugins.<name>]`, `CCGATE__PLUGINS__<NAME>__<KEY>`), read at start-up.
"""

import base64
import hashlib
import hmac
import re
import shutil
import socket
import subprocess
import time
import uuid

import requests

from conftest import SoloGateway, call_api, clean_env, client_2020


def user_token(gateway, demo, instance, role):
    """A Bearer token that acts for a new user of `instance` with `role` (the user is created
    with CreateUser: a token acts for a real user, whose role the gateway reads)."""
    login = f"{role}-{uuid.uuid4().hex[:8]}"
    role_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ccgate:role:{instance}:{role}"))
    call_api(demo.sdk2020(), "CreateUser", "2017-07-05",
             {"InstanceId": instance, "LoginName": login, "DisplayName": login,
              "Email": f"{login}@example.com", "RoleId.1": role_id})
    return gateway.admin("token", "issue", "--access-key-id", demo.access_key_id,
                         "--subject", login, "--role", role).strip()


def test_an_agent_token_lists_numbers_but_cannot_add_one(gateway, demo, instance, new_number, expect_error, m2020):
    agent = client_2020(gateway.endpoint, bearer_token=user_token(gateway, demo, instance, "agent"))
    resp = agent.list_phone_numbers(
        m2020.ListPhoneNumbersRequest(instance_id=instance, page_number=1, page_size=10)
    )
    assert resp.status_code == 200 and resp.body.data.total_count == 0

    number = new_number()
    message = expect_error(
        lambda: call_api(agent, "AddPhoneNumber", "2017-07-05",
                         {"InstanceId": instance, "PhoneNumber": number, "Usage": "Inbound"}),
        403, "NoPermission",
    )
    assert "The caller's role agent may not call AddPhoneNumber." in message
    # Nothing was written: the refusal came before the handler.
    admin = demo.sdk2020()
    listed = admin.list_phone_numbers(
        m2020.ListPhoneNumbersRequest(instance_id=instance, page_number=1, page_size=10)
    )
    assert listed.body.data.total_count == 0

    # A skill-group leader may not either; an administrator's token may.
    leader = client_2020(gateway.endpoint, bearer_token=user_token(gateway, demo, instance, "skill-group-leader"))
    expect_error(
        lambda: call_api(leader, "AddPhoneNumber", "2017-07-05",
                         {"InstanceId": instance, "PhoneNumber": number, "Usage": "Inbound"}),
        403, "NoPermission",
    )
    body = call_api(demo.sdk2020("bearer"), "AddPhoneNumber", "2017-07-05",
                    {"InstanceId": instance, "PhoneNumber": number, "Usage": "Inbound"})
    assert body["PhoneNumber"]["Number"] == number


def test_an_unknown_role_is_refused_when_issuing(gateway, demo):
    r = subprocess.run(
        [str(gateway.binary), "token", "issue", "--access-key-id", demo.access_key_id, "--role", "boss"],
        cwd=gateway.workdir, env=gateway.env, capture_output=True, text=True, timeout=60,
    )
    assert r.returncode != 0
    assert 'unknown role "boss"' in r.stderr


def test_a_bad_plugin_setting_stops_start_up_with_one_line_naming_the_key(gateway):
    env = dict(gateway.env)
    env["CCGATE__PLUGINS__NUMBERS__LIST_CACHE_TTL_MS"] = "soon"
    env["CCGATE__SERVER__BIND"] = "127.0.0.1:1"  # never reached: settings are read first
    r = subprocess.run(
        [str(gateway.binary), "serve"], cwd=gateway.workdir, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if "plugins.numbers.list_cache_ttl_ms" in l]
    assert len(lines) == 1, r.stderr
    assert "invalid type" in lines[0], lines[0]

    env["CCGATE__PLUGINS__NUMBERS__LIST_CACHE_TTL"] = "5"
    del env["CCGATE__PLUGINS__NUMBERS__LIST_CACHE_TTL_MS"]
    r = subprocess.run(
        [str(gateway.binary), "serve"], cwd=gateway.workdir, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert r.returncode != 0
    assert "plugins.numbers.list_cache_ttl: unknown field" in r.stderr, r.stderr


def test_a_plugin_setting_from_the_environment_reaches_the_plugin_as_written(ccgate_binary, tmp_path):
    """`00123` is a TURN secret, not the number 123: the credentials ccgate derives from it
    are the ones coturn, sharing the secret `00123`, derives (HMAC-SHA1 of the username)."""
    solo = SoloGateway(ccgate_binary, tmp_path, clean_env(
        tmp_path, CCGATE__PLUGINS__WORKBENCH__TURN__SECRET="00123"))
    try:
        client = client_2020(solo.endpoint, solo.access_key_id, solo.access_key_secret)
        cred = call_api(client, "GetTURNCredentials", "2017-07-05",
                        {"InstanceId": solo.instance_id, "UserName": "0"})
    finally:
        solo.stop()
    user, password = cred["Username"], cred["Password"]
    expected = base64.b64encode(
        hmac.new(b"00123", user.encode(), hashlib.sha1).digest()).decode()
    assert password == expected, (user, password)


def test_a_hyphenated_plugins_settings_come_from_the_environment(ccgate_binary, tmp_path):
    """A variable cannot spell `device-diagnostics`: `DEVICE_DIAGNOSTICS` names it (here with
    a value the plugin refuses, so that start-up shows it arrived)."""
    env = clean_env(tmp_path, CCGATE__PLUGINS__DEVICE_DIAGNOSTICS__RETENTION_DAYS="0",
                    CCGATE__SERVER__BIND="127.0.0.1:1")
    r = _serve(ccgate_binary, tmp_path, env)
    assert r.returncode != 0
    assert "plugins.device-diagnostics.retention_days: 0 is out of range" in r.stderr, r.stderr


def _serve(binary, workdir, env, timeout=60):
    return subprocess.run([str(binary), "serve"], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_a_misspelled_setting_or_section_stops_start_up_naming_it(ccgate_binary, tmp_path):
    env = clean_env(tmp_path)
    r = _serve(ccgate_binary, tmp_path, {**env, "CCGATE__SERVER__BND": "127.0.0.1:1"})
    assert r.returncode != 0
    assert "server.bnd: unknown field `bnd`" in r.stderr, r.stderr
    r = _serve(ccgate_binary, tmp_path, {**env, "CCGATE__LOG__FORMAT": "xml"})
    assert r.returncode != 0
    assert "log.format: unknown variant `xml`" in r.stderr, r.stderr
    conf = tmp_path / "typo.toml"
    conf.write_text('[servr]\nbind = "127.0.0.1:1"\n')
    r = _serve(ccgate_binary, tmp_path, {**env, "CCGATE_CONFIG": str(conf)})
    assert r.returncode != 0
    assert "unknown field `servr`" in r.stderr, r.stderr
    assert not (tmp_path / "ccgate.db").exists(), "refused before touching the database"


def test_ccgate_actions_opens_no_database(ccgate_binary, tmp_path):
    env = clean_env(tmp_path)
    env["CCGATE__DATABASE__URL"] = "postgres://nobody@127.0.0.1:1/unreachable"
    r = subprocess.run([str(ccgate_binary), "actions"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "RequestLoginInfo" in r.stdout and "served" in r.stdout


def test_a_busy_port_loses_no_demo_secret(ccgate_binary, tmp_path):
    env = clean_env(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env["CCGATE__SERVER__BIND"] = f"127.0.0.1:{busy.getsockname()[1]}"
        r = _serve(ccgate_binary, tmp_path, env)
    assert r.returncode != 0
    assert "AccessKeySecret" not in r.stdout, "a secret printed by a server that never listened"
    # The next start on a free port creates the demo and prints its secret once it listens.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env["CCGATE__SERVER__BIND"] = f"127.0.0.1:{port}"
    out = tmp_path / "serve.out"
    with open(out, "wb") as f:
        proc = subprocess.Popen([str(ccgate_binary), "serve"], cwd=tmp_path, env=env, stdout=f,
                                stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while "AccessKeySecret" not in out.read_text(errors="replace"):
                assert proc.poll() is None, "ccgate serve exited"
                assert time.monotonic() < deadline, "no demo printed"
                time.sleep(0.1)
            # Printed after binding: the port answers.
            assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).text == "ok"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def test_every_answer_carries_its_request_id_in_x_acs_request_id(gateway, demo):
    # A signed success through the official 2020 SDK's raw response.
    client = demo.sdk2020()
    from alibabacloud_tea_openapi import utils_models as m
    from darabonba.runtime import RuntimeOptions
    params = m.Params(action="ListContactFlows", version="2020-07-01", protocol="HTTP",
                      pathname="/", method="POST", auth_type="AK", style="RPC",
                      req_body_type="formData", body_type="json")
    resp = client.call_api(params, m.OpenApiRequest(query={"InstanceId": demo.instance_id,
                                                           "PageNumber": "1",
                                                           "PageSize": "5"}),
                           RuntimeOptions())
    assert resp["headers"]["x-acs-request-id"] == resp["body"]["RequestId"]
    # Refusals too: an unsigned request, and Huawei's token endpoint.
    r = requests.get(gateway.base_url, params={"Action": "ListContactFlows",
                                               "Version": "2017-07-05"}, timeout=5)
    assert r.status_code >= 400
    assert r.headers["x-acs-request-id"] == r.json()["RequestId"]
    r = requests.post(gateway.base_url + "/apigovernance/api/oauth/tokenByAkSk",
                      json={"app_key": "nope", "app_secret": "nope"}, timeout=5)
    assert r.status_code >= 400
    assert len(r.headers["x-acs-request-id"]) == 36


def scrape(gateway) -> list[str]:
    """`/metrics` of each replica of `gateway` (one, or two behind nginx with
    `CCGATE_E2E_REPLICAS=2`): the counters are per process."""
    replicas = getattr(gateway, "replicas", None) or [gateway.endpoint]
    return [requests.get(f"http://{r}/metrics", timeout=5).text for r in replicas]


def metric(texts, name, **labels):
    """The sum over `texts` (expositions) of series `name` whose labels include `labels`; 0
    when absent."""
    want = [f'{k}="{v}"' for k, v in labels.items()]
    total = 0.0
    for line in "\n".join(texts).splitlines():
        if line.startswith(name + "{"):
            head, value = line.rsplit(" ", 1)
            if all(w in head for w in want):
                total += float(value)
    return total


def test_metrics_count_requests_per_action_and_pass_promtool(gateway, demo):
    sdk = demo.sdk2017()
    before = scrape(gateway)
    flows = sdk.call("ListContactFlows", InstanceId=demo.instance_id)
    texts = scrape(gateway)
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (Debian prometheus; .ci/run installs it)"
    for text in texts:
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
    text = "\n".join(texts)
    assert metric(texts, "ccgate_requests_total", action="ListContactFlows", code="OK",
                  dialect="aliyun-rpc") >= 1, text[:2000]
    assert 'ccgate_request_duration_seconds_bucket{' in text
    assert "ccgate_db_pool_max_connections " in text
    # Plugin-boundary calls, counted by the host for built-in and library plugins alike: the
    # action call into flows, and flows' query to numbers for the numbers bound to its flows.
    def calls(t, plugin, kind):
        return metric(t, "ccgate_plugin_calls_total", plugin=plugin, kind=kind)

    assert calls(texts, "flows", "action") >= calls(before, "flows", "action") + 1, text[:4000]
    assert metric(texts, "ccgate_plugin_call_duration_seconds_count", plugin="flows",
                  kind="action") == calls(texts, "flows", "action")
    assert 'ccgate_plugin_call_duration_seconds_bucket{plugin="flows",kind="action",le=' in text
    if flows["ContactFlows"]["ContactFlow"]:
        assert calls(texts, "numbers", "query") >= calls(before, "numbers", "query") + 1, text[:4000]
    # Bounded labels: plugin names (or @host for the host's answers to plugins), three kinds.
    for line in text.splitlines():
        if line.startswith(("ccgate_plugin_calls_total{", "ccgate_plugin_call_duration_seconds")):
            assert re.search(r'plugin="(@host|[a-z][a-z0-9-]*)",kind="(action|query|event)"',
                             line), line
    # A client's made-up action never becomes a label.
    requests.get(gateway.base_url, params={"Action": "Made-Up-Action", "Version": "2017-07-05"},
                 timeout=5)
    assert not any("Made-Up-Action" in t for t in scrape(gateway))

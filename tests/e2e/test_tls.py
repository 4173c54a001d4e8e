"""TLS as a user meets it (issue 15): with `[server] tls_cert` and `tls_key` set, the gateway
serves HTTPS only. The official 2017 SDK (`AcsClient` with `set_verify(<cert>)`, requests over
`https`) and the 2020 tea SDK (`Config(protocol='https', ca=<cert>)`) list phone numbers over
it; `x-acs-request-id`, `/metrics` and the request log work as over plain HTTP; a plain-HTTP
request to the port is not served; a client that never sends a ClientHello is dropped after
`[limits] head_timeout_ms`; `ccgate call --ca-cert` works against it and fails with a
certificate error without the CA; a half-set, missing or mismatched certificate/key stops
start-up with one line naming it.

The certificate is a self-signed P-256 one for 127.0.0.1 and localhost, made here with
`cryptography` (installed with aliyun-python-sdk-core)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import socket
import subprocess
import time
from importlib import import_module
from pathlib import Path

import pytest
import requests
from alibabacloud_ccc20200701 import models as models_2020
from alibabacloud_ccc20200701.client import Client as Client2020
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.client import AcsClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import SoloGateway, clean_env

HEAD_TIMEOUT_MS = 1500


def self_signed(dir: Path, name: str = "server") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 / localhost and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ccgate e2e")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        # A leaf, not a CA: rustls (ccgate call) refuses a CA certificate as the server's.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = dir / f"{name}.crt", dir / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls(ccgate_binary, tmp_path_factory):
    """A gateway of its own serving HTTPS; its log (stderr) goes to `log`: the binary is run
    through a wrapper that appends stderr there."""
    tmp = tmp_path_factory.mktemp("tls")
    cert, key = self_signed(tmp)
    log = tmp / "serve.stderr"
    wrapper = tmp / "ccgate-logged"
    wrapper.write_text(f'#!/bin/sh\nexec "{ccgate_binary}" "$@" 2>>"{log}"\n')
    wrapper.chmod(0o755)
    solo = SoloGateway(wrapper, tmp, clean_env(
        tmp,
        CCGATE__SERVER__TLS_CERT=str(cert),
        CCGATE__SERVER__TLS_KEY=str(key),
        CCGATE__LIMITS__HEAD_TIMEOUT_MS=str(HEAD_TIMEOUT_MS)))
    solo.cert, solo.log = cert, log
    solo.base_url = f"https://{solo.endpoint}"
    yield solo
    solo.stop()


def sdk2017(solo) -> AcsClient:
    client = AcsClient(solo.access_key_id, solo.access_key_secret, "cn-hangzhou")
    client.set_verify(str(solo.cert))
    return client


def call2017(client: AcsClient, solo, action: str, **params) -> dict:
    cls = getattr(import_module(f"aliyunsdkccc.request.v20170705.{action}Request"),
                  f"{action}Request")
    req = cls()
    req.set_endpoint(solo.endpoint)
    req.set_protocol_type("https")
    for name, value in params.items():
        getattr(req, f"set_{name}")(value)
    return json.loads(client.do_action_with_exception(req))


def sdk2020(solo) -> Client2020:
    return Client2020(Config(endpoint=solo.endpoint, protocol="https", ca=str(solo.cert),
                             access_key_id=solo.access_key_id,
                             access_key_secret=solo.access_key_secret))


def test_the_official_sdks_list_phone_numbers_over_https(tls):
    a = sdk2017(tls)
    number = f"0571{int(time.time() * 1000) % 10**8:08d}"
    added = call2017(a, tls, "AddPhoneNumber", InstanceId=tls.instance_id, PhoneNumber=number,
                     Usage="Bidirection")
    assert added["Success"] is True, added
    listed = call2017(a, tls, "ListPhoneNumbers", InstanceId=tls.instance_id,
                      OutboundOnly=False)
    assert listed["Success"] is True, listed
    assert number in [n["Number"] for n in listed["PhoneNumbers"]["PhoneNumber"]]

    resp = sdk2020(tls).list_phone_numbers(models_2020.ListPhoneNumbersRequest(
        instance_id=tls.instance_id, page_number=1, page_size=100))
    assert resp.status_code == 200
    assert number in [n.number for n in resp.body.data.list]
    # The same answer headers, metrics and log as over plain HTTP.
    assert resp.headers["x-acs-request-id"] == resp.body.request_id
    metrics = requests.get(tls.base_url + "/metrics", verify=str(tls.cert), timeout=5).text
    assert any(l.startswith("ccgate_requests_total{") and 'action="ListPhoneNumbers"' in l
               and 'code="OK"' in l for l in metrics.splitlines()), metrics[:2000]
    time.sleep(0.3)
    served = [json.loads(l) for l in tls.log.read_text(errors="replace").splitlines()
              if l.startswith("{") and '"served"' in l]
    assert any(e.get("request_id") == resp.body.request_id
               or e.get("span", {}).get("request_id") == resp.body.request_id
               for e in served), served[-3:]


def test_plain_http_to_the_tls_port_is_not_served(tls):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://{tls.endpoint}/readyz", timeout=5)
    # Nor does the TLS port fall back to anything: the same request over https is answered.
    assert requests.get(tls.base_url + "/readyz", verify=str(tls.cert), timeout=5).ok


def test_a_client_that_never_sends_a_client_hello_is_dropped_after_the_head_timeout(tls):
    with socket.create_connection(("127.0.0.1", tls.port), timeout=10) as s:
        started = time.monotonic()
        try:
            got = s.recv(1)
        except ConnectionResetError:
            got = b""
        waited = time.monotonic() - started
    assert got == b"", got
    assert HEAD_TIMEOUT_MS / 1000 - 0.2 <= waited < HEAD_TIMEOUT_MS / 1000 + 3, waited


def ccgate_call(binary, solo, *extra: str) -> subprocess.CompletedProcess:
    env = clean_env(solo.workdir, CCGATE_ACCESS_KEY_ID=solo.access_key_id,
                    CCGATE_ACCESS_KEY_SECRET=solo.access_key_secret)
    return subprocess.run(
        [str(binary), "call", "ListPhoneNumbers", f"InstanceId={solo.instance_id}",
         "OutboundOnly=false", "--endpoint", solo.base_url, *extra],
        env=env, capture_output=True, text=True, timeout=60)


def test_ccgate_call_speaks_https_trusting_the_ca_it_is_given(tls, ccgate_binary):
    r = ccgate_call(ccgate_binary, tls, "--ca-cert", str(tls.cert))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["Success"] is True
    r = ccgate_call(ccgate_binary, tls)
    assert r.returncode != 0, r.stdout
    assert "certificate" in r.stderr, r.stderr
    assert "Signature=" not in r.stderr, "the signed URL is not printed"


def serve_fails(binary, workdir: Path, **settings: str) -> subprocess.CompletedProcess:
    env = clean_env(workdir, CCGATE__SERVER__BIND=f"127.0.0.1:{free_port()}", **settings)
    r = subprocess.run([str(binary), "serve"], cwd=workdir, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode != 0, r.stdout + r.stderr
    assert "AccessKeySecret" not in r.stdout, "no demo secret from a server that never listened"
    return r


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_line(stderr: str, needle: str) -> str:
    lines = [l for l in stderr.splitlines() if needle in l]
    assert len(lines) == 1, stderr
    return lines[0]


def test_bad_tls_settings_stop_start_up_with_one_line_naming_them(ccgate_binary, tmp_path):
    cert, key = self_signed(tmp_path)
    _, other_key = self_signed(tmp_path, "other")
    r = serve_fails(ccgate_binary, tmp_path, CCGATE__SERVER__TLS_CERT=str(cert))
    one_line(r.stderr, "server.tls_key: required when server.tls_cert is set")
    assert not (tmp_path / "ccgate.db").exists(), "refused before touching the database"

    missing = tmp_path / "nowhere.crt"
    r = serve_fails(ccgate_binary, tmp_path, CCGATE__SERVER__TLS_CERT=str(missing),
                    CCGATE__SERVER__TLS_KEY=str(key))
    line = one_line(r.stderr, str(missing))
    assert "server.tls_cert: cannot read" in line, line

    r = serve_fails(ccgate_binary, tmp_path, CCGATE__SERVER__TLS_CERT=str(cert),
                    CCGATE__SERVER__TLS_KEY=str(other_key))
    line = one_line(r.stderr, str(other_key))
    assert "server.tls_key:" in line and "does not match" in line and str(cert) in line, line

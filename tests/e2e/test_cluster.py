"""Several replicas on one PostgreSQL sharing the machine's Redis (issue 15, "Scale-out on
existing engines", `[cluster] redis_url`), as an operator running them behind a load balancer
meets them:

- a SignatureNonce used on one replica is refused on the other;
- `ccgate key disable` stops the key on every replica within 1 s, although each caches keys
  for 60 s here;
- a number added through one replica is listed by the other at once, although its list cache
  keeps pages for 60 s here;
- per-AccessKey rate limits hold for the replicas together, not for each;
- when Redis stops, signed requests are refused with 503 `ServiceUnavailable` (replay
  protection fails closed) and are served again once it is back, without a restart.

The whole SDK suite also runs through two replicas behind nginx (`CCGATE_E2E_REPLICAS=2`,
conftest.py), which `cargo xtask ci` does on PostgreSQL.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from alibabacloud_tea_openapi.exceptions import ThrottlingException

from conftest import (
    START_TIMEOUT,
    Database,
    Gateway,
    Sdk2017,
    call_api,
    clean_env,
    client_2020,
    free_port,
    redis_url,
    sdk_error,
    stop_process,
)
from test_auth import capture_signed_url


class Replica:
    """One `ccgate serve` of a pair: `env` names the shared database and Redis."""

    def __init__(self, binary: Path, workdir: Path, env: dict, name: str):
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.endpoint}"
        self.env = {**env, "CCGATE__SERVER__BIND": self.endpoint}
        self.workdir = workdir
        self.binary = binary
        self.out = workdir / f"{name}.out"
        self.err = workdir / f"{name}.err"
        self.proc = subprocess.Popen(
            [str(binary), "serve"], cwd=workdir, env=self.env,
            stdout=open(self.out, "wb"), stderr=open(self.err, "wb"), stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready():
            assert self.proc.poll() is None, f"{name} exited:\n{self.err.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{name} not ready"
            time.sleep(0.1)

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def admin(self, *args: str) -> str:
        r = subprocess.run([str(self.binary), *args], cwd=self.workdir, env=self.env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def stop(self) -> None:
        stop_process(self.proc, 30)


class Pair:
    """Two replicas on one fresh PostgreSQL database and one Redis (a key prefix of their own),
    with `overrides` on top; the first creates the demo account."""

    def __init__(self, binary: Path, workdir: Path, redis: str, **overrides: str):
        self.db = Database("postgres", workdir)
        self.db.create()
        env = clean_env(
            workdir,
            CCGATE__DATABASE__URL=self.db.url,
            CCGATE__CLUSTER__REDIS_URL=redis,
            CCGATE__CLUSTER__KEY_PREFIX="ccgate-e2e-" + uuid.uuid4().hex[:8],
            **overrides,
        )
        self.replicas: list[Replica] = []
        try:
            self.a = Replica(binary, workdir, env, "a")
            self.replicas.append(self.a)
            creds = None
            deadline = time.monotonic() + START_TIMEOUT
            while creds is None:
                assert time.monotonic() < deadline, "no demo credentials"
                creds = Gateway._parse_demo(self.a.out.read_text(errors="replace"))
                time.sleep(0.1)
            self.instance_id, self.ak, self.secret = creds
            self.b = Replica(binary, workdir, env, "b")
            self.replicas.append(self.b)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        for r in self.replicas:
            r.stop()
        self.db.drop()


@pytest.fixture(scope="module")
def pair(ccgate_binary, tmp_path_factory):
    p = Pair(ccgate_binary, tmp_path_factory.mktemp("cluster"), redis_url(),
             CCGATE__SECURITY__CACHE_TTL_SECS="60",
             CCGATE__PLUGINS__NUMBERS__LIST_CACHE_TTL_MS="60000")
    yield p
    p.stop()


def until(check, seconds: float):
    """Polls `check` until it returns a true value; the value, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def test_a_nonce_used_on_one_replica_is_refused_on_the_other(pair):
    sdk = Sdk2017(pair.a.endpoint, pair.ak, pair.secret)
    urls = capture_signed_url(sdk)
    assert sdk.call("ListContactFlows", InstanceId=pair.instance_id)["Success"] is True
    for replica in (pair.b, pair.a):
        r = requests.post(replica.base_url + urls[-1])
        assert (r.status_code, r.json()["Code"]) == (400, "SignatureNonceUsed"), r.text
    # A fresh request goes through either replica.
    assert Sdk2017(pair.b.endpoint, pair.ak, pair.secret).call(
        "ListContactFlows", InstanceId=pair.instance_id)["Success"] is True


def test_a_disabled_key_stops_on_every_replica_within_a_second(pair):
    account = pair.a.admin("account", "create", "--name", "cluster-" + uuid.uuid4().hex[:6]).strip()
    instance_id = "cluster-" + uuid.uuid4().hex[:6]
    pair.a.admin("instance", "create", "--account", account, "--id", instance_id)
    out = pair.a.admin("key", "create", "--account", account)
    kv = dict(line.split("=", 1) for line in out.strip().splitlines() if "=" in line)
    ak, secret = kv["AccessKeyId"], kv["AccessKeySecret"]
    clients = [Sdk2017(r.endpoint, ak, secret) for r in pair.replicas]

    def works(sdk) -> bool:
        try:
            return sdk.call("ListContactFlows", InstanceId=instance_id)["Success"] is True
        except Exception as e:  # noqa: BLE001 - the SDK's exception carries the code
            status, code, _ = sdk_error(e)
            assert (status, code) == (400, "InvalidAccessKeyId.Inactive"), (status, code)
            return False

    # Both replicas have the key cached (for 60 s) as active.
    assert all(works(c) for c in clients)
    pair.a.admin("key", "disable", ak)
    disabled_at = time.monotonic()
    stopped = until(lambda: not any(works(c) for c in clients), 1.0)
    elapsed = time.monotonic() - disabled_at
    assert stopped, f"the key still worked on a replica {elapsed:.2f} s after ccgate key disable"
    pair.a.admin("key", "enable", ak)
    assert until(lambda: all(works(c) for c in clients), 1.0)


def list_numbers(replica: Replica, ak: str, secret: str, instance_id: str) -> list[str]:
    client = client_2020(replica.endpoint, ak, secret)
    body = call_api(client, "ListPhoneNumbers", "2020-07-01",
                    {"InstanceId": instance_id, "PageNumber": "1", "PageSize": "100"})
    return [n["Number"] for n in body["Data"]["List"]]


def test_a_number_added_on_one_replica_is_listed_on_the_other_at_once(pair):
    before = list_numbers(pair.a, pair.ak, pair.secret, pair.instance_id)
    # The page is now cached on replica A for 60 s.
    assert list_numbers(pair.a, pair.ak, pair.secret, pair.instance_id) == before
    number = "0571" + str(uuid.uuid4().int)[:8]
    Sdk2017(pair.b.endpoint, pair.ak, pair.secret).call(
        "AddPhoneNumber", InstanceId=pair.instance_id, PhoneNumber=number, Usage="Inbound")
    added_at = time.monotonic()
    seen = until(lambda: number in list_numbers(pair.a, pair.ak, pair.secret, pair.instance_id), 1.0)
    assert seen, f"replica A still served its cached page {time.monotonic() - added_at:.2f} s later"


def test_rate_limits_hold_for_the_replicas_together(ccgate_binary, tmp_path):
    # 1 request/s with bursts of 3 per key: each replica alone would allow 3 at once, so
    # alternating between two would pass at least 6.
    limited = Pair(ccgate_binary, tmp_path, redis_url(),
                   CCGATE__LIMITS__REQUESTS_PER_KEY_PER_SECOND="1",
                   CCGATE__LIMITS__REQUEST_BURST_PER_KEY="3")
    try:
        ok, throttled = 0, 0
        started = time.monotonic()
        for i in range(12):
            replica = limited.replicas[i % 2]
            try:
                call_api(client_2020(replica.endpoint, limited.ak, limited.secret),
                         "ListContactFlows", "2020-07-01",
                         {"InstanceId": limited.instance_id, "PageNumber": "1", "PageSize": "10"})
                ok += 1
            except ThrottlingException:
                throttled += 1
        elapsed = time.monotonic() - started
        # The burst plus what the shared rate refilled meanwhile; never two bursts.
        assert ok <= 3 + math.ceil(elapsed), (ok, throttled, elapsed)
        assert ok < 6 and throttled == 12 - ok, (ok, throttled, elapsed)
    finally:
        limited.stop()


class PrivateRedis:
    """redis-server on a free loopback port, nothing on disk; stop() and start() again on the
    same port."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.fail("redis-server is not installed (Debian: redis-server)")
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}"
        self.proc = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert until(self._answers, 10), "redis-server did not start"

    def _answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        stop_process(self.proc, 10)


def test_a_redis_outage_refuses_signed_requests_until_it_is_back(ccgate_binary, tmp_path):
    redis = PrivateRedis(tmp_path)
    lone = Pair(ccgate_binary, tmp_path, redis.url)
    try:
        sdk = Sdk2017(lone.a.endpoint, lone.ak, lone.secret)
        assert sdk.call("ListContactFlows", InstanceId=lone.instance_id)["Success"] is True
        redis.stop()
        started = time.monotonic()
        with pytest.raises(Exception) as refused:
            sdk.call("ListContactFlows", InstanceId=lone.instance_id)
        status, code, _ = sdk_error(refused.value)
        assert (status, code) == (503, "ServiceUnavailable")
        assert time.monotonic() - started < 5, "the refusal took longer than the Redis timeout"
        ready = requests.get(f"{lone.a.base_url}/readyz", timeout=5)
        assert ready.status_code == 503 and "Redis" in ready.text, ready.text
        redis.start()
        assert until(lambda: _works(sdk, lone.instance_id), 10), "not served again after Redis came back"
    finally:
        lone.stop()
        redis.stop()


def _works(sdk: Sdk2017, instance_id: str) -> bool:
    try:
        return sdk.call("ListContactFlows", InstanceId=instance_id)["Success"] is True
    except Exception:  # noqa: BLE001 - still refused
        return False

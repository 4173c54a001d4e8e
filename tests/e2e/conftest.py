"""End-to-end fixtures: the real `ccgate` binary, driven by the official Alibaba Cloud SDKs.

One gateway per database backend per session (SQLite, PostgreSQL, MariaDB/MySQL), each on a
fresh database that is dropped at the end. Every test that uses the `gateway` fixture (directly
or through a client fixture) runs once per backend; its id ends in `[sqlite]`, `[postgres]` or
`[mysql]`.

Environment:
- `CCGATE_E2E_DATABASES`  backends to run, comma separated (default `sqlite,postgres,mysql`;
  also `--databases` on the pytest command line).
- `CCGATE_BIN`            the binary (default `target/debug/ccgate`; build it first with
  `cargo build -p ccgate`). It is copied into the session's temp dir so a concurrent rebuild
  cannot swap it mid-run.
- `CCGATE_E2E_POSTGRES`   maintenance database URL (default `postgres://postgres@127.0.0.1:5432/test`).
- `CCGATE_E2E_MYSQL`      server URL (default `mysql://root@127.0.0.1:3306`).
- `CCGATE_E2E_PLUGINS`    `builtin` (default) or `dynamic`: serve agents, flows, numbers and roles from their
  plugin libraries with the built-in copies disabled (`[plugins] enabled = []`,
  `[plugins] libraries = [...]`). Build the libraries first:
  `cargo rustc -p ccgate-flows --lib --crate-type cdylib --features dynamic` (same for
  `ccgate-numbers`), or `cargo xtask plugins`.
- `CCGATE_E2E_PLUGIN_DIR` where the libraries are (default `target/debug`).
- `CCGATE_E2E_REPLICAS`  `2`: the session's gateway is two `ccgate serve` replicas on one database,
  sharing the machine's Redis (`[cluster] redis_url`, `CCGATE_E2E_REDIS`, default
  `redis://127.0.0.1:6379`), behind nginx, which sends each request to the next replica in turn
  (`cargo xtask ci` runs the SDK modules that need no SIP phone this way on PostgreSQL).

Client factories (all official SDKs, nothing hand-signed):
- `Sdk2017`      family A: `aliyun-python-sdk-core` `AcsClient` + the typed
                 `aliyunsdkccc.request.v20170705.<Action>Request` classes (RPC signature v1).
- `client_2020`  family B: `alibabacloud_ccc20200701.client.Client`, ACS3-HMAC-SHA256 by default,
                 `signature="v2"` for RPC v1, or a Bearer token.
- `call_api`     the same tea client's generic `call_api`, for actions the 2020 SDK lacks
                 (e.g. the Bearer-only 2017 actions GetNumberRegionInfo and PickLocalNumber;
                 family A cannot send Bearer tokens).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import requests
from alibabacloud_ccc20200701 import models as models_2020
from alibabacloud_ccc20200701.client import Client as Client2020
from alibabacloud_tea_openapi import utils_models as open_api_util_models
from alibabacloud_tea_openapi.models import Config
from aliyunsdkcore.client import AcsClient
from darabonba.runtime import RuntimeOptions

REPO = Path(__file__).resolve().parents[2]
ALL_BACKENDS = ("sqlite", "postgres", "mysql")
ALIASES = {"mariadb": "mysql", "pg": "postgres", "postgresql": "postgres"}

START_TIMEOUT = 90  # seconds: a debug build migrating a fresh PostgreSQL/MariaDB database
# The gateway caches AccessKeys for [security] cache_ttl_secs; 1 s lets the disabled-key test
# observe `ccgate key disable` without waiting the default 30 s.
KEY_CACHE_TTL = 1


# --------------------------------------------------------------------------------------------
# backend selection
# --------------------------------------------------------------------------------------------


def pytest_addoption(parser):
    parser.addoption(
        "--databases",
        default=None,
        help="comma-separated backends: sqlite,postgres,mysql (env CCGATE_E2E_DATABASES)",
    )


def selected_backends(config) -> list[str]:
    raw = (
        config.getoption("--databases")
        or os.environ.get("CCGATE_E2E_DATABASES")
        or ",".join(ALL_BACKENDS)
    )
    out: list[str] = []
    for name in raw.split(","):
        name = ALIASES.get(name.strip().lower(), name.strip().lower())
        if not name:
            continue
        if name not in ALL_BACKENDS:
            raise pytest.UsageError(f"unknown database backend {name!r}; use {ALL_BACKENDS}")
        if name not in out:
            out.append(name)
    return out


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize(
            "backend", selected_backends(metafunc.config), indirect=True, scope="session"
        )


@pytest.fixture(scope="session")
def backend(request) -> str:
    return request.param


# --------------------------------------------------------------------------------------------
# databases
# --------------------------------------------------------------------------------------------


class Database:
    """A fresh database for one gateway; `url` is what ccgate gets, `drop()` removes it."""

    def __init__(self, kind: str, workdir: Path):
        self.kind = kind
        self.name = f"ccgate_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            self.url = f"sqlite://{workdir / 'ccgate.db'}?mode=rwc"
        elif kind == "postgres":
            maint = os.environ.get(
                "CCGATE_E2E_POSTGRES", "postgres://postgres@127.0.0.1:5432/test"
            )
            u = urlparse(maint)
            self._maint = maint.replace("postgres://", "postgresql://", 1)
            self.url = f"postgres://{u.netloc}/{self.name}"
        elif kind == "mysql":
            server = os.environ.get("CCGATE_E2E_MYSQL", "mysql://root@127.0.0.1:3306")
            u = urlparse(server)
            self._mysql = dict(
                host=u.hostname or "127.0.0.1",
                port=u.port or 3306,
                user=unquote(u.username or "root"),
                password=unquote(u.password or ""),
            )
            self.url = f"mysql://{u.netloc}/{self.name}"
        else:  # pragma: no cover - selected_backends() guards this
            raise ValueError(kind)

    def create(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self._maint, autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{self.name}"')
        elif self.kind == "mysql":
            import pymysql

            c = pymysql.connect(autocommit=True, **self._mysql)
            try:
                with c.cursor() as cur:
                    cur.execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")
            finally:
                c.close()

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(self._maint, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        elif self.kind == "mysql":
            import pymysql

            c = pymysql.connect(autocommit=True, **self._mysql)
            try:
                with c.cursor() as cur:
                    cur.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
            finally:
                c.close()


# --------------------------------------------------------------------------------------------
# the gateway process
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Tenant:
    """An account with one instance and one AccessKey pair."""

    gateway: "Gateway"
    account_id: str
    instance_id: str
    access_key_id: str
    access_key_secret: str
    _bearer: str | None = field(default=None, repr=False)

    @property
    def bearer_token(self) -> str:
        """A Bearer token for this tenant's AccessKey (`ccgate token issue`), issued once."""
        if self._bearer is None:
            self._bearer = self.gateway.issue_token(self.access_key_id)
        return self._bearer

    def sdk2017(self) -> "Sdk2017":
        return Sdk2017(self.gateway.endpoint, self.access_key_id, self.access_key_secret)

    def sdk2020(self, kind: str = "acs3") -> Client2020:
        """kind: `acs3` (tea default), `v2` (RPC signature v1) or `bearer`."""
        if kind == "bearer":
            return client_2020(self.gateway.endpoint, bearer_token=self.bearer_token)
        return client_2020(
            self.gateway.endpoint,
            self.access_key_id,
            self.access_key_secret,
            signature="v2" if kind == "v2" else None,
        )


@dataclass
class SipRig:
    """The gateway's `[telephony]`: its SIP port, and two trunks whose proxies are where the
    tests start their SIPp phones: numbers 1380… ring the "agent" phone, 1390… the "customer"
    phone; agents without a registered device are reached on the agent phone's port too
    (`telephony.agents.pbx`)."""

    config: Path
    port: int
    agent_port: int
    customer_port: int
    turn_port: int
    turn_secret: str
    AGENT_PREFIX = "1380"
    CUSTOMER_PREFIX = "1390"

    @classmethod
    def write(cls, workdir: Path, webhook_port: int, webhook_secret: str) -> "SipRig":
        """Also the demo instance's (`ccc-test`) call-event webhook: POSTed to
        `http://127.0.0.1:<webhook_port>/hooks` (tests/e2e/test_webhooks.py listens there)."""
        port, agent, customer = free_udp_port(), free_udp_port(), free_udp_port()
        # No phone may take these for its own SIP or media socket (tests/e2e/sipp.py).
        import_module("sipp").reserve(port, agent, customer)
        # The TURN server of tests/e2e/test_workbench.py (a real coturn it starts on this
        # port with this secret): GetTURNCredentials and GetTURNServerList answer it.
        turn_port, turn_secret = free_port(), "e2e-turn-" + uuid.uuid4().hex
        path = workdir / "telephony.toml"
        path.write_text(
            "[telephony]\n"
            f'listen_udp = "127.0.0.1:{port}"\n'
            "ring_timeout_seconds = 20\n"
            "[[telephony.trunks]]\n"
            'name = "agent-phones"\n'
            f'proxy = "127.0.0.1:{agent}"\n'
            f'prefixes = ["{cls.AGENT_PREFIX}"]\n'
            "[[telephony.trunks]]\n"
            'name = "customers"\n'
            f'proxy = "127.0.0.1:{customer}"\n'
            f'prefixes = ["{cls.CUSTOMER_PREFIX}"]\n'
            "[telephony.agents]\n"
            f'pbx = "127.0.0.1:{agent}"\n'
            '[plugins.calls.webhooks."ccc-test"]\n'
            f'url = "http://127.0.0.1:{webhook_port}/hooks"\n'
            f'secret = "{webhook_secret}"\n'
            "[plugins.workbench.turn]\n"
            f'secret = "{turn_secret}"\n'
            "[[plugins.workbench.turn.servers]]\n"
            'region = "local"\n'
            'name = "e2e coturn"\n'
            f'domain = "127.0.0.1:{turn_port}"\n'
            'cidr = "127.0.0.0/8"\n'
        )
        return cls(path, port, agent, customer, turn_port, turn_secret)


def stop_process(proc: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM (ccgate drains in-flight requests), then SIGKILL after `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """`ccgate serve` in its own temp dir, on its own database and port."""

    def __init__(self, binary: Path, workdir: Path, backend: str):
        self.backend = backend
        self.workdir = workdir
        self.binary = binary
        self.db = Database(backend, workdir)
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.endpoint}"
        self.env = dict(os.environ)
        self.env.pop("RUST_LOG", None)
        self.env.update(
            {
                "CCGATE__SERVER__BIND": self.endpoint,
                "CCGATE__DATABASE__URL": self.db.url,
                "CCGATE__SECURITY__MASTER_KEY_FILE": str(workdir / "master.key"),
                "CCGATE__SECURITY__CACHE_TTL_SECS": str(KEY_CACHE_TTL),
                "CCGATE__LOG__FORMAT": "json",
            }
        )
        # The demo instance's webhook receiver (tests/e2e/test_webhooks.py binds the port).
        self.webhook_port = free_port()
        self.webhook_secret = "e2e-webhook-" + uuid.uuid4().hex
        self.sip = SipRig.write(workdir, self.webhook_port, self.webhook_secret)
        self.env["CCGATE_CONFIG"] = str(self.sip.config)
        # Agents are ready again 1 s after a call (after-call work), so tests need not wait.
        self.env["CCGATE__PLUGINS__AGENTS__AFTER_CALL_WORK_SECONDS"] = "1"
        self.proc: subprocess.Popen | None = None
        self.stdout_path = workdir / "serve.stdout"
        self.stderr_path = workdir / "serve.stderr"
        self.demo: Tenant | None = None
        self._seq = itertools.count(1)

    # lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.db.create()
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        self._spawn()
        deadline = time.monotonic() + START_TIMEOUT
        creds = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"ccgate serve exited with {self.proc.returncode} on {self.backend}:\n"
                    + self.log_tail(60)
                )
            if creds is None:
                creds = self._parse_demo(self.stdout_path.read_text(errors="replace"))
            if creds is not None and self._ready():
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(
                f"ccgate serve not ready within {START_TIMEOUT}s on {self.backend}:\n"
                + self.log_tail(60)
            )
        instance_id, ak, secret = creds
        self.demo = Tenant(self, self.account_of(instance_id), instance_id, ak, secret)

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.binary), "serve"],
            cwd=self.workdir,
            env=self.env,
            stdout=self._out,
            stderr=self._err,
            stdin=subprocess.DEVNULL,
        )

    def restart(self) -> None:
        """Stops the process (SIGTERM) and starts a new one on the same database and port."""
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"ccgate did not restart on {self.backend}:\n" + self.log_tail(40))
            time.sleep(0.1)

    # replicas ---------------------------------------------------------------------------------

    def start_replica_pair(self) -> None:
        """Turns this gateway into two replicas behind nginx (`CCGATE_E2E_REPLICAS=2`): a second
        `ccgate serve` on the same database and Redis with its own HTTP and SIP ports, and nginx
        round-robin over both, one request to each in turn (keep-alive connections included).
        `endpoint`, `base_url` and `port` then name nginx; the SIP phones still talk to the
        first replica."""
        self.replicas = [self.endpoint]
        sip_b = free_udp_port()
        import_module("sipp").reserve(sip_b)
        config_b = self.workdir / "telephony-b.toml"
        config_b.write_text(
            self.sip.config.read_text().replace(
                f'listen_udp = "127.0.0.1:{self.sip.port}"', f'listen_udp = "127.0.0.1:{sip_b}"'
            )
        )
        port_b = free_port()
        env_b = {**self.env, "CCGATE__SERVER__BIND": f"127.0.0.1:{port_b}", "CCGATE_CONFIG": str(config_b)}
        self._out_b = open(self.workdir / "serve-b.stdout", "wb")
        self.proc_b = subprocess.Popen(
            [str(self.binary), "serve"], cwd=self.workdir, env=env_b,
            stdout=self._out_b, stderr=open(self.workdir / "serve-b.stderr", "wb"),
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.proc_b.poll() is None, (self.workdir / "serve-b.stderr").read_text()[-3000:]
            assert time.monotonic() < deadline, "replica B not ready"
            try:
                if requests.get(f"http://127.0.0.1:{port_b}/readyz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.replicas.append(f"127.0.0.1:{port_b}")
        self.nginx = Nginx(self.workdir / "nginx", self.replicas)
        self.port = self.nginx.port
        self.endpoint = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.endpoint}"

    def stop(self) -> None:
        if getattr(self, "nginx", None) is not None:
            self.nginx.stop()
        stop_process(getattr(self, "proc_b", None), 15)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for f in (getattr(self, "_out", None), getattr(self, "_err", None)):
            if f is not None:
                f.close()
        try:
            self.db.drop()
        except Exception as e:  # noqa: BLE001 - report, don't mask test results
            print(f"warning: could not drop {self.backend} database {self.db.name}: {e}")

    @staticmethod
    def _parse_demo(text: str):
        found = {}
        for key in ("InstanceId", "AccessKeyId", "AccessKeySecret"):
            m = re.search(rf"^\s*{key}:\s+(\S+)\s*$", text, re.M)
            if not m:
                return None
            found[key] = m.group(1)
        return found["InstanceId"], found["AccessKeyId"], found["AccessKeySecret"]

    def _ready(self) -> bool:
        try:
            return requests.get(f"{self.base_url}/readyz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def log_tail(self, lines: int = 40) -> str:
        out = []
        for p in (self.stderr_path,):
            if p.exists():
                text = p.read_text(errors="replace").splitlines()
                out.append(f"--- {p.name} ---")
                out.extend(text[-lines:])
        return "\n".join(out)

    # admin CLI ------------------------------------------------------------------------------

    def admin(self, *args: str) -> str:
        """Runs `ccgate <args>` against this gateway's database; returns stdout."""
        r = subprocess.run(
            [str(self.binary), *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if r.returncode != 0:
            raise RuntimeError(
                f"ccgate {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
            )
        return r.stdout

    def account_of(self, instance_id: str) -> str:
        for line in self.admin("instance", "list").splitlines():
            parts = line.split("\t")
            if parts and parts[0] == instance_id:
                return parts[1]
        raise RuntimeError(f"instance {instance_id} not listed by `ccgate instance list`")

    def create_account(self, name: str) -> str:
        return self.admin("account", "create", "--name", name).strip()

    def create_instance(self, account_id: str, instance_id: str | None = None) -> str:
        instance_id = instance_id or self.unique("e2e-inst")
        out = self.admin("instance", "create", "--account", account_id, "--id", instance_id)
        assert out.strip() == instance_id
        return instance_id

    def create_key(self, account_id: str) -> tuple[str, str]:
        out = self.admin("key", "create", "--account", account_id)
        kv = dict(line.split("=", 1) for line in out.strip().splitlines() if "=" in line)
        return kv["AccessKeyId"], kv["AccessKeySecret"]

    def issue_token(self, access_key_id: str, role: str | None = None) -> str:
        args = ["token", "issue", "--access-key-id", access_key_id]
        if role:
            args += ["--role", role, "--subject", f"{role}@{self.unique('user')}"]
        return self.admin(*args).strip()

    def create_tenant(self, name: str | None = None) -> Tenant:
        name = name or self.unique("tenant")
        account = self.create_account(name)
        instance = self.create_instance(account)
        ak, secret = self.create_key(account)
        return Tenant(self, account, instance, ak, secret)

    def unique(self, prefix: str) -> str:
        return f"{prefix}-{next(self._seq)}-{uuid.uuid4().hex[:6]}"


def redis_url() -> str:
    """The Redis the cluster tests share (the machine's, by default)."""
    return os.environ.get("CCGATE_E2E_REDIS", "redis://127.0.0.1:6379")


def replica_count() -> int:
    n = os.environ.get("CCGATE_E2E_REPLICAS", "1")
    if n not in ("1", "2"):
        pytest.exit(f"CCGATE_E2E_REPLICAS must be 1 or 2, not {n!r}", returncode=2)
    return int(n)


class Nginx:
    """nginx (Debian `nginx-light`) on a free loopback port, round-robin over `upstreams`
    (`host:port`), passing the client's Host header (ACS3 signs it) and never retrying a
    request on another replica."""

    def __init__(self, workdir: Path, upstreams: list[str]):
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            pytest.fail("nginx is not installed (Debian: nginx-light)")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        servers = "\n".join(f"    server {u} max_fails=0;" for u in upstreams)
        user = "user root;\n" if os.geteuid() == 0 else ""
        conf = workdir / "nginx.conf"
        conf.write_text(
            f"{user}worker_processes 1;\ndaemon off;\npid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/error.log warn;\nevents {{ worker_connections 1024; }}\n"
            "http {\n  access_log off;\n  large_client_header_buffers 8 1m;\n"
            f"  client_body_temp_path {workdir}/body;\n  proxy_temp_path {workdir}/proxy;\n"
            f"  fastcgi_temp_path {workdir}/fcgi;\n  uwsgi_temp_path {workdir}/uwsgi;\n"
            f"  scgi_temp_path {workdir}/scgi;\n"
            f"  upstream ccgate {{\n{servers}\n    keepalive 32;\n  }}\n"
            f"  server {{\n    listen 127.0.0.1:{self.port};\n    client_max_body_size 64m;\n"
            "    location / {\n      proxy_pass http://ccgate;\n      proxy_http_version 1.1;\n"
            '      proxy_set_header Connection "";\n      proxy_set_header Host $http_host;\n'
            "      proxy_next_upstream off;\n      proxy_buffering off;\n"
            "      proxy_read_timeout 120s;\n    }\n  }\n}\n"
        )
        self.proc = subprocess.Popen([binary, "-c", str(conf), "-p", str(workdir)],
                                     stdout=subprocess.DEVNULL, stderr=open(workdir / "stderr", "wb"))
        deadline = time.monotonic() + 10
        while True:
            assert self.proc.poll() is None, (workdir / "stderr").read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        stop_process(self.proc, 10)


def clean_env(workdir: Path, **overrides: str) -> dict:
    """The environment of a gateway of its own: a fresh SQLite database and master key under
    `workdir`, no inherited CCGATE settings, JSON logs; `overrides` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCGATE")}
    env.update({
        "CCGATE__DATABASE__URL": f"sqlite://{workdir / 'ccgate.db'}?mode=rwc",
        "CCGATE__SECURITY__MASTER_KEY_FILE": str(workdir / "master.key"),
        "CCGATE__LOG__FORMAT": "json",
    })
    env.update(overrides)
    return env


class SoloGateway:
    """`ccgate serve` of its own (not the session's), for tests that need other settings or
    break its database: started with `env`, ready once it printed the demo credentials."""

    def __init__(self, binary: Path, workdir: Path, env: dict):
        self.port = free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.env = {**env, "CCGATE__SERVER__BIND": self.endpoint}
        self.workdir = workdir
        self.binary = binary
        self.out = workdir / "solo.out"
        self._f = open(self.out, "wb")
        self.proc = subprocess.Popen([str(binary), "serve"], cwd=workdir, env=self.env,
                                     stdout=self._f, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        creds = None
        while creds is None:
            assert self.proc.poll() is None, "ccgate serve exited"
            assert time.monotonic() < deadline, "ccgate not ready"
            creds = Gateway._parse_demo(self.out.read_text(errors="replace"))
            time.sleep(0.1)
        self.instance_id, self.access_key_id, self.access_key_secret = creds

    def admin(self, *args: str) -> str:
        r = subprocess.run([str(self.binary), *args], cwd=self.workdir, env=self.env,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def stop(self) -> None:
        stop_process(self.proc, 30)
        self._f.close()


@pytest.fixture(scope="session")
def ccgate_binary(tmp_path_factory) -> Path:
    raw = os.environ.get("CCGATE_BIN", "target/debug/ccgate")
    path = Path(raw)
    if not path.is_absolute():
        path = (Path.cwd() / path) if (Path.cwd() / path).exists() else (REPO / path)
    if not path.exists():
        pytest.exit(
            f"ccgate binary not found at {path}; run `cargo build -p ccgate` first "
            "(or set CCGATE_BIN)",
            returncode=2,
        )
    copy = tmp_path_factory.mktemp("bin") / "ccgate"
    shutil.copy2(path, copy)
    return copy


DYNAMIC_PLUGINS = ("agents", "calls", "device-diagnostics", "flows", "numbers", "roles",
                   "workbench")


def plugin_mode() -> str:
    mode = os.environ.get("CCGATE_E2E_PLUGINS", "builtin")
    if mode not in ("builtin", "dynamic"):
        pytest.exit(f"CCGATE_E2E_PLUGINS must be builtin or dynamic, not {mode!r}", returncode=2)
    return mode


@pytest.fixture(scope="session")
def plugin_libraries(tmp_path_factory) -> list[Path]:
    """In dynamic mode, the libraries of every plugin crate, copied like the binary."""
    if plugin_mode() != "dynamic":
        return []
    raw = Path(os.environ.get("CCGATE_E2E_PLUGIN_DIR", "target/debug"))
    src = raw if raw.is_absolute() else REPO / raw
    dest = tmp_path_factory.mktemp("plugins")
    out = []
    for name in DYNAMIC_PLUGINS:
        lib = src / f"libccgate_{name.replace('-', '_')}.so"
        if not lib.exists():
            pytest.exit(
                f"plugin library {lib} not found; build it with `cargo rustc -p ccgate-{name} "
                "--lib --crate-type cdylib --features dynamic` (or set CCGATE_E2E_PLUGIN_DIR)",
                returncode=2,
            )
        shutil.copy2(lib, dest / lib.name)
        out.append(dest / lib.name)
    return out


@pytest.fixture(scope="session")
def gateway(backend, ccgate_binary, plugin_libraries, tmp_path_factory) -> Gateway:
    gw = Gateway(ccgate_binary, tmp_path_factory.mktemp(f"gw-{backend}"), backend)
    replicas = replica_count()
    if replicas == 2:
        # Replicas must share their nonces, caches and rate limits; a prefix of its own keeps
        # this session's keys apart from any other user of the Redis.
        gw.env["CCGATE__CLUSTER__REDIS_URL"] = redis_url()
        gw.env["CCGATE__CLUSTER__KEY_PREFIX"] = "ccgate-e2e-" + uuid.uuid4().hex[:8]
    if plugin_libraries:
        gw.env["CCGATE__PLUGINS__ENABLED"] = ""
        gw.env["CCGATE__PLUGINS__LIBRARIES"] = ",".join(str(p) for p in plugin_libraries)
    try:
        gw.start()
        if replicas == 2:
            gw.start_replica_pair()
    except Exception:
        gw.stop()
        raise
    if plugin_libraries:
        # The domains really come from the libraries (`ccgate plugins` loads them as `serve` did).
        listed = gw.admin("plugins")
        for name, lib in zip(DYNAMIC_PLUGINS, plugin_libraries):
            assert re.search(rf"^{name}\s+dynamic\s+\S+\s+{re.escape(str(lib))}$", listed, re.M), listed
    yield gw
    gw.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        gw = item.funcargs.get("gateway") if hasattr(item, "funcargs") else None
        if gw is None:
            for v in getattr(item, "funcargs", {}).values():
                gw = getattr(v, "gateway", None)
                if isinstance(gw, Gateway):
                    break
                gw = None
        if isinstance(gw, Gateway):
            report.sections.append((f"ccgate log tail ({gw.backend})", gw.log_tail(15)))


# --------------------------------------------------------------------------------------------
# tenants, instances, numbers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def demo(gateway) -> Tenant:
    """The account, instance (`ccc-test`) and AccessKey `ccgate serve` printed on first start."""
    return gateway.demo


@pytest.fixture
def instance(gateway, demo) -> str:
    """A fresh instance of the demo account (so counts and lists start from a known state:
    only the default flow that every new instance gets)."""
    return gateway.create_instance(demo.account_id)


@pytest.fixture(scope="session")
def other(gateway) -> Tenant:
    """A second account (tenant B) with its own instance and AccessKey."""
    return gateway.create_tenant("tenant-b")


class NumberFactory:
    """Unique phone numbers within a session, under real Chinese area codes so region
    attribution is known: 010 北京, 021 上海, 0571 杭州, 0591 福州, 0592 厦门."""

    AREA = {"北京": "010", "上海": "021", "杭州": "0571", "福州": "0591", "厦门": "0592"}

    def __init__(self):
        self._seq = itertools.count(1)

    def __call__(self, city: str = "杭州") -> str:
        n = next(self._seq)
        return f"{self.AREA[city]}{(uuid.uuid4().int % 100) :02d}{n:06d}"


@pytest.fixture(scope="session")
def new_number(gateway) -> NumberFactory:
    return NumberFactory()


# --------------------------------------------------------------------------------------------
# SDK clients
# --------------------------------------------------------------------------------------------


class Sdk2017:
    """Family A: `AcsClient` + typed 2017-07-05 request classes from aliyun-python-sdk-ccc."""

    def __init__(self, endpoint: str, ak: str, secret: str, region: str = "cn-hangzhou"):
        self.endpoint = endpoint
        self.client = AcsClient(ak, secret, region)

    def request(self, action: str, **params):
        cls = getattr(
            import_module(f"aliyunsdkccc.request.v20170705.{action}Request"), f"{action}Request"
        )
        req = cls()
        req.set_endpoint(self.endpoint)
        for name, value in params.items():
            getattr(req, f"set_{name}")(value)
        return req

    def call(self, action: str, **params) -> dict:
        """Sends the typed request with `do_action_with_exception`; returns the parsed JSON.
        Raises `aliyunsdkcore.acs_exception.exceptions.ServerException` on errors."""
        raw = self.client.do_action_with_exception(self.request(action, **params))
        return json.loads(raw)


def client_2020(
    endpoint: str,
    ak: str | None = None,
    secret: str | None = None,
    *,
    signature: str | None = None,
    bearer_token: str | None = None,
) -> Client2020:
    """Family B: the generated 2020-07-01 client (tea OpenApi)."""
    kw = dict(endpoint=endpoint, protocol="http")
    if bearer_token is not None:
        kw["bearer_token"] = bearer_token
    else:
        kw.update(access_key_id=ak, access_key_secret=secret)
    if signature:
        kw["signature_algorithm"] = signature
    return Client2020(Config(**kw))


def call_api(
    client: Client2020,
    action: str,
    version: str,
    query: dict | None = None,
    *,
    body: dict | None = None,
    method: str = "POST",
) -> dict:
    """The tea client's generic `call_api` (RPC style, like the generated calls); `body`
    parameters go in a form body as the generated calls of 26 actions do. Returns the parsed
    JSON body. Raises the SDK's ClientException / ServerException on errors."""
    q = {k: v for k, v in (query or {}).items() if v is not None}
    req = open_api_util_models.OpenApiRequest(query=q)
    if body:
        req.body = body
    params = open_api_util_models.Params(
        action=action,
        version=version,
        protocol="HTTP",
        pathname="/",
        method=method,
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    resp = client.call_api(params, req, RuntimeOptions())
    assert resp["statusCode"] == 200, resp
    return resp["body"]


@pytest.fixture
def a2017(demo) -> Sdk2017:
    """Family A with the demo AccessKey."""
    return demo.sdk2017()


@pytest.fixture(params=["acs3", "v2", "bearer"])
def b2020_any(request, demo) -> Client2020:
    """Family B with each credential kind in turn: ACS3, signature v1 (`'v2'`), Bearer."""
    return demo.sdk2020(request.param)


@pytest.fixture
def b2020(demo) -> Client2020:
    """Family B, default ACS3-HMAC-SHA256 signature, demo AccessKey."""
    return demo.sdk2020("acs3")


@pytest.fixture
def bearer_client(demo) -> Client2020:
    """A tea client carrying a Bearer token of the demo account (for `call_api`)."""
    return demo.sdk2020("bearer")


@pytest.fixture(scope="session")
def m2020():
    """The 2020-07-01 request/response models module."""
    return models_2020


# --------------------------------------------------------------------------------------------
# assertion helpers
# --------------------------------------------------------------------------------------------


def sdk_error(exc) -> tuple[int, str, str]:
    """(HTTP status, Code, message) of an exception raised by either SDK family."""
    from aliyunsdkcore.acs_exception.exceptions import ServerException as AServerException

    if isinstance(exc, AServerException):
        return exc.get_http_status(), exc.get_error_code(), exc.get_error_msg()
    # tea: alibabacloud_tea_openapi.exceptions.{ClientException,ServerException,...}
    return getattr(exc, "status_code", None), getattr(exc, "code", None), str(exc)


@pytest.fixture(scope="session")
def expect_error():
    """`expect_error(fn, status, code)` calls fn, asserts the SDK raised that status and Code,
    and returns the message."""

    def check(fn, status: int, code: str) -> str:
        try:
            result = fn()
        except Exception as e:  # noqa: BLE001 - we inspect the SDK's exception
            got = sdk_error(e)
            assert (got[0], got[1]) == (status, code), f"{type(e).__name__}: {e}"
            return got[2]
        raise AssertionError(f"expected {status} {code}, got success: {result!r}")

    return check


# --------------------------------------------------------------------------------------------
# end-of-run summary
# --------------------------------------------------------------------------------------------

E2E_SUMMARY = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def e2e_summary(request) -> list:
    """Lines a test module wants printed at the end of the run (e.g. test_hostile.py's
    per-action counts); pytest shows them in an `e2e summary` section."""
    return request.config.stash.setdefault(E2E_SUMMARY, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = config.stash.get(E2E_SUMMARY, None)
    if lines:
        terminalreporter.write_sep("=", "e2e summary")
        for line in lines:
            terminalreporter.write_line(line)

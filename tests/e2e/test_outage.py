"""A database outage as an operator meets it (issue 15, "Failure modes an operator can read"):
ccgate on its own PostgreSQL, which the test starts, stops and starts again.

While the database is down, requests answer 503 `ServiceUnavailable` in the Alibaba envelope
after `[database] acquire_timeout_ms` (1 s by default) instead of hanging, and /readyz says why;
once it is back, requests succeed again without restarting ccgate.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests

from conftest import Sdk2017, SoloGateway, clean_env, free_port, sdk_error


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL's initdb is not installed (Debian: postgresql)")


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port (trust authentication), run as
    the `postgres` user when the tests run as root (PostgreSQL refuses root)."""

    def __init__(self, workdir: Path):
        self.bin = _pg_bin()
        self.data = workdir / "pgdata"
        self.sock = workdir / "pgsock"
        self.log = workdir / "pg.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"{' '.join(cmd)}:\n{r.stdout}\n{r.stderr}"

    def init(self) -> None:
        for d in (self.data.parent, self.sock):
            d.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            for p in (self.data.parent, self.sock):
                shutil.chown(p, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o",
                  f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def create_db(self, name: str) -> None:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)


@pytest.fixture
def outage_rig(ccgate_binary, tmp_path):
    # Outside pytest's tree, whose parents only root may enter: the postgres user must reach it.
    work = Path(tempfile.mkdtemp(prefix="ccgate-outage-"))
    work.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
    pg = PrivatePostgres(work)
    pg.init()
    pg.start()
    pg.create_db("ccgate")
    solo = None
    try:
        solo = SoloGateway(ccgate_binary, tmp_path, clean_env(
            tmp_path,
            CCGATE__DATABASE__URL=f"postgres://postgres@127.0.0.1:{pg.port}/ccgate"))
        yield pg, solo.endpoint, (solo.instance_id, solo.access_key_id, solo.access_key_secret)
    finally:
        if solo is not None:
            solo.stop()
        try:
            pg.stop()
        except AssertionError:
            pass  # already stopped
        shutil.rmtree(work, ignore_errors=True)


def list_numbers(sdk, instance) -> dict:
    return sdk.call("ListPhoneNumbers", InstanceId=instance, OutboundOnly=False)


def test_a_database_outage_answers_503_quickly_and_service_resumes(outage_rig):
    pg, endpoint, (instance, ak, secret) = outage_rig
    sdk = Sdk2017(endpoint, ak, secret)
    # 2017 ListPhoneNumbers reads the database on every call; ListContactFlows would be served
    # from the flows plugin's list cache for up to its TTL (1 s), outage or not.
    body = list_numbers(sdk, instance)
    assert body["Success"] is True
    assert requests.get(f"http://{endpoint}/readyz", timeout=5).status_code == 200

    pg.stop()
    # The key cache may still hold the AccessKey; either way the request needs the database.
    started = time.monotonic()
    with pytest.raises(Exception) as failed:
        list_numbers(sdk, instance)
    took = time.monotonic() - started
    assert sdk_error(failed.value)[:2] == (503, "ServiceUnavailable"), failed.value
    # Bounded by acquire_timeout_ms (1 s) rather than hanging; generous for a loaded machine.
    assert took < 5, f"the refusal took {took:.1f} s"
    ready = requests.get(f"http://{endpoint}/readyz", timeout=10)
    assert ready.status_code == 503 and "database unreachable" in ready.text, ready.text

    pg.start()
    deadline = time.monotonic() + 30
    while True:
        try:
            if list_numbers(sdk, instance)["Success"] is True:
                break
        except Exception as e:  # noqa: BLE001 - still reconnecting
            assert sdk_error(e)[:2] == (503, "ServiceUnavailable"), e
        assert time.monotonic() < deadline, "service did not resume after the database came back"
        time.sleep(0.5)
    assert requests.get(f"http://{endpoint}/readyz", timeout=5).status_code == 200

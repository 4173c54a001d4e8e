"""The README's worked example "Place a real call", run as written against the test gateway.

How the example is found: in README.md, each block of the example is the fenced block right after
an HTML comment `<!-- readme-calls:NAME -->` (NAME: install, config, serve, phones, pip,
python). Moving, renaming or dropping a marker fails this test rather than skipping a block.

What is rewritten, and nothing else:
- addresses and ports: `127.0.0.1:5060` (ccgate's SIP) -> the gateway's `SipRig.port`,
  5071 / 5072 (the phones, the trunks' proxies) -> `SipRig.agent_port` / `customer_port`,
  `127.0.0.1:8080` -> the gateway's HTTP endpoint, the phones' `-mp` media ports -> free ports;
- the demo placeholders: `"LTAI..."` / `"<secret>"` -> the demo AccessKey pair, `"ccc-test"` ->
  a fresh instance of the demo account (the `instance` fixture, so the example's number does not
  land in the demo instance other tests list);
- the `ccgate` CLI: the commands run in a scratch directory where `target/release/ccgate` is a
  link to the test binary and `tests/` a link to the checkout's, with the gateway's environment
  (its database and master key), so `target/release/ccgate token issue ...` and
  `tests/sipp/mkphone.sh ...` run unchanged.

Every phone command is compared token by token with what the test runs: they may differ only in
the rewritten port numbers. The config block is checked against the gateway's `[telephony]`
(`SipRig`: same listen address, trunk prefixes and proxies, agents' PBX after the rewrite) and
loaded by the binary (`ccgate --config FILE plugins`: unknown keys stop it). The gateway itself runs
`ccgate serve` with `CCGATE_CONFIG` = that config, as the README's serve line does. The pip line
must pin the versions of tests/e2e/requirements.txt (the ones this test runs with). Then: both
SIPp phones exit 0 and the snippet prints a record released with a 200.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
import tomllib

from conftest import REPO
from sipp import _can_bind, ensure_sipp, free_rtp_port

README = REPO / "README.md"
MARKER = re.compile(r"^<!-- readme-calls:(\w+) -->\n```(\w*)\n(.*?)^```$", re.M | re.S)
SECTION = "### Place a real call"


def readme_blocks() -> dict[str, tuple[str, str]]:
    """{NAME: (language, text)} of the marked blocks of the "Place a real call" section."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n### ", start + len(SECTION))
    section = text[start:end]
    blocks: dict[str, tuple[str, str]] = {}
    for m in MARKER.finditer(section):
        assert m.group(1) not in blocks, f"marker readme-calls:{m.group(1)} appears twice"
        blocks[m.group(1)] = (m.group(2), m.group(3))
    # Every marker of the section is followed by a fenced block (none silently skipped).
    assert section.count("<!-- readme-calls:") == len(blocks), section
    assert set(blocks) == {"install", "config", "serve", "phones", "pip", "python"}, sorted(blocks)
    return blocks


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"expected {old!r} exactly once in:\n{text}"
    return text.replace(old, new)


def test_readme_first_lines_are_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[4] == "    cargo run --release -p ccgate -- serve", lines[:10]
    assert lines[8] == "    cargo xtask ci", lines[:10]


def test_readme_place_a_real_call_runs_as_written(gateway, demo, instance, tmp_path):
    ensure_sipp()
    blocks = readme_blocks()
    sip = gateway.sip

    # (a) SIPp from Debian's package.
    assert re.fullmatch(r"apt-get update && apt-get install -y sip-tester python3-venv\n?",
                        blocks["install"][1]), blocks["install"]

    # (b) the [telephony] config: what the gateway runs, up to the rewritten ports.
    lang, config = blocks["config"]
    assert lang == "toml"
    config = replace_once(config, '"127.0.0.1:5060"', f'"127.0.0.1:{sip.port}"')
    config = config.replace('"127.0.0.1:5071"', f'"127.0.0.1:{sip.agent_port}"')
    config = config.replace('"127.0.0.1:5072"', f'"127.0.0.1:{sip.customer_port}"')
    ours = tomllib.loads(config)["telephony"]
    theirs = tomllib.loads(sip.config.read_text())["telephony"]
    assert set(ours) <= {"listen_udp", "trunks", "agents"}, ours
    assert ours["listen_udp"] == theirs["listen_udp"]
    trunks = lambda t: sorted((tuple(x["prefixes"]), x["proxy"]) for x in t["trunks"])  # noqa: E731
    assert trunks(ours) == trunks(theirs) == sorted(
        [(("1380",), f"127.0.0.1:{sip.agent_port}"), (("1390",), f"127.0.0.1:{sip.customer_port}")])
    assert ours["agents"] == theirs["agents"] == {"pbx": f"127.0.0.1:{sip.agent_port}"}
    config_file = tmp_path / "calls.toml"
    config_file.write_text(config)
    r = subprocess.run([str(gateway.binary), "--config", str(config_file), "plugins"], env=gateway.env,
                       cwd=gateway.workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and re.search(r"^calls\s", r.stdout, re.M), r.stdout + r.stderr

    # (c) ccgate serve with that config: the gateway runs `serve` with CCGATE_CONFIG = its own.
    assert blocks["serve"][1].strip() == "CCGATE_CONFIG=calls.toml cargo run --release -p ccgate -- serve"
    assert gateway.env["CCGATE_CONFIG"] == str(sip.config)

    # The scratch directory the README's commands run in.
    work = tmp_path / "checkout"
    (work / "target" / "release").mkdir(parents=True)
    (work / "target" / "release" / "ccgate").symlink_to(gateway.binary)
    (work / "tests").symlink_to(REPO / "tests")

    # (d) the phones: mkphone.sh as written, sipp with only its ports rewritten.
    lines = [ln for ln in blocks["phones"][1].splitlines() if ln.strip()]
    assert len(lines) == 4, lines
    ports = {"5071": str(sip.agent_port), "5072": str(sip.customer_port)}
    phones = []
    for mk, run in ((lines[0], lines[1]), (lines[2], lines[3])):
        assert re.fullmatch(r"tests/sipp/mkphone\.sh \d+ \d+ > \w+\.xml", mk), mk
        r = subprocess.run(mk, shell=True, cwd=work, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        command, sep, echo = run.partition("; ")
        assert sep and re.fullmatch(r'echo "\w+ exit \$\?"', echo), run
        argv = shlex.split(command)
        rewritten = list(argv)
        rtp = free_rtp_port(int(ports[argv[argv.index("-p") + 1]]))
        rewritten[argv.index("-p") + 1] = ports[argv[argv.index("-p") + 1]]
        rewritten[argv.index("-mp") + 1] = str(rtp)
        # Only the port numbers differ from the README's command.
        diff = [(a, b) for a, b in zip(argv, rewritten) if a != b]
        assert len(argv) == len(rewritten) and [a for a, _ in diff] == [
            argv[argv.index("-p") + 1], argv[argv.index("-mp") + 1]], diff
        assert argv[:3] == ["sipp", "-sf", mk.split("> ")[1]], argv
        phones.append((argv[argv.index("who") + 1], rewritten, rtp))
    # The agent's phone is the 1380 trunk's proxy, the customer's the 1390 trunk's.
    assert [(who, cmd[cmd.index("-p") + 1]) for who, cmd, _ in phones] == [
        ("agent", str(sip.agent_port)), ("customer", str(sip.customer_port))], phones
    # As the prose says: agent rings 0.5 s and waits; customer rings 1 s, hangs up after 5 s.
    assert lines[0] == "tests/sipp/mkphone.sh 500 60000 > agent.xml", lines[0]
    assert lines[2] == "tests/sipp/mkphone.sh 1000 5000 > customer.xml", lines[2]

    # (e) the SDK snippet: pinned as the e2e suite's own SDKs.
    pins = dict(re.findall(r"^([\w-]+)==([\w.]+)", (REPO / "tests/e2e/requirements.txt").read_text(), re.M))
    pip = blocks["pip"][1].splitlines()
    install = shlex.split(pip[1])
    assert install[:2] == ["sdk/bin/pip", "install"], pip
    wanted = {"alibabacloud-ccc20200701", "alibabacloud-tea-openapi", "aliyun-python-sdk-core",
              "aliyun-python-sdk-ccc"}
    assert dict(a.split("==") for a in install[2:]) == {k: pins[k] for k in wanted}, install
    assert pip[0] == "python3 -m venv sdk" and pip[2] == "sdk/bin/python call.py", pip

    lang, code = blocks["python"]
    assert lang == "python"
    code = replace_once(code, '"127.0.0.1:8080"', f'"{gateway.endpoint}"')
    code = replace_once(code, '"ccc-test"', f'"{instance}"')
    code = replace_once(code, '"LTAI..."', f'"{demo.access_key_id}"')
    code = replace_once(code, '"<secret>"', f'"{demo.access_key_secret}"')
    script = work / "call.py"
    script.write_text(code)

    procs = []
    try:
        for who, cmd, _ in phones:
            out = open(work / f"{who}.stdout", "wb")
            procs.append((who, subprocess.Popen(cmd, cwd=work, stdin=subprocess.DEVNULL, stdout=out,
                                                stderr=subprocess.STDOUT), out))
        for who, cmd, _ in phones:  # both phones listen before the call is placed
            port = int(cmd[cmd.index("-p") + 1])
            deadline = time.monotonic() + 10
            while _can_bind(port, socket.SOCK_DGRAM):
                assert time.monotonic() < deadline, f"{who} phone did not bind {port}"
                time.sleep(0.02)
        run = subprocess.run([sys.executable, "call.py"], cwd=work, env=gateway.env, capture_output=True,
                             text=True, timeout=90)
        logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}"
                         for p in sorted(work.glob("*.log")))
        assert run.returncode == 0, f"call.py failed:\n{run.stdout}\n{run.stderr}\n{logs}"
        rcs = {}
        for who, proc, _ in procs:
            try:
                rcs[who] = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                rcs[who] = "still running"
    finally:
        for _, proc, out in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in sorted(work.glob("*.log")))
    print(run.stdout)
    print(logs)
    assert rcs == {"agent": 0, "customer": 0}, f"{rcs}\n{logs}"

    # What the README says the output looks like: the task id, then the record.
    out = run.stdout.splitlines()
    assert re.fullmatch(r"TaskId \d{18}", out[0]), run.stdout
    assert re.fullmatch(r"Back2Back 13800000001 -> 13900000001 \| released by callee \| 200-.*", out[1]), run.stdout
    # The README shows this very line of a real run (the rest of its sample is times and ids).
    section = README.read_text(encoding="utf-8").split(SECTION, 1)[1]
    assert f"\n    {out[1]}\n" in section, out[1]
    events = [ln.split()[1] for ln in out[2:]]
    assert events[:3] == ["Dial", "Ring", "Talk"] and events[-1] == "End", run.stdout
    # Media went phone to phone: each got the other's media port (RFC 3725 Flow IV).
    agent_rtp, customer_rtp = phones[0][2], phones[1][2]
    agent_log = (work / "agent.log").read_text(errors="replace")
    customer_log = (work / "customer.log").read_text(errors="replace")
    assert f"re-INVITE received, offer: m=audio {customer_rtp}" in agent_log, agent_log
    assert f"SDP in ACK: m=audio {agent_rtp}" in customer_log, customer_log

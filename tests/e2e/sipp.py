"""SIPp "phones" for end-to-end tests (the Python twin of crates/telephony/tests/support/sipp.rs).

Each `Phone` is one `sipp` process on its own loopback port playing a scenario of `tests/sipp/`
(see tests/sipp/README.md). Point ccgate at `phone.uri`, place the call through the SDK, then
`phone.wait()` for SIPp's exit code (0 = the call followed the script) and assert on
`phone.log_lines()` / `phone.messages()`.

    from sipp import Phone, PhoneSpec
    with Phone.start(PhoneSpec("uas", who="agent", ring_ms=500, talk_ms=3000)) as agent:
        ...  # StartBack2BackCall to agent.uri
        assert agent.wait(20) == 0, agent.report()
        assert agent.logged(f"SDP in ACK: m=audio {customer.rtp_port}")

Raises `SippMissing` (a RuntimeError, so the test fails rather than skips) if `sipp` is not
installed: `apt-get install -y --no-install-recommends sip-tester`.
"""

from __future__ import annotations

import errno
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SIPP_DIR = Path(os.environ.get("CCGATE_SIPP_DIR", Path(__file__).resolve().parent.parent / "sipp"))

KILLED_ON_TIMEOUT = -1
SIPP_GLOBAL_TIMEOUT = 97

# scenario name -> (file in tests/sipp, default -m)
SCENARIOS = {
    "uas": ("phone_uas.xml.in", 1),
    "busy": ("phone_busy.xml.in", 1),
    "noanswer": ("phone_noanswer.xml", 1),
    "reject488": ("phone_reject488.xml", 2),  # the Flow III retry is a second SIPp call
    "lost_ack": ("phone_lost_ack.xml.in", 1),
    "auth401": ("phone_auth401.xml", 1),
    "register": ("phone_register.xml", 1),  # needs registrar=(host, port); -oocsf answer added
}


class SippMissing(RuntimeError):
    pass


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _can_bind(port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as s:
        if kind == socket.SOCK_STREAM:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return False
            raise


# Fixed ports other processes are configured to use (ccgate's SIP port and its trunks' phone
# ports, `reserve`) but that nobody holds between calls: a free port the OS hands out may be one
# of them. A phone's own SIP and media ports never are (CI once lost a test to an agent phone
# whose media socket sat on the customer phone's fixed port: errno 98).
RESERVED: set[int] = set()


def reserve(*ports: int) -> None:
    """Keeps `ports` out of the SIP and media ports handed to phones that do not ask for them."""
    RESERVED.update(ports)


def _wait_free(port: int, kind: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not _can_bind(port, kind):
        if time.monotonic() > deadline:
            raise RuntimeError(f"port {port} is still held by another process after {timeout}s")
        time.sleep(0.05)


def free_sip_port(transport: str = "udp") -> int:
    for _ in range(50):
        p = free_udp_port()
        if p not in RESERVED and (transport == "udp" or _can_bind(p, socket.SOCK_STREAM)):
            return p
    raise RuntimeError("no free loopback port for SIPp")


def free_rtp_port(not_port: int = 0) -> int:
    # SIPp's media takes -mp and the ports above it (RTCP, and video at +2/+3).
    for _ in range(200):
        p = free_udp_port() & ~1
        if (p > 1024 and p not in (not_port, not_port - 1)
                and not RESERVED.intersection(range(p, p + 4))
                and _can_bind(p, socket.SOCK_DGRAM) and _can_bind(p + 1, socket.SOCK_DGRAM)):
            return p
    raise RuntimeError("no free even RTP port pair on 127.0.0.1")


def ensure_sipp() -> str:
    path = shutil.which("sipp")
    if not path:
        raise SippMissing(
            "`sipp` is not installed or not on PATH: the SIP tests need SIPp 3.6 "
            "(Debian/Ubuntu: apt-get install -y --no-install-recommends sip-tester)"
        )
    return path


def render(template: Path, out: Path, ring_ms: int, talk_ms: int) -> None:
    text = template.read_text(encoding="latin-1")
    text = text.replace("@RING_MS@", str(int(ring_ms))).replace("@TALK_MS@", str(int(talk_ms)))
    out.write_text(text, encoding="latin-1")


@dataclass
class PhoneSpec:
    scenario: str = "uas"  # a key of SCENARIOS, or a path to any scenario file
    who: str = "phone"  # -set who: log prefix, URI user, o=/s= of its SDP
    ring_ms: int = 100  # @RING_MS@
    talk_ms: int = 5000  # @TALK_MS@
    transport: str = "udp"  # "udp" | "tcp" (-t t1)
    extra_args: list[str] = field(default_factory=list)
    auth: tuple[str, str] | None = None  # -au / -ap
    calls: int | None = None  # -m; None = scenario default
    registrar: tuple[str, int] | None = None  # for "register"
    sipp_timeout_s: int = 30
    port: int | None = None  # a fixed SIP port (a trunk's proxy in ccgate's config); None = free


class Phone:
    def __init__(self, spec: PhoneSpec):
        sipp = ensure_sipp()
        self.spec = spec
        self.who = spec.who
        self.transport = spec.transport.lower()
        self.dir = Path(tempfile.mkdtemp(prefix=f"sipp-{spec.who}-"))
        if spec.scenario in SCENARIOS:
            fname, default_calls = SCENARIOS[spec.scenario]
            template = SIPP_DIR / fname
        else:
            template, default_calls = Path(spec.scenario), 1
            if not template.is_absolute():
                template = SIPP_DIR / template
        scenario = self.dir / "scenario.xml"
        render(template, scenario, spec.ring_ms, spec.talk_ms)

        self.port = spec.port or free_sip_port(self.transport)
        if spec.port:
            # A fixed port (a trunk's phone) is ours only once the previous holder let go: a
            # phone of the test before may still be exiting. `_wait_bound` below cannot tell
            # SIPp's socket from someone else's.
            _wait_free(spec.port, socket.SOCK_STREAM if self.transport == "tcp" else socket.SOCK_DGRAM)
        self.rtp_port = free_rtp_port(self.port)
        calls = spec.calls if spec.calls is not None else default_calls
        f = lambda n: str(self.dir / n)  # noqa: E731
        args = [sipp, "-sf", str(scenario)]
        if spec.scenario == "register":
            if not spec.registrar:
                raise ValueError("PhoneSpec(scenario='register') needs registrar=(host, port)")
            answer = self.dir / "answer.xml"
            render(SIPP_DIR / "phone_register_answer.xml.in", answer, spec.ring_ms, spec.talk_ms)
            args += ["-oocsf", str(answer), f"{spec.registrar[0]}:{spec.registrar[1]}"]
            # The AOR's domain (ccgate wants the instance id); extra args given later win.
            args += ["-set", "domain", f"{spec.registrar[0]}:{spec.registrar[1]}"]
        args += [
            "-i", "127.0.0.1", "-p", str(self.port), "-mi", "127.0.0.1", "-mp", str(self.rtp_port),
            "-set", "who", spec.who, "-m", str(calls), "-nostdin", "-timeout", str(spec.sipp_timeout_s),
            "-trace_logs", "-log_file", f("log.txt"),
            "-trace_msg", "-message_file", f("messages.txt"),
            "-trace_err", "-error_file", f("errors.txt"),
        ]  # fmt: skip
        if self.transport == "tcp":
            args += ["-t", "t1"]
        if spec.auth:
            args += ["-au", spec.auth[0], "-ap", spec.auth[1]]
        args += list(spec.extra_args)
        self.command = " ".join(args)
        self._stdout = open(self.dir / "stdout.txt", "wb")
        self._stderr = open(self.dir / "stderr.txt", "wb")
        self.proc = subprocess.Popen(
            args, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._stderr
        )
        self.returncode: int | None = None
        self._wait_bound()

    @classmethod
    def start(cls, spec: PhoneSpec | None = None, **kw) -> "Phone":
        return cls(spec or PhoneSpec(**kw))

    def _wait_bound(self, timeout: float = 10.0) -> None:
        kind = socket.SOCK_STREAM if self.transport == "tcp" else socket.SOCK_DGRAM
        deadline = time.monotonic() + timeout
        while True:
            if not _can_bind(self.port, kind):
                return
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                raise RuntimeError(f"SIPp exited ({rc}) before binding port {self.port}\n{self.report()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"SIPp did not bind port {self.port} within {timeout}s\n{self.report()}")
            time.sleep(0.02)

    @property
    def uri(self) -> str:
        tail = ";transport=tcp" if self.transport == "tcp" else ""
        return f"sip:{self.who}@127.0.0.1:{self.port}{tail}"

    @property
    def addr(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def wait(self, timeout: float = 30.0) -> int:
        """SIPp's exit code: 0 ok, 1 a call failed, 97 SIPp's -timeout; KILLED_ON_TIMEOUT (-1)
        if it had to be killed after `timeout` seconds."""
        if self.returncode is not None:
            return self.returncode
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = KILLED_ON_TIMEOUT
        self.returncode = rc if rc >= 0 else KILLED_ON_TIMEOUT
        self._close_files()
        return self.returncode

    def assert_success(self, timeout: float = 30.0) -> None:
        rc = self.wait(timeout)
        assert rc == 0, f"SIPp phone {self.who!r} exited with {rc}\n{self.report()}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
            if self.returncode is None:
                self.returncode = KILLED_ON_TIMEOUT
        self._close_files()

    def _close_files(self) -> None:
        for fh in (self._stdout, self._stderr):
            if not fh.closed:
                fh.close()

    def _read(self, name: str) -> str:
        try:
            return (self.dir / name).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self) -> list[str]:
        """The scenario's <log> lines, e.g. 'agent: re-INVITE received, offer: m=audio 36000 ...'."""
        return self._read("log.txt").splitlines()

    def logged(self, needle: str) -> bool:
        return any(needle in line for line in self.log_lines())

    def messages(self) -> str:
        """The -trace_msg file: every SIP message sent and received."""
        return self._read("messages.txt")

    def message_starts(self) -> list[str]:
        """First line of each traced message, in order ('INVITE sip:...', 'SIP/2.0 200 OK', ...)."""
        out, take = [], False
        for line in self.messages().splitlines():
            if line.endswith("message sent:") or "message received" in line or "message sent (" in line:
                take = True
            elif take and line.strip():
                out.append(line.strip())
                take = False
        return out

    def errors(self) -> str:
        return self._read("errors.txt")

    def report(self) -> str:
        return (
            f"--- sipp phone {self.who!r} in {self.dir}\ncommand: {self.command}\nexit: {self.returncode}\n"
            f"--- log\n{self._read('log.txt')}\n--- errors\n{self.errors()}\n"
            f"--- stderr\n{self._read('stderr.txt')}\n--- wire\n" + "\n".join(self.message_starts())
        )

    def close(self, keep_files: bool = False) -> None:
        self.kill()
        if not keep_files and not os.environ.get("CCGATE_KEEP_SIPP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "Phone":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if self.proc.poll() is None:
                self.proc.kill()
        except Exception:
            pass

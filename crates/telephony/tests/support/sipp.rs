//! SIPp "phones" for the telephony integration tests.
//!
//! Each [`Phone`] is one `sipp` process on its own loopback port running one of our scenarios
//! from `tests/sipp/` (see `tests/sipp/README.md`): it answers, rings, is busy, rejects, challenges
//! or registers, logs `who: ...` lines (`-trace_logs`) and records the wire (`-trace_msg`).
//! Tests point the SIP adapter at [`Phone::uri`], then [`Phone::wait`] for SIPp's exit code
//! (0 = the call followed the script) and assert on [`Phone::log_lines`] / [`Phone::messages`].
//!
//! Only std + `tempfile`. Panics with a clear message when `sipp` is missing (Debian/Ubuntu:
//! `apt-get install sip-tester`); tests must fail, not skip, without it.
//!
//! ```ignore
//! mod support;
//! use support::sipp::{Phone, PhoneSpec, Scenario};
//! let agent = Phone::start(PhoneSpec::new(Scenario::Uas, "agent").ring_ms(500).talk_ms(3000));
//! // ... place the call to agent.uri() ...
//! assert_eq!(agent.wait(Duration::from_secs(20)), 0, "{}", agent.report());
//! assert!(agent.logged("agent: re-INVITE received, offer: m=audio "));
//! ```
#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Exit code returned by [`Phone::wait`] when SIPp had to be killed because the wait timed out.
pub const KILLED_ON_TIMEOUT: i32 = -1;

/// SIPp's own exit code when its global `-timeout` fired.
pub const SIPP_GLOBAL_TIMEOUT: i32 = 97;

/// A free loopback UDP port (bind `127.0.0.1:0`, read the port, drop the socket).
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("bind a UDP socket on 127.0.0.1:0")
        .port()
}

/// A free loopback TCP port.
pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("bind a TCP listener on 127.0.0.1:0")
        .port()
}

/// A port free for both UDP and TCP (SIP over TCP listens on TCP; SIPp binds UDP as well).
pub fn free_sip_port(transport: Transport) -> u16 {
    for _ in 0..50 {
        let p = free_udp_port();
        if transport == Transport::Udp || TcpListener::bind(("127.0.0.1", p)).is_ok() {
            return p;
        }
    }
    panic!("no free loopback port for SIPp after 50 tries");
}

/// An even RTP port whose successor is free too (RTP/RTCP), distinct from `not`.
pub fn free_rtp_port(not: u16) -> u16 {
    for _ in 0..200 {
        let p = free_udp_port() & !1;
        if p > 1024
            && p != not
            && p + 1 != not
            && UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
    panic!("no free even RTP port pair on 127.0.0.1");
}

/// Which SIP transport the phone listens on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    /// SIPp `-t t1` (one TCP socket; SIPp accepts the controller's connection).
    Tcp,
}

/// Our scenario files in `tests/sipp/` (README there describes each one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// `phone_uas.xml.in`: rings `ring_ms`, answers (all three INVITE shapes), accepts re-INVITEs,
    /// hangs up itself after `talk_ms` unless BYE first; CANCEL while ringing gets 200 + 487.
    Uas,
    /// `phone_busy.xml.in`: rings `ring_ms`, then 486 Busy Here.
    Busy,
    /// `phone_noanswer.xml`: rings until CANCEL (200, 487, ACK).
    NoAnswer,
    /// `phone_reject488.xml`: 488 to a flow IV INVITE (SDP without m=), then answers the retried
    /// INVITE (new Call-ID) like `Uas` (ring 1000 ms, talk 4000 ms). Runs with `-m 2`.
    Reject488,
    /// `phone_lost_ack.xml.in`: like `Uas`, but ignores the first ACK so the 200 is retransmitted.
    LostAck,
    /// `phone_auth401.xml`: 401 digest challenge (realm trunk.test, 1001/secret), verifyauth,
    /// then answers like `Uas` (ring 500 ms, talk 4000 ms) or 403.
    Auth401,
    /// `phone_register.xml` + `phone_register_answer.xml.in` (-oocsf): REGISTERs `who` to the
    /// registrar with the spec's `auth` credentials, then answers one INVITE like `Uas`
    /// (`ring_ms`/`talk_ms` apply). A rejected REGISTER is logged and the process exits 0.
    Register { registrar: SocketAddr },
    /// Any other scenario file (absolute, or relative to `tests/sipp/`);
    /// `@RING_MS@`/`@TALK_MS@` are filled in if present.
    Custom(&'static str),
}

impl Scenario {
    fn file(self) -> PathBuf {
        let dir = scenario_dir();
        match self {
            Scenario::Uas => dir.join("phone_uas.xml.in"),
            Scenario::Busy => dir.join("phone_busy.xml.in"),
            Scenario::NoAnswer => dir.join("phone_noanswer.xml"),
            Scenario::Reject488 => dir.join("phone_reject488.xml"),
            Scenario::LostAck => dir.join("phone_lost_ack.xml.in"),
            Scenario::Auth401 => dir.join("phone_auth401.xml"),
            Scenario::Register { .. } => dir.join("phone_register.xml"),
            Scenario::Custom(p) => dir.join(p),
        }
    }

    fn default_calls(self) -> u32 {
        match self {
            Scenario::Reject488 => 2,
            _ => 1,
        }
    }
}

/// `tests/sipp/` of the repository (override with `CCGATE_SIPP_DIR`).
pub fn scenario_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CCGATE_SIPP_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sipp")
}

/// What to start. Build with [`PhoneSpec::new`] and the builder methods.
#[derive(Clone, Debug)]
pub struct PhoneSpec {
    pub scenario: Scenario,
    /// Fills `@RING_MS@` (default 100).
    pub ring_ms: u64,
    /// Fills `@TALK_MS@` (default 5000).
    pub talk_ms: u64,
    /// `-set who WHO`: log prefix, SIP user in the URI, `o=`/`s=` of the phone's SDP.
    pub who: String,
    pub transport: Transport,
    /// Appended to the SIPp command line as is.
    pub extra_args: Vec<String>,
    /// `-au USER -ap PASS` (SIPp `[authentication]`; used by `Scenario::Register`).
    pub auth: Option<(String, String)>,
    /// `-m N`; `None` = the scenario's default (2 for `Reject488`, else 1).
    pub calls: Option<u32>,
    /// SIPp `-timeout` in seconds (default 30).
    pub sipp_timeout_s: u32,
}

impl PhoneSpec {
    pub fn new(scenario: Scenario, who: &str) -> Self {
        PhoneSpec {
            scenario,
            ring_ms: 100,
            talk_ms: 5_000,
            who: who.to_string(),
            transport: Transport::Udp,
            extra_args: Vec::new(),
            auth: None,
            calls: None,
            sipp_timeout_s: 30,
        }
    }
    pub fn ring_ms(mut self, ms: u64) -> Self {
        self.ring_ms = ms;
        self
    }
    pub fn talk_ms(mut self, ms: u64) -> Self {
        self.talk_ms = ms;
        self
    }
    pub fn transport(mut self, t: Transport) -> Self {
        self.transport = t;
        self
    }
    pub fn tcp(self) -> Self {
        self.transport(Transport::Tcp)
    }
    pub fn arg(mut self, a: &str) -> Self {
        self.extra_args.push(a.to_string());
        self
    }
    pub fn auth(mut self, user: &str, pass: &str) -> Self {
        self.auth = Some((user.to_string(), pass.to_string()));
        self
    }
    pub fn calls(mut self, n: u32) -> Self {
        self.calls = Some(n);
        self
    }
    pub fn sipp_timeout_s(mut self, s: u32) -> Self {
        self.sipp_timeout_s = s;
        self
    }
}

/// A running SIPp phone. Dropping it kills the process.
pub struct Phone {
    child: Mutex<Option<Child>>,
    exit: Mutex<Option<i32>>,
    dir: tempfile::TempDir,
    port: u16,
    rtp_port: u16,
    who: String,
    transport: Transport,
    command: String,
}

fn ensure_sipp() {
    match Command::new("sipp")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`sipp` is not installed or not on PATH: the SIP tests need SIPp 3.6 \
             (Debian/Ubuntu: `apt-get install -y --no-install-recommends sip-tester`)"
        ),
        Err(e) => panic!("cannot run `sipp -v`: {e}"),
    }
}

fn render(template: &Path, out: &Path, ring_ms: u64, talk_ms: u64) {
    let text = fs::read_to_string(template)
        .unwrap_or_else(|e| panic!("cannot read SIPp scenario {}: {e}", template.display()));
    let text = text
        .replace("@RING_MS@", &ring_ms.to_string())
        .replace("@TALK_MS@", &talk_ms.to_string());
    fs::write(out, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", out.display()));
}

fn port_is_bound(port: u16, transport: Transport) -> bool {
    let in_use = |r: std::io::Result<()>| matches!(r, Err(e) if e.kind() == ErrorKind::AddrInUse);
    match transport {
        Transport::Udp => in_use(UdpSocket::bind(("127.0.0.1", port)).map(drop)),
        Transport::Tcp => in_use(TcpListener::bind(("127.0.0.1", port)).map(drop)),
    }
}

impl Phone {
    /// Render the scenario into a temp dir, spawn SIPp, and wait (up to 10 s) until its SIP port
    /// is bound. Panics if SIPp is missing, exits early, or never binds.
    pub fn start(spec: PhoneSpec) -> Phone {
        ensure_sipp();
        let dir = tempfile::Builder::new()
            .prefix(&format!("sipp-{}-", spec.who))
            .tempdir()
            .expect("create a temp dir for SIPp");
        let template = spec.scenario.file();
        let scenario = dir.path().join("scenario.xml");
        render(&template, &scenario, spec.ring_ms, spec.talk_ms);

        let port = free_sip_port(spec.transport);
        let rtp_port = free_rtp_port(port);
        let calls = spec.calls.unwrap_or_else(|| spec.scenario.default_calls());
        let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

        let mut args: Vec<String> = vec!["-sf".into(), scenario.to_string_lossy().into_owned()];
        if let Scenario::Register { registrar } = &spec.scenario {
            let answer = dir.path().join("answer.xml");
            render(
                &scenario_dir().join("phone_register_answer.xml.in"),
                &answer,
                spec.ring_ms,
                spec.talk_ms,
            );
            args.push("-oocsf".into());
            args.push(answer.to_string_lossy().into_owned());
            args.push(registrar.to_string());
            // The AOR's domain; `.arg("-set").arg("domain").arg(..)` given later wins.
            args.extend(["-set".into(), "domain".into(), registrar.to_string()]);
        }
        for a in [
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-mi",
            "127.0.0.1",
            "-mp",
            &rtp_port.to_string(),
            "-set",
            "who",
            &spec.who,
            "-m",
            &calls.to_string(),
            "-nostdin",
            "-timeout",
            &spec.sipp_timeout_s.to_string(),
            "-trace_logs",
            "-log_file",
            &p("log.txt"),
            "-trace_msg",
            "-message_file",
            &p("messages.txt"),
            "-trace_err",
            "-error_file",
            &p("errors.txt"),
        ] {
            args.push(a.to_string());
        }
        if spec.transport == Transport::Tcp {
            args.push("-t".into());
            args.push("t1".into());
        }
        if let Some((u, pw)) = &spec.auth {
            args.extend(["-au".into(), u.clone(), "-ap".into(), pw.clone()]);
        }
        args.extend(spec.extra_args.iter().cloned());

        let stdout = fs::File::create(p("stdout.txt")).expect("create SIPp stdout file");
        let stderr = fs::File::create(p("stderr.txt")).expect("create SIPp stderr file");
        let command = format!("sipp {}", args.join(" "));
        let child = Command::new("sipp")
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn `{command}`: {e}"));

        let phone = Phone {
            child: Mutex::new(Some(child)),
            exit: Mutex::new(None),
            dir,
            port,
            rtp_port,
            who: spec.who.clone(),
            transport: spec.transport,
            command,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if port_is_bound(port, spec.transport) {
                break;
            }
            let exited = phone
                .child
                .lock()
                .unwrap()
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                *phone.exit.lock().unwrap() = Some(status.code().unwrap_or(KILLED_ON_TIMEOUT));
                phone.child.lock().unwrap().take();
                panic!(
                    "SIPp exited ({status}) before binding port {port}\n{}",
                    phone.report()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "SIPp did not bind port {port} within 10 s\n{}",
                    phone.report()
                );
            }
            sleep(Duration::from_millis(20));
        }
        phone
    }

    /// `sip:WHO@127.0.0.1:PORT` (`;transport=tcp` for TCP).
    pub fn uri(&self) -> String {
        match self.transport {
            Transport::Udp => format!("sip:{}@127.0.0.1:{}", self.who, self.port),
            Transport::Tcp => format!("sip:{}@127.0.0.1:{};transport=tcp", self.who, self.port),
        }
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
    /// The `-mp` port: what the phone puts in its SDP `m=audio` line.
    pub fn rtp_port(&self) -> u16 {
        self.rtp_port
    }
    pub fn who(&self) -> &str {
        &self.who
    }
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Wait for SIPp to exit and return its exit code: 0 = every call followed the script,
    /// 1 = a call failed, 97 = SIPp's own `-timeout`. After `timeout`, kill it and return
    /// [`KILLED_ON_TIMEOUT`]. Blocking; from async code use `tokio::task::spawn_blocking` or call
    /// it after the async part of the test.
    pub fn wait(&self, timeout: Duration) -> i32 {
        if let Some(code) = *self.exit.lock().unwrap() {
            return code;
        }
        let deadline = Instant::now() + timeout;
        let mut guard = self.child.lock().unwrap();
        let Some(child) = guard.as_mut() else {
            return self.exit.lock().unwrap().unwrap_or(KILLED_ON_TIMEOUT);
        };
        let code = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status.code().unwrap_or(KILLED_ON_TIMEOUT),
                Ok(None) if Instant::now() < deadline => sleep(Duration::from_millis(20)),
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break KILLED_ON_TIMEOUT;
                }
            }
        };
        guard.take();
        *self.exit.lock().unwrap() = Some(code);
        code
    }

    /// `wait(timeout)` and panic with [`Phone::report`] unless the exit code is 0.
    pub fn assert_success(&self, timeout: Duration) {
        let code = self.wait(timeout);
        assert_eq!(
            code,
            0,
            "SIPp phone `{}` exited with {code}\n{}",
            self.who,
            self.report()
        );
    }

    /// Kill SIPp now (no-op if it already exited).
    pub fn kill(&self) {
        let taken = self.child.lock().map(|mut c| c.take()).unwrap_or(None);
        if let Some(mut c) = taken {
            let _ = c.kill();
            let _ = c.wait();
            if let Ok(mut e) = self.exit.lock() {
                e.get_or_insert(KILLED_ON_TIMEOUT);
            }
        }
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// The scenario's `<log>` lines, e.g. `agent: answered; ACK received, SDP in ACK: m=audio 36000 ...`.
    pub fn log_lines(&self) -> Vec<String> {
        self.read("log.txt").lines().map(str::to_string).collect()
    }

    /// True if some log line contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.log_lines().iter().any(|l| l.contains(needle))
    }

    /// The `-trace_msg` file: every SIP message sent and received, with timestamps.
    pub fn messages(&self) -> String {
        self.read("messages.txt")
    }

    /// First lines of every message in [`Phone::messages`], in order (`INVITE sip:...`,
    /// `SIP/2.0 200 OK`, `ACK ...`), for asserting the wire sequence.
    pub fn message_starts(&self) -> Vec<String> {
        let m = self.messages();
        let mut out = Vec::new();
        let mut next_is_start = false;
        for line in m.lines() {
            if line.ends_with("message sent:")
                || line.contains("message received")
                || line.contains("message sent (")
            {
                next_is_start = true;
            } else if next_is_start && !line.trim().is_empty() {
                out.push(line.trim().to_string());
                next_is_start = false;
            }
        }
        out
    }

    /// SIPp's `-trace_err` file (unexpected messages, aborts; also harmless recv-timeout notes).
    pub fn errors(&self) -> String {
        self.read("errors.txt")
    }

    /// Everything worth reading when an assertion fails, including the whole `-trace_msg` file.
    pub fn log(&self) -> String {
        format!("{}--- messages\n{}", self.report(), self.messages())
    }

    /// Everything useful for a failure message (log, errors, stderr, and the wire as first lines).
    pub fn report(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "--- sipp phone `{}` in {}",
            self.who,
            self.dir.path().display()
        );
        let _ = writeln!(s, "command: {}", self.command);
        let _ = writeln!(
            s,
            "exit: {:?}",
            self.exit.lock().map(|e| *e).unwrap_or(None)
        );
        let _ = writeln!(s, "--- log\n{}", self.read("log.txt"));
        let _ = writeln!(s, "--- errors\n{}", self.read("errors.txt"));
        let _ = writeln!(s, "--- stderr\n{}", self.read("stderr.txt"));
        let _ = writeln!(s, "--- wire\n{}", self.message_starts().join("\n"));
        s
    }

    /// Keep the temp dir (logs, messages) after the test, e.g. while debugging.
    pub fn keep_files(self) -> PathBuf {
        let mut this = self;
        this.kill();
        let dir = std::mem::replace(&mut this.dir, tempfile::tempdir().expect("tempdir"));
        dir.keep()
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        self.kill();
    }
}

// `Phone` is shared by reference across tasks in async tests.
const _: () = {
    fn assert_send_sync<T: Send + Sync>() {}
    fn check() {
        assert_send_sync::<Phone>();
    }
    let _ = check;
};

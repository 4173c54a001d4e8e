//! SIPp phones for the engine's tests: each [`Phone`] is one `sipp` process playing a scenario
//! of `tests/sipp/` on its own loopback port, for one call (`-m 1`), killed when dropped.

use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The scenarios of `tests/sipp/` (README there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// `phone_uas.xml.in`: rings, answers, accepts re-INVITEs, hangs up after the talk time.
    Uas,
    /// `phone_busy.xml.in`: rings, then 486 Busy Here.
    Busy,
    /// `phone_noanswer.xml`: rings until CANCEL.
    NoAnswer,
    /// `phone_reject488.xml`: 488 to an offer without media, then answers like `Uas`.
    Reject488,
    /// `phone_lost_ack.xml.in`: ignores the first ACK so its 200 is retransmitted.
    LostAck,
    /// `phone_auth401.xml`: challenges the INVITE (digest user 1001, password `secret`).
    Auth401,
}

impl Scenario {
    fn file(self) -> &'static str {
        match self {
            Scenario::Uas => "phone_uas.xml.in",
            Scenario::Busy => "phone_busy.xml.in",
            Scenario::NoAnswer => "phone_noanswer.xml",
            Scenario::Reject488 => "phone_reject488.xml",
            Scenario::LostAck => "phone_lost_ack.xml.in",
            Scenario::Auth401 => "phone_auth401.xml",
        }
    }
}

/// What phone to start.
#[derive(Debug, Clone)]
pub struct PhoneSpec {
    scenario: Scenario,
    who: String,
    ring_ms: u64,
    talk_ms: u64,
    tcp: bool,
}

impl PhoneSpec {
    /// A phone playing `scenario` that logs as `who`, ringing 100 ms and talking 5 s.
    pub fn new(scenario: Scenario, who: &str) -> Self {
        Self {
            scenario,
            who: who.into(),
            ring_ms: 100,
            talk_ms: 5_000,
            tcp: false,
        }
    }
    /// How long it rings before answering (or refusing), milliseconds.
    pub fn ring_ms(mut self, ms: u64) -> Self {
        self.ring_ms = ms;
        self
    }
    /// How long it talks before hanging up itself, milliseconds.
    pub fn talk_ms(mut self, ms: u64) -> Self {
        self.talk_ms = ms;
        self
    }
    /// SIP over TCP instead of UDP.
    pub fn tcp(mut self) -> Self {
        self.tcp = true;
        self
    }
}

/// A running SIPp phone.
pub struct Phone {
    child: Mutex<Option<Child>>,
    port: u16,
    rtp: u16,
    dir: tempfile::TempDir,
    who: String,
    status: Mutex<Option<i32>>,
}

fn sipp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sipp")
}

/// A UDP port free on 127.0.0.1 right now.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

fn free_port_pair() -> (u16, u16) {
    // SIP on a port free for both UDP and TCP; RTP on an even port with the next one free.
    let sip = loop {
        let p = free_udp_port();
        if TcpListener::bind(("127.0.0.1", p)).is_ok() {
            break p;
        }
    };
    let rtp = loop {
        let p = free_udp_port() & !1;
        if p > 1024
            && p != sip
            && UdpSocket::bind(("127.0.0.1", p)).is_ok()
            && UdpSocket::bind(("127.0.0.1", p + 1)).is_ok()
        {
            break p;
        }
    };
    (sip, rtp)
}

impl Phone {
    /// Renders the scenario into a temp dir, starts `sipp` and waits until it listens.
    ///
    /// Panics when `sipp` is missing (CI installs Debian `sip-tester`) or does not start.
    pub fn start(spec: PhoneSpec) -> Phone {
        let dir = tempfile::tempdir().expect("temp dir");
        let template = std::fs::read_to_string(sipp_dir().join(spec.scenario.file()))
            .unwrap_or_else(|e| panic!("tests/sipp/{}: {e}", spec.scenario.file()));
        let xml = template
            .replace("@RING_MS@", &spec.ring_ms.to_string())
            .replace("@TALK_MS@", &spec.talk_ms.to_string());
        let scenario = dir.path().join("scenario.xml");
        std::fs::write(&scenario, xml).expect("write scenario");
        let (port, rtp) = free_port_pair();
        let mut cmd = Command::new("sipp");
        cmd.arg("-sf")
            .arg(&scenario)
            .args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-mi", "127.0.0.1", "-mp", &rtp.to_string()])
            .args(["-set", "who", &spec.who])
            .args(["-m", "1", "-nostdin", "-timeout", "30"])
            .arg("-trace_logs")
            .arg("-log_file")
            .arg(dir.path().join("log.txt"))
            .arg("-trace_msg")
            .arg("-message_file")
            .arg(dir.path().join("messages.txt"))
            .arg("-trace_err")
            .arg("-error_file")
            .arg(dir.path().join("errors.txt"));
        if spec.tcp {
            cmd.args(["-t", "t1"]);
        }
        if spec.scenario == Scenario::Auth401 {
            cmd.args(["-au", "1001", "-ap", "secret"]);
        }
        let child = cmd
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("stderr.txt")).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run sipp ({e}): install Debian's sip-tester (apt-get install sip-tester)")
            });
        let phone = Phone {
            child: Mutex::new(Some(child)),
            port,
            rtp,
            dir,
            who: spec.who,
            status: Mutex::new(None),
        };
        phone.wait_listening(spec.tcp);
        phone
    }

    fn wait_listening(&self, tcp: bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let taken = if tcp {
                TcpListener::bind(("127.0.0.1", self.port)).is_err()
            } else {
                UdpSocket::bind(("127.0.0.1", self.port)).is_err()
            };
            if taken {
                return;
            }
            let exited = self
                .child
                .lock()
                .unwrap()
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                panic!(
                    "sipp {} exited at start ({status}): {}",
                    self.who,
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "sipp {} did not listen",
                self.who
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The SIP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The RTP port its SDP advertises (`m=audio <port>`).
    pub fn rtp_port(&self) -> u16 {
        self.rtp
    }

    /// Waits for SIPp to end its one call; its exit code (0: the call followed the scenario,
    /// 1: it did not, 97: SIPp's own timeout). Kills it after `timeout` and answers -1.
    pub fn wait(&self, timeout: Duration) -> i32 {
        if let Some(s) = *self.status.lock().unwrap() {
            return s;
        }
        let deadline = Instant::now() + timeout;
        let mut guard = self.child.lock().unwrap();
        let child = guard.as_mut().expect("started");
        let code = loop {
            if let Ok(Some(status)) = child.try_wait() {
                break status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break -1;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        *self.status.lock().unwrap() = Some(code);
        code
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// The scenario's `<log>` lines (`[$who]: ...`).
    pub fn log_lines(&self) -> Vec<String> {
        self.read("log.txt").lines().map(str::to_string).collect()
    }

    /// Every SIP message SIPp sent and received, with its timestamps (`-trace_msg`).
    pub fn messages(&self) -> String {
        self.read("messages.txt")
    }

    /// Everything worth reading when an assertion fails.
    pub fn log(&self) -> String {
        format!(
            "--- {} log\n{}\n--- errors\n{}\n--- stderr\n{}\n--- messages\n{}",
            self.who,
            self.read("log.txt"),
            self.read("errors.txt"),
            self.read("stderr.txt"),
            self.messages()
        )
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.lock().ok().and_then(|mut c| c.take()) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

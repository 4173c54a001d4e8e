//! The `[telephony]` table of the config file: where ccgate listens for SIP, which trunks carry
//! customer numbers, and how agents are reached. README "Place a real call" has a worked example.

use std::net::SocketAddr;

use serde::Deserialize;

/// Which RFC 3725 flow a peer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// §4.4 Flow IV (RECOMMENDED for people): first INVITE carries SDP without media lines.
    /// A `488` to it is retried once as Flow III.
    #[default]
    Iv,
    /// §4.3 Flow III: first INVITE without SDP; the ACK carries a black-hole answer until the
    /// other party's offer arrives. For UAs that refuse Flow IV (baresip answers 488).
    Iii,
    /// §4.1 Flow I: only for automata that answer at once (media servers, IVR route points).
    I,
}

/// The SIP transport of a trunk or PBX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// UDP (RFC 3261 §18).
    #[default]
    Udp,
    /// TCP.
    Tcp,
}

impl Transport {
    /// The `transport=` URI parameter value.
    pub fn param(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
        }
    }
}

/// How the caller number is presented to a trunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CallerIdStyle {
    /// In the From user part.
    #[default]
    From,
    /// In From and in a `P-Asserted-Identity` header (RFC 3325), for trusted trunks.
    Pai,
}

/// A SIP trunk for customer numbers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trunk {
    /// Name shown in logs.
    pub name: String,
    /// The trunk's proxy, `host:port`.
    pub proxy: String,
    /// UDP or TCP.
    #[serde(default)]
    pub transport: Transport,
    /// Number prefixes this trunk carries; the longest matching prefix wins, `""` matches all.
    #[serde(default = "all_numbers")]
    pub prefixes: Vec<String>,
    /// Digest user name (RFC 3261 §22) for the trunk's 401/407 challenges.
    #[serde(default)]
    pub username: Option<String>,
    /// Digest password.
    #[serde(default)]
    pub password: Option<String>,
    /// Digest realm, if the trunk's must be matched.
    #[serde(default)]
    pub realm: Option<String>,
    /// REGISTER to the trunk (every `register_expires_seconds`) before calling.
    #[serde(default)]
    pub register: bool,
    /// Registration lifetime asked for, seconds.
    #[serde(default = "default_register_expires")]
    pub register_expires_seconds: u32,
    /// Where the caller number goes.
    #[serde(default)]
    pub caller_id: CallerIdStyle,
    /// RFC 3725 flow for this trunk's parties.
    #[serde(default)]
    pub flow: Flow,
}

/// How agents are reached when their device has not registered with ccgate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Agents {
    /// The existing PBX agents are on: agents are called as `sip:<extension>@<pbx>`.
    #[serde(default)]
    pub pbx: Option<String>,
    /// UDP or TCP to the PBX.
    #[serde(default)]
    pub transport: Transport,
    /// RFC 3725 flow for agents (softphones that refuse Flow IV: `iii`).
    #[serde(default)]
    pub flow: Flow,
}

/// The `[telephony]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelephonyConfig {
    /// UDP listen address, e.g. `127.0.0.1:5060`.
    pub listen_udp: SocketAddr,
    /// TCP listen address (optional).
    #[serde(default)]
    pub listen_tcp: Option<SocketAddr>,
    /// The host name or address ccgate puts in From and Contact when it is not the listen
    /// address (behind NAT); defaults to the UDP listen address.
    #[serde(default)]
    pub public_host: Option<String>,
    /// Ring timeout when a request gives none, seconds.
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_seconds: u32,
    /// Longest call, seconds, after which both legs get a BYE (RFC 4028 session timers are not
    /// implemented; this bounds a call whose BYE was lost).
    #[serde(default = "default_max_call")]
    pub max_call_seconds: u32,
    /// Trunks for customer numbers.
    #[serde(default)]
    pub trunks: Vec<Trunk>,
    /// How agents are reached.
    #[serde(default)]
    pub agents: Agents,
    /// Flow for `Target::Uri` targets (media servers answer at once: `i`).
    #[serde(default = "default_uri_flow")]
    pub uri_flow: Flow,
}

fn all_numbers() -> Vec<String> {
    vec![String::new()]
}
fn default_register_expires() -> u32 {
    300
}
fn default_ring_timeout() -> u32 {
    30
}
fn default_max_call() -> u32 {
    4 * 3600
}
fn default_uri_flow() -> Flow {
    Flow::I
}

impl TelephonyConfig {
    /// A configuration listening on `udp` with no trunks (tests add what they need).
    pub fn listening(udp: SocketAddr) -> Self {
        Self {
            listen_udp: udp,
            listen_tcp: None,
            public_host: None,
            ring_timeout_seconds: default_ring_timeout(),
            max_call_seconds: default_max_call(),
            trunks: Vec::new(),
            agents: Agents::default(),
            uri_flow: default_uri_flow(),
        }
    }

    /// Checks what serde cannot: addresses, prefixes, credentials in pairs.
    ///
    /// Errors: one line naming the key (`telephony.trunks[0].proxy: ...`).
    pub fn validate(&self) -> Result<(), String> {
        for (i, t) in self.trunks.iter().enumerate() {
            if !valid_host_port(&t.proxy) {
                return Err(format!(
                    "telephony.trunks[{i}].proxy: expected host:port, got {:?}",
                    t.proxy
                ));
            }
            if t.username.is_some() != t.password.is_some() {
                return Err(format!(
                    "telephony.trunks[{i}]: username and password go together"
                ));
            }
            if let Some(p) = t
                .prefixes
                .iter()
                .find(|p| !p.chars().all(|c| c.is_ascii_digit() || c == '+'))
            {
                return Err(format!(
                    "telephony.trunks[{i}].prefixes: {p:?} is not a number prefix"
                ));
            }
        }
        if let Some(pbx) = self.agents.pbx.as_ref().filter(|p| !valid_host_port(p)) {
            return Err(format!(
                "telephony.agents.pbx: expected host:port, got {pbx:?}"
            ));
        }
        if self.ring_timeout_seconds == 0 || self.ring_timeout_seconds > 300 {
            return Err("telephony.ring_timeout_seconds: must be 1..=300".into());
        }
        if self.max_call_seconds == 0 {
            return Err("telephony.max_call_seconds: must be positive".into());
        }
        Ok(())
    }

    /// The host part ccgate uses in its own URIs.
    pub fn own_host(&self) -> String {
        self.public_host
            .clone()
            .unwrap_or_else(|| self.listen_udp.ip().to_string())
    }
}

fn valid_host_port(s: &str) -> bool {
    match s.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_trunk_names_its_key() {
        let mut c = TelephonyConfig::listening("127.0.0.1:5060".parse().unwrap());
        c.trunks.push(Trunk {
            name: "t".into(),
            proxy: "nowhere".into(),
            transport: Transport::Udp,
            prefixes: vec!["1".into()],
            username: None,
            password: None,
            realm: None,
            register: false,
            register_expires_seconds: 300,
            caller_id: CallerIdStyle::From,
            flow: Flow::Iv,
        });
        let err = c.validate().unwrap_err();
        assert!(err.starts_with("telephony.trunks[0].proxy"), "{err}");
        c.trunks[0].proxy = "127.0.0.1:5070".into();
        c.trunks[0].prefixes = vec!["1x".into()];
        assert!(c.validate().unwrap_err().contains("prefixes"));
        c.trunks[0].prefixes = vec!["1".into()];
        c.validate().unwrap();
    }
}

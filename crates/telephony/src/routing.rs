//! Where a [`Target`] is called: the Request-URI, the RFC 3725 flow and the digest credentials.

use ccgate_plugin_sdk::telephony::Target;

use crate::config::{CallerIdStyle, Flow, TelephonyConfig, Transport};

/// A resolved target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The Request-URI of the INVITE.
    pub uri: String,
    /// The flow this party gets.
    pub flow: Flow,
    /// Digest credentials `(user, password, realm)` for challenges from this peer.
    pub credential: Option<(String, String, Option<String>)>,
    /// Where the caller number goes.
    pub caller_id: CallerIdStyle,
}

/// Why a target cannot be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// No trunk prefix matches the number.
    #[error("no SIP trunk carries the number {0} (telephony.trunks prefixes)")]
    NoTrunk(String),
    /// Agents are not reachable: no PBX configured.
    #[error("agents are not reachable: set telephony.agents.pbx")]
    NoAgentPbx,
    /// A malformed number or URI.
    #[error("{0}")]
    Invalid(String),
}

fn uri_with_transport(user: &str, host_port: &str, transport: Transport) -> String {
    match transport {
        Transport::Udp => format!("sip:{user}@{host_port}"),
        Transport::Tcp => format!("sip:{user}@{host_port};transport=tcp"),
    }
}

/// Resolves `target` with `config` (longest trunk prefix first); `registered` gives the
/// contact an agent's device registered (by UserId), tried before the PBX.
///
/// Errors: [`RouteError`].
pub fn resolve(
    config: &TelephonyConfig,
    registered: &dyn Fn(&str) -> Option<String>,
    target: &Target,
) -> Result<Route, RouteError> {
    match target {
        Target::Number { number } => {
            let digits = number.trim();
            if digits.is_empty()
                || digits.len() > 32
                || !digits
                    .chars()
                    .enumerate()
                    .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'))
            {
                return Err(RouteError::Invalid(format!(
                    "{number:?} is not a telephone number"
                )));
            }
            let trunk = config
                .trunks
                .iter()
                .flat_map(|t| t.prefixes.iter().map(move |p| (t, p)))
                .filter(|(_, p)| digits.starts_with(p.as_str()))
                .max_by_key(|(_, p)| p.len())
                .map(|(t, _)| t)
                .ok_or_else(|| RouteError::NoTrunk(digits.to_string()))?;
            Ok(Route {
                uri: uri_with_transport(digits, &trunk.proxy, trunk.transport),
                flow: trunk.flow,
                credential: trunk.username.clone().map(|u| {
                    (
                        u,
                        trunk.password.clone().unwrap_or_default(),
                        trunk.realm.clone(),
                    )
                }),
                caller_id: trunk.caller_id,
            })
        }
        Target::Agent { user_id, extension } => {
            if let Some(contact) = (!user_id.is_empty()).then(|| registered(user_id)).flatten() {
                return Ok(Route {
                    uri: contact,
                    flow: config.agents.flow,
                    credential: None,
                    caller_id: CallerIdStyle::From,
                });
            }
            if extension.is_empty() || !extension.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(RouteError::Invalid(format!(
                    "{extension:?} is not an extension"
                )));
            }
            let pbx = config.agents.pbx.as_ref().ok_or(RouteError::NoAgentPbx)?;
            Ok(Route {
                uri: uri_with_transport(extension, pbx, config.agents.transport),
                flow: config.agents.flow,
                credential: None,
                caller_id: CallerIdStyle::From,
            })
        }
        Target::Uri { uri } => {
            if !(uri.starts_with("sip:") || uri.starts_with("sips:")) {
                return Err(RouteError::Invalid(format!("{uri:?} is not a SIP URI")));
            }
            Ok(Route {
                uri: uri.clone(),
                flow: config.uri_flow,
                credential: None,
                caller_id: CallerIdStyle::From,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Trunk;

    fn trunk(name: &str, proxy: &str, prefixes: &[&str]) -> Trunk {
        Trunk {
            name: name.into(),
            proxy: proxy.into(),
            transport: Transport::Udp,
            prefixes: prefixes.iter().map(|s| s.to_string()).collect(),
            username: None,
            password: None,
            realm: None,
            register: false,
            register_expires_seconds: 300,
            caller_id: CallerIdStyle::From,
            flow: Flow::Iv,
        }
    }

    #[test]
    fn the_longest_prefix_wins() {
        let mut c = TelephonyConfig::listening("127.0.0.1:5060".parse().unwrap());
        c.trunks = vec![
            trunk("all", "10.0.0.1:5060", &[""]),
            trunk("mobile", "10.0.0.2:5060", &["138", "139"]),
        ];
        let n = |s: &str| Target::Number { number: s.into() };
        let none = |_: &str| None;
        let resolve = |c: &TelephonyConfig, t: &Target| resolve(c, &none, t);
        assert_eq!(
            resolve(&c, &n("13800000000")).unwrap().uri,
            "sip:13800000000@10.0.0.2:5060"
        );
        assert_eq!(
            resolve(&c, &n("02566040852")).unwrap().uri,
            "sip:02566040852@10.0.0.1:5060"
        );
        assert!(matches!(
            resolve(&c, &n("12ab")),
            Err(RouteError::Invalid(_))
        ));
        c.trunks.remove(0);
        assert_eq!(
            resolve(&c, &n("02566040852")),
            Err(RouteError::NoTrunk("02566040852".into()))
        );
        let agent = Target::Agent {
            user_id: "u1".into(),
            extension: "8001".into(),
        };
        assert_eq!(resolve(&c, &agent), Err(RouteError::NoAgentPbx));
        c.agents.pbx = Some("10.0.0.3:5060".into());
        assert_eq!(resolve(&c, &agent).unwrap().uri, "sip:8001@10.0.0.3:5060");
        let device = |u: &str| (u == "u1").then(|| "sip:dev@10.0.0.9:5062".to_string());
        assert_eq!(
            super::resolve(&c, &device, &agent).unwrap().uri,
            "sip:dev@10.0.0.9:5062",
            "a registered device wins over the PBX"
        );
    }
}

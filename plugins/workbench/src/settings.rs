//! `[plugins.workbench]`: what the workbench answers that only the deployer knows (the region
//! name, the addresses agents reach, TURN), read once at start-up.
//!
//! ```toml
//! [plugins.workbench]
//! region = "eu-office"              # LoginInfo.Region
//! agent_server_url = ""             # LoginInfo.AgentServerUrl; "" = the HTTP API's address
//! webrtc_url = ""                   # LoginInfo.WebRtcUrl; "" = the SIP registrar's address
//! login_info_ttl_secs = 1800        # SignData expireTime - timestamp of RequestLoginInfo
//!
//! [plugins.workbench.turn]
//! secret = "..."                    # coturn's static-auth-secret (use-auth-secret)
//! ttl_secs = 86400                  # lifetime of GetTURNCredentials' credentials
//! [[plugins.workbench.turn.servers]]
//! region = "eu"                     # GetTURNServerList's entries, in this order
//! name = "Office TURN"
//! domain = "turn.example.com:3478"
//! cidr = "10.0.0.0/8"
//! ```

use serde::Deserialize;

/// The workbench plugin's settings (`CCGATE__PLUGINS__WORKBENCH__<KEY>` in the environment).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `LoginInfo.Region` (seed 004 §3.5: "aliyunccc"); default `ccgate`.
    pub region: String,
    /// `LoginInfo.AgentServerUrl` as `host:port`; empty: the HTTP API's address as the host
    /// knows it (`[server] bind`, an unspecified address shown as the SIP public host).
    pub agent_server_url: String,
    /// `LoginInfo.WebRtcUrl` as `host:port`, e.g. a WebRTC-to-SIP gateway in front of ccgate;
    /// empty: the address of ccgate's SIP registrar (`[telephony]`), or empty without it.
    pub webrtc_url: String,
    /// Seconds between SignData's `timestamp` and `expireTime` in RequestLoginInfo (seed 004
    /// §3.5's example: 1800). 60 to 86,400.
    pub login_info_ttl_secs: u64,
    /// TURN (`[plugins.workbench.turn]`).
    pub turn: TurnSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            region: "ccgate".into(),
            agent_server_url: String::new(),
            webrtc_url: String::new(),
            login_info_ttl_secs: 1800,
            turn: TurnSettings::default(),
        }
    }
}

/// The TURN servers agents relay media through, and the secret they share with ccgate.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TurnSettings {
    /// coturn's `static-auth-secret` (with `use-auth-secret`): credentials are derived from it
    /// (the TURN REST API scheme, [`crate::turn`]). Empty: GetTURNCredentials answers 503
    /// `TurnNotConfigured`.
    pub secret: String,
    /// Lifetime of a credential, seconds (60 to 604,800); default 86,400.
    pub ttl_secs: u64,
    /// The servers GetTURNServerList lists, in order.
    pub servers: Vec<TurnServer>,
}

impl Default for TurnSettings {
    fn default() -> Self {
        Self {
            secret: String::new(),
            ttl_secs: 86_400,
            servers: Vec::new(),
        }
    }
}

/// One TURN server (seed 004 §3.9's `TurnServerListConfig` entry).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TurnServer {
    /// Region label (`shanghai`).
    pub region: String,
    /// Display name (`上海`).
    pub name: String,
    /// `host` or `host:port` of the server (`turn3.ccc.aliyuncs.com`).
    pub domain: String,
    /// The client networks it serves (`192.1.25.64/28`); may be empty.
    #[serde(default)]
    pub cidr: String,
}

impl Settings {
    /// Checks what serde cannot: ranges and non-empty server addresses.
    ///
    /// Errors: a line naming the key (`plugins.workbench.turn.ttl_secs: ...`).
    pub fn check(&self) -> Result<(), String> {
        if !(60..=86_400).contains(&self.login_info_ttl_secs) {
            return Err("plugins.workbench.login_info_ttl_secs: must be 60 to 86400".into());
        }
        if !(60..=604_800).contains(&self.turn.ttl_secs) {
            return Err("plugins.workbench.turn.ttl_secs: must be 60 to 604800".into());
        }
        if let Some(i) = self
            .turn
            .servers
            .iter()
            .position(|s| s.domain.trim().is_empty())
        {
            return Err(format!(
                "plugins.workbench.turn.servers[{i}].domain: must not be empty"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use super::*;

    #[test]
    fn reads_turn_servers_and_refuses_bad_values() {
        let s: Settings = ccgate_plugin_sdk::settings::parse(
            "workbench",
            &json!({"region": "eu", "turn": {"secret": "s", "servers": [
                {"region": "eu", "name": "Office", "domain": "127.0.0.1:3478", "cidr": "10.0.0.0/8"}
            ]}}),
        )
        .unwrap();
        assert_eq!(s.region, "eu");
        assert_eq!(s.turn.ttl_secs, 86_400);
        assert_eq!(s.turn.servers[0].domain, "127.0.0.1:3478");
        s.check().unwrap();
        let bad = Settings {
            login_info_ttl_secs: 5,
            ..Settings::default()
        };
        assert!(bad.check().unwrap_err().contains("login_info_ttl_secs"));
        let e = ccgate_plugin_sdk::settings::parse::<Settings>("workbench", &json!({"nope": 1}))
            .unwrap_err();
        assert!(e.contains("nope"), "{e}");
    }
}

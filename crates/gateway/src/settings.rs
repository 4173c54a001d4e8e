//! Settings: `config/default.toml` (compiled in) < `--config FILE` < `CCGATE__SECTION__KEY`
//! environment variables, deserialized into [`Settings`].

use serde::Deserialize;

/// The defaults shipped in `config/default.toml`.
pub const DEFAULT_TOML: &str = include_str!("../../../config/default.toml");

/// All settings of a ccgate process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[server]`
    pub server: ServerSettings,
    /// `[database]`
    pub database: DatabaseSettings,
    /// `[security]`
    pub security: SecuritySettings,
    /// `[limits]`
    pub limits: LimitSettings,
    /// `[plugins]`
    pub plugins: PluginSettings,
    /// `[log]`
    pub log: LogSettings,
    /// `[bootstrap]`
    pub bootstrap: BootstrapSettings,
    /// `[events]`
    #[serde(default)]
    pub events: EventSettings,
    /// `[shutdown]`
    #[serde(default)]
    pub shutdown: ShutdownSettings,
    /// `[cluster]`: state shared between replicas (absent or empty `redis_url`: one process).
    #[serde(default)]
    pub cluster: ClusterSettings,
    /// `[telephony]`: the SIP engine (absent: ccgate places no calls).
    #[serde(default)]
    pub telephony: Option<ccgate_telephony::TelephonyConfig>,
}

/// `[server]`: the HTTP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address, e.g. `127.0.0.1:8080`.
    pub bind: String,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    /// `HostId` in Alibaba error envelopes.
    pub host_id: String,
    /// PEM file of the certificate chain served over TLS (the server's certificate first);
    /// with [`tls_key`](Self::tls_key), the listener speaks HTTPS only. Both or neither.
    #[serde(default)]
    pub tls_cert: Option<String>,
    /// PEM file of the private key of [`tls_cert`](Self::tls_cert) (PKCS#8, PKCS#1 or SEC1).
    #[serde(default)]
    pub tls_key: Option<String>,
}

impl ServerSettings {
    /// The TLS certificate and key files, `(tls_cert, tls_key)`, or `None` when TLS is off
    /// (both unset; an empty string counts as unset, so an environment variable can clear one).
    ///
    /// Errors: only one of the two is set, as one line naming the missing key
    /// (`server.tls_key: required when server.tls_cert is set`).
    pub fn tls_files(&self) -> Result<Option<(&str, &str)>, String> {
        fn set(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.is_empty())
        }
        match (set(&self.tls_cert), set(&self.tls_key)) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            (Some(_), None) => Err("server.tls_key: required when server.tls_cert is set".into()),
            (None, Some(_)) => Err("server.tls_cert: required when server.tls_key is set".into()),
        }
    }
}

/// `[cluster]`: what several replicas of ccgate on one database share through Redis
/// (`crate::cluster`). Without `redis_url` every process keeps it to itself, as a single
/// replica should.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// `redis://host:port/db` (or `rediss://` for TLS); empty: no cluster. When set, the
    /// SignatureNonces, the invalidation of the AccessKey/instance caches and of the plugins'
    /// list caches, and the per-AccessKey rate limits are shared between every replica that
    /// names the same Redis and `key_prefix`.
    #[serde(default)]
    pub redis_url: String,
    /// Prefix of every Redis key and channel ccgate uses (default `ccgate`), so that several
    /// deployments can share one Redis.
    #[serde(default = "default_key_prefix")]
    pub key_prefix: String,
    /// Longest a request waits for Redis, milliseconds (default 500); beyond it the request
    /// is answered 503 `ServiceUnavailable` (replay protection fails closed).
    #[serde(default = "default_redis_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_key_prefix() -> String {
    "ccgate".into()
}

fn default_redis_timeout_ms() -> u64 {
    500
}

impl ClusterSettings {
    /// Whether a Redis is configured.
    pub fn enabled(&self) -> bool {
        !self.redis_url.trim().is_empty()
    }
}

/// `[database]`: where state lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// A sea-orm URL: `sqlite://...`, `postgres://...`, `mysql://...`.
    pub url: String,
    /// Connection pool size.
    pub max_connections: u32,
    /// Longest a request waits for a pooled connection, milliseconds; when the database is
    /// down, requests answer 503 `ServiceUnavailable` after it. Default 1000.
    #[serde(default = "default_acquire_timeout_ms")]
    pub acquire_timeout_ms: u64,
}

fn default_acquire_timeout_ms() -> u64 {
    1000
}

/// `[security]`: secrets at rest, replay protection, tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Base64 of a 32-byte master key; empty means use `master_key_file`.
    pub master_key: String,
    /// File holding the master key (created with a random key when missing).
    pub master_key_file: String,
    /// Accepted Timestamp skew and nonce memory, in seconds.
    pub replay_window_secs: u64,
    /// Most SignatureNonces remembered at once (about 20 bytes each); when full, signed
    /// requests are refused with 503 until old timestamps expire.
    pub max_nonces: usize,
    /// Most SignatureNonces one AccessKey may hold at once; beyond it that key's signed
    /// requests get 429 `Throttling.User` while other keys go on.
    pub max_nonces_per_key: usize,
    /// Lifetime of issued Bearer tokens, in seconds.
    pub token_ttl_secs: u64,
    /// Maximum lifetime of Huawei `tokenByAkSk` tokens, in seconds.
    pub huawei_token_max_secs: u64,
    /// In-memory cache lifetime of AccessKey and instance lookups, in seconds.
    pub cache_ttl_secs: u64,
}

/// `[limits]`: what one client or one request may use (issue 9). Every refusal is answered in
/// the dialect's envelope with a RequestId.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Most parameters (query and form body together) of one RPC request (400
    /// `Parameter.Maximum`).
    pub max_parameters: usize,
    /// Largest body of an RPC request (`/`), bytes (413 `RequestEntityTooLarge`).
    pub rpc_body_bytes: usize,
    /// Largest body of a Huawei operation, bytes.
    pub huawei_body_bytes: usize,
    /// Largest body of Huawei `tokenByAkSk`, bytes.
    pub token_body_bytes: usize,
    /// Time a client has to send a request body once its head arrived, seconds (408
    /// `RequestTimeout`).
    pub body_timeout_secs: u64,
    /// Time a client has to send a request head after connecting, milliseconds (actix-web's
    /// `client_request_timeout`).
    pub head_timeout_ms: u64,
    /// Idle time of a kept-alive connection between requests, seconds.
    pub keep_alive_secs: u64,
    /// Most open connections of the whole server; further ones wait in the listen backlog.
    pub max_connections: usize,
    /// Most open connections from one client IP address; a request on a connection beyond it
    /// gets 429 `Throttling.Connections` and the connection is closed.
    pub max_connections_per_ip: usize,
    /// Requests per second one AccessKey may make (a Bearer token counts against the key it
    /// was issued under, an account token against its account); beyond, 429 `Throttling.User`
    /// with `x-acs-retry-after` ([`crate::auth::rate`]). 0: no limit (the default).
    #[serde(default)]
    pub requests_per_key_per_second: u32,
    /// Most requests one key may make at once before the rate applies; 0: the rate.
    #[serde(default)]
    pub request_burst_per_key: u32,
}

/// `[plugins]`: which domains are served, built in or loaded from libraries.
#[derive(Debug, Clone, Deserialize)]
pub struct PluginSettings {
    /// Names of enabled built-in plugins.
    pub enabled: Vec<String>,
    /// Paths of plugin libraries (`cdylib`s built with the plugin's `dynamic` feature) to load.
    #[serde(default)]
    pub libraries: Vec<String>,
    /// A directory whose every library file (`.so` on Linux) is loaded; empty for none.
    #[serde(default)]
    pub directory: String,
    /// Each plugin's own settings: the `[plugins.<name>]` tables (and
    /// `CCGATE__PLUGINS__<NAME>__<KEY>`), by plugin name, handed to that plugin's
    /// `Plugin::init` (which reads them into its typed settings struct).
    #[serde(flatten)]
    pub tables: std::collections::BTreeMap<String, serde_json::Value>,
}

/// The prefix of the environment variables that set plugin settings.
const PLUGIN_ENV_PREFIX: &str = "CCGATE__PLUGINS__";

impl PluginSettings {
    /// Puts back, as the strings they were, the values that `CCGATE__PLUGINS__<NAME>__<KEY>`
    /// variables (`vars`, the process environment) gave a plugin table. The config crate reads
    /// every environment value as a number or boolean when it can (the core settings and the
    /// plugin lists need that), which would hand a plugin `123` for a TURN secret `00123`, or a
    /// number where it expects a string; plugins read strings as numbers and booleans where
    /// they expect those ([`ccgate_plugin_sdk::settings::parse`]), so the string is what keeps
    /// every value as the operator wrote it. Only keys the layers already hold are touched.
    pub fn keep_environment_strings(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        for (name, raw) in vars {
            let Some(rest) = name
                .get(..PLUGIN_ENV_PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(PLUGIN_ENV_PREFIX))
                .map(|_| &name[PLUGIN_ENV_PREFIX.len()..])
            else {
                continue;
            };
            // `[plugins] enabled` and the like are one segment: not a plugin's table.
            let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
            if path.len() < 2 || path.iter().any(String::is_empty) {
                continue;
            }
            let mut at = self.tables.get_mut(&path[0]);
            for key in &path[1..] {
                at = match at {
                    Some(serde_json::Value::Object(map)) => map.get_mut(key),
                    _ => None,
                };
            }
            if let Some(value) = at
                && matches!(
                    value,
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_)
                )
            {
                *value = serde_json::Value::String(raw);
            }
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LogFormat {
    /// JSON when stderr is not a terminal, text when it is.
    Auto,
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl TryFrom<String> for LogFormat {
    type Error = String;

    /// `auto`, `text` or `json`. (Read from a string so that every source, file or
    /// environment, words a bad value the same way.)
    fn try_from(s: String) -> Result<Self, String> {
        match s.as_str() {
            "auto" => Ok(Self::Auto),
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "unknown variant `{other}`, expected one of `auto`, `text`, `json`"
            )),
        }
    }
}

/// `[log]`: tracing output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `auto`, `text` or `json` (anything else stops start-up).
    pub format: LogFormat,
    /// EnvFilter directive.
    pub filter: String,
}

/// `[bootstrap]`: first-start behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapSettings {
    /// Create the demo account on an empty database.
    pub demo: bool,
    /// Instance id of the demo instance.
    pub demo_instance: String,
}

/// `[events]`: delivery of events between plugins (`docs/events.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventSettings {
    /// How often the log's newest id is read, in milliseconds: the longest an event written by
    /// another process waits before delivery starts (events published in this process wake the
    /// delivery service at once).
    pub poll_ms: u64,
    /// Most events read per query of one subscriber.
    pub batch: u64,
    /// Lifetime of a subscriber's delivery lease, in seconds: one process at a time delivers
    /// to a subscriber; after a crash, another process (or the restarted one) takes over once
    /// the crashed one's lease expired. Renewed every third of it.
    pub lease_secs: u64,
    /// Longest wait between two deliveries of an event its subscriber keeps failing, in
    /// milliseconds (the wait doubles from 100 ms up to this).
    pub retry_max_ms: u64,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            poll_ms: 500,
            batch: 100,
            lease_secs: 10,
            retry_max_ms: 30_000,
        }
    }
}

/// `[shutdown]`: what SIGTERM or SIGINT waits for, in order.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownSettings {
    /// Seconds in-flight HTTP requests get to finish once the listener is closed; connections
    /// still open then are closed.
    pub drain_secs: u64,
    /// Seconds the plugins' tasks and the event delivery get to stop once asked; tasks still
    /// running then are cancelled.
    pub tasks_secs: u64,
    /// Seconds each plugin's `shutdown()` may take.
    pub plugin_secs: u64,
}

impl Default for ShutdownSettings {
    fn default() -> Self {
        Self {
            drain_secs: 30,
            tasks_secs: 10,
            plugin_secs: 10,
        }
    }
}

impl Settings {
    /// Loads the layers. `file` is the optional `--config FILE`.
    ///
    /// Errors: an unreadable or invalid file; an unknown key or section, a misspelling, or a
    /// value of the wrong type, as one line naming it (`server: unknown field \`bnd\`, expected
    /// one of ...`, `log.format: unknown variant \`xml\`, ...`). `[plugins.<name>]` tables
    /// are the plugins' own to check (`Plugin::init`); only one of `[server] tls_cert` and
    /// `tls_key` set ([`ServerSettings::tls_files`]).
    pub fn load(file: Option<&str>) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_TOML,
            config::FileFormat::Toml,
        ));
        if let Some(path) = file {
            builder = builder.add_source(config::File::with_name(path).required(true));
        }
        let layers = builder
            .add_source(
                config::Environment::with_prefix("CCGATE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("plugins.enabled")
                    .with_list_parse_key("plugins.libraries"),
            )
            .build()?;
        let mut settings: Self = serde_path_to_error::deserialize(layers).map_err(|e| {
            let path = e.path().to_string();
            let what = e.into_inner();
            config::ConfigError::Message(if path == "." {
                what.to_string()
            } else {
                format!("{path}: {what}")
            })
        })?;
        settings.plugins.keep_environment_strings(std::env::vars());
        settings
            .server
            .tls_files()
            .map_err(config::ConfigError::Message)?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let s = Settings::load(None).unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert!(s.database.url.starts_with("sqlite://"));
        assert_eq!(
            s.plugins.enabled,
            vec![
                "agents",
                "calls",
                "device-diagnostics",
                "flows",
                "numbers",
                "reports",
                "roles",
                "workbench"
            ]
        );
        assert_eq!(s.events.poll_ms, 500);
        assert_eq!(s.events.lease_secs, 10);
        assert_eq!(s.shutdown.drain_secs, 30);
        assert_eq!(s.shutdown.tasks_secs, 10);
    }

    #[test]
    fn plugin_tables_come_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[plugins.numbers]\nlist_cache_ttl_ms = 250\n[plugins.flows]\nx = \"y\"\n",
        )
        .unwrap();
        let s = Settings::load(Some(path.to_str().unwrap())).unwrap();
        assert_eq!(s.plugins.tables["numbers"]["list_cache_ttl_ms"], 250);
        assert_eq!(s.plugins.tables["flows"]["x"], "y");
        assert_eq!(
            s.plugins.enabled,
            vec![
                "agents",
                "calls",
                "device-diagnostics",
                "flows",
                "numbers",
                "reports",
                "roles",
                "workbench"
            ]
        );
        assert!(!s.plugins.tables.contains_key("enabled"));
    }

    /// What the environment set reaches a plugin as the string the operator wrote; what the
    /// file set, and the other variables, are left alone.
    #[test]
    fn plugin_values_from_the_environment_stay_strings() {
        let mut p = PluginSettings {
            enabled: vec![],
            libraries: vec![],
            directory: String::new(),
            tables: serde_json::from_value(serde_json::json!({
                "workbench": {"turn": {"secret": 123, "ttl_secs": 600}, "region": "eu"},
                "numbers": {"list_cache_ttl_ms": 250, "flag": true},
            }))
            .unwrap(),
        };
        p.keep_environment_strings([
            (
                "CCGATE__PLUGINS__WORKBENCH__TURN__SECRET".into(),
                "00123".into(),
            ),
            ("ccgate__plugins__numbers__flag".into(), "TRUE".into()),
            ("CCGATE__PLUGINS__ENABLED".into(), "numbers".into()),
            ("CCGATE__PLUGINS__NUMBERS__ABSENT".into(), "1".into()),
            ("CCGATE__SERVER__WORKERS".into(), "2".into()),
            ("PLUGINS__NUMBERS__LIST_CACHE_TTL_MS".into(), "9".into()),
        ]);
        assert_eq!(
            serde_json::to_value(&p.tables).unwrap(),
            serde_json::json!({
                "workbench": {"turn": {"secret": "00123", "ttl_secs": 600}, "region": "eu"},
                "numbers": {"list_cache_ttl_ms": 250, "flag": "TRUE"},
            })
        );
    }

    #[test]
    fn unknown_keys_misspelled_sections_and_bad_values_stop_start_up_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let path = dir.path().join("bad.toml");
            std::fs::write(&path, text).unwrap();
            Settings::load(Some(path.to_str().unwrap()))
                .unwrap_err()
                .to_string()
        };
        let e = load("[server]\nbnd = \"0.0.0.0:9\"\n");
        assert!(e.starts_with("server.bnd: unknown field `bnd`"), "{e}");
        let e = load("[servr]\nbind = \"0.0.0.0:9\"\n");
        assert!(e.contains("unknown field `servr`"), "{e}");
        let e = load("[log]\nformat = \"xml\"\n");
        assert!(e.starts_with("log.format: unknown variant `xml`"), "{e}");
        let e = load("[security]\nreplay_window_secs = \"soon\"\n");
        assert!(e.starts_with("security.replay_window_secs: "), "{e}");
        assert!(!e.contains('\n'), "one line: {e}");
        // Plugin tables stay the plugins' to check.
        let path = dir.path().join("ok.toml");
        std::fs::write(&path, "[plugins.workbench]\nregion = \"eu\"\n").unwrap();
        let s = Settings::load(Some(path.to_str().unwrap())).unwrap();
        assert_eq!(s.plugins.tables["workbench"]["region"], "eu");
        assert_eq!(s.log.format, LogFormat::Auto);
    }

    #[test]
    fn tls_files_are_both_or_neither() {
        let dir = tempfile::tempdir().unwrap();
        let load = |text: &str| {
            let path = dir.path().join("tls.toml");
            std::fs::write(&path, text).unwrap();
            Settings::load(Some(path.to_str().unwrap()))
        };
        let s = Settings::load(None).unwrap();
        assert_eq!(s.server.tls_files(), Ok(None));
        let s = load("[server]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n").unwrap();
        assert_eq!(s.server.tls_files(), Ok(Some(("c.pem", "k.pem"))));
        let e = load("[server]\ntls_cert = \"c.pem\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "server.tls_key: required when server.tls_cert is set");
        let e = load("[server]\ntls_key = \"k.pem\"\ntls_cert = \"\"\n")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "server.tls_cert: required when server.tls_key is set");
    }

    #[test]
    fn a_file_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nbind = \"0.0.0.0:9\"\n").unwrap();
        let s = Settings::load(Some(path.to_str().unwrap())).unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9");
        assert_eq!(s.server.host_id, "ccgate");
    }
}

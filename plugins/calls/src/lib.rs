//! # ccgate-calls: the calls domain
//!
//! Places calls through the host's SIP engine (the telephony port,
//! `ccgate_plugin_sdk::telephony`) and keeps what happened to them.
//!
//! How a call flows through the crate:
//! - an action ([`actions`]: 2017 StartBack2BackCall, DialEx) picks the caller id ([`dial`]),
//!   for DialEx reserves an agent (`agents.reserve`), writes the call detail record as `LIVE`
//!   ([`storage::records`]) and only then asks the engine to start the call;
//! - the engine reports [`ccgate_plugin_sdk::telephony::CallEvent`]s on the host's event log
//!   (topic `telephony.call`); the subscription `calls.call-records` ([`recorder`]) applies each
//!   one, in one transaction, to the record and the per-call event log ([`lifecycle`] decides
//!   what changes) and, for calls with an agent leg, publishes [`events::AgentLeg`] for the
//!   agents plugin (`agents.follow-calls`);
//! - every record that turns `ENDED` (the recorder, the start-up task, a refused inbound call,
//!   a call the engine refused to start) publishes [`events::CallEnded`] (`calls.call_ended`)
//!   once, in the same transaction, for the reports plugin;
//! - an INVITE from a trunk reaches the query `route_inbound` ([`inbound`]): the called
//!   number's skill group (an agent reserved through `agents.reserve`) or contact flow (the
//!   media server) takes it, its record written first; the queue stage of its event log is
//!   [`queue`]'s;
//! - ListCallEventDetailByContactId renders the event log ([`render`]); the query `calls.cdrs`
//!   ([`queries`]) pages the records for the reports plugin;
//! - CallOnlinePrivacyNumber ([`actions::call_online_privacy_number`]) calls a call center
//!   number and a customer showing the number's bound virtual number (setting
//!   `privacy_numbers`); ModifyPrivacyNumberCallDetail links such a call to a contact;
//! - Encrypt ([`actions::encrypt`], [`numcrypt`], [`tokens`]) turns customer numbers into
//!   tokens the dialing actions accept in their place;
//! - at start-up the task `calls.close-interrupted` ([`restart`]) ends the records a previous
//!   process left `LIVE` (its calls died with it);
//! - for instances with a webhook (setting `webhooks`), the recorder and the start-up task
//!   enqueue each event's signed webhook in their transaction; the gateway delivers them
//!   through the queries `webhook_due` / `webhook_done` ([`webhooks`]).
//!
//! [`api`] is generated from `plugins/calls/api/` by `cargo xtask codegen` (never edit it).

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod call_context;
pub mod desk;
pub mod dial;
pub mod events;
pub mod idempotency;
pub mod inbound;
pub mod lifecycle;
pub mod numcrypt;
pub mod queries;
pub mod queue;
pub mod recorder;
pub mod render;
pub mod restart;
pub mod storage;
pub mod tokens;
pub mod webhooks;

#[cfg(test)]
mod testutil;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::task::TaskContext;
use ccgate_plugin_sdk::telephony::CallEvent;
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, EventContext, Params, Plugin, Reply, StoredEvent,
    Subscription, async_trait,
};
use serde::Deserialize;

/// The calls plugin's settings: `[plugins.calls]` in the config file
/// (`CCGATE__PLUGINS__CALLS__<KEY>` in the environment), read by [`Plugin::init`]. An unknown
/// key or a bad value stops start-up with a line naming it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How long each leg may ring before the engine cancels it, seconds (1-120, the port's
    /// range; the 2017 StartBack2BackCall and DialEx have no timeout parameter). Default 30.
    pub ring_timeout_seconds: u32,
    /// The longest a bridged call may last, seconds; 0 takes the engine's maximum
    /// (`[telephony]`). Default 0.
    pub max_duration_seconds: u32,
    /// The SIP URI of the media server that runs contact flows (DialEx AnswerMode 0): the
    /// second leg calls it with the flow id as a `flow` URI parameter
    /// (`sip:ivr@media.example;flow=<RoutPoint>`); inbound calls to a number bound to a flow
    /// likewise (`;flow=<ContactFlowId>`). Empty (the default): AnswerMode 0 answers 503
    /// `MediaServer.NotConfigured`, and such inbound calls are refused 480 ([`inbound`]).
    pub media_server_uri: String,
    /// The master key of Encrypt tokens: standard base64 of 32 random bytes (`openssl rand
    /// -base64 32`); each instance encrypts under its own HKDF-SHA256 key derived from it
    /// ([`numcrypt`]). Empty (the default): a random key generated on first use and kept in the
    /// table `calls_secret`. Changing it invalidates every token issued before.
    pub number_key: SecretSetting,
    /// Virtual (privacy) numbers bound to call center numbers, `"<call center number>" =
    /// "<virtual number TelX>"` (`[plugins.calls.privacy_numbers]`): CallOnlinePrivacyNumber
    /// shows TelX for TelA (seed 004 §6.10 "呼叫中心号码如果与虚拟号码进行绑定"; the AXN binding of
    /// §6.4 PrivacyNumber.TelX). Numbers are unique across instances (numbers plugin), so the
    /// key needs no instance; TelA must still be an outbound number of the caller's instance.
    /// Default: none.
    pub privacy_numbers: BTreeMap<String, String>,
    /// Signed webhooks of call events per instance, `"<InstanceId>" = { url = "http://…",
    /// secret = "…" }` (`[plugins.calls.webhooks]`; [`webhooks`]). Default: none.
    pub webhooks: BTreeMap<String, WebhookSetting>,
}

/// Where an instance's call events are POSTed, and the secret they are signed with.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSetting {
    /// The receiver: an `http://` URL.
    pub url: String,
    /// The HMAC-SHA256 key of `X-Ccgate-Signature` (never shown by `Debug`).
    pub secret: SecretSetting,
}

/// A secret setting: read like a string, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretSetting(pub String);

impl std::fmt::Debug for SecretSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "SecretSetting(<empty>)"
        } else {
            "SecretSetting(<redacted>)"
        })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ring_timeout_seconds: 30,
            max_duration_seconds: 0,
            media_server_uri: String::new(),
            number_key: SecretSetting::default(),
            privacy_numbers: BTreeMap::new(),
            webhooks: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The settings, checked: `ring_timeout_seconds` in 1..=120, `media_server_uri` empty or a
    /// `sip:`/`sips:` URI, `number_key` empty or 32 bytes of base64, `privacy_numbers` keys and
    /// values telephone numbers (3-32 digits, optional leading `+`), `webhooks` with an
    /// `http://` URL and a secret.
    ///
    /// Errors: one line naming the key.
    pub fn checked(self) -> Result<Self, String> {
        if !(1..=120).contains(&self.ring_timeout_seconds) {
            return Err(format!(
                "plugins.calls.ring_timeout_seconds: {} is not in 1..=120",
                self.ring_timeout_seconds
            ));
        }
        let uri = &self.media_server_uri;
        if !(uri.is_empty() || uri.starts_with("sip:") || uri.starts_with("sips:")) {
            return Err(format!(
                "plugins.calls.media_server_uri: {uri:?} is not a sip: or sips: URI"
            ));
        }
        if !self.number_key.0.is_empty() {
            numcrypt::parse_master(&self.number_key.0)
                .map_err(|e| format!("plugins.calls.number_key: the value {e}"))?;
        }
        for (number, tel_x) in &self.privacy_numbers {
            if !numcrypt::valid_number(number) || !numcrypt::valid_number(tel_x) {
                return Err(format!(
                    "plugins.calls.privacy_numbers.{number}: {number:?} = {tel_x:?} is not a \
                     telephone number = telephone number (3 to 32 digits, optional leading +)"
                ));
            }
        }
        for (instance, hook) in &self.webhooks {
            webhooks::check_url(&hook.url)
                .map_err(|e| format!("plugins.calls.webhooks.{instance}.url: {e}"))?;
            if hook.secret.0.is_empty() {
                return Err(format!(
                    "plugins.calls.webhooks.{instance}.secret: must not be empty"
                ));
            }
        }
        Ok(self)
    }
}

/// What every handler of this plugin is given with the request (`ctx.state()`).
#[derive(Debug, Default)]
pub struct State {
    /// The settings read at start-up.
    pub settings: Settings,
    /// The master key of Encrypt tokens once read ([`tokens::instance_key`]).
    pub number_key: OnceLock<numcrypt::KeyBytes>,
}

/// The calls plugin (config name `calls`): `CallsPlugin::default()`.
#[derive(Debug, Default)]
pub struct CallsPlugin {
    state: OnceLock<State>,
}

/// The subscriber that records the engine's call events ([`recorder`]).
pub const CALL_RECORDS: &str = "calls.call-records";

/// The start-up task that ends the records a previous process left `LIVE` ([`restart`]).
pub const CLOSE_INTERRUPTED: &str = "calls.close-interrupted";

impl CallsPlugin {
    /// The plugin with `settings`, whatever [`Plugin::init`] is given later; for tests.
    pub fn with_settings(settings: Settings) -> Self {
        let plugin = Self::default();
        let _ = plugin.state.set(State {
            settings,
            ..State::default()
        });
        plugin
    }

    /// The state handlers see (default settings until [`Plugin::init`] ran).
    pub fn state(&self) -> &State {
        self.state.get_or_init(State::default)
    }
}

#[async_trait]
impl Plugin for CallsPlugin {
    fn name(&self) -> &'static str {
        "calls"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/calls/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_calls`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads `[plugins.calls]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.calls.ring_timeout_seconds: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("calls", settings)?;
        let _ = self.state.set(State {
            settings: settings.checked()?,
            ..State::default()
        });
        Ok(())
    }

    /// [`api::dispatch`].
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// The queries of `plugins/calls/api/queries/` ([`queries`]), and the host's
    /// `route_inbound` ([`inbound`], served by hand: its JSON is the SDK's types), and the
    /// host's webhook delivery queries `webhook_due` / `webhook_done` ([`webhooks`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        if name == ccgate_plugin_sdk::telephony::ROUTE_INBOUND {
            return inbound::query(self.state(), ctx, args).await;
        }
        if name == ccgate_plugin_sdk::telephony::WEBHOOK_DUE
            || name == ccgate_plugin_sdk::telephony::WEBHOOK_DONE
        {
            return webhooks::query(self.state(), ctx, name, args).await;
        }
        api::queries::dispatch(self.state(), ctx, name, args).await
    }

    /// [`CLOSE_INTERRUPTED`], run once at start-up.
    fn tasks(&self) -> Vec<&'static str> {
        vec![CLOSE_INTERRUPTED]
    }

    /// Ends the records left `LIVE` ([`restart::close_interrupted`]) and finishes.
    ///
    /// Errors: storage (the host starts the task again after a back-off).
    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        if index != 0 {
            return Err(format!("plugin calls has no task #{index}"));
        }
        let hooks = &self.state().settings.webhooks;
        let closed = restart::close_interrupted(&cx.db, hooks, ccgate_plugin_sdk::time::now_ms())
            .await
            .map_err(|e| format!("{CLOSE_INTERRUPTED}: {e}"))?;
        if closed > 0 {
            tracing::warn!(closed, "calls left LIVE by a previous process were ended");
        }
        Ok(())
    }

    /// [`CALL_RECORDS`] on the engine's topic `telephony.call`.
    fn subscriptions(&self) -> Vec<Subscription> {
        vec![Subscription::new(CALL_RECORDS).to::<CallEvent>()]
    }

    /// Records one call event ([`recorder::record`]).
    ///
    /// Errors: an undecodable event (500 `InvalidEvent`) or storage; the host delivers the same
    /// event again after a back-off.
    async fn on_event(
        &self,
        ctx: &EventContext,
        sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        if sub != 0 || !event.is::<CallEvent>() {
            return Ok(());
        }
        let call: CallEvent = event.decode()?;
        recorder::record(&ctx.db, &self.state().settings.webhooks, &call).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use super::*;

    #[test]
    fn serves_the_actions_of_its_specs_and_subscribes_to_the_engine() {
        let plugin = CallsPlugin::default();
        assert_eq!(plugin.name(), "calls");
        assert_eq!(plugin.actions(), api::ACTIONS.to_vec());
        assert_eq!(plugin.subscriptions()[0].topics, ["telephony.call"]);
        assert_eq!(plugin.tasks(), [CLOSE_INTERRUPTED]);
    }

    #[tokio::test]
    async fn settings_are_read_checked_and_bad_keys_refused() {
        let plugin = CallsPlugin::default();
        let e = plugin.init(&json!({"nope": 1})).await.unwrap_err();
        assert!(e.starts_with("plugins.calls"), "{e}");
        let e = CallsPlugin::default()
            .init(&json!({"ring_timeout_seconds": 0}))
            .await
            .unwrap_err();
        assert!(e.contains("ring_timeout_seconds"), "{e}");
        let e = CallsPlugin::default()
            .init(&json!({"media_server_uri": "http://x"}))
            .await
            .unwrap_err();
        assert!(e.contains("media_server_uri"), "{e}");
        plugin
            .init(&json!({"ring_timeout_seconds": 20, "media_server_uri": "sip:ivr@ms"}))
            .await
            .unwrap();
        assert_eq!(plugin.state().settings.ring_timeout_seconds, 20);
        let plugin = CallsPlugin::default();
        plugin.init(&Value::Null).await.unwrap();
        assert_eq!(plugin.state().settings, Settings::default());
    }
    #[tokio::test]
    async fn the_number_key_and_privacy_numbers_are_checked_and_never_printed() {
        let key = crate::numcrypt::encode_master(&crate::numcrypt::KeyBytes([1; 32]));
        let plugin = CallsPlugin::default();
        plugin
            .init(&json!({"number_key": key, "privacy_numbers": {"02566040852": "13020155449"}}))
            .await
            .unwrap();
        let s = &plugin.state().settings;
        assert_eq!(s.privacy_numbers["02566040852"], "13020155449");
        let shown = format!("{:?}", plugin.state());
        assert!(!shown.contains(&key), "{shown}");
        let e = CallsPlugin::default()
            .init(&json!({"number_key": "c2hvcnQ="}))
            .await
            .unwrap_err();
        assert!(
            e.starts_with("plugins.calls.number_key") && !e.contains("c2hvcnQ"),
            "{e}"
        );
        let e = CallsPlugin::default()
            .init(&json!({"privacy_numbers": {"02566040852": "x"}}))
            .await
            .unwrap_err();
        assert!(
            e.starts_with("plugins.calls.privacy_numbers.02566040852"),
            "{e}"
        );
    }
}

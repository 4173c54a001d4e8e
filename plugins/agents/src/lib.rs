//! # ccgate-agents: the agents domain
//!
//! Scaffolded by `cargo xtask new-plugin agents` (`plugins/README.md`, "Write a new plugin").
//!
//! How a request flows through the crate:
//! - the contracts live in `plugins/agents/api/`: one spec per action
//!   (`<Action>.<version>.toml`), the response shapes several actions share (`shapes/`), the
//!   queries this plugin offers other plugins (`queries/`) and those it calls (`uses.toml`);
//! - [`api`] is generated from them by `cargo xtask codegen` (never edit it): per action its
//!   `SPEC`, typed `Request` parser and `Response` structs, [`api::ACTIONS`], [`api::errors`]
//!   (one constructor per error code the specs list), [`api::dispatch`], which parses a request
//!   and calls its handler, and the export of the dynamic library;
//! - [`AgentsPlugin`] implements [`Plugin`]: `handle` hands the request to [`api::dispatch`] with
//!   the plugin's [`State`];
//! - [`actions`]: one module per action, each with
//!   `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>` and its tests;
//! - [`storage`]: sea-orm entities and the migrations (tracked in `ccgate_migrations_agents`);
//! - [`render`]: the shared response shapes (skill groups, users) built from loaded rows;
//!   [`access`]: what a caller may see (leader and agent scope); [`numbers`]: the reads from the
//!   numbers plugin (`numbers.by_ids`); [`queries`]: the queries other plugins call
//!   (`skill_groups`).
//!
//! The plugin is built into ccgate (gateway feature `plugin-agents`, enabled by
//! `[plugins] enabled`) and can be loaded as a library instead (feature `dynamic`).

#![deny(missing_docs)]

pub mod access;
pub mod actions;
pub mod api;
pub mod calls;
pub mod directory;
pub mod numbers;
pub mod queries;
pub mod render;
pub mod reserve;
pub mod roles;
pub mod state;
pub mod storage;
pub mod user_render;
pub mod user_writes;

#[cfg(test)]
mod calls_tests;
#[cfg(test)]
mod testutil;

use std::sync::OnceLock;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::task::TaskContext;
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, EventContext, Params, Plugin, Reply, StoredEvent,
    Subscription, async_trait,
};
use serde::Deserialize;

/// The agents plugin's settings: `[plugins.agents]` in the config file
/// (`CCGATE__PLUGINS__AGENTS__<KEY>` in the environment), read by [`Plugin::init`]. An unknown
/// key or a bad value stops start-up with a line naming it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The longest window ListAgentStateLogs reads, in hours (seed 004 §9.8 bounds the 2017
    /// ListAgentEvents to one hour; the 2020 action documents no bound). Default 24.
    pub state_log_window_hours: u32,
    /// How long an agent stays in after-call work (WORKING) once a call ended before ccgate makes
    /// it READY again, seconds; 0 makes it READY at once. The agent may go READY (or on a break)
    /// earlier itself. Checked every second by the task `agents.after-call-work`
    /// (`docs/agents.md`). Default 10.
    pub after_call_work_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            state_log_window_hours: 24,
            after_call_work_seconds: 10,
        }
    }
}

/// What every handler of this plugin is given with the request (`ctx.state()`): the settings,
/// and whatever the plugin keeps between requests (caches, clients).
#[derive(Debug, Default)]
pub struct State {
    /// The settings read at start-up.
    pub settings: Settings,
}

/// The subscriber that follows the calls plugin's agent legs ([`calls::follow`]).
pub const FOLLOW_CALLS: &str = "agents.follow-calls";

/// The task that ends after-call work ([`calls::end_after_call_work`]).
pub const AFTER_CALL_WORK: &str = "agents.after-call-work";

/// The agents plugin (config name `agents`): `AgentsPlugin::default()`.
#[derive(Debug, Default)]
pub struct AgentsPlugin {
    state: OnceLock<State>,
}

impl AgentsPlugin {
    /// The plugin with `settings`, whatever [`Plugin::init`] is given later; for tests.
    pub fn with_settings(settings: Settings) -> Self {
        let plugin = Self::default();
        let _ = plugin.state.set(State { settings });
        plugin
    }

    /// The state handlers see (default settings until [`Plugin::init`] ran).
    pub fn state(&self) -> &State {
        self.state.get_or_init(State::default)
    }
}

#[async_trait]
impl Plugin for AgentsPlugin {
    fn name(&self) -> &'static str {
        "agents"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/agents/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_agents`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads `[plugins.agents]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.agents.state_log_window_hours: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("agents", settings)?;
        // Built with explicit settings (`with_settings`, tests): those win.
        let _ = self.state.set(State { settings });
        Ok(())
    }

    /// [`api::dispatch`]: the generated parser of the action, its handler in
    /// `actions::<module>`, and (debug builds) the reply checked against the spec.
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// The queries of `plugins/agents/api/queries/` ([`api::queries::dispatch`]): see
    /// [`queries`].
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        api::queries::dispatch(self.state(), ctx, name, args).await
    }

    /// [`AFTER_CALL_WORK`].
    fn tasks(&self) -> Vec<&'static str> {
        vec![AFTER_CALL_WORK]
    }

    /// Every second, makes READY the agents whose after-call work lasted
    /// `after_call_work_seconds` ([`calls::end_after_call_work`]), until stopped.
    ///
    /// Errors: storage (the host starts the task again after a back-off).
    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        if index != 0 {
            return Err(format!("plugin agents has no task #{index}"));
        }
        let seconds = self.state().settings.after_call_work_seconds;
        while cx.sleep(std::time::Duration::from_secs(1)).await {
            calls::end_after_call_work(&cx.db, seconds, ccgate_plugin_sdk::time::now_ms())
                .await
                .map_err(|e| format!("{AFTER_CALL_WORK}: {e}"))?;
        }
        Ok(())
    }

    /// [`FOLLOW_CALLS`] on `calls.agent_leg`.
    fn subscriptions(&self) -> Vec<Subscription> {
        vec![Subscription::new(FOLLOW_CALLS).to::<calls::AgentLeg>()]
    }

    /// Moves the agent of a call leg ([`calls::follow`]).
    ///
    /// Errors: an undecodable event (500 `InvalidEvent`) or storage; delivered again.
    async fn on_event(
        &self,
        ctx: &EventContext,
        sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        if sub != 0 || !event.is::<calls::AgentLeg>() {
            return Ok(());
        }
        let leg: calls::AgentLeg = event.decode()?;
        let seconds = self.state().settings.after_call_work_seconds;
        calls::follow(&ctx.db, &leg, seconds, ccgate_plugin_sdk::time::now_ms()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ccgate_plugin_sdk::sea_orm::ConnectionTrait;
    use ccgate_plugin_sdk::serde_json::json;
    use ccgate_plugin_sdk::testing::TestEnv;

    use super::*;

    #[test]
    fn serves_the_actions_of_its_specs() {
        let plugin = AgentsPlugin::default();
        assert_eq!(plugin.name(), "agents");
        assert_eq!(plugin.actions(), api::ACTIONS.to_vec());
    }

    #[tokio::test]
    async fn settings_are_read_and_bad_keys_refused() {
        let plugin = AgentsPlugin::default();
        let e = plugin.init(&json!({"nope": 1})).await.unwrap_err();
        assert!(e.starts_with("plugins.agents"), "{e}");
        assert!(e.contains("nope"), "{e}");
        plugin
            .init(&json!({"state_log_window_hours": 2}))
            .await
            .unwrap();
        assert_eq!(plugin.state().settings.state_log_window_hours, 2);
        // No settings at all: the defaults.
        let plugin = AgentsPlugin::default();
        plugin.init(&Value::Null).await.unwrap();
        assert_eq!(plugin.state().settings, Settings::default());
    }

    #[tokio::test]
    async fn migrations_are_tracked_in_their_own_table_and_run_twice_harmlessly() {
        let plugin = Arc::new(AgentsPlugin::default());
        let env = TestEnv::new(vec![plugin.clone() as Arc<dyn Plugin>]).await;
        plugin.migrate(&env.db).await.unwrap();
        env.db
            .execute_unprepared("SELECT COUNT(*) FROM ccgate_migrations_agents")
            .await
            .unwrap();
    }
}

//! # ccgate-workbench: the agent workbench domain
//!
//! What an agent's softphone asks the control plane before it can take calls (seed 004 §3):
//! who the agent is and where to register (RequestLoginInfo), a signed session it keeps fresh
//! (RefreshToken), how to relay media through firewalls (GetTURNCredentials,
//! GetTURNServerList), which settings apply (GetConfig, ListConfig; administrators change them
//! with 2020-07-01 UpdateConfigItems and read them with ListConfigItems), and the extension of
//! the satisfaction-survey route point (GetServiceExtensions).
//!
//! How a request flows through the crate:
//! - the contracts live in `plugins/workbench/api/`: one spec per action, the query this
//!   plugin offers (`queries/login_key.toml`) and those it calls (`uses.toml`: agents' `caller`
//!   and `service_extension`, agents' `skill_groups`, roles' `of_instance`);
//! - [`api`] is generated from them by `cargo xtask codegen` (never edit it);
//! - [`actions`]: one module per action, `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>`;
//! - [`items`]: the configuration items of seed 004 §3.2, their scopes, ranges and defaults;
//!   [`scope`]: which object a request names and whether the caller may; [`values`]: the value
//!   in effect at a scope;
//! - [`signing`]: SignData and its Ed25519 signature with the instance's login key
//!   (`docs/workbench.md` documents the algorithm); [`turn`]: coturn REST-API credentials;
//! - [`storage`]: the tables `workbench_config_items` and `workbench_login_keys`.
//!
//! Settings: `[plugins.workbench]` ([`settings::Settings`]).

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod items;
pub mod people;
pub mod queries;
pub mod scope;
pub mod settings;
pub mod signing;
pub mod storage;
pub mod turn;
pub mod values;

#[cfg(test)]
mod testutil;

use std::sync::OnceLock;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Params, Plugin, Reply, async_trait};

pub use settings::Settings;

/// What every handler of this plugin is given with the request (`ctx.state()`).
#[derive(Debug, Default)]
pub struct State {
    /// The settings read at start-up.
    pub settings: Settings,
}

/// The workbench plugin (config name `workbench`): `WorkbenchPlugin::default()`.
#[derive(Debug, Default)]
pub struct WorkbenchPlugin {
    state: OnceLock<State>,
}

impl WorkbenchPlugin {
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
impl Plugin for WorkbenchPlugin {
    fn name(&self) -> &'static str {
        "workbench"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/workbench/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_workbench`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads and checks `[plugins.workbench]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.workbench.turn.ttl_secs: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("workbench", settings)?;
        settings.check()?;
        // Built with explicit settings (`with_settings`, tests): those win.
        let _ = self.state.set(State { settings });
        Ok(())
    }

    /// [`api::dispatch`]: the generated parser of the action and its handler in
    /// `actions::<module>`.
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// [`api::queries::dispatch`]: `login_key` ([`queries`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        api::queries::dispatch(self.state(), ctx, name, args).await
    }
}

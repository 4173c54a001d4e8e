//! # ccgate-roles: the roles domain
//!
//! Every instance has three fixed roles (seed 004 §5.1): administrator (管理员), skill-group
//! leader (技能组组长) and agent (坐席), with ids derived from the instance and the role
//! ([`catalog`]); nothing is stored. The plugin serves 2017-07-05 ListRoles (the roles the
//! caller's role may manage) and offers the queries `resolve` (role ids to roles, for agents'
//! RoleId.N) and `of_instance` ([`queries`]).
//!
//! How a request flows through the crate:
//! - the contracts live in `plugins/roles/api/`: one spec per action
//!   (`<Action>.<version>.toml`), the response shapes several actions share (`shapes/`), the
//!   queries this plugin offers other plugins (`queries/`) and those it calls (`uses.toml`);
//! - [`api`] is generated from them by `cargo xtask codegen` (never edit it): per action its
//!   `SPEC`, typed `Request` parser and `Response` structs, [`api::ACTIONS`], [`api::errors`]
//!   (one constructor per error code the specs list), [`api::dispatch`], which parses a request
//!   and calls its handler, and the export of the dynamic library;
//! - [`RolesPlugin`] implements [`Plugin`]: `handle` hands the request to [`api::dispatch`] with
//!   the plugin's [`State`];
//! - [`actions`]: one module per action, each with
//!   `handle(&api::Ctx<'_>, Request) -> ApiResult<Response>` and its tests;
//! - [`catalog`]: the roles of an instance, their ids and names;
//! - [`queries`]: the queries other plugins call (`resolve`, `of_instance`);
//! - [`storage`]: the migrator (no tables; tracked in `ccgate_migrations_roles`).
//!
//! The plugin is built into ccgate (gateway feature `plugin-roles`, enabled by
//! `[plugins] enabled`) and can be loaded as a library instead (feature `dynamic`).

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod catalog;
pub mod queries;
pub mod storage;

use std::sync::OnceLock;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Params, Plugin, Reply, async_trait};
use serde::Deserialize;

/// The roles plugin's settings: `[plugins.roles]` in the config file
/// (`CCGATE__PLUGINS__ROLES__<KEY>` in the environment), read by [`Plugin::init`]. An unknown
/// key or a bad value stops start-up with a line naming it.
///
/// None yet: the roles are fixed. `[plugins.roles]` may be absent or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {}

/// What every handler of this plugin is given with the request (`ctx.state()`): the settings,
/// and whatever the plugin keeps between requests (caches, clients).
#[derive(Debug, Default)]
pub struct State {
    /// The settings read at start-up.
    pub settings: Settings,
}

/// The roles plugin (config name `roles`): `RolesPlugin::default()`.
#[derive(Debug, Default)]
pub struct RolesPlugin {
    state: OnceLock<State>,
}

impl RolesPlugin {
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
impl Plugin for RolesPlugin {
    fn name(&self) -> &'static str {
        "roles"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/roles/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_roles`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads `[plugins.roles]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.roles: unknown field ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("roles", settings)?;
        // Built with explicit settings (`with_settings`, tests): those win.
        let _ = self.state.set(State { settings });
        Ok(())
    }

    /// [`api::dispatch`]: the generated parser of the action, its handler in
    /// `actions::<module>`, and (debug builds) the reply checked against the spec.
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// [`api::queries::dispatch`]: `resolve` and `of_instance` ([`queries`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        api::queries::dispatch(self.state(), ctx, name, args).await
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
        let plugin = RolesPlugin::default();
        assert_eq!(plugin.name(), "roles");
        assert_eq!(plugin.actions(), api::ACTIONS.to_vec());
        assert!(
            api::ACTIONS
                .iter()
                .any(|a| (a.version, a.action) == ("2017-07-05", "ListRoles"))
        );
    }

    #[tokio::test]
    async fn settings_are_read_and_bad_keys_refused() {
        let plugin = RolesPlugin::default();
        let e = plugin.init(&json!({"nope": 1})).await.unwrap_err();
        assert!(e.starts_with("plugins.roles"), "{e}");
        assert!(e.contains("nope"), "{e}");
        plugin.init(&json!({})).await.unwrap();
        assert_eq!(plugin.state().settings, Settings::default());
        // No settings at all: the defaults.
        let plugin = RolesPlugin::default();
        plugin.init(&Value::Null).await.unwrap();
        assert_eq!(plugin.state().settings, Settings::default());
    }

    #[tokio::test]
    async fn migrations_are_tracked_in_their_own_table_and_run_twice_harmlessly() {
        let plugin = Arc::new(RolesPlugin::default());
        let env = TestEnv::new(vec![plugin.clone() as Arc<dyn Plugin>]).await;
        plugin.migrate(&env.db).await.unwrap();
        env.db
            .execute_unprepared("SELECT COUNT(*) FROM ccgate_migrations_roles")
            .await
            .unwrap();
    }
}

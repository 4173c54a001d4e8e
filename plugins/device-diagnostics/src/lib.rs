//! # ccgate-device-diagnostics: the device-diagnostics domain
//!
//! Serves seed 004 §12 (问题排查, trouble-shooting): the devices agents go online with, kept to
//! investigate double logins and drop-outs.
//! - 2017-07-05 AddAgentDevice (§12.2): records the calling agent's browser, client IP and port
//!   and a remark; answers the record's `AgentDeviceId`;
//! - ModifyAgentDevice (§12.1): sets the record's sign-in result (`IsLogin`);
//! - ListAgentDevices (§12.4): the records of some agents (`RamIds`; the caller's own when
//!   empty) in a time range, newest first, at most 1000.
//!
//! GetRecordOssUploadParam (§12.3) is specified (`implemented = false`) but not served: the
//! gateway answers it 501 `NotImplemented`.
//!
//! How it fits together:
//! - the contracts live in `plugins/device-diagnostics/api/`: one spec per action, and
//!   `uses.toml`, the queries of other plugins it calls (`agents.caller`: the RamId of the
//!   agent a record is made for);
//! - [`api`] is generated from them by `cargo xtask codegen` (never edit it): per action its
//!   `SPEC`, typed `Request` parser and `Response` structs, [`api::ACTIONS`], [`api::errors`],
//!   [`api::clients`], [`api::dispatch`] and the export of the dynamic library;
//! - [`actions`]: one module per action, `handle(&api::Ctx<'_>, Request) ->
//!   ApiResult<Response>`, with its tests;
//! - [`storage`]: the table `device_diagnostics_agent_devices`, its reads and writes, the
//!   retention purge and the migrator (bookkeeping table `ccgate_migrations_device_diagnostics`);
//! - [`retention`]: the plugin task that deletes records older than
//!   [`Settings::retention_days`], at start and every hour.
//!
//! The plugin is built into ccgate (gateway feature `plugin-device-diagnostics`, enabled by
//! `[plugins] enabled`) and can be loaded as a library instead (feature `dynamic`).

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod retention;
pub mod storage;

#[cfg(test)]
mod testutil;

use std::sync::OnceLock;

use ccgate_plugin_sdk::sea_orm::{DatabaseConnection, DbErr};
use ccgate_plugin_sdk::sea_orm_migration::MigratorTrait;
use ccgate_plugin_sdk::serde_json::Value;
use ccgate_plugin_sdk::task::TaskContext;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Params, Plugin, Reply, async_trait};
use serde::Deserialize;

/// The default of [`Settings::retention_days`].
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The largest accepted [`Settings::retention_days`] (about ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;

/// The device-diagnostics plugin's settings: `[plugins.device-diagnostics]` in the config file,
/// read by [`Plugin::init`]. An unknown key or a bad value stops start-up with a line naming it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// How many days an agent device record is kept, counted from its `LoginTime`; older ones
    /// are deleted by the task [`retention::TASK`] (at start, then every hour). 1 to 3650;
    /// default 90.
    pub retention_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

impl Settings {
    /// Checks the values serde cannot.
    ///
    /// Errors: `retention_days` outside 1..=3650, named by its config path.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=MAX_RETENTION_DAYS).contains(&self.retention_days) {
            return Err(format!(
                "plugins.device-diagnostics.retention_days: {} is out of range (1 to {MAX_RETENTION_DAYS} days)",
                self.retention_days
            ));
        }
        Ok(())
    }
}

/// What every handler of this plugin is given with the request (`ctx.state()`).
#[derive(Debug, Default)]
pub struct State {
    /// The settings read at start-up.
    pub settings: Settings,
}

/// The device-diagnostics plugin (config name `device-diagnostics`):
/// `DeviceDiagnosticsPlugin::default()`.
#[derive(Debug, Default)]
pub struct DeviceDiagnosticsPlugin {
    state: OnceLock<State>,
}

impl DeviceDiagnosticsPlugin {
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
impl Plugin for DeviceDiagnosticsPlugin {
    fn name(&self) -> &'static str {
        "device-diagnostics"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/device-diagnostics/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_device_diagnostics`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads `[plugins.device-diagnostics]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, or `retention_days` out of range, named
    /// (`plugins.device-diagnostics.retention_days: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings =
            ccgate_plugin_sdk::settings::parse("device-diagnostics", settings)?;
        settings.validate()?;
        // Built with explicit settings (`with_settings`, tests): those win.
        let _ = self.state.set(State { settings });
        Ok(())
    }

    /// [`api::dispatch`]: the generated parser of the action, its handler in
    /// `actions::<module>`, and (debug builds) the reply checked against the spec.
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// [`retention::TASK`]: deletes records older than the retention.
    fn tasks(&self) -> Vec<&'static str> {
        vec![retention::TASK]
    }

    /// Purges old records at start and every hour until stopped ([`retention::run`]).
    ///
    /// Errors: storage (the host starts the task again after a back-off).
    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        if index != 0 {
            return Err(format!("plugin device-diagnostics has no task #{index}"));
        }
        retention::run(&cx, self.state().settings.retention_days).await
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
    fn serves_three_actions_and_one_task() {
        let plugin = DeviceDiagnosticsPlugin::default();
        assert_eq!(plugin.name(), "device-diagnostics");
        assert_eq!(plugin.actions(), api::ACTIONS.to_vec());
        let mut served: Vec<&str> = api::ACTIONS.iter().map(|a| a.action).collect();
        served.sort_unstable();
        assert_eq!(
            served,
            ["AddAgentDevice", "ListAgentDevices", "ModifyAgentDevice"]
        );
        assert_eq!(plugin.tasks(), [retention::TASK]);
    }

    #[tokio::test]
    async fn retention_days_default_to_90_and_bad_values_are_refused_with_their_key() {
        let plugin = DeviceDiagnosticsPlugin::default();
        plugin.init(&Value::Null).await.unwrap();
        assert_eq!(plugin.state().settings.retention_days, 90);

        let plugin = DeviceDiagnosticsPlugin::default();
        // From the environment every value is a string.
        plugin.init(&json!({"retention_days": "30"})).await.unwrap();
        assert_eq!(plugin.state().settings.retention_days, 30);

        for bad in [
            json!({"retention_days": 0}),
            json!({"retention_days": 3651}),
        ] {
            let e = DeviceDiagnosticsPlugin::default()
                .init(&bad)
                .await
                .unwrap_err();
            assert!(
                e.starts_with("plugins.device-diagnostics.retention_days"),
                "{e}"
            );
        }
        let e = DeviceDiagnosticsPlugin::default()
            .init(&json!({"retention": 5}))
            .await
            .unwrap_err();
        assert!(e.starts_with("plugins.device-diagnostics"), "{e}");
        assert!(e.contains("retention"), "{e}");
    }

    #[tokio::test]
    async fn migrations_are_tracked_in_their_own_table_and_run_twice_harmlessly() {
        let plugin = Arc::new(DeviceDiagnosticsPlugin::default());
        let env = TestEnv::new(vec![plugin.clone() as Arc<dyn Plugin>]).await;
        plugin.migrate(&env.db).await.unwrap();
        env.db
            .execute_unprepared("SELECT COUNT(*) FROM ccgate_migrations_device_diagnostics")
            .await
            .unwrap();
        env.db
            .execute_unprepared("SELECT COUNT(*) FROM device_diagnostics_agent_devices")
            .await
            .unwrap();
    }
}

//! # ccgate-reports: the reports domain
//!
//! Serves seed 004 §11: ListCallDetailRecords, the instance / agent / skill-group summary
//! reports (over a range, since midnight, by interval) and call metering
//! (GetCallMeasureSummaryReport, ListCallMeasureSummaryReports). Every figure is computed from
//! what happened: the calls plugin's ended calls (`calls.call_ended`) and the agents plugin's
//! state transitions (`agents.state_changed`). docs/metrics.md defines every field.
//!
//! How it fits together:
//! - the subscription `reports.rollups` ([`ingest`]) keeps the reports' own copies (calls,
//!   closed state periods split at local midnights, each agent's open period) and the daily
//!   rollups ([`tally::Tally`] per instance, agent, skill group and number per local day),
//!   each event in one transaction, idempotently;
//! - [`compute`] answers any range from the rollups of whole local days plus raw records of
//!   the partial days and the open periods up to now; [`counts`] gives ListCallDetailRecords'
//!   TotalCount from per-day call counts; [`clock`] knows each instance's zone
//!   ([`zones`], settings `time_zone` / `time_zones`);
//! - [`render`] turns tallies into the seed's fields (no I/O); [`actions`] has one module per
//!   action; [`rebuild`] recomputes the rollups from the copies (`ccgate reports rebuild`);
//! - [`export`] writes the calls of a time range as CSV or Parquet, page by page; [`jobs`]
//!   runs exports asynchronously (table `reports_export`, task [`jobs::TASK`]) for the
//!   gateway's `/v1/instances/{id}/cdr-exports` resource, which reaches them through the
//!   [`queries`] `export_start`, `export_status` and `export_file`.
//!
//! [`api`] is generated from `plugins/reports/api/` by `cargo xtask codegen` (never edit it).

#![deny(missing_docs)]

pub mod actions;
pub mod api;
pub mod clock;
pub mod compute;
pub mod counts;
pub mod export;
pub mod facts;
pub mod ingest;
pub mod jobs;
pub mod queries;
pub mod rebuild;
pub mod render;
pub mod storage;
pub mod tally;
pub mod zones;

#[cfg(test)]
mod export_tests;
#[cfg(test)]
mod naive;
#[cfg(test)]
mod properties;

use std::collections::BTreeMap;
use std::path::PathBuf;
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

use crate::facts::{CallEnded, StateChanged};
use crate::zones::Zones;

/// The reports plugin's settings: `[plugins.reports]` in the config file
/// (`CCGATE__PLUGINS__REPORTS__<KEY>`). A bad zone name stops start-up with a line naming it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The time zone of every instance not named in `time_zones` (IANA name). Default
    /// `Asia/Shanghai`, the zone of the service ccgate imitates.
    pub time_zone: String,
    /// Per-instance zones: `{ "<InstanceId>" = "Europe/Berlin" }`. Changing an instance's zone
    /// takes `ccgate reports rebuild` to move its daily rollups to the new local days.
    pub time_zones: BTreeMap<String, String>,
    /// Where CDR exports are written (`<export_dir>/<ExportId>.<csv|parquet>`), created when
    /// missing; relative to the working directory. Default `./data/exports`, beside the
    /// default SQLite file. Several gateway processes on one database need a shared directory.
    pub export_dir: String,
}

/// The default of [`Settings::export_dir`].
pub const DEFAULT_EXPORT_DIR: &str = "./data/exports";

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_zone: "Asia/Shanghai".into(),
            time_zones: BTreeMap::new(),
            export_dir: DEFAULT_EXPORT_DIR.into(),
        }
    }
}

impl Settings {
    /// The zones these settings name.
    ///
    /// Errors: a name that is not an IANA zone, with its key.
    pub fn zones(&self) -> Result<Zones, String> {
        let default =
            clock::zone(&self.time_zone).map_err(|e| format!("plugins.reports.time_zone: {e}"))?;
        let mut per_instance = BTreeMap::new();
        for (instance, name) in &self.time_zones {
            let tz = clock::zone(name)
                .map_err(|e| format!("plugins.reports.time_zones.{instance}: {e}"))?;
            per_instance.insert(instance.clone(), tz);
        }
        Ok(Zones {
            default,
            per_instance,
        })
    }
}

/// What every handler of this plugin is given with the request (`ctx.state()`).
#[derive(Debug)]
pub struct State {
    /// The instances' time zones.
    pub zones: Zones,
    /// Where CDR exports are written ([`Settings::export_dir`]).
    pub export_dir: PathBuf,
}

impl Default for State {
    fn default() -> Self {
        State {
            zones: Zones::default(),
            export_dir: PathBuf::from(DEFAULT_EXPORT_DIR),
        }
    }
}

/// The reports plugin (config name `reports`): `ReportsPlugin::default()`.
#[derive(Debug, Default)]
pub struct ReportsPlugin {
    state: OnceLock<State>,
}

/// The subscriber that keeps the reports' records and rollups ([`ingest`]).
pub const ROLLUPS: &str = "reports.rollups";

impl ReportsPlugin {
    /// The plugin with `zones`, whatever [`Plugin::init`] is given later; for tests.
    pub fn with_zones(zones: Zones) -> Self {
        let plugin = Self::default();
        let _ = plugin.state.set(State {
            zones,
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
impl Plugin for ReportsPlugin {
    fn name(&self) -> &'static str {
        "reports"
    }

    fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }

    /// [`api::ACTIONS`], generated from `plugins/reports/api/*.toml`.
    fn actions(&self) -> Vec<ActionSpec> {
        api::ACTIONS.to_vec()
    }

    /// Runs this plugin's migrations (bookkeeping table `ccgate_migrations_reports`).
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        storage::migration::Migrator::up(db, None).await
    }

    /// Reads `[plugins.reports]` ([`Settings`]).
    ///
    /// Errors: a bad or unknown key, named (`plugins.reports.time_zone: ...`).
    async fn init(&self, settings: &Value) -> Result<(), String> {
        let settings: Settings = ccgate_plugin_sdk::settings::parse("reports", settings)?;
        if settings.export_dir.trim().is_empty() {
            return Err("plugins.reports.export_dir: must not be empty".into());
        }
        let _ = self.state.set(State {
            zones: settings.zones()?,
            export_dir: PathBuf::from(&settings.export_dir),
        });
        Ok(())
    }

    /// [`api::dispatch`].
    async fn handle(&self, ctx: &Context, action: usize, params: &Params) -> ApiResult<Reply> {
        api::dispatch(self.state(), ctx, action, params).await
    }

    /// The CDR export queries ([`queries`]).
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        api::queries::dispatch(self.state(), ctx, name, args).await
    }

    /// [`jobs::TASK`]: writes the CDR exports.
    fn tasks(&self) -> Vec<&'static str> {
        vec![jobs::TASK]
    }

    /// Claims and runs export jobs until stopped ([`jobs::run`]).
    ///
    /// Errors: storage (the host starts the task again after a back-off).
    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        if index != 0 {
            return Err(format!("plugin reports has no task #{index}"));
        }
        jobs::run(&cx, &self.state().export_dir).await
    }

    /// [`ROLLUPS`] on `calls.call_ended` and `agents.state_changed`.
    fn subscriptions(&self) -> Vec<Subscription> {
        vec![
            Subscription::new(ROLLUPS)
                .to::<CallEnded>()
                .to::<StateChanged>(),
        ]
    }

    /// Applies one event ([`ingest`]).
    ///
    /// Errors: an undecodable event or storage; the host delivers it again after a back-off.
    async fn on_event(
        &self,
        ctx: &EventContext,
        sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        if sub != 0 {
            return Ok(());
        }
        let zones = &self.state().zones;
        if event.is::<CallEnded>() {
            ingest::call_ended(&ctx.db, zones, &event.decode()?).await?;
        } else if event.is::<StateChanged>() {
            ingest::state_changed(&ctx.db, zones, &event.decode()?).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ccgate_plugin_sdk::serde_json::json;

    use super::*;

    #[test]
    fn serves_its_specs_and_subscribes_to_calls_and_agent_states() {
        let plugin = ReportsPlugin::default();
        assert_eq!(plugin.name(), "reports");
        assert_eq!(plugin.actions(), api::ACTIONS.to_vec());
        assert_eq!(
            plugin.subscriptions()[0].topics,
            ["calls.call_ended", "agents.state_changed"]
        );
        assert_eq!(plugin.tasks(), [jobs::TASK]);
    }

    #[tokio::test]
    async fn zones_are_read_and_bad_names_refused_with_their_key() {
        let plugin = ReportsPlugin::default();
        plugin
            .init(&json!({"time_zones": {"inst-1": "Europe/Berlin"}}))
            .await
            .unwrap();
        let z = &plugin.state().zones;
        assert_eq!(z.of("inst-1"), chrono_tz::Europe::Berlin);
        assert_eq!(z.of("other"), chrono_tz::Asia::Shanghai);
        let e = ReportsPlugin::default()
            .init(&json!({"time_zone": "Mars/Base"}))
            .await
            .unwrap_err();
        assert!(e.starts_with("plugins.reports.time_zone:"), "{e}");
        let e = ReportsPlugin::default()
            .init(&json!({"time_zones": {"i": "UTC+8"}}))
            .await
            .unwrap_err();
        assert!(e.starts_with("plugins.reports.time_zones.i:"), "{e}");
        assert_eq!(
            ReportsPlugin::default().state().export_dir,
            PathBuf::from(DEFAULT_EXPORT_DIR)
        );
        let plugin = ReportsPlugin::default();
        plugin
            .init(&json!({"export_dir": "/var/lib/ccgate/exports"}))
            .await
            .unwrap();
        assert_eq!(
            plugin.state().export_dir,
            PathBuf::from("/var/lib/ccgate/exports")
        );
    }
}

//! `testing`: a plugin for the tests of the plugin boundary (`crates/gateway/tests/it/dynamic.rs`).
//!
//! Actions (2017-07-05): `TestPanic` panics; `TestEcho` logs an event and returns its
//! parameters; `TestWrite` inserts a row with an i32, an i64 and a bool column in a transaction
//! (committed, or rolled back with `Rollback=true`), then reads it back through an entity;
//! `TestPublish` records `Count` changes of `Stream` and publishes a [`Noted`] event for each,
//! in one transaction (rolled back with `Rollback=true`).
//!
//! Host services ([`ledger`]): subscriber `testing.ledger` records every delivery of a
//! [`Noted`] event (idempotently: one `testing_seen` row per event, every delivery appended to
//! `testing_deliveries`; a note `fail:<n>` fails the first `n` attempts); task `ticker` counts
//! ticks every 20 ms until stopped, task `flaky` panics on its first run and fails on its
//! second; `shutdown` records itself in `testing_ticks`.
#![deny(missing_docs)]

use ccgate_plugin_sdk::sea_orm::entity::prelude::*;
use ccgate_plugin_sdk::sea_orm::{self, ConnectionTrait, Statement, TransactionTrait};
use ccgate_plugin_sdk::{
    ActionSpec, ApiError, ApiResult, Context, EventContext, Params, Plugin, Reply, StoredEvent,
    Subscription, TaskContext, async_trait,
};
use serde_json::json;

pub mod ledger;
pub use ledger::Noted;

/// The `testing_items` table.
pub mod item {
    use super::*;

    /// One row.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "testing_items")]
    pub struct Model {
        /// Key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// A 32-bit column.
        pub small: i32,
        /// A 64-bit column.
        pub big: i64,
        /// A boolean column.
        pub flag: bool,
        /// A nullable text column.
        pub note: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The test plugin.
#[derive(Debug, Default, Clone, Copy)]
pub struct TestPlugin;

#[async_trait]
impl Plugin for TestPlugin {
    fn name(&self) -> &'static str {
        "testing"
    }

    fn version(&self) -> &'static str {
        "0.0.1-test"
    }

    fn actions(&self) -> Vec<ActionSpec> {
        ["TestPanic", "TestEcho", "TestWrite", "TestPublish"]
            .into_iter()
            .map(|a| ActionSpec::rpc("2017-07-05", a))
            .collect()
    }

    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        db.execute_unprepared(
            "CREATE TABLE IF NOT EXISTS testing_items (id VARCHAR(64) PRIMARY KEY, \
             small INTEGER NOT NULL, big BIGINT NOT NULL, flag BOOLEAN NOT NULL, note TEXT)",
        )
        .await?;
        ledger::migrate(db).await
    }

    async fn handle(&self, ctx: &Context, _action: usize, params: &Params) -> ApiResult<Reply> {
        match ctx.spec.action {
            "TestPanic" => panic!("boom from the test plugin"),
            "TestEcho" => {
                tracing::info!(params = params.all().len(), "echo from the test plugin");
                Ok(Reply::empty()
                    .with("Params", json!(params.all()))
                    .with("Instance", json!(ctx.instance())))
            }
            "TestWrite" => write(ctx, params).await,
            "TestPublish" => ledger::publish_changes(ctx, params).await,
            other => Err(ApiError::not_implemented(other)),
        }
    }

    fn tasks(&self) -> Vec<&'static str> {
        ledger::TASKS.to_vec()
    }

    async fn run_task(&self, index: usize, cx: TaskContext) -> Result<(), String> {
        ledger::run_task(index, cx).await
    }

    fn subscriptions(&self) -> Vec<Subscription> {
        vec![Subscription::new(ledger::SUBSCRIBER).to::<Noted>()]
    }

    async fn on_event(
        &self,
        ctx: &EventContext,
        _sub: usize,
        event: &StoredEvent,
    ) -> Result<(), ApiError> {
        ledger::record(ctx, event).await
    }

    async fn shutdown(&self) {
        ledger::shut_down().await
    }
}

async fn write(ctx: &Context, params: &Params) -> ApiResult<Reply> {
    let id = params.required("Id")?;
    let rollback = params.get("Rollback") == Some("true");
    let backend = ctx.db.get_database_backend();
    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "INSERT INTO testing_items (id, small, big, flag, note) VALUES ($1, $2, $3, $4, $5)"
        }
        _ => "INSERT INTO testing_items (id, small, big, flag, note) VALUES (?, ?, ?, ?, ?)",
    };
    let inserted = txn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                id.into(),
                2_000_000_000_i32.into(),
                (1_i64 << 40).into(),
                true.into(),
                Option::<String>::None.into(),
            ],
        ))
        .await;
    if let Err(e) = inserted {
        if ccgate_plugin_sdk::storage::is_unique_violation(&e) {
            return Err(ApiError::conflict("Id", format!("{id} exists")));
        }
        return Err(e.into());
    }
    // Read inside the transaction (a nested savepoint on the host).
    let nested = txn.begin().await?;
    let inside = item::Entity::find_by_id(id).one(&nested).await?;
    nested.commit().await?;
    if rollback {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    let after = item::Entity::find_by_id(id).one(&ctx.db).await?;
    Ok(Reply::empty()
        .with("SeenInside", json!(inside.is_some()))
        .with(
            "Row",
            json!(
                after.map(
                    |m| json!({"Small": m.small, "Big": m.big, "Flag": m.flag, "Note": m.note})
                )
            ),
        ))
}

#[cfg(all(
    feature = "dynamic",
    not(feature = "wrong-abi"),
    not(feature = "no-entry")
))]
ccgate_plugin_abi::export_plugin!(TestPlugin, entities = [item::Entity]);

/// The entry point with the next ABI version, which no host of this build accepts.
#[cfg(all(feature = "wrong-abi", not(feature = "no-entry")))]
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
pub extern "C" fn ccgate_plugin_entry() -> *const ccgate_plugin_abi::ffi::PluginEntry {
    fn make() -> ccgate_plugin_abi::guest::Guest {
        ccgate_plugin_abi::guest::Guest::new(
            Box::new(TestPlugin),
            ccgate_plugin_abi::guest::ColumnHints::default(),
        )
    }
    ccgate_plugin_abi::guest::entry_with_abi_version(make, ccgate_plugin_abi::ffi::ABI_VERSION + 1)
}

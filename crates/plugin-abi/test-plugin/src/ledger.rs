//! The test plugin's use of the host services: events it publishes and records, its tasks and
//! its shutdown, all observable in its tables (so a test can check them in another process,
//! after a crash).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ccgate_plugin_sdk::events::{self, DomainEvent};
use ccgate_plugin_sdk::sea_orm::{
    self, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement, Value,
};
use ccgate_plugin_sdk::storage::begin_write;
use ccgate_plugin_sdk::{
    ApiError, ApiResult, Context, EventContext, Params, Reply, StoredEvent, TaskContext,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The subscriber name of the ledger.
pub const SUBSCRIBER: &str = "testing.ledger";

/// The tasks, in order.
pub const TASKS: [&str; 2] = ["ticker", "flaky"];

/// A change of a stream was recorded (`testing_changes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noted {
    /// The stream.
    pub stream: String,
    /// The change's number in its stream, from 1.
    pub seq: u32,
    /// Free text; `fail:<n>` makes the ledger fail the first `n` deliveries.
    pub note: String,
}

impl DomainEvent for Noted {
    const TOPIC: &'static str = "testing.noted";

    fn stream(&self) -> String {
        self.stream.clone()
    }
}

/// `sql` with `?` placeholders turned into `$1, $2…` on PostgreSQL.
fn stmt(backend: DbBackend, sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push_str(&format!("${n}"));
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_string()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

static DB: OnceLock<DatabaseConnection> = OnceLock::new();

/// Creates the ledger's tables and keeps `db` for [`shut_down`].
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let _ = DB.set(db.clone());
    let auto = match db.get_database_backend() {
        DbBackend::Postgres => "BIGSERIAL PRIMARY KEY",
        DbBackend::MySql => "BIGINT AUTO_INCREMENT PRIMARY KEY",
        _ => "INTEGER PRIMARY KEY AUTOINCREMENT",
    };
    for ddl in [
        format!(
            "CREATE TABLE IF NOT EXISTS testing_changes (id {auto}, stream VARCHAR(64) NOT NULL, \
             seq INTEGER NOT NULL)"
        ),
        "CREATE TABLE IF NOT EXISTS testing_seen (event_id BIGINT PRIMARY KEY, \
         topic VARCHAR(128) NOT NULL, stream VARCHAR(255) NOT NULL, payload TEXT NOT NULL, \
         recorded_at BIGINT NOT NULL, deliveries INTEGER NOT NULL)"
            .to_string(),
        format!(
            "CREATE TABLE IF NOT EXISTS testing_deliveries (n {auto}, event_id BIGINT NOT NULL, \
             attempt INTEGER NOT NULL)"
        ),
        "CREATE TABLE IF NOT EXISTS testing_ticks (name VARCHAR(64) PRIMARY KEY, \
         count BIGINT NOT NULL, stopped INTEGER NOT NULL)"
            .to_string(),
    ] {
        db.execute_unprepared(&ddl).await?;
    }
    Ok(())
}

/// Records change `seq` of `stream` and publishes its [`Noted`] event, in one transaction;
/// returns the event id.
///
/// Errors: storage.
pub async fn publish_change(
    db: &DatabaseConnection,
    stream: &str,
    seq: u32,
    note: &str,
) -> Result<i64, DbErr> {
    let txn = begin_write(db).await?;
    let id = change(&txn, stream, seq, note).await?;
    txn.commit().await?;
    Ok(id)
}

async fn change(
    txn: &sea_orm::DatabaseTransaction,
    stream: &str,
    seq: u32,
    note: &str,
) -> Result<i64, DbErr> {
    let backend = txn.get_database_backend();
    txn.execute_raw(stmt(
        backend,
        "INSERT INTO testing_changes (stream, seq) VALUES (?, ?)",
        [stream.into(), i64::from(seq).into()],
    ))
    .await?;
    events::publish(
        txn,
        &Noted {
            stream: stream.to_string(),
            seq,
            note: note.to_string(),
        },
    )
    .await
}

/// `TestPublish`: `Stream`, `Count` (default 1), `Note`, `Rollback`; answers the event ids.
pub async fn publish_changes(ctx: &Context, params: &Params) -> ApiResult<Reply> {
    let stream = params.required("Stream")?;
    let count: u32 = params
        .get("Count")
        .unwrap_or("1")
        .parse()
        .map_err(|_| ApiError::invalid("Count", "an integer"))?;
    let note = params.get("Note").unwrap_or_default();
    let txn = begin_write(&ctx.db).await?;
    let mut ids = Vec::new();
    for seq in 1..=count {
        ids.push(change(&txn, stream, seq, note).await?);
    }
    if params.get("Rollback") == Some("true") {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(Reply::empty().with("Ids", json!(ids)))
}

/// The ledger subscriber: appends the delivery to `testing_deliveries` and counts it in
/// `testing_seen` (one row per event: a redelivery is recognised by the event id), in one
/// transaction.
pub async fn record(ctx: &EventContext, event: &StoredEvent) -> Result<(), ApiError> {
    let noted: Noted = event.decode()?;
    if let Some(n) = noted.note.strip_prefix("fail:")
        && ctx.attempt <= n.parse().unwrap_or(0)
    {
        return Err(ApiError::new(
            503,
            "Testing.Unavailable",
            format!(
                "attempt {} of event {} fails on purpose",
                ctx.attempt, event.id
            ),
        ));
    }
    let backend = ctx.db.get_database_backend();
    let txn = begin_write(&ctx.db).await?;
    txn.execute_raw(stmt(
        backend,
        "INSERT INTO testing_deliveries (event_id, attempt) VALUES (?, ?)",
        [event.id.into(), i64::from(ctx.attempt).into()],
    ))
    .await?;
    let updated = txn
        .execute_raw(stmt(
            backend,
            "UPDATE testing_seen SET deliveries = deliveries + 1 WHERE event_id = ?",
            [event.id.into()],
        ))
        .await?;
    if updated.rows_affected() == 0 {
        txn.execute_raw(stmt(
            backend,
            "INSERT INTO testing_seen (event_id, topic, stream, payload, recorded_at, deliveries) \
             VALUES (?, ?, ?, ?, ?, 1)",
            [
                event.id.into(),
                event.topic.clone().into(),
                event.stream.clone().into(),
                event.payload.clone().into(),
                event.recorded_at_ms().into(),
            ],
        ))
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Adds one to counter `name`, and marks it stopped when `stopped`.
async fn tick(db: &DatabaseConnection, name: &str, stopped: bool) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let stopped = i64::from(stopped);
    let updated = db
        .execute_raw(stmt(
            backend,
            "UPDATE testing_ticks SET count = count + 1, stopped = ? WHERE name = ?",
            [stopped.into(), name.into()],
        ))
        .await?;
    if updated.rows_affected() == 0 {
        db.execute_raw(stmt(
            backend,
            "INSERT INTO testing_ticks (name, count, stopped) VALUES (?, 1, ?)",
            [name.into(), stopped.into()],
        ))
        .await?;
    }
    Ok(())
}

static FLAKY_RUNS: AtomicU32 = AtomicU32::new(0);

/// Task `ticker` ticks every 20 ms until stopped, then records that it stopped. Task `flaky`
/// panics on its first run, fails on its second, then waits to be stopped.
pub async fn run_task(index: usize, cx: TaskContext) -> Result<(), String> {
    let err = |e: DbErr| e.to_string();
    match TASKS.get(index) {
        Some(&"ticker") => {
            loop {
                tick(&cx.db, "ticker", false).await.map_err(err)?;
                if !cx.sleep(Duration::from_millis(20)).await {
                    break;
                }
            }
            tick(&cx.db, "ticker", true).await.map_err(err)?;
            Ok(())
        }
        Some(&"flaky") => {
            let run = FLAKY_RUNS.fetch_add(1, Ordering::SeqCst) + 1;
            tick(&cx.db, "flaky", false).await.map_err(err)?;
            match run {
                1 => panic!("the flaky task panics on its first run"),
                2 => Err("the flaky task fails on its second run".into()),
                _ => {
                    cx.stopped().await;
                    tick(&cx.db, "flaky", true).await.map_err(err)?;
                    Ok(())
                }
            }
        }
        _ => Err(format!("no task #{index}")),
    }
}

/// Records the shutdown in `testing_ticks` (`shutdown`).
pub async fn shut_down() {
    if let Some(db) = DB.get()
        && let Err(e) = tick(db, "shutdown", true).await
    {
        tracing::error!(error = %e, "recording the shutdown failed");
    }
}

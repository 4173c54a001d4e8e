//! `GET /metrics`: the Prometheus text exposition format (0.0.4), rendered by the `metrics`
//! facade's Prometheus recorder (`metrics-exporter-prometheus`), so `promtool check metrics`
//! accepts it (tests/e2e/test_platform.py runs it).
//!
//! Recorded on the request path (one counter increment and one histogram sample per request,
//! lock-free):
//! - `ccgate_requests_total{dialect, action, code}`: requests answered; `code` is `OK` or the
//!   error code; `action` is the spec's action (or the route template, or `unknown` for a
//!   request that names none this build knows, so client input never becomes a label);
//! - `ccgate_request_duration_seconds{dialect, action}`: time from the request's arrival to its
//!   answer, a histogram with buckets from 0.5 ms to 10 s.
//!
//! Read at scrape time from the state they describe:
//! - `ccgate_nonce_store_entries`, `_capacity`, `_per_key_capacity`: SignatureNonces remembered
//!   (replay protection); signed requests get 503 when the entries reach the capacity (alert
//!   well before, e.g. at 80%);
//! - `ccgate_db_pool_connections`, `ccgate_db_pool_idle_connections`, `ccgate_db_pool_max_connections`:
//!   the database pool (all connections in use and none idle means requests wait for one);
//! - `ccgate_events_head`: the newest event id this process's delivery has read
//!   (`docs/events.md`);
//! - `ccgate_events_position{subscriber}`: the stored position of each subscriber this process
//!   delivers to (holds the lease of); `head - position` is its lag;
//! - `ccgate_events_delivery_failures{subscriber}`: failed deliveries since the process started.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;

use crate::state::AppState;

/// Buckets of `ccgate_request_duration_seconds`, seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder: installed as the `metrics` facade's global recorder on first use.
/// `None` when another global recorder was installed first (an embedding program's): then
/// this module records into that one and `/metrics` answers only the gauges it renders.
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("ccgate_request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    metrics::describe_counter!(
        "ccgate_requests_total",
        "Requests answered, by dialect, action and code (OK or the error code)"
    );
    metrics::describe_histogram!(
        "ccgate_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from a request's arrival to its answer"
    );
    for (name, help) in [
        (
            "ccgate_nonce_store_entries",
            "SignatureNonces remembered for replay protection",
        ),
        (
            "ccgate_nonce_store_capacity",
            "Most SignatureNonces remembered at once; signed requests are refused beyond",
        ),
        (
            "ccgate_nonce_store_per_key_capacity",
            "Most SignatureNonces one AccessKey may hold",
        ),
        (
            "ccgate_db_pool_connections",
            "Open database connections of the pool",
        ),
        (
            "ccgate_db_pool_idle_connections",
            "Idle database connections of the pool",
        ),
        (
            "ccgate_db_pool_max_connections",
            "Most database connections the pool opens ([database] max_connections)",
        ),
        (
            "ccgate_events_head",
            "Newest event id read by this process's event delivery",
        ),
        (
            "ccgate_events_position",
            "Stored position (last delivered event id) of each subscriber this process delivers to",
        ),
        (
            "ccgate_events_delivery_failures",
            "Failed deliveries per subscriber since this process started",
        ),
    ] {
        metrics::describe_gauge!(name, help);
    }
}

/// Installs the recorder (once per process) and keeps it bounded: histogram samples are
/// folded into their buckets every 5 s even when nobody scrapes. Called by `runtime::serve`.
pub fn start_upkeep() {
    if let Some(h) = handle() {
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                h.run_upkeep();
            }
        });
    }
}

/// Counts one answered request (see the module docs for the labels).
pub fn record(dialect: &'static str, action: &str, code: &str, elapsed: Duration) {
    metrics::counter!(
        "ccgate_requests_total",
        "dialect" => dialect,
        "action" => action.to_string(),
        "code" => code.to_string()
    )
    .increment(1);
    metrics::histogram!(
        "ccgate_request_duration_seconds",
        "dialect" => dialect,
        "action" => action.to_string()
    )
    .record(elapsed.as_secs_f64());
}

fn pool_stats(db: &DatabaseConnection) -> Option<(u32, usize)> {
    use sea_orm::DatabaseConnectionType as T;
    match &db.inner {
        T::SqlxSqlitePoolConnection(_) => {
            let p = db.get_sqlite_connection_pool();
            Some((p.size(), p.num_idle()))
        }
        T::SqlxPostgresPoolConnection(_) => {
            let p = db.get_postgres_connection_pool();
            Some((p.size(), p.num_idle()))
        }
        T::SqlxMySqlPoolConnection(_) => {
            let p = db.get_mysql_connection_pool();
            Some((p.size(), p.num_idle()))
        }
        _ => None,
    }
}

/// The exposition text: the gauges set from `state`, then everything recorded.
pub fn render(state: &AppState) -> String {
    let Some(h) = handle() else {
        return String::new();
    };
    let replay = &state.auth.replay;
    metrics::gauge!("ccgate_nonce_store_entries").set(replay.len() as f64);
    metrics::gauge!("ccgate_nonce_store_capacity").set(replay.capacity() as f64);
    metrics::gauge!("ccgate_nonce_store_per_key_capacity").set(replay.per_key_capacity() as f64);
    if let Some((size, idle)) = pool_stats(&state.db) {
        metrics::gauge!("ccgate_db_pool_connections").set(f64::from(size));
        metrics::gauge!("ccgate_db_pool_idle_connections").set(idle as f64);
    }
    metrics::gauge!("ccgate_db_pool_max_connections")
        .set(f64::from(state.settings.database.max_connections));
    let events = crate::events::stats();
    metrics::gauge!("ccgate_events_head").set(events.head as f64);
    for (name, sub) in &events.subscribers {
        let subscriber = name.to_string();
        if sub.leased {
            metrics::gauge!("ccgate_events_position", "subscriber" => subscriber.clone())
                .set(sub.position as f64);
        }
        metrics::gauge!("ccgate_events_delivery_failures", "subscriber" => subscriber)
            .set(sub.failures as f64);
    }
    h.run_upkeep();
    h.render()
}

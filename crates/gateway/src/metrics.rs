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
//!   answer, a histogram with buckets from 0.5 ms to 10 s;
//! - `ccgate_plugin_calls_total{plugin, kind}`: calls across the plugin boundary, counted by the
//!   host for built-in and library plugins alike ([`PluginCalls`]): `kind` is `action`
//!   ([`Plugin::handle`](ccgate_plugin_sdk::Plugin::handle), a client's request), `query`
//!   ([`Services::query`](ccgate_plugin_sdk::Services::query) answered by `plugin`, or by the
//!   host when `plugin` is `@host`) or `event` (one delivery attempt of
//!   [`Plugin::on_event`](ccgate_plugin_sdk::Plugin::on_event)); `plugin` is the called side's
//!   name as this process loaded it (never client text). A call is counted when it returns or
//!   is cancelled (an event delivery whose lease was lost);
//! - `ccgate_plugin_call_duration_seconds{plugin, kind}`: the time spent in those calls, a
//!   histogram with buckets from 50 µs to 10 s (an action's also counts in the request's
//!   duration above, which adds authentication and rendering).
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
use std::time::{Duration, Instant};

use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;

use crate::state::AppState;

/// Buckets of `ccgate_request_duration_seconds`, seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Buckets of `ccgate_plugin_call_duration_seconds`, seconds: from 50 µs, as a query answered
/// from a plugin's cache takes microseconds.
const PLUGIN_CALL_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 10.0,
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
                .ok()?
                .set_buckets_for_metric(
                    Matcher::Full("ccgate_plugin_call_duration_seconds".into()),
                    PLUGIN_CALL_BUCKETS,
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
    metrics::describe_counter!(
        "ccgate_plugin_calls_total",
        "Calls across the plugin boundary, by called plugin (@host: the host's queries) and kind (action, query, event)"
    );
    metrics::describe_histogram!(
        "ccgate_plugin_call_duration_seconds",
        metrics::Unit::Seconds,
        "Time spent in calls across the plugin boundary, by called plugin and kind"
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

/// What crosses the plugin boundary in one call (the `kind` label of
/// `ccgate_plugin_calls_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    /// [`Plugin::handle`](ccgate_plugin_sdk::Plugin::handle): an action a client called.
    Action,
    /// [`Services::query`](ccgate_plugin_sdk::Services::query): a query another plugin or the
    /// host asks a plugin, or a plugin asks the host.
    Query,
    /// [`Plugin::on_event`](ccgate_plugin_sdk::Plugin::on_event): one delivery attempt of an
    /// event to a subscriber.
    Event,
}

impl CallKind {
    /// The label value: `action`, `query` or `event`.
    pub const fn label(self) -> &'static str {
        match self {
            CallKind::Action => "action",
            CallKind::Query => "query",
            CallKind::Event => "event",
        }
    }
}

/// The call counters and duration histograms of one plugin (`ccgate_plugin_calls_total`,
/// `ccgate_plugin_call_duration_seconds`), registered with the recorder on the first call of
/// each kind and kept: counting a call then allocates nothing and looks nothing up. The host
/// keeps one per plugin beside the plugin (the registry's routes, the event subscribers) and
/// [`HOST_CALLS`] for its own queries.
pub struct PluginCalls {
    plugin: &'static str,
    /// Per [`CallKind`], in declaration order.
    handles: [OnceLock<(Counter, Histogram)>; 3],
}

impl PluginCalls {
    /// The metrics of the plugin named `plugin` (`Plugin::name`, or `@host`).
    pub const fn new(plugin: &'static str) -> Self {
        Self {
            plugin,
            handles: [OnceLock::new(), OnceLock::new(), OnceLock::new()],
        }
    }

    /// The plugin label.
    pub fn plugin(&self) -> &'static str {
        self.plugin
    }

    /// Counts one call of `kind` that took `elapsed`.
    pub fn record(&self, kind: CallKind, elapsed: Duration) {
        let (calls, duration) = self.handles[kind as usize].get_or_init(|| {
            // Installs the recorder first: a handle taken before it is a no-op forever.
            let _ = handle();
            (
                metrics::counter!(
                    "ccgate_plugin_calls_total",
                    "plugin" => self.plugin,
                    "kind" => kind.label()
                ),
                metrics::histogram!(
                    "ccgate_plugin_call_duration_seconds",
                    "plugin" => self.plugin,
                    "kind" => kind.label()
                ),
            )
        });
        calls.increment(1);
        duration.record(elapsed.as_secs_f64());
    }

    /// Awaits `call`, one call of `kind`, and counts it when it ends or is dropped unfinished.
    pub async fn time<F: Future>(&self, kind: CallKind, call: F) -> F::Output {
        let _timing = self.start(kind);
        call.await
    }

    /// Starts timing one call of `kind`: counted when the returned guard is dropped (for code
    /// that answers from several places rather than awaiting one future, [`PluginCalls::time`]).
    pub fn start(&self, kind: CallKind) -> CallTiming<'_> {
        CallTiming {
            calls: self,
            kind,
            started: Instant::now(),
        }
    }
}

/// One call being timed ([`PluginCalls::start`]): counted when dropped, after the call returned
/// or when its future was cancelled.
#[must_use = "the call is counted when this guard is dropped"]
pub struct CallTiming<'a> {
    calls: &'a PluginCalls,
    kind: CallKind,
    started: Instant,
}

impl Drop for CallTiming<'_> {
    fn drop(&mut self) {
        self.calls.record(self.kind, self.started.elapsed());
    }
}

/// The host's answers to plugins' queries ([`ccgate_plugin_sdk::context::HOST_SERVICES`],
/// `plugin="@host"`).
pub static HOST_CALLS: PluginCalls = PluginCalls::new(ccgate_plugin_sdk::context::HOST_SERVICES);

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample value of the series `name{labels}` in `text`, if rendered.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[tokio::test]
    async fn plugin_calls_are_counted_per_plugin_and_kind_with_their_duration() {
        let h = handle().expect("the Prometheus recorder is the global one");
        let calls = PluginCalls::new("metrics-test");
        calls.record(CallKind::Action, Duration::from_micros(80));
        assert_eq!(calls.time(CallKind::Action, async { 7 }).await, 7);
        calls.record(CallKind::Event, Duration::from_millis(3));
        // A call whose future is dropped unfinished counts too.
        {
            let mut pending =
                std::pin::pin!(calls.time(CallKind::Query, std::future::pending::<()>()));
            assert!(futures::poll!(pending.as_mut()).is_pending());
        }
        // Another handle of the same plugin counts into the same series.
        PluginCalls::new("metrics-test").record(CallKind::Event, Duration::ZERO);
        let text = {
            h.run_upkeep();
            h.render()
        };
        let total = |kind: &str| {
            sample(
                &text,
                &format!("ccgate_plugin_calls_total{{plugin=\"metrics-test\",kind=\"{kind}\"}}"),
            )
        };
        assert_eq!(total("action"), Some(2.0), "{text}");
        assert_eq!(total("event"), Some(2.0), "{text}");
        assert_eq!(total("query"), Some(1.0), "{text}");
        assert_eq!(
            sample(
                &text,
                "ccgate_plugin_call_duration_seconds_bucket{plugin=\"metrics-test\",kind=\"action\",le=\"0.0001\"}"
            ),
            Some(2.0),
            "{text}"
        );
        assert!(text.contains("# TYPE ccgate_plugin_calls_total counter"));
        assert_eq!(HOST_CALLS.plugin(), "@host");
    }
}

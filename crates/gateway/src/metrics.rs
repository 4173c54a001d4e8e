//! `GET /metrics`: Prometheus text exposition (OpenMetrics, rendered by the `prometheus-client`
//! crate). Gauges are read at scrape time from the state they describe, so nothing on the
//! request path updates a metric.
//!
//! - `ccgate_nonce_store_entries`: SignatureNonces remembered now (replay protection);
//! - `ccgate_nonce_store_capacity`: `[security] max_nonces`; signed requests get 503 when the
//!   entries reach it (alert well before, e.g. at 80%);
//! - `ccgate_nonce_store_per_key_capacity`: `[security] max_nonces_per_key`;
//! - `ccgate_events_head`: the newest event id this process's delivery has read
//!   (`docs/events.md`);
//! - `ccgate_events_position{subscriber}`: the stored position of each subscriber this process
//!   delivers to (holds the lease of); `head - position` is its lag;
//! - `ccgate_events_delivery_failures{subscriber}`: failed deliveries (errors, panics) since the
//!   process started; a growing value means an event is being retried, holding its subscriber.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::state::AppState;

/// The exposition text of `state`'s gauges.
pub fn render(state: &AppState) -> String {
    let replay = &state.auth.replay;
    let mut registry = Registry::with_prefix("ccgate");
    for (name, help, value) in [
        (
            "nonce_store_entries",
            "SignatureNonces remembered for replay protection",
            replay.len(),
        ),
        (
            "nonce_store_capacity",
            "Most SignatureNonces remembered at once; signed requests are refused beyond",
            replay.capacity(),
        ),
        (
            "nonce_store_per_key_capacity",
            "Most SignatureNonces one AccessKey may hold",
            replay.per_key_capacity(),
        ),
    ] {
        let gauge: Gauge = Gauge::default();
        gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
        registry.register(name, help, gauge);
    }
    let events = crate::events::stats();
    let head: Gauge = Gauge::default();
    head.set(events.head);
    registry.register(
        "events_head",
        "Newest event id read by this process's event delivery",
        head,
    );
    let positions = Family::<Vec<(String, String)>, Gauge>::default();
    let failures = Family::<Vec<(String, String)>, Gauge>::default();
    for (name, sub) in &events.subscribers {
        let labels = vec![("subscriber".to_string(), name.to_string())];
        if sub.leased {
            positions.get_or_create(&labels).set(sub.position);
        }
        failures
            .get_or_create(&labels)
            .set(i64::try_from(sub.failures).unwrap_or(i64::MAX));
    }
    registry.register(
        "events_position",
        "Stored position (last delivered event id) of each subscriber this process delivers to",
        positions,
    );
    registry.register(
        "events_delivery_failures",
        "Failed deliveries per subscriber since this process started",
        failures,
    );
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &registry);
    out
}

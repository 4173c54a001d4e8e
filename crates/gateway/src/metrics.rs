//! `GET /metrics`: Prometheus text exposition (OpenMetrics, rendered by the `prometheus-client`
//! crate). Gauges are read at scrape time from the state they describe, so nothing on the
//! request path updates a metric.
//!
//! - `ccgate_nonce_store_entries`: SignatureNonces remembered now (replay protection);
//! - `ccgate_nonce_store_capacity`: `[security] max_nonces`; signed requests get 503 when the
//!   entries reach it (alert well before, e.g. at 80%);
//! - `ccgate_nonce_store_per_key_capacity`: `[security] max_nonces_per_key`.

use prometheus_client::encoding::text::encode;
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
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, &registry);
    out
}

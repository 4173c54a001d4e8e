//! Replay protection: a request's timestamp must be within the window of now, and its
//! SignatureNonce must not have been seen (per AccessKey) within the window.
//!
//! In-process by default; one replica. (Several replicas need the nonce set shared, e.g. in
//! Redis: see ARCHITECTURE.md §8.)

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Why a request's freshness was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The timestamp is not `YYYY-MM-DDThh:mm:ssZ` (or RFC 3339).
    BadFormat,
    /// The timestamp is outside the window.
    Expired,
    /// The nonce was used within the window.
    NonceUsed,
}

/// Remembers nonces for twice the window (a nonce with a timestamp at the far edge stays
/// rejected until its timestamp itself is refused).
pub struct ReplayGuard {
    window: Duration,
    nonces: moka::sync::Cache<String, ()>,
}

impl ReplayGuard {
    /// A guard with a window of `window` (Alibaba: 15 minutes).
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            nonces: moka::sync::Cache::builder()
                .time_to_live(window * 2)
                .max_capacity(10_000_000)
                .build(),
        }
    }

    /// Parses `ts` (UTC) and checks it is within the window of `now`.
    pub fn check_timestamp(&self, ts: &str, now: DateTime<Utc>) -> Result<(), ReplayError> {
        let t = parse_timestamp(ts).ok_or(ReplayError::BadFormat)?;
        let skew = (now - t).num_seconds().unsigned_abs();
        if skew > self.window.as_secs() {
            return Err(ReplayError::Expired);
        }
        Ok(())
    }

    /// Records `nonce` for `access_key`; `NonceUsed` if it was already recorded.
    pub fn check_nonce(&self, access_key: &str, nonce: &str) -> Result<(), ReplayError> {
        let entry = self
            .nonces
            .entry(format!("{access_key}\n{nonce}"))
            .or_insert(());
        if entry.is_fresh() {
            Ok(())
        } else {
            Err(ReplayError::NonceUsed)
        }
    }
}

/// `2026-11-21T05:34:25Z`, with optional fractional seconds, or any RFC 3339 time.
pub fn parse_timestamp(ts: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S%.fZ") {
        return Some(t.and_utc());
    }
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_nonces() {
        let g = ReplayGuard::new(Duration::from_secs(900));
        let now = parse_timestamp("2026-11-21T05:34:25Z").unwrap();
        assert_eq!(g.check_timestamp("2026-11-21T05:20:00Z", now), Ok(()));
        assert_eq!(
            g.check_timestamp("2026-11-21T05:19:00Z", now),
            Err(ReplayError::Expired)
        );
        assert_eq!(
            g.check_timestamp("2026-11-21T05:50:00Z", now),
            Err(ReplayError::Expired)
        );
        assert_eq!(
            g.check_timestamp("21/11/2026", now),
            Err(ReplayError::BadFormat)
        );
        assert_eq!(g.check_nonce("ak", "n1"), Ok(()));
        assert_eq!(g.check_nonce("ak", "n1"), Err(ReplayError::NonceUsed));
        assert_eq!(g.check_nonce("other-ak", "n1"), Ok(()));
    }
}

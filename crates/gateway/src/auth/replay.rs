//! Replay protection: a request's timestamp must be within the window of now, and its
//! SignatureNonce must not have been seen (per AccessKey) while that timestamp is acceptable.
//!
//! Nonces are kept as 64-bit keyed hashes in per-minute buckets of the request's (signed)
//! timestamp; a bucket is dropped as soon as every timestamp in it is outside the window, since
//! such a request is refused as expired anyway. The store is bounded and **fails closed**: when
//! it holds `max_nonces` entries, new signed requests are refused (503 ServiceUnavailable) rather
//! than forgetting nonces early, which would let replays through.
//!
//! In-process: one replica. Several replicas need the nonce set shared, e.g. in Redis
//! (ARCHITECTURE.md §8).

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
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
    /// The nonce store is full; the request cannot be checked and is refused.
    Saturated,
}

#[derive(Default)]
struct Buckets {
    /// Unix minute of the request timestamp → nonce hashes.
    by_minute: BTreeMap<i64, HashSet<u64>>,
    total: usize,
}

/// The timestamp window and the nonce store.
pub struct ReplayGuard {
    window: Duration,
    max_nonces: usize,
    keys: std::collections::hash_map::RandomState,
    buckets: Mutex<Buckets>,
}

impl ReplayGuard {
    /// A guard with a window of `window` (Alibaba: 15 minutes) remembering at most `max_nonces`
    /// nonces (about 20 bytes each).
    pub fn new(window: Duration, max_nonces: usize) -> Self {
        Self {
            window,
            max_nonces,
            keys: Default::default(),
            buckets: Mutex::default(),
        }
    }

    /// Parses `ts` (UTC) and checks it is within the window of `now`; returns the parsed time.
    pub fn check_timestamp(
        &self,
        ts: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ReplayError> {
        let t = parse_timestamp(ts).ok_or(ReplayError::BadFormat)?;
        if (now - t).num_seconds().unsigned_abs() > self.window.as_secs() {
            return Err(ReplayError::Expired);
        }
        Ok(t)
    }

    /// Records `nonce` of `access_key` for a request stamped `ts` (already checked by
    /// [`ReplayGuard::check_timestamp`]).
    ///
    /// Errors: `NonceUsed` when recorded before within the window, `Saturated` when the store is full.
    pub fn check_nonce(
        &self,
        access_key: &str,
        nonce: &str,
        ts: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), ReplayError> {
        let mut h = self.keys.build_hasher();
        h.write(access_key.as_bytes());
        h.write_u8(0xff);
        h.write(nonce.as_bytes());
        let hash = h.finish();
        let window = self.window.as_secs() as i64;
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // Drop the minutes whose every timestamp is now outside the window.
        let oldest_live = (now.timestamp() - window) / 60;
        while let Some((&minute, _)) = b.by_minute.first_key_value() {
            if minute >= oldest_live {
                break;
            }
            let (_, set) = b.by_minute.pop_first().expect("non-empty");
            b.total -= set.len();
        }
        if b.by_minute.values().any(|set| set.contains(&hash)) {
            return Err(ReplayError::NonceUsed);
        }
        if b.total >= self.max_nonces {
            return Err(ReplayError::Saturated);
        }
        b.by_minute
            .entry(ts.timestamp().div_euclid(60))
            .or_default()
            .insert(hash);
        b.total += 1;
        Ok(())
    }

    /// Nonces currently remembered.
    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// True when no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    fn t(s: &str) -> DateTime<Utc> {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn window_and_nonces() {
        let g = ReplayGuard::new(Duration::from_secs(900), 100);
        let now = t("2026-11-21T05:34:25Z");
        assert!(g.check_timestamp("2026-11-21T05:20:00Z", now).is_ok());
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
        assert_eq!(g.check_nonce("ak", "n1", now, now), Ok(()));
        assert_eq!(
            g.check_nonce("ak", "n1", now, now),
            Err(ReplayError::NonceUsed)
        );
        // Same nonce under another timestamp within the window: still a reuse.
        assert_eq!(
            g.check_nonce("ak", "n1", t("2026-11-21T05:30:00Z"), now),
            Err(ReplayError::NonceUsed)
        );
        assert_eq!(g.check_nonce("other-ak", "n1", now, now), Ok(()));
    }

    #[test]
    fn nonces_are_forgotten_only_when_their_timestamp_expired() {
        let g = ReplayGuard::new(Duration::from_secs(900), 100);
        let first = t("2026-11-21T05:00:10Z");
        g.check_nonce("ak", "n", first, first).unwrap();
        // 14 minutes later the request could still be replayed: refused.
        assert_eq!(
            g.check_nonce("ak", "n", first, t("2026-11-21T05:14:00Z")),
            Err(ReplayError::NonceUsed)
        );
        // 17 minutes later its timestamp is expired; the nonce is dropped with its minute.
        g.check_nonce(
            "ak",
            "other",
            t("2026-11-21T05:17:00Z"),
            t("2026-11-21T05:17:00Z"),
        )
        .unwrap();
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn a_full_store_refuses_instead_of_forgetting() {
        let g = ReplayGuard::new(Duration::from_secs(900), 3);
        let now = t("2026-11-21T05:00:00Z");
        for n in ["a", "b", "c"] {
            g.check_nonce("ak", n, now, now).unwrap();
        }
        assert_eq!(
            g.check_nonce("ak", "d", now, now),
            Err(ReplayError::Saturated)
        );
        // Replays of remembered nonces are still recognised as such.
        assert_eq!(
            g.check_nonce("ak", "a", now, now),
            Err(ReplayError::NonceUsed)
        );
        // Once the old minute expires there is room again.
        let later = t("2026-11-21T05:16:30Z");
        assert_eq!(g.check_nonce("ak", "d", later, later), Ok(()));
    }
}

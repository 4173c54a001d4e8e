//! Replay protection: a request's timestamp must be within the window of now, and its
//! SignatureNonce must not have been seen (per AccessKey) while that timestamp is acceptable.
//!
//! Nonces are kept as 64-bit keyed hashes in per-minute buckets of the request's (signed)
//! timestamp, spread over 64 shards by hash (each with its own lock, so no request waits for a
//! large set being rehashed or freed); a bucket is dropped as soon as every timestamp in it is outside the window, since
//! such a request is refused as expired anyway. The store is bounded and **fails closed**: when
//! it holds `max_nonces` entries, new signed requests are refused (503 ServiceUnavailable) rather
//! than forgetting nonces early, which would let replays through.
//!
//! Fairness: one AccessKey may hold at most `max_nonces_per_key` nonces, so a single tenant
//! cannot fill the store for everyone (it gets 429 `Throttling.User`, the others go on).
//!
//! Restarts: the store is in memory, so a restarted process could not recognise a nonce its
//! predecessor accepted. It therefore refuses every request stamped before its start fence
//! ([`ReplayGuard::not_before`]; `runtime::serve` waits for the next whole second before it
//! binds the port, so the fence is a second boundary no earlier request can share), and the
//! replay window cannot reopen. Clients re-sign on every attempt, so only a client whose clock
//! runs behind the server's notices, for as long as it lags, right after a restart.
//!
//! In-process: one replica. Several replicas need the nonce set shared, e.g. in Redis
//! (ARCHITECTURE.md §8).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};

/// Why a request's freshness was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayError {
    /// The timestamp is not `YYYY-MM-DDThh:mm:ssZ` (or RFC 3339).
    BadFormat,
    /// The timestamp is outside the window.
    Expired,
    /// The timestamp is earlier than this process's start fence ([`ReplayGuard::not_before`]):
    /// an earlier process may have served it, and its nonces died with that process.
    SignedBeforeStart(DateTime<Utc>),
    /// The nonce was used within the window.
    NonceUsed,
    /// This AccessKey already holds its quota of nonces within the window; other keys are
    /// unaffected.
    KeyQuota(usize),
    /// The nonce store is full; the request cannot be checked and is refused.
    Saturated,
}

/// One minute of request timestamps: its nonce hashes and how many each AccessKey holds.
#[derive(Default)]
struct Bucket {
    nonces: HashSet<u64>,
    per_key: HashMap<u64, u32>,
}

/// The minutes of one shard: Unix minute of the request timestamp → its nonces.
#[derive(Default)]
struct Shard {
    by_minute: BTreeMap<i64, Bucket>,
}

/// Nonces are spread over this many shards by their hash, each behind its own lock: a shard's
/// hash set grows (and rehashes) and is dropped 1/64 at a time, so no request waits for a
/// whole minute's nonces being rehashed or freed behind one lock (issue 15's latency tails).
const SHARDS: usize = 64;

/// The timestamp window and the nonce store.
pub struct ReplayGuard {
    window: Duration,
    max_nonces: usize,
    max_per_key: usize,
    not_before: DateTime<Utc>,
    keys: std::collections::hash_map::RandomState,
    shards: Box<[Mutex<Shard>]>,
    /// Nonces held per AccessKey (keyed hash) over every shard and live minute. Lock order:
    /// a shard, then this.
    per_key: Mutex<HashMap<u64, usize>>,
    /// Nonces held in all.
    total: AtomicUsize,
    /// The oldest live minute every shard has been expired to.
    swept: AtomicI64,
}

impl ReplayGuard {
    /// A guard with a window of `window` (Alibaba: 15 minutes) remembering at most `max_nonces`
    /// nonces (about 20 bytes each), at most `max_per_key` of them for one AccessKey, and
    /// refusing every timestamp earlier than `not_before` (the process start fence: the nonces
    /// of an earlier process are gone, so a request it may have served cannot be checked).
    pub fn new(
        window: Duration,
        max_nonces: usize,
        max_per_key: usize,
        not_before: DateTime<Utc>,
    ) -> Self {
        Self {
            window,
            max_nonces,
            max_per_key: max_per_key.min(max_nonces),
            not_before,
            keys: Default::default(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_key: Mutex::default(),
            total: AtomicUsize::new(0),
            swept: AtomicI64::new(i64::MIN),
        }
    }

    /// The start fence: signed requests stamped earlier are refused.
    pub fn not_before(&self) -> DateTime<Utc> {
        self.not_before
    }

    /// Parses `ts` (UTC) and checks it is within the window of `now` and not before the start
    /// fence; returns the parsed time.
    pub fn check_timestamp(
        &self,
        ts: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, ReplayError> {
        let t = parse_timestamp(ts).ok_or(ReplayError::BadFormat)?;
        if (now - t).num_seconds().unsigned_abs() > self.window.as_secs() {
            return Err(ReplayError::Expired);
        }
        if t < self.not_before {
            return Err(ReplayError::SignedBeforeStart(self.not_before));
        }
        Ok(t)
    }

    /// Drops the minutes of `shard` older than `oldest_live`, with their counts.
    fn expire(&self, shard: &mut Shard, oldest_live: i64) {
        while let Some((&minute, _)) = shard.by_minute.first_key_value() {
            if minute >= oldest_live {
                break;
            }
            let (_, bucket) = shard.by_minute.pop_first().expect("non-empty");
            self.total.fetch_sub(bucket.nonces.len(), Ordering::Relaxed);
            let mut per_key = self.per_key.lock().unwrap_or_else(|e| e.into_inner());
            for (key, n) in bucket.per_key {
                if let Some(held) = per_key.get_mut(&key) {
                    *held -= n as usize;
                    if *held == 0 {
                        per_key.remove(&key);
                    }
                }
            }
        }
    }

    /// Records `nonce` of `access_key` for a request stamped `ts` (already checked by
    /// [`ReplayGuard::check_timestamp`]).
    ///
    /// Errors: `NonceUsed` when recorded before within the window, `KeyQuota` when this key
    /// holds `max_per_key` nonces, `Saturated` when the whole store is full.
    pub fn check_nonce(
        &self,
        access_key: &str,
        nonce: &str,
        ts: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), ReplayError> {
        let mut h = self.keys.build_hasher();
        h.write(access_key.as_bytes());
        let key_hash = h.finish();
        h.write_u8(0xff);
        h.write(nonce.as_bytes());
        let hash = h.finish();
        let window = self.window.as_secs() as i64;
        // The minutes whose every timestamp is now outside the window are dropped: once a
        // minute from every shard (the first request of a new minute does it, one shard lock
        // at a time), and from the request's own shard on every request.
        let oldest_live = (now.timestamp() - window).div_euclid(60);
        if self.swept.fetch_max(oldest_live, Ordering::Relaxed) < oldest_live {
            for shard in self.shards.iter() {
                let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
                self.expire(&mut shard, oldest_live);
            }
        }
        let mut shard = self.shards[(hash % SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.expire(&mut shard, oldest_live);
        if shard.by_minute.values().any(|m| m.nonces.contains(&hash)) {
            return Err(ReplayError::NonceUsed);
        }
        let mut per_key = self.per_key.lock().unwrap_or_else(|e| e.into_inner());
        let held = per_key.entry(key_hash).or_default();
        if *held >= self.max_per_key {
            if *held == 0 {
                per_key.remove(&key_hash);
            }
            return Err(ReplayError::KeyQuota(self.max_per_key));
        }
        if self.total.load(Ordering::Relaxed) >= self.max_nonces {
            if *held == 0 {
                per_key.remove(&key_hash);
            }
            return Err(ReplayError::Saturated);
        }
        *held += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        drop(per_key);
        let bucket = shard
            .by_minute
            .entry(ts.timestamp().div_euclid(60))
            .or_default();
        bucket.nonces.insert(hash);
        *bucket.per_key.entry(key_hash).or_default() += 1;
        Ok(())
    }

    /// Nonces currently remembered.
    pub fn len(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }

    /// True when no nonce is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Most nonces remembered at once (`[security] max_nonces`).
    pub fn capacity(&self) -> usize {
        self.max_nonces
    }

    /// Most nonces one AccessKey may hold (`[security] max_nonces_per_key`).
    pub fn per_key_capacity(&self) -> usize {
        self.max_per_key
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
        let g = ReplayGuard::new(
            Duration::from_secs(900),
            100,
            100,
            t("2026-11-21T00:00:00Z"),
        );
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
        let g = ReplayGuard::new(
            Duration::from_secs(900),
            100,
            100,
            t("2026-11-21T00:00:00Z"),
        );
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
        let g = ReplayGuard::new(Duration::from_secs(900), 3, 3, t("2026-11-21T00:00:00Z"));
        let now = t("2026-11-21T05:00:00Z");
        for (k, n) in [("ak", "a"), ("ak2", "b"), ("ak3", "c")] {
            g.check_nonce(k, n, now, now).unwrap();
        }
        assert_eq!(
            g.check_nonce("ak4", "d", now, now),
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

    #[test]
    fn one_key_cannot_fill_the_store_for_others() {
        let g = ReplayGuard::new(Duration::from_secs(900), 10, 3, t("2026-11-21T00:00:00Z"));
        let now = t("2026-11-21T05:00:00Z");
        for n in ["a", "b", "c"] {
            g.check_nonce("greedy", n, now, now).unwrap();
        }
        assert_eq!(
            g.check_nonce("greedy", "d", now, now),
            Err(ReplayError::KeyQuota(3))
        );
        // Another tenant still gets through, and the greedy key's replays are still replays.
        assert_eq!(g.check_nonce("polite", "d", now, now), Ok(()));
        assert_eq!(
            g.check_nonce("greedy", "a", now, now),
            Err(ReplayError::NonceUsed)
        );
        // The quota frees up with the minute its nonces were stamped in.
        let later = t("2026-11-21T05:16:30Z");
        assert_eq!(g.check_nonce("greedy", "d", later, later), Ok(()));
        assert_eq!(g.len(), 1);
    }

    #[test]
    fn requests_signed_before_the_start_fence_are_refused() {
        let fence = t("2026-11-21T05:00:00Z");
        let g = ReplayGuard::new(Duration::from_secs(900), 10, 10, fence);
        let now = t("2026-11-21T05:00:30Z");
        assert_eq!(
            g.check_timestamp("2026-11-21T04:59:59Z", now),
            Err(ReplayError::SignedBeforeStart(fence))
        );
        assert!(g.check_timestamp("2026-11-21T05:00:00Z", now).is_ok());
    }
}

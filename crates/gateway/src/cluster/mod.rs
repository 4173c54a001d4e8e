//! Several replicas on one database (`[cluster] redis_url`): what they must share goes through
//! Redis, everything else stays in each process.
//!
//! - **SignatureNonces** ([`Cluster::claim_nonce`]): after the process's own check
//!   ([`crate::auth::replay`], which keeps its per-key quota and memory bound), the nonce is
//!   claimed with `SET key 1 NX PX <until the timestamp leaves the window>`; a nonce another
//!   replica claimed is refused as used. Redis unreachable or slower than `timeout_ms`: the
//!   request is refused with 503 `ServiceUnavailable` (fail closed, a replay could pass
//!   otherwise).
//! - **Rate limits** ([`Cluster::rate`]): the same GCRA as [`crate::auth::rate`], with each
//!   key's theoretical arrival time kept in Redis and Redis's clock, so N replicas together
//!   allow the configured rate, not N times it.
//! - **Cache invalidation** ([`invalidation`]): a publish/subscribe channel. `ccgate key ...`,
//!   `ccgate token revoke` and `ccgate instance ...` announce [`Invalidation::Auth`]; each
//!   replica then empties its AccessKey/instance/token caches at once instead of after
//!   `[security] cache_ttl_secs`. A write action of a plugin with a list cache announces
//!   [`Invalidation::Lists`] (host query [`ccgate_plugin_sdk::cache::LISTS_CHANGED`]); the
//!   other replicas drop that instance's cached pages. Pub/sub is not durable, so a replica
//!   whose subscription broke empties its auth caches when it is back; list pages are bounded
//!   by their TTL (1 s by default) anyway.
//!
//! Keys: `<prefix>:n:<sha256(AccessKeyId, nonce)>`, `<prefix>:r:<key>`; channel
//! `<prefix>:invalidate`. The key space is bounded: nonces expire with the replay window and
//! are bounded per process by `[security] max_nonces`, rate keys expire when idle.

pub mod invalidation;
pub mod sink;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use ccgate_plugin_sdk::ApiError;
use redis::aio::ConnectionManager;
use sha2::{Digest, Sha256};

pub use invalidation::Invalidation;

use crate::settings::ClusterSettings;

/// `SET NX PX`: 1 when this replica claimed the nonce, nil when it was claimed before.
const CLAIM: &str = "return redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) and 1 or 0";

/// GCRA over Redis's clock: ARGV = emission interval (µs), burst. Returns 0 when allowed,
/// else the wait in milliseconds (at least 1). The key holds the theoretical arrival time in
/// µs and expires when it is in the past.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if allow_at > now then
  return math.max(1, math.ceil((allow_at - now) / 1000))
end
redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return 0
"#;

/// The connection to the cluster's Redis and this replica's identity.
pub struct Cluster {
    conn: ConnectionManager,
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    /// This process's id in invalidation messages (a UUID), so it ignores its own.
    replica: String,
    claim: redis::Script,
    gcra: redis::Script,
    publisher: tokio::sync::mpsc::UnboundedSender<Invalidation>,
    published: tokio::sync::Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<Invalidation>>>,
}

/// Why Redis could not answer (logged; the client gets 503 `ServiceUnavailable`).
#[derive(Debug)]
pub struct Unavailable(pub String);

impl From<Unavailable> for ApiError {
    fn from(e: Unavailable) -> Self {
        tracing::error!(error = %e.0, "cluster store (Redis) unavailable");
        ApiError::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server (cluster store unavailable).",
        )
    }
}

impl Cluster {
    /// Connects to `[cluster] redis_url`; `Ok(None)` when it is empty.
    ///
    /// Errors: a malformed URL or a Redis that does not answer within `timeout_ms` (start-up
    /// stops: a replica that cannot share nonces must not serve).
    pub async fn connect(settings: &ClusterSettings) -> anyhow::Result<Option<Arc<Self>>> {
        if !settings.enabled() {
            return Ok(None);
        }
        let client = redis::Client::open(settings.redis_url.as_str())
            .with_context(|| format!("cluster.redis_url {:?}", settings.redis_url))?;
        let timeout = Duration::from_millis(settings.timeout_ms.max(1));
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(timeout)
            .set_response_timeout(timeout)
            .set_number_of_retries(1);
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .with_context(|| format!("cluster.redis_url: connect to {}", settings.redis_url))?;
        let (publisher, published) = tokio::sync::mpsc::unbounded_channel();
        Ok(Some(Arc::new(Self {
            conn,
            client,
            prefix: settings.key_prefix.clone(),
            timeout,
            replica: uuid::Uuid::new_v4().to_string(),
            claim: redis::Script::new(CLAIM),
            gcra: redis::Script::new(GCRA),
            publisher,
            published: tokio::sync::Mutex::new(Some(published)),
        })))
    }

    /// This replica's id in invalidation messages.
    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// The invalidation channel's name.
    pub fn channel(&self) -> String {
        format!("{}:invalidate", self.prefix)
    }

    async fn bounded<T>(
        &self,
        what: &str,
        f: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Unavailable> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Unavailable(format!("{what}: {e}"))),
            Err(_) => Err(Unavailable(format!(
                "{what}: no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    /// Claims `nonce` of `access_key` for `keep` (until its timestamp leaves the replay
    /// window). `Ok(false)`: another request (on any replica) claimed it first.
    ///
    /// Errors: [`Unavailable`] when Redis does not answer in time.
    pub async fn claim_nonce(
        &self,
        access_key: &str,
        nonce: &str,
        keep: Duration,
    ) -> Result<bool, Unavailable> {
        let mut h = Sha256::new();
        h.update(access_key.as_bytes());
        h.update([0]);
        h.update(nonce.as_bytes());
        let key = format!("{}:n:{}", self.prefix, hex::encode(&h.finalize()[..16]));
        let ms = keep.as_millis().max(1) as u64;
        let mut conn = self.conn.clone();
        let mut call = self.claim.key(key);
        call.arg(ms);
        let claimed: i64 = self.bounded("nonce", call.invoke_async(&mut conn)).await?;
        Ok(claimed == 1)
    }

    /// Counts one request of rate key `key` against `per_second` with bursts of `burst`,
    /// shared by every replica. `Ok(None)`: allowed; `Ok(Some(ms))`: refused, retry after `ms`
    /// milliseconds.
    ///
    /// Errors: [`Unavailable`] when Redis does not answer in time.
    pub async fn rate(
        &self,
        key: &str,
        per_second: u32,
        burst: u32,
    ) -> Result<Option<u64>, Unavailable> {
        let interval_us = 1_000_000 / u64::from(per_second.max(1));
        let mut conn = self.conn.clone();
        let mut call = self.gcra.key(format!("{}:r:{key}", self.prefix));
        call.arg(interval_us).arg(burst.max(1));
        let wait: i64 = self.bounded("rate", call.invoke_async(&mut conn)).await?;
        Ok((wait > 0).then_some(wait as u64))
    }

    /// Announces `what` to the other replicas (asynchronously, in order; a failed publish is
    /// logged, the caches' TTL still bounds staleness).
    pub fn publish(&self, what: Invalidation) {
        let _ = self.publisher.send(what);
    }

    /// Publishes `what` now and waits for Redis to take it (the CLI, which exits right after).
    ///
    /// Errors: [`Unavailable`] when Redis does not answer in time.
    pub async fn publish_now(&self, what: &Invalidation) -> Result<(), Unavailable> {
        let mut conn = self.conn.clone();
        let msg = what.encode(&self.replica);
        let channel = self.channel();
        self.bounded(
            "publish",
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&msg)
                .query_async::<i64>(&mut conn),
        )
        .await
        .map(|_| ())
    }

    /// Whether Redis answers (for `/readyz`).
    ///
    /// Errors: [`Unavailable`] with the reason.
    pub async fn ping(&self) -> Result<(), Unavailable> {
        let mut conn = self.conn.clone();
        self.bounded("ping", redis::cmd("PING").query_async::<String>(&mut conn))
            .await
            .map(|_| ())
    }
}

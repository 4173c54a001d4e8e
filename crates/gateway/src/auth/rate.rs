//! Per-AccessKey request rate limits (`[limits] requests_per_key_per_second`,
//! `request_burst_per_key`): the generic cell rate algorithm of the `governor` crate, one cell
//! per key, checked after authentication (only callers who proved a key count, so the keyed
//! state is bounded by the number of AccessKeys). A refusal is 429 `Throttling.User` ("Request
//! was denied due to user flow control.", Alibaba's code for per-user throttling) with the
//! wait in `x-acs-retry-after` (milliseconds), which the official tea SDKs turn into a
//! `ThrottlingException`.
//!
//! With a cluster (`[cluster] redis_url`) the cells live in Redis ([`crate::cluster::Cluster::rate`],
//! the same algorithm over Redis's clock), so the replicas together allow the rate; without
//! one the limit is per process.

use std::num::NonZeroU32;

use ccgate_plugin_sdk::{ApiError, Principal};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::Caller;

/// The keyed limiter; `None` in [`KeyRates::new`] when the rate is 0 (no limit).
pub struct KeyRates {
    limiter: RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock>,
    clock: DefaultClock,
    per_second: u32,
    burst: u32,
    cluster: Option<std::sync::Arc<crate::cluster::Cluster>>,
}

impl KeyRates {
    /// A limiter allowing `per_second` requests per key with bursts of `burst` (0: the rate);
    /// `None` when `per_second` is 0.
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
            per_second: rate.get(),
            burst: burst.get(),
            cluster: None,
        })
    }

    /// The same limits, counted in the cluster's Redis (shared by every replica).
    pub fn shared(mut self, cluster: std::sync::Arc<crate::cluster::Cluster>) -> Self {
        self.cluster = Some(cluster);
        self
    }

    fn refusal(wait_ms: u64) -> ApiError {
        let mut e = ApiError::new(
            429,
            "Throttling.User",
            "Request was denied due to user flow control.",
        );
        e.retry_after_ms = Some(wait_ms.max(1));
        e
    }

    /// Counts one request of `caller`.
    ///
    /// Errors: 429 `Throttling.User` with [`ApiError::retry_after_ms`] when the key is over
    /// its rate; 503 `ServiceUnavailable` when the cluster's Redis does not answer.
    pub async fn check(&self, caller: &Caller) -> Result<(), ApiError> {
        let key = key_of(caller);
        if let Some(cluster) = &self.cluster {
            return match cluster.rate(&key, self.per_second, self.burst).await? {
                None => Ok(()),
                Some(wait) => Err(Self::refusal(wait)),
            };
        }
        match self.limiter.check_key(&key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(Self::refusal(wait.as_millis() as u64))
            }
        }
    }
}

/// What a request counts against: its AccessKey; a Bearer token's AccessKey, else its account.
fn key_of(caller: &Caller) -> String {
    match (&caller.principal, &caller.token) {
        (Principal::AccessKey { id }, _) => format!("ak:{id}"),
        (Principal::Bearer { .. }, Some(t)) if t.access_key_id.is_some() => {
            format!("ak:{}", t.access_key_id.as_deref().unwrap_or_default())
        }
        _ => format!("acc:{}", caller.account_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ak(id: &str) -> Caller {
        Caller {
            account_id: "acc".into(),
            principal: Principal::AccessKey { id: id.into() },
            role: ccgate_plugin_sdk::Role::Admin,
            user: false,
            token: None,
        }
    }

    #[tokio::test]
    async fn a_key_over_its_rate_waits_and_others_go_on() {
        assert!(KeyRates::new(0, 5).is_none(), "0 is no limit");
        let rates = KeyRates::new(2, 3).unwrap();
        let a = ak("LTAI-A");
        for _ in 0..3 {
            rates.check(&a).await.unwrap();
        }
        let e = rates.check(&a).await.unwrap_err();
        assert_eq!((e.status, &*e.code), (429, "Throttling.User"));
        let wait = e.retry_after_ms.unwrap();
        assert!((1..=500).contains(&wait), "{wait} ms at 2/s");
        rates.check(&ak("LTAI-B")).await.unwrap();
        // A token issued under key A counts against A.
        let token = Caller {
            principal: Principal::Bearer {
                subject: "alice".into(),
            },
            token: Some(ccgate_plugin_sdk::TokenGrant {
                token_id: "t".into(),
                issued_at: 0,
                expires_at: 1,
                access_key_id: Some("LTAI-A".into()),
                role: None,
                user: true,
            }),
            ..ak("x")
        };
        assert_eq!(
            rates.check(&token).await.unwrap_err().code,
            "Throttling.User"
        );
    }
}

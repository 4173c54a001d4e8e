//! Authentication: who is calling, proven how.
//!
//! - [`signing`]: the signature algorithms (RPC v1, ACS3, Huawei auth-v2).
//! - [`aliyun`]: verifies an Alibaba RPC request (AK signature or Bearer token).
//! - [`auth_v2`]: verifies a Huawei C2 (CC-iSales) `auth-v2` request signature.
//! - [`bearer`]: the JWTs ccgate issues.
//! - [`keys`]: cached AccessKey / instance lookups. [`replay`]: timestamps and nonces.
//! - [`access`]: who a user's token acts for, and the role and `[access]` checks.

pub mod access;
pub mod aliyun;
pub mod auth_v2;
pub mod bearer;
pub mod keys;
pub mod rate;
pub mod replay;
pub mod signing;

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::{ApiError, Principal};
use chrono::{DateTime, Utc};
use sea_orm::DbErr;

use crate::crypto::MasterKey;
use crate::settings::SecuritySettings;

/// The result of authentication: the caller's account and identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account whose instances the caller may reach.
    pub account_id: String,
    /// How the caller proved itself.
    pub principal: Principal,
    /// The role it acts with ([`ccgate_plugin_sdk::Role::Admin`] for AccessKeys): the token's
    /// role claim; [`access::admit`] may lower it to the user's role in the instance.
    pub role: ccgate_plugin_sdk::Role,
    /// Whether the principal is a Bearer token issued to a user (its subject a login name of
    /// the instance, [`bearer::Claims::is_user`]): resolved through the agents plugin
    /// ([`access::resolve`]). `false` for AccessKeys and account/AccessKey tokens.
    pub user: bool,
    /// The verified Bearer token ([`ccgate_plugin_sdk::TokenGrant`], handed to the handler's
    /// context); `None` for signatures.
    pub token: Option<ccgate_plugin_sdk::TokenGrant>,
}

impl Caller {
    /// Whether the caller's role (the token's claim) may call `spec` (its `roles`); every
    /// dialect checks this after authentication, and [`access::admit`] checks the effective
    /// role again once the user is known, before the handler.
    ///
    /// Errors: 403 `NoPermission` ("The caller's role agent may not call AddPhoneNumber.").
    pub fn admitted_to(&self, spec: &ccgate_plugin_sdk::ActionSpec) -> Result<(), ApiError> {
        if spec.roles.admits(self.role) {
            Ok(())
        } else {
            Err(ApiError::no_permission(self.role, spec.action))
        }
    }
}

/// Everything authentication needs, shared by all requests.
pub struct AuthState {
    /// AccessKey and instance lookups.
    pub keys: keys::KeyStore,
    /// Timestamp window and nonce memory.
    pub replay: replay::ReplayGuard,
    /// Bearer token issuing and verification.
    pub tokens: bearer::TokenService,
    /// The replicas' shared store (`[cluster] redis_url`), set once before serving; unset:
    /// nonces are this process's alone.
    pub cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
    window: Duration,
}

/// Why a Bearer token that verifies is no longer honoured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRevoked {
    /// Its AccessKey is disabled or gone.
    KeyDisabled,
    /// Revoked: one by one, or with every token of its AccessKey.
    Revoked,
}

impl AuthState {
    /// Builds the state over `db` from `[security]` (window, nonce store bounds, cache
    /// lifetime). Signed requests stamped before `not_before` are refused (the start fence of
    /// [`replay`]).
    pub fn new(
        db: sea_orm::DatabaseConnection,
        master: MasterKey,
        tokens: bearer::TokenService,
        security: &SecuritySettings,
        not_before: DateTime<Utc>,
    ) -> Arc<Self> {
        Arc::new(Self {
            keys: keys::KeyStore::new(db, master, Duration::from_secs(security.cache_ttl_secs)),
            replay: replay::ReplayGuard::new(
                Duration::from_secs(security.replay_window_secs),
                security.max_nonces,
                security.max_nonces_per_key,
                not_before,
            ),
            tokens,
            cluster: std::sync::OnceLock::new(),
            window: Duration::from_secs(security.replay_window_secs),
        })
    }

    /// Records `nonce` of `access_key` (stamped `ts`, already checked): first in this process
    /// ([`replay::ReplayGuard::check_nonce`]: quota and memory bound), then, with a cluster,
    /// in Redis, so that a nonce used on another replica is refused too.
    ///
    /// Errors: `Ok(Err(..))` why the nonce is refused; `Err` 503 `ServiceUnavailable` when the
    /// cluster store does not answer (fail closed).
    pub async fn check_nonce(
        &self,
        access_key: &str,
        nonce: &str,
        ts: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Result<(), replay::ReplayError>, ApiError> {
        if let Err(e) = self.replay.check_nonce(access_key, nonce, ts, now) {
            return Ok(Err(e));
        }
        let Some(cluster) = self.cluster.get() else {
            return Ok(Ok(()));
        };
        // Remembered until the timestamp leaves the window (plus a second for clock skew
        // between replicas), after which the request is refused as expired anyway.
        let until = ts + chrono::Duration::from_std(self.window).unwrap_or_default();
        let keep = (until - now).to_std().unwrap_or_default() + Duration::from_secs(1);
        if cluster.claim_nonce(access_key, nonce, keep).await? {
            Ok(Ok(()))
        } else {
            Ok(Err(replay::ReplayError::NonceUsed))
        }
    }

    /// Checks that a verified token is still honoured: its AccessKey (when bound to one) is
    /// active and did not revoke it, and it was not revoked by id. One cached lookup each.
    ///
    /// Errors: `Ok(Err(..))` says why it is refused; `Err` is a storage failure.
    pub async fn token_alive(
        &self,
        claims: &bearer::Claims,
    ) -> Result<Result<(), TokenRevoked>, DbErr> {
        if let Some(ak) = &claims.ak {
            match self.keys.access_key(ak).await? {
                Some(k) if k.active => {
                    if claims.iat < k.tokens_not_before {
                        return Ok(Err(TokenRevoked::Revoked));
                    }
                }
                _ => return Ok(Err(TokenRevoked::KeyDisabled)),
            }
        }
        if self.keys.token_revoked(&claims.jti).await? {
            return Ok(Err(TokenRevoked::Revoked));
        }
        Ok(Ok(()))
    }
}

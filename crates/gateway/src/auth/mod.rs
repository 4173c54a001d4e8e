//! Authentication: who is calling, proven how.
//!
//! - [`signing`]: the signature algorithms (RPC v1, ACS3, Huawei auth-v2).
//! - [`aliyun`]: verifies an Alibaba RPC request (AK signature or Bearer token).
//! - [`bearer`]: the JWTs ccgate issues.
//! - [`keys`]: cached AccessKey / instance lookups. [`replay`]: timestamps and nonces.

pub mod aliyun;
pub mod bearer;
pub mod keys;
pub mod replay;
pub mod signing;

use std::sync::Arc;
use std::time::Duration;

use ccgate_plugin_sdk::Principal;

use crate::crypto::MasterKey;

/// The result of authentication: the caller's account and identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The account whose instances the caller may reach.
    pub account_id: String,
    /// How the caller proved itself.
    pub principal: Principal,
}

/// Everything authentication needs, shared by all requests.
pub struct AuthState {
    /// AccessKey and instance lookups.
    pub keys: keys::KeyStore,
    /// Timestamp window and nonce memory.
    pub replay: replay::ReplayGuard,
    /// Bearer token issuing and verification.
    pub tokens: bearer::TokenService,
}

impl AuthState {
    /// Builds the state over `db`; `max_nonces` bounds the replay store (see [`replay`]).
    pub fn new(
        db: sea_orm::DatabaseConnection,
        master: MasterKey,
        tokens: bearer::TokenService,
        replay_window: Duration,
        max_nonces: usize,
        cache_ttl: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            keys: keys::KeyStore::new(db, master, cache_ttl),
            replay: replay::ReplayGuard::new(replay_window, max_nonces),
            tokens,
        })
    }
}

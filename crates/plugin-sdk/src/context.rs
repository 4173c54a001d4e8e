//! `Context`: who is calling, on which instance, with which storage, for one request.

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use serde_json::Value;

use crate::action::{ActionSpec, Role};
use crate::error::ApiResult;
use crate::time::Clock;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A request signed with an AccessKey (signature v1 or ACS3), or a Huawei app key.
    AccessKey {
        /// The AccessKeyId.
        id: String,
    },
    /// A request carrying a Bearer token ccgate issued.
    Bearer {
        /// The token's subject: the login name of the agent or admin it was issued to.
        subject: String,
    },
}

impl Principal {
    /// A display name for audit fields such as `LastModifiedBy` / `Editor`.
    pub fn display_name(&self) -> &str {
        match self {
            Principal::AccessKey { id } => id,
            Principal::Bearer { subject } => subject,
        }
    }
}

/// Cross-plugin read calls. A plugin reads another domain's data only through that domain's
/// public queries (see [`crate::Plugin::query`]), never through its tables.
#[async_trait]
pub trait Services: Send + Sync {
    /// Runs query `name` of plugin `plugin` with JSON `args`.
    ///
    /// Returns `Ok(None)` when that plugin is not enabled in this deployment, so callers can
    /// degrade (e.g. omit flow names) instead of failing.
    async fn query(
        &self,
        ctx: &Context,
        plugin: &str,
        name: &str,
        args: Value,
    ) -> ApiResult<Option<Value>>;
}

/// Everything a handler knows about the request besides its parameters.
#[derive(Clone)]
pub struct Context {
    /// The `RequestId` echoed in the response (a UUID, upper case).
    pub request_id: String,
    /// The account (tenant) the caller belongs to.
    pub account_id: String,
    /// The authenticated caller.
    pub principal: Principal,
    /// The caller's role: [`Role::Admin`] for AccessKey signatures and account tokens, the
    /// user's role for a user's Bearer token. The gateway has checked it against
    /// `spec.roles` before the handler runs.
    pub role: Role,
    /// The action being served.
    pub spec: ActionSpec,
    /// The instance named by `InstanceId`, already checked to belong to `account_id`.
    pub instance_id: Option<String>,
    /// For account-wide actions (`InstanceScope::Account`): all instance ids of the account.
    pub account_instances: Vec<String>,
    /// Storage shared by all plugins; each plugin owns its own tables.
    pub db: DatabaseConnection,
    /// Cross-plugin queries.
    pub services: Arc<dyn Services>,
    /// Where the request reads the current time ([`Context::now_ms`]); the system clock
    /// unless a test set one.
    pub clock: Clock,
}

impl Context {
    /// The checked instance id. Handlers of `InstanceScope::Param` actions can rely on it.
    pub fn instance(&self) -> &str {
        self.instance_id.as_deref().unwrap_or_default()
    }

    /// Now, in UTC milliseconds since the Unix epoch, by the request's [`Clock`].
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("request_id", &self.request_id)
            .field("account_id", &self.account_id)
            .field("principal", &self.principal)
            .field("role", &self.role)
            .field("action", &self.spec.action)
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

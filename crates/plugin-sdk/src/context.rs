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

/// Who a user's Bearer token acts for within the request's instance, as the agents plugin
/// knows them (its query `caller`). Set by the gateway for tokens issued to a user
/// (`ccgate token issue --subject <login>`) on actions with an instance, when the agents
/// plugin is enabled; `None` for AccessKey callers, account tokens, and deployments without
/// the agents plugin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallerScope {
    /// The user's `UserId` in the instance (a UUID).
    pub user_id: String,
    /// The user's login name (the token's subject), unique within the instance.
    pub login_name: String,
    /// The effective role: the less privileged of the token's role claim and the user's role
    /// in the instance (also in [`Context::role`]).
    pub role: Role,
    /// The skill groups the caller leads: for a skill-group leader, the groups they are a
    /// member of; for an agent, the groups they are a member of (what they may name); empty
    /// for an administrator (who sees everything).
    pub led_skill_group_ids: Vec<String>,
}

/// The Bearer token a request carries, as the gateway verified it (not expired, not revoked,
/// its AccessKey active). Handlers rarely need it; the host query `auth.refresh_token`
/// ([`crate::host::REFRESH_TOKEN`]) reads it to issue a successor with the same subject,
/// account, AccessKey binding and role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TokenGrant {
    /// The token's id (`jti`, 32 hex digits), what `ccgate token revoke` names.
    pub token_id: String,
    /// Issued at, UTC epoch seconds.
    pub issued_at: i64,
    /// Expires at, UTC epoch seconds.
    pub expires_at: i64,
    /// The AccessKey the token was issued under; it dies with that key. `None` for tokens of a
    /// whole account.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// The role claim (`admin`, `skill-group-leader`, `agent`); `None` acts as admin.
    #[serde(default)]
    pub role: Option<String>,
    /// Whether the subject is a user's login name resolved in the request's instance.
    #[serde(default)]
    pub user: bool,
}

/// A principal of the account's user directory (`ccgate user add`; the stand-in for RAM
/// sub-users that `AssignUsers` imports from), as [`Services::directory_lookup`] answers it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DirectoryUser {
    /// The principal's RamId: 16 decimal digits, unique over all accounts.
    pub ram_id: String,
    /// The login name, unique within the account.
    pub login_name: String,
    /// The display name.
    pub display_name: String,
    /// E-mail address; `None` when not given.
    pub email: Option<String>,
    /// Phone number; `None` when not given.
    pub phone: Option<String>,
    /// When it was added, UTC milliseconds since the epoch.
    pub created_at_ms: i64,
}

/// The pseudo-plugin name under which the host answers its own queries through
/// [`Services::query`] (so they cross the plugin-library boundary like any query). No plugin
/// can have this name (plugin names are `[a-z][a-z0-9-]*`).
pub const HOST_SERVICES: &str = "@host";

/// The host query behind [`Services::directory_lookup`]: args `{"ram_ids": [...]}`, result
/// `{"users": [DirectoryUser...]}`.
pub const DIRECTORY_LOOKUP: &str = "directory_lookup";

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

    /// The principals of the caller's account directory (`ctx.account_id`) whose RamIds are in
    /// `ram_ids`, in the order of `ram_ids`; unknown ids (and another account's) are left out.
    /// Served by the host through [`Services::query`] ([`HOST_SERVICES`],
    /// [`DIRECTORY_LOOKUP`]), so built-in plugins and plugin libraries call it alike.
    ///
    /// Errors: storage failures (500 `InternalError`).
    async fn directory_lookup(
        &self,
        ctx: &Context,
        ram_ids: &[String],
    ) -> ApiResult<Vec<DirectoryUser>> {
        #[derive(serde::Deserialize)]
        struct Found {
            users: Vec<DirectoryUser>,
        }
        let args = serde_json::json!({ "ram_ids": ram_ids });
        match self
            .query(ctx, HOST_SERVICES, DIRECTORY_LOOKUP, args)
            .await?
        {
            None => Ok(Vec::new()),
            Some(v) => serde_json::from_value::<Found>(v)
                .map(|f| f.users)
                .map_err(|e| {
                    tracing::error!(error = %e, "directory lookup answer of the wrong shape");
                    crate::ApiError::internal()
                }),
        }
    }
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
    /// The user a user's Bearer token acts for, with their skill groups ([`CallerScope`]);
    /// `None` for AccessKey callers and account tokens (administrators) and when the agents
    /// plugin is not enabled. List handlers filter by it; the gateway has checked the spec's
    /// `[access]` parameters against it before the handler runs.
    pub caller_scope: Option<CallerScope>,
    /// The Bearer token of the request ([`TokenGrant`]); `None` for AccessKey signatures and
    /// for work the host starts itself.
    pub token: Option<TokenGrant>,
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

    /// The principals of the account directory with these RamIds
    /// ([`Services::directory_lookup`]).
    ///
    /// Errors: storage failures.
    pub async fn directory_lookup(&self, ram_ids: &[String]) -> ApiResult<Vec<DirectoryUser>> {
        self.services.directory_lookup(self, ram_ids).await
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
            .field("caller_scope", &self.caller_scope)
            .field("action", &self.spec.action)
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

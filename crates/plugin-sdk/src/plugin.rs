//! The `Plugin` trait every domain crate implements, and `Reply`, what a handler returns.

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DbErr};
use serde_json::{Map, Value};

use crate::action::ActionSpec;
use crate::context::Context;
use crate::error::{ApiError, ApiResult};
use crate::params::Params;

/// The action-specific fields of a successful response, in documented order.
///
/// For Alibaba actions the gateway puts the common envelope (`RequestId`, `Code`, ...) in
/// front; for Huawei actions the map is the whole body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reply(pub Map<String, Value>);

impl Reply {
    /// A reply with no action-specific fields.
    pub fn empty() -> Self {
        Self(Map::new())
    }

    /// A reply from a JSON object (`json!({...})`); anything else is a programming error and
    /// yields an empty reply in release builds.
    pub fn from_json(value: Value) -> Self {
        match value {
            Value::Object(map) => Self(map),
            other => {
                debug_assert!(false, "Reply::from_json needs an object, got {other}");
                Self::empty()
            }
        }
    }

    /// Appends one field.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.0.insert(key.to_string(), value);
        self
    }
}

/// A domain of the contact-center API (contact flows, phone numbers, ...).
///
/// A plugin owns its actions, its tables and their migrations. It never sees HTTP: the
/// gateway authenticates, resolves the instance, decodes parameters, then calls
/// [`Plugin::handle`], and renders the result in the caller's dialect.
#[async_trait]
pub trait Plugin: Send + Sync + 'static {
    /// Short name used in config (`[plugins] enabled = ["flows"]`) and in cross-plugin queries.
    fn name(&self) -> &'static str;

    /// The plugin crate's version.
    fn version(&self) -> &'static str;

    /// Every action this plugin serves.
    fn actions(&self) -> Vec<ActionSpec>;

    /// Creates or upgrades this plugin's tables. Runs at start-up and on `ccgate migrate`;
    /// must be idempotent.
    async fn migrate(&self, db: &DatabaseConnection) -> Result<(), DbErr>;

    /// Serves one call of `ctx.spec`.
    async fn handle(&self, ctx: &Context, params: &Params) -> ApiResult<Reply>;

    /// Answers a read query from another plugin (see [`crate::Services`]). The default knows
    /// no queries.
    async fn query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        let _ = (ctx, args);
        Err(ApiError::new(
            500,
            "InternalError",
            format!("plugin {} has no query {name}", self.name()),
        ))
    }

    /// Called once when an instance is created (admin CLI or first start), e.g. to create a
    /// default contact flow. The default does nothing.
    async fn on_instance_created(
        &self,
        db: &DatabaseConnection,
        instance_id: &str,
    ) -> Result<(), DbErr> {
        let _ = (db, instance_id);
        Ok(())
    }
}

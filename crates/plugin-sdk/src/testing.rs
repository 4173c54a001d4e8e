//! Test support for plugin crates (feature `testing`): an in-memory SQLite database, a
//! [`Context`] for an action, and [`Services`] that route queries to a list of plugins.
//!
//! The plugin's dev-dependencies must enable a SQLite driver for sea-orm
//! (`sqlx-sqlite` + `runtime-tokio-rustls`).

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::{Database, DatabaseConnection};
use serde_json::Value;

use crate::{ActionSpec, ApiResult, Context, Plugin, Principal, Services};

/// Routes cross-plugin queries to the plugins it was built with; unknown plugins answer
/// `Ok(None)` like a disabled plugin does in the gateway.
#[derive(Clone, Default)]
pub struct PluginServices {
    plugins: Vec<Arc<dyn Plugin>>,
}

impl PluginServices {
    /// Services over `plugins`.
    pub fn new(plugins: Vec<Arc<dyn Plugin>>) -> Self {
        Self { plugins }
    }
}

#[async_trait]
impl Services for PluginServices {
    async fn query(
        &self,
        ctx: &Context,
        plugin: &str,
        name: &str,
        args: Value,
    ) -> ApiResult<Option<Value>> {
        match self.plugins.iter().find(|p| p.name() == plugin) {
            Some(p) => p.query(ctx, name, args).await.map(Some),
            None => Ok(None),
        }
    }
}

/// A migrated in-memory SQLite database and the plugins under test.
pub struct TestEnv {
    /// The database.
    pub db: DatabaseConnection,
    /// The plugins, migrated, in the order given.
    pub plugins: Vec<Arc<dyn Plugin>>,
    /// The clock of every context [`TestEnv::ctx`] makes: the system clock until a test
    /// replaces it (`env.clock = Clock::fixed(ms)`), then shared by all those contexts.
    pub clock: crate::time::Clock,
}

impl TestEnv {
    /// Opens `sqlite::memory:` (one connection, so every query sees the same database) and
    /// migrates every plugin.
    pub async fn new(plugins: Vec<Arc<dyn Plugin>>) -> Self {
        let mut opts = sea_orm::ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let db = Database::connect(opts)
            .await
            .expect("open in-memory sqlite");
        for p in &plugins {
            p.migrate(&db).await.expect("migrate plugin");
        }
        Self {
            db,
            plugins,
            clock: crate::time::Clock::system(),
        }
    }

    /// A context for calling `spec` as AccessKey `test-ak` of account `acc-1` on `instance`.
    pub fn ctx(&self, spec: ActionSpec, instance: &str) -> Context {
        Context {
            request_id: "TEST-REQUEST".into(),
            account_id: "acc-1".into(),
            principal: Principal::AccessKey {
                id: "test-ak".into(),
            },
            role: crate::Role::Admin,
            spec,
            instance_id: Some(instance.to_string()),
            account_instances: vec![instance.to_string()],
            db: self.db.clone(),
            services: Arc::new(PluginServices::new(self.plugins.clone())),
            clock: self.clock.clone(),
        }
    }
}

/// `pairs` as the gateway hands them to a plugin for `ctx`: the error style of its API version,
/// and the instance parameter (`InstanceId`), which the gateway has checked, unless `pairs`
/// sends its own.
pub fn gateway_params(ctx: &Context, pairs: &[(&str, &str)]) -> crate::Params {
    let style = if ctx.spec.is_2020() {
        crate::ErrorStyle::V2020
    } else {
        crate::ErrorStyle::Legacy
    };
    let mut all: Vec<(&str, &str)> = Vec::new();
    if let (crate::InstanceScope::Param(name), Some(id)) =
        (ctx.spec.instance, ctx.instance_id.as_deref())
        && !pairs.iter().any(|(k, _)| *k == name)
    {
        all.push((name, id));
    }
    all.extend_from_slice(pairs);
    crate::Params::from_pairs(&all, style)
}

/// Calls `spec` of `plugin` the way the gateway does: finds the action's index in
/// [`Plugin::actions`], hands the plugin `pairs` ([`gateway_params`]) and returns the reply's
/// fields as JSON. Errors are the plugin's (parameter errors, handler errors); an action the
/// plugin does not list answers 501 `NotImplemented`, as the gateway's registry would.
pub async fn call(
    plugin: &dyn Plugin,
    ctx: &Context,
    pairs: &[(&str, &str)],
) -> ApiResult<serde_json::Map<String, Value>> {
    let index = ctx
        .spec
        .index_in(&plugin.actions())
        .ok_or_else(|| crate::ApiError::not_implemented(ctx.spec.action))?;
    let params = gateway_params(ctx, pairs);
    let reply = plugin.handle(ctx, index, &params).await?;
    Ok(reply.into_fields())
}

//! The action registry: which plugin serves which `(Version, Action)` or `(method, path)`,
//! and the cross-plugin [`Services`] implementation.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use ccgate_plugin_sdk::{ActionSpec, ApiResult, Context, Dialect, Plugin, Services};
use serde_json::Value;

use crate::metrics::{CallKind, HOST_CALLS, PluginCalls};
use crate::routes::{Lookup, PathTable, TemplateError};

use ccgate_plugin_sdk::context::{DIRECTORY_LOOKUP, HOST_SERVICES};

/// A plugin and the spec of one of its actions.
#[derive(Clone)]
pub struct Route {
    /// The serving plugin.
    pub plugin: Arc<dyn Plugin>,
    /// The action's contract.
    pub spec: ActionSpec,
    /// The action's index in `plugin.actions()`, handed to [`Plugin::handle`] so the plugin
    /// dispatches without matching the name again.
    pub index: usize,
    /// The plugin's call metrics (one per plugin, shared by its routes): count a call of
    /// [`Plugin::handle`] with [`PluginCalls::time`] and [`CallKind::Action`].
    pub calls: Arc<PluginCalls>,
}

/// Errors while building the registry.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Two plugins declare the same action.
    #[error("action {version}/{action} is declared by both plugin {first} and plugin {second}")]
    Duplicate {
        /// API version or HTTP method.
        version: String,
        /// Action name or path.
        action: String,
        /// The plugin registered first.
        first: String,
        /// The plugin registered second.
        second: String,
    },
    /// A path-routed spec's `[http]` template is malformed, or matches exactly the same paths
    /// as another plugin's template (`/a/{x}` and `/a/{y}`; see [`crate::routes`]).
    #[error("plugin {plugin}: {source}")]
    Route {
        /// The plugin declaring the template.
        plugin: String,
        /// What is wrong with it.
        source: TemplateError,
    },
    /// A configured plugin name is not built into this binary.
    #[error(
        "plugin {name:?} is enabled in config but not built into this binary (built-in: {available})"
    )]
    UnknownPlugin {
        /// The configured name.
        name: String,
        /// The names that are available.
        available: String,
    },
}

/// All enabled plugins and their routes.
#[derive(Default)]
pub struct Registry {
    plugins: Vec<Arc<dyn Plugin>>,
    /// The call metrics of `plugins[i]`, at the same index.
    calls: Vec<Arc<PluginCalls>>,
    /// Version → action → route (looked up with `&str`s, no allocation per request).
    rpc: HashMap<String, HashMap<String, Route>>,
    /// Path-routed operations by method and route template ([`crate::routes`]).
    paths: PathTable<Route>,
    versions: BTreeSet<&'static str>,
    /// The SIP engine, when `[telephony]` is configured and the server runs
    /// ([`crate::telephony`]).
    telephony: std::sync::OnceLock<Arc<ccgate_telephony::Telephony>>,
    /// The replicas' shared store, for the host query `cluster.lists_changed`.
    cluster: std::sync::OnceLock<Arc<crate::cluster::Cluster>>,
    /// The master key, for the host queries that keep secrets (SIP device passwords).
    master: std::sync::OnceLock<crate::crypto::MasterKey>,
    /// The token service, for the host query that refreshes a caller's Bearer token.
    tokens: std::sync::OnceLock<crate::auth::bearer::TokenService>,
    /// Where clients reach this host (host query `host.endpoints`).
    endpoints: std::sync::OnceLock<ccgate_plugin_sdk::host::Endpoints>,
}

impl Registry {
    /// Builds the registry from `plugins` (already filtered by config).
    ///
    /// Errors: [`RegistryError::Duplicate`] when two plugins declare one action.
    pub fn new(plugins: Vec<Arc<dyn Plugin>>) -> Result<Self, RegistryError> {
        let mut reg = Registry::default();
        for plugin in plugins {
            let calls = Arc::new(PluginCalls::new(plugin.name()));
            for (index, spec) in plugin.actions().into_iter().enumerate() {
                let route = Route {
                    plugin: plugin.clone(),
                    spec,
                    index,
                    calls: calls.clone(),
                };
                let (version, action, prev) = match (spec.dialect, spec.route) {
                    (Dialect::AliyunRpc, _) | (_, None) => {
                        reg.versions.insert(spec.version);
                        let map = reg.rpc.entry(spec.version.to_string()).or_default();
                        let prev = map.insert(spec.action.to_string(), route);
                        (spec.version, spec.action, prev)
                    }
                    (_, Some((method, path))) => {
                        let prev = reg.paths.get(method, path).map(|l| l.value.clone());
                        if prev.is_none() {
                            reg.paths.insert(method, path, route).map_err(|source| {
                                RegistryError::Route {
                                    plugin: plugin.name().to_string(),
                                    source,
                                }
                            })?;
                        }
                        (method, path, prev)
                    }
                };
                if let Some(prev) = prev {
                    return Err(RegistryError::Duplicate {
                        version: version.to_string(),
                        action: action.to_string(),
                        first: prev.plugin.name().to_string(),
                        second: plugin.name().to_string(),
                    });
                }
            }
            reg.plugins.push(plugin);
            reg.calls.push(calls);
        }
        Ok(reg)
    }

    /// Hands the running SIP engine to the host queries; the first call wins.
    pub fn set_telephony(&self, engine: Arc<ccgate_telephony::Telephony>) {
        let _ = self.telephony.set(engine);
    }

    /// Hands the cluster to the host query `cluster.lists_changed`; the first call wins.
    pub fn set_cluster(&self, cluster: Arc<crate::cluster::Cluster>) {
        let _ = self.cluster.set(cluster);
    }

    /// Hands the master key to the host queries that seal secrets; the first call wins.
    pub fn set_master(&self, master: crate::crypto::MasterKey) {
        let _ = self.master.set(master);
    }

    /// Hands the token service to the host query `auth.refresh_token`; the first call wins.
    pub fn set_tokens(&self, tokens: crate::auth::bearer::TokenService) {
        let _ = self.tokens.set(tokens);
    }

    /// Sets the addresses the host query `host.endpoints` answers; the first call wins.
    pub fn set_endpoints(&self, endpoints: ccgate_plugin_sdk::host::Endpoints) {
        let _ = self.endpoints.set(endpoints);
    }

    /// The enabled plugins, in registration order.
    pub fn plugins(&self) -> &[Arc<dyn Plugin>] {
        &self.plugins
    }

    /// The route of an Alibaba RPC action.
    pub fn rpc(&self, version: &str, action: &str) -> Option<&Route> {
        self.rpc.get(version)?.get(action)
    }

    /// Whether any plugin serves `version`.
    pub fn knows_version(&self, version: &str) -> bool {
        self.versions.contains(version)
    }

    /// The route serving a request to `method path` (a raw request path matched against the
    /// route templates, [`crate::routes`]), if any.
    pub fn path(&self, method: &str, path: &str) -> Option<&Route> {
        match self.paths.lookup(method, path) {
            Lookup::Found(m) => Some(&m.leaf.value),
            _ => None,
        }
    }

    /// The route declared with exactly `method template` (`{vdnId}` as written in the spec).
    pub fn path_template(&self, method: &str, template: &str) -> Option<&Route> {
        self.paths.get(method, template).map(|l| &l.value)
    }

    /// All path-routed operations.
    pub fn path_routes(&self) -> impl Iterator<Item = &Route> {
        self.paths.iter().map(|l| &l.value)
    }

    /// Every route, sorted by version then action, for `ccgate actions`.
    pub fn all_routes(&self) -> Vec<&Route> {
        let mut all: Vec<&Route> = self
            .rpc
            .values()
            .flat_map(HashMap::values)
            .chain(self.path_routes())
            .collect();
        all.sort_by_key(|r| (r.spec.version, r.spec.action));
        all
    }
}

/// [`Services`] over a registry: routes a query to the named plugin, `Ok(None)` when that
/// plugin is not enabled. Each query a plugin or the host answers is counted
/// (`ccgate_plugin_calls_total{kind="query"}`, [`crate::metrics`]).
pub struct RegistryServices(pub Arc<Registry>);

#[async_trait]
impl Services for RegistryServices {
    async fn query(
        &self,
        ctx: &Context,
        plugin: &str,
        name: &str,
        args: Value,
    ) -> ApiResult<Option<Value>> {
        if plugin == HOST_SERVICES {
            // Counted when this branch returns, whichever of the host's answers it gives.
            let _counted = HOST_CALLS.start(CallKind::Query);
            if name == ccgate_plugin_sdk::cache::LISTS_CHANGED {
                if let Some(cluster) = self.0.cluster.get() {
                    let changed: ccgate_plugin_sdk::cache::ListsChanged =
                        ccgate_plugin_sdk::query::decode_args(name, args)?;
                    cluster.publish(crate::cluster::Invalidation::Lists {
                        plugin: changed.plugin,
                        instance: changed.instance,
                    });
                }
                return Ok(Some(Value::Null));
            }
            return self.host_query(ctx, name, args).await.map(Some);
        }
        let reg = &self.0;
        match reg.plugins.iter().position(|p| p.name() == plugin) {
            Some(i) => reg.calls[i]
                .time(CallKind::Query, reg.plugins[i].query(ctx, name, args))
                .await
                .map(Some),
            None => Ok(None),
        }
    }
}

impl RegistryServices {
    /// A query to the host ([`HOST_SERVICES`]): telephony's, [`crate::host`]'s, then the
    /// registry's own ([`host_query`]).
    async fn host_query(&self, ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
        if let Some(answer) = crate::telephony::host_query(
            self.0.telephony.get(),
            self.0.master.get(),
            &ctx.db,
            name,
            args.clone(),
        )
        .await
        {
            return answer;
        }
        if let Some(answer) = crate::host::answer(
            self.0.tokens.get(),
            self.0.master.get(),
            self.0.endpoints.get(),
            ctx,
            name,
            &args,
        ) {
            return answer;
        }
        host_query(ctx, name, args).await
    }
}

/// The context of work the host starts itself rather than a client (an inbound call's routing,
/// webhook delivery): role admin, no account or instance, principal `principal` (shown in
/// logs), a fresh request id. Plugins see it like an administrator's request to `spec`.
pub fn system_context(
    db: sea_orm::DatabaseConnection,
    services: Arc<dyn Services>,
    spec: ccgate_plugin_sdk::ActionSpec,
    principal: &str,
) -> Context {
    Context {
        request_id: uuid::Uuid::new_v4().to_string().to_uppercase(),
        account_id: String::new(),
        principal: ccgate_plugin_sdk::Principal::AccessKey {
            id: principal.to_string(),
        },
        role: ccgate_plugin_sdk::Role::Admin,
        caller_scope: None,
        token: None,
        spec,
        instance_id: None,
        account_instances: Vec::new(),
        db,
        services,
        clock: Default::default(),
    }
}

/// The host's own queries ([`HOST_SERVICES`]): [`DIRECTORY_LOOKUP`] (`{"ram_ids": [...]}` →
/// `{"users": [DirectoryUser...]}`, the caller's account only).
///
/// Errors: 500 `InternalError` for an unknown query or malformed arguments (a plugin bug),
/// storage failures.
async fn host_query(ctx: &Context, name: &str, args: Value) -> ApiResult<Value> {
    #[derive(serde::Deserialize)]
    struct Lookup {
        ram_ids: Vec<String>,
    }
    match name {
        DIRECTORY_LOOKUP => {
            let args: Lookup = ccgate_plugin_sdk::query::decode_args(name, args)?;
            let users =
                crate::admin::lookup_directory_users(&ctx.db, &ctx.account_id, &args.ram_ids)
                    .await?;
            ccgate_plugin_sdk::query::encode_output(name, serde_json::json!({ "users": users }))
        }
        other => {
            tracing::error!(query = other, "unknown host query");
            Err(ccgate_plugin_sdk::ApiError::internal())
        }
    }
}

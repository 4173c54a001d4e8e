//! `AppState`: what every worker shares (settings, the pool, the registry, authentication
//! state). Built once by `runtime::serve`; the HTTP layers (`app`, `http`, `dialect`) read it.

use std::sync::Arc;

use ccgate_plugin_sdk::{ApiError, Services};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::AuthState;
use crate::auth::bearer::TokenService;
use crate::catalog;
use crate::crypto::MasterKey;
use crate::dialect::PathRouter;
use crate::registry::{Registry, RegistryServices};
use crate::settings::Settings;
use crate::store::entities::instance;

/// Shared state of all workers.
pub struct AppState {
    /// Effective settings.
    pub settings: Settings,
    /// The pool.
    pub db: DatabaseConnection,
    /// Enabled plugins and their routes.
    pub registry: Arc<Registry>,
    /// Cross-plugin queries over `registry`.
    pub services: Arc<dyn Services>,
    /// Credentials and replay state.
    pub auth: Arc<AuthState>,
    /// The replicas' shared store (`[cluster] redis_url`); `None`: one process.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    /// Per-AccessKey request rates (`[limits] requests_per_key_per_second`); `None`: no limit.
    pub rates: Option<crate::auth::rate::KeyRates>,
    /// Route templates of every path-routed operation, served or specified only.
    pub paths: PathRouter,
    /// Set to `true` when shutdown begins: open agent-state streams (`crate::stream`) end, so
    /// the graceful drain does not wait `[shutdown] drain_secs` for clients that never hang up.
    pub streams_end: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// Builds the state; `tokens` signs and verifies Bearer tokens; `cluster` (from
    /// [`crate::cluster::Cluster::connect`]) shares nonces and rate limits between replicas.
    pub fn new(
        settings: Settings,
        db: DatabaseConnection,
        registry: Arc<Registry>,
        master: MasterKey,
        tokens: TokenService,
        cluster: Option<Arc<crate::cluster::Cluster>>,
    ) -> Self {
        // The replay start fence: the current whole second (`runtime::serve` waits for a new
        // second before building the state, so nothing signed earlier can pass).
        let not_before =
            chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap_or_default();
        let auth = AuthState::new(db.clone(), master, tokens, &settings.security, not_before);
        let services: Arc<dyn Services> = Arc::new(RegistryServices(Arc::clone(&registry)));
        let paths = PathRouter::new(&registry, catalog::CATALOG);
        let rates = crate::auth::rate::KeyRates::new(
            settings.limits.requests_per_key_per_second,
            settings.limits.request_burst_per_key,
        )
        .map(|r| match &cluster {
            Some(c) => r.shared(Arc::clone(c)),
            None => r,
        });
        if let Some(c) = &cluster {
            let _ = auth.cluster.set(Arc::clone(c));
        }
        Self {
            cluster,
            rates,
            settings,
            db,
            registry,
            services,
            auth,
            paths,
            streams_end: tokio::sync::watch::Sender::new(false),
        }
    }

    /// All instance ids of `account_id`, sorted (for account-wide actions).
    pub async fn account_instances(&self, account_id: &str) -> Result<Vec<String>, ApiError> {
        let ids: Vec<String> = instance::Entity::find()
            .select_only()
            .column(instance::Column::Id)
            .filter(instance::Column::AccountId.eq(account_id))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut ids = ids;
        ids.sort();
        Ok(ids)
    }
}

//! What this replica does with the other replicas' announcements ([`super::invalidation`]).

use std::sync::Arc;

use ccgate_plugin_sdk::cache::{INVALIDATE_QUERY, InvalidateLists};
use ccgate_plugin_sdk::{ActionSpec, Services};
use sea_orm::DatabaseConnection;

use super::invalidation::Sink;
use crate::auth::AuthState;
use crate::registry::{Registry, system_context};
use crate::state::AppState;

/// The running replica: its auth caches and its plugins' list caches.
pub struct Replica {
    auth: Arc<AuthState>,
    registry: Arc<Registry>,
    db: DatabaseConnection,
    services: Arc<dyn Services>,
}

impl Replica {
    /// The sink of the replica serving `state`.
    pub fn new(state: &AppState) -> Self {
        Self {
            auth: Arc::clone(&state.auth),
            registry: Arc::clone(&state.registry),
            db: state.db.clone(),
            services: Arc::clone(&state.services),
        }
    }
}

#[async_trait::async_trait]
impl Sink for Replica {
    fn auth_changed(&self) {
        self.auth.keys.invalidate_all();
    }

    async fn lists_changed(&self, plugin: &str, instance: &str) {
        let Some(p) = self.registry.plugins().iter().find(|p| p.name() == plugin) else {
            return; // not enabled here: nothing cached
        };
        let mut ctx = system_context(
            self.db.clone(),
            Arc::clone(&self.services),
            ActionSpec::rpc("ccgate", "ListCacheInvalidate"),
            "cluster",
        );
        ctx.instance_id = Some(instance.to_string());
        let args = InvalidateLists {
            instance: instance.to_string(),
        };
        let Ok(args) = serde_json::to_value(&args) else {
            return;
        };
        if let Err(e) = p.query(&ctx, INVALIDATE_QUERY, args).await {
            tracing::warn!(plugin, error = %e.message, "a list-cache invalidation from another replica failed");
        }
    }
}

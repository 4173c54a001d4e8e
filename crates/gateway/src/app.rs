//! `AppState` and the HTTP routes.
//!
//! - `GET|POST /`: Alibaba RPC ([`crate::dialect::aliyun`]).
//! - `POST /apigovernance/api/oauth/tokenByAkSk`: Huawei C1 tokens ([`crate::dialect::huawei`]).
//! - Every other request goes to [`crate::dialect::path_entry`]: the path-routed operations
//!   (route templates of the Huawei cc-management and CC-iSales specs, [`AppState::paths`]),
//!   served in the dialect their spec names, or answered 501 after authentication when
//!   specified but not served here ([`crate::catalog`]).
//! - `GET /healthz` (process up), `GET /readyz` (database reachable, nonce store not full),
//!   `GET /metrics` (Prometheus), `GET /openapi.json` (the OpenAPI 3.1 document of every
//!   specified action).
//! - Anything else: 404 (405 for `/` with another method, or for a path only another
//!   method's template matches) in the path's dialect envelope ([`crate::http::not_found`]).

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use ccgate_plugin_sdk::{ApiError, Services};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use crate::auth::AuthState;
use crate::auth::bearer::TokenService;
use crate::catalog;
use crate::crypto::MasterKey;
use crate::dialect::{self, PathRouter, aliyun, huawei};
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
    /// Route templates of every path-routed operation, served or specified only.
    pub paths: PathRouter,
}

impl AppState {
    /// Builds the state; `tokens` signs and verifies Bearer tokens.
    pub fn new(
        settings: Settings,
        db: DatabaseConnection,
        registry: Arc<Registry>,
        master: MasterKey,
        tokens: TokenService,
    ) -> Self {
        // The replay start fence: the current whole second (`runtime::serve` waits for a new
        // second before building the state, so nothing signed earlier can pass).
        let not_before =
            chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap_or_default();
        let auth = AuthState::new(db.clone(), master, tokens, &settings.security, not_before);
        let services: Arc<dyn Services> = Arc::new(RegistryServices(Arc::clone(&registry)));
        let paths = PathRouter::new(&registry, catalog::CATALOG);
        Self {
            settings,
            db,
            registry,
            services,
            auth,
            paths,
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

/// Mounts every route on an actix `ServiceConfig`.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state.clone())
            .route(
                "/healthz",
                web::get().to(|| async { HttpResponse::Ok().body("ok") }),
            )
            .route("/readyz", web::get().to(readyz))
            .route("/metrics", web::get().to(metrics))
            .route(
                "/openapi.json",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(catalog::OPENAPI_JSON)
                }),
            )
            .route(
                huawei::token::PATH,
                web::post().to(huawei::token::token_by_ak_sk),
            );
        cfg.route("/", web::get().to(aliyun::rpc_entry))
            .route("/", web::post().to(aliyun::rpc_entry))
            .default_service(web::to(dialect::path_entry));
    }
}

/// `GET /readyz`: 200 `ready` when the database answers and the SignatureNonce store has
/// room; 503 with the reason otherwise. The second line shows the store's fill either way.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let replay = &state.auth.replay;
    let (held, capacity) = (replay.len(), replay.capacity());
    let fill = format!(
        "nonce store: {held} of {capacity} ({:.1}%)",
        held as f64 * 100.0 / capacity.max(1) as f64
    );
    match state.db.ping().await {
        Err(e) => {
            HttpResponse::ServiceUnavailable().body(format!("database unreachable: {e}\n{fill}"))
        }
        Ok(()) if held >= capacity => HttpResponse::ServiceUnavailable().body(format!(
            "nonce store full: signed requests are refused\n{fill}"
        )),
        Ok(()) => HttpResponse::Ok().body(format!("ready\n{fill}")),
    }
}

/// `GET /metrics`: Prometheus text exposition of the gauges operators need to see before
/// clients notice (issue 9: the SignatureNonce store's fill).
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&state))
}

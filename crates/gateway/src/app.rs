//! The HTTP routes (the shared state they read is [`crate::state::AppState`]).
//!
//! - `GET|POST /`: Alibaba RPC ([`crate::dialect::aliyun`]).
//! - `POST /apigovernance/api/oauth/tokenByAkSk`: Huawei C1 tokens ([`crate::dialect::huawei`]).
//! - Every other request goes to [`crate::dialect::path_entry`]: the path-routed operations
//!   (route templates of the Huawei cc-management and CC-iSales specs, [`AppState::paths`]),
//!   served in the dialect their spec names, or answered 501 after authentication when
//!   specified but not served here ([`crate::catalog`]).
//! - `GET /v1/instances/{id}/agent-states/stream`: the agents' states as Server-Sent Events
//!   ([`crate::stream`]).
//! - `POST /v1/instances/{id}/cdr-exports`, `GET .../cdr-exports/{ExportId}` and
//!   `GET .../cdr-exports/{ExportId}/file`: asynchronous CDR exports ([`crate::exports`]).
//! - `GET /login-keys/{InstanceId}`: the public key that verifies an instance's SignData
//!   ([`crate::login_keys`]).
//! - `GET /healthz` (process up), `GET /readyz` (database reachable, nonce store not full),
//!   `GET /metrics` (Prometheus), `GET /openapi.json` (the OpenAPI 3.1 document of every
//!   specified action).
//! - Anything else: 404 (405 for `/` with another method, or for a path only another
//!   method's template matches) in the path's dialect envelope ([`crate::http::not_found`]).

use actix_web::{HttpResponse, web};

use crate::catalog;
use crate::dialect::{self, aliyun, huawei};
use crate::state::AppState;

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
            )
            .route(
                crate::stream::PATH,
                web::get().to(crate::stream::agent_states),
            )
            .route(crate::exports::PATH, web::post().to(crate::exports::start))
            .route(
                crate::exports::STATUS_PATH,
                web::get().to(crate::exports::status),
            )
            .route(
                crate::exports::FILE_PATH,
                web::get().to(crate::exports::file),
            )
            .route(
                crate::login_keys::PATH,
                web::get().to(crate::login_keys::get),
            );
        cfg.route("/", web::get().to(aliyun::rpc_entry))
            .route("/", web::post().to(aliyun::rpc_entry))
            .default_service(web::to(dialect::path_entry));
    }
}

/// `GET /readyz`: 200 `ready` when the database answers, the cluster's Redis answers (with
/// `[cluster] redis_url`) and the SignatureNonce store has room; 503 with the reason otherwise.
/// The second line shows the store's fill either way.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let replay = &state.auth.replay;
    let (held, capacity) = (replay.len(), replay.capacity());
    let fill = format!(
        "nonce store: {held} of {capacity} ({:.1}%)",
        held as f64 * 100.0 / capacity.max(1) as f64
    );
    if let Err(e) = state.db.ping().await {
        return HttpResponse::ServiceUnavailable()
            .body(format!("database unreachable: {e}\n{fill}"));
    }
    if held >= capacity {
        return HttpResponse::ServiceUnavailable().body(format!(
            "nonce store full: signed requests are refused\n{fill}"
        ));
    }
    if let Some(cluster) = &state.cluster
        && let Err(e) = cluster.ping().await
    {
        return HttpResponse::ServiceUnavailable().body(format!(
            "cluster store (Redis) unreachable: {}\n{fill}",
            e.0
        ));
    }
    HttpResponse::Ok().body(format!("ready\n{fill}"))
}

/// `GET /metrics`: Prometheus text exposition of the gauges operators need to see before
/// clients notice (issue 9: the SignatureNonce store's fill).
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(crate::metrics::render(&state))
}

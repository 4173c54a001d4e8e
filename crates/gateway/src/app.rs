//! The HTTP routes (the shared state they read is [`crate::state::AppState`]).
//!
//! - `GET|POST /`: Alibaba RPC ([`crate::dialect::aliyun`]).
//! - `POST /apigovernance/api/oauth/tokenByAkSk` and every path-routed plugin operation:
//!   Huawei ([`crate::dialect::huawei`]).
//! - Specified path-routed operations that no loaded plugin serves: 501 `NotImplemented`
//!   ([`crate::catalog`]).
//! - `GET /healthz` (process up), `GET /readyz` (database reachable, nonce store not full),
//!   `GET /metrics` (Prometheus), `GET /openapi.json` (the OpenAPI 3.1 document of every
//!   specified action).
//! - Anything else: 404 (405 for `/` with another method) in the path's dialect envelope
//!   ([`crate::http::fallback`]).

use actix_web::{HttpResponse, web};

use crate::catalog;
use crate::dialect::{aliyun, huawei};
use crate::http;
use crate::state::AppState;

/// Mounts every route on an actix `ServiceConfig`.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let mut paths: Vec<(String, String)> = state
            .registry
            .path_routes()
            .filter_map(|r| r.spec.route)
            .chain(catalog::CATALOG.iter().filter_map(|e| e.spec.route))
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        paths.sort();
        paths.dedup();
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
        for (method, path) in paths {
            let m = actix_web::http::Method::from_bytes(method.as_bytes())
                .unwrap_or(actix_web::http::Method::POST);
            cfg.route(&path, web::method(m).to(huawei::cc_management::entry));
        }
        cfg.route("/", web::get().to(aliyun::rpc_entry))
            .route("/", web::post().to(aliyun::rpc_entry))
            .default_service(web::to(http::fallback));
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

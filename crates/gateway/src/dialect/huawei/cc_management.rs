//! cc-management operations (C1): `Authorization: Bearer <AccessToken>` from `tokenByAkSk`,
//! optional `X-APP-Key` (must match the token's app key), optional JSON body. The plugin's
//! reply is the whole response body (each cc-management API has its own envelope).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::{ApiError, Context, ErrorStyle, Params, Principal};
use tracing::Instrument;

use crate::auth::TokenRevoked;
use crate::auth::bearer::{AUD_HUAWEI, TokenError};
use crate::catalog;
use crate::http::body;
use crate::input;
use crate::request_id::new_request_id;
use crate::state::AppState;

/// Serves every path-routed operation; the route is looked up by method and path. The body is
/// read within `[limits] huawei_body_bytes` and `body_timeout_secs` ([`crate::http::body`]).
/// The log names the route's template, never the client's raw path.
pub async fn entry(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let request_id = new_request_id();
    let template = http.match_pattern().unwrap_or_default();
    let span = tracing::info_span!("request", request_id = %request_id, path = %template);
    let limit = state.settings.limits.huawei_body_bytes;
    let body = match body::read_or_refuse(&http, payload, &state, limit).await {
        Ok(b) => b,
        Err(refused) => return refused,
    };
    let result = serve(&http, &body, &state, &request_id)
        .instrument(span.clone())
        .await;
    let _enter = span.enter();
    match result {
        Ok(body) => {
            tracing::info!(status = 200, "served");
            HttpResponse::Ok()
                .content_type("application/json;charset=UTF-8")
                .body(body.to_string())
        }
        Err(e) => {
            tracing::info!(status = e.status, code = %e.code, "refused");
            super::error_response(&e)
        }
    }
}

async fn serve(
    http: &HttpRequest,
    body: &[u8],
    state: &AppState,
    request_id: &str,
) -> Result<serde_json::Value, ApiError> {
    let Some(route) = state.registry.path(http.method().as_str(), http.path()) else {
        // Specified Huawei operations are mounted even when nothing serves them here.
        return Err(match catalog::path(http.method().as_str(), http.path()) {
            Some(entry) => {
                let e = catalog::not_implemented(entry);
                ApiError::new(501, "501", e.message)
            }
            None => ApiError::new(
                404,
                "404",
                "The requested content is not found. Check the request path.",
            ),
        });
    };
    let auth = http
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let token = auth
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                403,
                "403",
                "Authentication fails: Authorization must be 'Bearer <AccessToken>'.",
            )
        })?;
    let claims = state
        .auth
        .tokens
        .verify(token, AUD_HUAWEI)
        .map_err(|e| match e {
            TokenError::Expired => ApiError::new(
                403,
                "403",
                "Authentication fails: the AccessToken has expired.",
            ),
            TokenError::Invalid => ApiError::new(
                403,
                "403",
                "Authentication fails: the AccessToken is not valid.",
            ),
        })?;
    if let Some(app_key) = http
        .headers()
        .get("X-APP-Key")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        && app_key != claims.sub
    {
        return Err(ApiError::new(
            403,
            "403",
            "Authentication fails: X-APP-Key does not match the AccessToken.",
        ));
    }
    match state.auth.token_alive(&claims).await? {
        Ok(()) => {}
        Err(TokenRevoked::KeyDisabled) => {
            return Err(ApiError::new(
                401,
                "401",
                "Unauthorized operation: the app key is disabled or deleted.",
            ));
        }
        Err(TokenRevoked::Revoked) => {
            return Err(ApiError::new(
                403,
                "403",
                "Authentication fails: the AccessToken has been revoked.",
            ));
        }
    }
    // Tokens of older builds carry no `ak` claim: their subject is the app key.
    if claims.ak.is_none() {
        match state.auth.keys.access_key(&claims.sub).await? {
            Some(k) if k.active => {}
            _ => {
                return Err(ApiError::new(
                    401,
                    "401",
                    "Unauthorized operation: the app key is disabled or deleted.",
                ));
            }
        }
    }
    let role = claims.role();
    if !route.spec.roles.admits(role) {
        let e = ApiError::no_permission(role, route.spec.action);
        return Err(ApiError::new(403, "403", e.message));
    }
    let mut params = Params::new(Default::default(), ErrorStyle::Legacy);
    if !body.is_empty() {
        let json: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                400,
                "400",
                format!("Incorrect request: the body is not JSON ({e})."),
            )
        })?;
        if let Some(path) = input::json_nul(&json) {
            return Err(ApiError::new(
                400,
                "400",
                format!("Incorrect request: {path} contains a NUL character (U+0000)."),
            ));
        }
        params.json_body = Some(json);
    }
    let ctx = Context {
        request_id: request_id.to_string(),
        account_instances: state.account_instances(&claims.acc).await?,
        account_id: claims.acc,
        principal: Principal::AccessKey { id: claims.sub },
        role,
        spec: route.spec,
        instance_id: None,
        db: state.db.clone(),
        services: Arc::clone(&state.services),
        clock: Default::default(),
    };
    let reply = route
        .plugin
        .handle(&ctx, route.index, &params)
        .await
        .map_err(|e| {
            // Huawei reports business failures as 500 (seed 001); keep the plugin's own message.
            if e.status >= 500 {
                ApiError::new(
                    500,
                    "500",
                    "Business failure. Check the values of parameters in the request.",
                )
            } else {
                e
            }
        })?;
    Ok(reply.into_value())
}

//! `POST /apigovernance/api/oauth/tokenByAkSk` (huawei-aicc.md §2): body
//! `{"app_key", "app_secret"}`, optional header `X-Token-Expire` (seconds, 1..=max, default
//! 600). The app key/secret are a ccgate AccessKey pair. Answers
//! `{AccessToken, ApplyType: "Bearer", CreateTime (epoch s, string), Expires (seconds,
//! string), Scope, AppKey, UserID}` — every value a string, as the Huawei doc shows.

use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::ApiError;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use tracing::Instrument;

use crate::auth::bearer::AUD_HUAWEI;
use crate::http::body;
use crate::state::AppState;

/// The route path.
pub const PATH: &str = "/apigovernance/api/oauth/tokenByAkSk";
/// Lifetime when `X-Token-Expire` is absent (the doc's example value).
pub const DEFAULT_EXPIRE_SECS: u64 = 600;

#[derive(Deserialize)]
struct Body {
    app_key: Option<String>,
    app_secret: Option<String>,
}

/// Serves `tokenByAkSk`.
pub async fn token_by_ak_sk(
    http: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let request_id = crate::request_id::new_request_id();
    let span = tracing::info_span!("request", request_id = %request_id, path = PATH);
    let limit = state.settings.limits.token_body_bytes;
    let body = match body::read_or_refuse(&http, payload, &state, limit)
        .instrument(span.clone())
        .await
    {
        Ok(b) => b,
        Err(refused) => return crate::request_id::tag(refused, &request_id),
    };
    let result = issue(&http, &body, &state).instrument(span.clone()).await;
    let _enter = span.enter();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    crate::metrics::record(
        "huawei-token",
        "tokenByAkSk",
        result.as_ref().map_or_else(|e| &*e.code, |_| "OK"),
        started.elapsed(),
    );
    // One line per request, like every dialect's (the app key is the caller; never the secret).
    let resp = match result {
        Ok(resp) => {
            tracing::info!(status = 200, elapsed_ms, "served");
            HttpResponse::Ok()
                .content_type("application/json;charset=UTF-8")
                .body(resp.to_string())
        }
        Err(e) => {
            if e.status >= 500 {
                tracing::error!(status = e.status, code = %e.code, elapsed_ms, "failed");
            } else {
                tracing::info!(status = e.status, code = %e.code, elapsed_ms, "refused");
            }
            super::error_response(&e)
        }
    };
    crate::request_id::tag(resp, &request_id)
}

async fn issue(
    http: &HttpRequest,
    body: &[u8],
    state: &AppState,
) -> Result<serde_json::Value, ApiError> {
    let parsed: Body = serde_json::from_slice(body)
        .map_err(|e| ApiError::new(400, "400", format!("Incorrect request body: {e}")))?;
    let app_key = parsed
        .app_key
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::new(400, "400", "app_key is required."))?;
    let app_secret = parsed
        .app_secret
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::new(400, "400", "app_secret is required."))?;
    // No key id holds a NUL (the database could not store one), so it is not looked up.
    if app_key.contains('\0') || app_secret.contains('\0') {
        return Err(ApiError::new(
            400,
            "400",
            "app_key and app_secret must not contain NUL characters (U+0000).",
        ));
    }
    let max = state.settings.security.huawei_token_max_secs;
    let expires = match http.headers().get("X-Token-Expire") {
        None => DEFAULT_EXPIRE_SECS.min(max),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::new(
                    400,
                    "400",
                    format!("X-Token-Expire must be an integer from 1 to {max}."),
                )
            })?,
    };
    let fail = || {
        ApiError::new(
            403,
            "403",
            "Authentication fails: unknown app_key or wrong app_secret.",
        )
    };
    let key = state
        .auth
        .keys
        .access_key(&app_key)
        .await?
        .ok_or_else(fail)?;
    if !bool::from(key.secret.as_bytes().ct_eq(app_secret.as_bytes())) {
        return Err(fail());
    }
    if !key.active {
        return Err(ApiError::new(
            401,
            "401",
            "Unauthorized operation: the app key is disabled.",
        ));
    }
    let (token, claims) = state.auth.tokens.issue(
        &app_key,
        &key.account_id,
        AUD_HUAWEI,
        expires,
        Some(&app_key),
    );
    Ok(json!({
        "AccessToken": token,
        "ApplyType": "Bearer",
        "CreateTime": claims.iat.to_string(),
        "Expires": expires.to_string(),
        "Scope": "cc-management",
        "AppKey": app_key,
        "UserID": "Anonymous",
    }))
}

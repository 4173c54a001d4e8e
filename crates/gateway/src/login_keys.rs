//! `GET /login-keys/{InstanceId}`: publishes the Ed25519 public key with which clients verify
//! the `Signature` over `SignData` of RequestLoginInfo and RefreshToken (the workbench
//! plugin's query `login_key`; `docs/workbench.md`). Public keys are public: no
//! authentication, like a JWKS document.
//!
//! 200 `{"InstanceId", "KeyId", "Algorithm": "Ed25519", "PublicKey": <base64, 32 bytes>,
//! "Jwk": {"kty": "OKP", "crv": "Ed25519", "x": <base64url>, "kid", "use": "sig"}}` (RFC 8037
//! §2); 404 `NotExists.InstanceId` for an unknown instance; 404 `NotImplemented` JSON when the
//! workbench plugin is not enabled; 500 on storage failures.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

use crate::state::AppState;

/// The route template.
pub const PATH: &str = "/login-keys/{instance_id}";

/// The plugin and query answering the key.
const PLUGIN: &str = "workbench";
const QUERY: &str = "login_key";

/// The pseudo-action the query runs under.
const SPEC: ccgate_plugin_sdk::ActionSpec =
    ccgate_plugin_sdk::ActionSpec::rpc("2017-07-05", "GetLoginKey");

fn error(status: actix_web::http::StatusCode, code: &str, message: String) -> HttpResponse {
    HttpResponse::build(status).json(json!({"Code": code, "Message": message}))
}

/// Serves [`PATH`].
pub async fn get(state: web::Data<AppState>, path: web::Path<String>) -> HttpResponse {
    use actix_web::http::StatusCode;
    let instance = path.into_inner();
    match state.auth.keys.instance_account(&instance).await {
        Ok(Some(_)) => {}
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                "NotExists.InstanceId",
                format!(
                    "The specified instance {} does not exist.",
                    crate::input::shown(&instance)
                ),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "login key: instance lookup failed");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "storage failure".into(),
            );
        }
    }
    let ctx = crate::registry::system_context(
        state.db.clone(),
        Arc::clone(&state.services),
        SPEC,
        "ccgate-login-keys",
    );
    let answer = state
        .services
        .query(&ctx, PLUGIN, QUERY, json!({ "instance_id": instance }))
        .await;
    let key = match answer {
        Ok(Some(v)) => v,
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                "NotImplemented",
                "The workbench plugin, which keeps the login keys, is not enabled.".into(),
            );
        }
        Err(e) => {
            return error(
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                &e.code,
                e.message.to_string(),
            );
        }
    };
    let text = |k: &str| {
        key.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let public = text("public_key");
    let x = STANDARD
        .decode(&public)
        .map(|b| URL_SAFE_NO_PAD.encode(b))
        .unwrap_or_default();
    HttpResponse::Ok().json(json!({
        "InstanceId": instance,
        "KeyId": text("key_id"),
        "Algorithm": text("algorithm"),
        "PublicKey": public,
        "Jwk": {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": text("key_id"), "use": "sig"},
    }))
}

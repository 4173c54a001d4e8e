//! Huawei AICC cc-management (C1) dialect: `tokenByAkSk` issues Bearer tokens for an
//! AccessKey pair (app_key/app_secret), and each operation is its own path
//! (seed 001, `shared/reference/huawei-aicc.md` §2-§3).
//!
//! Errors carry the HTTP status the seed assigns (400 bad request, 401 account not usable,
//! 403 authentication failed, 404 unknown, 500 business failure) and the cc-management body
//! shape `{"retCode": "<code>", "message": "..."}`.

pub mod cc_management;
pub mod token;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use ccgate_plugin_sdk::ApiError;
use serde_json::json;

/// The error response of both Huawei endpoints.
pub fn error_response(err: &ApiError) -> HttpResponse {
    HttpResponse::build(
        StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
    )
    .content_type("application/json;charset=UTF-8")
    .body(json!({"retCode": err.code, "message": err.message}).to_string())
}

//! HTTP-level limits shared by every dialect (issue 9): the server and its connection limits
//! ([`server`]), refusals actix-http writes itself rewritten into envelopes ([`wire`]),
//! bounded body reading ([`body`]), connections per client address ([`connections`]), and the
//! answer for paths and methods nothing routes ([`fallback`]), all in the dialect's envelope.

pub mod body;
pub mod connections;
pub mod server;
pub mod wire;

use actix_web::http::ConnectionType;
use actix_web::{HttpRequest, HttpResponse, web};
use ccgate_plugin_sdk::ApiError;

use crate::dialect::aliyun::envelope;
use crate::dialect::{self, error_parts};
use crate::request_id::new_request_id;
use crate::state::AppState;

/// `err` in the envelope of the dialect the request belongs to ([`dialect::dialect_of`]: the
/// matched route's spec, else the path's prefix, else Alibaba); the connection is closed when
/// `close`. A path dialect's answer carries the HTTP status as its code (`"413"`).
pub fn refuse(http: &HttpRequest, state: &AppState, err: &ApiError, close: bool) -> HttpResponse {
    let dialect = dialect::dialect_of(state, http.method().as_str(), http.path());
    let plain = ApiError::new(err.status, err.status.to_string(), err.message.clone());
    let mut resp = match dialect.and_then(|d| error_parts(d, &plain)) {
        Some((content_type, body)) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(err.status)
                .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
        )
        .content_type(content_type)
        .body(body),
        None => envelope::error_response(
            &new_request_id(),
            &state.settings.server.host_id,
            false,
            err,
        ),
    };
    if close {
        resp.head_mut().set_connection_type(ConnectionType::Close);
    }
    resp
}

/// A path no route serves (404), or a method `/` does not take (405), in the envelope of the
/// path's dialect.
pub fn not_found(http: &HttpRequest, state: &AppState) -> HttpResponse {
    let err = if http.path() == "/" {
        ApiError::new(
            405,
            "UnsupportedHTTPMethod",
            format!(
                "The HTTP method {} is not supported; send GET or POST.",
                crate::input::shown(http.method().as_str())
            ),
        )
    } else {
        ApiError::new(
            404,
            "InvalidApi.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    };
    refuse(http, state, &err, false)
}

/// [`not_found`] as a handler.
pub async fn fallback(http: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    not_found(&http, &state)
}

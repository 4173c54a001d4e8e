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
use crate::dialect::huawei;
use crate::request_id::new_request_id;
use crate::state::AppState;

/// Whether `path` belongs to the Huawei dialects (their envelope answers it).
pub fn is_huawei_path(path: &str) -> bool {
    ["/apiaccess/", "/apigovernance/", "/rest/"]
        .iter()
        .any(|p| path.starts_with(p))
}

/// `err` in the envelope of the dialect `http.path()` belongs to; the connection is closed
/// when `close`.
pub fn refuse(http: &HttpRequest, state: &AppState, err: &ApiError, close: bool) -> HttpResponse {
    let mut resp = if is_huawei_path(http.path()) {
        huawei::error_response(&ApiError::new(
            err.status,
            err.status.to_string(),
            err.message.clone(),
        ))
    } else {
        envelope::error_response(
            &new_request_id(),
            &state.settings.server.host_id,
            false,
            err,
        )
    };
    if close {
        resp.head_mut().set_connection_type(ConnectionType::Close);
    }
    resp
}

/// The default service: a path no route serves (404), or a method `/` does not take (405), in
/// the envelope of the path's dialect.
pub async fn fallback(http: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
    refuse(&http, &state, &err, false)
}

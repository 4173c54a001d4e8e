//! Reading a request body within bounds: at most a route's byte limit, within
//! `[limits] body_timeout_secs` of the handler starting to read it (actix-web bounds the time
//! of a request head, `client_request_timeout`, but not of its body: a client trickling an
//! almost complete body could hold a worker's connection and its buffer for as long as it
//! liked). `Upgrade` requests are refused before any byte of the body is read: nothing here
//! speaks WebSocket or HTTP/2 cleartext, and an upgraded connection has no end of body.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::ConnectionType;
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{HttpRequest, HttpResponse};
use ccgate_plugin_sdk::ApiError;
use futures::StreamExt;

use crate::state::AppState;

/// Reads `payload` whole: at most `limit` bytes, within `timeout` overall.
///
/// Errors (the caller renders them in its dialect's envelope, and closes the connection):
/// - 400 `InvalidRequest.Upgrade` for a request with an `Upgrade` header;
/// - 413 `RequestEntityTooLarge` when `Content-Length` says, or the bytes read show, more than
///   `limit` bytes;
/// - 408 `RequestTimeout` when the body is not complete within `timeout`;
/// - 400 `InvalidRequest.Body` when the body cannot be read (a broken chunked encoding).
pub async fn read(
    http: &HttpRequest,
    payload: &mut web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    if http
        .headers()
        .contains_key(actix_web::http::header::UPGRADE)
    {
        return Err(ApiError::new(
            400,
            "InvalidRequest.Upgrade",
            "Protocol upgrades (WebSocket, h2c) are not supported; send a plain HTTP/1.1 request.",
        ));
    }
    let too_large = || {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!(
                "The request body is larger than {limit} bytes, the most this endpoint accepts."
            ),
        )
    };
    let declared = http
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let capacity = declared.map_or(0, |n| n as usize);
    let read_all = async {
        let mut body = BytesMut::with_capacity(capacity);
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::new(
                    400,
                    "InvalidRequest.Body",
                    format!("The request body could not be read: {e}."),
                )
            })?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    match tokio::time::timeout(timeout, read_all).await {
        Ok(result) => result,
        Err(_) => Err(ApiError::new(
            408,
            "RequestTimeout",
            format!(
                "The request body was not received within {} seconds.",
                timeout.as_secs()
            ),
        )),
    }
}

/// What every endpoint does first: refuses a connection over its address's quota
/// ([`super::connections::over_quota`]), then [`read`]s the body within `limit` bytes and
/// `[limits] body_timeout_secs`; a refusal is answered in the envelope of the path's dialect on
/// a connection that is then closed ([`refuse_and_close`]).
pub async fn read_or_refuse(
    http: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    limit: usize,
) -> Result<Bytes, HttpResponse> {
    let mut payload = payload;
    let refusal = match super::connections::over_quota(http) {
        Some(e) => e,
        None => {
            let timeout = Duration::from_secs(state.settings.limits.body_timeout_secs);
            match read(http, &mut payload, limit, timeout).await {
                Ok(body) => return Ok(body),
                Err(e) => e,
            }
        }
    };
    tracing::info!(status = refusal.status, code = %refusal.code, "refused");
    let resp = super::refuse(http, state, &refusal, false);
    Err(refuse_and_close(resp, payload))
}

/// `resp` (a refusal of [`read`]) answered on a connection that is then closed, never kept
/// alive: the unread rest of the body is not drained.
///
/// actix-http drains an unread *chunked* body whose payload was dropped, with no timer (a
/// client trickling chunks would hold the connection for ever); it closes instead when the
/// payload is still held when the response ends. So the response body holds `payload` until
/// it is written.
pub fn refuse_and_close(resp: HttpResponse, payload: web::Payload) -> HttpResponse {
    let mut resp = resp.map_body(|_, body| {
        BoxBody::new(Holding {
            body,
            _payload: payload,
        })
    });
    resp.head_mut().set_connection_type(ConnectionType::Close);
    resp
}

/// A response body that keeps the request's payload alive while it is written.
struct Holding {
    body: BoxBody,
    _payload: web::Payload,
}

impl MessageBody for Holding {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

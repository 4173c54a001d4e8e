//! The `RequestId` every answer carries, in every dialect.

/// A new `RequestId`: an upper-case UUID v4 like Alibaba's (random bytes from the thread-local
/// CSPRNG, which avoids a `getrandom` system call per request).
pub fn new_request_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_upper(&mut buf).to_owned()
}

/// The response header carrying the RequestId (Alibaba's `x-acs-request-id`), on every answer
/// of every dialect, refusals included, so a client can quote it even when the body is not
/// the dialect's envelope.
pub const HEADER: &str = "x-acs-request-id";

/// `resp` with the [`HEADER`] set to `request_id`.
pub fn tag(mut resp: actix_web::HttpResponse, request_id: &str) -> actix_web::HttpResponse {
    if let Ok(v) = actix_web::http::header::HeaderValue::from_str(request_id) {
        resp.headers_mut()
            .insert(actix_web::http::header::HeaderName::from_static(HEADER), v);
    }
    resp
}

//! Verifies a Huawei AICC C2 request (`Authorization: auth-v2/AK/Timestamp/SignedHeaders/Sig`),
//! the credential of CC-iSales (`shared/reference/huawei-aicc.md` §4; the algorithm itself is
//! [`super::signing::huawei_c2`]).
//!
//! Checks, in order (each failure is HTTP 401, the status §4.1 confirms for a failed check):
//! 1. the header is present and parses ([`huawei_c2::parse`]), with at most
//!    [`MAX_SIGNED_HEADERS`] signed headers, `host` among them (§4.2: the signed header list
//!    travels in the header; requiring `host` binds the signature to this server, as the S9
//!    ports do);
//! 2. the timestamp (`yyyy-MM-ddTHH:mm:ssZ`, milliseconds accepted, §4.2) is within
//!    `[security] replay_window_secs` of the server's clock, either way. §4.2 leaves the
//!    allowed skew [UNKNOWN]; the Alibaba window is used. C2 has no nonce, so there is no
//!    nonce memory and no start fence: a captured request can be replayed within the window,
//!    as with any nonce-less scheme (TLS keeps it from being captured);
//! 3. the AccessKey exists and is active (the same [`super::keys::KeyStore`] as the Alibaba
//!    and C1 credentials: an AccessKey pair is an AK/SK pair);
//! 4. the signature equals the one computed over the canonical request rebuilt from the
//!    received request (raw path, decoded query, the listed headers' received values, the body
//!    as text), compared in constant time ([`huawei_c2::verify`]).
//!
//! The refusal's message says which check failed; for a signature mismatch it shows the
//! server's canonical request (cut at [`SHOWN_CANONICAL_BYTES`]), as Alibaba's
//! `SignatureDoesNotMatch` shows its string-to-sign, so a client can find its mistake.

use actix_web::http::header::HeaderMap;
use ccgate_plugin_sdk::{ApiError, Principal};

use super::signing::huawei_c2;
use super::{AuthState, Caller};
use crate::input;

/// Most header names one signature may list.
pub const MAX_SIGNED_HEADERS: usize = 32;

/// Longest part of the server's canonical request shown in a mismatch message, bytes.
pub const SHOWN_CANONICAL_BYTES: usize = 2048;

fn fail(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(401, "401", format!("Authentication fails: {why}"))
}

/// The received request as C2 signs it.
pub struct SignedRequest<'a> {
    /// The HTTP method as received (`GET`).
    pub method: &'a str,
    /// The raw request path, without the query (`/rest/isales/v1/openapi/campaigns/1`).
    pub path: &'a str,
    /// The decoded query pairs, wire order.
    pub query: &'a [(String, String)],
    /// The received headers.
    pub headers: &'a HeaderMap,
    /// The received body (read as UTF-8, invalid sequences replaced: such a body was not what
    /// a client signed, so it fails the comparison).
    pub body: &'a [u8],
}

/// Authenticates `req` by its `auth-v2` signature, allowing `window_secs` of clock skew.
///
/// Output: the AccessKey's account, and the AccessKey as principal.
///
/// Errors: 401 with code `"401"` and a message naming the failed check (see the module docs);
/// storage failures (500).
pub async fn authenticate(
    state: &AuthState,
    req: &SignedRequest<'_>,
    window_secs: u64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Caller, ApiError> {
    let value = req
        .headers
        .get("authorization")
        .ok_or_else(|| {
            fail("the Authorization header is missing; sign the request with auth-v2 (auth-v2/AK/Timestamp/SignedHeaders/Signature).")
        })?
        .to_str()
        .map_err(|_| fail("the Authorization header is not visible ASCII."))?;
    let auth = huawei_c2::parse(value).map_err(|why| fail(format!("{why}.")))?;
    if auth.signed_headers.len() > MAX_SIGNED_HEADERS {
        return Err(fail(format!(
            "auth-v2 lists {} signed headers; at most {MAX_SIGNED_HEADERS} are accepted.",
            auth.signed_headers.len()
        )));
    }
    if !auth
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("host"))
    {
        return Err(fail("the signed headers must include host."));
    }
    let stamped = super::replay::parse_timestamp(&auth.timestamp).ok_or_else(|| {
        fail(format!(
            "the timestamp {} is not yyyy-MM-ddTHH:mm:ssZ (UTC).",
            input::shown(&auth.timestamp)
        ))
    })?;
    if (now - stamped).num_seconds().unsigned_abs() > window_secs {
        return Err(fail(format!(
            "the timestamp {} is more than {window_secs} seconds away from the server's time ({}); sign the request again.",
            input::shown(&auth.timestamp),
            now.format("%Y-%m-%dT%H:%M:%SZ")
        )));
    }
    let key = state
        .keys
        .access_key(&auth.access_key)
        .await?
        .ok_or_else(|| fail("the access key is unknown."))?;
    if !key.active {
        return Err(fail("the access key is disabled."));
    }
    // Only the listed headers take part; each gets all its received values.
    let headers: Vec<(String, String)> = auth
        .signed_headers
        .iter()
        .flat_map(|name| {
            req.headers.get_all(name.as_str()).map(move |v| {
                (
                    name.clone(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
        })
        .collect();
    let body = String::from_utf8_lossy(req.body);
    let canonical = huawei_c2::canonical_request(
        req.method,
        req.path,
        req.query,
        &headers,
        &auth.signed_headers,
        &body,
    );
    if !huawei_c2::verify(&key.secret, &auth, &canonical) {
        let mut shown = canonical.escape_debug().to_string();
        if shown.len() > SHOWN_CANONICAL_BYTES {
            let mut cut = SHOWN_CANONICAL_BYTES;
            while !shown.is_char_boundary(cut) {
                cut -= 1;
            }
            shown.truncate(cut);
            shown.push('…');
        }
        return Err(fail(format!(
            "the signature does not match; the server's canonical request is: {shown}"
        )));
    }
    Ok(Caller {
        account_id: key.account_id.clone(),
        principal: Principal::AccessKey {
            id: auth.access_key,
        },
        role: ccgate_plugin_sdk::Role::Admin,
        user: false,
        token: None,
    })
}

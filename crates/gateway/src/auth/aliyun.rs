//! Verifies an Alibaba RPC request: ACS3 (`Authorization: ACS3-...`), Bearer
//! (`SignatureType=BEARERTOKEN`), or signature v1 (`Signature` parameter).
//!
//! Error codes are Alibaba's (`InvalidAccessKeyId.NotFound`, `SignatureDoesNotMatch` with the
//! server's string-to-sign after a colon — the 2017 SDK splits the message on `:` —,
//! `InvalidTimeStamp.Expired`, `SignatureNonceUsed`, `Throttling.User`, ...).
//!
//! A signature binds what it authorizes: [`routing`] takes `Action` and `Version` only from
//! input the request's scheme signs (v1: the signed parameters; ACS3: the `x-acs-action` /
//! `x-acs-version` headers, which must be among SignedHeaders with `x-acs-date`,
//! `x-acs-signature-nonce` and `host`, as the official SDKs sign them).

use ccgate_plugin_sdk::{ApiError, AuthModes, Principal};

use super::bearer::{AUD_ALIYUN, TokenError};
use super::replay::ReplayError;
use super::signing::{acs3, rpc_v1};
use super::{AuthState, Caller, TokenRevoked};
use crate::dialect::aliyun::request::RpcRequest;

fn err(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

fn signature_mismatch(string_to_sign: &str) -> ApiError {
    err(
        400,
        "SignatureDoesNotMatch",
        format!(
            "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
        ),
    )
}

fn replay_error(e: ReplayError) -> ApiError {
    match e {
        ReplayError::BadFormat => err(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        ),
        ReplayError::Expired => err(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ),
        ReplayError::SignedBeforeStart(fence) => err(
            400,
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired: it is earlier than this gateway's start ({}); sign the request again.",
                fence.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        ),
        ReplayError::NonceUsed => err(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ),
        ReplayError::KeyQuota(max) => err(
            429,
            "Throttling.User",
            format!(
                "Request was denied due to user flow control: this AccessKey has {max} signed requests within the replay window, the most one key may have."
            ),
        ),
        // Fail closed: an unchecked nonce could be a replay.
        ReplayError::Saturated => err(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server (replay-protection store is full).",
        ),
    }
}

fn required<'a>(req: &'a RpcRequest, name: &str) -> Result<&'a str, ApiError> {
    req.params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::missing(name))
}

/// How a request proves its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// A Bearer token (`SignatureType=BEARERTOKEN`, `x-acs-bearer-token` or `BearerToken`).
    Bearer,
    /// `Authorization: ACS3-...`.
    Acs3,
    /// Signature v1 (`Signature` parameter).
    V1,
}

/// The scheme `req` uses (the same decision [`authenticate`] takes).
pub fn scheme(req: &RpcRequest) -> Scheme {
    let signature_type = req
        .params
        .get("SignatureType")
        .map(String::as_str)
        .unwrap_or_default();
    if signature_type.eq_ignore_ascii_case("BEARERTOKEN")
        || req.header("x-acs-bearer-token").is_some()
        || req.params.contains_key("BearerToken")
    {
        Scheme::Bearer
    } else if req
        .header("authorization")
        .is_some_and(|v| v.starts_with("ACS3-"))
    {
        Scheme::Acs3
    } else {
        Scheme::V1
    }
}

/// `Action` and `Version` of `req`, taken only from input its scheme signs:
/// - v1: the (signed) parameters; an `x-acs-action` / `x-acs-version` header that says
///   otherwise is refused (400 `IncompleteSignature`), since a relay could have set it;
/// - ACS3: the `x-acs-action` / `x-acs-version` headers, which [`authenticate`] requires among
///   SignedHeaders; a parameter that says otherwise is refused likewise;
/// - Bearer: a token signs nothing of the request, so the parameter or else the header.
///
/// Errors: `MissingParameter` (`Action`, `Version`) when absent; `IncompleteSignature`.
pub fn routing(req: &RpcRequest) -> Result<(&str, &str), ApiError> {
    let scheme = scheme(req);
    let pick = |param: &str, header: &str| -> Result<&str, ApiError> {
        let from_param = req
            .params
            .get(param)
            .map(String::as_str)
            .filter(|v| !v.is_empty());
        let from_header = req.header(header).filter(|v| !v.is_empty());
        let (signed, other) = match scheme {
            Scheme::V1 => (from_param, from_header),
            Scheme::Acs3 => (from_header, from_param),
            Scheme::Bearer => {
                return from_param
                    .or(from_header)
                    .ok_or_else(|| ApiError::missing(param));
            }
        };
        let value = signed.ok_or_else(|| ApiError::missing(param))?;
        if other.is_some_and(|o| o != value) {
            return Err(err(
                400,
                "IncompleteSignature",
                format!(
                    "The {param} parameter and the {header} header differ; the request's signature covers only one of them."
                ),
            ));
        }
        Ok(value)
    };
    let action = pick("Action", "x-acs-action")?;
    let version = pick("Version", "x-acs-version")?;
    Ok((action, version))
}

/// Headers an ACS3 signature must cover: what routes the request (action, version, host)
/// and what makes it fresh (date, nonce). The official SDKs sign all of them.
pub const ACS3_REQUIRED_SIGNED_HEADERS: [&str; 5] = [
    "host",
    "x-acs-action",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
];

/// Authenticates `req` and checks the credential kind against `auth`.
///
/// Errors: see the module docs; `Forbidden.BearerTokenRequired` (403) when an AccessKey
/// signature calls a Bearer-only action.
pub async fn authenticate(
    state: &AuthState,
    req: &RpcRequest,
    auth: AuthModes,
) -> Result<Caller, ApiError> {
    if req.params.contains_key("SecurityToken") || req.header("x-acs-security-token").is_some() {
        return Err(err(
            400,
            "InvalidSecurityToken.Malformed",
            "STS security tokens are not issued by this gateway; sign with an AccessKey or use a bearer token.",
        ));
    }
    let bearer = req
        .header("x-acs-bearer-token")
        .or_else(|| req.params.get("BearerToken").map(String::as_str));
    let signature_type = req
        .params
        .get("SignatureType")
        .map(String::as_str)
        .unwrap_or_default();
    let caller = if signature_type.eq_ignore_ascii_case("BEARERTOKEN") || bearer.is_some() {
        let token = bearer
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::missing("BearerToken"))?;
        let claims = state
            .tokens
            .verify(token, AUD_ALIYUN)
            .map_err(|e| match e {
                TokenError::Expired => err(
                    401,
                    "InvalidBearerToken.Expired",
                    "The bearer token has expired.",
                ),
                TokenError::Invalid => err(
                    401,
                    "InvalidBearerToken.Malformed",
                    "The bearer token is malformed or was not issued by this gateway.",
                ),
            })?;
        match state.token_alive(&claims).await? {
            Ok(()) => {}
            Err(TokenRevoked::KeyDisabled) => {
                return Err(err(
                    401,
                    "InvalidBearerToken.Revoked",
                    "The bearer token's AccessKey is disabled or deleted.",
                ));
            }
            Err(TokenRevoked::Revoked) => {
                return Err(err(
                    401,
                    "InvalidBearerToken.Revoked",
                    "The bearer token has been revoked.",
                ));
            }
        }
        let role = claims.role();
        let user = claims.is_user();
        let token = claims.grant();
        return Ok(Caller {
            account_id: claims.acc,
            principal: Principal::Bearer {
                subject: claims.sub,
            },
            role,
            user,
            token: Some(token),
        });
    } else if let Some(value) = req
        .header("authorization")
        .filter(|v| v.starts_with("ACS3-"))
    {
        verify_acs3(state, req, value).await?
    } else {
        verify_v1(state, req).await?
    };
    if auth == AuthModes::BearerOnly {
        return Err(err(
            403,
            "Forbidden.BearerTokenRequired",
            "This action accepts only a bearer token (SignatureType=BEARERTOKEN); AccessKey signatures are not allowed.",
        ));
    }
    Ok(caller)
}

async fn lookup(
    state: &AuthState,
    id: &str,
) -> Result<std::sync::Arc<super::keys::KeyRecord>, ApiError> {
    let key = state.keys.access_key(id).await?.ok_or_else(|| {
        err(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    })?;
    if !key.active {
        return Err(err(
            400,
            "InvalidAccessKeyId.Inactive",
            "Specified access key is disabled.",
        ));
    }
    Ok(key)
}

async fn verify_v1(state: &AuthState, req: &RpcRequest) -> Result<Caller, ApiError> {
    let signature = required(req, "Signature")?;
    let ak = required(req, "AccessKeyId")?;
    let method = match req.params.get("SignatureMethod").map(String::as_str) {
        None | Some("") => rpc_v1::SignatureMethod::HmacSha1,
        Some(m) => rpc_v1::SignatureMethod::parse(m).ok_or_else(|| {
            err(
                400,
                "InvalidSignatureMethod",
                format!("Specified signature method {m} is not supported."),
            )
        })?,
    };
    if let Some(v) = req
        .params
        .get("SignatureVersion")
        .filter(|v| v.as_str() != "1.0")
    {
        return Err(err(
            400,
            "InvalidSignatureVersion",
            format!("Specified signature version {v} is not supported."),
        ));
    }
    let timestamp = required(req, "Timestamp")?;
    let nonce = required(req, "SignatureNonce")?;
    let now = chrono::Utc::now();
    let stamped = state
        .replay
        .check_timestamp(timestamp, now)
        .map_err(replay_error)?;
    let key = lookup(state, ak).await?;
    let sts = rpc_v1::string_to_sign(&req.method, &req.params);
    if !rpc_v1::verify(method, &key.secret, &sts, signature) {
        return Err(signature_mismatch(&sts));
    }
    state
        .check_nonce(ak, nonce, stamped, now)
        .await?
        .map_err(replay_error)?;
    Ok(Caller {
        account_id: key.account_id.clone(),
        principal: Principal::AccessKey { id: ak.to_string() },
        role: ccgate_plugin_sdk::Role::Admin,
        user: false,
        token: None,
    })
}

async fn verify_acs3(state: &AuthState, req: &RpcRequest, value: &str) -> Result<Caller, ApiError> {
    let auth = acs3::parse_authorization(value).map_err(|why| {
        err(
            400,
            "IncompleteSignature",
            format!("The request signature does not conform to Aliyun standards: {why}"),
        )
    })?;
    if let Some(missing) = ACS3_REQUIRED_SIGNED_HEADERS
        .iter()
        .find(|h| !auth.signed_headers.iter().any(|s| s == *h))
    {
        return Err(err(
            400,
            "IncompleteSignature",
            format!(
                "SignedHeaders must include {} (missing: {missing}).",
                ACS3_REQUIRED_SIGNED_HEADERS.join(", ")
            ),
        ));
    }
    let date = req
        .header("x-acs-date")
        .ok_or_else(|| ApiError::missing("x-acs-date"))?;
    let nonce = req
        .header("x-acs-signature-nonce")
        .ok_or_else(|| ApiError::missing("x-acs-signature-nonce"))?;
    let now = chrono::Utc::now();
    let stamped = state
        .replay
        .check_timestamp(date, now)
        .map_err(replay_error)?;
    let key = lookup(state, &auth.access_key_id).await?;
    // The canonical request uses the hash of the body actually received, so a body that does
    // not match the signed x-acs-content-sha256 fails like any other tampering.
    let body_hash = acs3::content_sha256(auth.algorithm, &req.body);
    let canonical = acs3::canonical_request(
        &req.method,
        &req.path,
        &req.query,
        &req.headers,
        &auth.signed_headers,
        &body_hash,
    );
    let sts = acs3::string_to_sign(auth.algorithm, &canonical);
    if !acs3::verify(auth.algorithm, &key.secret, &sts, &auth.signature) {
        return Err(signature_mismatch(&sts));
    }
    state
        .check_nonce(&auth.access_key_id, nonce, stamped, now)
        .await?
        .map_err(replay_error)?;
    Ok(Caller {
        account_id: key.account_id.clone(),
        principal: Principal::AccessKey {
            id: auth.access_key_id,
        },
        role: ccgate_plugin_sdk::Role::Admin,
        user: false,
        token: None,
    })
}

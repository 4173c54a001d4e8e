//! Host queries that are not about calls: refreshing the caller's Bearer token, sealing
//! secrets with the master key, and the addresses the host serves on. A plugin, built in or
//! loaded as a library, reaches them through [`crate::Services::query`] with the pseudo-plugin
//! [`HOST_SERVICES`], like [`crate::telephony`]'s commands.
//!
//! The functions here are typed wrappers; the gateway answers in `crates/gateway/src/host.rs`.

use serde::{Deserialize, Serialize};

use crate::context::{Context, HOST_SERVICES};
use crate::error::{ApiError, ApiResult};

/// Host query: a new Bearer token for the request's token ([`RefreshedToken`], args `{}`).
pub const REFRESH_TOKEN: &str = "auth.refresh_token";
/// Host query: seal a secret with the master key ([`Sealed`] ↔ [`Plain`]).
pub const SEAL: &str = "crypto.seal";
/// Host query: open a secret [`SEAL`] sealed ([`Sealed`] → [`Plain`]).
pub const OPEN: &str = "crypto.open";
/// Host query: the addresses the host serves clients on ([`Endpoints`], args `{}`).
pub const ENDPOINTS: &str = "host.endpoints";

/// The answer of [`REFRESH_TOKEN`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshedToken {
    /// The new token (a JWT), sent as `BearerToken` / `x-acs-bearer-token`.
    pub token: String,
    /// Its id (`jti`), for `ccgate token revoke`.
    pub token_id: String,
    /// When it was issued, UTC epoch seconds.
    pub issued_at: i64,
    /// When it expires, UTC epoch seconds: the old token's lifetime again, from now.
    pub expires_at: i64,
}

/// A secret in the clear ([`SEAL`]'s argument, [`OPEN`]'s answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plain {
    /// The secret.
    pub plaintext: String,
}

/// A sealed secret ([`SEAL`]'s answer, [`OPEN`]'s argument): AES-256-GCM under the master key,
/// base64; only this deployment's master key opens it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The sealed text.
    pub sealed: String,
}

/// The answer of [`ENDPOINTS`]: where clients reach this host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// The HTTP API as `host:port` (`[server] bind`, an unspecified address replaced by the
    /// SIP public host or `127.0.0.1`).
    pub http: String,
    /// The SIP registrar and UAS over UDP as `host:port` (`[telephony] public_host` or the
    /// listen address, and the bound port); `None` without `[telephony]`.
    #[serde(default)]
    pub sip_udp: Option<String>,
    /// The same over TCP (`[telephony] listen_tcp`); `None` when not configured.
    #[serde(default)]
    pub sip_tcp: Option<String>,
}

async fn ask<A: Serialize, T: for<'de> Deserialize<'de>>(
    ctx: &Context,
    name: &str,
    args: &A,
) -> ApiResult<T> {
    let args = serde_json::to_value(args).map_err(|_| ApiError::internal())?;
    let Some(answer) = ctx.services.query(ctx, HOST_SERVICES, name, args).await? else {
        return Err(ApiError::internal());
    };
    serde_json::from_value(answer).map_err(|e| {
        tracing::error!(query = name, error = %e, "host answer of the wrong shape");
        ApiError::internal()
    })
}

/// A successor of the request's Bearer token ([`REFRESH_TOKEN`]): same subject, account,
/// AccessKey binding and role claim, a fresh id, the old token's lifetime from now. The old
/// token stays valid until it expires or is revoked.
///
/// Errors: 400 `InvalidParameter` when the request carries no Bearer token; storage failures.
pub async fn refresh_token(ctx: &Context) -> ApiResult<RefreshedToken> {
    ask(ctx, REFRESH_TOKEN, &serde_json::json!({})).await
}

/// `plaintext` sealed with the master key ([`SEAL`]).
///
/// Errors: 500 `InternalError` when the host has no master key (never in a running server).
pub async fn seal(ctx: &Context, plaintext: &str) -> ApiResult<String> {
    let s: Sealed = ask(
        ctx,
        SEAL,
        &Plain {
            plaintext: plaintext.to_string(),
        },
    )
    .await?;
    Ok(s.sealed)
}

/// A secret [`seal`] sealed, in the clear ([`OPEN`]).
///
/// Errors: 500 `InternalError` when it was sealed under another master key or is damaged.
pub async fn open(ctx: &Context, sealed: &str) -> ApiResult<String> {
    let p: Plain = ask(
        ctx,
        OPEN,
        &Sealed {
            sealed: sealed.to_string(),
        },
    )
    .await?;
    Ok(p.plaintext)
}

/// Where clients reach this host ([`ENDPOINTS`]).
///
/// Errors: none in a running server; 500 `InternalError` when the host does not answer.
pub async fn endpoints(ctx: &Context) -> ApiResult<Endpoints> {
    ask(ctx, ENDPOINTS, &serde_json::json!({})).await
}

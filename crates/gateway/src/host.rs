//! The host's answers to [`ccgate_plugin_sdk::host`]'s queries: a successor of the caller's
//! Bearer token, secrets sealed with the master key, and the addresses clients reach this
//! host on. Asked through [`crate::registry::RegistryServices`] like every host query.

use ccgate_plugin_sdk::host::{self, Endpoints, Plain, RefreshedToken, Sealed};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context, Principal, TokenGrant};
use serde_json::Value;

use crate::auth::bearer::{AUD_ALIYUN, TokenService};
use crate::crypto::MasterKey;

/// Answers query `name` when it is one of [`ccgate_plugin_sdk::host`]'s; `None` otherwise.
///
/// Errors: 400 `InvalidParameter` for [`host::REFRESH_TOKEN`] without a Bearer token; 500
/// `InternalError` for malformed arguments (a plugin bug), a secret that does not open, or a
/// service the host was not given (only in tools that run no server).
pub fn answer(
    tokens: Option<&TokenService>,
    master: Option<&MasterKey>,
    endpoints: Option<&Endpoints>,
    ctx: &Context,
    name: &str,
    args: &Value,
) -> Option<ApiResult<Value>> {
    let out = match name {
        host::REFRESH_TOKEN => tokens
            .ok_or_else(ApiError::internal)
            .and_then(|t| refresh(t, &ctx.account_id, &ctx.principal, ctx.token.as_ref()))
            .and_then(|r| encode(name, &r)),
        host::SEAL => master.ok_or_else(ApiError::internal).and_then(|m| {
            let plain: Plain = ccgate_plugin_sdk::query::decode_args(name, args.clone())?;
            encode(
                name,
                &Sealed {
                    sealed: m.seal(&plain.plaintext),
                },
            )
        }),
        host::OPEN => master.ok_or_else(ApiError::internal).and_then(|m| {
            let sealed: Sealed = ccgate_plugin_sdk::query::decode_args(name, args.clone())?;
            let plaintext = m.open(&sealed.sealed).map_err(|e| {
                tracing::error!(error = %e, "a sealed secret does not open with the master key");
                ApiError::internal()
            })?;
            encode(name, &Plain { plaintext })
        }),
        host::ENDPOINTS => encode(name, &endpoints.cloned().unwrap_or_default()),
        _ => return None,
    };
    Some(out)
}

fn encode<T: serde::Serialize>(name: &str, v: &T) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(|e| {
        tracing::error!(query = name, error = %e, "host answer not encodable");
        ApiError::internal()
    })
}

/// A token like the request's: same subject, account, AccessKey binding and role claim, the
/// same lifetime from now, a fresh id. Only Alibaba-dialect tokens (principal `Bearer`).
fn refresh(
    tokens: &TokenService,
    account_id: &str,
    principal: &Principal,
    grant: Option<&TokenGrant>,
) -> ApiResult<RefreshedToken> {
    let (Some(grant), Principal::Bearer { subject }) = (grant, principal) else {
        return Err(ApiError::new(
            400,
            "InvalidParameter",
            "The request carries no Bearer token to refresh: sign in with one (SignatureType=BEARERTOKEN).",
        ));
    };
    let ttl = (grant.expires_at - grant.issued_at).max(1) as u64;
    let role = grant
        .role
        .as_deref()
        .map(|r| ccgate_plugin_sdk::Role::parse(r).unwrap_or(ccgate_plugin_sdk::Role::Agent));
    let ak = grant.access_key_id.as_deref();
    let (token, claims) = if grant.user {
        tokens.issue_for_user(subject, account_id, AUD_ALIYUN, ttl, ak, role)
    } else {
        tokens.issue_as(subject, account_id, AUD_ALIYUN, ttl, ak, role)
    };
    Ok(RefreshedToken {
        token,
        token_id: claims.jti,
        issued_at: claims.iat,
        expires_at: claims.exp,
    })
}

/// The addresses of [`host::ENDPOINTS`] from the HTTP bind address and the SIP engine's:
/// an unspecified HTTP address (`0.0.0.0`, `[::]`) is shown as `public_host` or `127.0.0.1`.
pub fn endpoints(
    http_bind: &str,
    sip_public_host: Option<&str>,
    sip_udp: Option<std::net::SocketAddr>,
    sip_tcp: Option<std::net::SocketAddr>,
) -> Endpoints {
    let shown = |addr: std::net::SocketAddr| {
        let host = sip_public_host
            .map(str::to_string)
            .unwrap_or_else(|| addr.ip().to_string());
        format!("{host}:{}", addr.port())
    };
    let http = match http_bind.parse::<std::net::SocketAddr>() {
        Ok(a) if a.ip().is_unspecified() => {
            format!("{}:{}", sip_public_host.unwrap_or("127.0.0.1"), a.port())
        }
        _ => http_bind.to_string(),
    };
    Endpoints {
        http,
        sip_udp: sip_udp.map(shown),
        sip_tcp: sip_tcp.map(shown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refreshed_token_keeps_user_key_and_role_with_the_old_lifetime() {
        let svc = TokenService::from_secret("k1".into(), b"0123456789abcdef0123456789abcdef");
        let (_, old) = svc.issue_for_user(
            "alice",
            "acc-1",
            AUD_ALIYUN,
            900,
            Some("LTAI1"),
            Some(ccgate_plugin_sdk::Role::Agent),
        );
        let who = Principal::Bearer {
            subject: "alice".into(),
        };
        let fresh = refresh(&svc, "acc-1", &who, Some(&old.grant())).unwrap();
        let claims = svc.verify(&fresh.token, AUD_ALIYUN).unwrap();
        assert_eq!(
            (
                claims.sub.as_str(),
                claims.acc.as_str(),
                claims.ak.as_deref()
            ),
            ("alice", "acc-1", Some("LTAI1"))
        );
        assert_eq!(claims.role.as_deref(), Some("agent"));
        assert!(claims.usr);
        assert_eq!(claims.exp - claims.iat, 900);
        assert_ne!(claims.jti, old.jti);
        assert_eq!(fresh.token_id, claims.jti);
        // Without a Bearer token there is nothing to refresh.
        let ak = Principal::AccessKey { id: "LTAI1".into() };
        assert_eq!(
            refresh(&svc, "acc-1", &ak, Some(&old.grant()))
                .unwrap_err()
                .code,
            "InvalidParameter"
        );
        assert!(refresh(&svc, "acc-1", &who, None).is_err());
    }

    #[test]
    fn endpoints_show_reachable_addresses() {
        let e = endpoints(
            "0.0.0.0:8080",
            Some("pbx.example.com"),
            Some("10.0.0.5:5060".parse().unwrap()),
            None,
        );
        assert_eq!(e.http, "pbx.example.com:8080");
        assert_eq!(e.sip_udp.as_deref(), Some("pbx.example.com:5060"));
        assert_eq!(e.sip_tcp, None);
        let e = endpoints(
            "127.0.0.1:9000",
            None,
            Some("127.0.0.1:5070".parse().unwrap()),
            None,
        );
        assert_eq!(e.http, "127.0.0.1:9000");
        assert_eq!(e.sip_udp.as_deref(), Some("127.0.0.1:5070"));
    }
}

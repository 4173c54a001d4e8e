//! cc-management operations (C1, `huawei-aicc.md` §2-§3): `Authorization: Bearer
//! <AccessToken>` from `tokenByAkSk`, optional `X-APP-Key` (must match the token's app key),
//! optional JSON body. The plugin's reply is the whole response body (each cc-management API
//! has its own envelope, §3.2); errors are `{"retCode": "<code>", "message": "..."}` with the
//! HTTP status seed 001 assigns (400 bad request, 401 account not usable, 403 authentication
//! failed, 404 unknown path, 500 business failure).
//!
//! Instance scope: cc-management operations span the caller's tenant space, which is the
//! whole ccgate account (`instance = "account"` in their specs): the handler gets every
//! instance id of the account in `Context::account_instances`.

use ccgate_plugin_sdk::{ApiError, Dialect, Principal};
use serde_json::json;

use crate::auth::bearer::{AUD_HUAWEI, TokenError};
use crate::auth::{Caller, TokenRevoked};
use crate::dialect::{PathDialect, PathRequest};
use crate::state::AppState;

/// The Huawei cc-management (C1) dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct CcManagement;

fn forbidden(why: &str) -> ApiError {
    ApiError::new(403, "403", format!("Authentication fails: {why}"))
}

fn key_unusable() -> ApiError {
    ApiError::new(
        401,
        "401",
        "Unauthorized operation: the app key is disabled or deleted.",
    )
}

impl PathDialect for CcManagement {
    const DIALECT: Dialect = Dialect::HuaweiCcManagement;
    /// The C1 families (`/apiaccess/rest/cc-management/...`, `/apigovernance/...`), and every
    /// other `/rest/` path that no longer prefix claims.
    const PREFIXES: &'static [&'static str] = &["/apiaccess/", "/apigovernance/", "/rest/"];

    /// Checks the Bearer token (`aud` Huawei, not expired, not revoked, its AccessKey active),
    /// and `X-APP-Key` against the token's app key when sent.
    ///
    /// Errors: 403 `"403"` for a missing, malformed, expired, revoked or foreign token and an
    /// `X-APP-Key` that does not match; 401 `"401"` when the token's AccessKey is disabled or
    /// deleted.
    async fn authenticate(
        &self,
        state: &AppState,
        req: &PathRequest<'_>,
    ) -> Result<Caller, ApiError> {
        let token = req
            .header("Authorization")
            .unwrap_or_default()
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| forbidden("Authorization must be 'Bearer <AccessToken>'."))?;
        let claims = state
            .auth
            .tokens
            .verify(token, AUD_HUAWEI)
            .map_err(|e| match e {
                TokenError::Expired => forbidden("the AccessToken has expired."),
                TokenError::Invalid => forbidden("the AccessToken is not valid."),
            })?;
        if let Some(app_key) = req.header("X-APP-Key").filter(|v| !v.is_empty())
            && app_key != claims.sub
        {
            return Err(forbidden("X-APP-Key does not match the AccessToken."));
        }
        match state.auth.token_alive(&claims).await? {
            Ok(()) => {}
            Err(TokenRevoked::KeyDisabled) => return Err(key_unusable()),
            Err(TokenRevoked::Revoked) => {
                return Err(forbidden("the AccessToken has been revoked."));
            }
        }
        // Tokens of older builds carry no `ak` claim: their subject is the app key.
        if claims.ak.is_none() {
            match state.auth.keys.access_key(&claims.sub).await? {
                Some(k) if k.active => {}
                _ => return Err(key_unusable()),
            }
        }
        let role = claims.role();
        let token = claims.grant();
        Ok(Caller {
            account_id: claims.acc,
            principal: Principal::AccessKey { id: claims.sub },
            role,
            // tokenByAkSk tokens act for an app key, never for a user.
            user: false,
            token: Some(token),
        })
    }

    /// `{"retCode": err.code, "message": err.message}`.
    fn error_body(&self, err: &ApiError) -> String {
        json!({"retCode": err.code, "message": err.message}).to_string()
    }

    /// Huawei reports business failures as 500 (seed 001): a plugin's 5xx becomes 500 with the
    /// seed's message; 4xx errors keep the plugin's code and message.
    fn plugin_error(&self, err: ApiError) -> ApiError {
        if err.status >= 500 {
            ApiError::new(
                500,
                "500",
                "Business failure. Check the values of parameters in the request.",
            )
        } else {
            err
        }
    }
}

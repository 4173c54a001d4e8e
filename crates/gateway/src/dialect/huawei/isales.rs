//! CC-iSales operations (C2, `huawei-aicc.md` §4-§5): every request carries its own `auth-v2`
//! signature ([`crate::auth::auth_v2`]); there is no token. The plugin's reply is the whole
//! response body (it carries `resultCode`/`resultDesc`/`returnCode`/`returnDesc` itself, as the
//! specs' response fields say); errors are the same four fields, code and description each
//! given twice (§5: both codes are strings and carry the same value):
//!
//! ```json
//! {"resultCode": "401", "resultDesc": "Authentication fails: ...", "returnCode": "401", "returnDesc": "Authentication fails: ..."}
//! ```
//!
//! Codes ([`Isales::code`]): a failed signature is HTTP 401 (§4.1 [CONFIRMED]; its body is
//! [UNKNOWN], so the code is the status, `"401"`, as for every refusal of the gateway itself:
//! `"404"`, `"405"`, `"413"`, `"501"`); parameter errors use the §5.1 codes: `02000001` empty
//! parameter value (absent or blank), `02000006` wrong value type, `02000007` value out of
//! range (bounds, enumerations), `0200001` parameter error (a `vdnId` of no VDN of the
//! caller); a plugin's own numeric code is kept.
//!
//! Instances: the spec's instance parameter (`vdnId`, an integer 1-9999, §5) names a VDN;
//! ccgate maps it to the instance of the caller's account whose VDN id it is
//! (`ccgate instance set-vdn`, `core_instances.vdn_id`, unique within an account).

use std::borrow::Cow;

use ccgate_plugin_sdk::{ApiError, Dialect};
use serde_json::json;

use crate::auth::Caller;
use crate::auth::auth_v2::{self, SignedRequest};
use crate::dialect::{PathDialect, PathRequest};
use crate::input;
use crate::state::AppState;

/// The Huawei CC-iSales (C2) dialect.
#[derive(Debug, Clone, Copy, Default)]
pub struct Isales;

impl Isales {
    /// The iSales result code for `err` (see the module docs): a numeric code as it is, the SDK
    /// parameter codes mapped to §5.1's, anything else the HTTP status.
    pub fn code(err: &ApiError) -> Cow<'_, str> {
        let code = err.code.as_ref();
        if !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit()) {
            return Cow::Borrowed(code);
        }
        Cow::Borrowed(match code {
            "MissingParameter" | "Parameter.Null" | "Parameter.Empty" => "02000001",
            "InvalidParameter" => "02000006",
            "Parameter.Enumeration" | "Parameter.Minimum" | "Parameter.Maximum" => "02000007",
            "NotExists.InstanceId" => "0200001",
            _ => return Cow::Owned(err.status.to_string()),
        })
    }
}

/// 404 for a `vdnId` that names no VDN of the caller's account (also another account's).
fn no_such_vdn(name: &str, value: &str) -> ApiError {
    ApiError::new(
        404,
        "NotExists.InstanceId",
        format!(
            "Parameter error: {name} {} names no VDN of this tenant.",
            input::shown(value)
        ),
    )
}

impl PathDialect for Isales {
    const DIALECT: Dialect = Dialect::HuaweiIsales;
    /// The CC-iSales open API.
    const PREFIXES: &'static [&'static str] = &["/rest/isales/"];

    /// Verifies the `auth-v2` signature with `[security] replay_window_secs` of clock skew
    /// ([`auth_v2::authenticate`]).
    ///
    /// Errors: 401 `"401"` naming the failed check; storage failures.
    async fn authenticate(
        &self,
        state: &AppState,
        req: &PathRequest<'_>,
    ) -> Result<Caller, ApiError> {
        let signed = SignedRequest {
            method: req.http.method().as_str(),
            path: req.http.path(),
            query: req.query,
            headers: req.http.headers(),
            body: req.body,
        };
        auth_v2::authenticate(
            &state.auth,
            &signed,
            state.settings.security.replay_window_secs,
            chrono::Utc::now(),
        )
        .await
    }

    /// `value` as a VDN id (an integer) of the caller's account: that instance's id.
    ///
    /// Errors: 404 (`0200001` in the body) when it is not an integer or names no VDN of the
    /// caller's account.
    async fn instance(
        &self,
        state: &AppState,
        caller: &Caller,
        name: &str,
        value: &str,
    ) -> Result<String, ApiError> {
        let vdn: i32 = value.trim().parse().map_err(|_| no_such_vdn(name, value))?;
        match state
            .auth
            .keys
            .vdn_instance(&caller.account_id, vdn)
            .await?
        {
            Some(id) => Ok(id.to_string()),
            None => Err(no_such_vdn(name, value)),
        }
    }

    /// `{"resultCode", "resultDesc", "returnCode", "returnDesc"}` with [`Isales::code`] and
    /// the message.
    fn error_body(&self, err: &ApiError) -> String {
        let code = Self::code(err);
        json!({
            "resultCode": code,
            "resultDesc": err.message,
            "returnCode": code,
            "returnDesc": err.message,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_isales_table() {
        let code =
            |status, c: &'static str| Isales::code(&ApiError::new(status, c, "")).into_owned();
        assert_eq!(code(400, "MissingParameter"), "02000001");
        assert_eq!(code(400, "Parameter.Empty"), "02000001");
        assert_eq!(code(400, "InvalidParameter"), "02000006");
        assert_eq!(code(400, "Parameter.Maximum"), "02000007");
        assert_eq!(code(404, "NotExists.InstanceId"), "0200001");
        assert_eq!(code(200, "0200007"), "0200007");
        assert_eq!(code(401, "401"), "401");
        assert_eq!(code(500, "InternalError"), "500");
        assert_eq!(code(501, "NotImplemented"), "501");
        let body: serde_json::Value =
            serde_json::from_str(&Isales.error_body(&ApiError::missing("status"))).unwrap();
        assert_eq!(body["resultCode"], "02000001");
        assert_eq!(body["returnCode"], "02000001");
        assert_eq!(body["resultDesc"], body["returnDesc"]);
        assert!(body["resultDesc"].as_str().unwrap().contains("status"));
    }
}

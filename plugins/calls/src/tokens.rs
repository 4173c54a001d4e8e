//! Encrypt tokens in requests: the instance's key and the numbers the dialing actions are
//! given (StartBack2BackCall Caller/Callee, DialEx Callee, CallOnlinePrivacyNumber TelA/TelB).
//!
//! What is stored and shown: the call detail record keeps the real number (the engine dials
//! it; `calls.cdrs` and so the reports see it); a number given as a token is also kept as that
//! token (`calls_number_mask`), and ListCallEventDetailByContactId shows the token in its
//! place, so a client that only ever held the token never gets the number back from the API.
//! Error messages never contain a decrypted number.

use ccgate_plugin_sdk::{ApiError, ApiResult};

use crate::api::Ctx;
use crate::api::errors;
use crate::dial;
use crate::numcrypt::{self, KeyBytes};
use crate::storage::{number_mask, privacy};

/// The key Encrypt tokens of the request's instance are made with: the master key
/// (`[plugins.calls] number_key`, else the stored one, read once per process) through
/// [`numcrypt::instance_key`].
///
/// Errors: storage (500); 500 `InternalError` for a bad `number_key` (refused at start-up).
pub async fn instance_key(ctx: &Ctx<'_>) -> ApiResult<KeyBytes> {
    let state = ctx.state();
    let master = match state.number_key.get() {
        Some(k) => *k,
        None => {
            let configured = &state.settings.number_key.0;
            let k = if configured.is_empty() {
                privacy::master_key(&ctx.db, ctx.now_ms()).await?
            } else {
                // Checked at start-up (`Settings::checked`): a bad key cannot get here.
                numcrypt::parse_master(configured).map_err(|e| {
                    tracing::error!("plugins.calls.number_key: the value {e}");
                    ApiError::internal()
                })?
            };
            *state.number_key.get_or_init(|| k)
        }
    };
    Ok(numcrypt::instance_key(&master, ctx.instance()))
}

/// A number as a dialing action was given it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    /// The number to dial.
    pub number: String,
    /// The token it was given as; empty when given in clear.
    pub token: String,
}

/// Reads the number parameter `param`: an Encrypt token of this instance is decrypted (the key
/// is read once per request into `key`), then the number is checked like a plain one
/// ([`dial::check_number`]).
///
/// Errors: 400 `InvalidParameter` naming `param`: a token that is not one of this instance
/// (another instance's, a changed master key, damaged), or not a telephone number; storage.
pub async fn reveal(
    ctx: &Ctx<'_>,
    key: &mut Option<KeyBytes>,
    param: &str,
    raw: &str,
) -> ApiResult<Given> {
    if !numcrypt::is_token(raw) {
        return Ok(Given {
            number: dial::check_number(param, raw)?,
            token: String::new(),
        });
    }
    let k = match key {
        Some(k) => *k,
        None => *key.insert(instance_key(ctx).await?),
    };
    let number = numcrypt::decrypt(&k, raw)
        .filter(|n| numcrypt::valid_number(n))
        .ok_or_else(|| {
            errors::invalid_parameter(
                param,
                "not a number encrypted for this instance (Encrypt token damaged, of another \
                 instance, or made before the key changed)",
            )
        })?;
    Ok(Given {
        number,
        token: raw.to_string(),
    })
}

/// The mask of a call dialled with `caller` and `callee`: `None` when both were given in clear.
pub fn mask(contact_id: &str, caller: &Given, callee: &Given) -> Option<number_mask::Model> {
    (!caller.token.is_empty() || !callee.token.is_empty()).then(|| number_mask::Model {
        contact_id: contact_id.to_string(),
        caller: caller.token.clone(),
        callee: callee.token.clone(),
    })
}

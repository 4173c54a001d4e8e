//! What StartBack2BackCall, DialEx and inbound routing share: contact ids, number checks, the
//! caller id, contact-flow URIs, releasing a reserved agent, and starting a call with its
//! record written first.

use ccgate_plugin_sdk::telephony::{self, StartCall};
use ccgate_plugin_sdk::{ApiError, ApiResult, Context};
use rand::Rng;

use crate::api::clients::{agents, numbers};
use crate::api::errors;
use crate::storage::{cdr, records};

/// A new contact id: the start time in UTC epoch ms (13 digits) followed by 5 random digits,
/// 18 digits in all, as the 2017 API's (seed 004 §7.1 TaskId `155486223597726619` next to
/// TimeStamp `1554862236398`; §7.2 `157166476967063733`). Sorts by start time.
pub fn new_contact_id(now_ms: i64) -> String {
    let tail: u32 = rand::thread_rng().gen_range(0..100_000);
    format!("{now_ms:013}{tail:05}")
}

/// Checks a telephone number parameter: 3-32 characters, digits with an optional leading `+`.
///
/// Errors: 400 `InvalidParameter` naming `name`.
pub fn check_number(name: &str, raw: &str) -> ApiResult<String> {
    let digits = raw.strip_prefix('+').unwrap_or(raw);
    if digits.len() < 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(errors::invalid_parameter(
            name,
            "a telephone number is 3 to 32 digits, optionally with a leading +",
        ));
    }
    Ok(raw.to_string())
}

/// The caller id shown to the called party: `wanted` when it is an outbound number of the
/// instance (numbers plugin, `numbers.outbound`), else the instance's first outbound number
/// when `wanted` is `None`. Without the numbers plugin `wanted` is used as given.
///
/// Errors: 400 `InvalidParameter` (`param` names a number that is not an outbound number of
/// the instance); 404 `NotExists.OutboundNumber` (none given and the instance has none).
pub async fn caller_id(ctx: &Context, param: &str, wanted: Option<&str>) -> ApiResult<String> {
    let args = numbers::outbound::Args {
        instance_id: ctx.instance().to_string(),
        number: wanted.unwrap_or_default().to_string(),
        // The first outbound number (or the one wanted) is all a caller id needs.
        limit: 1,
    };
    let found = numbers::outbound(ctx, &args).await?;
    match (found, wanted) {
        (None, Some(w)) => Ok(w.to_string()),
        (None, None) => Err(errors::not_exists_outbound_number(ctx.instance())),
        (Some(out), Some(w)) => out
            .phone_numbers
            .into_iter()
            .next()
            .map(|n| n.number)
            .ok_or_else(|| {
                errors::invalid_parameter(
                    param,
                    format!("{w} is not an active outbound number of the instance"),
                )
            }),
        (Some(out), None) => out
            .phone_numbers
            .into_iter()
            .next()
            .map(|n| n.number)
            .ok_or_else(|| errors::not_exists_outbound_number(ctx.instance())),
    }
}

/// Writes `record` (`LIVE`), then asks the engine to start `call`. When the engine refuses,
/// the record is ended (`NoAnswer`, released by `system`, reason `<status>-<code>`) and the
/// engine's error returned.
///
/// Errors: storage (500), and [`telephony::start_call`]'s: 503 `Telephony.NotConfigured`, 400
/// `Telephony.NoRoute`, 503 `Telephony.Unavailable`, 409 `Telephony.DuplicateCall`.
pub async fn start(ctx: &Context, record: cdr::Model, call: &StartCall) -> ApiResult<()> {
    let contact_id = record.contact_id.clone();
    records::insert(&ctx.db, record).await?;
    if let Err(e) = telephony::start_call(ctx, call).await {
        close_failed(ctx, &contact_id, &e).await?;
        return Err(e);
    }
    Ok(())
}

/// Ends the record of a call the engine refused to start, publishing its `calls.call_ended`
/// (`records::close_unstarted`).
///
/// Errors: storage.
pub async fn close_failed(ctx: &Context, contact_id: &str, e: &ApiError) -> ApiResult<()> {
    let reason = crate::lifecycle::release_reason(e.status, e.code.as_ref());
    let txn = ccgate_plugin_sdk::storage::begin_write(&ctx.db).await?;
    records::close_unstarted(&txn, contact_id, ctx.now_ms(), &reason).await?;
    txn.commit().await?;
    Ok(())
}

/// As [`start`], for a call dialled with Encrypt tokens: writes `record` and its `mask`
/// (`calls_number_mask`, when some number was a token) in one transaction, then asks the
/// engine to start `call`; a refused call's record is ended as in [`start`].
///
/// Errors: as [`start`].
pub async fn start_masked(
    ctx: &Context,
    record: cdr::Model,
    mask: Option<crate::storage::number_mask::Model>,
    call: &StartCall,
) -> ApiResult<()> {
    let contact_id = record.contact_id.clone();
    crate::storage::privacy::insert_call(&ctx.db, record, mask).await?;
    if let Err(e) = telephony::start_call(ctx, call).await {
        close_failed(ctx, &contact_id, &e).await?;
        return Err(e);
    }
    Ok(())
}

/// The media server URI that runs flow `flow`: `<uri>;flow=<flow>` (DialEx AnswerMode 0,
/// inbound numbers bound to a contact flow).
///
/// Errors: 503 `MediaServer.NotConfigured` (no `uri`); 400 `InvalidParameter` naming
/// `RoutPoint` (a flow id with other characters than letters, digits, `-`, `_`, `.`).
pub fn flow_uri(uri: &str, flow: &str) -> ApiResult<String> {
    if uri.is_empty() {
        return Err(errors::media_server_not_configured());
    }
    if flow.is_empty()
        || !flow
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(errors::invalid_parameter(
            "RoutPoint",
            "a contact flow id has letters, digits, '-', '_' and '.' only",
        ));
    }
    Ok(format!("{uri};flow={flow}"))
}

/// Releases agent `user` of `instance`, reserved for call `contact_id` that did not start
/// (`agents.transition` `no_answer`: RINGING → READY); a failure is logged (the agent can be
/// reset with ResetAgentState).
pub async fn release_agent(ctx: &Context, instance: &str, user: &str, contact_id: &str) {
    let args = agents::transition::Args {
        instance_id: instance.to_string(),
        user_id: user.to_string(),
        command: "no_answer".into(),
        job_id: contact_id.to_string(),
    };
    let done: Result<_, ApiError> = agents::transition(ctx, &args).await;
    if let Err(e) = done {
        tracing::error!(user, call = contact_id, error = %e, "could not release a reserved agent");
    }
}

//! What the 2020 agent-desk call actions share: who the request acts for, the call it names
//! (checked against that agent), and ring timeouts.
//!
//! Access: the gateway has already refused a skill-group leader or agent naming a `UserId` it
//! may not act for (`[access] users`). Here, an acting agent (the `UserId` given, or the
//! user of the caller's Bearer token) must have a leg in the call (its agent, or the agent a
//! pending blind transfer reserved); otherwise the call is answered as unknown (404
//! `NotExists.JobId`), so agents cannot probe other agents' calls. An administrator without
//! `UserId` may act on any call of the instance.

use ccgate_plugin_sdk::ApiResult;

use crate::api::Ctx;
use crate::api::clients::agents;
use crate::api::errors;
use crate::storage::{cdr, records};

/// The longest the engine rings a leg, seconds (the telephony port's range is 1..=120).
pub const MAX_RING_SECONDS: i64 = 120;

/// A requested ring timeout within the port's range: `None` takes `default`.
pub fn ring_seconds(requested: Option<i64>, default: u32) -> u32 {
    requested.map_or(default, |s| s.clamp(1, MAX_RING_SECONDS) as u32)
}

/// The acting agent's canonical `UserId` (agents plugin): `user_id` in any form, resolved by
/// `agents.caller`, or the user of the caller's Bearer token; `None` for an administrator
/// without `UserId`.
///
/// Errors: 404 `NotExists.UserId`; 503 `Agents.NotEnabled` (a `UserId` to resolve and no
/// agents plugin).
pub async fn acting(ctx: &Ctx<'_>, user_id: Option<&str>) -> ApiResult<Option<String>> {
    let Some(reference) = user_id.filter(|u| !u.is_empty()) else {
        return Ok(ctx.caller_scope.as_ref().map(|s| s.user_id.clone()));
    };
    let args = agents::caller::Args {
        instance_id: ctx.instance().to_string(),
        login_name: reference.to_string(),
    };
    let Some(found) = agents::caller(ctx, &args).await? else {
        return Err(errors::agents_not_enabled_msg(
            "UserId names an agent, which needs the agents plugin; this deployment does not enable it.",
        ));
    };
    if !found.found {
        return Err(errors::not_exists_user_id(reference));
    }
    Ok(Some(found.user_id))
}

/// The call `job_id` of the instance, which `acting` (when some) must take part in.
///
/// Errors: 404 `NotExists.JobId`.
pub async fn call(ctx: &Ctx<'_>, job_id: &str, acting: Option<&str>) -> ApiResult<cdr::Model> {
    let c = records::find(&ctx.db, ctx.instance(), job_id)
        .await?
        .ok_or_else(|| errors::not_exists_job_id(job_id))?;
    if let Some(me) = acting {
        let mine =
            c.agent_user_id.as_deref() == Some(me) || c.transfer_user_id.as_deref() == Some(me);
        if !mine {
            return Err(errors::not_exists_job_id(job_id));
        }
    }
    Ok(c)
}

/// Checks an optional `ChannelId` of call `c`.
///
/// Errors: 400 `InvalidParameter`.
pub fn check_channel(c: &cdr::Model, channel: Option<&str>) -> ApiResult<()> {
    match channel.filter(|ch| !ch.is_empty()) {
        Some(ch) if crate::call_context::leg_of(c, ch).is_none() => Err(errors::invalid_parameter(
            "ChannelId",
            format!("{ch} is not a channel of call {}", c.contact_id),
        )),
        _ => Ok(()),
    }
}

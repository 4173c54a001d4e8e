//! Users as the workbench needs them, through the agents plugin's query `caller` (the agents
//! plugin owns users; [`crate::api::clients::agents`]).

use ccgate_plugin_sdk::{ApiResult, Context, Role};

use crate::api::clients::agents::{self as client, caller};
use crate::api::errors;

/// A user of the request's instance.
pub type User = caller::Output;

/// The user `reference` (UserId, RamId, login name or `<login>@<instance>`) of the request's
/// instance; `Ok(None)` when there is no such user.
///
/// Errors: 400 `InvalidParameter` naming `param` when the agents plugin is not enabled (users
/// cannot be resolved); the query's errors.
pub async fn find(ctx: &Context, param: &str, reference: &str) -> ApiResult<Option<User>> {
    let args = caller::Args {
        instance_id: ctx.instance().to_string(),
        login_name: reference.to_string(),
    };
    match client::caller(ctx, &args).await? {
        None => Err(errors::invalid_parameter(
            param,
            "the agents plugin, which keeps the users, is not enabled",
        )),
        Some(u) if u.found => Ok(Some(u)),
        Some(_) => Ok(None),
    }
}

/// The user the request's Bearer token acts for (`ctx.caller_scope`), if any.
///
/// Errors: as [`find`].
pub async fn me(ctx: &Context, param: &str) -> ApiResult<Option<User>> {
    match &ctx.caller_scope {
        None => Ok(None),
        Some(scope) => find(ctx, param, &scope.user_id).await,
    }
}

/// Whether the caller may act on `user`'s behalf: an administrator always, anyone for
/// themselves, a skill-group leader for a member of a group it leads.
pub fn may_act_for(ctx: &Context, user: &User) -> bool {
    if ctx.role == Role::Admin {
        return true;
    }
    let Some(scope) = &ctx.caller_scope else {
        return false;
    };
    scope.user_id == user.user_id
        || (ctx.role == Role::SkillGroupLeader
            && user
                .led_skill_group_ids
                .iter()
                .any(|g| scope.led_skill_group_ids.contains(g)))
}

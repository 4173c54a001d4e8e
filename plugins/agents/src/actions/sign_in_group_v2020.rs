//! 2020-07-01 SignInGroup (official SDK `alibabacloud-ccc20200701`; no seed documents it): signs
//! an agent in to skill groups it is a member of. OFFLINE → signed in (UserState `BREAK`,
//! BreakCode `Warm-up`) until ReadyForService; a signed-in agent changes its groups and keeps
//! its state (`Additivity`: add instead of replace). See `crate::state` for the machine.
//!
//! Errors: 400 `InvalidParameter` (not a JSON array of strings, more than 100 groups, a group
//! the agent is not a member of); 404 `NotExists.SkillGroupId`, `NotExists.UserId`; 400
//! `Parameter.Null` (no `UserId` and the caller is no user); 400 `InvalidAgentState` while
//! RINGING or TALKING.

use ccgate_plugin_sdk::ApiResult;

use super::desk;
use crate::api::Ctx;
use crate::api::errors;
use crate::api::sign_in_group_v2020::{Request, Response};
use crate::state::Command;
use crate::storage::users;

/// Most groups one sign-in names.
pub const GROUPS_MAX: usize = 100;

/// Serves SignInGroup.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, req.user_id.as_deref()).await?;
    let refs = string_array(&req.signed_skill_group_id_list.value).ok_or_else(|| {
        errors::invalid_parameter(
            "SignedSkillGroupIdList",
            "expected a JSON array of skill group ids",
        )
    })?;
    if refs.len() > GROUPS_MAX {
        return Err(errors::invalid_parameter(
            "SignedSkillGroupIdList",
            format!("at most {GROUPS_MAX} skill groups"),
        ));
    }
    let member_of = users::group_ids_of(&ctx.db, &agent.id).await?;
    let mut ids = Vec::with_capacity(refs.len());
    for r in &refs {
        let group = users::find_skill_group(&ctx.db, ctx.instance(), r)
            .await?
            .ok_or_else(|| errors::not_exists_skill_group_id(r))?;
        if !member_of.contains(&group.id) {
            return Err(errors::invalid_parameter(
                "SignedSkillGroupIdList",
                format!("the agent is not a member of skill group {r}"),
            ));
        }
        if !ids.contains(&group.id) {
            ids.push(group.id);
        }
    }
    let data = desk::run(
        ctx,
        &agent,
        Command::SignIn {
            skill_group_ids: ids,
            additive: req.additivity,
            device_id: req.device_id,
        },
    )
    .await?;
    Ok(Response {
        params: Vec::new(),
        data,
    })
}

/// The strings of a JSON array of strings; `None` for anything else.
pub fn string_array(v: &ccgate_plugin_sdk::serde_json::Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_str().map(str::to_string))
        .collect()
}

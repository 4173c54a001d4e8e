//! One module per action of `plugins/agents/api/`, each with
//! `pub async fn handle(ctx: &api::Ctx<'_>, req: Request) -> ApiResult<Response>` and its tests.
//! The generated `api::dispatch` calls them with the request parsed and validated by the spec
//! (presence, emptiness, types, enumerations, lengths); a handler checks the rest.
//!
//! Helpers the skill-group actions (seed 004 §8) share live here: [`members`] (the
//! `UserId.N` / `SkillLevel.N` pairs of CreateSkillGroup and ModifySkillGroup) and
//! [`visible_group`] (a group by id, within the caller's view).

pub mod create_skill_group;
pub mod delete_skill_group;
pub mod desk;
#[cfg(test)]
mod desk_tests;
pub mod list_agent_events;
pub mod list_agent_state_logs_v2020;
pub mod list_agent_states;
pub mod list_real_time_agent;
pub mod list_realtime_agent_states_v2020;
pub mod list_skill_group_states;
pub mod list_skill_groups;
pub mod list_skill_groups_of_user;
pub mod list_users_of_skill_group;
pub mod modify_skill_group;
pub mod modify_skill_group_outbound_numbers;
pub mod poll_user_status_v2020;
pub mod ready_for_service_v2020;
pub mod remove_users_from_skill_group;
pub mod reset_agent_state_v2020;
pub mod reset_user_status;
pub mod sign_in_group_v2020;
pub mod sign_out_group_v2020;
pub mod take_break_v2020;

pub mod assign_users;
pub mod create_user;
pub mod find_users;
pub mod get_user;
pub mod list_users;
pub mod modify_skill_group_of_user;
pub mod modify_user;
pub mod remove_users;
use std::collections::HashSet;

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::access;
use crate::api::errors;
use crate::storage::{groups, skill_group, users};

/// Lowest skill level (seed 004 §8.1 `SkillLevel.N`; 1 to 10 as in the console).
pub const LEVEL_MIN: i64 = 1;
/// Highest skill level.
pub const LEVEL_MAX: i64 = 10;

/// The members `UserId.N` / `SkillLevel.N` describe, as (user id, level), in order: one level
/// per user ("数量需要保持一致"), each level 1-10, each user once and a user of the instance.
///
/// Errors: 400 `InvalidParameter` (counts differ, a level out of range, a blank or repeated
/// user); 404 `NotExists.UserId` (no such user in the instance, another instance's users
/// included).
pub async fn members(
    ctx: &Context,
    user_ids: &[String],
    levels: &[i64],
) -> ApiResult<Vec<(String, i32)>> {
    if user_ids.len() != levels.len() {
        return Err(errors::invalid_parameter(
            "SkillLevel.N",
            format!(
                "each UserId.N needs the SkillLevel.N of the same N: {} UserId.N and {} SkillLevel.N were given",
                user_ids.len(),
                levels.len()
            ),
        ));
    }
    let mut seen = HashSet::with_capacity(user_ids.len());
    let mut out = Vec::with_capacity(user_ids.len());
    for (i, (id, level)) in user_ids.iter().zip(levels).enumerate() {
        let n = i + 1;
        let id = id.trim();
        if id.is_empty() {
            return Err(errors::invalid_parameter(
                format!("UserId.{n}"),
                "the user id is empty",
            ));
        }
        if !seen.insert(id) {
            return Err(errors::invalid_parameter(
                format!("UserId.{n}"),
                format!("user {id} is listed more than once"),
            ));
        }
        if !(LEVEL_MIN..=LEVEL_MAX).contains(level) {
            return Err(errors::invalid_parameter(
                format!("SkillLevel.{n}"),
                format!("the skill level must be between {LEVEL_MIN} and {LEVEL_MAX}, not {level}"),
            ));
        }
        out.push((id.to_string(), *level as i32));
    }
    let ids: Vec<String> = out.iter().map(|(u, _)| u.clone()).collect();
    let found = users::by_ids(&ctx.db, ctx.instance(), &ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.contains_key(*id)) {
        return Err(errors::not_exists_user_id(missing));
    }
    Ok(out)
}

/// Skill group `id` of the caller's instance, if the caller may see it ([`access`]).
///
/// Errors: 404 `NotExists.SkillGroupId` for an unknown id, another instance's group, or a group
/// outside the caller's view.
pub async fn visible_group(ctx: &Context, id: &str) -> ApiResult<skill_group::Model> {
    let visible = access::visible_groups(ctx);
    if !access::can_see_group(visible.as_deref(), id) {
        return Err(errors::not_exists_skill_group_id(id));
    }
    groups::find(&ctx.db, ctx.instance(), id)
        .await?
        .ok_or_else(|| errors::not_exists_skill_group_id(id))
}

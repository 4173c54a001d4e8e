//! Reads from the agents domain through its public query `agents.skill_groups`
//! (`plugins/agents/api/queries/skill_groups.toml`, generated client
//! `api::clients::agents::skill_groups`): validating `SkillGroupId.N` (seed 004 §6.3
//! ModifyPhoneNumber, §6.8 AddBulkPhoneNumbers) and rendering skill-group names (§6.3, §6.4, §6.8
//! and the 2020 ListPhoneNumbers of seed 002).
//!
//! When the agents plugin is disabled (the client answers `Ok(None)`), skill-group ids are
//! stored unchecked and rendered with the id as name, `Name` and `DisplayName`: a deployment
//! without agents keeps binding numbers to the skill-group ids of its own ACD. With agents
//! enabled, an id agents does not know is refused (404 `NotExists.SkillGroupId`) and a stored
//! id whose group was deleted since is left out of the replies.

use std::collections::HashMap;

use ccgate_plugin_sdk::{ApiResult, Context};

use crate::api::clients;
use crate::api::clients::agents::skill_groups::Args;
use crate::api::errors;

/// A skill group as the agents domain describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// `SkillGroupId`.
    pub id: String,
    /// `SkillGroupName` / 2020 `Name`.
    pub name: String,
    /// 2020 `DisplayName`.
    pub display_name: String,
    /// `InstanceId` of the group.
    pub instance_id: String,
}

/// The skill groups with ids `ids` in the caller's instance, by id; ids that do not exist are
/// absent. `Ok(None)` when the agents plugin is disabled. One cross-plugin call, none when `ids`
/// is empty.
pub async fn get_groups(
    ctx: &Context,
    ids: &[String],
) -> ApiResult<Option<HashMap<String, GroupInfo>>> {
    if ids.is_empty() {
        return Ok(Some(HashMap::new()));
    }
    let mut unique: Vec<String> = ids.to_vec();
    unique.sort();
    unique.dedup();
    let args = Args {
        instance_id: ctx.instance().to_string(),
        skill_group_ids: unique,
    };
    let Some(answer) = clients::agents::skill_groups(ctx, &args).await? else {
        return Ok(None);
    };
    Ok(Some(
        answer
            .skill_groups
            .into_iter()
            .map(|g| {
                let info = GroupInfo {
                    id: g.skill_group_id,
                    name: g.name,
                    display_name: g.display_name,
                    instance_id: g.instance_id,
                };
                (info.id.clone(), info)
            })
            .collect(),
    ))
}

/// Checks that every one of `ids` names a skill group of the caller's instance; passes when the
/// agents plugin is disabled (the ids are then stored unchecked).
///
/// Errors: 404 `NotExists.SkillGroupId` naming the first unknown id.
pub async fn require_groups(ctx: &Context, ids: &[String]) -> ApiResult<()> {
    let Some(found) = get_groups(ctx, ids).await? else {
        return Ok(());
    };
    match ids.iter().find(|id| !found.contains_key(*id)) {
        Some(missing) => Err(errors::not_exists_skill_group_id(missing)),
        None => Ok(()),
    }
}

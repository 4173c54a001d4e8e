//! The agents and skill groups a report lists, read from the agents plugin through its typed
//! queries (`agents.roster`, `agents.skill_group_index`, `agents.skill_groups`). Without the
//! agents plugin there are none, and ids are shown as they are stored.
//!
//! A skill-group leader (a user's Bearer token) sees only the groups they lead and their
//! agents: the gateway has already refused parameters naming other groups or users.

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;

use crate::api::clients::agents;
use crate::api::{Ctx, errors};

/// One agent row of a report: ids, names and skill groups (comma-joined as the seed shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRow {
    /// UserId (the rollups' key).
    pub user_id: String,
    /// RamId (the seed's `AgentId`).
    pub ram_id: String,
    /// Login name.
    pub login_name: String,
    /// Display name (`AgentName`).
    pub display_name: String,
    /// Skill group ids, comma-separated.
    pub skill_group_ids: String,
    /// Skill group names, comma-separated.
    pub skill_group_names: String,
}

/// One skill group row of a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow {
    /// SkillGroupId.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// The groups a leader's token may see; `None` for administrators.
fn led_groups(ctx: &Ctx<'_>) -> Option<Vec<String>> {
    ctx.caller_scope
        .as_ref()
        .filter(|s| s.role != ccgate_plugin_sdk::Role::Admin)
        .map(|s| s.led_skill_group_ids.clone())
}

/// Checks that skill group `id` exists in the instance.
///
/// Errors: 404 `NotExists.SkillGroupId`.
async fn check_group(ctx: &Ctx<'_>, id: &str) -> ApiResult<()> {
    let args = agents::skill_groups::Args {
        instance_id: ctx.instance().to_string(),
        skill_group_ids: vec![id.to_string()],
    };
    match agents::skill_groups(ctx, &args).await? {
        Some(out) if out.skill_groups.is_empty() => Err(errors::not_exists_skill_group_id(id)),
        _ => Ok(()),
    }
}

/// A page of the agents a report lists: `agent_ids` (UserIds or RamIds; empty = all),
/// members of `skill_group_id` when given. A leader without `SkillGroupId` gets the agents of
/// the group they lead (the first, when several). Answers (TotalCount, rows).
///
/// Errors: 404 `NotExists.SkillGroupId`; 400 `InvalidParameter` for more than 100 AgentIds.
pub async fn agents_page(
    ctx: &Ctx<'_>,
    agent_ids: Vec<String>,
    skill_group_id: Option<&str>,
    offset: u64,
    limit: u64,
) -> ApiResult<(i64, Vec<AgentRow>)> {
    if agent_ids.len() > 100 {
        return Err(errors::invalid_parameter("AgentIds", "at most 100 ids"));
    }
    let mut group = skill_group_id.unwrap_or_default().to_string();
    if !group.is_empty() {
        check_group(ctx, &group).await?;
    } else if let Some(led) = led_groups(ctx) {
        group = led.first().cloned().unwrap_or_else(|| "-".into());
    }
    let args = agents::roster::Args {
        instance_id: ctx.instance().to_string(),
        user_ids: agent_ids,
        skill_group_id: group,
        offset: offset as i64,
        limit: limit as i64,
    };
    let Some(out) = agents::roster(ctx, &args).await? else {
        return Ok((0, Vec::new()));
    };
    let rows = out
        .agents
        .into_iter()
        .map(|a| AgentRow {
            user_id: a.user_id,
            ram_id: a.ram_id,
            login_name: a.login_name,
            display_name: a.display_name,
            skill_group_ids: a.skill_group_ids.join(","),
            skill_group_names: a.skill_group_names.join(","),
        })
        .collect();
    Ok((out.total_count, rows))
}

/// A page of the skill groups a report lists, ordered by name: `ids` (empty = all of the
/// instance, or all a leader leads). Answers (TotalCount, rows).
///
/// Errors: 404 `NotExists.SkillGroupId` for an id that is not a group of the instance.
pub async fn skill_groups_page(
    ctx: &Ctx<'_>,
    ids: Vec<String>,
    offset: u64,
    limit: u64,
) -> ApiResult<(i64, Vec<GroupRow>)> {
    let args = agents::skill_group_index::Args {
        instance_id: ctx.instance().to_string(),
    };
    let all: Vec<GroupRow> = agents::skill_group_index(ctx, &args)
        .await?
        .map(|o| {
            o.skill_groups
                .into_iter()
                .map(|g| GroupRow {
                    id: g.skill_group_id,
                    name: g.name,
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(bad) = ids.iter().find(|id| !all.iter().any(|g| &g.id == *id)) {
        return Err(errors::not_exists_skill_group_id(bad));
    }
    let led = led_groups(ctx);
    let chosen: Vec<GroupRow> = all
        .into_iter()
        .filter(|g| ids.is_empty() || ids.contains(&g.id))
        .filter(|g| led.as_ref().is_none_or(|l| l.contains(&g.id)))
        .collect();
    let total = chosen.len() as i64;
    let page = chosen
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok((total, page))
}

/// The ids of the instance's skill groups named `name` (ListCallDetailRecords `Criteria`).
///
/// Errors: a failing query of the agents plugin.
pub async fn group_ids_named(ctx: &Ctx<'_>, name: &str) -> ApiResult<Vec<String>> {
    let args = agents::skill_group_index::Args {
        instance_id: ctx.instance().to_string(),
    };
    Ok(agents::skill_group_index(ctx, &args)
        .await?
        .map(|o| {
            o.skill_groups
                .into_iter()
                .filter(|g| g.name == name)
                .map(|g| g.skill_group_id)
                .collect()
        })
        .unwrap_or_default())
}

/// Skill group id → name, for `ids` (unknown ids are left out).
///
/// Errors: a failing query of the agents plugin.
pub async fn group_names(ctx: &Ctx<'_>, ids: &[String]) -> ApiResult<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let args = agents::skill_groups::Args {
        instance_id: ctx.instance().to_string(),
        skill_group_ids: ids.to_vec(),
    };
    Ok(agents::skill_groups(ctx, &args)
        .await?
        .map(|o| {
            o.skill_groups
                .into_iter()
                .map(|g| (g.skill_group_id, g.name))
                .collect()
        })
        .unwrap_or_default())
}

/// UserId → RamId, for `user_ids` (unknown users are left out).
///
/// Errors: a failing query of the agents plugin.
pub async fn ram_ids(ctx: &Ctx<'_>, user_ids: &[String]) -> ApiResult<HashMap<String, String>> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = user_ids.to_vec();
    ids.sort();
    ids.dedup();
    let args = agents::roster::Args {
        instance_id: ctx.instance().to_string(),
        limit: ids.len() as i64,
        user_ids: ids,
        skill_group_id: String::new(),
        offset: 0,
    };
    Ok(agents::roster(ctx, &args)
        .await?
        .map(|o| {
            o.agents
                .into_iter()
                .map(|a| (a.user_id, a.ram_id))
                .collect()
        })
        .unwrap_or_default())
}

//! 2017-07-05 ListSkillGroupStates (seed 004 §11.8 技能组瞬时状态列表): per skill group, how many
//! agents are signed in (LoggedInAgents), READY (ReadyAgents), TALKING (TalkingAgents, ringing
//! included: the agent is taken by a call), after-call work (WorkingAgents) and on a break
//! (BreakingAgents, signed-in-not-ready included), plus WaitingCalls and LongestCall.
//!
//! An agent counts in the groups it is signed into (SignInGroup `SignedSkillGroupIdList`), not
//! in every group it is a member of. WaitingCalls and LongestCall (seconds) are 0 until the calls
//! plugin queues calls (the next issue); they are part of the answer so clients keep working.
//!
//! Request: `InstanceId`, `SkillGroupIds` (comma-separated, at most 50; omitted: every group),
//! `PageNumber` (default 1), `PageSize` (default 10, at most 100). Groups are ordered by name.
//! Errors: 400 `InvalidParameter` for more than 50 ids; 404 `NotExists.SkillGroupId`.
//!
//! Work: one page of groups and the instance's signed-in agents (bounded by who is signed in
//! now, not by history).

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::storage::{count, page, total_from_page};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_skill_group_states::{Data, List, Request, Response};
use crate::state::AgentState;
use crate::state::store::parse_ids;
use crate::state::views::signed_in;
use crate::storage::skill_group;

/// Most ids `SkillGroupIds` may name (seed: 最多50个).
pub const SKILL_GROUP_IDS_MAX: usize = 50;

/// Serves ListSkillGroupStates.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut q =
        skill_group::Entity::find().filter(skill_group::Column::InstanceId.eq(ctx.instance()));
    if let Some(ids) = req
        .skill_group_ids
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        let mut ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        ids.dedup();
        if ids.len() > SKILL_GROUP_IDS_MAX {
            return Err(errors::invalid_parameter(
                "SkillGroupIds",
                format!("at most {SKILL_GROUP_IDS_MAX} skill groups"),
            ));
        }
        let found = crate::storage::users::skill_groups(&ctx.db, ctx.instance(), &ids).await?;
        if let Some(missing) = ids.iter().find(|id| !found.contains_key(*id)) {
            return Err(errors::not_exists_skill_group_id(missing));
        }
        q = q.filter(skill_group::Column::Id.is_in(ids));
    }
    if let Some(groups) = crate::access::visible_groups(ctx) {
        q = q.filter(skill_group::Column::Id.is_in(groups));
    }
    let paging = PageRequest::new(req.page_number, req.page_size);
    let rows = page(
        &ctx.db,
        q.clone()
            .order_by_asc(skill_group::Column::Name)
            .order_by_asc(skill_group::Column::Id),
        paging,
    )
    .await?;
    let total = match total_from_page(paging, rows.len()) {
        Some(t) => t,
        None => count(&ctx.db, q).await?,
    };
    let mut tally: HashMap<String, [i64; 5]> = HashMap::new();
    for agent in signed_in(&ctx.db, ctx.instance()).await? {
        let state = AgentState::parse(&agent.state);
        for g in parse_ids(&agent.signed_skill_group_ids) {
            let t = tally.entry(g).or_default();
            t[0] += 1;
            match state {
                AgentState::Ready => t[1] += 1,
                AgentState::Ringing | AgentState::Talking => t[2] += 1,
                AgentState::Working => t[3] += 1,
                AgentState::Break | AgentState::SignedIn => t[4] += 1,
                AgentState::Offline => {}
            }
        }
    }
    let list = rows
        .into_iter()
        .map(|g| {
            let [logged_in, ready, talking, working, breaking] =
                tally.get(&g.id).copied().unwrap_or_default();
            List {
                breaking_agents: breaking,
                instance_id: g.instance_id,
                logged_in_agents: logged_in,
                longest_call: 0,
                ready_agents: ready,
                skill_group_id: g.id,
                skill_group_name: g.name,
                talking_agents: talking,
                waiting_calls: 0,
                working_agents: working,
            }
        })
        .collect();
    Ok(Response {
        data: Data {
            list,
            page_number: paging.number as i64,
            page_size: paging.size as i64,
            total_count: total as i64,
        },
    })
}

//! 2017-07-05 ListAgentEvents (seed 004 §9.8 查询坐席日志信息): the agent-state log of given
//! agents in a window of at most one hour.
//!
//! Request: `InstanceId`, `RamId.N` (required), `Event.N` (the seed's event names; only the
//! state events 签入 签出 小休 等待 振铃 通话 处理 are logged by this plugin, the call events 放弃
//! 结束 发起求助... belong to calls and match nothing here), `StartTime` / `StopTime` (UTC epoch
//! ms, defaults: an hour ago / now). Response: `AgentEventList.AgentEvent[]` in time order, each
//! with the skill groups the agent was signed into after the event.
//!
//! Errors: 400 `InvalidParameter` for a window longer than one hour or ending before it starts
//! (the seed: "查询时间范围小于1小时，否则会报错"; exactly one hour, the default, is accepted);
//! 404 `NotExists.RamId` for a RamId that is no user of the instance.

use std::collections::HashMap;

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_agent_events::{
    AgentEvent, AgentEventList, Request, Response, SkillGroup, SkillGroupIds,
};
use crate::state::AgentState;
use crate::state::store::parse_ids;
use crate::storage::{state_log, user, users};

/// The longest window, in milliseconds (seed: under one hour).
pub const WINDOW_MAX_MS: i64 = 3_600_000;

/// Most entries one answer carries (an hour of a few agents is far below it).
pub const ENTRIES_MAX: u64 = 10_000;

/// Serves ListAgentEvents.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let now = ctx.now_ms();
    let stop = req.stop_time.unwrap_or(now);
    let start = req.start_time.unwrap_or(stop - WINDOW_MAX_MS);
    if stop < start {
        return Err(errors::invalid_parameter(
            "StopTime",
            "the window ends before it starts",
        ));
    }
    if stop - start > WINDOW_MAX_MS {
        return Err(errors::invalid_parameter(
            "StartTime",
            "the window from StartTime to StopTime must be at most one hour",
        ));
    }
    let mut agents: HashMap<String, user::Model> = HashMap::new();
    for ram in &req.ram_id {
        let found = user::Entity::find()
            .filter(user::Column::InstanceId.eq(ctx.instance()))
            .filter(user::Column::RamId.eq(ram.as_str()))
            .one(&ctx.db)
            .await?
            .ok_or_else(|| errors::not_exists_ram_id(ram))?;
        agents.insert(found.id.clone(), found);
    }
    if let Some(me) = crate::access::only_self(ctx)
        && agents.keys().any(|id| *id != me)
    {
        return Err(errors::no_permission_msg(format!(
            "The caller's role agent may see only its own events in {}.",
            ctx.spec.action
        )));
    }
    let states: Vec<&'static str> = req
        .event
        .iter()
        .filter_map(|e| AgentState::from_event_name(e))
        .map(AgentState::as_str)
        .collect();
    if !req.event.is_empty() && states.is_empty() {
        return Ok(empty());
    }
    let mut q = state_log::Entity::find()
        .filter(state_log::Column::InstanceId.eq(ctx.instance()))
        .filter(state_log::Column::UserId.is_in(agents.keys().cloned()))
        .filter(state_log::Column::AtMs.between(start, stop));
    if !states.is_empty() {
        q = q.filter(state_log::Column::State.is_in(states));
    }
    let rows = q
        .order_by_asc(state_log::Column::AtMs)
        .order_by_asc(state_log::Column::Seq)
        .limit(ENTRIES_MAX)
        .all(&ctx.db)
        .await?;
    let mut group_ids: Vec<String> = rows
        .iter()
        .flat_map(|r| parse_ids(&r.skill_group_ids))
        .collect();
    group_ids.sort();
    group_ids.dedup();
    let groups = users::skill_groups(&ctx.db, ctx.instance(), &group_ids).await?;
    let agent_event = rows
        .into_iter()
        .map(|r| AgentEvent {
            event: AgentState::parse(&r.state).event_name().to_string(),
            event_time: r.at_ms,
            instance_id: r.instance_id,
            login_name: r.login_name,
            ram_id: r.ram_id.parse().unwrap_or_default(),
            skill_group_ids: SkillGroupIds {
                skill_group: parse_ids(&r.skill_group_ids)
                    .into_iter()
                    .map(|id| SkillGroup {
                        skill_group_name: groups
                            .get(&id)
                            .map(|g| g.name.clone())
                            .unwrap_or_default(),
                        skill_group_id: id,
                    })
                    .collect(),
            },
        })
        .collect();
    Ok(Response {
        agent_event_list: AgentEventList { agent_event },
    })
}

fn empty() -> Response {
    Response {
        agent_event_list: AgentEventList {
            agent_event: Vec::new(),
        },
    }
}

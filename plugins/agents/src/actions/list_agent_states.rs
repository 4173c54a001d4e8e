//! 2017-07-05 ListAgentStates (undocumented: seed 004's overview table names it; parameters from
//! the official SDK, sdk-actions-2017.txt): the current state of the instance's agents, paged
//! and ordered by login name.
//!
//! Request: `InstanceId`; filters `AgentIds` (comma-separated UserIds or RamIds), `SkillGroupId`
//! (members of the group), `State` (the 2020 state names; `BREAK` includes signed-in agents
//! not yet ready, shown as `BREAK` with `BreakCode` `Warm-up`); `PageNumber` (default 1),
//! `PageSize` (1-100, default 10). Response: `Data.{PageNumber, PageSize, TotalCount,
//! List.RealTimeAgentState[]}` with `StateDuration` in seconds.
//!
//! Errors: 400 `InvalidParameter` for more than 100 `AgentIds`; 404 `NotExists.SkillGroupId`.
//! Filters are SQL sub-queries over indexed columns: a page reads one page of users.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::storage::{count, page, total_from_page};

use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_agent_states::{Data, List, RealTimeAgentState, Request, Response, State};
use crate::state::store::parse_ids;
use crate::state::views::{current_of, users_in_groups, users_in_states};
use crate::state::{AgentState, WARM_UP};
use crate::storage::{user, users};

/// Most ids `AgentIds` may name.
pub const AGENT_IDS_MAX: usize = 100;

/// Serves ListAgentStates.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let mut q = user::Entity::find().filter(user::Column::InstanceId.eq(ctx.instance()));
    if let Some(ids) = req.agent_ids.as_deref().filter(|s| !s.trim().is_empty()) {
        let ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if ids.len() > AGENT_IDS_MAX {
            return Err(errors::invalid_parameter(
                "AgentIds",
                format!("at most {AGENT_IDS_MAX} ids"),
            ));
        }
        q = q.filter(
            Condition::any()
                .add(user::Column::Id.is_in(ids.clone()))
                .add(user::Column::RamId.is_in(ids)),
        );
    }
    if let Some(group) = req.skill_group_id.as_deref().filter(|s| !s.is_empty()) {
        if users::skill_groups(&ctx.db, ctx.instance(), &[group.to_string()])
            .await?
            .is_empty()
        {
            return Err(errors::not_exists_skill_group_id(group));
        }
        q = q.filter(users_in_groups(vec![group.to_string()]));
    }
    if let Some(groups) = crate::access::visible_groups(ctx) {
        q = q.filter(users_in_groups(groups));
    }
    if let Some(me) = crate::access::only_self(ctx) {
        q = q.filter(user::Column::Id.eq(me));
    }
    if let Some(state) = req.state {
        let states: &[AgentState] = match state {
            State::Offline => &[AgentState::Offline],
            State::Ready => &[AgentState::Ready],
            State::Break => &[AgentState::Break, AgentState::SignedIn],
            State::Ringing => &[AgentState::Ringing],
            State::Talking => &[AgentState::Talking],
            State::Working => &[AgentState::Working],
        };
        q = q.filter(users_in_states(ctx.instance(), states));
    }
    let paging = PageRequest::new(req.page_number, req.page_size);
    let rows = page(
        &ctx.db,
        q.clone()
            .order_by_asc(user::Column::LoginName)
            .order_by_asc(user::Column::Id),
        paging,
    )
    .await?;
    let total = match total_from_page(paging, rows.len()) {
        Some(t) => t,
        None => count(&ctx.db, q).await?,
    };
    let ids: Vec<String> = rows.iter().map(|u| u.id.clone()).collect();
    let states = current_of(&ctx.db, &ids).await?;
    let now = ctx.now_ms();
    let real_time_agent_state = rows
        .into_iter()
        .map(|u| {
            let s = states.get(&u.id);
            let state = s
                .map(|s| AgentState::parse(&s.state))
                .unwrap_or(AgentState::Offline);
            RealTimeAgentState {
                ram_id: u.ram_id,
                user_id: u.id,
                login_name: u.login_name,
                display_name: u.display_name,
                dn: u.extension,
                state: state.v2020().to_string(),
                break_code: match state {
                    AgentState::SignedIn => WARM_UP.to_string(),
                    AgentState::Break => s.map(|s| s.break_code.clone()).unwrap_or_default(),
                    _ => String::new(),
                },
                state_duration: s.map_or(0, |s| (now - s.state_since_ms).max(0) / 1000),
                skill_group_ids: s
                    .map(|s| parse_ids(&s.signed_skill_group_ids).join(","))
                    .unwrap_or_default(),
            }
        })
        .collect();
    Ok(Response {
        data: Data {
            page_number: paging.number as i64,
            page_size: paging.size as i64,
            total_count: total as i64,
            list: List {
                real_time_agent_state,
            },
        },
    })
}

//! 2020-07-01 ListAgentStateLogs (official SDK `alibabacloud-ccc20200701`; no seed documents
//! it): one agent's states in a window, from the append-only state log, oldest first: the state
//! current at `StartTime` (its `StartTime` may be earlier), then one entry per change, each with
//! its `Duration` in seconds (the current one until now).
//!
//! Window: `StartTime` (inclusive, default the start of the current UTC day) to `EndTime`
//! (exclusive, default now), UTC epoch ms, at most `[plugins.agents] state_log_window_hours`
//! (default 24). States use the casing of Alibaba's reference for this action: Offline, Ready,
//! Break, Ringing, Talking, ACW.
//!
//! Errors: 400 `InvalidParameter` (window reversed or too long), 404 `NotExists.UserId`.

use ccgate_plugin_sdk::ApiResult;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::desk;
use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_agent_state_logs_v2020::{Data, Request, Response};
use crate::state::{AgentState, WARM_UP};
use crate::storage::state_log;

/// Most entries one answer carries.
pub const ENTRIES_MAX: u64 = 10_000;

/// One UTC day, in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// The report casing of a state (Alibaba's reference for ListAgentStateLogs and
/// ListRealtimeAgentStates): Offline, Ready, Break (signed in, not yet ready, included), Ringing,
/// Talking, ACW.
pub const fn report_name(state: AgentState) -> &'static str {
    match state {
        AgentState::Offline => "Offline",
        AgentState::SignedIn | AgentState::Break => "Break",
        AgentState::Ready => "Ready",
        AgentState::Ringing => "Ringing",
        AgentState::Talking => "Talking",
        AgentState::Working => "ACW",
    }
}

/// Serves ListAgentStateLogs.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent = desk::agent(ctx, Some(req.agent_id.as_str())).await?;
    let now = ctx.now_ms();
    // Default: up to and including now (the end is exclusive).
    let end = req.end_time.unwrap_or(now + 1);
    let start = req.start_time.unwrap_or(end - end.rem_euclid(DAY_MS));
    if end < start {
        return Err(errors::invalid_parameter(
            "EndTime",
            "the window ends before it starts",
        ));
    }
    let hours = i64::from(ctx.state().settings.state_log_window_hours);
    if end - start > hours * 3_600_000 {
        return Err(errors::invalid_parameter(
            "StartTime",
            format!("the window from StartTime to EndTime must be at most {hours} hours"),
        ));
    }
    let by_agent = || {
        state_log::Entity::find()
            .filter(state_log::Column::InstanceId.eq(ctx.instance()))
            .filter(state_log::Column::UserId.eq(agent.id.as_str()))
    };
    // The state current at the start, then the changes inside the window.
    let before = by_agent()
        .filter(state_log::Column::AtMs.lt(start))
        .order_by_desc(state_log::Column::AtMs)
        .order_by_desc(state_log::Column::Seq)
        .one(&ctx.db)
        .await?;
    let inside = by_agent()
        .filter(state_log::Column::AtMs.gte(start))
        .filter(state_log::Column::AtMs.lt(end))
        .order_by_asc(state_log::Column::AtMs)
        .order_by_asc(state_log::Column::Seq)
        .limit(ENTRIES_MAX)
        .all(&ctx.db)
        .await?;
    // The first change after the window ends the last entry; without one it lasts until now.
    let after = by_agent()
        .filter(state_log::Column::AtMs.gte(end))
        .order_by_asc(state_log::Column::AtMs)
        .order_by_asc(state_log::Column::Seq)
        .one(&ctx.db)
        .await?;
    let entries: Vec<state_log::Model> = before.into_iter().chain(inside).collect();
    let data = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let until = entries
                .get(i + 1)
                .map(|n| n.at_ms)
                .or(after.as_ref().map(|a| a.at_ms))
                .unwrap_or(now);
            let state = AgentState::parse(&e.state);
            Data {
                break_code: match state {
                    AgentState::SignedIn => WARM_UP.to_string(),
                    AgentState::Break => e.break_code.clone(),
                    _ => String::new(),
                },
                duration: (until - e.at_ms).max(0) / 1000,
                outbound_scenario: false,
                start_time: e.at_ms,
                state: report_name(state).to_string(),
                state_code: String::new(),
                work_mode: "ON_SITE".to_string(),
            }
        })
        .collect();
    Ok(Response { data })
}

//! 2020-07-01 ListRealtimeAgentStates (official SDK `alibabacloud-ccc20200701`; no seed
//! documents it): the real-time state of the instance's agents, paged, ordered by agent ID
//! (`<LoginName>@<InstanceId>`, i.e. by login name).
//!
//! Filters: `AgentIdList` (JSON array of at most 20 user refs; unknown ones match nothing),
//! `StateList` (Ready, Talking, ACW, Break, Ringing, Offline, Dialing: Dialing matches nobody),
//! `SkillGroupId` (members; an unknown group lists nothing), `AgentName` (display name
//! substring), `Query` (display name, login or extension substring), `OutboundScenario`,
//! `CallTypeList` (an agent matches when its current call has one of the types: until the calls
//! plugin places calls, nobody), `WorkModeList` (every agent is ON_SITE). A leader sees the agents
//! of the groups it leads, an agent only itself (`crate::access`).
//!
//! Errors: 400 `InvalidParameter` (not a JSON array of strings; more than 20 agents),
//! `Parameter.Enumeration` (an unknown state, call type or work mode). Filters are SQL sub-queries
//! over indexed columns; the work is one page of users plus their states and groups.

use ccgate_plugin_sdk::paging::PageRequest;
use ccgate_plugin_sdk::sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use ccgate_plugin_sdk::storage::{count, like_contains, page, total_from_page};
use ccgate_plugin_sdk::{ApiResult, JsonString};

use super::list_agent_state_logs_v2020::report_name;
use super::sign_in_group_v2020::string_array;
use crate::api::Ctx;
use crate::api::errors;
use crate::api::list_realtime_agent_states_v2020::{Data, List, Request, Response};
use crate::state::store::parse_ids;
use crate::state::views::{current_of, users_in_groups, users_in_states};
use crate::state::{AgentState, WARM_UP};
use crate::storage::{agent_state, user, users};

/// Most agents `AgentIdList` names.
pub const AGENT_IDS_MAX: usize = 20;

/// The `StateList` values and the states they select (`Dialing`: none).
const STATES: &[(&str, &[AgentState])] = &[
    ("Ready", &[AgentState::Ready]),
    ("Talking", &[AgentState::Talking]),
    ("ACW", &[AgentState::Working]),
    ("Break", &[AgentState::Break, AgentState::SignedIn]),
    ("Ringing", &[AgentState::Ringing]),
    ("Offline", &[AgentState::Offline]),
    ("Dialing", &[]),
];

const CALL_TYPES: &[&str] = &[
    "Outbound",
    "Back2Back",
    "PrivacyDial",
    "Internal",
    "Predictive",
    "Inbound",
    "Conference",
];

const WORK_MODES: &[&str] = &["ON_SITE", "OFF_SITE", "OFFICE_PHONE"];

fn list_param(name: &str, v: Option<&JsonString>) -> ApiResult<Vec<String>> {
    match v {
        None => Ok(Vec::new()),
        Some(j) if j.raw.trim().is_empty() => Ok(Vec::new()),
        Some(j) => string_array(&j.value)
            .ok_or_else(|| errors::invalid_parameter(name, "expected a JSON array of strings")),
    }
}

fn enumerated(name: &str, values: &[String], allowed: &[&str]) -> ApiResult<()> {
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(_) => Err(errors::parameter_enumeration(name, allowed.join(","))),
        None => Ok(()),
    }
}

/// Serves ListRealtimeAgentStates.
pub async fn handle(ctx: &Ctx<'_>, req: Request) -> ApiResult<Response> {
    let agent_refs = list_param("AgentIdList", req.agent_id_list.as_ref())?;
    if agent_refs.len() > AGENT_IDS_MAX {
        return Err(errors::invalid_parameter(
            "AgentIdList",
            format!("at most {AGENT_IDS_MAX} agents"),
        ));
    }
    let state_names = list_param("StateList", req.state_list.as_ref())?;
    let names: Vec<&str> = STATES.iter().map(|(n, _)| *n).collect();
    enumerated("StateList", &state_names, &names)?;
    let call_types = list_param("CallTypeList", req.call_type_list.as_ref())?;
    enumerated("CallTypeList", &call_types, CALL_TYPES)?;
    let work_modes = list_param("WorkModeList", req.work_mode_list.as_ref())?;
    enumerated("WorkModeList", &work_modes, WORK_MODES)?;

    let paging = PageRequest::new(req.page_number, req.page_size);
    let mut cond = Condition::all().add(user::Column::InstanceId.eq(ctx.instance()));
    let mut nobody = !call_types.is_empty()
        || (!work_modes.is_empty() && !work_modes.iter().any(|m| m == "ON_SITE"));
    if !agent_refs.is_empty() {
        let mut ids = Vec::new();
        for r in &agent_refs {
            if let Some(u) = users::find(&ctx.db, ctx.instance(), r).await? {
                ids.push(u.id);
            }
        }
        nobody |= ids.is_empty();
        cond = cond.add(user::Column::Id.is_in(ids));
    }
    if !state_names.is_empty() {
        let states: Vec<AgentState> = STATES
            .iter()
            .filter(|(n, _)| state_names.iter().any(|s| s == n))
            .flat_map(|(_, s)| s.iter().copied())
            .collect();
        cond = cond.add(users_in_states(ctx.instance(), &states));
    }
    if let Some(g) = req.skill_group_id.as_deref().filter(|s| !s.is_empty()) {
        match users::find_skill_group(&ctx.db, ctx.instance(), g).await? {
            Some(group) => cond = cond.add(users_in_groups(vec![group.id])),
            None => nobody = true,
        }
    }
    if let Some(name) = req.agent_name.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(user::Column::DisplayName.like(like_contains(name)));
    }
    if let Some(q) = req.query.as_deref().filter(|s| !s.is_empty()) {
        cond = cond.add(
            Condition::any()
                .add(user::Column::DisplayName.like(like_contains(q)))
                .add(user::Column::LoginName.like(like_contains(q)))
                .add(user::Column::Extension.like(like_contains(q))),
        );
    }
    if let Some(outbound) = req.outbound_scenario {
        let sub = ccgate_plugin_sdk::sea_orm::sea_query::Query::select()
            .column(agent_state::Column::UserId)
            .from(agent_state::Entity)
            .and_where(agent_state::Column::InstanceId.eq(ctx.instance()))
            .and_where(agent_state::Column::OutboundScenario.eq(true))
            .to_owned();
        cond = cond.add(if outbound {
            user::Column::Id.in_subquery(sub)
        } else {
            user::Column::Id.not_in_subquery(sub)
        });
    }
    if let Some(groups) = crate::access::visible_groups(ctx) {
        cond = cond.add(users_in_groups(groups));
    }
    if let Some(me) = crate::access::only_self(ctx) {
        cond = cond.add(user::Column::Id.eq(me));
    }
    let empty = || Response {
        data: Data {
            page_number: paging.number as i64,
            page_size: paging.size as i64,
            total_count: 0,
            list: Vec::new(),
        },
    };
    if nobody {
        return Ok(empty());
    }
    let q = user::Entity::find().filter(cond);
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
    let mut group_ids: Vec<String> = states
        .values()
        .flat_map(|s| parse_ids(&s.signed_skill_group_ids))
        .collect();
    group_ids.sort();
    group_ids.dedup();
    let groups = users::skill_groups(&ctx.db, ctx.instance(), &group_ids).await?;
    let now = ctx.now_ms();
    let list = rows
        .into_iter()
        .map(|u| {
            let s = states.get(&u.id);
            let state = s.map_or(AgentState::Offline, |s| AgentState::parse(&s.state));
            let signed: Vec<_> = s
                .map(|s| parse_ids(&s.signed_skill_group_ids))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|id| groups.get(&id))
                .collect();
            List {
                agent_id: users::v2020_id(&u),
                agent_name: u.display_name.clone(),
                break_code: match state {
                    AgentState::SignedIn => WARM_UP.to_string(),
                    AgentState::Break => s.map(|s| s.break_code.clone()).unwrap_or_default(),
                    _ => String::new(),
                },
                call_type: String::new(),
                counter_party: String::new(),
                duration: s.map_or(0, |s| (now - s.state_since_ms).max(0) / 1000),
                extension: u.extension.clone(),
                instance_id: u.instance_id.clone(),
                mobile: u.phone.clone(),
                outbound_scenario: s.is_some_and(|s| s.outbound_scenario),
                skill_group_id_list: signed
                    .iter()
                    .map(|g| users::skill_group_v2020_id(g))
                    .collect(),
                skill_group_name_list: signed.iter().map(|g| g.name.clone()).collect(),
                state: report_name(state).to_string(),
                state_code: String::new(),
                state_time: s.map_or(0, |s| s.state_since_ms),
                work_mode: "ON_SITE".to_string(),
            }
        })
        .collect();
    Ok(Response {
        data: Data {
            page_number: paging.number as i64,
            page_size: paging.size as i64,
            total_count: total as i64,
            list,
        },
    })
}

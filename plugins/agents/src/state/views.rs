//! Reads of agent states for the list actions: the current state of a set of agents and the
//! codes the 2017 actions show.

use std::collections::HashMap;

use ccgate_plugin_sdk::sea_orm::sea_query::Query;
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
};

use super::AgentState;
use crate::storage::{IN_LIST_MAX, agent_state, skill_level, user};

/// The stored current state of each of `user_ids` (agents never signed in are absent: OFFLINE).
pub async fn current_of<C: ConnectionTrait>(
    db: &C,
    user_ids: &[String],
) -> Result<HashMap<String, agent_state::Model>, DbErr> {
    let mut out = HashMap::new();
    for chunk in user_ids.chunks(IN_LIST_MAX) {
        for row in agent_state::Entity::find()
            .filter(agent_state::Column::UserId.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            out.insert(row.user_id.clone(), row);
        }
    }
    Ok(out)
}

/// The signed-in agents of `instance` (every state but OFFLINE): the current work of
/// ListSkillGroupStates, bounded by how many agents are signed in, not by history.
pub async fn signed_in<C: ConnectionTrait>(
    db: &C,
    instance: &str,
) -> Result<Vec<agent_state::Model>, DbErr> {
    agent_state::Entity::find()
        .filter(agent_state::Column::InstanceId.eq(instance))
        .filter(agent_state::Column::State.ne(AgentState::Offline.as_str()))
        .all(db)
        .await
}

/// The 2017 ListRealTimeAgent `State` code (seed 004 §9.7 shows `3` = 未上线, not online; the
/// other codes are ccgate's): 0 空闲 READY, 1 小休 BREAK, 2 通话 TALKING, 3 未上线 OFFLINE,
/// 4 振铃 RINGING, 5 话后处理 WORKING, 6 签入 SIGNED_IN.
pub const fn code_2017(state: AgentState) -> &'static str {
    match state {
        AgentState::Ready => "0",
        AgentState::Break => "1",
        AgentState::Talking => "2",
        AgentState::Offline => "3",
        AgentState::Ringing => "4",
        AgentState::Working => "5",
        AgentState::SignedIn => "6",
    }
}

/// A condition on `agents_users.id`: the user is in one of `states` (OFFLINE: no state row or
/// an OFFLINE one). An SQL sub-query over `agents_agent_states`, so a page reads one page.
pub fn users_in_states(instance: &str, states: &[AgentState]) -> Condition {
    let select = |names: Vec<&'static str>| {
        Query::select()
            .column(agent_state::Column::UserId)
            .from(agent_state::Entity)
            .and_where(agent_state::Column::InstanceId.eq(instance))
            .and_where(agent_state::Column::State.is_in(names))
            .to_owned()
    };
    let mut any = Condition::any();
    let signed: Vec<&'static str> = states
        .iter()
        .filter(|s| s.signed_in())
        .map(|s| s.as_str())
        .collect();
    if !signed.is_empty() {
        any = any.add(user::Column::Id.in_subquery(select(signed)));
    }
    if states.contains(&AgentState::Offline) {
        let all_signed: Vec<&'static str> = AgentState::ALL
            .into_iter()
            .filter(|s| s.signed_in())
            .map(AgentState::as_str)
            .collect();
        any = any.add(user::Column::Id.not_in_subquery(select(all_signed)));
    }
    if states.is_empty() {
        // No state asked for: nobody matches.
        any = any.add(user::Column::Id.is_null());
    }
    any
}

/// A condition on `agents_users.id`: the user is a member of one of `groups`.
pub fn users_in_groups(groups: Vec<String>) -> Condition {
    Condition::all().add(
        user::Column::Id.in_subquery(
            Query::select()
                .column(skill_level::Column::UserId)
                .from(skill_level::Entity)
                .and_where(skill_level::Column::SkillGroupId.is_in(groups))
                .to_owned(),
        ),
    )
}

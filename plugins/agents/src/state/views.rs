//! Reads of agent states for the list actions: the current state of a set of agents and the
//! codes the 2017 actions show.

use std::collections::HashMap;

use ccgate_plugin_sdk::sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::AgentState;
use crate::storage::{IN_LIST_MAX, agent_state};

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

//! Following the calls plugin's agent legs (subscription `agents.follow-calls`, topic
//! `calls.agent_leg`) and ending after-call work (task `agents.after-call-work`).
//!
//! | `what` | command | state |
//! |---|---|---|
//! | `answered` | `answer` | RINGING → TALKING |
//! | `missed` | `no_answer` | RINGING → READY |
//! | `released` | `hang_up` | TALKING → WORKING (after-call work), then READY after `[plugins.agents] after_call_work_seconds` (0: at once) |
//!
//! An event applies only while the agent's current call (`job_id`) is that call, so a
//! redelivered or late event (at-least-once delivery, `docs/events.md`) never moves an agent
//! who has moved on; a command the state machine refuses is logged and dropped (the event is
//! a fact about a call, not a request that can be retried).

use ccgate_plugin_sdk::DomainEvent;
use ccgate_plugin_sdk::sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};

use crate::state::store;
use crate::state::{AgentState, Command};
use crate::storage::{agent_state, users};

/// The calls plugin's `calls.agent_leg` event (its `events::AgentLeg`; same JSON form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentLeg {
    /// The instance.
    pub instance_id: String,
    /// The agent (`UserId`).
    pub user_id: String,
    /// The call (contact id; the agent's `job_id`).
    pub call_id: String,
    /// `answered`, `missed` or `released`.
    pub what: String,
}

impl DomainEvent for AgentLeg {
    const TOPIC: &'static str = "calls.agent_leg";

    fn stream(&self) -> String {
        self.call_id.clone()
    }
}

/// Applies `leg` at `now_ms`; `after_call_work_seconds` 0 makes a released agent READY at once.
/// Answers whether the agent's state changed.
///
/// Errors: storage (the host delivers the event again).
pub async fn follow(
    db: &DatabaseConnection,
    leg: &AgentLeg,
    after_call_work_seconds: u32,
    now_ms: i64,
) -> Result<bool, DbErr> {
    let Some(agent) = users::find(db, &leg.instance_id, &leg.user_id).await? else {
        return Ok(false);
    };
    let now = store::load(db, &agent.id).await?;
    if now.job_id != leg.call_id {
        tracing::debug!(user = %agent.id, call = %leg.call_id, "agent leg of a call the agent is not on, ignored");
        return Ok(false);
    }
    let command = match leg.what.as_str() {
        "answered" => Command::Answer,
        "missed" => Command::NoAnswer,
        "released" => Command::HangUp,
        other => {
            tracing::warn!(what = other, "unknown agent leg event, ignored");
            return Ok(false);
        }
    };
    if let Err(refusal) = store::apply(db, &agent, &command, now_ms).await? {
        tracing::info!(user = %agent.id, call = %leg.call_id, reason = %refusal.reason, "agent leg not applied");
        return Ok(false);
    }
    if command == Command::HangUp && after_call_work_seconds == 0 {
        let ready = Command::Ready {
            outbound_scenario: now.outbound_scenario,
        };
        let _ = store::apply(db, &agent, &ready, now_ms).await?;
    }
    Ok(true)
}

/// Makes READY every agent whose after-call work (WORKING) began at least
/// `after_call_work_seconds` before `now_ms`; answers how many. One indexed read
/// (`idx_agents_agent_states_instance` is per instance; this reads by state) and one
/// transaction per agent.
///
/// Errors: storage.
pub async fn end_after_call_work(
    db: &DatabaseConnection,
    after_call_work_seconds: u32,
    now_ms: i64,
) -> Result<usize, DbErr> {
    let due = now_ms - i64::from(after_call_work_seconds) * 1000;
    let rows = agent_state::Entity::find()
        .filter(agent_state::Column::State.eq(AgentState::Working.as_str()))
        .filter(agent_state::Column::StateSinceMs.lte(due))
        .all(db)
        .await?;
    let mut done = 0;
    for row in rows {
        let Some(agent) = users::find(db, &row.instance_id, &row.user_id).await? else {
            continue;
        };
        let ready = Command::Ready {
            outbound_scenario: row.outbound_scenario,
        };
        if store::apply(db, &agent, &ready, now_ms).await?.is_ok() {
            done += 1;
        }
    }
    Ok(done)
}

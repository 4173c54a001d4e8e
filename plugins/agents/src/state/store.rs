//! Persisting the state machine: the current state, the append-only log and the
//! `agents.state_changed` event, all in one transaction.

use ccgate_plugin_sdk::events::{DomainEvent, publish};
use ccgate_plugin_sdk::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};
use ccgate_plugin_sdk::storage::begin_write;
use serde::{Deserialize, Serialize};

use super::{AgentState, Change, Command, Refusal, Snapshot, decide};
use crate::storage::{agent_state, counter, state_log, user};

/// The event published for every transition (topic `agents.state_changed`, one stream per
/// instance so subscribers see an instance's transitions in `seq` order). Times are UTC epoch
/// milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChanged {
    /// The instance.
    pub instance_id: String,
    /// The per-instance sequence number of the transition (the state log's `seq`).
    pub seq: i64,
    /// The agent (`UserId`).
    pub user_id: String,
    /// The agent's login name.
    pub login_name: String,
    /// The state entered ([`AgentState::as_str`]).
    pub state: String,
    /// The state left.
    pub previous: String,
    /// The break code when `state` is `BREAK` (or `Warm-up` for `SIGNED_IN`).
    pub break_code: String,
    /// The skill groups signed into after the transition.
    pub skill_group_ids: Vec<String>,
    /// The call involved, if any.
    pub job_id: String,
    /// What caused it ([`Command::name`]).
    pub cause: String,
    /// When, UTC epoch ms.
    pub at_ms: i64,
}

impl DomainEvent for StateChanged {
    const TOPIC: &'static str = "agents.state_changed";

    fn stream(&self) -> String {
        self.instance_id.clone()
    }
}

/// The stored state of `user_id` as a [`Snapshot`] (OFFLINE with nothing else when the agent
/// never signed in).
pub async fn load<C: ConnectionTrait>(db: &C, user_id: &str) -> Result<Snapshot, DbErr> {
    Ok(agent_state::Entity::find_by_id(user_id.to_string())
        .one(db)
        .await?
        .map(|row| snapshot_of(&row))
        .unwrap_or_default())
}

/// The snapshot a stored row describes.
pub fn snapshot_of(row: &agent_state::Model) -> Snapshot {
    Snapshot {
        state: Some(AgentState::parse(&row.state)),
        break_code: row.break_code.clone(),
        skill_group_ids: parse_ids(&row.signed_skill_group_ids),
        job_id: row.job_id.clone(),
        device_id: row.device_id.clone(),
        outbound_scenario: row.outbound_scenario,
    }
}

/// Reads a stored JSON array of ids (an empty list for anything else).
pub fn parse_ids(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

/// What [`apply`] stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The change.
    pub change: Change,
    /// Its per-instance sequence number.
    pub seq: i64,
    /// When, UTC epoch ms.
    pub at_ms: i64,
}

/// Runs `command` for `agent` at `now_ms` in one write transaction: takes the instance's
/// counter row (which serialises the instance's transitions, so `seq` is gap-free and in commit
/// order), reads the current state, [`decide`]s, stores the new state, appends the log entry and
/// publishes [`StateChanged`]. A refusal stores nothing.
///
/// Errors: `Ok(Err(refusal))` when the state machine refuses; `Err` for storage failures.
pub async fn apply(
    db: &DatabaseConnection,
    agent: &user::Model,
    command: &Command,
    now_ms: i64,
) -> Result<Result<Applied, Refusal>, DbErr> {
    let txn = begin_write(db).await?;
    let seq = next_counter(&txn, &agent.instance_id, Counter::StateSeq).await?;
    let row = agent_state::Entity::find_by_id(agent.id.clone())
        .lock_exclusive()
        .one(&txn)
        .await?;
    let now = row.as_ref().map(snapshot_of).unwrap_or_default();
    let change = match decide(&now, command) {
        Ok(change) => change,
        Err(refusal) => {
            txn.rollback().await?;
            return Ok(Err(refusal));
        }
    };
    let groups = serde_json::to_string(&change.skill_group_ids).unwrap_or_else(|_| "[]".into());
    let since = match &row {
        Some(r) if change.state == change.previous => r.state_since_ms,
        _ => now_ms,
    };
    let model = agent_state::ActiveModel {
        user_id: Set(agent.id.clone()),
        instance_id: Set(agent.instance_id.clone()),
        state: Set(change.state.as_str().to_string()),
        break_code: Set(change.break_code.clone()),
        device_id: Set(change.device_id.clone()),
        signed_skill_group_ids: Set(groups.clone()),
        job_id: Set(change.job_id.clone()),
        outbound_scenario: Set(change.outbound_scenario),
        state_since_ms: Set(since),
        heartbeat_ms: Set(now_ms),
        seq: Set(seq),
    };
    if row.is_some() {
        model.update(&txn).await?;
    } else {
        model.insert(&txn).await?;
    }
    state_log::ActiveModel {
        id: Default::default(),
        instance_id: Set(agent.instance_id.clone()),
        seq: Set(seq),
        user_id: Set(agent.id.clone()),
        login_name: Set(agent.login_name.clone()),
        ram_id: Set(agent.ram_id.clone()),
        state: Set(change.state.as_str().to_string()),
        previous: Set(change.previous.as_str().to_string()),
        break_code: Set(change.break_code.clone()),
        skill_group_ids: Set(groups),
        job_id: Set(change.job_id.clone()),
        cause: Set(command.name().to_string()),
        at_ms: Set(now_ms),
    }
    .insert(&txn)
    .await?;
    // Published last: publishing holds the event log's head lock until commit.
    publish(
        &txn,
        &StateChanged {
            instance_id: agent.instance_id.clone(),
            seq,
            user_id: agent.id.clone(),
            login_name: agent.login_name.clone(),
            state: change.state.as_str().to_string(),
            previous: change.previous.as_str().to_string(),
            break_code: change.break_code.clone(),
            skill_group_ids: change.skill_group_ids.clone(),
            job_id: change.job_id.clone(),
            cause: command.name().to_string(),
            at_ms: now_ms,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Ok(Applied {
        change,
        seq,
        at_ms: now_ms,
    }))
}

/// A per-instance counter of [`counter::Model`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// The state log's `seq` (starts at 1).
    StateSeq,
    /// Extensions (starts at 8001).
    Extension,
}

/// Increments counter `which` of `instance` and returns the new value, creating the row on
/// first use. The update takes the row's lock until the transaction ends: run it inside the
/// transaction that uses the value.
pub async fn next_counter<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    instance: &str,
    which: Counter,
) -> Result<i64, DbErr> {
    use ccgate_plugin_sdk::sea_orm::sea_query::{Expr, ExprTrait};
    let col = match which {
        Counter::StateSeq => counter::Column::StateSeq,
        Counter::Extension => counter::Column::LastExtension,
    };
    let bump = || {
        counter::Entity::update_many()
            .col_expr(col, Expr::col(col).add(1))
            .filter(counter::Column::InstanceId.eq(instance))
    };
    // Increment the row; on first use create it (state 0, extensions from 8000) and increment
    // again. (A portable upsert: MariaDB has no `ON CONFLICT DO NOTHING`.) Two first writers
    // racing: the loser's insert is a unique violation, and its increment then finds the row.
    if bump().exec(db).await?.rows_affected == 0 {
        let created = counter::Entity::insert(counter::ActiveModel {
            instance_id: Set(instance.to_string()),
            state_seq: Set(0),
            last_extension: Set(8000),
        })
        .exec_without_returning(db)
        .await;
        match created {
            Ok(_) => {}
            Err(e) if crate::storage::is_unique_violation(&e) => {}
            Err(e) => return Err(e),
        }
        bump().exec(db).await?;
    }
    let row = counter::Entity::find_by_id(instance.to_string())
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("agents counter of {instance}")))?;
    Ok(match which {
        Counter::StateSeq => row.state_seq,
        Counter::Extension => row.last_extension,
    })
}

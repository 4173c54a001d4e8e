//! Entity `agents_state_log`: The append-only agent-state log: one row per transition (ListAgentEvents, ListAgentStateLogs, the state stream, reports).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One transition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_state_log")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// Per-instance sequence number: 1, 2, 3... in commit order (the stream's event id).
    pub seq: i64,
    /// The agent.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub user_id: String,
    /// The agent's login name when it happened.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub login_name: String,
    /// The agent's RamId when it happened.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub ram_id: String,
    /// The state entered (`crate::state::AgentState::as_str`).
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    /// The state left.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub previous: String,
    /// The break reason when `state` is `BREAK`.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub break_code: String,
    /// The skill groups signed into after the transition, a JSON array.
    #[sea_orm(column_type = "Text")]
    pub skill_group_ids: String,
    /// The call involved, if any.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub job_id: String,
    /// What caused it: the action name (`SignInGroup`, `TakeBreak`...) or `calls.<what>`.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub cause: String,
    /// When it happened, UTC epoch ms.
    pub at_ms: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

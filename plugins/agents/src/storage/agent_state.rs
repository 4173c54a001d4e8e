//! Entity `agents_agent_states`: The current state of each agent that ever signed in (the state machine of `crate::state`).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One agent's current state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_agent_states")]
pub struct Model {
    /// The agent.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub user_id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// `crate::state::AgentState::as_str`: `OFFLINE`, `SIGNED_IN`, `READY`, `BREAK`, `RINGING`, `TALKING`, `WORKING`.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    /// The break reason (TakeBreak `Code`), empty unless on a break.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub break_code: String,
    /// The device the agent signed in with (SignInGroup `DeviceId`).
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub device_id: String,
    /// The skill groups signed into, a JSON array of ids.
    #[sea_orm(column_type = "Text")]
    pub signed_skill_group_ids: String,
    /// The call (job) of RINGING / TALKING / WORKING, else empty.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub job_id: String,
    /// 2020 `OutboundScenario`: signed in for outbound only.
    pub outbound_scenario: bool,
    /// When the current state began, UTC epoch ms.
    pub state_since_ms: i64,
    /// The last PollUserStatus or transition, UTC epoch ms.
    pub heartbeat_ms: i64,
    /// The `seq` of the state-log entry that set this state.
    pub seq: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

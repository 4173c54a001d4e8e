//! Entity `calls_event_log`: the per-call event log (seed 004 §11.14 CallEventDetail).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One entry of a call's event log.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "calls_event_log")]
pub struct Model {
    /// The call.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(32))"
    )]
    pub contact_id: String,
    /// 1, 2, 3… per call, in order (not the engine's seq: one engine event may log nothing).
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i32,
    /// When, UTC epoch ms (the engine's `at_ms`).
    pub at_ms: i64,
    /// §11.14 `Event`: Dial, Ring, Talk, SetUpMeeting, GiveUp, End, Handle, EnterIVR, Hold,
    /// Retrieve, LaunchTransfer; inbound calls' queue events EnterQueue, ACDOverflow,
    /// NormalEnd, AbandonedRing (`crate::queue`).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub event: String,
    /// §11.14 `Status`: Dialing, Ringing, Talking, Released, Handling, Queuing or empty.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub status: String,
    /// §11.14 `AgentName`: the agent's login name, empty without an agent.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub agent_name: String,
    /// How long this entry's state lasted, ms: set when the next entry is appended (0 for the
    /// last).
    pub duration_ms: i64,
    /// §11.14 `DetailData.EventType`: ivr, queue or agent.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub event_type: String,
    /// §11.14 `DetailData.HangUper` (End only): byeCaller, byeCallee, byeCustomer, byeAgent,
    /// byeIvr or byeSystem.
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub hang_uper: String,
    /// §11.14 `DetailData.SkillGroup`: the skill group, when the agent came through one.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub skill_group: String,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Entity `reports_state_fragment`: the closed agent-state periods, split at the local
//! midnights of the instance's zone so that a day's periods are read by one indexed range.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// The part of one closed state period that lies in one local day.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports_state_fragment")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// The state-log `seq` of the transition that began the period.
    #[sea_orm(primary_key, auto_increment = false)]
    pub start_seq: i64,
    /// The local day of this fragment.
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_day: i32,
    /// The agent.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub user_id: String,
    /// The state of the period.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    /// Its break code.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub break_code: String,
    /// The skill groups signed into during the period, a JSON array.
    #[sea_orm(column_type = "Text")]
    pub skill_group_ids: String,
    /// The call of the period, if any.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub job_id: String,
    /// Fragment start, UTC epoch ms.
    pub frag_start_ms: i64,
    /// Fragment end, UTC epoch ms (exclusive).
    pub frag_end_ms: i64,
    /// This fragment holds the period's start (its count and length belong here).
    pub first: bool,
    /// The whole period's length, ms (on every fragment).
    pub period_ms: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Entity `reports_agent_open`: each agent's current (open) state period; it becomes
//! fragments when the next transition closes it, and counts up to "now" in reports meanwhile.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One agent's open period.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports_agent_open")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// The agent.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub user_id: String,
    /// The state-log `seq` of the transition that began it (redeliveries at or below it are
    /// ignored).
    pub seq: i64,
    /// The state.
    #[sea_orm(column_type = "String(StringLen::N(16))")]
    pub state: String,
    /// Its break code.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub break_code: String,
    /// The skill groups signed into, a JSON array.
    #[sea_orm(column_type = "Text")]
    pub skill_group_ids: String,
    /// The call, if any.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub job_id: String,
    /// When it began, UTC epoch ms.
    pub since_ms: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

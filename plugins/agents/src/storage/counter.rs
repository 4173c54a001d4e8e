//! Entity `agents_instance_counters`: Per-instance counters: the last state-log `seq` and the last extension handed out. Updating the row serialises writers of one instance, which keeps `seq` gap-free and in commit order.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One instance's counters.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_instance_counters")]
pub struct Model {
    /// The instance.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub instance_id: String,
    /// The last `seq` given to a state-log entry (0: none yet).
    pub state_seq: i64,
    /// The last extension allocated (8000: none yet).
    pub last_extension: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

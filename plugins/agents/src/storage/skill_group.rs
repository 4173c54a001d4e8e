//! Entity `agents_skill_groups`: A skill group of an instance (seed 004 §8.1 CreateSkillGroup, §8.4 ListSkillGroups).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One skill group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_skill_groups")]
pub struct Model {
    /// `SkillGroupId`: a UUID generated at insert.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// `Name` / `SkillGroupName`, unique within the instance.
    #[sea_orm(column_type = "String(StringLen::N(128))")]
    pub name: String,
    /// `Description` / `SkillGroupDescription`.
    #[sea_orm(column_type = "String(StringLen::N(255))")]
    pub description: String,
    /// `RoutingStrategy` as given (empty when not set).
    #[sea_orm(column_type = "String(StringLen::N(32))")]
    pub routing_strategy: String,
    /// `AllowPrivateOutboundNumber`.
    pub allow_private_outbound_number: bool,
    /// Creation time, UTC epoch ms.
    pub created_at: i64,
    /// Last modification, UTC epoch ms.
    pub updated_at: i64,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

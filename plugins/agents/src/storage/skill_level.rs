//! Entity `agents_skill_levels`: A user's membership of a skill group with its level (seed 004 §8.1 `UserId.N`/`SkillLevel.N`, §9.9 ModifySkillGroupOfUser).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One membership (`SkillLevelId`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_skill_levels")]
pub struct Model {
    /// `SkillLevelId`: a UUID generated at insert.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// The member.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub user_id: String,
    /// The skill group.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub skill_group_id: String,
    /// `Level`: 1 (lowest) to 10 (highest); the ACD offers calls to higher levels first.
    pub level: i32,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Entity `numbers_skill_groups`: the skill groups a phone number is bound to (seed 004 §6.3
//! `SkillGroupId.N`, §6.8, used for picking in §6.7).
//!
//! Skill groups belong to the agents domain: ids are checked through its `skill_groups` query
//! when bound and named through it when rendered (`crate::agents`); with the agents plugin
//! disabled they are stored as given and rendered with the id as name. Deleting a skill group in
//! agents leaves its rows here; renders skip ids agents no longer knows.

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One (number, skill group) binding.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "numbers_skill_groups")]
pub struct Model {
    /// The bound number's `PhoneNumberId`.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub phone_number_id: String,
    /// The skill group id.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(128))"
    )]
    pub skill_group_id: String,
    /// The instance of the number (denormalised so picking can filter by instance and group).
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// 0-based position in the request's `SkillGroupId.N` list, to render in that order.
    pub position: i32,
}

/// No relations are declared: bindings are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

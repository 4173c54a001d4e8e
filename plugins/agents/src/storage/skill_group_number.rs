//! Entity `agents_skill_group_numbers`: The outbound numbers of a skill group (seed 004 §8.1 `OutboundPhoneNumberId.N`, §8.8 ModifySkillGroupOutboundNumbers).

use ccgate_plugin_sdk::sea_orm;
use sea_orm::entity::prelude::*;

/// One (skill group, number) binding.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents_skill_group_numbers")]
pub struct Model {
    /// The skill group.
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub skill_group_id: String,
    /// A `PhoneNumberId` of the numbers plugin (checked to exist and allow outbound when bound).
    #[sea_orm(
        primary_key,
        auto_increment = false,
        column_type = "String(StringLen::N(64))"
    )]
    pub phone_number_id: String,
    /// The instance.
    #[sea_orm(column_type = "String(StringLen::N(64))")]
    pub instance_id: String,
    /// 0-based order of binding, to render in that order.
    pub position: i32,
}

/// No relations are declared: rows are joined by explicit queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
